import Foundation
import MongeTransport

/// The exact optimal matching between two equal-size point sets with uniform weights and squared
/// Euclidean cost — the empirical Monge map — with its optimality certificate checked.
///
/// Every metric of `BridgeComparison` that mentions W2 goes through here, so a solver that stops
/// early or fails its certificate makes the comparison fail loudly instead of reporting a number.
public struct ExactCoupling: Sendable {
    /// σ: source row i is matched to target row σ(i).
    public let permutation: [Int]
    /// W2² = (1/n) Σ ‖x_i − y_σ(i)‖².
    public let cost: Double
    public let solver: String
    public let seconds: Double

    /// Solves the matching of `x` onto `y` ([n, d] each).
    public init(_ x: Matrix<Double>, _ y: Matrix<Double>) throws {
        guard x.rows == y.rows, x.columns == y.columns, x.rows > 0 else {
            throw MongeError.shapeMismatch("an exact matching needs two non-empty sets of the same size and dimension, got \(x.shape) and \(y.shape)")
        }
        let start = Date()
        let problem = try TransportProblem(x: x, y: y)
        let result = try OptimalTransport(.assignment).solve(problem)
        guard result.status == .optimal, result.certificate.optimality?.holds == true, let sigma = result.plan.permutation else {
            throw MongeError.numerical("exact OT between \(x.rows) points ended with status \(result.status); its certificate: \(result.certificate)")
        }
        self.permutation = sigma
        self.cost = result.cost
        self.solver = result.solver
        self.seconds = Date().timeIntervalSince(start)
    }
}
