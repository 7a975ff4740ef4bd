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

    /// Every pivot leaves a valid basis (the threaded index matches the parent pointers, the tree
    /// stays strongly feasible, f + g = C on tree arcs; `auditsEveryPivot` stops the process
    /// otherwise), on degenerate problems: uniform masses, duplicated and collinear points,
    /// n ≠ m, and both candidate searches. Checked against brute force where it can run and the
    /// optimality certificate everywhere.
    @Test func everyPivotLeavesAValidBasis() throws {
        var pivots = 0
        for seed in 0..<24 {
            let n = seed < 16 ? 3 + seed % 6 : 20 + seed, m = seed % 3 == 0 ? n : 4 + (seed * 5) % 13 + (seed < 16 ? 0 : 30)
            var x = Fixtures.points(n, 2, seed: UInt64(7000 + seed))
            var y = Fixtures.points(m, 2, seed: UInt64(8000 + seed), shift: 0.3)
            if seed % 4 == 1 {  // duplicates: half of the sources repeat others, a target repeats a source
                for i in stride(from: 1, to: n, by: 2) { for k in 0..<2 { x[i, k] = x[i - 1, k] } }
                for k in 0..<2 { y[0, k] = x[0, k] }
            }
            if seed % 4 == 2 {  // collinear, on a lattice: many equal costs
                for i in 0..<n { x[i, 0] = Double(i % 3); x[i, 1] = 0 }
                for j in 0..<m { y[j, 0] = Double(j % 4); y[j, 1] = 0 }
            }
            let uniform = seed % 2 == 0 || n == m
            let problem = uniform && n == m
                ? try TransportProblem(x: x, y: y)
                : try TransportProblem(geometry: Geometry(x: x, y: y), a: Fixtures.weights(n, seed: UInt64(seed)),
                                       b: Fixtures.weights(m, seed: UInt64(seed + 99)))
            for candidates in [NetworkSimplex.Candidates.all, .columnGeneration(perRow: 1)] {
                var solver = NetworkSimplex(candidates: candidates)
                solver.auditsEveryPivot = true
                let result = solver.solve(problem)
                #expect(result.status == .optimal)
                #expect(result.certificate.optimality!.holds)
                if uniform && n == m && n <= 8 {
                    let (best, _) = Fixtures.bruteForceAssignment(problem.geometry)
                    #expect(Fixtures.relative(result.cost, best / Double(n)) < 1e-12)
                }
                pivots += result.iterations
            }
        }
        #expect(pivots >= 500)  // the audits ran on many pivots, not on bases that were optimal at once
    }

    /// With uniform weights every plan entry carries exactly the given a_i (and b_j): ten weights of
    /// 0.1 sum to 0.9999999999999999, so a unit taken from Σa would put every entry 10⁻¹⁷ off.
    @Test func uniformPlanEntriesCarryTheGivenWeightsExactly() throws {
        for (n, m, solver) in [(10, 10, OTSolver.simplex), (10, 15, .simplex), (10, 10, .multiscaleSimplex), (30, 45, .multiscaleSimplex)] {
            let problem = try TransportProblem(x: Fixtures.points(n, seed: 5), y: Fixtures.points(m, seed: 6, shift: 0.2))
            #expect(problem.a.reduce(0, +) != 1)  // the rounding the test is about
            let out = try OptimalTransport(solver).solve(problem)
            #expect(out.status == .optimal)
            var rows = [Double](repeating: 0, count: n)
            for k in 0..<out.plan.entryCount { rows[out.plan.sources[k]] += out.plan.masses[k] }
            if n == m {
                #expect(out.plan.masses.allSatisfy { $0 == problem.a[0] }, "\(solver) \(n)×\(m): \(Set(out.plan.masses))")
            } else {
                #expect(rows.allSatisfy { abs($0 - problem.a[0]) <= 4 * problem.a[0].ulp }, "\(solver) \(n)×\(m): \(rows)")
            }
        }
    }
}
