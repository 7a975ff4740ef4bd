import Foundation

/// The exact ε-model of Gaussian data N(μ, Σ): an oracle denoiser with a closed-form flow.
///
/// Under the forward process x_t ~ N(√ᾱ_t μ, C_t) with C_t = ᾱ_t Σ + (1 − ᾱ_t) I, so
/// ε(x, t) = −√(1 − ᾱ_t) ∇log p_t(x) = √(1 − ᾱ_t) C_t⁻¹ (x − √ᾱ_t μ). With Σ = QΛQᵀ every C_t⁻¹
/// is Q diag(1/(ᾱλ + 1 − ᾱ)) Qᵀ. Computed in Double whatever `Scalar` is.
public struct GaussianOracle<Scalar: MatrixScalar>: Denoiser {
    public let schedule: NoiseSchedule
    public let mean: [Double]
    /// Σ, row-major D×D.
    public let covariance: [Double]
    public let eigen: SymmetricEigen

    public var dimension: Int { mean.count }

    /// N(mean, covariance) with a full (row-major D×D, symmetric positive semidefinite) covariance.
    public init(mean: [Double], covariance: [Double], schedule: NoiseSchedule) throws {
        let d = mean.count
        guard d >= 1 else { throw MongeError.invalidArgument(name: "mean", message: "needs at least one coordinate") }
        guard covariance.count == d * d else {
            throw MongeError.shapeMismatch("a covariance for a mean of dimension \(d) needs \(d * d) entries, got \(covariance.count)")
        }
        guard (mean + covariance).allSatisfy(\.isFinite) else {
            throw MongeError.nonFinite("Gaussian oracle: the mean and covariance must be finite")
        }
        let eigen = try SymmetricEigen(symmetric: covariance, dimension: d)
        let scale = eigen.values.map(abs).max() ?? 0
        if let bad = eigen.values.first(where: { $0 < -1e-10 * max(scale, 1) }) {
            throw MongeError.invalidArgument(name: "covariance", message: "not positive semidefinite (eigenvalue \(bad))")
        }
        self.mean = mean
        self.covariance = covariance
        self.eigen = eigen
        self.schedule = schedule
    }

    /// N(mean, diag(std²)): one standard deviation per coordinate.
    public init(mean: [Double], std: [Double], schedule: NoiseSchedule) throws {
        guard std.count == mean.count else {
            throw MongeError.shapeMismatch("\(std.count) standard deviations for a mean of dimension \(mean.count)")
        }
        guard std.allSatisfy({ $0 >= 0 }) else {
            throw MongeError.invalidArgument(name: "std", message: "standard deviations must be ≥ 0, got \(std)")
        }
        let d = mean.count
        var cov = [Double](repeating: 0, count: d * d)
        for i in 0..<d { cov[i * d + i] = std[i] * std[i] }
        try self.init(mean: mean, covariance: cov, schedule: schedule)
    }

    public func epsilon(_ x: Matrix<Scalar>, timestep t: Int) -> Matrix<Scalar> {
        epsilon(x, alphaBar: schedule.alphaBar(t))
    }

    /// The exact ε at any noise level ᾱ ∈ (0, 1] (for integrators between the schedule's levels).
    public func epsilon(_ x: Matrix<Scalar>, alphaBar a: Double) -> Matrix<Scalar> {
        precondition(x.columns == dimension, "Gaussian oracle of dimension \(dimension) given \(x.columns) columns")
        let d = dimension
        let root = a.squareRoot(), noise = (1 - a).squareRoot()
        // M = √(1 − ᾱ) C_t⁻¹.
        let m = eigen.function { lambda in noise / (a * max(lambda, 0) + 1 - a) }
        let input = ScalarKernels.doubles(x.storage)
        var out = [Double](repeating: 0, count: x.rows * d)
        var centred = [Double](repeating: 0, count: d)
        for i in 0..<x.rows {
            for j in 0..<d { centred[j] = input[i * d + j] - root * mean[j] }
            for j in 0..<d {
                var s = 0.0
                for k in 0..<d { s += m[j * d + k] * centred[k] }
                out[i * d + j] = s
            }
        }
        return ScalarKernels.matrix(rows: x.rows, columns: d, out)
    }

    /// The exact probability-flow map from level `from` to level `to` (either may be −1): in
    /// y = x/√ᾱ and σ = √((1 − ᾱ)/ᾱ) the flow keeps (Σ + σ²I)^(−1/2)(y − μ) constant, so
    /// y_to = μ + (Σ + σ_to² I)^(1/2) (Σ + σ_from² I)^(−1/2) (y_from − μ), an affine map.
    public func exactFlow(_ x: Matrix<Double>, from: Int, to: Int) -> Matrix<Double> {
        precondition(x.columns == dimension, "exactFlow: \(x.columns) columns for dimension \(dimension)")
        let d = dimension
        let sFrom = schedule.sigma(from), sTo = schedule.sigma(to)
        let aFrom = schedule.alphaBar(from), aTo = schedule.alphaBar(to)
        let m = eigen.function { lambda in
            let l = max(lambda, 0)
            let num = l + sTo * sTo, den = l + sFrom * sFrom
            return den > 0 ? (num / den).squareRoot() : (num > 0 ? .infinity : 1)
        }
        var out = [Double](repeating: 0, count: x.rows * d)
        for i in 0..<x.rows {
            for j in 0..<d {
                var s = 0.0
                for k in 0..<d { s += m[j * d + k] * (x.storage[i * d + k] / aFrom.squareRoot() - mean[k]) }
                out[i * d + j] = (mean[j] + s) * aTo.squareRoot()
            }
        }
        return try! Matrix(rows: x.rows, columns: d, storage: out)
    }
}
