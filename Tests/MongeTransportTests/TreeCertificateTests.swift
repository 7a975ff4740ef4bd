import MongeCore
import MongeTransport
import Testing

/// The k-d tree check of dual feasibility (squared Euclidean, 2-D) against the scan of all pairs.
@Suite("Tree certificate")
struct TreeCertificateTests {
    /// A named test problem with optional weights.
    struct Shape: CustomTestStringConvertible, Sendable {
        let name: String
        let x: Matrix<Double>
        let y: Matrix<Double>
        let a: [Double]?
        let b: [Double]?
        var testDescription: String { name }
        func problem() throws -> TransportProblem {
            try TransportProblem(geometry: Geometry(x: x, y: y), a: a, b: b)
        }
    }

    static let shapes: [Shape] = {
        let (gx, gy) = Fixtures.gaussiansToMoons(300, seed: 3)
        // Points on one line (degenerate boxes) and integer grids (many equal costs).
        let line = Matrix<Double>(rows: 120, columns: 2) { i, k in
            let t = Double((i * 37) % 120) / 7
            return k == 0 ? t : 2 * t + 1
        }
        let lineTargets = Matrix<Double>(rows: 90, columns: 2) { i, k in
            let t = Double((i * 11) % 90) / 5 - 3
            return k == 0 ? t : 2 * t + 1
        }
        let grid = Matrix<Double>(rows: 100, columns: 2) { i, k in Double(k == 0 ? i % 10 : i / 10) }
        let gridTargets = Matrix<Double>(rows: 64, columns: 2) { i, k in Double(k == 0 ? (i * 3) % 8 : i / 8) + 0.5 }
        let distinct = Fixtures.points(7, 2, seed: 21)
        let repeated = distinct.rows(at: (0..<140).map { ($0 * 5) % 7 })
        return [
            Shape(name: "clustered 300×300 uniform", x: gx, y: gy, a: nil, b: nil),
            Shape(name: "normal 200×130 weighted", x: Fixtures.points(200, seed: 1), y: Fixtures.points(130, seed: 2, shift: 1),
                  a: Fixtures.weights(200, seed: 5), b: Fixtures.weights(130, seed: 6)),
            Shape(name: "collinear 120×90", x: line, y: lineTargets, a: nil, b: nil),
            Shape(name: "grid 100×64 weighted", x: grid, y: gridTargets, a: Fixtures.weights(100, seed: 7), b: nil),
            Shape(name: "duplicated 140×60", x: repeated, y: Fixtures.points(60, seed: 22), a: nil, b: nil),
            Shape(name: "duplicated both 140×140", x: repeated, y: repeated, a: nil, b: nil),
            Shape(name: "one source 1×50", x: Fixtures.points(1, seed: 23), y: Fixtures.points(50, seed: 24), a: nil, b: nil),
            Shape(name: "far apart 80×80", x: Fixtures.points(80, seed: 25).map { $0 * 1e3 }, y: Fixtures.points(80, seed: 26, shift: 5e3),
                  a: nil, b: nil),
        ]
    }()

    /// Potentials shifted by seeded noise of relative size `scale` (many violations when large).
    static func perturbed(_ v: [Double], scale: Double, seed: UInt64) -> [Double] {
        let rng = RandomStream(seed: seed, stream: 3)
        return v.indices.map { v[$0] + scale * (2 * rng.uniform(UInt64($0)) - 1) }
    }

    @Test(arguments: shapes)
    func theTreeCheckEqualsTheScanBitForBit(shape: Shape) throws {
        let problem = try shape.problem()
        let solved = NetworkSimplex().solve(problem)
        #expect(solved.status == .optimal)
        let bound = problem.geometry.costBound
        // Optimal potentials, then ones with a few and with very many violated pairs.
        let cases: [([Double], [Double])] = [
            (solved.f, solved.g),
            (Self.perturbed(solved.f, scale: 1e-10 * bound, seed: 1), solved.g),
            (Self.perturbed(solved.f, scale: 1e-3 * bound, seed: 2), Self.perturbed(solved.g, scale: 1e-3 * bound, seed: 3)),
            (solved.f.map { $0 - 0.01 * bound }, solved.g),
        ]
        for (f, g) in cases {
            let scan = try OptimalityCertificate.check(problem, plan: solved.plan, f: f, g: g, dualCheck: .scan)
            let tree = try OptimalityCertificate.check(problem, plan: solved.plan, f: f, g: g, dualCheck: .tree)
            #expect(tree == scan)
            #expect(tree.maxDualViolation == scan.maxDualViolation)
            #expect(tree.costTolerance == scan.costTolerance)
            for (tolerance, perRow) in [(0.0, 1), (1e-9 * bound, 3), (1e-4 * bound, 2)] {
                let fromScan = try OptimalityCertificate.violatingPairs(problem.geometry, f: f, g: g, tolerance: tolerance,
                                                                        perRow: perRow, dualCheck: .scan)
                let fromTree = try OptimalityCertificate.violatingPairs(problem.geometry, f: f, g: g, tolerance: tolerance,
                                                                        perRow: perRow, dualCheck: .tree)
                #expect(fromTree.map(\.source) == fromScan.map(\.source))
                #expect(fromTree.map(\.target) == fromScan.map(\.target))
                #expect(fromTree.map(\.cost) == fromScan.map(\.cost))
            }
        }
        let optimal = try OptimalityCertificate.check(problem, plan: solved.plan, f: solved.f, g: solved.g, dualCheck: .tree)
        #expect(optimal.holds)
    }

    /// One potential raised by just over the tolerance, and by a lot: the tree finds the pair.
    @Test(arguments: [0, 2, 4])
    func aCorruptedPotentialIsRejected(shapeIndex: Int) throws {
        let problem = try Self.shapes[shapeIndex].problem()
        let solved = NetworkSimplex().solve(problem)
        let tolerance = solved.certificate.optimality!.costTolerance
        // A source that ships mass: its pair on the plan is tight, so raising f_i violates it.
        let i = solved.plan.sources[solved.plan.entryCount / 2]
        for delta in [1.5 * tolerance, 10 * tolerance, 0.5 * problem.geometry.costBound] {
            var f = solved.f
            f[i] += delta
            let tree = try OptimalityCertificate.check(problem, plan: solved.plan, f: f, g: solved.g, dualCheck: .tree)
            let scan = try OptimalityCertificate.check(problem, plan: solved.plan, f: f, g: solved.g, dualCheck: .scan)
            #expect(!tree.holds)
            #expect(tree.maxDualViolation > tolerance)
            #expect(tree == scan)
            let pairs = try OptimalityCertificate.violatingPairs(problem.geometry, f: f, g: solved.g, tolerance: tolerance,
                                                                 dualCheck: .tree)
            #expect(pairs.map(\.source) == [i])
        }
        // Lowering g by the same small amount keeps feasibility (only slackness fails).
        var g = solved.g
        g[0] -= 1.5 * tolerance
        let lowered = try OptimalityCertificate.check(problem, plan: solved.plan, f: solved.f, g: g, dualCheck: .tree)
        #expect(lowered.maxDualViolation <= tolerance)
    }

    @Test func theTreeIsRefusedWhereItDoesNotApply() throws {
        let x = Fixtures.points(10, 3, seed: 1), y = Fixtures.points(10, 3, seed: 2)
        let problem = try TransportProblem(x: x, y: y)
        let solved = NetworkSimplex().solve(problem)
        #expect(throws: MongeError.self) {
            try OptimalityCertificate.check(problem, plan: solved.plan, f: solved.f, g: solved.g, dualCheck: .tree)
        }
        let euclidean = try TransportProblem(x: Fixtures.points(10, seed: 1), y: Fixtures.points(10, seed: 2), cost: .euclidean)
        #expect(!OptimalityCertificate.treeApplies(to: euclidean.geometry))
        #expect(OptimalityCertificate.treeApplies(to: try TransportProblem(x: Fixtures.points(4, seed: 1), y: Fixtures.points(4, seed: 2)).geometry))
        // .auto falls back to the scan there.
        let auto = try OptimalityCertificate.check(problem, plan: solved.plan, f: solved.f, g: solved.g, dualCheck: .auto)
        #expect(auto == solved.certificate.optimality!)
    }

    /// NaN potentials are infinite violations in both checks.
    @Test func nonFinitePotentialsFailBothChecks() throws {
        let problem = try TransportProblem(x: Fixtures.points(30, seed: 1), y: Fixtures.points(30, seed: 2))
        let solved = NetworkSimplex().solve(problem)
        var f = solved.f
        f[4] = .nan
        for method in [OptimalityCertificate.DualCheck.scan, .tree] {
            let c = try OptimalityCertificate.check(problem, plan: solved.plan, f: f, g: solved.g, dualCheck: method)
            #expect(!c.holds)
            #expect(c.maxDualViolation == .infinity)
        }
    }
}
