import Dispatch
import MongeCore

/// The contract of every optimal transport solver (after OTT-JAX's solvers and outputs): a solver
/// is configured by its own properties and maps a `TransportProblem` to one `TransportOutput`.
///
/// Conformers: `NetworkSimplex`, `MultiscaleTransport`, `DenseAssignment`, `MultiscaleAssignment`, `OneDimensional`,
/// `Sinkhorn`, and `OptimalTransport`, which dispatches on an `OTSolver`. A solver throws only for
/// a problem it does not apply to (or bad settings); a solve that stops early or fails its check
/// is returned with that `status`, never as a success.
public protocol TransportSolver: Sendable {
    func solve(_ problem: TransportProblem) throws -> TransportOutput
}

/// What a solver returns: the plan, its potentials and cost, how the solve ended, and the evidence.
public struct TransportOutput: Sendable {
    /// The engine that solved ("network-simplex", "multiscale-simplex", "dense-assignment", "multiscale-assignment",
    /// "sorting-1d", "sinkhorn").
    public let solver: String
    /// The plan, sparse. Exact solvers: a vertex of the transport polytope (at most n + m − 1
    /// entries; a permutation for an assignment). Sinkhorn: the entries of P_ε above its
    /// `planThreshold` × the largest entry.
    public let plan: TransportPlan
    /// Source potentials f (length n) and target potentials g (length m). Exact: f_i + g_j ≤ C_ij,
    /// tight on the plan. Sinkhorn: P_ij = a_i b_j exp((f_i + g_j − C_ij)/ε).
    public let f: [Double]
    public let g: [Double]
    /// ⟨P, C⟩ (Sinkhorn: of the full entropic plan, not of the thresholded sparse one).
    public let cost: Double
    /// `optimal` only when an exact solver finished and its certificate holds; `converged` when
    /// Sinkhorn met its tolerance. Derived in one place: `SolverStatus(termination:certificate:)`.
    public let status: SolverStatus
    /// Pivots (network simplex; multiscale simplex: over all levels), augmentations (dense assignment), bids + augmentations + base
    /// pivots (multiscale), steps of the staircase (sorting) or sweeps (Sinkhorn).
    public let iterations: Int
    /// Wall time of the solve without the certificate check, seconds.
    public let seconds: Double
    /// The evidence: the optimality certificate of an exact solver, or Sinkhorn's marginal error at ε.
    public let certificate: TransportCertificate

    public var n: Int { plan.sourceCount }
    public var m: Int { plan.targetCount }

    /// An output whose cost is the certificate's ⟨P, C⟩ and whose status is derived from how the
    /// solver ended (`termination`) and the certificate.
    public init(solver: String, plan: TransportPlan, f: [Double], g: [Double], iterations: Int,
                termination: SolverStatus, certificate: TransportCertificate, seconds: Double) {
        self.solver = solver
        self.plan = plan
        self.f = f
        self.g = g
        self.cost = certificate.primalCost
        self.status = SolverStatus(termination: termination, certificate: certificate)
        self.iterations = iterations
        self.seconds = seconds
        self.certificate = certificate
    }
}

/// The evidence behind a `TransportOutput`.
public enum TransportCertificate: Sendable, Equatable {
    /// Exact solvers: dual feasibility, complementary slackness and marginals checked on every pair.
    case optimality(OptimalityCertificate)
    /// Sinkhorn: the regularisation, the costs and the marginal error of P_ε.
    case entropic(EntropicCertificate)

    public var optimality: OptimalityCertificate? {
        if case let .optimality(c) = self { return c }
        return nil
    }

    public var entropic: EntropicCertificate? {
        if case let .entropic(c) = self { return c }
        return nil
    }

    /// ⟨P, C⟩ of the plan the certificate is about.
    public var primalCost: Double {
        switch self {
        case let .optimality(c): return c.primalCost
        case let .entropic(c): return c.primalCost
        }
    }
}

/// What Sinkhorn can show for its plan P_ε = a_i b_j exp((f_i + g_j − C_ij)/ε): it is not an
/// optimum of the unregularised problem, so the evidence is how well it meets the marginals.
public struct EntropicCertificate: Sendable, Equatable, Codable {
    /// The ε of the last stage, in cost units.
    public let epsilon: Double
    /// ⟨P, C⟩.
    public let primalCost: Double
    /// ⟨P, C⟩ + ε KL(P ‖ a⊗b), the regularised objective.
    public let entropicCost: Double
    /// ‖P 1 − a‖₁ + ‖Pᵀ 1 − b‖₁ of the returned potentials' plan.
    public let marginalError: Double
    /// The row-marginal error after each sweep (columns are exact after a sweep).
    public let errorHistory: [Double]

    public init(epsilon: Double, primalCost: Double, entropicCost: Double, marginalError: Double, errorHistory: [Double]) {
        self.epsilon = epsilon
        self.primalCost = primalCost
        self.entropicCost = entropicCost
        self.marginalError = marginalError
        self.errorHistory = errorHistory
    }
}

extension SolverStatus {
    /// The status an output reports: a solver's claimed optimum stands only if its certificate
    /// holds (else `certificateFailed`); every other ending (iteration limit, infeasible,
    /// Sinkhorn's converged / not converged) is reported as the solver ended.
    public init(termination: SolverStatus, certificate: TransportCertificate) {
        if termination == .optimal, let c = certificate.optimality, !c.holds {
            self = .certificateFailed
        } else {
            self = termination
        }
    }
}

/// Wall-clock seconds since `start` (a `DispatchTime` uptime in nanoseconds).
@inline(__always)
func secondsSince(_ start: UInt64) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
}

@inline(__always)
func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

extension TransportOutput {
    /// The fields of `monge ot --json` and of the C ABI's `monge_ot` result (snake_case), so both
    /// report an output alike: solver, cost, status, iterations, seconds, then the certificate's
    /// numbers (exact) or ε, the entropic cost and the marginal error (Sinkhorn).
    public var summary: [String: Any] {
        var fields: [String: Any] = ["solver": solver, "cost": cost, "status": status.rawValue, "iterations": iterations,
                                     "seconds": seconds]
        switch certificate {
        case let .optimality(c):
            fields["potentials_dual_cost"] = c.dualCost
            fields["certificate"] = ["max_dual_violation": c.maxDualViolation, "max_slackness": c.maxSlackness,
                                     "max_marginal_error": c.maxMarginalError, "duality_gap": c.dualityGap, "holds": c.holds,
                                     "cost_tolerance": c.costTolerance, "mass_tolerance": c.massTolerance] as [String: Any]
        case let .entropic(e):
            fields["entropic_cost"] = e.entropicCost
            fields["epsilon"] = e.epsilon
            fields["converged"] = status == .converged
            fields["marginal_error"] = e.marginalError
        }
        return fields
    }
}
