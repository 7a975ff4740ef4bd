import Foundation

/// Closed forms for DDIB between two centred Gaussians A = N(0, Σ_A) and B = N(0, Σ_B).
///
/// The exact probability-flow ODE of a Gaussian keeps (Σ + σ²I)^(−1/2) y constant (y = x/√ᾱ), so
/// the exact DDIB bridge through the level σ_T is the linear map
///   M_DDIB = Σ_B^(1/2) (Σ_B + σ_T² I)^(−1/2) (Σ_A + σ_T² I)^(1/2) Σ_A^(−1/2)  →  Σ_B^(1/2) Σ_A^(−1/2),
/// while the Monge map is M_OT = Σ_A^(−1/2) (Σ_A^(1/2) Σ_B Σ_A^(1/2))^(1/2) Σ_A^(−1/2) (Dowson &
/// Landau 1982). The two agree when Σ_A and Σ_B commute (1-D included) and differ otherwise —
/// DDIB is not optimal transport even with perfect models and infinitely many steps.
public struct GaussianBridgeTheory: Sendable {
    public let dimension: Int
    /// Row-major d×d covariances.
    public let covarianceA: [Double]
    public let covarianceB: [Double]

    public init(covarianceA: [Double], covarianceB: [Double], dimension: Int) throws {
        guard covarianceA.count == dimension * dimension, covarianceB.count == dimension * dimension else {
            throw MongeError.shapeMismatch("covariances must be \(dimension)×\(dimension)")
        }
        for (name, c) in [("A", covarianceA), ("B", covarianceB)] {
            guard try SymmetricEigen(symmetric: c, dimension: dimension).values.allSatisfy({ $0 > 0 }) else {
                throw MongeError.invalidArgument(name: "covariance \(name)", message: "must be positive definite")
            }
        }
        self.dimension = dimension
        self.covarianceA = covarianceA
        self.covarianceB = covarianceB
    }

    /// A^p for a symmetric positive definite A (p = ±1/2 here), plus σ² I first.
    func power(_ a: [Double], shift: Double = 0, _ p: Double) -> [Double] {
        try! SymmetricEigen(symmetric: a, dimension: dimension).function { pow(max($0 + shift, 0), p) }
    }

    func product(_ matrices: [Double]...) -> [Double] {
        let d = dimension
        return matrices.dropFirst().reduce(matrices[0]) { a, b in
            var c = [Double](repeating: 0, count: d * d)
            for i in 0..<d { for k in 0..<d { for j in 0..<d { c[i * d + j] += a[i * d + k] * b[k * d + j] } } }
            return c
        }
    }

    /// The exact DDIB map through σ_T (nil: the limit σ_T → ∞), row-major d×d.
    public func ddibMap(sigmaT: Double? = nil) -> [Double] {
        let left: [Double]
        if let s = sigmaT {
            left = product(power(covarianceB, 0.5), power(covarianceB, shift: s * s, -0.5), power(covarianceA, shift: s * s, 0.5))
        } else {
            left = power(covarianceB, 0.5)
        }
        return product(left, power(covarianceA, -0.5))
    }

    /// The Monge map between A and B, row-major d×d (symmetric positive definite).
    public func mongeMap() -> [Double] {
        let rootA = power(covarianceA, 0.5), inverseRootA = power(covarianceA, -0.5)
        let middle = product(rootA, covarianceB, rootA)
        let symmetrised = zip(middle, transpose(middle)).map { ($0 + $1) / 2 }
        return product(inverseRootA, power(symmetrised, 0.5), inverseRootA)
    }

    func transpose(_ m: [Double]) -> [Double] {
        let d = dimension
        return (0..<(d * d)).map { k in m[(k % d) * d + k / d] }
    }

    /// E‖Mx − x‖² for x ~ A: tr((M − I) Σ_A (M − I)ᵀ).
    public func transportCost(of map: [Double]) -> Double {
        let d = dimension
        var shifted = map
        for i in 0..<d { shifted[i * d + i] -= 1 }
        let c = product(shifted, covarianceA, transpose(shifted))
        return (0..<d).reduce(0) { $0 + c[$1 * d + $1] }
    }

    /// W2²(A, B) = tr Σ_A + tr Σ_B − 2 tr (Σ_A^(1/2) Σ_B Σ_A^(1/2))^(1/2).
    public var w2Squared: Double { transportCost(of: mongeMap()) }

    /// The population transport gap (c(M) − W2²)/W2² of DDIB's exact map through σ_T.
    public func ddibGap(sigmaT: Double? = nil) -> Double {
        let w2 = w2Squared
        return (transportCost(of: ddibMap(sigmaT: sigmaT)) - w2) / w2
    }

    /// Covariance R·diag(variances)·Rᵀ of a 2-D Gaussian rotated by `angle` radians.
    public static func rotatedCovariance(variances: (Double, Double), angle: Double) -> [Double] {
        let c = cos(angle), s = sin(angle)
        let (a, b) = variances
        return [c * c * a + s * s * b, c * s * (a - b), c * s * (a - b), s * s * a + c * c * b]
    }
}
