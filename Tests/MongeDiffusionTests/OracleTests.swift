import Foundation
import MongeDiffusion
import Testing

/// Oracle ε against ε = −√(1 − ᾱ) ∇log p_t, with p_t written out by brute force here and
/// differentiated by central differences.
@Suite("Oracle denoisers")
struct OracleTests {
    /// log Σ_k w_k N(x; √ᾱ μ_k, diag(ᾱ v_k + 1 − ᾱ)), summed term by term (no log-sum-exp).
    static func mixtureLogDensity(_ x: [Double], means: [[Double]], variances: [[Double]], weights: [Double], alphaBar a: Double) -> Double {
        var total = 0.0
        for k in means.indices {
            var logTerm = log(weights[k])
            for j in x.indices {
                let c = a * variances[k][j] + 1 - a, m = a.squareRoot() * means[k][j]
                logTerm += -0.5 * (x[j] - m) * (x[j] - m) / c - 0.5 * log(2 * Double.pi * c)
            }
            total += exp(logTerm)
        }
        return log(total)
    }

    static func numericalEpsilon(_ x: [Double], alphaBar a: Double, logDensity: ([Double]) -> Double) -> [Double] {
        let h = 1e-5
        return x.indices.map { j in
            var plus = x, minus = x
            plus[j] += h; minus[j] -= h
            return -(1 - a).squareRoot() * (logDensity(plus) - logDensity(minus)) / (2 * h)
        }
    }

    @Test("Mixture ε is −√(1 − ᾱ) ∇log p_t (three diagonal components, unequal weights)")
    func mixtureGradient() throws {
        let schedule = try NoiseSchedule.linear()
        let means = [[0.0, 1.0], [2.0, -1.0], [-1.5, -0.5]]
        let variances = [[0.3, 0.2], [0.05, 0.4], [1.0, 1.0]]
        let weights = [0.2, 0.5, 0.3]
        let oracle = try MixtureOracle<Double>(means: Matrix(means), variances: Matrix(variances), weights: [2, 5, 3], schedule: schedule)
        let points: [[Double]] = [[0.1, 0.2], [1.5, -0.7], [-2, 0.4], [0.9, 0.1]]
        for t in [0, 5, 100, 400, 999] {
            let a = schedule.alphaBar(t)
            let eps = oracle.epsilon(Matrix(points), timestep: t)
            for (i, p) in points.enumerated() {
                let expected = Self.numericalEpsilon(p, alphaBar: a) {
                    Self.mixtureLogDensity($0, means: means, variances: variances, weights: weights, alphaBar: a)
                }
                for j in 0..<2 { #expect(abs(eps[i, j] - expected[j]) < 1e-6 * max(1, abs(expected[j]))) }
            }
        }
    }

    @Test("Gaussian ε (full covariance) is −√(1 − ᾱ) ∇log p_t, and agrees with a one-component mixture")
    func gaussianGradient() throws {
        let schedule = try NoiseSchedule.cosine()
        let mean = [0.5, -1.0], cov = [0.8, 0.35, 0.35, 0.3]
        let oracle = try GaussianOracle<Double>(mean: mean, covariance: cov, schedule: schedule)
        let points: [[Double]] = [[0.1, 0.2], [2, -3]]
        for t in [0, 50, 500, 990] {
            let a = schedule.alphaBar(t)
            // C_t = ᾱΣ + (1 − ᾱ)I, inverted by the 2×2 formula.
            let c00 = a * cov[0] + 1 - a, c01 = a * cov[1], c11 = a * cov[3] + 1 - a
            let det = c00 * c11 - c01 * c01
            let eps = oracle.epsilon(Matrix(points), timestep: t)
            for (i, p) in points.enumerated() {
                let expected = Self.numericalEpsilon(p, alphaBar: a) { x in
                    let d0 = x[0] - a.squareRoot() * mean[0], d1 = x[1] - a.squareRoot() * mean[1]
                    return -0.5 * (c11 * d0 * d0 - 2 * c01 * d0 * d1 + c00 * d1 * d1) / det
                }
                for j in 0..<2 { #expect(abs(eps[i, j] - expected[j]) < 1e-6 * max(1, abs(expected[j]))) }
            }
        }
        let diagonal = try GaussianOracle<Double>(mean: mean, std: [0.7, 0.2], schedule: schedule)
        let single = try MixtureOracle<Double>(means: Matrix([mean]), std: [1], schedule: schedule)
        let asMixture = try MixtureOracle<Double>(means: Matrix([mean]), variances: Matrix([[0.49, 0.04]]), schedule: schedule)
        let x = Matrix<Double>(points)
        for t in [0, 300, 999] {
            let a = diagonal.epsilon(x, timestep: t), b = asMixture.epsilon(x, timestep: t)
            #expect(zip(a.storage, b.storage).allSatisfy { abs($0 - $1) < 1e-12 })
            #expect(single.epsilon(x, timestep: t).isFinite)
        }
    }

    @Test("Empirical ε: one point is (x − √ᾱa)/√(1 − ᾱ); two points ±a give the tanh formula")
    func empiricalClosedForms() throws {
        let schedule = try NoiseSchedule.linear()
        let one = try MixtureOracle<Double>(empirical: Matrix([[1.0, -2.0]]), schedule: schedule)
        let two = try MixtureOracle<Double>(empirical: Matrix([[0.8], [-0.8]]), schedule: schedule)
        let x = Matrix<Double>([[0.3, 0.4], [30, -30]])
        let x1 = Matrix<Double>([[0.3], [-0.05], [4]])
        for t in [0, 10, 500, 999] {
            let a = schedule.alphaBar(t), r = a.squareRoot(), n = (1 - a).squareRoot()
            let e = one.epsilon(x, timestep: t)
            for i in 0..<2 {
                #expect(abs(e[i, 0] - (x[i, 0] - r * 1) / n) < 1e-9 * max(1, abs(e[i, 0])))
                #expect(abs(e[i, 1] - (x[i, 1] + r * 2) / n) < 1e-9 * max(1, abs(e[i, 1])))
            }
            let e2 = two.epsilon(x1, timestep: t)
            for i in 0..<3 {
                let expected = (x1[i, 0] - r * 0.8 * tanh(r * 0.8 * x1[i, 0] / (1 - a))) / n
                #expect(abs(e2[i, 0] - expected) < 1e-9 * max(1, abs(expected)))
            }
        }
    }

    @Test("Far from every component (densities underflow) ε stays finite: log-sum-exp")
    func farAway() throws {
        let oracle: MixtureOracle<Float> = try Oracles.gaussians25(schedule: .linear())
        let e = oracle.epsilon(Matrix([[1000, -1000], [3, 3]]), timestep: 0)
        #expect(e.isFinite)
        // Nearest centre (4, −4) dominates: ε = √(1−ᾱ)(x − √ᾱμ)/c.
        let a = try NoiseSchedule.linear().alphaBar(0), c = a * 0.0025 + 1 - a
        #expect(abs(Double(e[0, 0]) - (1 - a).squareRoot() * (1000 - a.squareRoot() * 4) / c) < 1e-3 * abs(Double(e[0, 0])))
    }

    @Test("A row's ε is bitwise the same alone as in a batch (5000 components)")
    func blocks() throws {
        let points: Matrix<Double> = RandomStream(seed: 3).normalMatrix(rows: 5000, columns: 2)
        let oracle = try MixtureOracle<Double>(empirical: points, schedule: .linear())
        let x: Matrix<Double> = RandomStream(seed: 4).normalMatrix(rows: 1800, columns: 2)
        let all = oracle.epsilon(x, timestep: 200)
        for i in stride(from: 0, to: 1800, by: 97) + [838, 839, 1677, 1678, 1799] {
            let single = oracle.epsilon(x.rows(i..<(i + 1)), timestep: 200)
            #expect(single.row(0) == all.row(i))
        }
    }

    @Test("gaussians25 and gaussians8 have MongeData's centres and stds")
    func toyMixtures() throws {
        let g25: MixtureOracle<Float> = try Oracles.gaussians25(schedule: .linear())
        #expect(g25.componentCount == 25 && g25.means.row(0) == [-4, -4] && g25.means.row(7) == [-2, 0] && g25.means.row(24) == [4, 4])
        #expect(g25.variances.storage.allSatisfy { abs($0 - 0.0025) < 1e-15 })
        let g8: MixtureOracle<Float> = try Oracles.gaussians8(schedule: .linear())
        #expect(g8.componentCount == 8 && abs(g8.means[2, 0]) < 1e-15 && abs(g8.means[2, 1] - 2) < 1e-15)
        #expect(abs(g8.means[1, 0] - 2.0.squareRoot()) < 1e-15)
        #expect(g8.variances.storage.allSatisfy { abs($0 - 0.0004) < 1e-15 })
    }

    @Test("Bad oracle parameters throw")
    func badParameters() throws {
        let s = try NoiseSchedule.linear()
        #expect(throws: MongeError.self) { try GaussianOracle<Double>(mean: [0, 0], covariance: [1, 0.5, 0.4, 1], schedule: s) }
        #expect(throws: MongeError.self) { try GaussianOracle<Double>(mean: [0, 0], covariance: [1, 2, 2, 1], schedule: s) }
        #expect(throws: MongeError.self) { try GaussianOracle<Double>(mean: [0, 0], std: [1], schedule: s) }
        #expect(throws: MongeError.self) { try GaussianOracle<Double>(mean: [.nan, 0], std: [1, 1], schedule: s) }
        #expect(throws: MongeError.self) { try MixtureOracle<Double>(means: Matrix([[0.0]]), std: [1, 2], schedule: s) }
        #expect(throws: MongeError.self) { try MixtureOracle<Double>(means: Matrix([[0.0], [1]]), std: [1, 1], weights: [1, -1], schedule: s) }
        #expect(throws: MongeError.self) { try MixtureOracle<Double>(empirical: Matrix([[0.0, .infinity]]), schedule: s) }
    }
}
