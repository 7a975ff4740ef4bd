import Foundation
@_exported import MongeDiffusion

/// Dual Diffusion Implicit Bridges (Su, Song, Meng, Ermon, ICLR 2023): translate a point of domain A
/// to domain B with two independently trained models, x_B = decode_B(encode_A(x_A)).
///
/// Both halves integrate the deterministic probability-flow ODE (DDIM with η = 0, or Heun's
/// second-order method) along explicit timestep paths; the latent x_T is the shared meeting point.
/// Each model walks its own respaced timesteps (`steps` of its own T), so models trained with
/// different schedules can still be bridged.
public struct DDIBBridge<A: Denoiser, B: Denoiser>: Sendable where A.Scalar == B.Scalar {
    public typealias Scalar = A.Scalar

    /// The encoder's model (domain A).
    public let source: A
    /// The decoder's model (domain B).
    public let target: B
    /// The number of ODE steps of each half (encode and decode).
    public let steps: Int
    /// How the steps are placed among each model's T training timesteps.
    public let spacing: SpacingName
    /// The ODE solver: `.ddim(eta: 0)` (Euler, the paper's choice) or `.heun` (second order).
    public let method: SamplerMethod

    public init(source: A, target: B, steps: Int, spacing: SpacingName = .standard,
                method: SamplerMethod = .ddim(eta: 0)) throws {
        guard source.dimension == target.dimension else {
            throw MongeError.shapeMismatch("the source model works on dimension \(source.dimension), the target model on \(target.dimension)")
        }
        guard !method.isStochastic else {
            throw MongeError.invalidArgument(name: "solver", message: "DDIB needs a deterministic ODE solver (ddim or heun), got \(method)")
        }
        guard steps >= 1 else {
            throw MongeError.invalidArgument(name: "steps", message: "need at least 1 step, got \(steps)")
        }
        self.source = source
        self.target = target
        self.steps = steps
        self.spacing = spacing
        self.method = method
        // Validate the step count against both schedules now, not halfway through a translation.
        _ = try sourceTimesteps()
        _ = try targetTimesteps()
    }

    /// The encoder's timesteps (descending), `steps` of the source model's T.
    public func sourceTimesteps() throws -> [Int] {
        try spacing.timesteps(for: source.schedule, steps: steps)
    }

    /// The decoder's timesteps (descending), `steps` of the target model's T.
    public func targetTimesteps() throws -> [Int] {
        try spacing.timesteps(for: target.schedule, steps: steps)
    }

    /// The bridge in the other direction (B → A) with the same solver and steps.
    public func reversed() throws -> DDIBBridge<B, A> {
        try DDIBBridge<B, A>(source: target, target: source, steps: steps, spacing: spacing, method: method)
    }

    /// Translates the rows of `x` from A to B.
    ///
    /// - Parameters:
    ///   - recordedRows: rows whose whole trajectory (encode then decode) is kept for plots.
    ///   - blockSize: rows per sampler block (`SamplerOptions.blockSize`); blocks are what threads share.
    public func translate(_ x: Matrix<Scalar>, recordedRows: [Int] = [], blockSize: Int = SamplerOptions().blockSize,
                          progress: (@Sendable (SamplerProgress) -> Void)? = nil) throws -> Translation<Scalar> {
        guard x.columns == source.dimension else {
            throw MongeError.shapeMismatch("the models work on points of dimension \(source.dimension), the input has \(x.columns) columns")
        }
        try x.checkFinite("translation input")
        let half = x.rows * steps
        let encodeProgress: (@Sendable (SamplerProgress) -> Void)? = progress.map { report in
            { p in report(SamplerProgress(completed: p.completed, total: 2 * half)) }
        }
        let decodeProgress: (@Sendable (SamplerProgress) -> Void)? = progress.map { report in
            { p in report(SamplerProgress(completed: half + p.completed, total: 2 * half)) }
        }
        let encoded = try Sampler.encode(source, x, timesteps: try sourceTimesteps(), method: method,
                                         options: SamplerOptions(blockSize: blockSize, recordedRows: recordedRows, progress: encodeProgress))
        let decoded = try Sampler.decode(target, encoded.x, timesteps: try targetTimesteps(), method: method,
                                         options: SamplerOptions(blockSize: blockSize, recordedRows: recordedRows, progress: decodeProgress))
        return Translation(source: x, latent: encoded.x, mapped: decoded.x,
                           encoding: encoded.trajectory, decoding: decoded.trajectory,
                           evaluations: encoded.evaluations + decoded.evaluations)
    }

    /// A → B → A: translates, maps back with the reversed bridge, and measures how far each point
    /// lands from where it started (DDIB's cycle consistency; the paper's code reports the max).
    public func cycle(_ x: Matrix<Scalar>, progress: (@Sendable (SamplerProgress) -> Void)? = nil) throws -> Cycle<Scalar> {
        let forward = try translate(x, progress: progress)
        let backward = try reversed().translate(forward.mapped, progress: progress)
        return Cycle(forward: forward, returned: backward.mapped)
    }
}

/// The result of one DDIB translation: the input, its latent, its image, and optional trajectories.
public struct Translation<Scalar: MatrixScalar>: Sendable {
    public let source: Matrix<Scalar>
    /// x_T = encode_A(x): the shared latent.
    public let latent: Matrix<Scalar>
    /// T(x) = decode_B(x_T).
    public let mapped: Matrix<Scalar>
    /// The recorded rows' encoding path (data → latent), if requested.
    public let encoding: Trajectory<Scalar>?
    /// The recorded rows' decoding path (latent → data), if requested.
    public let decoding: Trajectory<Scalar>?
    /// Model evaluations per point (both halves).
    public let evaluations: Int

    public init(source: Matrix<Scalar>, latent: Matrix<Scalar>, mapped: Matrix<Scalar>,
                encoding: Trajectory<Scalar>?, decoding: Trajectory<Scalar>?, evaluations: Int) {
        self.source = source
        self.latent = latent
        self.mapped = mapped
        self.encoding = encoding
        self.decoding = decoding
        self.evaluations = evaluations
    }
}

/// A → B → A round trip with its per-point errors ‖x − T_BA(T_AB(x))‖.
public struct Cycle<Scalar: MatrixScalar>: Sendable {
    public let forward: Translation<Scalar>
    public let returned: Matrix<Scalar>
    /// Euclidean distance of each returned point to its start, in Double.
    public let errors: [Double]

    public init(forward: Translation<Scalar>, returned: Matrix<Scalar>) {
        self.forward = forward
        self.returned = returned
        self.errors = PointDistances.rowwise(forward.source, returned)
    }

    public var meanError: Double { errors.isEmpty ? 0 : errors.reduce(0, +) / Double(errors.count) }
    public var maxError: Double { errors.max() ?? 0 }
}
