import Foundation
import MongeDiffusion
import Testing

/// `NoiseSchedule.noised`: x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε (DDPM eq. 4), against ᾱ from numpy.
@Suite("Forward noising")
struct ForwardNoisingTests {
    /// numpy: np.cumprod(1 - np.linspace(1e-4, 0.02, 1000))[[0, 499, 999]].
    static let golden: [(Int, Double)] = [(0, 0.9999), (499, 0.07858724288177824), (999, 4.035829765375676e-05)]

    @Test func theClosedFormAtEveryGoldenLevel() throws {
        let schedule = try NoiseSchedule.linear()
        let x0 = Matrix<Double>([[1.5, -2], [0.25, 3]]), epsilon = Matrix<Double>([[-0.5, 1], [2, -1.25]])
        for (t, ab) in Self.golden {
            let xt = schedule.noised(x0, epsilon: epsilon, timestep: t)
            let perRow = schedule.noised(x0, epsilon: epsilon, timesteps: [t, t])
            let single: Matrix<Float> = schedule.noised(x0.converted(), epsilon: epsilon.converted(), timestep: t)
            for k in 0..<4 {
                let expected = ab.squareRoot() * x0.storage[k] + (1 - ab).squareRoot() * epsilon.storage[k]
                #expect(abs(xt.storage[k] - expected) <= 1e-10 * abs(expected), "t = \(t): \(xt.storage[k]) vs \(expected)")
                #expect(perRow.storage[k] == xt.storage[k])
                #expect(abs(Double(single.storage[k]) - expected) <= 1e-6 * max(1, abs(expected)))
            }
        }
        #expect(schedule.noised(x0, epsilon: epsilon, timestep: -1) == x0)  // ᾱ_{−1} = 1: clean
    }

    /// Rows at different timesteps each get their own level; the coefficients are the ones of the
    /// Diffusion-GAN form with noise scale 1.
    @Test func rowsAtDifferentTimesteps() throws {
        let schedule = try NoiseSchedule.linear()
        let x0 = Matrix<Double>([[1, 2], [3, 4], [5, 6]]), epsilon = Matrix<Double>([[1, 1], [1, 1], [1, 1]])
        let xt = schedule.noised(x0, epsilon: epsilon, timesteps: Self.golden.map(\.0))
        for (i, (_, ab)) in Self.golden.enumerated() {
            for j in 0..<2 {
                let expected = ab.squareRoot() * x0[i, j] + (1 - ab).squareRoot()
                #expect(abs(xt[i, j] - expected) <= 1e-10 * abs(expected))
            }
        }
        let c = NoiseSchedule.forwardCoefficients(alphaBar: 0.25, noiseScale: 2, as: Double.self)
        #expect(c.x0 == 0.5 && c.epsilon == 2 * 0.75.squareRoot())
    }

    /// Over many ε ~ N(0, 1) the noised value has mean √ᾱ x_0 and variance 1 − ᾱ (4σ bounds).
    @Test func theMomentsOfTheForwardProcess() throws {
        let schedule = try NoiseSchedule.linear()
        let n = 20_000, t = 499, ab = 0.07858724288177824
        let x0 = Matrix<Double>(rows: n, columns: 1) { _, _ in 2 }
        let epsilon: Matrix<Double> = RandomStream(seed: 3).normalMatrix(rows: n, columns: 1)
        let xt = schedule.noised(x0, epsilon: epsilon, timestep: t)
        let mean = xt.storage.reduce(0, +) / Double(n)
        let variance = xt.storage.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        #expect(abs(mean - 2 * ab.squareRoot()) < 4 * ((1 - ab) / Double(n)).squareRoot())
        #expect(abs(variance - (1 - ab)) < 4 * (1 - ab) * (2 / Double(n)).squareRoot())
    }
}
