import MongeNN
import Testing

/// The generator's hand-written backprop against central finite differences, in Double.
///
/// The loss L = Σ C ⊙ G(z) with random weights C has ∂L/∂x = C, so `accumulateParameterGradient`
/// with output gradient C must equal the numeric parameter gradient. Five-point differences with
/// h = 1e-4 have error O(h⁴) plus rounding ≈ 1e-12/h, far below the 1e-7 tolerance.
@Suite("Generator gradients")
struct GeneratorTests {
    static let configs: [GeneratorConfig] = [
        GeneratorConfig(latent: 2, dimension: 2, width: 6, depth: 2, activation: .leakyReLU, negativeSlope: 0.2),
        GeneratorConfig(latent: 3, dimension: 2, width: 5, depth: 3, activation: .silu),
        GeneratorConfig(latent: 1, dimension: 3, width: 4, depth: 1, activation: .relu),
    ]

    static func difference(_ f: (Double) -> Double) -> Double {
        let h = 1e-4
        return (8 * (f(h) - f(-h)) - (f(2 * h) - f(-2 * h))) / (12 * h)
    }

    @Test(arguments: configs)
    func backwardMatchesFiniteDifferences(_ config: GeneratorConfig) throws {
        let net = try Generator<Double>(config: config)
        let rng = RandomStream(seed: 11, stream: 3)
        let rows = 5
        let p = (0..<net.parameterCount).map { 0.6 * rng.substream(1).normal(UInt64($0)) }
        let z: Matrix<Double> = rng.substream(2).normalMatrix(rows: rows, columns: config.latent, firstRow: 0)
        let c: Matrix<Double> = rng.substream(3).normalMatrix(rows: rows, columns: config.dimension, firstRow: 0)
        func loss(_ q: [Double]) -> Double {
            zip(c.storage, net.forward(z, parameters: q).output.storage).reduce(0.0) { $0 + $1.0 * $1.1 }
        }
        let pass = net.forward(z, parameters: p)
        var gradient = [Double](repeating: 0, count: net.parameterCount)
        net.accumulateParameterGradient(pass, outputGradient: c, parameters: p, into: &gradient)
        var worst = 0.0
        for k in 0..<net.parameterCount {
            let numeric = Self.difference { h in
                var q = p
                q[k] += h
                return loss(q)
            }
            worst = max(worst, abs(numeric - gradient[k]) / max(1, abs(numeric)))
        }
        #expect(worst < 1e-7, "parameter gradient: worst relative error \(worst)")
        // Accumulates: a second call doubles the gradient.
        var twice = gradient
        net.accumulateParameterGradient(pass, outputGradient: c, parameters: p, into: &twice)
        #expect(zip(twice, gradient).allSatisfy { abs($0 - 2 * $1) <= 1e-12 * max(1, abs($0)) })
    }

    @Test func rowsAreIndependentOfTheBatch() throws {
        let net = try Generator<Float>(config: GeneratorConfig())
        let p: [Float] = net.initialParameters(seed: 4)
        let z: Matrix<Float> = RandomStream(seed: 1).normalMatrix(rows: 37, columns: 2, firstRow: 0)
        let all = net.forward(z, parameters: p).output
        let part = net.forward(z.rows(5..<9), parameters: p).output
        for i in 0..<4 { for j in 0..<2 { #expect(part[i, j] == all[i + 5, j]) } }
    }

    @Test func rejectsBadConfigs() {
        #expect(throws: MongeError.self) { try Generator<Float>(config: GeneratorConfig(latent: 0)) }
        #expect(throws: MongeError.self) { try Generator<Float>(config: GeneratorConfig(depth: 0)) }
        #expect(throws: MongeError.self) { try Generator<Float>(config: GeneratorConfig(negativeSlope: -1)) }
    }
}
