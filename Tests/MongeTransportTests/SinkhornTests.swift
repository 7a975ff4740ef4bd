import Foundation
import MongeCore
import MongeTransport
import TestSupport
import Testing

@Suite("Log-domain Sinkhorn", .timeLimit(.minutes(1)), .watchdog(seconds: 300))
struct SinkhornTests {
    @Test func linearCostDecreasesMonotonicallyToTheExactCost() throws {
        let (x, y) = Fixtures.gaussiansToMoons(60, seed: 3)
        let problem = try TransportProblem(geometry: Geometry(x: x, y: y), a: Fixtures.weights(60, seed: 1), b: nil)
        let exact = NetworkSimplex().solve(problem).cost
        var previous = Double.infinity
        var gaps: [Double] = []
        for epsilon in [1.0, 0.3, 0.1, 0.03, 0.01] {
            let r = try Sinkhorn(epsilon: epsilon, tolerance: 1e-9).solve(problem)
            #expect(r.status == .converged)
            #expect(r.certificate.entropic!.marginalError <= 1e-8)
            #expect(r.cost < previous + 1e-12)
            #expect(r.cost >= exact - 1e-9)
            previous = r.cost
            gaps.append(r.cost - exact)
        }
        #expect(gaps.last! < 5e-4 * exact)
        #expect(gaps.last! < gaps.first! / 100)
    }

    @Test func smallEpsilonIsStableAndTheEntropicCostIsConsistent() throws {
        let x = Fixtures.points(40, 2, seed: 5), y = Fixtures.points(40, 2, seed: 6, shift: 3)
        let problem = try TransportProblem(x: x, y: y)
        let r = try Sinkhorn(epsilon: 1e-4, planThreshold: 0).solve(problem)
        #expect(r.f.allSatisfy(\.isFinite) && r.g.allSatisfy(\.isFinite))
        #expect(r.cost.isFinite)
        #expect(r.status == .converged)
        let exact = try DenseAssignment().solve(problem).cost
        #expect(abs(r.cost - exact) < 1e-3 * exact)
        // Weak duality: the entropic objective is at least the exact cost minus ε·log(n m)-level slack.
        #expect(r.certificate.entropic!.entropicCost >= exact - 1e-9)
        let plan = r.plan.dense()
        let rows = (0..<40).map { i in (0..<40).reduce(0.0) { $0 + plan[i, $1] } }
        #expect(rows.allSatisfy { abs($0 - 1.0 / 40) < 1e-9 })
    }

    /// Two points to the same two points, uniform weights, C = [[0, c], [c, 0]]: the entropic plan
    /// is [[p, ½ − p], [½ − p, p]] with p/(½ − p) = e^(c/ε), so ⟨P, C⟩ = c/(1 + e^(c/ε)) and
    /// KL(P ‖ ab) = 2p log 4p + (1 − 2p) log 2(1 − 2p). ε-scaling from the cost bound c by halves
    /// passes 0.5c and would overshoot a requested 0.3c to 0.25c without its final clamp.
    @Test func theReturnedEpsilonIsTheRequestedOneAndTheTwoPointCostsHaveTheirClosedForm() throws {
        let x = Matrix<Double>([[0, 0], [1, 0]])
        let problem = try TransportProblem(x: x, y: x)
        let c = problem.geometry.cost(0, 1)
        #expect(c == 1 && problem.geometry.cost(0, 0) == 0)
        for epsilon in [0.3, 0.7, 0.05] {
            let r = try Sinkhorn(epsilon: epsilon, tolerance: 1e-13).solve(problem)
            #expect(r.status == .converged)
            #expect(r.certificate.entropic!.epsilon == epsilon)
            let p = 1 / (2 * (1 + exp(-c / epsilon)))
            let linear = c / (1 + exp(c / epsilon))
            let kl = 2 * p * log(4 * p) + (1 - 2 * p) * log(2 * (1 - 2 * p))
            #expect(abs(r.cost - linear) < 1e-10, "ε = \(epsilon): ⟨P, C⟩ \(r.cost) vs \(linear)")
            #expect(abs(r.certificate.entropic!.entropicCost - (linear + epsilon * kl)) < 1e-10, "ε = \(epsilon): entropic \(r.certificate.entropic!.entropicCost) vs \(linear + epsilon * kl)")
        }
    }

    @Test func anIterationLimitIsNotConvergence() throws {
        let (x, y) = Fixtures.gaussiansToMoons(50, seed: 2)
        let r = try Sinkhorn(epsilon: 1e-3, maxIterations: 3).solve(TransportProblem(x: x, y: y))
        #expect(r.status != .converged)
        #expect(r.status == .notConverged)
        #expect(r.iterations == 3)
        #expect(r.certificate.entropic!.errorHistory.count == 3)
    }

    @Test func badEpsilonIsRejected() throws {
        let problem = try TransportProblem(x: Fixtures.points(3, 2, seed: 1), y: Fixtures.points(3, 2, seed: 2))
        #expect(throws: MongeError.self) { try Sinkhorn(epsilon: 0).solve(problem) }
        #expect(throws: MongeError.self) { try Sinkhorn(epsilon: .nan).solve(problem) }
    }
}

@Suite("Vectorised exp")
struct FastExpTests {
    @Test func sumExpMatchesTheLibraryExp() {
        let values = (0..<1001).map { -800.0 + 0.8123 * Double($0) }  // −800 … 12.5
        let expected = values.reduce(0.0) { $0 + Foundation.exp($1 - 5) }
        let got = values.withUnsafeBufferPointer { sumExpForTesting($0.baseAddress!, count: $0.count, shift: 5) }
        #expect(abs(got - expected) <= 1e-15 * expected)
        for v in [-745.0, -708.5, -1.0, 0.0, 1e-10, 0.34657, 3.7, 700.0] {
            let one = [v].withUnsafeBufferPointer { sumExpForTesting($0.baseAddress!, count: 1, shift: 0) }
            let reference = Foundation.exp(v)
            #expect(v < -708 ? one == 0 : abs(one - reference) <= 1e-15 * reference, "exp(\(v))")
        }
    }
}
import Foundation
