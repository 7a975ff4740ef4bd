/// A matrix to pack: the first `inputs` rows of the `[inputs…, outputs]` weight at `weight`.
struct PackedLayer {
    let weight: Int
    let inputs: Int
    let outputs: Int
}

/// A network's weight matrices packed into the column panels of the dense kernel
/// (`ek_*dense_forward`), made once per set of weights for sampling and then read by any number
/// of threads. (Training keeps Eigen's GEMM, measured faster on its shapes: the kernel wins on
/// 256-row inference tiles, where it fuses bias, residual add and activation.)
public final class PackedParameters<S: NetworkScalar>: @unchecked Sendable {
    private let layers: [PackedLayer]
    private let storage: UnsafeMutablePointer<S>
    private let count: Int
    private let offsets: [Int: Int]

    /// Allocates the panels of `layers` (zero until `update(from:)`).
    init(layers: [PackedLayer]) {
        var offsets: [Int: Int] = [:]
        var unique: [PackedLayer] = []
        var total = 0
        for layer in layers where offsets[layer.weight] == nil {
            offsets[layer.weight] = total
            unique.append(layer)
            total += S.packedWeightsCount(inputs: layer.inputs, outputs: layer.outputs)
        }
        self.layers = unique
        self.offsets = offsets
        count = max(total, 1)
        storage = UnsafeMutablePointer<S>.allocate(capacity: count)
        storage.initialize(repeating: 0, count: count)
    }

    /// Packs `layers` from `parameters`.
    convenience init(layers: [PackedLayer], parameters: UnsafePointer<S>) {
        self.init(layers: layers)
        update(from: parameters)
    }

    /// Repacks every layer from `parameters`.
    func update(from parameters: UnsafePointer<S>) {
        for layer in layers {
            S.packWeights(inputs: layer.inputs, outputs: layer.outputs, parameters + layer.weight, ld: layer.outputs,
                          transposed: false, into: storage + offsets[layer.weight]!)
        }
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
    /// The forward product of this layer (first `inputs` rows of W).
    func forwardPacking(inputs: Int? = nil) -> PackedLayer {
        .init(weight: weight, inputs: inputs ?? self.inputs, outputs: outputs)
    }

    /// y = act(x·W + bias) (or act(y + x·W + bias) when `accumulate`) with the packed weights;
    /// `inputs` may be fewer than the layer's (a leading block of W's rows, as packed). With SiLU
    /// and `aux`, σ of the pre-activation is kept (what a backward pass would need).
    @inline(__always)
    func dense<S: NetworkScalar>(rows: Int, _ x: UnsafePointer<S>, inputs: Int? = nil, packed: PackedParameters<S>,
                                 bias: UnsafePointer<S>?, accumulate: Bool = false, activation: Activation? = nil,
                                 slope: Double = 0, into y: UnsafeMutablePointer<S>, aux: UnsafeMutablePointer<S>? = nil) {
        let k = inputs ?? self.inputs
        S.denseForward(rows: rows, outputs: outputs, inputs: k, x, lda: k, packed: packed.panels(weight), bias: bias,
                       accumulate: accumulate, activation: activation?.kernelCode ?? 0, slope: S(slope), into: y,
                       ldc: outputs, aux: aux)
    }
}
