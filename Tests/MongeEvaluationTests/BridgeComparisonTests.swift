import Foundation
import MongeEvaluation
import Testing

@Suite("Bridge comparison metrics on cases with known answers")
struct BridgeComparisonTests {
    func cloud(_ n: Int, seed: UInt64, shift: Double = 0) -> Matrix<Double> {
        RandomStream(seed: seed).normalMatrix(rows: n, columns: 2).map { $0 + shift }
    }

    /// All n! matchings of tiny sets: the smallest mean squared cost and its permutation.
    func bruteForce(_ x: Matrix<Double>, _ y: Matrix<Double>) -> (Double, [Int]) {
        var best = (Double.infinity, [Int]())
        func visit(_ prefix: [Int], _ rest: [Int]) {
            if rest.isEmpty {
                let c = prefix.enumerated().reduce(0.0) { s, p in
                    s + (0..<x.columns).reduce(0.0) { $0 + pow(x[p.offset, $1] - y[p.element, $1], 2) }
                } / Double(x.rows)
                if c < best.0 { best = (c, prefix) }
                return
            }
            for (k, j) in rest.enumerated() { var r = rest; r.remove(at: k); visit(prefix + [j], r) }
        }
        visit([], Array(0..<y.rows))
        return best
    }

    @Test func exactCouplingMatchesBruteForce() throws {
        for seed in 0..<5 as Range<UInt64> {
            let x = cloud(7, seed: seed), y = cloud(7, seed: seed + 100, shift: 0.7)
            let coupling = try ExactCoupling(x, y)
            let (cost, permutation) = bruteForce(x, y)
            #expect(abs(coupling.cost - cost) <= 1e-12 * cost)
            #expect(coupling.permutation == permutation)
        }
    }

    /// T = the exact OT permutation onto the target itself: gap 0, optimality 0, deviation 0.
    @Test func theOptimalMapHasZeroGapAndZeroOptimality() throws {
        let x = cloud(300, seed: 1), y = cloud(300, seed: 2, shift: 3)
        let sigma = try ExactCoupling(x, y).permutation
        let mapped = y.rows(at: sigma)
        let c = try BridgeComparison.measure(source: x, mapped: mapped, target: y)
        #expect(abs(c.transportGap) < 1e-12)
        #expect(abs(c.optimalityGap) < 1e-12)
        #expect(c.mongeDeviationMax < 1e-12)
        #expect(c.realismW2 < 1e-9)
    }

    /// A random permutation onto the target has the right marginals but a positive gap and
    /// positive optimality gap; its Monge deviation is large.
    @Test func aRandomMatchingHasAPositiveGap() throws {
        let x = cloud(300, seed: 3), y = cloud(300, seed: 4, shift: 1)
        let mapped = y.rows(at: RandomStream(seed: 9).permutation(300))
        let c = try BridgeComparison.measure(source: x, mapped: mapped, target: y)
        #expect(c.transportGap > 0.2)
        #expect(c.optimalityGap > 0.2)
        #expect(abs(c.ownW2Squared - c.exactW2Squared) < 1e-9)
        #expect(c.mongeDeviationMean > 0.5)
    }

    /// A translation x ↦ x + v is the Monge map between its own marginals (a gradient of a convex
    /// function), so its optimality gap is 0 whatever the target sample.
    @Test func aTranslationIsOptimalForItsOwnMarginals() throws {
        let x = cloud(200, seed: 5)
        let mapped = x.map { $0 + 2.5 }
        let c = try BridgeComparison.measure(source: x, mapped: mapped, target: cloud(200, seed: 6, shift: 2.5),
                                             secondTarget: cloud(200, seed: 7, shift: 2.5), cycled: x)
        #expect(abs(c.optimalityGap) < 1e-12)
        #expect(abs(c.transportCost - 12.5) < 1e-9)
        #expect(c.cycleErrorMax == 0)
        #expect((c.samplingFloorW2 ?? 0) > 0)
    }

    @Test func badInputIsNamed() {
        let x = cloud(10, seed: 1)
        #expect(throws: MongeError.self) { try BridgeComparison.measure(source: x, mapped: cloud(9, seed: 2), target: x) }
        var nan = x
        nan[3, 1] = .nan
        #expect(throws: MongeError.nonFinite("mapped: element (3, 1) is nan")) {
            try BridgeComparison.measure(source: x, mapped: nan, target: x)
        }
    }
}
