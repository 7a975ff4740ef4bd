import Foundation
import MongeNN
import Testing

/// The image MUNIT's layers and losses against central finite differences in Double, and the
/// closed forms that exist (instance norm's per-channel moments, pooling as a mean).
///
/// As `MUNITGradientTests`: L = Σ C ⊙ y with random C, five-point differences, the worst error
/// relative to the largest analytic derivative. ReLU and L1 kinks are non-smooth points; the
/// seeded inputs keep h = 1e-6 away from them.
@Suite("Image MUNIT gradients vs finite differences")
struct ImageMUNITGradientTests {
    typealias T = MUNITGradientTests

    static func image(_ pixels: Int, _ channels: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        T.random(pixels * channels, seed: seed, scale: scale)
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0.0) { $0 + $1.0 * $1.1 } }

    @Test func instanceNormHasZeroMeanUnitVarianceAndMatchesFiniteDifferences() {
        let pixels = 12, c = 3
        let norm = InstanceNorm(channels: c)
        // Channels of very different offsets and scales.
        var x = Self.image(pixels, c, seed: 1)
        for q in 0..<pixels { x[q * c + 1] = 5 + 3 * x[q * c + 1]; x[q * c + 2] *= 0.5 }
        let gamma = T.random(c, seed: 2), beta = T.random(c, seed: 3), weights = Self.image(pixels, c, seed: 4)
        func forward(_ x: [Double], _ gamma: [Double]?, _ beta: [Double]?) -> ([Double], InstanceNorm.Cache<Double>) {
            var y = [Double](repeating: 0, count: x.count)
            let cache = x.withUnsafeBufferPointer { xs in
                y.withUnsafeMutableBufferPointer { ys in
                    (gamma ?? []).withUnsafeBufferPointer { gs in
                        (beta ?? []).withUnsafeBufferPointer { bs in
                            norm.forward(pixels: pixels, xs.baseAddress!, gamma: gamma == nil ? nil : gs.baseAddress!,
                                         beta: beta == nil ? nil : bs.baseAddress!, into: ys.baseAddress!)
                        }
                    }
                }
            }
            return (y, cache)
        }
        // Affine off: per channel mean 0 and variance σ²/(σ² + ε) (1 up to ε).
        let (plain, _) = forward(x, nil, nil)
        for j in 0..<c {
            let values = (0..<pixels).map { plain[$0 * c + j] }, raw = (0..<pixels).map { x[$0 * c + j] }
            let mean = values.reduce(0, +) / Double(pixels)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(pixels)
            let rawMean = raw.reduce(0, +) / Double(pixels)
            let rawVariance = raw.map { ($0 - rawMean) * ($0 - rawMean) }.reduce(0, +) / Double(pixels)
            #expect(abs(mean) < 1e-12)
            #expect(abs(variance - rawVariance / (rawVariance + InstanceNorm.epsilon)) < 1e-12)
        }
        // AdaIN: y = γ x̂ + β per channel, and its gradients.
        let (y, cache) = forward(x, gamma, beta)
        for q in 0..<pixels { for j in 0..<c { #expect(abs(y[q * c + j] - (gamma[j] * plain[q * c + j] + beta[j])) < 1e-12) } }
        var dx = [Double](repeating: 0, count: x.count), dGamma = [Double](repeating: 0, count: c), dBeta = dGamma
        weights.withUnsafeBufferPointer { w in
            x.withUnsafeBufferPointer { xs in
                gamma.withUnsafeBufferPointer { gs in
                    dx.withUnsafeMutableBufferPointer { d in
                        dGamma.withUnsafeMutableBufferPointer { dg in
                            dBeta.withUnsafeMutableBufferPointer { db in
                                norm.backward(pixels: pixels, w.baseAddress!, x: xs.baseAddress!, cache: cache, gamma: gs.baseAddress!,
                                              accumulate: false, into: d.baseAddress!, dGamma: dg.baseAddress!, dBeta: db.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        let ex = T.worstError(x, analytic: dx, h: 1e-5) { Self.dot(forward($0, gamma, beta).0, weights) }
        let eg = T.worstError(gamma, analytic: dGamma, h: 1e-5) { Self.dot(forward(x, $0, beta).0, weights) }
        let eb = T.worstError(beta, analytic: dBeta, h: 1e-5) { Self.dot(forward(x, gamma, $0).0, weights) }
        #expect(ex < 1e-8, "∂L/∂x: worst error \(ex)")
        #expect(eg < 1e-8, "∂L/∂γ: worst error \(eg)")
        #expect(eb < 1e-8, "∂L/∂β: worst error \(eb)")
    }

    @Test func globalAveragePoolingIsTheMeanAndItsAdjoint() {
        let pixels = 6, c = 4
        let x = Self.image(pixels, c, seed: 5), dp = T.random(c, seed: 6)
        var p = [Double](repeating: 0, count: c), dx = [Double](repeating: 7, count: pixels * c)
        x.withUnsafeBufferPointer { xs in p.withUnsafeMutableBufferPointer { GlobalAveragePooling.forward(pixels: pixels, channels: c, xs.baseAddress!, into: $0.baseAddress!) } }
        for j in 0..<c { #expect(abs(p[j] - (0..<pixels).map { x[$0 * c + j] }.reduce(0, +) / Double(pixels)) < 1e-14) }
        dp.withUnsafeBufferPointer { d in dx.withUnsafeMutableBufferPointer { GlobalAveragePooling.backward(pixels: pixels, channels: c, d.baseAddress!, accumulate: false, into: $0.baseAddress!) } }
        // ⟨pool(x), dp⟩ = ⟨x, poolᵀ(dp)⟩.
        #expect(abs(Self.dot(p, dp) - Self.dot(x, dx)) < 1e-13)
    }

    /// One unit of every kind MUNIT's networks use, checked on parameters, input and (AdaIN) γ, β.
    static let units: [(String, ConvUnitNormKind, ConvUnitActivation, Int, Int, Bool)] = [
        ("instance+relu", .instance, .relu, 3, 1, false),
        ("instance, stride 2", .instance, .relu, 3, 2, false),
        ("adaptive", .adaptive, .relu, 3, 1, false),
        ("adaptive, no activation", .adaptive, .none, 3, 1, false),
        ("up-sampled + layer norm", .layer, .relu, 3, 1, true),
        ("tanh output", .none, .tanh, 3, 1, false),
        ("patch discriminator conv", .none, .leakyReLU, 3, 2, false),
        ("patch score 1×1", .none, .none, 1, 1, false),
    ]

    @Test(arguments: 0..<units.count)
    func convUnitMatchesFiniteDifferences(_ index: Int) {
        let (name, norm, activation, kernel, stride, upsampled) = Self.units[index]
        var layout = ParameterLayout()
        _ = layout.add("before", shape: [2], initialization: .constant(0))
        let unit = ConvUnit("u", inputs: 2, outputs: 3, kernel: kernel, stride: stride, upsampled: upsampled, norm: norm, activation: activation,
                            height: 6, width: 4, layout: &layout)
        var p = T.random(layout.count, seed: 10 + UInt64(index), scale: 0.7)
        p[0] = 0; p[1] = 0
        let x = T.random(unit.inputCount, seed: 20 + UInt64(index))
        let adaptive = norm == .adaptive
        let gamma = adaptive ? T.random(3, seed: 30) : [], beta = adaptive ? T.random(3, seed: 31) : []
        let c = T.random(unit.outputCount, seed: 40 + UInt64(index))
        var column = [Double](repeating: 0, count: unit.columnCount)
        func loss(_ p: [Double], _ x: [Double], _ gamma: [Double], _ beta: [Double]) -> Double {
            p.withUnsafeBufferPointer { ps in
                gamma.withUnsafeBufferPointer { gs in
                    beta.withUnsafeBufferPointer { bs in
                        column.withUnsafeMutableBufferPointer { col in
                            Self.dot(unit.forward(x, gamma: adaptive ? gs.baseAddress! : nil, beta: adaptive ? bs.baseAddress! : nil, parameters: ps.baseAddress!,
                                                  packed: unit.packedParameters(ps.baseAddress!), column: col.baseAddress!).output, c)
                        }
                    }
                }
            }
        }
        var g = [Double](repeating: 0, count: layout.count), dGamma = [Double](repeating: 0, count: 3), dBeta = dGamma
        let dx: [Double] = p.withUnsafeBufferPointer { ps in
            gamma.withUnsafeBufferPointer { gs in
                beta.withUnsafeBufferPointer { bs in
                    column.withUnsafeMutableBufferPointer { col in
                        g.withUnsafeMutableBufferPointer { gg in
                            dGamma.withUnsafeMutableBufferPointer { dg in
                                dBeta.withUnsafeMutableBufferPointer { db in
                                    let pass = unit.forward(x, gamma: adaptive ? gs.baseAddress! : nil, beta: adaptive ? bs.baseAddress! : nil,
                                                            parameters: ps.baseAddress!, packed: unit.packedParameters(ps.baseAddress!), column: col.baseAddress!)
                                    return unit.backward(pass, outputGradient: c, gamma: adaptive ? gs.baseAddress! : nil, dGamma: dg.baseAddress!,
                                                         dBeta: db.baseAddress!, parameters: ps.baseAddress!, gradient: gg.baseAddress!, column: col.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
        }
        let ep = T.worstError(p, analytic: g, h: 1e-6) { loss($0, x, gamma, beta) }
        let ex = T.worstError(x, analytic: dx, h: 1e-6) { loss(p, $0, gamma, beta) }
        #expect(ep < 1e-6, "\(name): parameters, worst error \(ep)")
        #expect(ex < 1e-6, "\(name): input, worst error \(ex)")
        #expect(g[0] == 0 && g[1] == 0, "\(name): a tensor outside the unit got gradient")
        if adaptive {
            let eg = T.worstError(gamma, analytic: dGamma, h: 1e-6) { loss(p, x, $0, beta) }
            let eb = T.worstError(beta, analytic: dBeta, h: 1e-6) { loss(p, x, gamma, $0) }
            #expect(eg < 1e-6 && eb < 1e-6, "\(name): γ \(eg), β \(eb)")
        }
    }

    @Test func adaINResidualStackMatchesFiniteDifferences() {
        var layout = ParameterLayout()
        let h = 4, w = 4, ch = 3
        let blocks = (0..<2).map { k in
            ResidualPair(first: ConvUnit("r\(k).0", inputs: ch, outputs: ch, norm: .adaptive, activation: .relu, height: h, width: w, layout: &layout),
                         second: ConvUnit("r\(k).1", inputs: ch, outputs: ch, norm: .adaptive, activation: .none, height: h, width: w, layout: &layout))
        }
        let tail = [ConvUnit("up", inputs: ch, outputs: 2, upsampled: true, norm: .layer, activation: .relu, height: 2 * h, width: 2 * w, layout: &layout),
                    ConvUnit("out", inputs: 2, outputs: 1, norm: .none, activation: .tanh, height: 2 * h, width: 2 * w, layout: &layout)]
        let stack = ConvStack(head: [], blocks: blocks, tail: tail)
        #expect(stack.modulationCount == 2 * 2 * 2 * ch)
        let p = T.random(layout.count, seed: 50, scale: 0.6), x = T.random(stack.inputCount, seed: 51)
        let m = T.random(stack.modulationCount, seed: 52, scale: 0.5), c = T.random(stack.outputCount, seed: 53)
        var column = [Double](repeating: 0, count: stack.columnCount)
        func loss(_ p: [Double], _ x: [Double], _ m: [Double]) -> Double {
            p.withUnsafeBufferPointer { ps in
                column.withUnsafeMutableBufferPointer { col in
                    Self.dot(stack.forward(x, modulation: m, parameters: ps.baseAddress!, packed: stack.packedParameters(ps.baseAddress!),
                                           column: col.baseAddress!).output, c)
                }
            }
        }
        var g = [Double](repeating: 0, count: layout.count), dm = [Double](repeating: 0, count: m.count)
        let dx: [Double] = p.withUnsafeBufferPointer { ps in
            column.withUnsafeMutableBufferPointer { col in
                g.withUnsafeMutableBufferPointer { gg in
                    let pass = stack.forward(x, modulation: m, parameters: ps.baseAddress!, packed: stack.packedParameters(ps.baseAddress!), column: col.baseAddress!)
                    return stack.backward(pass, outputGradient: c, modulationGradient: &dm, parameters: ps.baseAddress!, gradient: gg.baseAddress!,
                                          column: col.baseAddress!)
                }
            }
        }
        let ep = T.worstError(p, analytic: g, h: 1e-6) { loss($0, x, m) }
        let ex = T.worstError(x, analytic: dx, h: 1e-6) { loss(p, $0, m) }
        let em = T.worstError(m, analytic: dm, h: 1e-6) { loss(p, x, $0) }
        #expect(ep < 1e-6, "parameters: worst error \(ep)")
        #expect(ex < 1e-6, "input: worst error \(ex)")
        #expect(em < 1e-6, "modulation: worst error \(em)")
        #expect(dm.map(abs).max()! > 1e-3, "the style modulation reaches the output")
    }

    /// A tiny image MUNIT: 1×4×4 images, one down-sampling, one residual block.
    static let tiny = ImageMUNITConfig(image: ImageShape(channels: 1, height: 4, width: 4), channels: 2, downsamplings: 1, residualBlocks: 1,
                                       style: 2, mlpWidth: 3, mlpDepth: 1, discriminatorChannels: 2, discriminatorDownsamplings: 1)

    static func images(_ rows: Int, seed: UInt64) -> Matrix<Double> {
        try! Matrix(rows: rows, columns: 16, storage: T.random(rows * 16, seed: seed, scale: 0.5).map { tanh($0) })
    }

    @Test func generatorLossMatchesFiniteDifferences() throws {
        let model = try ImageMUNIT<Double>(config: Self.tiny)
        let gp = T.random(model.generatorLayout.count, seed: 60, scale: 0.6), dp = T.random(model.discriminatorLayout.count, seed: 61, scale: 0.6)
        let xa = Self.images(3, seed: 62), xb = Self.images(3, seed: 63), sa = T.matrix(3, 2, seed: 64), sb = T.matrix(3, 2, seed: 65)
        var g = [Double](repeating: 0, count: model.generatorLayout.count)
        let loss = model.generatorLoss(a: xa, b: xb, styleA: sa, styleB: sb, generator: gp, discriminator: dp, gradient: &g)
        for term in [loss.adversarial, loss.image, loss.content, loss.style] { #expect(term.allSatisfy { $0 > 1e-3 }, "\(loss)") }
        // Every third parameter and the first of every tensor (the full check takes a minute).
        var checked = Set(stride(from: 0, to: gp.count, by: 3))
        for entry in model.generatorLayout.entries { checked.insert(entry.range.lowerBound) }
        let scale = max(g.map(abs).max()!, 1e-3)
        var scratch = g, worst = 0.0
        for k in checked.sorted() {
            let numeric = T.difference(h: 1e-6) { delta in
                var p = gp
                p[k] += delta
                return model.generatorLoss(a: xa, b: xb, styleA: sa, styleB: sb, generator: p, discriminator: dp, gradient: &scratch).total
            }
            worst = max(worst, abs(numeric - g[k]) / scale)
        }
        #expect(worst < 1e-6, "generator loss: worst error \(worst)")
        #expect(g.map(abs).max()! > 1e-2)
    }

    @Test func discriminatorLossMatchesFiniteDifferences() throws {
        let model = try ImageMUNIT<Double>(config: Self.tiny)
        let gp = T.random(model.generatorLayout.count, seed: 70, scale: 0.6), dp = T.random(model.discriminatorLayout.count, seed: 71, scale: 0.6)
        let xa = Self.images(3, seed: 72), xb = Self.images(3, seed: 73), sa = T.matrix(3, 2, seed: 74), sb = T.matrix(3, 2, seed: 75)
        var g = [Double](repeating: 0, count: model.discriminatorLayout.count)
        _ = model.discriminatorLoss(a: xa, b: xb, styleA: sa, styleB: sb, generator: gp, discriminator: dp, gradient: &g)
        var scratch = g
        let worst = T.worstError(dp, analytic: g, h: 1e-6) {
            model.discriminatorLoss(a: xa, b: xb, styleA: sa, styleB: sb, generator: gp, discriminator: $0, gradient: &scratch).reduce(0, +)
        }
        #expect(worst < 1e-6, "discriminator loss: worst error \(worst)")
    }

    @Test func imagesAreIndependentOfTheBatchAndStylesMatter() throws {
        let model = try ImageMUNIT<Float>(config: Self.tiny)
        let (gp, _) = model.initialParameters(seed: 3)
        let x = Self.images(9, seed: 80).converted(to: Float.self), s: Matrix<Float> = RandomStream(seed: 2).normalMatrix(rows: 9, columns: 2, firstRow: 0)
        let all = model.translate(from: .a, x, style: s, generator: gp)
        let part = model.translate(from: .a, x.rows(3..<6), style: s.rows(3..<6), generator: gp)
        #expect(part == all.rows(3..<6))
        let other = model.translate(from: .a, x, style: s.rows(0..<1).repeatedRows(9), generator: gp)
        #expect(other.rows(1..<9) != all.rows(1..<9))
    }

    @Test func rejectsBadConfigs() {
        let image = ImageShape(channels: 1, height: 14, width: 14)
        #expect(throws: MongeError.self) { try ImageMUNIT<Float>(config: ImageMUNITConfig(image: image, downsamplings: 2)) }  // 14 not divisible by 4
        #expect(throws: MongeError.self) { try ImageMUNIT<Float>(config: ImageMUNITConfig(image: image, residualBlocks: 0)) }
        #expect(throws: MongeError.self) { try ImageMUNIT<Float>(config: ImageMUNITConfig(image: image, weights: MUNITLossWeights(cycle: 1))) }
        #expect(throws: MongeError.self) { try ImageMUNIT<Float>(config: ImageMUNITConfig(image: image, style: 0)) }
        #expect(throws: Never.self) { try ImageMUNIT<Float>(config: ImageMUNITConfig(image: image)) }
    }
}

extension Matrix {
    /// The rows of a one-row matrix repeated `count` times.
    func repeatedRows(_ count: Int) -> Matrix {
        Matrix.vstack([Matrix](repeating: self, count: count))
    }
}
