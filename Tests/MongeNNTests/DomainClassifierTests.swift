import MongeNN
import Testing

/// The domain classifier's hand-written backprop against central finite differences, in Double.
///
/// The loss L = Σ c ⊙ logit + Σ G ⊙ F(y, t) with random weights c and G depends on both outputs,
/// so both backward entries (logits and features) are exercised. Five-point differences with
/// h = 1e-4 have error O(h⁴) plus rounding ≈ 1e-12/h, far below the 1e-7 tolerance.
@Suite("Domain classifier gradients")
struct DomainClassifierTests {
    static let configs: [ClassifierConfig] = [
        ClassifierConfig(dimension: 2, width: 6, depth: 3, timeEmbedding: 4),
        ClassifierConfig(dimension: 3, width: 5, depth: 1, timeEmbedding: 6, activation: .leakyReLU, negativeSlope: 0.2),
    ]

    static func loss(_ net: DomainClassifier<Double>, _ p: [Double], _ y: Matrix<Double>, _ t: [Int],
                     _ c: [Double], _ g: [Double]) -> Double {
        let pass = net.forward(y, timesteps: t, parameters: p)
        let a = zip(c, pass.logits).reduce(0.0) { $0 + $1.0 * $1.1 }
        return a + zip(g, pass.features.storage).reduce(0.0) { $0 + $1.0 * $1.1 }
    }

    static func difference(_ f: (Double) -> Double) -> Double {
        let h = 1e-4
        return (8 * (f(h) - f(-h)) - (f(2 * h) - f(-2 * h))) / (12 * h)
    }

    @Test(arguments: configs)
    func backwardMatchesFiniteDifferences(_ config: ClassifierConfig) throws {
        let net = try DomainClassifier<Double>(config: config, timesteps: 40)
        let rng = RandomStream(seed: 5, stream: 9)
        let rows = 5, d = config.dimension
        let p = (0..<net.parameterCount).map { 0.6 * rng.substream(1).normal(UInt64($0)) }
        let y: Matrix<Double> = rng.substream(2).normalMatrix(rows: rows, columns: d, firstRow: 0)
        let t = (0..<rows).map { rng.substream(3).integer(UInt64($0), below: 40) }
        let c = (0..<rows).map { rng.substream(4).normal(UInt64($0)) }
        let g = (0..<(rows * config.width)).map { rng.substream(5).normal(UInt64($0)) }
        let pass = net.forward(y, timesteps: t, parameters: p)
        let dF = try Matrix(rows: rows, columns: config.width, storage: g)

        var gradient = [Double](repeating: 0, count: net.parameterCount)
        net.accumulateParameterGradient(pass, logitGradient: c, featureGradient: dF, parameters: p, into: &gradient)
        var worst = 0.0
        for k in 0..<net.parameterCount {
            let numeric = Self.difference { h in
                var q = p
                q[k] += h
                return Self.loss(net, q, y, t, c, g)
            }
            worst = max(worst, abs(numeric - gradient[k]) / max(1, abs(numeric)))
        }
        #expect(worst < 1e-7, "parameter gradient: worst relative error \(worst)")

        let dy = net.inputGradient(pass, logitGradient: c, featureGradient: dF, parameters: p)
        var worstInput = 0.0
        for i in 0..<rows {
            for j in 0..<d {
                let numeric = Self.difference { h in
                    var z = y
                    z[i, j] += h
                    return Self.loss(net, p, z, t, c, g)
                }
                worstInput = max(worstInput, abs(numeric - dy[i, j]) / max(1, abs(numeric)))
            }
        }
        #expect(worstInput < 1e-7, "input gradient: worst relative error \(worstInput)")

        // The features alone (EGSDE's use): no logit gradient.
        let dyFeatures = net.inputGradient(pass, logitGradient: nil, featureGradient: dF, parameters: p)
        let numeric = Self.difference { h in
            var z = y
            z[1, 0] += h
            return Self.loss(net, p, z, t, [Double](repeating: 0, count: rows), g)
        }
        #expect(abs(numeric - dyFeatures[1, 0]) < 1e-7 * max(1, abs(numeric)))
    }

    @Test func rowsAreIndependentOfTheBatch() throws {
        let config = ClassifierConfig(dimension: 2, width: 16, depth: 2, timeEmbedding: 8)
        let net = try DomainClassifier<Float>(config: config, timesteps: 100)
        let p = net.initialParameters(seed: 3)
        let y: Matrix<Float> = RandomStream(seed: 1).normalMatrix(rows: 37, columns: 2, firstRow: 0)
        let all = net.forward(y, timesteps: [17], parameters: p)
        let part = net.forward(y.rows(5..<9), timesteps: [17], parameters: p)
        #expect(Array(all.logits[5..<9]) == part.logits)
        #expect(all.features.rows(5..<9) == part.features)
    }

    @Test func rejectsBadConfigs() {
        #expect(throws: MongeError.self) { try DomainClassifier<Float>(config: ClassifierConfig(depth: 0), timesteps: 10) }
        #expect(throws: MongeError.self) { try DomainClassifier<Float>(config: ClassifierConfig(timeEmbedding: 5), timesteps: 10) }
        #expect(throws: MongeError.self) { try DomainClassifier<Float>(config: ClassifierConfig(), timesteps: 0) }
    }
}

extension ClassifierConfig: CustomTestStringConvertible {
    public var testDescription: String { "D=\(dimension) W=\(width) L=\(depth) \(activation)" }
}
