import MongeDiffusion

/// ε(x, t) = σ_t · v for every row: dy/dσ = σ v integrates to y_s = y_t + (σ_s² − σ_t²)/2 · v,
/// which every second-order rule must reproduce exactly.
struct LinearInSigmaDenoiser: Denoiser {
    let schedule: NoiseSchedule
    let v: [Double]
    var dimension: Int { v.count }
    func epsilon(_ x: Matrix<Double>, timestep t: Int) -> Matrix<Double> {
        let s = schedule.sigma(t)
        return Matrix(rows: x.rows, columns: dimension) { _, j in s * v[j] }
    }
}

/// A fixed ε whatever x and t (for step arithmetic), generic over the scalar.
struct ConstantDenoiser<Scalar: MatrixScalar>: Denoiser {
    let schedule: NoiseSchedule
    let value: [Scalar]
    var dimension: Int { value.count }
    func epsilon(_ x: Matrix<Scalar>, timestep t: Int) -> Matrix<Scalar> {
        Matrix(rows: x.rows, columns: dimension) { _, j in value[j] }
    }
}

/// A broken model that returns NaN at one timestep.
struct NaNDenoiser: Denoiser {
    let schedule: NoiseSchedule
    let badTimestep: Int
    var dimension: Int { 2 }
    func epsilon(_ x: Matrix<Float>, timestep t: Int) -> Matrix<Float> {
        Matrix(rows: x.rows, columns: 2, repeating: t == badTimestep ? .nan : 0)
    }
}

extension Matrix where Scalar == Float {
    /// Bit patterns, for byte-identity checks.
    var bits: [UInt32] { storage.map(\.bitPattern) }
}

extension Matrix where Scalar == Double {
    var bits: [UInt64] { storage.map(\.bitPattern) }
}
