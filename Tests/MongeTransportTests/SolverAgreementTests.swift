import MongeCore
import MongeTransport
import TestSupport
import Testing

@Suite("Exact solvers against brute force and each other", .timeLimit(.minutes(1)), .watchdog(seconds: 300))
struct SolverAgreementTests {
    /// Multiscale with tiny levels so that small problems exercise the sparse path.
    let multiscale = MultiscaleAssignment(leafSize: 4, baseSize: 16, candidatesPerRow: 3)

    @Test(arguments: [1, 2, 3, 4, 6, 8])
    func everyAssignmentSolverMatchesBruteForce(n: Int) throws {
        for seed in 0..<5 {
            for cost in [Cost.squaredEuclidean, .euclidean, .pNormPower(1.5)] {
                let x = Fixtures.points(n, 2, seed: UInt64(1000 * n + seed))
                let y = Fixtures.points(n, 2, seed: UInt64(1000 * n + seed + 500), shift: 0.3)
                let problem = try TransportProblem(x: x, y: y, cost: cost)
                let (best, _) = Fixtures.bruteForceAssignment(problem.geometry)
                let expected = best / Double(n)
                let simplex = NetworkSimplex().solve(problem)
                let dense = try DenseAssignment().solve(problem)
                let sparse = try multiscale.solve(problem)
                let explicit = try DenseAssignment().solve(TransportProblem(geometry: Geometry(costMatrix: problem.geometry.denseCostMatrix())))
                for (name, cost, status) in [("simplex", simplex.cost, simplex.status), ("dense", dense.cost, dense.status),
                                             ("multiscale", sparse.cost, sparse.status), ("matrix", explicit.cost, explicit.status)] {
                    #expect(status == .optimal, "\(name)")
                    #expect(Fixtures.relative(cost, expected) < 1e-12, "\(name) n=\(n) seed=\(seed) \(cost) vs \(expected)")
                }
            }
        }
    }

    @Test func generalWeightsAgreeAcrossSimplexVariantsAndWithTheTransposedProblem() throws {
        for (n, m, seed) in [(7, 11, 1), (50, 30, 2), (120, 200, 3), (200, 200, 4)] {
            let x = Fixtures.points(n, 3, seed: UInt64(seed)), y = Fixtures.points(m, 3, seed: UInt64(seed + 99), shift: 0.7)
            let a = Fixtures.weights(n, seed: UInt64(seed)), b = Fixtures.weights(m, seed: UInt64(seed + 1))
            let problem = try TransportProblem(geometry: Geometry(x: x, y: y), a: a, b: b)
            let dense = NetworkSimplex().solve(problem)
            let sparse = NetworkSimplex(candidates: .columnGeneration(perRow: 4)).solve(problem)
            let transposed = NetworkSimplex().solve(try TransportProblem(geometry: Geometry(x: y, y: x), a: b, b: a))
            for r in [dense, sparse, transposed] {
                #expect(r.status == .optimal)
                #expect(r.certificate.optimality!.holds)
                #expect(r.plan.entryCount <= n + m - 1)
            }
            #expect(Fixtures.relative(dense.cost, sparse.cost) < 1e-10)
            #expect(Fixtures.relative(dense.cost, transposed.cost) < 1e-10)
            #expect(abs(dense.certificate.optimality!.dualityGap) < 1e-10 * dense.cost)
        }
    }

    @Test func uniformProblemsAgreeAcrossAllExactSolvers() throws {
        for (n, seed) in [(50, 1), (128, 2), (200, 3)] {
            let (x, y) = Fixtures.gaussiansToMoons(n, seed: UInt64(seed))
            let problem = try TransportProblem(x: x, y: y)
            let simplex = NetworkSimplex().solve(problem)
            let dense = try DenseAssignment().solve(problem)
            let sparse = try multiscale.solve(problem)
            let viaAuto = try OptimalTransport().solve(problem)
            #expect(viaAuto.solver == "multiscale-assignment")
            for r in [dense.cost, sparse.cost, viaAuto.cost] { #expect(Fixtures.relative(r, simplex.cost) < 1e-10) }
            for status in [simplex.status, dense.status, sparse.status, viaAuto.status] { #expect(status == .optimal) }
            #expect(sparse.certificate.optimality!.holds)
            #expect(sparse.plan.permutation!.sorted() == Array(0..<n))
        }
    }

    @Test func multiscaleAgreesWithTheDenseSolverOnAFewHundredPoints() throws {
        let x = Fixtures.points(300, 2, seed: 11), y = Fixtures.points(300, 2, seed: 12, shift: 2)
        let problem = try TransportProblem(x: x, y: y)
        let dense = try DenseAssignment().solve(problem)
        let sparse = try MultiscaleAssignment(leafSize: 8, baseSize: 40).solve(problem)
        #expect(sparse.status == .optimal)
        #expect(Fixtures.relative(dense.cost, sparse.cost) < 1e-12)
        #expect(dense.plan.permutation! == sparse.plan.permutation!)
    }

    /// Repeated target points make ties at the end of every candidate list (and in the auction).
    @Test func repeatedPointsWithTiesAreSolvedExactly() throws {
        let distinct = Fixtures.points(8, 2, seed: 31)
        let y = distinct.rows(at: (0..<48).map { $0 % 8 })
        let x = Fixtures.points(48, 2, seed: 32)
        for (source, target) in [(x, y), (y, x), (y, y)] {
            let problem = try TransportProblem(x: source, y: target)
            let dense = try DenseAssignment().solve(problem)
            let sparse = try multiscale.solve(problem)
            let simplex = NetworkSimplex().solve(problem)
            #expect(sparse.status == .optimal && dense.status == .optimal && simplex.status == .optimal)
            #expect(abs(sparse.cost - dense.cost) <= 1e-12 * max(dense.cost, 1e-300) || sparse.cost == dense.cost)
            #expect(abs(simplex.cost - dense.cost) <= 1e-12 * max(dense.cost, 1e-300) || simplex.cost == dense.cost)
        }
    }

    /// Zero weights, an explicit cost matrix and n ≠ m in one problem.
    @Test func zeroWeightsAndExplicitMatricesWork() throws {
        let x = Fixtures.points(9, 2, seed: 41), y = Fixtures.points(6, 2, seed: 42)
        var a = Fixtures.weights(9, seed: 5)
        a[2] = 0; a[7] = 0
        let total = a.reduce(0, +)
        a = a.map { $0 / total }
        let b = Fixtures.weights(6, seed: 6)
        let points = try TransportProblem(geometry: Geometry(x: x, y: y), a: a, b: b)
        let matrix = try TransportProblem(geometry: Geometry(costMatrix: points.geometry.denseCostMatrix()), a: a, b: b)
        let r1 = NetworkSimplex().solve(points), r2 = NetworkSimplex().solve(matrix)
        #expect(r1.status == .optimal && r2.status == .optimal)
        #expect(Fixtures.relative(r1.cost, r2.cost) < 1e-12)
        #expect(!r1.plan.sources.contains(2) && !r1.plan.sources.contains(7))
    }

    @Test func pointsTransportToThemselvesAtZeroCostWithTheIdentity() throws {
        let x = Fixtures.points(64, 2, seed: 21)
        let problem = try TransportProblem(x: x, y: x)
        let identity = Array(0..<64)
        #expect(NetworkSimplex().solve(problem).plan.permutation == identity)
        #expect(try DenseAssignment().solve(problem).plan.permutation == identity)
        #expect(try multiscale.solve(problem).plan.permutation == identity)
        for r in [NetworkSimplex().solve(problem).cost, try DenseAssignment().solve(problem).cost, try multiscale.solve(problem).cost] {
            #expect(r == 0)
        }
        let weighted = try TransportProblem(geometry: Geometry(x: x, y: x), a: Fixtures.weights(64, seed: 3), b: Fixtures.weights(64, seed: 3))
        let r = NetworkSimplex().solve(weighted)
        #expect(r.cost == 0)
        #expect(r.plan.permutation == identity)
    }

    @Test func oneDimensionalSimplexEqualsSorting() throws {
        for (n, m, seed) in [(1, 1, 0), (5, 9, 1), (40, 25, 2), (150, 150, 3)] {
            for cost in [Cost.squaredEuclidean, .euclidean, .pNormPower(3)] {
                let x = Fixtures.points(n, 1, seed: UInt64(seed)), y = Fixtures.points(m, 1, seed: UInt64(seed + 7), shift: 0.5)
                let problem = try TransportProblem(geometry: Geometry(x: x, y: y, cost: cost),
                                                   a: Fixtures.weights(n, seed: UInt64(seed)), b: Fixtures.weights(m, seed: UInt64(seed + 3)))
                let sorted = try OneDimensional().solve(problem)
                let simplex = NetworkSimplex().solve(problem)
                #expect(sorted.status == .optimal, "\(cost) \(sorted.certificate.optimality!)")
                #expect(Fixtures.relative(sorted.cost, simplex.cost) < 1e-12)
                let quick = OneDimensional.cost(x.storage, problem.a, y.storage, problem.b, cost: cost)
                #expect(Fixtures.relative(quick, sorted.cost) < 1e-12)
            }
        }
    }

    @Test func theMethodsThatDoNotApplySayWhy() throws {
        let problem = try TransportProblem(geometry: Geometry(x: Fixtures.points(4, 2, seed: 1), y: Fixtures.points(5, 2, seed: 2)))
        #expect(throws: MongeError.self) { try DenseAssignment().solve(problem) }
        #expect(throws: MongeError.self) { try OptimalTransport(.sorting).solve(problem) }
        #expect(OTSolver.auto.resolved(for: problem) == .simplex)
    }
}
