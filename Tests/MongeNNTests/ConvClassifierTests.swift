import Foundation
import MongeNN
import Testing

/// The conv classifier's hand-written backward (convolutions, GroupNorm + SiLU, global average
/// pooling, the feature and head layers, the time projections) against central differences in
/// Double, and softmax cross-entropy against its closed forms and finite differences.
@Suite("Conv classifier")
struct ConvClassifierTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let config: ConvClassifierConfig
        let timesteps: Int
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "10 classes, 2×8×8 images, width 4", config: ConvClassifierConfig(
            image: ImageShape(channels: 2, height: 8, width: 8), width: 4, depth: 1, groups: 2, features: 5, classes: 10), timesteps: 0),
        Case(label: "flattened map instead of global pooling, 1×8×4", config: ConvClassifierConfig(
            image: ImageShape(channels: 1, height: 8, width: 4), width: 4, depth: 1, groups: 2, features: 5, classes: 3, globalPooling: false),
             timesteps: 0),
        Case(label: "time-dependent, 2 classes, 1×6×10 (odd sizes after down-sampling), depth 2", config: ConvClassifierConfig(
            image: ImageShape(channels: 1, height: 6, width: 10), width: 4, depth: 2, groups: 2, features: 6, classes: 2, timeEmbedding: 6),
             timesteps: 20),
    ]

    /// Five-point central difference of f at 0.
    static func central(_ f: (Double) -> Double) -> Double {
        let h = 1e-4
        return (8 * (f(h) - f(-h)) - (f(2 * h) - f(-2 * h))) / (12 * h)
    }

    /// PyTorch-like init with the GroupNorm scales and shifts moved off 1 and 0, so every term counts.
    static func randomParameters(_ network: ConvClassifier<Double>, seed: UInt64) -> [Double] {
        var p = network.initialParameters(seed: seed)
        let rng = RandomStream(seed: seed, stream: 5)
        for entry in network.layout.entries where entry.name.contains("norm") {
            for i in entry.range { p[i] += 0.3 * rng.normal(UInt64(i)) }
        }
        return p
    }

    /// L = Σ wl ⊙ logits + Σ wf ⊙ features: its output gradients are wl and wf.
    static func loss(_ network: ConvClassifier<Double>, _ p: [Double], _ x: [Double], _ t: [Int]?, _ wl: [Double], _ wf: [Double],
                     _ ws: ConvClassifierWorkspace<Double>) -> Double {
        let n = t?.count ?? 3, k = network.config.classes, f = network.config.features
        x.withUnsafeBufferPointer { xp in
            p.withUnsafeBufferPointer { pp in
                if let t {
                    t.withUnsafeBufferPointer { network.forward(images: n, xp.baseAddress!, timesteps: $0.baseAddress!, parameters: pp.baseAddress!, workspace: ws) }
                } else {
                    network.forward(images: n, xp.baseAddress!, timesteps: nil, parameters: pp.baseAddress!, workspace: ws)
                }
            }
        }
        var total = 0.0
        for i in 0..<(n * k) { total += wl[i] * ws.logits[i] }
        for i in 0..<(n * f) { total += wf[i] * ws.featureValues[i] }
        return total
    }

    @Test("Parameter and input gradients match central differences (Double, 1e-6 relative)", arguments: cases)
    func gradients(_ c: Case) throws {
        let network = try ConvClassifier<Double>(config: c.config, timesteps: c.timesteps)
        let n = 3, d = network.dimension, k = c.config.classes, f = c.config.features
        let t: [Int]? = c.config.isTimeDependent ? [3, 17, 3] : nil
        let p = Self.randomParameters(network, seed: 1)
        let x = (0..<(n * d)).map { RandomStream(seed: 2).normal(UInt64($0)) }
        let wl = (0..<(n * k)).map { RandomStream(seed: 3).normal(UInt64($0)) }
        let wf = (0..<(n * f)).map { RandomStream(seed: 4).normal(UInt64($0)) }
        let ws = network.makeWorkspace(images: n, training: true)
        _ = Self.loss(network, p, x, t, wl, wf, ws)
        var gradient = [Double](repeating: 0, count: network.parameterCount)
        var dx = [Double](repeating: 0, count: x.count)
        wl.withUnsafeBufferPointer { lp in
            wf.withUnsafeBufferPointer { fp in
                p.withUnsafeBufferPointer { pp in
                    gradient.withUnsafeMutableBufferPointer { gp in
                        dx.withUnsafeMutableBufferPointer { dp in
                            network.backward(logitGradient: lp.baseAddress!, featureGradient: fp.baseAddress!, parameters: pp.baseAddress!,
                                             workspace: ws, gradient: gp.baseAddress!, inputGradient: dp.baseAddress!)
                        }
                    }
                }
            }
        }
        let scale = gradient.map(abs).max()!
        var worst = 0.0, worstName = "", checked = 0
        for entry in network.layout.entries {
            for i in Set([entry.offset, entry.offset + entry.count / 2, entry.offset + entry.count - 1]) {
                let numeric = Self.central { h in var q = p; q[i] += h; return Self.loss(network, q, x, t, wl, wf, ws) }
                let error = abs(numeric - gradient[i]) / max(abs(numeric), 1e-2 * scale)
                checked += 1
                if error > worst { worst = error; worstName = "\(entry.name)[\(i - entry.offset)]" }
            }
        }
        #expect(worst < 1e-6, "worst parameter gradient error \(worst) at \(worstName) (\(checked) checked)")
        let dxScale = dx.map(abs).max()!
        var worstX = 0.0
        for i in 0..<x.count {
            let numeric = Self.central { h in var y = x; y[i] += h; return Self.loss(network, p, y, t, wl, wf, ws) }
            worstX = max(worstX, abs(numeric - dx[i]) / max(abs(numeric), 1e-2 * dxScale))
        }
        #expect(worstX < 1e-6, "worst input gradient error \(worstX)")
        #expect(scale > 1e-2 && dxScale > 1e-3)
    }

    @Test("The time projections matter: another timestep changes the logits and its gradient is checked above")
    func timeDependence() throws {
        let c = Self.cases.first { $0.config.isTimeDependent }!
        let network = try ConvClassifier<Double>(config: c.config, timesteps: c.timesteps)
        let p = Self.randomParameters(network, seed: 1)
        let x: Matrix<Double> = RandomStream(seed: 2).normalMatrix(rows: 2, columns: network.dimension)
        let early = network.evaluate(x, timestep: 1, parameters: p).logits, late = network.evaluate(x, timestep: 19, parameters: p).logits
        #expect(zip(early.storage, late.storage).map { abs($0 - $1) }.max()! > 1e-3)
    }

    @Test("An image's logits and features do not depend on its batch (bitwise, Float, across tiles)")
    func batchIndependence() throws {
        let config = ConvClassifierConfig(image: ImageShape(channels: 1, height: 8, width: 8), width: 8, groups: 4, features: 12, classes: 10)
        let network = try ConvClassifier<Float>(config: config)
        let p = network.initialParameters(seed: 3)
        let n = 2 * ConvClassifier<Float>.tileImages + 3, d = network.dimension
        let x: Matrix<Float> = RandomStream(seed: 8).normalMatrix(rows: n, columns: d)
        let all = network.evaluate(x, parameters: p)
        for i in [0, 5, n - 1] {
            let one = network.evaluate(x.rows(i..<(i + 1)), parameters: p)
            #expect(Array(one.logits.storage) == Array(all.logits.storage[(i * 10)..<((i + 1) * 10)]), "image \(i)")
            #expect(Array(one.features.storage) == Array(all.features.storage[(i * 12)..<((i + 1) * 12)]), "image \(i)")
        }
        #expect(network.predict(x, parameters: p).count == n)
    }

    @Test("Softmax cross-entropy: log K at equal logits, gradient rows sum to 0, and central differences")
    func softmaxCrossEntropy() {
        let k = 4
        var g = [Double](repeating: 0, count: 2 * k)
        let equal = [Double](repeating: 0.7, count: 2 * k), labels = [1, 3]
        let loss = SoftmaxCrossEntropy.lossAndGradient(rows: 2, classes: k, logits: equal, labels: labels, scale: 1, gradient: &g)
        #expect(abs(loss - 2 * log(4.0)) < 1e-12)
        #expect(abs(g[1] - (0.25 - 1)) < 1e-12 && abs(g[0] - 0.25) < 1e-12)
        let z = (0..<(2 * k)).map { 3 * RandomStream(seed: 9).normal(UInt64($0)) }
        _ = SoftmaxCrossEntropy.lossAndGradient(rows: 2, classes: k, logits: z, labels: labels, scale: 0.5, gradient: &g)
        for row in 0..<2 { #expect(abs(g[(row * k)..<((row + 1) * k)].reduce(0, +)) < 1e-12) }
        var scratch = g
        for i in 0..<(2 * k) {
            let numeric = Self.central { h in
                var y = z; y[i] += h
                return 0.5 * SoftmaxCrossEntropy.lossAndGradient(rows: 2, classes: k, logits: y, labels: labels, scale: 1, gradient: &scratch)
            }
            #expect(abs(numeric - g[i]) <= 1e-6 * max(abs(numeric), 1e-3), "logit \(i)")
        }
    }

    @Test("Config errors name the field")
    func configErrors() {
        let image = ImageShape(channels: 1, height: 28, width: 28)
        #expect(throws: MongeError.self) { try ConvClassifier<Float>(config: ConvClassifierConfig(image: ImageShape(channels: 1, height: 3, width: 12))) }
        #expect(throws: MongeError.self) { try ConvClassifier<Float>(config: ConvClassifierConfig(image: image, width: 12, groups: 8)) }
        #expect(throws: MongeError.self) { try ConvClassifier<Float>(config: ConvClassifierConfig(image: image, classes: 1)) }
        #expect(throws: MongeError.self) { try ConvClassifier<Float>(config: ConvClassifierConfig(image: image, timeEmbedding: 8)) }
        #expect(throws: MongeError.self) { try ConvClassifier<Float>(config: ConvClassifierConfig(image: image), timesteps: 10) }
        do {
            _ = try ConvClassifier<Float>(config: ConvClassifierConfig(image: ImageShape(channels: 1, height: 3, width: 12)))
            Issue.record("3×12 images were accepted")
        } catch {
            #expect("\(error)".contains("at least 4×4"))
        }
    }
}
