import Foundation
import MongeCore
import MongeTransport
import TestSupport
import Testing

/// Every solver through the one `TransportSolver` contract on small random problems, each output
/// field checked from scratch in the test: costs against the minimum over all permutations, the
/// potentials against every pair (dual feasibility, slackness) and LP duality, the plan against
/// the marginals; Sinkhorn's plan against its closed form from (f, g, ε).
@Suite("One solver contract", .timeLimit(.minutes(1)), .watchdog(seconds: 300))
struct SolverContractTests {
    /// The exact solvers and the dispatcher's exact cases that apply to an assignment problem.
    static let assignmentSolvers: [(String, any TransportSolver)] = [
        ("network simplex", NetworkSimplex()),
        ("dense assignment", DenseAssignment()),
        ("multiscale assignment", MultiscaleAssignment(leafSize: 2, baseSize: 2, candidatesPerRow: 2)),
        ("auto", OptimalTransport()),
        ("simplex", OptimalTransport(.simplex)),
        ("assignment", OptimalTransport(.assignment)),
        ("dense-assignment", OptimalTransport(.denseAssignment)),
        ("multiscale simplex", MultiscaleTransport(leafSize: 2, baseSize: 4)),
        ("multiscale-simplex", OptimalTransport(.multiscaleSimplex)),
    ]

    /// min over σ of (1/n) Σ_i C_iσ(i), over all n! permutations.
    static func bruteForceAssignment(_ geometry: Geometry) -> Double {
        let n = geometry.sourceCount
        return TestSupport.permutations(n).map { sigma in (0..<n).reduce(0.0) { $0 + geometry.cost($1, sigma[$1]) } }.min()! / Double(n)
    }

    /// Checks an exact output field by field against the problem, with no call into the certificate code.
    static func expectExact(_ out: TransportOutput, _ problem: TransportProblem, _ name: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        let n = problem.n, m = problem.m, geometry = problem.geometry
        #expect(out.status == .optimal, "\(name): \(out.status)", sourceLocation: sourceLocation)
        #expect(out.n == n && out.m == m && out.f.count == n && out.g.count == m, "\(name): shapes", sourceLocation: sourceLocation)
        #expect(out.iterations >= 0 && out.seconds >= 0 && out.seconds.isFinite, "\(name)", sourceLocation: sourceLocation)
        var largest = 0.0
        for i in 0..<n { for j in 0..<m { largest = max(largest, abs(geometry.cost(i, j))) } }
        let tolerance = 1e-9 * largest
        // Plan: nonnegative, marginals a and b, cost ⟨P, C⟩.
        var rows = [Double](repeating: 0, count: n), columns = [Double](repeating: 0, count: m)
        var primal = 0.0, slack = 0.0
        for k in 0..<out.plan.entryCount {
            let i = out.plan.sources[k], j = out.plan.targets[k], w = out.plan.masses[k]
            #expect(w >= 0, "\(name): negative mass", sourceLocation: sourceLocation)
            rows[i] += w; columns[j] += w
            primal += w * geometry.cost(i, j)
            if w > 0 { slack = max(slack, abs(geometry.cost(i, j) - out.f[i] - out.g[j])) }
        }
        for i in 0..<n { #expect(abs(rows[i] - problem.a[i]) <= 1e-12, "\(name): row \(i)", sourceLocation: sourceLocation) }
        for j in 0..<m { #expect(abs(columns[j] - problem.b[j]) <= 1e-12, "\(name): column \(j)", sourceLocation: sourceLocation) }
        #expect(abs(out.cost - primal) <= 1e-12 * max(primal, 1e-300), "\(name): cost \(out.cost) vs ⟨P, C⟩ \(primal)", sourceLocation: sourceLocation)
        // Dual feasibility on every pair, complementary slackness on the plan.
        var violation = 0.0
        for i in 0..<n { for j in 0..<m { violation = max(violation, out.f[i] + out.g[j] - geometry.cost(i, j)) } }
        #expect(violation <= tolerance, "\(name): dual violation \(violation)", sourceLocation: sourceLocation)
        #expect(slack <= tolerance, "\(name): slackness \(slack)", sourceLocation: sourceLocation)
        // LP duality: a feasible plan and feasible potentials with equal objectives are both optimal.
        let dual = (0..<n).reduce(0.0) { $0 + problem.a[$1] * out.f[$1] } + (0..<m).reduce(0.0) { $0 + problem.b[$1] * out.g[$1] }
        #expect(abs(out.cost - dual) <= tolerance, "\(name): cost \(out.cost) vs Σ a f + Σ b g = \(dual)", sourceLocation: sourceLocation)
        #expect(out.certificate.optimality?.holds == true && out.certificate.entropic == nil, "\(name)", sourceLocation: sourceLocation)
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func everyExactSolverReachesTheMinimumOverAllPermutations(seed: UInt64) throws {
        let n = 7
        let problem = try TransportProblem(x: Fixtures.points(n, seed: seed), y: Fixtures.points(n, seed: seed + 100, shift: 0.7))
        let best = Self.bruteForceAssignment(problem.geometry)
        for (name, solver) in Self.assignmentSolvers {
            let out = try solver.solve(problem)
            Self.expectExact(out, problem, name)
            #expect(abs(out.cost - best) <= 1e-12 * best, "\(name): \(out.cost) vs brute force \(best)")
            #expect(out.plan.permutation != nil, "\(name): an assignment's plan is a permutation")
        }
    }

    /// 1-D points, any weights: sorting, the simplex and `auto` (which picks sorting) give plans
    /// whose potentials prove them optimal; with uniform weights the cost is the permutation minimum.
    @Test(arguments: [UInt64(5), 6, 7])
    func oneDimensionalSolversAreOptimalByDuality(seed: UInt64) throws {
        let x = Fixtures.points(6, 1, seed: seed), y = Fixtures.points(8, 1, seed: seed + 10, shift: 0.3)
        let weighted = try TransportProblem(geometry: Geometry(x: x, y: y), a: Fixtures.weights(6, seed: seed),
                                            b: Fixtures.weights(8, seed: seed + 1))
        #expect(OTSolver.auto.resolved(for: weighted) == .sorting)
        var costs: [Double] = []
        for (name, solver) in [("sorting", OneDimensional()), ("simplex", NetworkSimplex()), ("auto", OptimalTransport()),
                               ("sorting via dispatcher", OptimalTransport(.sorting))] as [(String, any TransportSolver)] {
            let out = try solver.solve(weighted)
            Self.expectExact(out, weighted, name)
            costs.append(out.cost)
        }
        #expect(costs.allSatisfy { abs($0 - costs[0]) <= 1e-12 * costs[0] })
        let square = try TransportProblem(x: Fixtures.points(6, 1, seed: seed), y: Fixtures.points(6, 1, seed: seed + 20))
        let sorted = try OneDimensional().solve(square)
        Self.expectExact(sorted, square, "sorting, uniform")
        #expect(abs(sorted.cost - Self.bruteForceAssignment(square.geometry)) <= 1e-12 * sorted.cost)
    }

    /// Sinkhorn through the contract: its plan entries are a_i b_j exp((f_i + g_j − C_ij)/ε), their
    /// marginals are a and b to the tolerance, its cost is ⟨P, C⟩, and OT ≤ ⟨P_ε, C⟩ ≤ OT + ε log n
    /// (the entropic objective is at most that of the optimal permutation, whose KL to a⊗b is log n).
    @Test(arguments: [0.3, 0.05, 0.01])
    func sinkhornOutputsTheEntropicPlanOfItsPotentials(epsilon: Double) throws {
        let n = 7
        let problem = try TransportProblem(x: Fixtures.points(n, seed: 11), y: Fixtures.points(n, seed: 12, shift: 0.5))
        let best = Self.bruteForceAssignment(problem.geometry)
        for (name, solver) in [("sinkhorn", Sinkhorn(epsilon: epsilon, tolerance: 1e-10, planThreshold: 0)),
                               ("dispatcher", OptimalTransport(.sinkhorn, epsilon: epsilon))] as [(String, any TransportSolver)] {
            let out = try solver.solve(problem)
            #expect(out.status == .converged, "\(name)")
            let entropic = try #require(out.certificate.entropic)
            #expect(entropic.epsilon == epsilon && out.certificate.optimality == nil)
            // P_ε from the closed form on every pair; the output's entries must be those values.
            var rows = [Double](repeating: 0, count: n), columns = [Double](repeating: 0, count: n), primal = 0.0
            var closedForm = Matrix<Double>(rows: n, columns: n)
            for i in 0..<n {
                for j in 0..<n {
                    let c = problem.geometry.cost(i, j)
                    let p = problem.a[i] * problem.b[j] * exp((out.f[i] + out.g[j] - c) / epsilon)
                    closedForm[i, j] = p
                    rows[i] += p; columns[j] += p; primal += p * c
                }
            }
            for k in 0..<out.plan.entryCount {
                let i = out.plan.sources[k], j = out.plan.targets[k]
                #expect(abs(out.plan.masses[k] - closedForm[i, j]) <= 1e-14, "\(name): P[\(i), \(j)]")
            }
            if name == "sinkhorn" {
                #expect(out.plan.entryCount == closedForm.storage.filter { $0 > 0 }.count, "planThreshold 0 keeps every positive entry")
            }
            let marginal = zip(rows, problem.a).reduce(0.0) { $0 + abs($1.0 - $1.1) } + zip(columns, problem.b).reduce(0.0) { $0 + abs($1.0 - $1.1) }
            #expect(marginal <= 1e-8 && abs(entropic.marginalError - marginal) <= 1e-12, "\(name): marginal error \(marginal)")
            #expect(abs(out.cost - primal) <= 1e-12 * primal, "\(name): cost \(out.cost) vs ⟨P, C⟩ \(primal)")
            #expect(out.cost >= best - 1e-8 && out.cost <= best + epsilon * log(Double(n)) + 1e-8,
                    "\(name): \(out.cost) outside [\(best), \(best) + ε log n]")
        }
    }

    /// The dispatcher refuses what does not fit, naming the setting.
    @Test func theDispatcherRefusesSettingsThatDoNotApply() throws {
        let problem = try TransportProblem(x: Fixtures.points(4, seed: 1), y: Fixtures.points(5, seed: 2))
        for (solver, word) in [(OptimalTransport(.sinkhorn), "epsilon"), (OptimalTransport(.simplex, epsilon: 0.1), "epsilon"),
                               (OptimalTransport(.assignment, maxIterations: 3), "iteration"),
                               (OptimalTransport(.assignment), "n = m"), (OptimalTransport(.sorting), "1-dimensional")] {
            let error = #expect(throws: MongeError.self) { try solver.solve(problem) }
            #expect(error.map { "\($0)".contains(word) } == true, "\(String(describing: error)) should name \(word)")
        }
        #expect(OTSolver.allCases.allSatisfy { OTSolver($0.description) == $0 })
        #expect(OTSolver("dense-assignment") == .denseAssignment && OTSolver("exact") == nil)
    }

    /// The status is derived once: a claimed optimum whose certificate fails is `certificateFailed`;
    /// a limit stays a limit.
    @Test func theStatusComesFromTheTerminationAndTheCertificate() throws {
        let problem = try TransportProblem(x: Fixtures.points(5, seed: 3), y: Fixtures.points(5, seed: 4))
        let good = NetworkSimplex().solve(problem)
        let certificate = try #require(good.certificate.optimality)
        let bad = OptimalityCertificate.check(problem, plan: good.plan, f: good.f.map { $0 + 1 }, g: good.g)
        #expect(SolverStatus(termination: .optimal, certificate: .optimality(certificate)) == .optimal)
        #expect(SolverStatus(termination: .optimal, certificate: .optimality(bad)) == .certificateFailed)
        #expect(SolverStatus(termination: .iterationLimit, certificate: .optimality(bad)) == .iterationLimit)
        let entropic = EntropicCertificate(epsilon: 1, primalCost: 0, entropicCost: 0, marginalError: 1, errorHistory: [])
        #expect(SolverStatus(termination: .notConverged, certificate: .entropic(entropic)) == .notConverged)
    }
}
