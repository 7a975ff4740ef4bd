/// A network's weight matrices packed into the column panels of the inference kernel
/// (`ek_*dense_forward`), made once per set of parameters and then read by any number of threads.
public final class PackedParameters<S: NetworkScalar>: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<S>
    private let count: Int
    /// Panel offset of each packed layer, keyed by the offset of its weight in the parameters.
    private let offsets: [Int: Int]

    /// Packs the first `inputs` rows of each listed weight (`[inputs, outputs]` at `weight`).
    init(layers: [(weight: Int, inputs: Int, outputs: Int)], parameters: UnsafePointer<S>) {
        var offsets: [Int: Int] = [:]
        var total = 0
        for layer in layers where offsets[layer.weight] == nil {
            offsets[layer.weight] = total
            total += S.packedWeightsCount(inputs: layer.inputs, outputs: layer.outputs)
        }
        count = max(total, 1)
        storage = UnsafeMutablePointer<S>.allocate(capacity: count)
        storage.initialize(repeating: 0, count: count)
        for layer in layers {
            S.packWeights(inputs: layer.inputs, outputs: layer.outputs, parameters + layer.weight, ld: layer.outputs,
                          into: storage + offsets[layer.weight]!)
        }
        self.offsets = offsets
    }

    /// The panels of the layer whose weight starts at `weight`.
    @inline(__always)
    func panels(_ weight: Int) -> UnsafePointer<S> {
        guard let offset = offsets[weight] else { preconditionFailure("layer at \(weight) was not packed") }
        return UnsafePointer(storage + offset)
    }

    deinit { storage.deallocate() }
}

extension Linear {
    /// y = act(x·W + bias) (or act(y + x·W + bias) when `accumulate`) with the packed weights;
    /// `inputs` may be fewer than the layer's (a leading block of W's rows, as packed).
    @inline(__always)
    func dense<S: NetworkScalar>(rows: Int, _ x: UnsafePointer<S>, inputs: Int? = nil, packed: PackedParameters<S>,
                                 bias: UnsafePointer<S>?, accumulate: Bool = false, activation: Activation? = nil,
                                 slope: Double = 0, into y: UnsafeMutablePointer<S>) {
        let k = inputs ?? self.inputs
        S.denseForward(rows: rows, outputs: outputs, inputs: k, x, lda: k, packed: packed.panels(weight), bias: bias,
                       accumulate: accumulate, activation: activation?.kernelCode ?? 0, slope: S(slope), into: y, ldc: outputs)
    }
}
