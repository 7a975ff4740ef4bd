/// Where each named tensor of a network lives in its one flat parameter array.
///
/// Every parameter of a model is a slice of a single contiguous `[Scalar]`, so the optimiser,
/// the EMA, gradient clipping and the sum of per-chunk gradients are single loops over one
/// buffer, and a checkpoint is that buffer cut into named tensors. Weights of a linear layer
/// are stored `[inputs, outputs]` (y = x·W + b), not PyTorch's `[outputs, inputs]`.
public struct ParameterLayout: Sendable, Equatable {
    /// How a tensor is initialised.
    public enum Initialization: Sendable, Equatable {
        /// Uniform on [−bound, bound] (PyTorch's default for linear layers: bound = 1/√fan_in).
        case uniform(bound: Double)
        /// Every element equal to `value` (norm scales 1, shifts 0, DDIB's zero-initialised layers).
        case constant(Double)
    }

    /// One named tensor: its shape, offset into the flat array, and initialisation.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public let initialization: Initialization
        public var count: Int { shape.reduce(1, *) }
        public var range: Range<Int> { offset..<(offset + count) }
    }

    public private(set) var entries: [Entry] = []
    /// The total number of scalars.
    public private(set) var count = 0

    public init() {}

    /// Appends a tensor and returns its offset.
    @discardableResult
    public mutating func add(_ name: String, shape: [Int], initialization: Initialization) -> Int {
        precondition(!entries.contains { $0.name == name }, "duplicate parameter name \(name)")
        let entry = Entry(name: name, shape: shape, offset: count, initialization: initialization)
        entries.append(entry)
        count += entry.count
        return entry.offset
    }

    /// The entry called `name`, if any.
    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    /// Fresh parameters: each tensor drawn from its own substream of `seed` (by entry index), so
    /// that adding a tensor at the end never changes the others.
    public func initialValues<S: MatrixScalar>(seed: UInt64, as type: S.Type = S.self) -> [S] {
        initialValues(stream: RandomStream(seed: seed, stream: StreamTag.networkInitialisation), as: type)
    }

    /// Fresh parameters drawn from `stream` (seed and stream both matter): the form for a model of
    /// several networks, each initialised from its own substream of one seeded root.
    public func initialValues<S: MatrixScalar>(stream root: RandomStream, as _: S.Type = S.self) -> [S] {
        var values = [S](repeating: 0, count: count)
        for (k, entry) in entries.enumerated() {
            switch entry.initialization {
            case let .constant(value):
                for i in entry.range { values[i] = S(value) }
            case let .uniform(bound):
                let stream = root.substream(UInt64(k))
                for i in 0..<entry.count {
                    values[entry.offset + i] = S(bound * (2 * stream.uniform(UInt64(i)) - 1))
                }
            }
        }
        return values
    }
}

extension ParameterLayout {
    /// The flat Float parameters of this layout stored as F32 tensors named `prefix + entry.name`
    /// (how every Monge checkpoint stores its weights); throws naming `file` and the tensor when
    /// one is missing, has another shape or dtype, or holds a non-finite value. `hint` is appended
    /// to the missing and shape messages (e.g. that config.json describes another architecture).
    public func parameters(fromTensors tensors: [String: NDArray], prefix: String = "", file: String,
                           hint: String = "") throws -> [Float] {
        var out = [Float](repeating: 0, count: count)
        for entry in entries {
            let name = prefix + entry.name
            guard let tensor = tensors[name] else {
                throw MongeError.invalidFile(path: file, location: "tensor \(name)", message: "missing" + hint)
            }
            guard tensor.shape == entry.shape else {
                throw MongeError.invalidFile(path: file, location: "tensor \(name)",
                                             message: "shape \(tensor.shape), expected \(entry.shape)" + hint)
            }
            guard tensor.dtype == .float32 else {
                throw MongeError.invalidFile(path: file, location: "tensor \(name)", message: "dtype \(tensor.dtype.safetensorsName), expected F32")
            }
            let values: [Float] = tensor.values()
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw MongeError.invalidFile(path: file, location: "tensor \(name)", message: "element \(bad) is \(values[bad])")
            }
            out.replaceSubrange(entry.range, with: values)
        }
        return out
    }
}
