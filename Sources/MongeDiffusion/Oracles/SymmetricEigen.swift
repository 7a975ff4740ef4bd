import Foundation

/// The eigendecomposition A = Q·diag(λ)·Qᵀ of a small symmetric matrix, by cyclic Jacobi rotations
/// (Golub & Van Loan, Matrix Computations, §8.5). Used for a Gaussian oracle's covariance, where
/// every matrix function of Σ + σ²I (its inverse, its square root) acts on λ alone.
public struct SymmetricEigen: Sendable {
    /// Eigenvalues λ_k (unsorted, matching the columns of `vectors`).
    public let values: [Double]
    /// Orthonormal eigenvectors as the columns of a row-major D×D array: Q[i, k] = vectors[i·D + k].
    public let vectors: [Double]
    public let dimension: Int

    /// Decomposes the symmetric row-major D×D matrix `a`; throws when it is not symmetric.
    public init(symmetric a: [Double], dimension d: Int) throws {
        guard a.count == d * d else {
            throw MongeError.shapeMismatch("a \(d)×\(d) symmetric matrix needs \(d * d) entries, got \(a.count)")
        }
        let scale = a.map(abs).max() ?? 0
        for i in 0..<d { for j in 0..<i where abs(a[i * d + j] - a[j * d + i]) > 1e-12 * max(scale, 1) {
            throw MongeError.invalidArgument(name: "covariance", message: "not symmetric: entry (\(i), \(j)) = \(a[i * d + j]) but (\(j), \(i)) = \(a[j * d + i])")
        } }
        var m = a
        var q = [Double](repeating: 0, count: d * d)
        for i in 0..<d { q[i * d + i] = 1 }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<d { for j in 0..<d where i != j { off += m[i * d + j] * m[i * d + j] } }
            if off <= 1e-30 * max(scale * scale, 1e-300) { break }
            for p in 0..<d { for r in (p + 1)..<max(d, p + 1) where m[p * d + r] != 0 {
                // Rotation zeroing m[p, r] (G&VL Algorithm 8.5.1).
                let theta = (m[r * d + r] - m[p * d + p]) / (2 * m[p * d + r])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<d {  // m ← m·J
                    let mkp = m[k * d + p], mkr = m[k * d + r]
                    m[k * d + p] = c * mkp - s * mkr
                    m[k * d + r] = s * mkp + c * mkr
                }
                for k in 0..<d {  // m ← Jᵀ·m
                    let mpk = m[p * d + k], mrk = m[r * d + k]
                    m[p * d + k] = c * mpk - s * mrk
                    m[r * d + k] = s * mpk + c * mrk
                }
                for k in 0..<d {  // Q ← Q·J
                    let qkp = q[k * d + p], qkr = q[k * d + r]
                    q[k * d + p] = c * qkp - s * qkr
                    q[k * d + r] = s * qkp + c * qkr
                }
            } }
        }
        self.values = (0..<d).map { m[$0 * d + $0] }
        self.vectors = q
        self.dimension = d
    }

    /// Q·diag(f(λ))·Qᵀ as a row-major D×D array: a matrix function of A.
    public func function(_ f: (Double) -> Double) -> [Double] {
        let d = dimension
        let fl = values.map(f)
        var out = [Double](repeating: 0, count: d * d)
        for i in 0..<d { for j in 0..<d {
            var s = 0.0
            for k in 0..<d { s += vectors[i * d + k] * fl[k] * vectors[j * d + k] }
            out[i * d + j] = s
        } }
        return out
    }
}
