/// The named samplers, each a thin wrapper that builds a path and calls `Sampler.run`.
extension Sampler {
    /// The standard normal start x_T of `sample`: row i is normals i·D ..< (i + 1)·D of
    /// `noise.substream(NoiseTag.initial)`, so the first n rows do not depend on `count`.
    public static func initialNoise<S: MatrixScalar>(count: Int, dimension: Int, noise: RandomStream, as _: S.Type = S.self) -> Matrix<S> {
        noise.substream(NoiseTag.initial.rawValue).normalMatrix(rows: count, columns: dimension, firstRow: 0)
    }

    /// Generates `count` samples: x ~ N(0, I) at the largest timestep, denoised along
    /// `Timesteps.decodingPath(timesteps)` by `method` (DDPM ancestral, DDIM η, or Heun).
    public static func sample<M: Denoiser>(
        _ model: M, count: Int, timesteps: [Int], method: SamplerMethod, noise: RandomStream,
        drift: Drift<M.Scalar>? = nil, options: SamplerOptions = SamplerOptions()
    ) throws -> SamplerOutput<M.Scalar> {
        guard count >= 0 else { throw MongeError.invalidArgument(name: "n", message: "the number of samples must be ≥ 0, got \(count)") }
        let start: Matrix<M.Scalar> = initialNoise(count: count, dimension: model.dimension, noise: noise)
        return try run(model, start, path: Timesteps.decodingPath(timesteps), method: method, noise: noise, drift: drift, options: options)
    }

    /// DDIM inversion (encode): data at level −1 up through the ascending timesteps to the latent at
    /// the largest one, by the deterministic flow (`.ddim(eta: 0)`, the default, or `.heun`).
    public static func encode<M: Denoiser>(
        _ model: M, _ x: Matrix<M.Scalar>, timesteps: [Int], method: SamplerMethod = .ddim(eta: 0),
        options: SamplerOptions = SamplerOptions()
    ) throws -> SamplerOutput<M.Scalar> {
        guard !method.isStochastic else {
            throw MongeError.invalidArgument(name: "sampler", message: "encoding needs a deterministic method (ddim with η = 0, or heun), got \(method)")
        }
        return try run(model, x, path: Timesteps.encodingPath(timesteps), method: method, options: options)
    }

    /// Decode: the exact mirror of `encode` — from the latent at the largest timestep down to data.
    public static func decode<M: Denoiser>(
        _ model: M, _ latent: Matrix<M.Scalar>, timesteps: [Int], method: SamplerMethod = .ddim(eta: 0),
        noise: RandomStream = RandomStream(seed: 0), options: SamplerOptions = SamplerOptions()
    ) throws -> SamplerOutput<M.Scalar> {
        try run(model, latent, path: Timesteps.decodingPath(timesteps), method: method, noise: noise, options: options)
    }

    /// The noise e that SDEdit adds to row i (normals i·D ..< (i + 1)·D of
    /// `noise.substream(NoiseTag.sdeditStart)`), exposed so that guidance can noise the source alike.
    public static func sdeditNoise<S: MatrixScalar>(rows: Range<Int>, dimension: Int, noise: RandomStream, as _: S.Type = S.self) -> Matrix<S> {
        noise.substream(NoiseTag.sdeditStart.rawValue).normalMatrix(rows: rows.count, columns: dimension, firstRow: rows.lowerBound)
    }

    /// SDEdit (Meng et al. 2022): noise the input to t0 = max(timesteps),
    /// x_t0 = √ᾱ_t0 x + √(1 − ᾱ_t0) e, then denoise along `Timesteps.decodingPath(timesteps)` by
    /// `method` (DDPM ancestral, the usual choice, or DDIM). EGSDE is this with a `drift`.
    public static func sdedit<M: Denoiser>(
        _ model: M, _ x: Matrix<M.Scalar>, timesteps: [Int], method: SamplerMethod = .ddpm, noise: RandomStream,
        drift: Drift<M.Scalar>? = nil, options: SamplerOptions = SamplerOptions()
    ) throws -> SamplerOutput<M.Scalar> {
        guard x.columns == model.dimension else {
            throw MongeError.shapeMismatch("the model works on points of dimension \(model.dimension), the input has \(x.columns) columns")
        }
        try x.checkFinite("SDEdit input")
        guard let t0 = timesteps.max(), t0 >= 0, t0 < model.schedule.count else {
            throw MongeError.invalidArgument(name: "timesteps", message: "SDEdit needs timesteps in 0..<\(model.schedule.count)")
        }
        let e: Matrix<M.Scalar> = sdeditNoise(rows: 0..<x.rows, dimension: x.columns, noise: noise)
        let noised = model.schedule.noised(x, epsilon: e, timestep: t0)
        return try run(model, noised, path: Timesteps.decodingPath(timesteps), method: method, noise: noise, drift: drift, options: options)
    }
}
