/// A batched ε-prediction model: ε̂_θ(x_t, t) for every row of x_t at one integer timestep t.
///
/// Samplers are generic over this protocol, so the trained network and the exact oracles
/// (Gaussian, Gaussian mixture, empirical points) are interchangeable everywhere a model is
/// accepted. `Scalar` is Float for networks; oracles also come in Double for convergence tests.
public protocol Denoiser: Sendable {
    associatedtype Scalar: MatrixScalar
    /// The data dimension D (the number of columns of x).
    var dimension: Int { get }
    /// The noise schedule the model was trained with (oracles: the one they are exact for).
    var schedule: NoiseSchedule { get }
    /// ε̂(x_t, t) for the rows of `x` ([N, D]) at timestep `t` ∈ 0..<T; returns [N, D].
    /// Must be safe to call concurrently on disjoint batches.
    func epsilon(_ x: Matrix<Scalar>, timestep t: Int) -> Matrix<Scalar>
    /// The image shape of the rows (C×H×W flattened, C·H·W = `dimension`) for an image model;
    /// nil for a model of points.
    var imageShape: ImageShape? { get }
}

extension Denoiser {
    /// Points, unless the model says otherwise.
    public var imageShape: ImageShape? { nil }
}
