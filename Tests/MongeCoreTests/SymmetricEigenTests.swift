import Foundation
import MongeCore
import Testing

@Suite("Symmetric eigendecomposition")
struct SymmetricEigenTests {
    @Test("Reconstructs A with orthonormal Q; matrix functions (identity, inverse) by their definitions")
    func reconstruction() throws {
        let d = 5
        let r: Matrix<Double> = RandomStream(seed: 11).normalMatrix(rows: d, columns: d)
        let a = r.matmul(r, transposeOther: true)
        let e = try SymmetricEigen(symmetric: a.storage, dimension: d)
        let back = e.function { $0 }
        #expect(zip(back, a.storage).allSatisfy { abs($0 - $1) < 1e-12 })
        let identity = e.function { _ in 1 }
        for i in 0..<d { for j in 0..<d { #expect(abs(identity[i * d + j] - (i == j ? 1 : 0)) < 1e-12) } }
        let inverse = Matrix<Double>(rows: d, columns: d) { i, j in e.function { 1 / $0 }[i * d + j] }
        let product = inverse.matmul(a)
        for i in 0..<d { for j in 0..<d { #expect(abs(product[i, j] - (i == j ? 1 : 0)) < 1e-9) } }
    }

    @Test("A known spectrum: A = H·diag(λ)·H with a Householder reflection H; Av = λv for every pair (D = 200)")
    func knownSpectrum() throws {
        let d = 200
        let v = RandomStream(seed: 3).normalMatrix(rows: d, columns: 1, as: Double.self).storage
        let norm2 = v.reduce(0) { $0 + $1 * $1 }
        // H = I − 2vvᵀ/‖v‖² is orthogonal and symmetric; λ_k = k − 50 includes negative values and 0.
        let h = Matrix<Double>(rows: d, columns: d) { i, j in (i == j ? 1 : 0) - 2 * v[i] * v[j] / norm2 }
        let lambda = (0..<d).map { Double($0 - 50) }
        let scaled = Matrix<Double>(rows: d, columns: d) { i, k in h[i, k] * lambda[k] }
        var a = scaled.matmul(h)
        for i in 0..<d { for j in 0..<i { a.storage[j * d + i] = a.storage[i * d + j] } }  // exact symmetry
        let e = try SymmetricEigen(symmetric: a.storage, dimension: d)
        #expect(zip(e.values, lambda).allSatisfy { abs($0 - $1) < 1e-10 }, "\(e.values.prefix(5))")
        let q = try Matrix(rows: d, columns: d, storage: e.vectors)
        let aq = a.matmul(q)
        var worst = 0.0
        for i in 0..<d { for k in 0..<d { worst = max(worst, abs(aq[i, k] - e.values[k] * q[i, k])) } }
        #expect(worst < 1e-10)
        let qtq = q.matmul(q, transposeSelf: true)
        for i in 0..<d { for j in 0..<d { #expect(abs(qtq[i, j] - (i == j ? 1 : 0)) < 1e-12) } }
    }

    @Test("Bad input: wrong entry count, asymmetry, NaN")
    func badInput() {
        #expect(throws: MongeError.shapeMismatch("a 2×2 symmetric matrix needs 4 entries, got 3")) {
            try SymmetricEigen(symmetric: [1, 0, 1], dimension: 2)
        }
        #expect(throws: MongeError.invalidArgument(name: "covariance", message: "not symmetric: entry (1, 0) = 0.0 but (0, 1) = 2.0")) {
            try SymmetricEigen(symmetric: [1, 2, 0, 1], dimension: 2)
        }
        #expect(throws: MongeError.nonFinite("symmetric matrix of dimension 2")) {
            try SymmetricEigen(symmetric: [1, .nan, .nan, 1], dimension: 2)
        }
    }
}
