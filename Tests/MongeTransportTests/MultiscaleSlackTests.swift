import MongeCore
import MongeTransport
import TestSupport
import Testing

/// The multiscale assignment solver's relaxed auction (`refillSlack`: rows bid from their lists
/// while an unlisted column could be better by at most slack · ε) and its warm-started first ε
/// (`warmStart`) against the network simplex on the full problem, on shapes that stress candidate
/// lists: clustered, collinear, duplicated.
@Suite("Multiscale solver with a relaxed auction", .timeLimit(.minutes(1)), .watchdog(seconds: 300))
struct MultiscaleSlackTests {
    static let shapes = ["clustered", "collinear", "duplicated", "spread"]

    static func points(_ shape: String, _ n: Int) -> (Matrix<Double>, Matrix<Double>) {
        switch shape {
        case "clustered":
            return Fixtures.gaussiansToMoons(n, seed: 7)
        case "collinear":
            // Both clouds on lines (not parallel): many equal-looking power distances.
            let t = Fixtures.points(n, 1, seed: 8), s = Fixtures.points(n, 1, seed: 9)
            let x = Matrix<Double>(rows: n, columns: 2) { i, k in k == 0 ? t.storage[i] : 2 * t.storage[i] }
            let y = Matrix<Double>(rows: n, columns: 2) { i, k in k == 0 ? s.storage[i] + 1 : -0.5 * s.storage[i] }
            return (x, y)
        case "duplicated":
            // Each target five times, sources in two copies: ties everywhere.
            let distinct = Fixtures.points(n / 5, 2, seed: 10, shift: 1)
            let half = Fixtures.points(n / 2, 2, seed: 11)
            return (half.rows(at: (0..<n).map { $0 % (n / 2) }), distinct.rows(at: (0..<n).map { $0 % (n / 5) }))
        default:
            return (Fixtures.points(n, 2, seed: 12), Fixtures.points(n, 2, seed: 13, shift: 0.5))
        }
    }

    @Test(arguments: shapes, [0.0, 8])
    func everySlackGivesTheNetworkSimplexCostWithACertificate(shape: String, slack: Double) throws {
        let n = 400
        let (x, y) = Self.points(shape, n)
        let problem = try TransportProblem(x: x, y: y)
        let simplex = NetworkSimplex().solve(problem)
        #expect(simplex.status == .optimal)
        do {
            let solver = MultiscaleAssignment(leafSize: 4, baseSize: 32, candidatesPerRow: 6, refillSlack: slack)
            let r = try solver.solve(problem)
            #expect(r.status == .optimal, "\(shape) slack \(slack)")
            #expect(Fixtures.relative(r.cost, simplex.cost) <= 1e-12, "\(shape) slack \(slack): \(r.cost) vs \(simplex.cost)")
            let permutation = try #require(r.plan.permutation)
            #expect(permutation.sorted() == Array(0..<n))
            // The tree certificate it carries equals the scan of all n² pairs, and holds.
            let plan = TransportPlan(permutation: permutation, mass: 1.0 / Double(n))
            let scan = try OptimalityCertificate.check(problem, plan: plan, f: r.f, g: r.g, dualCheck: .scan)
            #expect(scan == r.certificate.optimality)
            #expect(scan.holds)
            // Raising one source potential by a little breaks dual feasibility: rejected.
            var f = r.f
            f[n / 3] += 1e-6 * max(simplex.cost, 1)
            let corrupted = try OptimalityCertificate.check(problem, plan: plan, f: f, g: r.g, dualCheck: .tree)
            #expect(!corrupted.holds, "\(shape) slack \(slack): corrupted potential accepted")
        }
    }

    /// Every first-ε mode, at two quantiles and both slacks, keeps the result exact: the network
    /// simplex's cost and a certificate that the scan of all n² pairs confirms. Several coarse
    /// levels (leafSize 4, baseSize 32) so the warm start is used at more than one level.
    @Test(arguments: shapes, MultiscaleAssignment.WarmStart.allCases)
    func everyWarmStartGivesTheNetworkSimplexCostWithACertificate(shape: String, warmStart: MultiscaleAssignment.WarmStart) throws {
        let n = 400
        let (x, y) = Self.points(shape, n)
        let problem = try TransportProblem(x: x, y: y)
        let simplex = NetworkSimplex().solve(problem)
        #expect(simplex.status == .optimal)
        // q = 0 is the smallest estimate (0 for `.gap`): the first ε is then the lower clamp.
        for (quantile, slack) in [(0.99, 8.0), (0.0, 0.0), (1.0, 8.0)] {
            let solver = MultiscaleAssignment(leafSize: 4, baseSize: 32, candidatesPerRow: 6, warmStart: warmStart,
                                              warmStartQuantile: quantile, refillSlack: slack)
            let r = try solver.solve(problem)
            let label = "\(shape) \(warmStart) q \(quantile) slack \(slack)"
            #expect(r.status == .optimal, "\(label)")
            #expect(Fixtures.relative(r.cost, simplex.cost) <= 1e-12, "\(label): \(r.cost) vs \(simplex.cost)")
            let permutation = try #require(r.plan.permutation)
            #expect(permutation.sorted() == Array(0..<n), "\(label)")
            let plan = TransportPlan(permutation: permutation, mass: 1.0 / Double(n))
            let scan = try OptimalityCertificate.check(problem, plan: plan, f: r.f, g: r.g, dualCheck: .scan)
            #expect(scan == r.certificate.optimality, "\(label)")
            #expect(scan.holds, "\(label)")
        }
    }

    /// A medium clustered problem (the anchor's shape) with the default lists and levels: the
    /// warm-started solve and the relative start give the network simplex's cost, both certified.
    @Test(arguments: MultiscaleAssignment.WarmStart.allCases)
    func warmStartOnTheAnchorShapeIsExact(warmStart: MultiscaleAssignment.WarmStart) throws {
        let n = 2000
        let (x, y) = Fixtures.gaussiansToMoons(n, seed: 21)
        let problem = try TransportProblem(x: x, y: y)
        let simplex = NetworkSimplex().solve(problem)
        let r = try MultiscaleAssignment(baseSize: 256, warmStart: warmStart, warmStartQuantile: 0.99).solve(problem)
        #expect(r.status == .optimal && simplex.status == .optimal)
        #expect(Fixtures.relative(r.cost, simplex.cost) <= 1e-12, "\(warmStart): \(r.cost) vs \(simplex.cost)")
        let plan = TransportPlan(permutation: try #require(r.plan.permutation), mass: 1.0 / Double(n))
        let scan = try OptimalityCertificate.check(problem, plan: plan, f: r.f, g: r.g, dualCheck: .scan)
        #expect(scan == r.certificate.optimality)
        #expect(scan.holds)
    }
}
