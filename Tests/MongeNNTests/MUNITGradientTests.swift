import MongeNN
import Testing

/// MUNIT's layers and losses against central finite differences, in Double.
///
/// Each layer is checked on L = Σ C ⊙ y with random weights C (∂L/∂y = C): every parameter and
/// every input coordinate is perturbed by ±h, ±2h (five-point difference, error O(h⁴) plus
/// rounding ≈ 1e-16·|L|/h). A wrong term of a backward pass shows up at O(1). The whole generator
/// and discriminator losses (L1 and least squares through chained networks) are checked the same way.
@Suite("MUNIT gradients vs finite differences")
struct MUNITGradientTests {
    static func difference(h: Double = 1e-4, _ f: (Double) -> Double) -> Double {
        (8 * (f(h) - f(-h)) - (f(2 * h) - f(-2 * h))) / (12 * h)
    }

    static func random(_ count: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        let rng = RandomStream(seed: seed, stream: 131)
        return (0..<count).map { scale * rng.normal(UInt64($0)) }
    }

    static func matrix(_ rows: Int, _ columns: Int, seed: UInt64) -> Matrix<Double> {
        try! Matrix(rows: rows, columns: columns, storage: random(rows * columns, seed: seed))
    }

    static func dot(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double {
        zip(a.storage, b.storage).reduce(0.0) { $0 + $1.0 * $1.1 }
    }

    /// The worst |numeric − analytic| over `values`, relative to max(max |analytic|, 1e-3).
    static func worstError(_ values: [Double], analytic: [Double], h: Double = 1e-4, loss: ([Double]) -> Double) -> Double {
        let scale = max(analytic.map(abs).max() ?? 0, 1e-3)
        var worst = 0.0
        for k in values.indices {
            let numeric = difference(h: h) { delta in
                var v = values
                v[k] += delta
                return loss(v)
            }
            worst = max(worst, abs(numeric - analytic[k]) / scale)
        }
        return worst
    }

    @Test func adaptiveLayerNormMatchesFiniteDifferences() {
        let n = 5, w = 6
        let norm = AdaptiveLayerNorm(features: w)
        let x = Self.matrix(n, w, seed: 1), gamma = Self.matrix(n, w, seed: 2), beta = Self.matrix(n, w, seed: 3)
        let c = Self.matrix(n, w, seed: 4)
        func loss(_ x: [Double], _ gamma: [Double], _ beta: [Double]) -> Double {
            var y = [Double](repeating: 0, count: n * w)
            _ = norm.forward(rows: n, x, gamma: gamma, ldGamma: w, beta: beta, ldBeta: w, into: &y)
            return zip(y, c.storage).reduce(0.0) { $0 + $1.0 * $1.1 }
        }
        var y = [Double](repeating: 0, count: n * w)
        let cache = norm.forward(rows: n, x.storage, gamma: gamma.storage, ldGamma: w, beta: beta.storage, ldBeta: w, into: &y)
        var dx = [Double](repeating: 0, count: n * w), dg = dx, db = dx
        norm.backward(rows: n, c.storage, cache: cache, gamma: gamma.storage, ldGamma: w, dx: &dx, dGamma: &dg, dBeta: &db, ldModulation: w)
        let ex = Self.worstError(x.storage, analytic: dx) { loss($0, gamma.storage, beta.storage) }
        let eg = Self.worstError(gamma.storage, analytic: dg) { loss(x.storage, $0, beta.storage) }
        let eb = Self.worstError(beta.storage, analytic: db) { loss(x.storage, gamma.storage, $0) }
        #expect(ex < 1e-8, "∂L/∂x: worst error \(ex)")
        #expect(eg < 1e-8, "∂L/∂γ: worst error \(eg)")
        #expect(eb < 1e-8, "∂L/∂β: worst error \(eb)")
        // The normalised features of each row have mean 0 and variance 1/(1 + ε/σ²).
        for i in 0..<n {
            let row = (0..<w).map { cache.xhat[i * w + $0] }
            #expect(abs(row.reduce(0, +)) < 1e-12)
        }
    }

    @Test func unitNormalizationMatchesFiniteDifferences() {
        let u = Self.matrix(7, 2, seed: 5), c = Self.matrix(7, 2, seed: 6)
        let (code, norms) = UnitNormalization.forward(u)
        for i in 0..<u.rows { #expect(abs(code[i, 0] * code[i, 0] + code[i, 1] * code[i, 1] - 1) < 1e-14) }
        let du = UnitNormalization.backward(output: code, norms: norms, outputGradient: c)
        let worst = Self.worstError(u.storage, analytic: du.storage) {
            Self.dot(UnitNormalization.forward(try! Matrix(rows: 7, columns: 2, storage: $0)).output, c)
        }
        #expect(worst < 1e-8, "worst error \(worst)")
        // A zero row gives a finite (zero) code, not NaN.
        let zero = UnitNormalization.forward(Matrix<Double>(rows: 1, columns: 2)).output.storage
        #expect(zero.allSatisfy { $0.isFinite })
    }

    static let activations: [Activation] = [.relu, .leakyReLU, .silu]

    @Test(arguments: activations)
    func perceptronMatchesFiniteDifferences(_ activation: Activation) throws {
        var layout = ParameterLayout()
        _ = layout.add("before", shape: [3], initialization: .constant(0))  // the network is not at offset 0
        let net = try Perceptron("net", config: PerceptronConfig(inputs: 3, outputs: 2, width: 5, depth: 2, activation: activation,
                                                                 negativeSlope: 0.2), layout: &layout)
        let p = Self.random(layout.count, seed: 7, scale: 0.6)
        let x = Self.matrix(6, 3, seed: 8), c = Self.matrix(6, 2, seed: 9)
        var g = [Double](repeating: 0, count: layout.count)
        let dx = p.withUnsafeBufferPointer { p in
            g.withUnsafeMutableBufferPointer { g in
                net.backward(net.forward(x, parameters: p.baseAddress!), outputGradient: c, parameters: p.baseAddress!, gradient: g.baseAddress!)
            }
        }
        func loss(_ p: [Double], _ x: Matrix<Double>) -> Double {
            p.withUnsafeBufferPointer { Self.dot(net.forward(x, parameters: $0.baseAddress!).output, c) }
        }
        let ep = Self.worstError(p, analytic: g) { loss($0, x) }
        let ex = Self.worstError(x.storage, analytic: dx.storage) { loss(p, try! Matrix(rows: 6, columns: 3, storage: $0)) }
        #expect(ep < 1e-7, "parameters: worst error \(ep)")
        #expect(ex < 1e-7, "input: worst error \(ex)")
        #expect(g[0..<3].allSatisfy { $0 == 0 }, "a tensor outside the network got gradient")
        #expect(g.map(abs).max()! > 1e-3)
    }

    @Test(arguments: activations)
    func styleDecoderMatchesFiniteDifferences(_ activation: Activation) throws {
        var layout = ParameterLayout()
        let config = StyleDecoderConfig(content: 2, style: 3, outputs: 2, width: 5, depth: 2, styleWidth: 4, styleDepth: 1,
                                        activation: activation, negativeSlope: 0.1)
        let decoder = try StyleDecoder("dec", config: config, layout: &layout)
        let p = Self.random(layout.count, seed: 10, scale: 0.6)
        let rows = 6
        let content = Self.matrix(rows, 2, seed: 11), style = Self.matrix(rows, 3, seed: 12), c = Self.matrix(rows, 2, seed: 13)
        func loss(_ p: [Double], _ content: Matrix<Double>, _ style: Matrix<Double>) -> Double {
            p.withUnsafeBufferPointer { Self.dot(decoder.forward(content: content, style: style, parameters: $0.baseAddress!).output, c) }
        }
        var g = [Double](repeating: 0, count: layout.count)
        let (dc, ds) = p.withUnsafeBufferPointer { p in
            g.withUnsafeMutableBufferPointer { g in
                decoder.backward(decoder.forward(content: content, style: style, parameters: p.baseAddress!), outputGradient: c,
                                 parameters: p.baseAddress!, gradient: g.baseAddress!)
            }
        }
        let ep = Self.worstError(p, analytic: g) { loss($0, content, style) }
        let ec = Self.worstError(content.storage, analytic: dc.storage) { loss(p, try! Matrix(rows: rows, columns: 2, storage: $0), style) }
        let es = Self.worstError(style.storage, analytic: ds.storage) { loss(p, content, try! Matrix(rows: rows, columns: 3, storage: $0)) }
        #expect(ep < 1e-7, "parameters: worst error \(ep)")
        #expect(ec < 1e-7, "content: worst error \(ec)")
        #expect(es < 1e-7, "style: worst error \(es)")
        // The style reaches the output (the modulation is not a no-op).
        #expect(ds.storage.map(abs).max()! > 1e-3)
    }

    /// A small MUNIT with smooth activations (the L1 and ReLU kinks are then the only
    /// non-smooth points; h = 1e-5 keeps the seeded check away from them).
    static let smallConfig = MUNITConfig(width: 4, encoderDepth: 1, decoderDepth: 2, styleMLPWidth: 3, styleMLPDepth: 1,
                                         discriminatorWidth: 4, discriminatorDepth: 2, activation: .silu, discriminatorActivation: .silu,
                                         weights: MUNITLossWeights(adversarial: 1, image: 10, content: 1, style: 1, cycle: 10))

    @Test func generatorLossMatchesFiniteDifferences() throws {
        let model = try MUNIT<Double>(config: Self.smallConfig)
        let gp = Self.random(model.generatorLayout.count, seed: 20, scale: 0.6)
        let dp = Self.random(model.discriminatorLayout.count, seed: 21, scale: 0.6)
        let xa = Self.matrix(5, 2, seed: 22), xb = Self.matrix(4, 2, seed: 23)
        let sa = Self.matrix(4, 2, seed: 24), sb = Self.matrix(5, 2, seed: 25)
        var g = [Double](repeating: 0, count: model.generatorLayout.count)
        let loss = model.generatorLoss(a: xa, b: xb, styleA: sa, styleB: sb, generator: gp, discriminator: dp, gradient: &g)
        // Every term is active, so every path of the backward pass is exercised.
        for term in [loss.adversarial, loss.image, loss.content, loss.style, loss.cycle] { #expect(term.allSatisfy { $0 > 1e-3 }) }
        var scratch = g
        let worst = Self.worstError(gp, analytic: g, h: 1e-5) {
            model.generatorLoss(a: xa, b: xb, styleA: sa, styleB: sb, generator: $0, discriminator: dp, gradient: &scratch).total
        }
        #expect(worst < 1e-6, "generator loss: worst error \(worst)")
        #expect(g.map(abs).max()! > 1e-2)
    }

    @Test func discriminatorLossMatchesFiniteDifferences() throws {
        let model = try MUNIT<Double>(config: Self.smallConfig)
        let gp = Self.random(model.generatorLayout.count, seed: 30, scale: 0.6)
        let dp = Self.random(model.discriminatorLayout.count, seed: 31, scale: 0.6)
        let xa = Self.matrix(5, 2, seed: 32), xb = Self.matrix(4, 2, seed: 33)
        let sa = Self.matrix(4, 2, seed: 34), sb = Self.matrix(5, 2, seed: 35)
        var g = [Double](repeating: 0, count: model.discriminatorLayout.count)
        _ = model.discriminatorLoss(a: xa, b: xb, styleA: sa, styleB: sb, generator: gp, discriminator: dp, gradient: &g)
        var scratch = g
        let worst = Self.worstError(dp, analytic: g) {
            model.discriminatorLoss(a: xa, b: xb, styleA: sa, styleB: sb, generator: gp, discriminator: $0, gradient: &scratch).reduce(0, +)
        }
        #expect(worst < 1e-7, "discriminator loss: worst error \(worst)")
    }

    @Test func rejectsBadConfigs() {
        #expect(throws: MongeError.self) { try MUNIT<Float>(config: MUNITConfig(content: 1)) }
        #expect(throws: MongeError.self) { try MUNIT<Float>(config: MUNITConfig(width: 0)) }
        #expect(throws: MongeError.self) { try MUNIT<Float>(config: MUNITConfig(weights: MUNITLossWeights(style: -1))) }
        #expect(throws: MongeError.self) { try MUNIT<Float>(config: MUNITConfig(decoderDepth: 0)) }
    }

    /// Each seed draws its own initial networks (a former bug derived them from the stream tag
    /// alone, so every seed of a MUNIT grid started from the same weights).
    @Test func initialParametersDependOnTheSeed() throws {
        let model = try MUNIT<Float>(config: MUNITConfig())
        let (g3, d3) = model.initialParameters(seed: 3), (g4, d4) = model.initialParameters(seed: 4)
        #expect(g3 == model.initialParameters(seed: 3).generator)
        #expect(g3 != g4 && d3 != d4)
        let image = try ImageMUNIT<Float>(config: ImageMUNITGradientTests.tiny)
        let (i3, j3) = image.initialParameters(seed: 3), (i4, j4) = image.initialParameters(seed: 4)
        #expect(i3 == image.initialParameters(seed: 3).generator)
        #expect(i3 != i4 && j3 != j4)
    }

    @Test func rowsAreIndependentOfTheBatch() throws {
        let model = try MUNIT<Float>(config: MUNITConfig())
        let (gp, _) = model.initialParameters(seed: 3)
        let x: Matrix<Float> = RandomStream(seed: 1).normalMatrix(rows: 33, columns: 2, firstRow: 0)
        let s: Matrix<Float> = RandomStream(seed: 2).normalMatrix(rows: 33, columns: 2, firstRow: 0)
        let all = model.translate(from: .a, x, style: s, generator: gp)
        let part = model.translate(from: .a, x.rows(7..<12), style: s.rows(7..<12), generator: gp)
        for i in 0..<5 { for j in 0..<2 { #expect(part[i, j] == all[i + 7, j]) } }
    }
}
