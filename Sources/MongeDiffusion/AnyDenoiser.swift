/// A type-erased `Denoiser` with a chosen scalar, so that a command can hold "the model" whether
/// it is a trained network (Float) or an oracle (Double) without knowing which.
public struct AnyDenoiser<Scalar: MatrixScalar>: Denoiser {
    public let dimension: Int
    public let schedule: NoiseSchedule
    /// What the model is (e.g. "oracle:gaussians25"), for logs and manifests.
    public let label: String
    public let imageShape: ImageShape?
    private let body: @Sendable (Matrix<Scalar>, Int) -> Matrix<Scalar>

    /// Wraps a model with the same scalar.
    public init<M: Denoiser>(_ model: M, label: String = "") where M.Scalar == Scalar {
        self.dimension = model.dimension
        self.schedule = model.schedule
        self.label = label
        self.imageShape = model.imageShape
        self.body = { x, t in model.epsilon(x, timestep: t) }
    }

    /// Wraps a model of another scalar, converting x and ε on the way (e.g. a Float network driven
    /// by a Double sampler).
    public init<M: Denoiser>(converting model: M, label: String = "") {
        self.dimension = model.dimension
        self.schedule = model.schedule
        self.label = label
        self.imageShape = model.imageShape
        self.body = { x, t in
            let input: Matrix<M.Scalar> = ScalarKernels.matrix(rows: x.rows, columns: x.columns, ScalarKernels.doubles(x.storage))
            let e = model.epsilon(input, timestep: t)
            return ScalarKernels.matrix(rows: e.rows, columns: e.columns, ScalarKernels.doubles(e.storage))
        }
    }

    public func epsilon(_ x: Matrix<Scalar>, timestep t: Int) -> Matrix<Scalar> {
        body(x, t)
    }
}
