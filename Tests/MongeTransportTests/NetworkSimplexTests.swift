import MongeCore
import MongeTransport
import TestSupport
import Testing

@Suite("Network simplex", .timeLimit(.minutes(1)), .watchdog(seconds: 300))
struct NetworkSimplexTests {
    @Test(arguments: [1, 2, 3, 5, 7, 8])
    func matchesBruteForceOnUniformProblems(n: Int) throws {
        for seed in 0..<4 {
            let x = Fixtures.points(n, 2, seed: UInt64(100 * n + seed))
            let y = Fixtures.points(n, 2, seed: UInt64(100 * n + seed + 50), shift: 0.5)
            let problem = try TransportProblem(x: x, y: y)
            let (best, _) = Fixtures.bruteForceAssignment(problem.geometry)
            let result = NetworkSimplex().solve(problem)
            #expect(result.status == .optimal)
            #expect(result.certificate.optimality!.holds)
            #expect(Fixtures.relative(result.cost, best / Double(n)) < 1e-12)
            #expect(result.plan.permutation != nil)
        }
    }

    @Test func columnGenerationAgreesWithDense() throws {
        for (n, m, seed) in [(30, 20, 1), (64, 64, 2), (100, 150, 3), (200, 170, 4)] {
            let x = Fixtures.points(n, 2, seed: UInt64(seed))
            let y = Fixtures.points(m, 2, seed: UInt64(seed + 1000), shift: 1)
            let geometry = try Geometry(x: x, y: y)
            let problem = try TransportProblem(geometry: geometry, a: Fixtures.weights(n, seed: UInt64(seed)),
                                               b: Fixtures.weights(m, seed: UInt64(seed + 1)))
            let dense = NetworkSimplex().solve(problem)
            let sparse = NetworkSimplex(candidates: .columnGeneration(perRow: 3)).solve(problem)
            #expect(dense.status == .optimal)
            #expect(sparse.status == .optimal)
            #expect(Fixtures.relative(dense.cost, sparse.cost) < 1e-10)
            #expect(abs(dense.certificate.optimality!.dualityGap) < 1e-10 * dense.cost)
            #expect(dense.plan.entryCount <= n + m - 1)
        }
    }
}
