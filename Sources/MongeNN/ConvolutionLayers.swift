/// A 2-D convolution with a square kernel of 1 or 3 (padding (kernel − 1)/2), stride 1 or 2,
/// optionally reading its input up-sampled ×2 by nearest neighbour (the U-Net's up path), on
/// channels-last images (ImageKernels.h).
///
/// The weight is stored `[kernel, kernel, inputs, outputs]` (row (ky·k + kx)·inputs + ci of a
/// [k²·inputs, outputs] matrix, the product im2col multiplies by; PyTorch's `[outputs, inputs,
/// kernel, kernel]` permuted), initialised as PyTorch's Conv2d: U(±1/√(inputs·k²)) for weight
/// and bias.
public struct Conv2D: Sendable, Equatable {
    public let inputs: Int
    public let outputs: Int
    public let kernel: Int
    public let stride: Int
    public let upsampled: Bool
    public let weight: Int
    public let bias: Int

    public init(_ name: String, inputs: Int, outputs: Int, kernel: Int = 3, stride: Int = 1, upsampled: Bool = false,
                layout: inout ParameterLayout) {
        precondition(kernel == 1 || kernel == 3, "kernel must be 1 or 3")
        precondition(stride == 1 || (stride == 2 && kernel == 3), "stride 2 needs a 3×3 kernel")
        precondition(!upsampled || (kernel == 3 && stride == 1), "up-sampled input needs a 3×3 kernel, stride 1")
        self.inputs = inputs
        self.outputs = outputs
        self.kernel = kernel
        self.stride = stride
        self.upsampled = upsampled
        let bound = 1 / Double(inputs * kernel * kernel).squareRoot()
        weight = layout.add("\(name).weight", shape: [kernel, kernel, inputs, outputs], initialization: .uniform(bound: bound))
        bias = layout.add("\(name).bias", shape: [outputs], initialization: .uniform(bound: bound))
    }

    /// Rows of the im2col matrix: k²·inputs.
    public var patch: Int { kernel * kernel * inputs }

    /// The output size for an input of `height` × `width` (the up-sampled size when `upsampled`).
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        kernel == 1 ? (height, width) : ((height - 1) / stride + 1, (width - 1) / stride + 1)
    }

    /// The stored input size for a convolution seen at `height` × `width`.
    func storedPixels(height: Int, width: Int) -> Int { upsampled ? height * width / 4 : height * width }

    var packing: PackedLayer { PackedLayer(weight: weight, inputs: patch, outputs: outputs) }

    /// Output rows per im2col block: about 96 KB of im2col matrix, so that it stays in L2 while
    /// the product reads it (an image's whole matrix would go through memory).
    func rowsPerBlock<S>(outputWidth: Int, as _: S.Type) -> Int {
        max(1, 96 * 1024 / (MemoryLayout<S>.stride * outputWidth * patch))
    }

    /// y = conv(x) + bias (+ y when `accumulate`) for `images` images, each `inputPixels·inputs`
    /// apart in x and `outputPixels·outputs` apart in y. `bias(i)` is image i's bias (length
    /// outputs). `column` holds the im2col matrix of `rowsPerBlock` output rows (default: about
    /// 96 KB); the result does not depend on the block size.
    @inline(__always)
    public func forward<S: NetworkScalar>(images: Int, height: Int, width: Int, _ x: UnsafePointer<S>, packed: UnsafePointer<S>,
                                          bias: (Int) -> UnsafePointer<S>, accumulate: Bool, into y: UnsafeMutablePointer<S>,
                                          column: UnsafeMutablePointer<S>, rowsPerBlock: Int? = nil) {
        let (ho, wo) = outputSize(height: height, width: width)
        let inStride = storedPixels(height: height, width: width) * inputs, outStride = ho * wo * outputs
        let block = rowsPerBlock ?? self.rowsPerBlock(outputWidth: wo, as: S.self)
        for i in 0..<images {
            let xi = x + i * inStride, yi = y + i * outStride
            if kernel == 1 {
                S.denseForward(rows: ho * wo, outputs: outputs, inputs: patch, xi, lda: patch, packed: packed, bias: bias(i),
                               accumulate: accumulate, activation: 0, slope: 0, into: yi, ldc: outputs, aux: nil)
                continue
            }
            if stride == 1 && S.convolve3x3(height: height, width: width, channels: inputs, xi, upsampled: upsampled, outputs: outputs,
                                            packed: packed, bias: bias(i), accumulate: accumulate, into: yi) {
                continue
            }
            var row = 0
            while row < ho {
                let rows = min(block, ho - row)
                S.im2col3x3(height: height, width: width, channels: inputs, xi, ldx: inputs, stride: stride, upsampled: upsampled,
                            rows: row..<(row + rows), into: column)
                S.denseForward(rows: rows * wo, outputs: outputs, inputs: patch, column, lda: patch, packed: packed, bias: bias(i),
                               accumulate: accumulate, activation: 0, slope: 0, into: yi + row * wo * outputs, ldc: outputs, aux: nil)
                row += rows
            }
        }
    }

    /// Backward for `images` images: dW += im2col(x)ᵀ·dy and db += Σ dy (in image order); when
    /// `dx` is given, dx += the input gradient (by blocks of `rowsPerBlock` output rows). `column`
    /// holds `groupImages` images' im2col matrices — groupImages·(output pixels)·k²·inputs values —
    /// and, for a 3×3 stride-1 convolution's input gradient (a transposed convolution, im2col of
    /// dy), height·width·9·outputs: images are processed `groupImages` at a time (one product over
    /// all their pixels).
    @inline(__always)
    public func backward<S: NetworkScalar>(images: Int, height: Int, width: Int, _ x: UnsafePointer<S>, outputGradient dy: UnsafePointer<S>,
                                           parameters p: UnsafePointer<S>, gradient g: UnsafeMutablePointer<S>,
                                           inputGradient dx: UnsafeMutablePointer<S>?, column: UnsafeMutablePointer<S>, groupImages: Int,
                                           rowsPerBlock: Int? = nil) {
        let (ho, wo) = outputSize(height: height, width: width)
        let block = rowsPerBlock ?? self.rowsPerBlock(outputWidth: wo, as: S.self)
        let stored = storedPixels(height: height, width: width)
        let inStride = stored * inputs, outPixels = ho * wo, outStride = outPixels * outputs
        let flippedPacked = dx != nil && kernel == 3 && stride == 1 && !upsampled ? flippedWeights(p) : nil
        defer { flippedPacked?.deallocate() }
        // dWᵀ = dyᵀ·im2col(x) over all groups, added to dW once at the end: with the few output
        // channels as the product's rows, the GEMM reads the large im2col matrix in place
        // instead of packing (transposing) it.
        let weightGradientT = UnsafeMutablePointer<S>.allocate(capacity: outputs * patch)
        defer { weightGradientT.deallocate() }
        var start = 0
        while start < images {
            let count = min(groupImages, images - start)
            let rows = count * outPixels
            let dyGroup = dy + start * outStride
            let beta: S = start == 0 ? 0 : 1
            if kernel == 1 {
                S.gemm(transposeA: true, transposeB: false, m: outputs, n: patch, k: rows, alpha: 1, a: dyGroup, lda: outputs,
                       b: x + start * inStride, ldb: patch, beta: beta, c: weightGradientT, ldc: patch)
            } else if !(stride == 1 && S.convolve3x3WeightGradient(images: count, height: height, width: width, channels: inputs,
                                                                   x + start * inStride, upsampled: upsampled, outputs: outputs,
                                                                   outputGradient: dyGroup, beta: beta, into: weightGradientT)) {
                for i in 0..<count {
                    S.im2col3x3(height: height, width: width, channels: inputs, x + (start + i) * inStride, ldx: inputs,
                                stride: stride, upsampled: upsampled, rows: 0..<ho, into: column + i * outPixels * patch)
                }
                S.gemm(transposeA: true, transposeB: false, m: outputs, n: patch, k: rows, alpha: 1, a: dyGroup, lda: outputs,
                       b: column, ldb: patch, beta: beta, c: weightGradientT, ldc: patch)
            }
            S.addColumnSums(rows: rows, columns: outputs, dyGroup, into: g + bias)
            if let dx {
                if kernel == 1 {
                    S.gemm(transposeA: false, transposeB: true, m: rows, n: inputs, k: outputs, alpha: 1, a: dyGroup, lda: outputs,
                           b: p + weight, ldb: outputs, beta: 1, c: dx + start * inStride, ldc: inputs)
                } else if stride == 1 && !upsampled {
                    // dx = the transposed convolution: im2col(dy)·W̃ with W̃ the kernel flipped in
                    // space and transposed in channels (a long reduction over 9·outputs, no scatter).
                    let flippedPatch = 9 * outputs
                    let blockRows = rowsPerBlock ?? max(1, 96 * 1024 / (MemoryLayout<S>.stride * width * flippedPatch))
                    for i in 0..<count {
                        if S.convolve3x3(height: height, width: width, channels: outputs, dyGroup + i * outStride, upsampled: false,
                                         outputs: inputs, packed: flippedPacked!, bias: nil, accumulate: true,
                                         into: dx + (start + i) * inStride) {
                            continue
                        }
                        var row = 0
                        while row < height {
                            let rows = min(blockRows, height - row)
                            S.im2col3x3(height: height, width: width, channels: outputs, dyGroup + i * outStride, ldx: outputs, stride: 1,
                                        upsampled: false, rows: row..<(row + rows), into: column)
                            S.denseForward(rows: rows * width, outputs: inputs, inputs: flippedPatch, column, lda: flippedPatch,
                                           packed: flippedPacked!, bias: nil, accumulate: true, activation: 0, slope: 0,
                                           into: dx + (start + i) * inStride + row * width * inputs, ldc: inputs, aux: nil)
                            row += rows
                        }
                    }
                } else {
                    for i in 0..<count {
                        var row = 0
                        while row < ho {
                            let blockRows = min(block, ho - row)
                            S.gemm(transposeA: false, transposeB: true, m: blockRows * wo, n: patch, k: outputs, alpha: 1,
                                   a: dyGroup + i * outStride + row * wo * outputs, lda: outputs, b: p + weight, ldb: outputs, beta: 0,
                                   c: column, ldc: patch)
                            S.col2im3x3(height: height, width: width, channels: inputs, column, stride: stride, upsampled: upsampled,
                                        rows: row..<(row + blockRows), into: dx + (start + i) * inStride, lddx: inputs)
                            row += blockRows
                        }
                    }
                }
            }
            start += count
        }
        if images > 0 {
            let w = g + weight
            for i in 0..<patch {
                for o in 0..<outputs { w[i * outputs + o] += weightGradientT[o * patch + i] }
            }
        }
    }
}

extension Conv2D {
    /// W̃[(ky, kx, o), i] = W[(2 − ky, 2 − kx, i), o], packed for the dense kernel (the caller
    /// deallocates): the weight of the transposed convolution that gives a 3×3, stride-1
    /// convolution's input gradient.
    func flippedWeights<S: NetworkScalar>(_ p: UnsafePointer<S>) -> UnsafeMutablePointer<S> {
        let w = p + weight
        let flipped = UnsafeMutablePointer<S>.allocate(capacity: 9 * outputs * inputs)
        defer { flipped.deallocate() }
        for ky in 0..<3 { for kx in 0..<3 { for i in 0..<inputs { for o in 0..<outputs {
            flipped[(((2 - ky) * 3 + (2 - kx)) * outputs + o) * inputs + i] = w[((ky * 3 + kx) * inputs + i) * outputs + o]
        } } } }
        let count = S.packedWeightsCount(inputs: 9 * outputs, outputs: inputs)
        let packed = UnsafeMutablePointer<S>.allocate(capacity: count)
        S.packWeights(inputs: 9 * outputs, outputs: inputs, flipped, ld: inputs, transposed: false, into: packed)
        return packed
    }
}

/// Group normalisation of channels-last images (PyTorch's GroupNorm: `groups` groups of
/// consecutive channels × all pixels of one image, ε = 1e-5, per-channel `weight` and `bias`),
/// optionally followed by SiLU in the same pass.
public struct ImageGroupNorm: Sendable, Equatable {
    public let channels: Int
    public let groups: Int
    public let weight: Int
    public let bias: Int
    public static let epsilon = 1e-5

    public init(_ name: String, channels: Int, groups: Int, layout: inout ParameterLayout) {
        precondition(groups >= 1 && channels % groups == 0, "groups must divide the channels")
        self.channels = channels
        self.groups = groups
        weight = layout.add("\(name).weight", shape: [channels], initialization: .constant(1))
        bias = layout.add("\(name).bias", shape: [channels], initialization: .constant(0))
    }

    /// y = act(GroupNorm(x)) for `images` images of `pixels` pixels; keeps μ and 1/σ per
    /// (image, group) in `mean` and `rstd` for the backward pass.
    @inline(__always)
    public func forward<S: NetworkScalar>(images: Int, pixels: Int, _ x: UnsafePointer<S>, parameters p: UnsafePointer<S>, silu: Bool,
                                   mean: UnsafeMutablePointer<S>, rstd: UnsafeMutablePointer<S>, into y: UnsafeMutablePointer<S>) {
        let size = pixels * channels
        for i in 0..<images {
            S.groupNormActivationForward(pixels: pixels, channels: channels, groups: groups, x + i * size, gamma: p + weight,
                                         beta: p + bias, epsilon: S(ImageGroupNorm.epsilon), silu: silu, mean: mean + i * groups,
                                         rstd: rstd + i * groups, into: y + i * size)
        }
    }

    /// dx (written, or added when `accumulate`) from dy, accumulating the scale and shift gradients.
    @inline(__always)
    public func backward<S: NetworkScalar>(images: Int, pixels: Int, _ dy: UnsafePointer<S>, x: UnsafePointer<S>, mean: UnsafePointer<S>,
                                    rstd: UnsafePointer<S>, parameters p: UnsafePointer<S>, silu: Bool, accumulate: Bool,
                                    gradient g: UnsafeMutablePointer<S>, into dx: UnsafeMutablePointer<S>) {
        let size = pixels * channels
        for i in 0..<images {
            S.groupNormActivationBackward(pixels: pixels, channels: channels, groups: groups, dy + i * size, x: x + i * size,
                                          mean: mean + i * groups, rstd: rstd + i * groups, gamma: p + weight, beta: p + bias,
                                          silu: silu, accumulate: accumulate, into: dx + i * size, dgamma: g + weight,
                                          dbeta: g + bias)
        }
    }
}
