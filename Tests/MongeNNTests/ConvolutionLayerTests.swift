import MongeNN
import Testing

/// The convolutional layers (channels last, see ImageKernels.h) against finite differences in
/// Double and against closed forms.
@Suite("Convolution layers")
struct ConvolutionLayerTests {
    /// Five-point central difference of f at 0 (error O(h⁴), rounding ≈ 1e-12/h).
    static func central(_ f: (Double) -> Double) -> Double {
        let h = 1e-4
        return (8 * (f(h) - f(-h)) - (f(2 * h) - f(-2 * h))) / (12 * h)
    }

    static func normals(_ count: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        let rng = RandomStream(seed: seed, stream: 31)
        return (0..<count).map { scale * rng.normal(UInt64($0)) }
    }

    /// A convolution with its parameters and packed weights, evaluated on `images` images.
    struct ConvCase: CustomTestStringConvertible, Sendable {
        let label: String
        let inputs: Int, outputs: Int, kernel: Int, stride: Int, upsampled: Bool
        /// The input size as the convolution sees it (the up-sampled size when `upsampled`).
        let height: Int, width: Int
        var testDescription: String { label }
    }

    static let convCases: [ConvCase] = [
        ConvCase(label: "3×3, stride 1, 3 → 5 channels", inputs: 3, outputs: 5, kernel: 3, stride: 1, upsampled: false, height: 5, width: 4),
        ConvCase(label: "3×3, stride 1, 2 → 17 channels (two panels)", inputs: 2, outputs: 17, kernel: 3, stride: 1, upsampled: false,
                 height: 3, width: 3),
        ConvCase(label: "3×3, stride 2, odd size", inputs: 2, outputs: 6, kernel: 3, stride: 2, upsampled: false, height: 5, width: 7),
        ConvCase(label: "3×3, stride 2, even size", inputs: 3, outputs: 4, kernel: 3, stride: 2, upsampled: false, height: 6, width: 4),
        ConvCase(label: "3×3 on a ×2 up-sampled input", inputs: 3, outputs: 5, kernel: 3, stride: 1, upsampled: true, height: 6, width: 4),
        ConvCase(label: "3×3 to one channel (narrow output)", inputs: 4, outputs: 1, kernel: 3, stride: 1, upsampled: false,
                 height: 4, width: 4),
        ConvCase(label: "1×1 (skip)", inputs: 4, outputs: 6, kernel: 1, stride: 1, upsampled: false, height: 3, width: 5),
    ]

    static func forward(_ conv: Conv2D, _ c: ConvCase, images: Int, _ x: [Double], _ p: [Double], rowsPerBlock: Int? = nil) -> [Double] {
        let (ho, wo) = conv.outputSize(height: c.height, width: c.width)
        var y = [Double](repeating: 0, count: images * ho * wo * c.outputs)
        var packed = [Double](repeating: 0, count: Double.packedWeightsCount(inputs: conv.patch, outputs: c.outputs))
        var column = [Double](repeating: 0, count: ho * wo * conv.patch * images)
        p.withUnsafeBufferPointer { pp in
            packed.withUnsafeMutableBufferPointer {
                Double.packWeights(inputs: conv.patch, outputs: c.outputs, pp.baseAddress! + conv.weight, ld: c.outputs,
                                   transposed: false, into: $0.baseAddress!)
            }
            x.withUnsafeBufferPointer { xp in
                packed.withUnsafeBufferPointer { kp in
                    y.withUnsafeMutableBufferPointer { yp in
                        column.withUnsafeMutableBufferPointer { cp in
                            conv.forward(images: images, height: c.height, width: c.width, xp.baseAddress!, packed: kp.baseAddress!,
                                         bias: { _ in pp.baseAddress! + conv.bias }, accumulate: false, into: yp.baseAddress!,
                                         column: cp.baseAddress!, rowsPerBlock: rowsPerBlock)
                        }
                    }
                }
            }
        }
        return y
    }

    @Test(arguments: convCases)
    func convolutionGradients(_ c: ConvCase) {
        var layout = ParameterLayout()
        let conv = Conv2D("conv", inputs: c.inputs, outputs: c.outputs, kernel: c.kernel, stride: c.stride, upsampled: c.upsampled,
                          layout: &layout)
        let images = 3
        let stored = (c.upsampled ? c.height * c.width / 4 : c.height * c.width) * c.inputs
        let (ho, wo) = conv.outputSize(height: c.height, width: c.width)
        let p = Self.normals(layout.count, seed: 1, scale: 0.5)
        let x = Self.normals(images * stored, seed: 2)
        let w = Self.normals(images * ho * wo * c.outputs, seed: 3)
        // im2col by blocks of 2 output rows (the whole image in one block gives the same values).
        func loss(_ p: [Double], _ x: [Double]) -> Double {
            zip(Self.forward(conv, c, images: images, x, p, rowsPerBlock: 2), w).reduce(0) { $0 + $1.0 * $1.1 }
        }
        #expect(Self.forward(conv, c, images: images, x, p, rowsPerBlock: 2) == Self.forward(conv, c, images: images, x, p))
        var gradient = [Double](repeating: 0, count: layout.count)
        var dx = [Double](repeating: 0, count: x.count)
        // Groups of two images per product: the weight gradient sums a group, then the next.
        var column = [Double](repeating: 0, count: 2 * c.height * c.width * 9 * max(c.inputs, c.outputs))
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                p.withUnsafeBufferPointer { pp in
                    gradient.withUnsafeMutableBufferPointer { gp in
                        dx.withUnsafeMutableBufferPointer { dp in
                            column.withUnsafeMutableBufferPointer { cp in
                                conv.backward(images: images, height: c.height, width: c.width, xp.baseAddress!,
                                              outputGradient: wp.baseAddress!, parameters: pp.baseAddress!, gradient: gp.baseAddress!,
                                              inputGradient: dp.baseAddress!, column: cp.baseAddress!, groupImages: 2,
                                              rowsPerBlock: 2)
                            }
                        }
                    }
                }
            }
        }
        let scale = max(gradient.map(abs).max()!, 1e-3)
        var worst = 0.0
        for i in 0..<p.count {
            let numeric = Self.central { d in var q = p; q[i] += d; return loss(q, x) }
            worst = max(worst, abs(numeric - gradient[i]) / scale)
        }
        #expect(worst < 1e-7, "worst parameter gradient error \(worst)")
        let dxScale = max(dx.map(abs).max()!, 1e-3)
        var worstX = 0.0
        for i in 0..<x.count {
            let numeric = Self.central { d in var y = x; y[i] += d; return loss(p, y) }
            worstX = max(worstX, abs(numeric - dx[i]) / dxScale)
        }
        #expect(worstX < 1e-7, "worst input gradient error \(worstX)")
        #expect(gradient.map(abs).max()! > 1e-2 && dx.map(abs).max()! > 1e-2)
    }

    @Test("A delta image through a 3×3 convolution returns its kernel, flipped (cross-correlation)")
    func deltaImage() {
        var layout = ParameterLayout()
        let conv = Conv2D("conv", inputs: 2, outputs: 3, layout: &layout)
        let c = ConvCase(label: "", inputs: 2, outputs: 3, kernel: 3, stride: 1, upsampled: false, height: 5, width: 5)
        var p = Self.normals(layout.count, seed: 4)
        for j in 0..<3 { p[conv.bias + j] = 0 }
        // A unit impulse in channel 1 at pixel (2, 2).
        var x = [Double](repeating: 0, count: 25 * 2)
        x[(2 * 5 + 2) * 2 + 1] = 1
        let y = Self.forward(conv, c, images: 1, x, p)
        for oy in 0..<5 {
            for ox in 0..<5 {
                for co in 0..<3 {
                    // y(oy, ox) = Σ w(ky, kx)·x(oy + ky − 1, ox + kx − 1): the impulse meets tap (2 − oy + 1, 2 − ox + 1).
                    let ky = 3 - oy, kx = 3 - ox
                    let expected = (0..<3).contains(ky) && (0..<3).contains(kx) ? p[conv.weight + ((ky * 3 + kx) * 2 + 1) * 3 + co] : 0
                    #expect(y[(oy * 5 + ox) * 3 + co] == expected)
                }
            }
        }
    }

    @Test("A stride-2 convolution samples the stride-1 one at even pixels; an up-sampled input equals the copied image")
    func strideAndUpsampling() {
        var layout = ParameterLayout()
        let s1 = Conv2D("a", inputs: 3, outputs: 4, layout: &layout)
        var layout2 = ParameterLayout()
        let s2 = Conv2D("a", inputs: 3, outputs: 4, stride: 2, layout: &layout2)
        var layout3 = ParameterLayout()
        let up = Conv2D("a", inputs: 3, outputs: 4, upsampled: true, layout: &layout3)
        let p = Self.normals(layout.count, seed: 5)
        let x = Self.normals(6 * 6 * 3, seed: 6)
        let full = Self.forward(s1, ConvCase(label: "", inputs: 3, outputs: 4, kernel: 3, stride: 1, upsampled: false, height: 6, width: 6),
                                images: 1, x, p)
        let strided = Self.forward(s2, ConvCase(label: "", inputs: 3, outputs: 4, kernel: 3, stride: 2, upsampled: false, height: 6, width: 6),
                                   images: 1, x, p)
        for oy in 0..<3 { for ox in 0..<3 { for co in 0..<4 {
            #expect(abs(strided[(oy * 3 + ox) * 4 + co] - full[((2 * oy) * 6 + 2 * ox) * 4 + co]) < 1e-14)
        } } }
        // Nearest ×2 of a 3×3 image by the up-sampling kernel, then an ordinary convolution.
        let small = Array(x.prefix(3 * 3 * 3))
        var big = [Double](repeating: 0, count: 6 * 6 * 3)
        small.withUnsafeBufferPointer { s in big.withUnsafeMutableBufferPointer { Double.upsample2x(height: 3, width: 3, channels: 3, s.baseAddress!, into: $0.baseAddress!) } }
        for y in 0..<6 { for xx in 0..<6 { for ch in 0..<3 { #expect(big[(y * 6 + xx) * 3 + ch] == small[((y / 2) * 3 + xx / 2) * 3 + ch]) } } }
        let direct = Self.forward(s1, ConvCase(label: "", inputs: 3, outputs: 4, kernel: 3, stride: 1, upsampled: false, height: 6, width: 6),
                                  images: 1, big, p)
        let fused = Self.forward(up, ConvCase(label: "", inputs: 3, outputs: 4, kernel: 3, stride: 1, upsampled: true, height: 6, width: 6),
                                 images: 1, small, p)
        #expect(direct == fused)
    }

    @Test("Up-sampling ×2 then 2×2 average pooling is the identity; its backward is its transpose")
    func upsamplingAdjoint() {
        let h = 3, w = 4, c = 5
        let x = Self.normals(h * w * c, seed: 7)
        var y = [Double](repeating: 0, count: 4 * h * w * c)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { Double.upsample2x(height: h, width: w, channels: c, xp.baseAddress!, into: $0.baseAddress!) } }
        // 2×2 average pooling, written out.
        for i in 0..<h { for j in 0..<w { for ch in 0..<c {
            let block = [(0, 0), (0, 1), (1, 0), (1, 1)].map { y[((2 * i + $0.0) * 2 * w + 2 * j + $0.1) * c + ch] }
            #expect(block.reduce(0, +) / 4 == x[(i * w + j) * c + ch])
        } } }
        // ⟨up(x), v⟩ = ⟨x, upᵀ(v)⟩.
        let v = Self.normals(y.count, seed: 8)
        var back = [Double](repeating: 0, count: x.count)
        v.withUnsafeBufferPointer { vp in back.withUnsafeMutableBufferPointer { Double.upsample2xBackward(height: h, width: w, channels: c, vp.baseAddress!, into: $0.baseAddress!) } }
        let lhs = zip(y, v).reduce(0) { $0 + $1.0 * $1.1 }, rhs = zip(x, back).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(lhs - rhs) < 1e-12 * max(1, abs(lhs)))
    }

    static func groupNorm(_ norm: ImageGroupNorm, images: Int, pixels: Int, _ x: [Double], _ p: [Double], silu: Bool) -> [Double] {
        var y = [Double](repeating: 0, count: x.count)
        var mean = [Double](repeating: 0, count: images * norm.groups), rstd = mean
        x.withUnsafeBufferPointer { xp in
            p.withUnsafeBufferPointer { pp in
                y.withUnsafeMutableBufferPointer { yp in
                    mean.withUnsafeMutableBufferPointer { mp in
                        rstd.withUnsafeMutableBufferPointer { rp in
                            norm.forward(images: images, pixels: pixels, xp.baseAddress!, parameters: pp.baseAddress!, silu: silu,
                                         mean: mp.baseAddress!, rstd: rp.baseAddress!, into: yp.baseAddress!)
                        }
                    }
                }
            }
        }
        return y
    }

    @Test("GroupNorm's output has zero mean and unit variance per (image, group) at γ = 1, β = 0", arguments: [1, 2, 4])
    func groupNormMoments(groups: Int) {
        var layout = ParameterLayout()
        let channels = 8, pixels = 6, images = 2
        let norm = ImageGroupNorm("n", channels: channels, groups: groups, layout: &layout)
        let p = layout.initialValues(seed: 0, as: Double.self)
        let x = Self.normals(images * pixels * channels, seed: 9, scale: 3).enumerated().map { $0.element + Double($0.offset % 5) }
        let y = Self.groupNorm(norm, images: images, pixels: pixels, x, p, silu: false)
        let size = channels / groups
        for i in 0..<images {
            for g in 0..<groups {
                var values: [Double] = []
                for q in 0..<pixels { for j in (g * size)..<((g + 1) * size) { values.append(y[(i * pixels + q) * channels + j]) } }
                let mean = values.reduce(0, +) / Double(values.count)
                let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
                #expect(abs(mean) < 1e-12)
                // The ε = 1e-5 in the denominator: variance = var/(var + ε).
                let raw: [Double] = (0..<pixels).flatMap { q in ((g * size)..<((g + 1) * size)).map { x[(i * pixels + q) * channels + $0] } }
                let rawMean = raw.reduce(0, +) / Double(raw.count)
                let rawVariance = raw.reduce(0) { $0 + ($1 - rawMean) * ($1 - rawMean) } / Double(raw.count)
                #expect(abs(variance - rawVariance / (rawVariance + 1e-5)) < 1e-12)
            }
        }
    }

    @Test("GroupNorm (+ SiLU) gradients match finite differences", arguments: [false, true])
    func groupNormGradients(silu: Bool) {
        var layout = ParameterLayout()
        let channels = 6, pixels = 5, images = 2, groups = 3
        let norm = ImageGroupNorm("n", channels: channels, groups: groups, layout: &layout)
        let p = Self.normals(layout.count, seed: 10, scale: 0.8).enumerated().map { $0.offset < channels ? 1 + $0.element : $0.element }
        let x = Self.normals(images * pixels * channels, seed: 11, scale: 2)
        let w = Self.normals(x.count, seed: 12)
        func loss(_ p: [Double], _ x: [Double]) -> Double {
            zip(Self.groupNorm(norm, images: images, pixels: pixels, x, p, silu: silu), w).reduce(0) { $0 + $1.0 * $1.1 }
        }
        // Statistics from a forward pass, then the backward pass accumulating onto a nonzero dx.
        var mean = [Double](repeating: 0, count: images * groups), rstd = mean
        var y = x
        var gradient = [Double](repeating: 0, count: layout.count)
        var dx = [Double](repeating: 0.25, count: x.count)
        x.withUnsafeBufferPointer { xp in
            p.withUnsafeBufferPointer { pp in
                mean.withUnsafeMutableBufferPointer { mp in
                    rstd.withUnsafeMutableBufferPointer { rp in
                        y.withUnsafeMutableBufferPointer { yp in
                            norm.forward(images: images, pixels: pixels, xp.baseAddress!, parameters: pp.baseAddress!, silu: silu,
                                         mean: mp.baseAddress!, rstd: rp.baseAddress!, into: yp.baseAddress!)
                        }
                        w.withUnsafeBufferPointer { wp in
                            gradient.withUnsafeMutableBufferPointer { gp in
                                dx.withUnsafeMutableBufferPointer { dp in
                                    norm.backward(images: images, pixels: pixels, wp.baseAddress!, x: xp.baseAddress!, mean: mp.baseAddress!,
                                                  rstd: rp.baseAddress!, parameters: pp.baseAddress!, silu: silu, accumulate: true,
                                                  gradient: gp.baseAddress!, into: dp.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
        }
        let scale = max(gradient.map(abs).max()!, 1e-3)
        var worst = 0.0
        for i in 0..<p.count {
            let numeric = Self.central { d in var q = p; q[i] += d; return loss(q, x) }
            worst = max(worst, abs(numeric - gradient[i]) / scale)
        }
        #expect(worst < 1e-7, "worst parameter gradient error \(worst)")
        let dxScale = max(dx.map { abs($0 - 0.25) }.max()!, 1e-3)
        var worstX = 0.0
        for i in 0..<x.count {
            let numeric = Self.central { d in var v = x; v[i] += d; return loss(p, v) }
            worstX = max(worstX, abs(numeric - (dx[i] - 0.25)) / dxScale)
        }
        #expect(worstX < 1e-7, "worst input gradient error \(worstX)")
    }
}
