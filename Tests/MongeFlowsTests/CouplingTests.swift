import Foundation
import MongeCore
import MongeFlows
import MongeTransport
import TestSupport
import Testing

@Suite("Minibatch couplings")
struct CouplingTests {
    static func points(_ n: Int, seed: UInt64, shift: Double = 0) -> Matrix<Double> {
        let r = RandomStream(seed: seed)
        return Matrix(rows: n, columns: 2) { i, k in r.normal(UInt64(2 * i + k)) + shift }
    }

    static func cost(_ x: Matrix<Double>, _ y: Matrix<Double>, _ p: [Int]) -> Double {
        (0..<x.rows).reduce(0) { s, i in s + (0..<x.columns).reduce(0) { $0 + pow(x[i, $1] - y[p[i], $1], 2) } }
    }

    /// The OT-CFM pairing is the brute-force optimal assignment, and carries a certificate that holds.
    @Test func exactPairingIsOptimalAndCertified() throws {
        for seed in 0..<5 as Range<UInt64> {
            let x = Self.points(7, seed: seed), y = Self.points(7, seed: seed + 100, shift: 1)
            let pairing = try MinibatchCoupling.exact(x, y)
            let best = TestSupport.permutations(7).map { Self.cost(x, y, $0) }.min()!
            #expect(abs(Self.cost(x, y, pairing.targets) - best) < 1e-12)
            let certificate = try #require(pairing.certificate)
            #expect(certificate.holds)
            #expect(abs(certificate.dualityGap) < 1e-9)
            #expect(abs(certificate.primalCost - best / 7) < 1e-12)
        }
    }

    /// At a tiny ε the entropic plan is the OT permutation, so every sampled pair is an OT pair;
    /// at a huge ε it is the product a ⊗ b, so the sampled targets spread over every column.
    @Test func entropicPairsFollowTheSinkhornPlan() throws {
        let x = Self.points(12, seed: 3), y = Self.points(12, seed: 4, shift: 2)
        let exact = try MinibatchCoupling.exact(x, y)
        let sharp = try MinibatchCoupling.entropic(x, y, epsilon: 1e-3, random: RandomStream(seed: 9))
        #expect(try #require(sharp.entropicMarginalError) <= 1e-3)
        for k in 0..<12 { #expect(sharp.targets[k] == exact.targets[sharp.sources[k]]) }
        var counts = [Int](repeating: 0, count: 12)
        for s in 0..<50 as Range<UInt64> {
            let flat = try MinibatchCoupling.entropic(x, y, epsilon: 1e4, random: RandomStream(seed: s))
            for j in flat.targets { counts[j] += 1 }
        }
        // 600 draws over 12 equally likely columns: 50 each, sd ≈ 6.8.
        #expect(counts.allSatisfy { $0 > 25 && $0 < 75 }, "\(counts)")
    }

    /// OT-CFM's batch (σ = 0): recovering x₀ = x_t − t·u and x₁ = x₀ + u, the batch's pairs are an
    /// optimal assignment between the drawn x₀ and x₁ (brute force), and every plan was certified.
    @Test func otCFMBatchesArePairedOptimally() throws {
        let source = Self.points(40, seed: 1), target = Self.points(40, seed: 2, shift: 3)
        let model = try VelocityNetwork(config: VelocityNetwork.defaultConfig(width: 8, depth: 1), timeScale: 10)
        let config = FlowTrainingConfig(objective: try FlowObjective(method: .optimalTransport, sigma: 0), steps: 1, batchSize: 6, seed: 5)
        let trainer = try FlowTrainer(model: model, data: .samples(source: source, target: target), config: config)
        for step in 0..<4 {
            let (points, times, targets) = try trainer.batch(step: step)
            let x0 = Matrix<Double>(rows: 6, columns: 2) { i, k in Double(points[2 * i + k]) - times[i] * Double(targets[2 * i + k]) }
            let x1 = Matrix<Double>(rows: 6, columns: 2) { i, k in x0[i, k] + Double(targets[2 * i + k]) }
            let batchCost = Self.cost(x0, x1, Array(0..<6))
            let best = TestSupport.permutations(6).map { Self.cost(x0, x1, $0) }.min()!
            #expect(batchCost <= best + 1e-4 * max(1, best), "step \(step): \(batchCost) vs optimum \(best)")
        }
        #expect(trainer.certifiedPlans == 4)
    }
}
