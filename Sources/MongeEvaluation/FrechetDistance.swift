import Foundation

/// The mean and covariance of a set of feature vectors: the Gaussian that the Fréchet distance
/// (FID and its analogues) puts on each set.
public struct FeatureStatistics: Sendable, Equatable {
    public let dimension: Int
    /// μ, `dimension` entries.
    public let mean: [Double]
    /// Σ, row-major `dimension` × `dimension`, symmetric positive semidefinite.
    public let covariance: [Double]

    /// Given statistics (e.g. of a Gaussian); `covariance` must be symmetric.
    public init(mean: [Double], covariance: [Double]) throws {
        let d = mean.count
        guard d > 0, covariance.count == d * d else {
            throw MongeError.shapeMismatch("a mean of \(d) entries needs a \(d) × \(d) covariance (\(d * d) entries), got \(covariance.count)")
        }
        guard mean.allSatisfy(\.isFinite), covariance.allSatisfy(\.isFinite) else {
            throw MongeError.nonFinite("feature statistics")
        }
        let scale = covariance.map(abs).max() ?? 0
        for i in 0..<d { for j in 0..<i where abs(covariance[i * d + j] - covariance[j * d + i]) > 1e-12 * max(scale, 1) {
            throw MongeError.invalidArgument(name: "covariance", message: "not symmetric: entry (\(i), \(j)) = \(covariance[i * d + j]) but (\(j), \(i)) = \(covariance[j * d + i])")
        } }
        self.dimension = d
        self.mean = mean
        self.covariance = covariance
    }

    /// The sample mean and the unbiased sample covariance (divisor N − 1, as numpy's `np.cov` and
    /// the reference FID code) of the rows of `features` ([N, D], N ≥ 2), accumulated in Double.
    public init<S: MatrixScalar>(features: Matrix<S>) throws {
        let n = features.rows, d = features.columns
        guard n >= 2, d >= 1 else {
            throw MongeError.shapeMismatch("feature statistics need at least 2 vectors of at least 1 entry, got \(n) × \(d)")
        }
        try features.checkFinite("features")
        var centred = features.converted(to: Double.self)
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += centred.storage[i * d + j] } }
        for j in 0..<d { mean[j] /= Double(n) }
        for i in 0..<n { for j in 0..<d { centred.storage[i * d + j] -= mean[j] } }
        let product = centred.matmul(centred, transposeSelf: true)
        var covariance = [Double](repeating: 0, count: d * d)
        for i in 0..<d { for j in 0..<d {
            // The mean of the two triangles: exactly symmetric whatever the GEMM's summation order.
            covariance[i * d + j] = 0.5 * (product.storage[i * d + j] + product.storage[j * d + i]) / Double(n - 1)
        } }
        try self.init(mean: mean, covariance: covariance)
    }
}

/// The Fréchet (2-Wasserstein) distance between the Gaussians fitted to two feature sets, the
/// quantity FID reports (Heusel et al. 2017):
///
///     d² = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}.
///
/// tr (Σ₁Σ₂)^{1/2} is computed through symmetric eigendecompositions only — Σ₁^{1/2}, then the
/// eigenvalues of the symmetric positive semidefinite Σ₁^{1/2} Σ₂ Σ₁^{1/2} (similar to Σ₁Σ₂) —
/// so no non-symmetric square root with complex round-off is needed; eigenvalues below zero by
/// round-off count as zero.
public enum FrechetDistance {
    /// d², the squared distance (FID's convention), between two Gaussians.
    public static func squared(_ a: FeatureStatistics, _ b: FeatureStatistics) throws -> Double {
        guard a.dimension == b.dimension else {
            throw MongeError.shapeMismatch("feature statistics of dimensions \(a.dimension) and \(b.dimension)")
        }
        let d = a.dimension
        let meanTerm = zip(a.mean, b.mean).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let traces = (0..<d).reduce(0.0) { $0 + a.covariance[$1 * d + $1] + b.covariance[$1 * d + $1] }
        let rootA = try Matrix(rows: d, columns: d, storage: SymmetricEigen(symmetric: a.covariance, dimension: d).function { max($0, 0).squareRoot() })
        let sigmaB = try Matrix(rows: d, columns: d, storage: b.covariance)
        let product = rootA.matmul(sigmaB).matmul(rootA)
        var symmetric = [Double](repeating: 0, count: d * d)
        for i in 0..<d { for j in 0..<d { symmetric[i * d + j] = 0.5 * (product.storage[i * d + j] + product.storage[j * d + i]) } }
        let crossTrace = try SymmetricEigen(symmetric: symmetric, dimension: d).values.reduce(0.0) { $0 + max($1, 0).squareRoot() }
        // d² ≥ 0 exactly; round-off can leave a tiny negative value for identical statistics.
        return max(meanTerm + traces - 2 * crossTrace, 0)
    }

    /// d² between the Gaussians fitted to the rows of two feature sets ([N₁, D] and [N₂, D]).
    public static func squared<S: MatrixScalar>(features a: Matrix<S>, _ b: Matrix<S>) throws -> Double {
        guard a.columns == b.columns else {
            throw MongeError.shapeMismatch("feature sets of \(a.columns) and \(b.columns) columns")
        }
        return try squared(FeatureStatistics(features: a), FeatureStatistics(features: b))
    }
}
