import MongeCore
import MongeTransport
import TestSupport
import Testing

/// The multiscale assignment solver's relaxed auction (`refillSlack`: rows bid from their lists
/// while an unlisted column could be better by at most slack · ε) against the network simplex on
/// the full problem, on shapes that stress candidate lists: clustered, collinear, duplicated.
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
}
