import EigenKernels
import Foundation

/// The eigendecomposition A = Q·diag(λ)·Qᵀ of a symmetric matrix, by Eigen's SelfAdjointEigenSolver
/// (Householder tridiagonalisation and implicit symmetric QR, O(D³)). Used for
/// covariances — a Gaussian oracle's, where every matrix function of Σ + σ²I (its inverse, its square
/// root) acts on λ alone, and the Fréchet distance's matrix square roots.
public struct SymmetricEigen: Sendable {
    /// Eigenvalues λ_k in ascending order, matching the columns of `vectors`.
    public let values: [Double]
    /// Orthonormal eigenvectors as the columns of a row-major D×D array: Q[i, k] = vectors[i·D + k].
    public let vectors: [Double]
    public let dimension: Int

    /// Decomposes the symmetric row-major D×D matrix `a`; throws when it is not symmetric or not finite.
    public init(symmetric a: [Double], dimension d: Int) throws {
        guard d >= 1, a.count == d * d else {
            throw MongeError.shapeMismatch("a \(d)×\(d) symmetric matrix needs \(d * d) entries, got \(a.count)")
        }
        guard a.allSatisfy(\.isFinite) else { throw MongeError.nonFinite("symmetric matrix of dimension \(d)") }
        let scale = a.map(abs).max() ?? 0
        for i in 0..<d { for j in 0..<i where abs(a[i * d + j] - a[j * d + i]) > 1e-12 * max(scale, 1) {
            throw MongeError.invalidArgument(name: "covariance", message: "not symmetric: entry (\(i), \(j)) = \(a[i * d + j]) but (\(j), \(i)) = \(a[j * d + i])")
        } }
        var values = [Double](repeating: 0, count: d)
        var vectors = [Double](repeating: 0, count: d * d)
        let status = values.withUnsafeMutableBufferPointer { lambda in
            vectors.withUnsafeMutableBufferPointer { q in
                ek_symmetric_eigen(Int64(d), a, lambda.baseAddress!, q.baseAddress!)
            }
        }
        guard status == 0 else {
            throw MongeError.numerical("the symmetric eigensolver did not converge on a \(d)×\(d) matrix")
        }
        self.values = values
        self.vectors = vectors
        self.dimension = d
    }

    /// Q·diag(f(λ))·Qᵀ as a row-major D×D array: a matrix function of A.
    public func function(_ f: (Double) -> Double) -> [Double] {
        let d = dimension
        let fl = values.map(f)
        let q = try! Matrix(rows: d, columns: d, storage: vectors)
        let scaled = Matrix(rows: d, columns: d) { i, k in vectors[i * d + k] * fl[k] }
        return scaled.matmul(q, transposeOther: true).storage
    }
}
