import Foundation
import MongeCore
import MongeTransport

/// How a minibatch of source points x₀ (B × D) is paired with a minibatch of target points x₁:
/// row k of the result is the pair (x₀[sources[k]], x₁[targets[k]]).
public struct MinibatchPairing: Sendable, Equatable {
    public var sources: [Int]
    public var targets: [Int]
    /// The exact plan's optimality certificate (OT-CFM), checked before the pairing is returned.
    public var certificate: OptimalityCertificate?
    /// ‖P1 − a‖₁ + ‖Pᵀ1 − b‖₁ of the entropic plan (SB-CFM), checked against Sinkhorn's tolerance.
    public var entropicMarginalError: Double?
}

/// The minibatch couplings of flow matching (Tong et al. 2024, Algorithm 1 and §3.2).
public enum MinibatchCoupling {
    /// The independent coupling: the two minibatches are already independent draws, row k with row k.
    public static func independent(count: Int) -> MinibatchPairing {
        MinibatchPairing(sources: Array(0..<count), targets: Array(0..<count))
    }

    /// The exact OT plan of the minibatch for the squared Euclidean cost ‖x₀ − x₁‖². With equal
    /// uniform weights the plan is a permutation σ (Birkhoff), so row k pairs x₀[k] with x₁[σ(k)] —
    /// every pair of the plan once (TorchCFM draws B pairs from the plan with replacement; same
    /// expectation, less variance). The plan's certificate (dual feasibility, complementary
    /// slackness, marginals, over every pair) must hold, else this throws.
    public static func exact(_ x0: Matrix<Double>, _ x1: Matrix<Double>) throws -> MinibatchPairing {
        let problem = try TransportProblem(x: x0, y: x1)
        let result = try DenseAssignment().solve(problem)
        guard result.status == .optimal, let certificate = result.certificate.optimality, certificate.holds,
              let sigma = result.plan.permutation else {
            throw MongeError.numerical("the exact OT plan of a \(x0.rows)-point minibatch ended with status \(result.status); its certificate: \(result.certificate)")
        }
        return MinibatchPairing(sources: Array(0..<x0.rows), targets: sigma, certificate: certificate)
    }

    /// B pairs drawn with replacement from the entropic plan P_ε (log-domain Sinkhorn, squared
    /// Euclidean cost, ε = `epsilon`), pair k by inverse-CDF sampling of the flattened plan with
    /// uniform k of `random` — TorchCFM's `sample_map`. Throws when Sinkhorn does not converge to
    /// `tolerance` (‖P1 − a‖₁ + ‖Pᵀ1 − b‖₁ relative to the mass: 10⁻³ misplaces 0.1 % of the pairs'
    /// probability, and costs a few times fewer sweeps than 10⁻⁶).
    public static func entropic(_ x0: Matrix<Double>, _ x1: Matrix<Double>, epsilon: Double, random: RandomStream,
                                tolerance: Double = 1e-3) throws -> MinibatchPairing {
        let problem = try TransportProblem(x: x0, y: x1)
        // Every positive entry of P_ε, row by row: the flattened plan without its zeros.
        let solver = Sinkhorn(epsilon: epsilon, tolerance: tolerance, planThreshold: 0)
        let result = try solver.solve(problem)
        let marginalError = result.certificate.entropic?.marginalError ?? .infinity
        guard result.status == .converged, marginalError <= 10 * tolerance * problem.totalMass else {
            throw MongeError.numerical("Sinkhorn at ε = \(epsilon) on a \(x0.rows)-point minibatch did not converge (marginal error \(marginalError) after \(result.iterations) sweeps)")
        }
        let plan = result.plan
        var cumulative = [Double](repeating: 0, count: plan.entryCount)
        var total = 0.0
        for (k, p) in plan.masses.enumerated() { total += p; cumulative[k] = total }
        var sources: [Int] = [], targets: [Int] = []
        for k in 0..<x0.rows {
            let u = random.uniform(UInt64(k)) * total
            // First entry whose cumulative mass exceeds u.
            var low = 0, high = cumulative.count - 1
            while low < high {
                let mid = (low + high) / 2
                if cumulative[mid] > u { high = mid } else { low = mid + 1 }
            }
            sources.append(plan.sources[low])
            targets.append(plan.targets[low])
        }
        return MinibatchPairing(sources: sources, targets: targets, entropicMarginalError: marginalError)
    }
}
