import Foundation

/// The exact ε-model of a mixture of Gaussians Σ_k w_k N(μ_k, diag(v_k)); with all v_k = 0 it is
/// the exact ε of an empirical distribution (a mixture of deltas at the points).
///
/// Under the forward process p_t(x) = Σ_k w_k N(x; √ᾱ μ_k, C_k), C_k = ᾱ diag(v_k) + (1 − ᾱ) I, so
/// ε(x, t) = −√(1 − ᾱ) ∇log p_t(x) = √(1 − ᾱ) Σ_k r_k(x) C_k⁻¹ (x − √ᾱ μ_k), with responsibilities
/// r_k ∝ w_k N(x; √ᾱ μ_k, C_k) from a log-sum-exp softmax. Everything is computed in Double;
/// the log-densities and the sums over components are GEMMs, in blocks of query rows so that the
/// [rows × components] table stays near 32 MB (the empirical oracle has one component per point).
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
        precondition(x.columns == dimension, "mixture oracle of dimension \(dimension) given \(x.columns) columns")
        let d = dimension, kCount = componentCount
        let a = schedule.alphaBar(t), root = a.squareRoot(), noise = (1 - a).squareRoot()
        // Per-timestep tables. log N(x; √ᾱμ, C) = [x², x]·[−1/(2c); √ᾱμ/c] + bias.
        // (Plain arrays first: element writes through `Matrix.storage` go through its observer.)
        var weightsTable = [Double](repeating: 0, count: 2 * d * kCount)
        var inverseC = [Double](repeating: 0, count: kCount * d)
        var meanOverC = [Double](repeating: 0, count: kCount * d)
        var bias = [Double](repeating: 0, count: kCount)
        for k in 0..<kCount {
            var b = log(weights[k])
            for j in 0..<d {
                let c = a * variances.storage[k * d + j] + (1 - a)
                let m = root * means.storage[k * d + j]
                weightsTable[j * kCount + k] = -0.5 / c
                weightsTable[(d + j) * kCount + k] = m / c
                inverseC[k * d + j] = 1 / c
                meanOverC[k * d + j] = m / c
                b -= 0.5 * (m * m / c + log(c))
            }
            bias[k] = b
        }
        let weightsMatrix = try! Matrix(rows: 2 * d, columns: kCount, storage: weightsTable)
        let inverseCMatrix = try! Matrix(rows: kCount, columns: d, storage: inverseC)
        let meanOverCMatrix = try! Matrix(rows: kCount, columns: d, storage: meanOverC)
        let input = ScalarKernels.doubles(x.storage)
        var out = [Double](repeating: 0, count: x.rows * d)
        let block = max(1, min(x.rows, (1 << 22) / kCount))
        var start = 0
        while start < x.rows {
            let end = min(x.rows, start + block), n = end - start
            var featureValues = [Double](repeating: 0, count: n * 2 * d)
            for i in 0..<n { for j in 0..<d {
                let v = input[(start + i) * d + j]
                featureValues[i * 2 * d + j] = v * v
                featureValues[i * 2 * d + d + j] = v
            } }
            let features = try! Matrix(rows: n, columns: 2 * d, storage: featureValues)
            var logits = Matrix<Double>(rows: n, columns: kCount)
            Matrix.gemm(features, weightsMatrix, into: &logits)
            logits.storage.withUnsafeMutableBufferPointer { l in
                for i in 0..<n {
                    let row = i * kCount
                    var top = -Double.infinity
                    for k in 0..<kCount { l[row + k] += bias[k]; top = max(top, l[row + k]) }
                    var sum = 0.0
                    for k in 0..<kCount { let e = exp(l[row + k] - top); l[row + k] = e; sum += e }
                    let scale = 1 / sum
                    for k in 0..<kCount { l[row + k] *= scale }
                }
            }
            var precision = Matrix<Double>(rows: n, columns: d)
            var shifted = Matrix<Double>(rows: n, columns: d)
            Matrix.gemm(logits, inverseCMatrix, into: &precision)
            Matrix.gemm(logits, meanOverCMatrix, into: &shifted)
            let p = precision.storage, m = shifted.storage
            for i in 0..<n { for j in 0..<d {
                let k = i * d + j
                out[(start + i) * d + j] = noise * (featureValues[i * 2 * d + d + j] * p[k] - m[k])
            } }
            start = end
        }
        return ScalarKernels.matrix(rows: x.rows, columns: d, out)
    }
}
