import Foundation

/// The exact ε-model of a mixture of Gaussians Σ_k w_k N(μ_k, diag(v_k)); with all v_k = 0 it is
/// the exact ε of an empirical distribution (a mixture of deltas at the points).
///
/// Under the forward process p_t(x) = Σ_k w_k N(x; √ᾱ μ_k, C_k), C_k = ᾱ diag(v_k) + (1 − ᾱ) I, so
/// ε(x, t) = −√(1 − ᾱ) ∇log p_t(x) = √(1 − ᾱ) Σ_k r_k(x) C_k⁻¹ (x − √ᾱ μ_k), with responsibilities
/// r_k ∝ w_k N(x; √ᾱ μ_k, C_k) from a log-sum-exp softmax. Everything is computed in Double, row
/// by row in a fixed order (no GEMM, whose blocking depends on the batch size), so that ε of a row
/// does not depend on the batch it comes in: O(rows × components × D) per call.
public struct MixtureOracle<Scalar: MatrixScalar>: Denoiser {
    public let schedule: NoiseSchedule
    /// μ_k as the rows of a [K, D] matrix.
    public let means: Matrix<Double>
    /// The per-coordinate variances v_k as the rows of a [K, D] matrix (all zero: empirical).
    public let variances: Matrix<Double>
    /// Mixture weights, normalised to sum to 1.
    public let weights: [Double]

    public var dimension: Int { means.columns }
    public var componentCount: Int { means.rows }

    /// A mixture with per-component diagonal variances; `weights` default to uniform and are normalised.
    public init(means: Matrix<Double>, variances: Matrix<Double>, weights: [Double]? = nil, schedule: NoiseSchedule) throws {
        guard means.rows >= 1, means.columns >= 1 else {
            throw MongeError.invalidArgument(name: "mixture", message: "needs at least one component of dimension ≥ 1")
        }
        guard variances.rows == means.rows, variances.columns == means.columns else {
            throw MongeError.shapeMismatch("mixture variances are \(variances.rows)×\(variances.columns), means \(means.rows)×\(means.columns)")
        }
        try means.checkFinite("mixture means")
        try variances.checkFinite("mixture variances")
        guard variances.storage.allSatisfy({ $0 >= 0 }) else {
            throw MongeError.invalidArgument(name: "mixture variances", message: "must be ≥ 0")
        }
        let w = weights ?? Array(repeating: 1, count: means.rows)
        guard w.count == means.rows, w.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw MongeError.invalidArgument(name: "mixture weights", message: "need \(means.rows) positive finite weights, got \(w.count)")
        }
        let total = w.reduce(0, +)
        self.means = means
        self.variances = variances
        self.weights = w.map { $0 / total }
        self.schedule = schedule
    }

    /// Isotropic components N(μ_k, s_k² I).
    public init(means: Matrix<Double>, std: [Double], weights: [Double]? = nil, schedule: NoiseSchedule) throws {
        guard std.count == means.rows else {
            throw MongeError.shapeMismatch("\(std.count) standard deviations for \(means.rows) components")
        }
        let variances = Matrix<Double>(rows: means.rows, columns: means.columns) { k, _ in std[k] * std[k] }
        try self.init(means: means, variances: variances, weights: weights, schedule: schedule)
    }

    /// The empirical distribution of `points` (rows): the exact ε of a mixture of deltas.
    public init(empirical points: Matrix<Double>, schedule: NoiseSchedule) throws {
        try self.init(means: points, variances: Matrix(rows: points.rows, columns: points.columns), schedule: schedule)
    }

    public func epsilon(_ x: Matrix<Scalar>, timestep t: Int) -> Matrix<Scalar> {
        epsilon(x, alphaBar: schedule.alphaBar(t))
    }

    /// The exact ε at any noise level ᾱ ∈ (0, 1] (for integrators between the schedule's levels).
    public func epsilon(_ x: Matrix<Scalar>, alphaBar a: Double) -> Matrix<Scalar> {
        precondition(x.columns == dimension, "mixture oracle of dimension \(dimension) given \(x.columns) columns")
        let d = dimension, kCount = componentCount
        let root = a.squareRoot(), noise = (1 - a).squareRoot()
        // Per-timestep tables, component-major: the means √ᾱ μ_k, the precisions 1/c_kj with
        // c_kj = ᾱ v_kj + 1 − ᾱ, and log w_k − ½ Σ_j log c_kj.
        var centre = [Double](repeating: 0, count: kCount * d)
        var precision = [Double](repeating: 0, count: kCount * d)
        var bias = [Double](repeating: 0, count: kCount)
        for k in 0..<kCount {
            var b = log(weights[k])
            for j in 0..<d {
                let c = a * variances.storage[k * d + j] + (1 - a)
                centre[k * d + j] = root * means.storage[k * d + j]
                precision[k * d + j] = 1 / c
                b -= 0.5 * log(c)
            }
            bias[k] = b
        }
        let input = ScalarKernels.doubles(x.storage)
        let out = [Double](unsafeUninitializedCapacity: x.rows * d) { out, initialized in
            input.withUnsafeBufferPointer { input in
                centre.withUnsafeBufferPointer { centre in
                    precision.withUnsafeBufferPointer { precision in
                        bias.withUnsafeBufferPointer { bias in
                            MixtureOracle.epsilonRows(input, rows: x.rows, dimension: d, centre: centre, precision: precision,
                                                      bias: bias, noise: noise, into: out)
                        }
                    }
                }
            }
            initialized = x.rows * d
        }
        return ScalarKernels.matrix(rows: x.rows, columns: d, out)
    }

    /// ε for each row, in a fixed order (see `epsilon`).
    private static func epsilonRows(
        _ input: UnsafeBufferPointer<Double>, rows: Int, dimension d: Int, centre m: UnsafeBufferPointer<Double>,
        precision p: UnsafeBufferPointer<Double>, bias: UnsafeBufferPointer<Double>, noise: Double,
        into out: UnsafeMutableBufferPointer<Double>
    ) {
        let kCount = bias.count
        let logits = UnsafeMutableBufferPointer<Double>.allocate(capacity: kCount)
        let weighted = UnsafeMutableBufferPointer<Double>.allocate(capacity: d)
        defer { logits.deallocate(); weighted.deallocate() }
        for i in 0..<rows {
            let row = i * d
            var top = -Double.infinity
            for k in 0..<kCount {
                var q = 0.0
                for j in 0..<d {
                    let r = input[row + j] - m[k * d + j]
                    q += r * r * p[k * d + j]
                }
                let l = bias[k] - 0.5 * q
                logits[k] = l
                top = max(top, l)
            }
            var total = 0.0
            for j in 0..<d { weighted[j] = 0 }
            for k in 0..<kCount {
                let e = exp(logits[k] - top)
                total += e
                for j in 0..<d { weighted[j] += e * (input[row + j] - m[k * d + j]) * p[k * d + j] }
            }
            for j in 0..<d { out[row + j] = noise * weighted[j] / total }
        }
    }
}
