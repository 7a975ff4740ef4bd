import MongeCore

/// One entry point to the exact solvers, choosing the algorithm from the problem's structure.
public enum ExactTransport {
    public enum Method: String, CaseIterable, Sendable, Codable {
        /// Assignment when n = m with uniform weights, sorting for 1-D points, else network simplex.
        case auto
        /// Network simplex (any weights).
        case simplex
        /// Assignment (n = m, uniform weights): multiscale auction + shortest augmenting paths on
        /// point clouds, dense shortest augmenting paths for a cost matrix.
        case assignment
        /// Sorting (1-D points, any weights).
        case sorting
    }

    /// The method `auto` resolves to for `problem`.
    public static func resolve(_ method: Method, for problem: TransportProblem) -> Method {
        guard method == .auto else { return method }
        if problem.isAssignment { return .assignment }
        if problem.geometry.dimension == 1 { return .sorting }
        return .simplex
    }

    /// Solves `problem` exactly. `maxIterations` limits network simplex pivots (nil: none);
    /// `progress` receives one-line messages. Throws when the method does not apply.
    public static func solve(_ problem: TransportProblem, method: Method = .auto, maxIterations: Int? = nil,
                             progress: (@Sendable (String) -> Void)? = nil) throws -> TransportResult {
        switch resolve(method, for: problem) {
        case .auto, .simplex:
            var solver = NetworkSimplex(maxIterations: maxIterations)
            if let progress { solver.progress = { progress("network simplex: \($0) pivots") } }
            return solver.solve(problem)
        case .assignment:
            return try Assignment.solve(problem, progress: progress).transportResult(problem)
        case .sorting:
            return try OneDimensional.solve(problem)
        }
    }
}

/// The assignment solver: uniform weights and n = m.
public enum Assignment {
    /// `MultiscaleAssignment` on point clouds, `DenseAssignment` for an explicit cost matrix.
    public static func solve(_ problem: TransportProblem, progress: (@Sendable (String) -> Void)? = nil) throws -> AssignmentResult {
        guard problem.isAssignment else {
            throw MongeError.invalidArgument(name: "problem", message: "the assignment solver needs n = m and uniform weights (got \(problem.n)×\(problem.m), uniform: \(problem.isUniform))")
        }
        if problem.geometry.x == nil { return try DenseAssignment().solve(problem) }
        return try MultiscaleAssignment(progress: progress).solve(problem)
    }
}
