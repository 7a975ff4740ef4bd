/// The shape of a plain MLP: `inputs` → `depth` hidden layers of `width` → `outputs` (linear).
public struct PerceptronConfig: Codable, Equatable, Sendable {
    public var inputs: Int
    public var outputs: Int
    public var width: Int
    /// Hidden layers (≥ 1).
    public var depth: Int
    public var activation: Activation
    /// LeakyReLU's slope for negative inputs (ignored by the other activations).
    public var negativeSlope: Double

    public init(inputs: Int, outputs: Int, width: Int, depth: Int, activation: Activation = .relu, negativeSlope: Double = 0.2) {
        self.inputs = inputs
        self.outputs = outputs
        self.width = width
        self.depth = depth
        self.activation = activation
        self.negativeSlope = negativeSlope
    }

    /// Throws `MongeError.invalidArgument` naming `name` and the first field out of range.
    public func validate(_ name: String) throws {
        func fail(_ field: String, _ message: String) -> MongeError { .invalidArgument(name: "\(name) \(field)", message: message) }
        guard inputs >= 1 else { throw fail("inputs", "must be at least 1, got \(inputs)") }
        guard outputs >= 1 else { throw fail("outputs", "must be at least 1, got \(outputs)") }
        guard width >= 1 else { throw fail("width", "must be at least 1, got \(width)") }
        guard depth >= 1 else { throw fail("depth", "needs at least 1 hidden layer, got \(depth)") }
        guard negativeSlope.isFinite, negativeSlope >= 0 else { throw fail("negative slope", "must be finite and ≥ 0, got \(negativeSlope)") }
    }
}

/// An MLP with hand-written backprop to both its parameters and its input, registered under a
/// name prefix in a shared `ParameterLayout`: h₀ = x, h_l = act(h_{l−1}·W_l + b_l), y = h_L·W + b.
///
/// MUNIT chains networks (encoder → decoder → encoder), so unlike `Generator` the backward pass
/// also returns ∂L/∂x. Every kernel is row-wise: a row's output does not depend on the batch.
public struct Perceptron: Sendable, Equatable {
    public let config: PerceptronConfig
    let hidden: [Linear]
    let output: Linear

    public init(_ name: String, config: PerceptronConfig, layout: inout ParameterLayout) throws {
        try config.validate(name)
        self.config = config
        hidden = (0..<config.depth).map { l in
            Linear("\(name).hidden.\(l)", inputs: l == 0 ? config.inputs : config.width, outputs: config.width, layout: &layout)
        }
        output = Linear("\(name).output", inputs: config.width, outputs: config.outputs, layout: &layout)
    }

    /// A forward pass: the output and what backward needs.
    public struct Pass<S: NetworkScalar>: Sendable {
        public let output: Matrix<S>
        /// h₀ = x … h_L (row-major) and, for SiLU, σ of each hidden pre-activation.
        let activations: [[S]]
        let aux: [[S]]
        public var rows: Int { output.rows }
    }

    /// y for the rows of `x` ([rows, inputs]); `parameters` is the whole shared array.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func forward<S: NetworkScalar>(_ x: Matrix<S>, parameters p: UnsafePointer<S>) -> Pass<S> {
        precondition(x.columns == config.inputs, "the network takes \(config.inputs) columns, got \(x.columns)")
        let n = x.rows, w = config.width, act = config.activation, slope = config.negativeSlope
        var activations = [x.storage]
        var aux: [[S]] = []
        for layer in hidden {
            var h = [S](repeating: 0, count: n * w)
            var sigma = [S](repeating: 0, count: act.needsAux ? n * w : 0)
            activations.last!.withUnsafeBufferPointer { below in
                h.withUnsafeMutableBufferPointer { h in
                    layer.multiply(rows: n, below.baseAddress!, parameters: p, into: h.baseAddress!)
                    sigma.withUnsafeMutableBufferPointer { s in
                        act.apply(rows: n, columns: w, h.baseAddress!, bias: p + layer.bias, slope: slope, aux: act.needsAux ? s.baseAddress! : nil)
                    }
                }
            }
            activations.append(h)
            aux.append(sigma)
        }
        var y = zeroMatrix(n, config.outputs, as: S.self)
        activations.last!.withUnsafeBufferPointer { hL in
            y.storage.withUnsafeMutableBufferPointer { y in
                output.multiply(rows: n, hL.baseAddress!, parameters: p, into: y.baseAddress!)
                addBias(rows: n, columns: config.outputs, y.baseAddress!, bias: p + output.bias)
            }
        }
        return Pass(output: y, activations: activations, aux: aux)
    }

    /// Backward from ∂L/∂y (`outputGradient`, [rows, outputs]): accumulates the parameter
    /// gradient into `gradient` (the shared array's, when given) and returns ∂L/∂x.
    @discardableResult
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func backward<S: NetworkScalar>(_ pass: Pass<S>, outputGradient: Matrix<S>, parameters p: UnsafePointer<S>,
                                           gradient g: UnsafeMutablePointer<S>?) -> Matrix<S> {
        let n = pass.rows, w = config.width, act = config.activation, slope = config.negativeSlope
        precondition(outputGradient.shape == [n, config.outputs], "the output gradient must be \(n)×\(config.outputs)")
        var dh = [S](repeating: 0, count: n * w)
        outputGradient.storage.withUnsafeBufferPointer { dy in
            if let g {
                pass.activations.last!.withUnsafeBufferPointer { hL in
                    output.accumulateGradient(rows: n, input: hL.baseAddress!, outputGradient: dy.baseAddress!, gradient: g)
                }
            }
            dh.withUnsafeMutableBufferPointer { output.inputGradient(rows: n, outputGradient: dy.baseAddress!, parameters: p, into: $0.baseAddress!) }
        }
        for l in stride(from: hidden.count - 1, through: 0, by: -1) {
            let layer = hidden[l]
            dh.withUnsafeMutableBufferPointer { dz in
                pass.activations[l + 1].withUnsafeBufferPointer { a in
                    pass.aux[l].withUnsafeBufferPointer { s in
                        act.backward(rows: n, columns: w, dz.baseAddress!, output: a.baseAddress!, aux: act.needsAux ? s.baseAddress! : nil, slope: slope)
                    }
                }
            }
            if let g {
                dh.withUnsafeBufferPointer { dz in
                    pass.activations[l].withUnsafeBufferPointer { x in
                        layer.accumulateGradient(rows: n, input: x.baseAddress!, outputGradient: dz.baseAddress!, gradient: g)
                    }
                }
            }
            var below = [S](repeating: 0, count: n * layer.inputs)
            dh.withUnsafeBufferPointer { dz in
                below.withUnsafeMutableBufferPointer { layer.inputGradient(rows: n, outputGradient: dz.baseAddress!, parameters: p, into: $0.baseAddress!) }
            }
            dh = below
        }
        return try! Matrix(rows: n, columns: config.inputs, storage: dh)
    }
}

/// A zero matrix built from an array (element-wise initialisers of `Matrix` are not specialised
/// across modules, which made MUNIT's many small allocations a hot spot).
@inline(__always)
func zeroMatrix<S: NetworkScalar>(_ rows: Int, _ columns: Int, as _: S.Type) -> Matrix<S> {
    try! Matrix(rows: rows, columns: columns, storage: [S](repeating: 0, count: rows * columns))
}

/// a ← a + scale·b elementwise (same shapes), specialised with its caller.
@inline(__always)
func addInPlace<S: NetworkScalar>(_ a: inout Matrix<S>, _ b: Matrix<S>, scale: S = 1) {
    precondition(a.rows == b.rows && a.columns == b.columns, "adding a \(b.rows)×\(b.columns) matrix to a \(a.rows)×\(a.columns) one")
    for k in 0..<a.storage.count { a.storage[k] += scale * b.storage[k] }
}
