import Foundation
import MongeBridges
import Testing

@Suite("DDIB between Gaussians: closed forms and the oracle bridge")
struct GaussianBridgeTheoryTests {
    let a = [4.0, 0, 0, 0.25]
    let b = GaussianBridgeTheory.rotatedCovariance(variances: (4, 0.25), angle: .pi / 4)

    /// Commuting covariances: DDIB is the Monge map in the limit (gap 0).
    @Test func commutingCovariancesHaveNoGap() throws {
        let theory = try GaussianBridgeTheory(covarianceA: [4, 0, 0, 0.25], covarianceB: [1, 0, 0, 2], dimension: 2)
        #expect(abs(theory.ddibGap()) < 1e-12)
        #expect(theory.ddibMap().enumerated().allSatisfy { abs($0.element - theory.mongeMap()[$0.offset]) < 1e-12 })
    }

    /// Rotated anisotropic Gaussians: W2² has a closed form; DDIB's map is strictly worse.
    @Test func rotationMakesDDIBSuboptimal() throws {
        let theory = try GaussianBridgeTheory(covarianceA: a, covarianceB: b, dimension: 2)
        // Σ_B has the same eigenvalues (4, 1/4); W2² by the Bures formula, checked independently:
        // tr Σ_A + tr Σ_B − 2 tr (Σ_A^½ Σ_B Σ_A^½)^½ with a 2×2 square root √M = (M + √det M·I)/√(tr M + 2√det M).
        let rootA = [2.0, 0, 0, 0.5]
        let m = [rootA[0] * b[0] * rootA[0], rootA[0] * b[1] * rootA[3], rootA[3] * b[2] * rootA[0], rootA[3] * b[3] * rootA[3]]
        let det = m[0] * m[3] - m[1] * m[2], tr = m[0] + m[3]
        let traceRoot = (tr + 2 * det.squareRoot()) / (tr + 2 * det.squareRoot()).squareRoot()
        let expected = 4.25 + 4.25 - 2 * traceRoot
        #expect(abs(theory.w2Squared - expected) < 1e-12 * expected)
        #expect(theory.ddibGap() > 0.05)
        // The gap through a finite σ_T tends to the limit.
        #expect(abs(theory.ddibGap(sigmaT: 1e4) - theory.ddibGap()) < 1e-6)
    }

    /// The oracle DDIB bridge on samples reproduces the closed-form linear map.
    @Test func oracleBridgeMatchesTheClosedFormMap() throws {
        let schedule = try NoiseSchedule.linear()
        let oracleA = try GaussianOracle<Double>(mean: [0, 0], covariance: a, schedule: schedule)
        let oracleB = try GaussianOracle<Double>(mean: [0, 0], covariance: b, schedule: schedule)
        let theory = try GaussianBridgeTheory(covarianceA: a, covarianceB: b, dimension: 2)
        let x = RandomStream(seed: 1).normalMatrix(rows: 100, columns: 2, as: Double.self).map { $0 * 0.5 }
        let mapped = try DDIBBridge(source: oracleA, target: oracleB, steps: 200, method: .heun).translate(x).mapped
        let m = theory.ddibMap(sigmaT: schedule.sigma(schedule.count - 1))
        let expected = Matrix<Double>(rows: 100, columns: 2) { i, j in m[j * 2] * x[i, 0] + m[j * 2 + 1] * x[i, 1] }
        #expect(mapped.maxAbsDifference(expected) < 1e-3)
    }
}
