import Foundation
import MongeCore
import MongeTransport
import Testing

/// The multiscale network simplex (any weights, n ≠ m) against the dense network simplex, whose
/// own certificate holds, and each output checked from scratch in the test: marginals, dual
/// feasibility on every pair, complementary slackness and LP duality (`expectExact`).
@Suite("Multiscale network simplex", .timeLimit(.minutes(2)))
struct MultiscaleTransportTests {
    /// Messages of the solver, kept for inspection (progress runs on the caller's thread).
    final class Messages: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
    }

    /// Small clusters and a small base, so that problems of a few hundred points have three or
    /// four levels.
    static func small(_ messages: Messages? = nil, warmStart: Bool = true, spatialOrder: Bool = true) -> MultiscaleTransport {
        MultiscaleTransport(leafSize: 2, baseSize: 8, nearestPerRow: 1, violationsPerRow: 2, warmStart: warmStart, spatialOrder: spatialOrder,
                            progress: messages.map { m in { m.append($0) } })
    }

    /// n × m points of one shape, and weights (nil: uniform).
    static func shape(_ name: String, n: Int, m: Int, seed: UInt64) -> (Matrix<Double>, Matrix<Double>) {
        switch name {
        case "clustered":
            return (Fixtures.gaussiansToMoons(n, seed: seed).0, Fixtures.gaussiansToMoons(m, seed: seed + 1).1)
        case "collinear":
            // On the line y = 2x: many equal-cost alternatives in the pivots.
            let line = { (count: Int, s: UInt64) in
                Matrix<Double>(rows: count, columns: 2) { i, k in
                    let t = RandomStream(seed: s).normal(UInt64(i))
                    return k == 0 ? t : 2 * t
                }
            }
            return (line(n, seed), line(m, seed + 1))
        case "duplicated":
            // Every point three times.
            let base = Fixtures.points((n + 2) / 3, seed: seed), other = Fixtures.points((m + 2) / 3, seed: seed + 1, shift: 0.3)
            return (Matrix<Double>(rows: n, columns: 2) { i, k in base[i / 3, k] },
                    Matrix<Double>(rows: m, columns: 2) { j, k in other[j / 3, k] })
        case "one cluster":
            return (Fixtures.points(n, seed: seed).map { 3 + 0.01 * $0 }, Fixtures.points(m, seed: seed + 1).map { 3 + 0.01 * $0 })
        default:
            return (Fixtures.points(n, seed: seed), Fixtures.points(m, seed: seed + 1, shift: 0.5))
        }
    }

    @Test(arguments: ["spread", "clustered", "collinear", "duplicated", "one cluster"])
    func costEqualsTheDenseSimplexWithACertificate(shape: String) throws {
        for (n, m, weighted, seed) in [(60, 90, true, UInt64(1)), (128, 77, true, 2), (100, 150, false, 3), (96, 96, true, 4), (1, 40, true, 5)] {
            let (x, y) = Self.shape(shape, n: n, m: m, seed: seed)
            let problem = try TransportProblem(geometry: Geometry(x: x, y: y),
                                               a: weighted ? Fixtures.weights(n, seed: seed) : nil,
                                               b: weighted ? Fixtures.weights(m, seed: seed + 7) : nil)
            let dense = NetworkSimplex().solve(problem)
            // In k-d order (the default) and in the input's order: the relabelled answer maps back.
            for spatial in [true, false] {
                let messages = Messages()
                let out = try Self.small(messages, spatialOrder: spatial).solve(problem)
                let name = "\(shape) \(n)×\(m) weighted \(weighted) spatial order \(spatial)"
                #expect(dense.status == .optimal, "\(name): the oracle")
                SolverContractTests.expectExact(out, problem, name)
                #expect(Fixtures.relative(out.cost, dense.cost) <= 1e-12, "\(name): \(out.cost) vs dense simplex \(dense.cost)")
                #expect(out.solver == "multiscale-simplex" && out.plan.entryCount <= n + m - 1, "\(name): a vertex")
                // The lifted plan's support is a forest (the coarse support is), so every fine level starts from it.
                #expect(messages.all.contains { $0.contains("warm start (cost") } && !messages.all.contains { $0.contains("refused") },
                        "\(name): \(messages.all)")
            }
        }
    }

    /// A golden value computed without any solver: points on one line in the plane, where the
    /// monotone (quantile) coupling of the weighted measures is optimal for the squared distance.
    @Test(arguments: [(50, 73, UInt64(61)), (200, 130, 62), (301, 301, 63)])
    func collinearCostEqualsTheQuantileCoupling(n: Int, m: Int, seed: UInt64) throws {
        let ts = (0..<n).map { RandomStream(seed: seed).normal(UInt64($0)) }
        let tt = (0..<m).map { 0.4 + 1.5 * RandomStream(seed: seed + 1).normal(UInt64($0)) }
        let x = Matrix<Double>(rows: n, columns: 2) { i, k in k == 0 ? ts[i] : 2 * ts[i] }
        let y = Matrix<Double>(rows: m, columns: 2) { j, k in k == 0 ? tt[j] : 2 * tt[j] }
        let a = Fixtures.weights(n, seed: seed), b = Fixtures.weights(m, seed: seed + 2)
        let problem = try TransportProblem(geometry: Geometry(x: x, y: y), a: a, b: b)
        // The quantile coupling: walk both sorted lists, moving the smaller remaining mass.
        let si = (0..<n).sorted { ts[$0] < ts[$1] }, tj = (0..<m).sorted { tt[$0] < tt[$1] }
        var p = 0, q = 0, ra = a[si[0]], rb = b[tj[0]], golden = 0.0
        while p < n && q < m {
            let w = min(ra, rb)
            golden += w * 5 * (ts[si[p]] - tt[tj[q]]) * (ts[si[p]] - tt[tj[q]])
            ra -= w; rb -= w
            if ra <= rb { p += 1; if p < n { ra = a[si[p]] } } else { q += 1; if q < m { rb = b[tj[q]] } }
        }
        let out = try Self.small().solve(problem)
        SolverContractTests.expectExact(out, problem, "collinear \(n)×\(m)")
        #expect(Fixtures.relative(out.cost, golden) <= 1e-12, "\(out.cost) vs quantile coupling \(golden)")
    }

    /// Zero weights on both sides (including whole clusters): the points of zero mass get
    /// potentials by c-transform, dual feasible on every pair.
    @Test(arguments: [UInt64(11), 12, 13])
    func zeroWeightsAreCertified(seed: UInt64) throws {
        let n = 80, m = 110
        let (x, y) = Self.shape("clustered", n: n, m: m, seed: seed)
        var a = Fixtures.weights(n, seed: seed), b = Fixtures.weights(m, seed: seed + 1)
        for i in 0..<n where i % 3 == 0 || i < 10 { a[i] = 0 }
        for j in 0..<m where j % 4 == 1 || j >= 100 { b[j] = 0 }
        let sa = a.reduce(0, +), sb = b.reduce(0, +)
        let problem = try TransportProblem(geometry: Geometry(x: x, y: y), a: a.map { $0 / sa }, b: b.map { $0 / sb })
        let out = try Self.small().solve(problem)
        let dense = NetworkSimplex().solve(problem)
        SolverContractTests.expectExact(out, problem, "zero weights \(seed)")
        #expect(Fixtures.relative(out.cost, dense.cost) <= 1e-12)
        #expect(!out.plan.sources.contains { a[$0] == 0 } && !out.plan.targets.contains { b[$0] == 0 })
    }

    /// The default settings (base 2000, several levels above it) on a few thousand weighted anchor
    /// points with n ≠ m, with and without the warm start; the certificate it carries (k-d tree)
    /// is the one the scan of all pairs gives.
    @Test func defaultsOnTheAnchorDataMatchTheDenseSimplex() throws {
        let n = 3000, m = 4500
        let (x, y) = Self.shape("clustered", n: n, m: m, seed: 21)
        let problem = try TransportProblem(geometry: Geometry(x: x, y: y), a: Fixtures.weights(n, seed: 21), b: Fixtures.weights(m, seed: 22))
        let dense = NetworkSimplex().solve(problem)
        #expect(dense.status == .optimal)
        for warm in [true, false] {
            let messages = Messages()
            let out = try MultiscaleTransport(warmStart: warm, progress: { messages.append($0) }).solve(problem)
            #expect(out.status == .optimal)
            #expect(Fixtures.relative(out.cost, dense.cost) <= 1e-12, "warm \(warm): \(out.cost) vs \(dense.cost)")
            let scan = try OptimalityCertificate.check(problem, plan: out.plan, f: out.f, g: out.g, dualCheck: .scan)
            #expect(scan == out.certificate.optimality!)
            #expect(scan.holds && abs(scan.dualityGap) <= 1e-12 * dense.cost)
            #expect(messages.all.contains { $0.contains(warm ? "warm start (cost" : "staircase,") }, "\(messages.all)")
        }
    }

    /// The same problem gives the same bits.
    @Test func sameProblemSameBits() throws {
        let (x, y) = Self.shape("clustered", n: 300, m: 420, seed: 31)
        let problem = try TransportProblem(geometry: Geometry(x: x, y: y), a: Fixtures.weights(300, seed: 31), b: Fixtures.weights(420, seed: 32))
        let first = try Self.small().solve(problem), second = try Self.small().solve(problem)
        #expect(first.plan == second.plan && first.f == second.f && first.g == second.g && first.iterations == second.iterations)
    }

    /// Corrupted potentials are rejected by the certificate on the full problem: one source
    /// potential raised (a dual violation), or the plan's support made slack.
    @Test func corruptedPotentialsAreRejected() throws {
        let (x, y) = Self.shape("spread", n: 70, m: 50, seed: 41)
        let problem = try TransportProblem(geometry: Geometry(x: x, y: y), a: Fixtures.weights(70, seed: 41), b: Fixtures.weights(50, seed: 42))
        let out = try Self.small().solve(problem)
        #expect(out.status == .optimal)
        let bound = problem.geometry.costBound
        var f = out.f
        f[out.plan.sources[0]] += 1e-6 * bound
        let raised = OptimalityCertificate.check(problem, plan: out.plan, f: f, g: out.g)
        #expect(!raised.holds && raised.maxDualViolation > raised.costTolerance)
        var g = out.g
        g[out.plan.targets[0]] -= 1e-6 * bound
        let lowered = OptimalityCertificate.check(problem, plan: out.plan, f: out.f, g: g)
        #expect(!lowered.holds && lowered.maxSlackness > lowered.costTolerance)
        #expect(SolverStatus(termination: .optimal, certificate: .optimality(raised)) == .certificateFailed)
    }

    /// What it does not apply to is refused with a message naming what it needs.
    @Test func badInputIsRefusedByName() throws {
        let flat = try TransportProblem(x: Fixtures.points(5, 1, seed: 1), y: Fixtures.points(6, 1, seed: 2))
        let euclidean = try TransportProblem(geometry: Geometry(x: Fixtures.points(5, seed: 1), y: Fixtures.points(6, seed: 2), cost: .euclidean))
        let spatial = try TransportProblem(x: Fixtures.points(5, 3, seed: 1), y: Fixtures.points(6, 3, seed: 2))
        let matrix = try TransportProblem(geometry: Geometry(costMatrix: Matrix<Double>(rows: 3, columns: 3) { i, j in Double(i + j) }))
        for (problem, got) in [(flat, "1-D"), (euclidean, "under the euclidean cost"), (spatial, "3-D"), (matrix, "cost matrix")] {
            for solver in [MultiscaleTransport(), OptimalTransport(.multiscaleSimplex)] as [any TransportSolver] {
                let error = #expect(throws: MongeError.self) { try solver.solve(problem) }
                let text = error.map { "\($0)" } ?? ""
                #expect(text.contains("2-D points under the squared Euclidean cost") && text.contains(got), "\(text)")
            }
        }
        let problem = try TransportProblem(x: Fixtures.points(5, seed: 1), y: Fixtures.points(6, seed: 2))
        for (solver, word) in [(MultiscaleTransport(leafSize: 1), "leaf size"), (MultiscaleTransport(leafSize: 8, baseSize: 10), "base size"),
                               (MultiscaleTransport(violationsPerRow: 0), "violations per row")] {
            let error = #expect(throws: MongeError.self) { try solver.solve(problem) }
            #expect(error.map { "\($0)".contains(word) } == true)
        }
        #expect(OTSolver("multiscale-simplex") == .multiscaleSimplex)
    }

    /// `auto` picks the multiscale simplex above its threshold for 2-D squared Euclidean problems
    /// that are not assignments, and the plain simplex below it, in other dimensions, or with an
    /// iteration limit.
    @Test func autoPicksItAboveTheThreshold() throws {
        let t = OTSolver.multiscaleSimplexThreshold
        let big = try TransportProblem(x: Fixtures.points(t, seed: 1), y: Fixtures.points(t + 1, seed: 2))
        let small = try TransportProblem(x: Fixtures.points(t - 1, seed: 1), y: Fixtures.points(t, seed: 2))
        let spatial = try TransportProblem(x: Fixtures.points(t, 3, seed: 1), y: Fixtures.points(t + 1, 3, seed: 2))
        #expect(OTSolver.auto.resolved(for: big) == .multiscaleSimplex)
        #expect(OTSolver.auto.resolved(for: small) == .simplex && OTSolver.auto.resolved(for: spatial) == .simplex)
        #expect(try OptimalTransport(.auto).engine(for: big) is MultiscaleTransport)
        #expect(try OptimalTransport(.auto, maxIterations: 10).engine(for: big) is NetworkSimplex)
        // Uniform n = m: the multiscale assignment up to its threshold, the multiscale simplex above.
        let a = OTSolver.assignmentMultiscaleSimplexThreshold
        let atThreshold = try TransportProblem(x: Fixtures.points(a, seed: 3), y: Fixtures.points(a, seed: 4))
        let above = try TransportProblem(x: Fixtures.points(a + 1, seed: 3), y: Fixtures.points(a + 1, seed: 4))
        let above3D = try TransportProblem(x: Fixtures.points(a + 1, 3, seed: 3), y: Fixtures.points(a + 1, 3, seed: 4))
        #expect(OTSolver.auto.resolved(for: atThreshold) == .assignment)
        #expect(OTSolver.auto.resolved(for: above) == .multiscaleSimplex)
        #expect(OTSolver.auto.resolved(for: above3D) == .assignment)
    }
}
