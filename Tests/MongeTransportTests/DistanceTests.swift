import MongeCore
import MongeTransport
import TestSupport
import Testing

@Suite("Distances and maps", .timeLimit(.minutes(1)), .watchdog(seconds: 300))
struct DistanceTests {
    /// For y = x + v the optimal map is the translation (Brenier): W₂² = ‖v‖², W₁ = ‖v‖.
    @Test func translationsHaveClosedFormDistancesAndMaps() throws {
        let x = Fixtures.points(100, 2, seed: 1)
        let v = [0.7, -1.2]
        let y = Matrix<Double>(rows: 100, columns: 2) { i, k in x[i, k] + v[k] }
        let norm2 = v[0] * v[0] + v[1] * v[1]
        #expect(abs(try Distances.w2Squared(x, y) - norm2) < 1e-12 * norm2)
        #expect(abs(try Distances.w1(x, y) - norm2.squareRoot()) < 1e-12)
        let result = try OptimalTransport().solve(TransportProblem(x: x, y: y))
        let mapped = TransportMaps.map(result, targets: y)
        #expect(mapped.maxAbsDifference(y) < 1e-15)  // T(x_i) = x_i + v = y_i
        // Sliced: each direction θ gives exactly (v·θ)².
        let sliced = try SlicedWasserstein.squared(x, y, directions: 16, seed: 3)
        #expect(sliced.perDirection.allSatisfy { $0 <= norm2 + 1e-12 && $0 >= 0 })
        let again = try SlicedWasserstein.squared(x, y, directions: 16, seed: 3)
        #expect(again.value == sliced.value)
    }

    @Test func barycentricProjectionAveragesSplitMass() throws {
        let plan = TransportPlan(sourceCount: 1, targetCount: 2, sources: [0, 0], targets: [0, 1], masses: [0.25, 0.75])
        let y = Matrix<Double>([[0, 0], [4, 8]])
        let t = TransportMaps.barycentricProjection(plan, targets: y)
        #expect(t[0, 0] == 3 && t[0, 1] == 6)
    }

    @Test func energyDistanceAndMMDVanishOnEqualSetsAndGrowWithShift() throws {
        let x = Fixtures.points(80, 2, seed: 4)
        #expect(abs(try Distances.energyDistance(x, x)) < 1e-12)
        let near = x.map { $0 + 0.1 }, far = x.map { $0 + 1 }
        let e1 = try Distances.energyDistance(x, near), e2 = try Distances.energyDistance(x, far)
        #expect(e1 > 0 && e2 > e1)
        let m0 = try Distances.mmdSquared(x, Fixtures.points(80, 2, seed: 5), bandwidth: 1)
        let m1 = try Distances.mmdSquared(x, far, bandwidth: 1)
        #expect(abs(m0) < 0.05 && m1 > 5 * abs(m0))
        #expect(throws: MongeError.self) { try Distances.mmdSquared(x, x, bandwidth: 0) }
    }
}
