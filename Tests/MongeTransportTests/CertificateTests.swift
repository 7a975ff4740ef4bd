import MongeCore
import MongeTransport
import Testing

@Suite("Optimality certificates")
struct CertificateTests {
    @Test func anOptimalResultCarriesAValidCertificate() throws {
        let problem = try TransportProblem(x: Fixtures.points(40, 2, seed: 1), y: Fixtures.points(40, 2, seed: 2, shift: 1))
        let result = NetworkSimplex().solve(problem)
        #expect(result.status == .optimal)
        #expect(result.certificate.holds)
        #expect(abs(result.certificate.dualityGap) <= 1e-12 * result.cost)
    }

    @Test func swappingTwoTargetsOfTheOptimalPlanFailsSlackness() throws {
        let problem = try TransportProblem(x: Fixtures.points(30, 2, seed: 3), y: Fixtures.points(30, 2, seed: 4))
        let result = try DenseAssignment().solve(problem)
        var sigma = result.permutation
        sigma.swapAt(0, 1)  // still a feasible plan: the marginals hold
        let corrupted = TransportPlan(permutation: sigma, mass: 1.0 / 30)
        let certificate = OptimalityCertificate.check(problem, plan: corrupted, f: result.f, g: result.g)
        #expect(certificate.maxMarginalError < 1e-15)
        #expect(certificate.maxSlackness > certificate.costTolerance)
        #expect(!certificate.holds)
        #expect(certificate.primalCost > result.cost)
    }

    @Test func movedMassFailsTheMarginalsAndRaisedPotentialsFailDualFeasibility() throws {
        let problem = try TransportProblem(x: Fixtures.points(20, 2, seed: 5), y: Fixtures.points(25, 2, seed: 6))
        let result = NetworkSimplex().solve(problem)
        var masses = result.plan.masses
        masses[0] += 1e-3
        let moved = TransportPlan(sourceCount: 20, targetCount: 25, sources: result.plan.sources,
                                  targets: result.plan.targets, masses: masses)
        #expect(!OptimalityCertificate.check(problem, plan: moved, f: result.f, g: result.g).holds)
        var f = result.f
        f[3] += 0.1
        let raised = OptimalityCertificate.check(problem, plan: result.plan, f: f, g: result.g)
        #expect(raised.maxDualViolation > 0.09)
        #expect(!raised.holds)
    }

    @Test func aResultWhoseCertificateFailsIsNotReportedOptimal() throws {
        let problem = try TransportProblem(x: Fixtures.points(10, 2, seed: 7), y: Fixtures.points(10, 2, seed: 8))
        let good = NetworkSimplex().solve(problem)
        let bad = OptimalityCertificate.check(problem, plan: good.plan, f: good.f.map { $0 + 1 }, g: good.g)
        let result = TransportResult(solver: "test", problem: problem, plan: good.plan, f: good.f, g: good.g,
                                     iterations: 0, solverStatus: .optimal, certificate: bad, seconds: 0)
        #expect(result.status == .certificateFailed)
        #expect(result.status.exitCode != 0)
    }

    @Test func aPivotLimitIsReportedAsSuch() throws {
        let (x, y) = Fixtures.gaussiansToMoons(200, seed: 1)
        let problem = try TransportProblem(x: x, y: y)
        let result = NetworkSimplex(maxIterations: 5).solve(problem)
        #expect(result.status == .iterationLimit)
        #expect(result.iterations == 5)
        #expect(!result.certificate.holds)
        #expect(result.status.exitCode == 3)
        // The plan is still feasible.
        #expect(result.certificate.maxMarginalError < 1e-15)
    }
}
