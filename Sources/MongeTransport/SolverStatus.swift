/// How a solver ended. Only `optimal` (exact solvers) and `converged` (Sinkhorn) are successes;
/// anything else is reported as such, never as an optimal result.
public enum SolverStatus: String, Codable, Sendable, CustomStringConvertible {
    /// The result is optimal and its certificate holds.
    case optimal
    /// The solver stopped at its iteration limit before reaching optimality.
    case iterationLimit = "iteration_limit"
    /// The problem has no feasible plan (e.g. a sparse support that cannot carry the masses).
    case infeasible
    /// The solver claimed optimality but the certificate check failed (a numerical problem).
    case certificateFailed = "certificate_failed"
    /// Sinkhorn met its marginal tolerance.
    case converged
    /// Sinkhorn stopped at its iteration limit with marginal errors above tolerance.
    case notConverged = "not_converged"

    public var isSuccess: Bool { self == .optimal || self == .converged }
    public var description: String { rawValue }

    /// The process exit code a command uses for this status (0 for success).
    public var exitCode: Int32 {
        switch self {
        case .optimal, .converged: return 0
        case .iterationLimit, .notConverged: return 3
        case .infeasible: return 4
        case .certificateFailed: return 5
        }
    }
}
