import MongeCore
import MongeTransport
import Testing

/// The multiscale assignment solver with k-d tree refills (2-D, squared Euclidean) against the
/// network simplex on the full problem, and its certificate against the scan of all pairs.
@Suite("Multiscale solver with tree queries")
struct MultiscaleTreeTests {
    /// The anchor data (25 Gaussians → moons) and spread normal data, a few thousand points.
    @Test(arguments: [(2000, true), (3000, false)])
    func costEqualsTheNetworkSimplexAndIsCertified(n: Int, clustered: Bool) throws {
        let (x, y) = clustered ? Fixtures.gaussiansToMoons(n, seed: 5)
                               : (Fixtures.points(n, seed: 51), Fixtures.points(n, seed: 52, shift: 0.5))
        let problem = try TransportProblem(x: x, y: y)
        let multiscale = try MultiscaleAssignment(baseSize: 256).solve(problem)
        let simplex = NetworkSimplex().solve(problem)
        #expect(multiscale.status == .optimal && simplex.status == .optimal)
        #expect(Fixtures.relative(multiscale.cost, simplex.cost) <= 1e-12)
        #expect(multiscale.plan.permutation!.sorted() == Array(0..<n))
        // The certificate it carries (tree) is the one the scan of all n² pairs gives.
        let plan = TransportPlan(permutation: multiscale.plan.permutation!, mass: 1.0 / Double(n))
        let scan = try OptimalityCertificate.check(problem, plan: plan, f: multiscale.f, g: multiscale.g, dualCheck: .scan)
        #expect(scan == multiscale.certificate.optimality!)
        #expect(scan.holds)
    }

    /// Few candidates per row and many equal costs: lists end in ties, which the tree search
    /// must relax past (the scan engine relaxes the whole row there).
    @Test func tiesAtTheEndOfShortListsAreSolvedExactly() throws {
        let grid = Matrix<Double>(rows: 400, columns: 2) { i, k in Double(k == 0 ? i % 20 : i / 20) }
        let shifted = Matrix<Double>(rows: 400, columns: 2) { i, k in Double(k == 0 ? (i * 7) % 20 : i / 20) + (k == 0 ? 3 : -2) }
        let problem = try TransportProblem(x: grid, y: shifted)
        let solver = MultiscaleAssignment(leafSize: 4, baseSize: 16, candidatesPerRow: 2)
        let multiscale = try solver.solve(problem)
        let dense = try DenseAssignment().solve(problem)
        #expect(multiscale.status == .optimal)
        #expect(Fixtures.relative(multiscale.cost, dense.cost) <= 1e-12)
    }
}
