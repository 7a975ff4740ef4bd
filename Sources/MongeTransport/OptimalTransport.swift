import MongeCore

/// The solvers by name: one enum for the library, the command line (`monge ot --solver`) and the C ABI.
public enum OTSolver: String, CaseIterable, Sendable, Codable, LosslessStringConvertible {
    /// Assignment when n = m with uniform weights (the multiscale simplex above
    /// `assignmentMultiscaleSimplexThreshold`, 10⁴, for 2-D points under the squared Euclidean
    /// cost), sorting for 1-D points, the multiscale simplex for 2-D points under the squared
    /// Euclidean cost with more than `multiscaleSimplexThreshold` (1000) points on a side, else
    /// network simplex.
    case auto
    /// Network simplex (any weights).
    case simplex
    /// Multiscale network simplex (any weights, n ≠ m; 2-D points, squared Euclidean cost): the
    /// coarse plan seeds a sparse candidate set that the k-d tree violation search completes.
    case multiscaleSimplex = "multiscale-simplex"
    /// Assignment (n = m, uniform weights): multiscale auction + shortest augmenting paths on
    /// point clouds, dense shortest augmenting paths for a cost matrix.
    case assignment
    /// Dense shortest augmenting paths (n = m, uniform weights), O(n²) per augmentation.
    case denseAssignment = "dense-assignment"
    /// Sorting (1-D points, any weights).
    case sorting
    /// Log-domain Sinkhorn with ε-scaling: entropic, not exact; needs ε.
    case sinkhorn

    public init?(_ description: String) { self.init(rawValue: description) }
    public var description: String { rawValue }

    /// Whether an iteration limit means anything to the solver (pivots of the simplex, which `auto`
    /// may pick, or Sinkhorn's sweeps).
    public var acceptsIterationLimit: Bool { self == .auto || self == .simplex || self == .sinkhorn }

    /// Above this many points on one side (2-D, squared Euclidean, not an assignment) `auto` picks
    /// the multiscale simplex: its base size, at or below which it would be the simplex itself.
    /// Measured 2–8× faster than the simplex from 1000 × 1500 to 3·10⁴ × 4.5·10⁴ (weighted or
    /// n ≠ m, 25 Gaussians → moons; BENCHMARKS.md).
    public static let multiscaleSimplexThreshold = MultiscaleTransport().baseSize

    /// Above this many points (2-D, squared Euclidean, n = m with uniform weights) `auto` picks the
    /// multiscale simplex over the multiscale assignment: on the anchor it took 0.88 against 1.97 s
    /// at 10⁴, 14.6 against 32.8 s at 10⁵ and 96 against 244 CPU-s at 3·10⁵, for 2–2.5× the memory
    /// (BENCHMARKS.md); at 4096 the two tie, and below 10⁴ the assignment stays, as it was.
    public static let assignmentMultiscaleSimplexThreshold = 10_000

    /// The solver `auto` resolves to for `problem` (any other case: itself).
    public func resolved(for problem: TransportProblem) -> OTSolver {
        guard self == .auto else { return self }
        if problem.isAssignment {
            let large = problem.n > Self.assignmentMultiscaleSimplexThreshold
            return large && MultiscaleTransport.applies(to: problem.geometry) ? .multiscaleSimplex : .assignment
        }
        if problem.geometry.dimension == 1 { return .sorting }
        if MultiscaleTransport.applies(to: problem.geometry) && max(problem.n, problem.m) > Self.multiscaleSimplexThreshold {
            return .multiscaleSimplex
        }
        return .simplex
    }
}

/// One entry point to every solver: `solver` picks it (`auto`: from the problem's structure),
/// the other properties configure the ones they apply to, and refuse the others.
public struct OptimalTransport: TransportSolver {
    public var solver: OTSolver
    /// Sinkhorn's final ε in cost units (required by `.sinkhorn`, refused by the exact solvers).
    public var epsilon: Double?
    /// Network simplex pivots or Sinkhorn sweeps (nil: none for the simplex, Sinkhorn's default).
    public var maxIterations: Int?
    /// One-line progress messages (nil: silent).
    public var progress: (@Sendable (String) -> Void)?

    public init(_ solver: OTSolver = .auto, epsilon: Double? = nil, maxIterations: Int? = nil,
                progress: (@Sendable (String) -> Void)? = nil) {
        self.solver = solver
        self.epsilon = epsilon
        self.maxIterations = maxIterations
        self.progress = progress
    }

    /// Throws a `MongeError` naming the setting that does not fit `solver`.
    public func validate() throws {
        if solver == .sinkhorn {
            guard let epsilon, epsilon > 0, epsilon.isFinite else {
                throw MongeError.invalidArgument(name: "epsilon", message: "solver sinkhorn needs a positive epsilon (ε in cost units), got \(epsilon.map { "\($0)" } ?? "none")")
            }
        } else if epsilon != nil {
            throw MongeError.invalidArgument(name: "epsilon", message: "epsilon is Sinkhorn's regularisation, but the solver is \(solver)")
        }
        if let maxIterations {
            guard solver.acceptsIterationLimit else {
                throw MongeError.invalidArgument(name: "max iterations", message: "limits the simplex or sinkhorn solvers; \(solver) has no iteration limit")
            }
            guard maxIterations >= 1 else {
                throw MongeError.invalidArgument(name: "max iterations", message: "must be at least 1, got \(maxIterations)")
            }
        }
    }

    /// The configured solver for `problem` (after validation).
    public func engine(for problem: TransportProblem) throws -> any TransportSolver {
        try validate()
        var resolved = solver.resolved(for: problem)
        // An iteration limit counts pivots of one simplex: `auto` keeps the plain simplex then.
        if solver == .auto && maxIterations != nil && resolved == .multiscaleSimplex { resolved = .simplex }
        switch resolved {
        case .auto, .simplex:
            var simplex = NetworkSimplex(maxIterations: maxIterations)
            if let progress { simplex.progress = { progress("network simplex: \($0) pivots") } }
            return simplex
        case .multiscaleSimplex:
            return MultiscaleTransport(progress: progress)
        case .assignment:
            return MultiscaleAssignment(progress: progress)
        case .denseAssignment:
            return DenseAssignment()
        case .sorting:
            return OneDimensional()
        case .sinkhorn:
            var sinkhorn = Sinkhorn(epsilon: epsilon!)
            if let maxIterations { sinkhorn.maxIterations = maxIterations }
            if let progress { sinkhorn.progress = { eps, sweep, error in progress("sinkhorn ε=\(eps) sweep \(sweep) marginal error \(error)") } }
            return sinkhorn
        }
    }

    public func solve(_ problem: TransportProblem) throws -> TransportOutput {
        try engine(for: problem).solve(problem)
    }
}
