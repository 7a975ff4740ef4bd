import Foundation
import MongeCore
import MongeTransport
import TestSupport
import Testing

@Suite("Optimality certificates", .timeLimit(.minutes(1)), .watchdog(seconds: 300))
struct CertificateTests {
    @Test func anOptimalResultCarriesAValidCertificate() throws {
        let problem = try TransportProblem(x: Fixtures.points(40, 2, seed: 1), y: Fixtures.points(40, 2, seed: 2, shift: 1))
        let result = NetworkSimplex().solve(problem)
        #expect(result.status == .optimal)
        #expect(result.certificate.optimality!.holds)
        #expect(abs(result.certificate.optimality!.dualityGap) <= 1e-12 * result.cost)
    }

    @Test func swappingTwoTargetsOfTheOptimalPlanFailsSlackness() throws {
        let problem = try TransportProblem(x: Fixtures.points(30, 2, seed: 3), y: Fixtures.points(30, 2, seed: 4))
        let result = try DenseAssignment().solve(problem)
        var sigma = result.plan.permutation!
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
        let result = TransportOutput(solver: "test", plan: good.plan, f: good.f, g: good.g,
                                     iterations: 0, termination: .optimal, certificate: .optimality(bad), seconds: 0)
        #expect(result.status == .certificateFailed)
        #expect(result.status.exitCode != 0)
    }

    @Test func aPivotLimitIsReportedAsSuch() throws {
        let (x, y) = Fixtures.gaussiansToMoons(200, seed: 1)
        let problem = try TransportProblem(x: x, y: y)
        let result = NetworkSimplex(maxIterations: 5).solve(problem)
        #expect(result.status == .iterationLimit)
        #expect(result.iterations == 5)
        #expect(!result.certificate.optimality!.holds)
        #expect(result.status.exitCode == 3)
        // The plan is still feasible.
        #expect(result.certificate.optimality!.maxMarginalError < 1e-15)
    }

    /// The cost tolerance is 1e-9·max|C_ij| (pinned), so a potential raised by 1e-6·max|C| — a
    /// violation a thousand times the tolerance, yet tiny against the costs — breaks the
    /// certificate, while one raised by 1e-11·max|C| does not.
    @Test func aPotentialRaisedByAMillionthOfTheLargestCostFailsAndTheToleranceIsPinned() throws {
        let x = Fixtures.points(30, 2, seed: 9), y = Fixtures.points(30, 2, seed: 10, shift: 2)
        let problem = try TransportProblem(x: x, y: y)
        let result = NetworkSimplex().solve(problem)
        #expect(result.certificate.optimality!.holds)
        // max |C_ij| by brute force over the points (squared Euclidean).
        var largest = 0.0
        for i in 0..<30 { for j in 0..<30 { largest = max(largest, pow(x[i, 0] - y[j, 0], 2) + pow(x[i, 1] - y[j, 1], 2)) } }
        #expect(OptimalityCertificate.defaultCostTolerance == 1e-9)
        #expect(abs(result.certificate.optimality!.costTolerance - 1e-9 * largest) <= 1e-12 * 1e-9 * largest)
        var f = result.f
        f[0] += 1e-6 * largest
        let raised = OptimalityCertificate.check(problem, plan: result.plan, f: f, g: result.g)
        #expect(raised.maxDualViolation >= 0.99e-6 * largest)
        #expect(!raised.holds)
        f = result.f
        f[0] += 1e-11 * largest
        #expect(OptimalityCertificate.check(problem, plan: result.plan, f: f, g: result.g).holds)
    }
}
