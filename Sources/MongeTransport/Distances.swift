import Foundation
import MongeCore

/// Distances between point clouds: exact Wasserstein distances and quick two-sample statistics.
public enum Distances {
    /// W₂² = min_P Σ P_ij ‖x_i − y_j‖² with uniform weights (exact; `OptimalTransport`).
    /// Throws when the solver does not reach a certified optimum.
    public static func w2Squared(_ x: Matrix<Double>, _ y: Matrix<Double>) throws -> Double {
        try certifiedCost(TransportProblem(x: x, y: y, cost: .squaredEuclidean))
    }

    /// W₁ = min_P Σ P_ij ‖x_i − y_j‖ with uniform weights (exact).
    public static func w1(_ x: Matrix<Double>, _ y: Matrix<Double>) throws -> Double {
        try certifiedCost(TransportProblem(x: x, y: y, cost: .euclidean))
    }

    static func certifiedCost(_ problem: TransportProblem) throws -> Double {
        let result = try OptimalTransport().solve(problem)
        guard result.status == .optimal else {
            throw MongeError.numerical("exact OT ended with status \(result.status) (certificate: \(result.certificate))")
        }
        return result.cost
    }

    /// The energy distance 2E‖X − Y‖ − E‖X − X′‖ − E‖Y − Y′‖ (Székely & Rizzo 2013), V-statistic
    /// over all pairs: zero iff the two empirical measures are equal. O((n + m)²) time, O(1) memory.
    public static func energyDistance(_ x: Matrix<Double>, _ y: Matrix<Double>) throws -> Double {
        try checkPair(x, y)
        let xy = meanKernel(x, y) { $0.squareRoot() }
        let xx = meanKernel(x, x) { $0.squareRoot() }
        let yy = meanKernel(y, y) { $0.squareRoot() }
        return 2 * xy - xx - yy
    }

    /// The squared maximum mean discrepancy with the Gaussian kernel exp(−‖u − v‖²/(2σ²))
    /// (Gretton et al. 2012), unbiased U-statistic (diagonal terms excluded).
    public static func mmdSquared(_ x: Matrix<Double>, _ y: Matrix<Double>, bandwidth sigma: Double) throws -> Double {
        try checkPair(x, y)
        guard sigma > 0, sigma.isFinite else {
            throw MongeError.invalidArgument(name: "bandwidth", message: "must be positive and finite, got \(sigma)")
        }
        guard x.rows > 1, y.rows > 1 else {
            throw MongeError.invalidArgument(name: "points", message: "the unbiased MMD needs at least 2 points per set")
        }
        let scale = -1 / (2 * sigma * sigma)
        let kernel: @Sendable (Double) -> Double = { exp($0 * scale) }
        let n = Double(x.rows), m = Double(y.rows)
        // Remove the diagonal (k(u, u) = 1) from the within-set means.
        let xx = (meanKernel(x, x, kernel) * n * n - n) / (n * (n - 1))
        let yy = (meanKernel(y, y, kernel) * m * m - m) / (m * (m - 1))
        return xx + yy - 2 * meanKernel(x, y, kernel)
    }

    static func checkPair(_ x: Matrix<Double>, _ y: Matrix<Double>) throws {
        guard x.rows > 0, y.rows > 0 else { throw MongeError.invalidArgument(name: "points", message: "an empty point set") }
        guard x.columns == y.columns else { throw MongeError.shapeMismatch("dimension \(x.columns) vs \(y.columns)") }
        try x.checkFinite("source points"); try y.checkFinite("target points")
    }

    /// (1/(n m)) Σ_ij k(‖x_i − y_j‖²), rows in parallel.
    static func meanKernel(_ x: Matrix<Double>, _ y: Matrix<Double>, _ k: @Sendable (Double) -> Double) -> Double {
        let geometry = try! Geometry(x: x, y: y, cost: .squaredEuclidean)
        let m = y.rows
        let sums: [Double] = mapRowChunks(count: x.rows, rowLength: m) { rows in
            let row = UnsafeMutablePointer<Double>.allocate(capacity: m)
            defer { row.deallocate() }
            var s = 0.0
            for i in rows {
                geometry.costRow(i, columns: 0..<m, into: row)
                for j in 0..<m { s += k(row[j]) }
            }
            return s
        }
        return sums.reduce(0, +) / (Double(x.rows) * Double(m))
    }
}
