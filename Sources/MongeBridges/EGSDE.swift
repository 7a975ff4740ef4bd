import Foundation
import MongeDiffusion
import MongeNN

/// EGSDE's energy (Zhao, Bao, Li, Zhu, NeurIPS 2022, eq. 6):
/// E(y, x_t, t) = λ_s · cos(F(y, t), F(x_t, t)) + λ_i · ‖L(y) − L(x_t)‖²,
/// with F the penultimate features of a time-dependent domain classifier (the realism expert:
/// lowering E pushes y's domain-specific features away from the source's) and L the
/// faithfulness expert's filter: the identity in 2-D (λ_i's term is then exactly the quadratic
/// transport cost to x_t), the `LowPassFilter` on images (average-pool down, then up-sample).
public struct EGSDEEnergy<S: NetworkScalar>: Sendable {
    /// The realism expert: an MLP classifier of points or a conv classifier of images.
    public let expert: any RealismFeatures<S>
    /// L of the faithfulness expert (nil: the identity).
    public let lowPass: LowPassFilter?
    /// λ_s ≥ 0, the weight of the realism expert.
    public let lambdaS: Double
    /// λ_i ≥ 0, the weight of the faithfulness expert.
    public let lambdaI: Double

    /// The 2-D energy: the MLP classifier's features and L = identity.
    public init(classifier: TimeClassifier<S>, lambdaS: Double, lambdaI: Double) throws {
        try self.init(expert: classifier, lowPass: nil, lambdaS: lambdaS, lambdaI: lambdaI)
    }

    /// The energy of any realism expert (e.g. `TimeConvClassifier` on images) and low-pass filter.
    public init(expert: any RealismFeatures<S>, lowPass: LowPassFilter? = nil, lambdaS: Double, lambdaI: Double) throws {
        for (name, value) in [("lambda-s", lambdaS), ("lambda-i", lambdaI)] {
            guard value.isFinite, value >= 0 else {
                throw MongeError.invalidArgument(name: name, message: "must be a finite number ≥ 0, got \(value)")
            }
        }
        if let lowPass, lowPass.image.dimension != expert.dimension || (expert.imageShape.map { $0 != lowPass.image } ?? false) {
            throw MongeError.shapeMismatch("the low-pass filter works on \(lowPass.image) images, the classifier on "
                                           + (expert.imageShape.map { "\($0) images" } ?? "points of dimension \(expert.dimension)"))
        }
        self.expert = expert
        self.lowPass = lowPass
        self.lambdaS = lambdaS
        self.lambdaI = lambdaI
    }

    /// L(y) − L(x_t) row by row (L linear).
    func filteredDifference(_ y: Matrix<S>, _ xt: Matrix<S>) -> Matrix<S> {
        let difference = try! Matrix(rows: y.rows, columns: y.columns, storage: zip(y.storage, xt.storage).map { $0 - $1 })
        return lowPass.map { $0.apply(difference) } ?? difference
    }

    /// E of each row of y against the same row of x_t, at timestep t (in Double).
    public func energy(_ y: Matrix<S>, source xt: Matrix<S>, timestep t: Int) -> [Double] {
        precondition(y.shape == xt.shape, "y is \(y.shape), x_t is \(xt.shape)")
        let cosines = lambdaS == 0 ? [Double](repeating: 0, count: y.rows)
            : Self.cosines(expert.features(y, timestep: t), expert.features(xt, timestep: t)).map(\.cosine)
        let r = lambdaI == 0 ? nil : filteredDifference(y, xt)
        return (0..<y.rows).map { i in
            var squared = 0.0
            if let r { for j in 0..<y.columns { let v = Double(r[i, j]); squared += v * v } }
            return lambdaS * cosines[i] + lambdaI * squared
        }
    }

    /// ∇_y E for each row: λ_s J_F(y)ᵀ ∂cos/∂F(y) + 2 λ_i Lᵀ(L(y) − L(x_t)), with
    /// ∂cos(u, v)/∂u = v/(‖u‖‖v‖) − cos · u/‖u‖² (0 for a row whose features vanish).
    public func gradient(_ y: Matrix<S>, source xt: Matrix<S>, timestep t: Int) -> Matrix<S> {
        precondition(y.shape == xt.shape, "y is \(y.shape), x_t is \(xt.shape)")
        var out = Matrix<S>(rows: y.rows, columns: y.columns)
        if lambdaS != 0 {
            let target = expert.features(xt, timestep: t)
            let w = target.columns, lambda = lambdaS
            out = expert.featurePullback(y, timestep: t) { i, u, dF in
                var uv = 0.0, uu = 0.0, vv = 0.0
                for k in 0..<w {
                    let a = Double(u[k]), b = Double(target[i, k])
                    uv += a * b; uu += a * a; vv += b * b
                }
                guard uu > 0 && vv > 0 else { return }
                let nu = uu.squareRoot(), nv = vv.squareRoot(), cosine = uv / (nu * nv)
                let scale = 1 / (nu * nv), back = cosine / uu
                for k in 0..<w { dF[k] = S(lambda * (Double(target[i, k]) * scale - back * Double(u[k]))) }
            }
        }
        if lambdaI != 0 {
            let r = filteredDifference(y, xt)
            let g = lowPass.map { $0.adjoint(r) } ?? r
            let c = S(2 * lambdaI)
            for k in out.storage.indices { out.storage[k] += c * g.storage[k] }
        }
        return out
    }

    /// cos(u_i, v_i), ‖u_i‖, ‖v_i‖ per row, in Double.
    static func cosines(_ u: Matrix<S>, _ v: Matrix<S>) -> [(cosine: Double, uNorm: Double, vNorm: Double)] {
        (0..<u.rows).map { i in
            var uv = 0.0, uu = 0.0, vv = 0.0
            for k in 0..<u.columns {
                let a = Double(u[i, k]), b = Double(v[i, k])
                uv += a * b; uu += a * a; vv += b * b
            }
            let nu = uu.squareRoot(), nv = vv.squareRoot()
            return (nu > 0 && nv > 0 ? uv / (nu * nv) : 0, nu, nv)
        }
    }
}

/// EGSDE translation A → B (Zhao et al. 2022, Algorithm 1, 2-D analogue): noise the source to
/// level M with noise e, y_M = √ᾱ_M x₀ + √(1 − ᾱ_M) e, then run B's ancestral DDPM steps from M
/// to clean data with each step's mean shifted by −w ∇_y E(y, x_t, t), where x_t = √ᾱ_t x₀ +
/// √(1 − ᾱ_t) e is the source noised to the step's level with the same e. SDEdit is λ_s = λ_i = 0.
public enum EGSDE {
    /// The guidance weight of a step from level t to s: w = β/√α with α = ᾱ_t/ᾱ_s, β = 1 − α.
    ///
    /// For consecutive levels this is EGSDE's β_t/√α_t. For a respaced step the DDPM posterior
    /// (`DDPM.posterior`) treats the jump t → s as one step with α = ᾱ_t/ᾱ_s, and the reverse
    /// SDE's score term enters its mean as (β/√α)·∇log p; the energy is a shift of that score
    /// (∇log p − ∇E), so it takes the same weight.
    public static func stepWeight(alphaBarFrom at: Double, alphaBarTo as_: Double) -> Double {
        let alpha = at / as_
        return (1 - alpha) / alpha.squareRoot()
    }

    /// The sampler drift −w ∇_y E(y, x_t, t) for the rows of `source` and SDEdit's noise of `noise`.
    public static func drift<S: NetworkScalar>(energy: EGSDEEnergy<S>, source: Matrix<S>, schedule: NoiseSchedule,
                                               noise: RandomStream) -> Drift<S> {
        return { y, step in
            let t = step.from
            let at = schedule.alphaBar(t)
            let e: Matrix<S> = Sampler.sdeditNoise(rows: step.rows, dimension: source.columns, noise: noise)
            let x0 = source.rows(step.rows)
            let xt = schedule.noised(x0, epsilon: e, timestep: t)
            let gradient = energy.gradient(y, source: xt, timestep: t)
            let w = S(-stepWeight(alphaBarFrom: at, alphaBarTo: schedule.alphaBar(step.to)))
            return try! Matrix(rows: y.rows, columns: y.columns, storage: gradient.storage.map { w * $0 })
        }
    }

    /// The decoding timesteps of EGSDE from level M: `steps` levels from M down to 0 spaced by
    /// linspace (both ends kept), or all M + 1 levels when `steps` is nil.
    public static func timesteps(start m: Int, steps: Int?) throws -> [Int] {
        guard m >= 0 else { throw MongeError.invalidArgument(name: "m", message: "the start level must be ≥ 0, got \(m)") }
        guard let steps else { return Array((0...m).reversed()) }
        guard steps >= 1, steps <= m + 1 else {
            throw MongeError.invalidArgument(name: "steps", message: "need 1 ≤ steps ≤ M + 1 = \(m + 1), got \(steps)")
        }
        return try Timesteps.respaced(count: m + 1, steps: steps, spacing: .linspace)
    }

    /// Translates `source` (domain A) to domain B with `model` (B's ε-model) and the guidance of
    /// `classifier` (trained on noisy A and B with B's noise schedule).
    ///
    /// - Parameters:
    ///   - start: the level M in 0..<T at which the source is noised (EGSDE: M = 0.5·T).
    ///   - steps: DDPM steps from M to 0 (nil: every level).
    ///   - noise: the source of e and of every step's z (as `Sampler.sdedit`).
    ///   - variance: the steps' noise variance: the posterior β̃ (default) or the paper's fixed-large
    ///     β (EGSDE's code: σ_t² = β_t, no noise on the last step); the mean is the same.
    /// - Throws: `MongeError` on a dimension mismatch, a non-finite source, M or steps out of
    ///   range, a negative or non-finite λ, or schedules that differ between model and classifier.
    public static func translate<M: Denoiser>(
        _ model: M, classifier: TimeClassifier<M.Scalar>, source: Matrix<M.Scalar>, start: Int,
        lambdaS: Double, lambdaI: Double, steps: Int? = nil, noise: RandomStream,
        variance: DDPM.Variance = .betaTilde, options: SamplerOptions = SamplerOptions()
    ) throws -> SamplerOutput<M.Scalar> where M.Scalar: NetworkScalar {
        try translate(model, expert: classifier, lowPass: nil, source: source, start: start, lambdaS: lambdaS, lambdaI: lambdaI,
                      steps: steps, noise: noise, variance: variance, options: options)
    }

    /// EGSDE with any realism expert and low-pass filter: on images, a `TimeConvClassifier` and
    /// a `LowPassFilter` (nil: L = identity); otherwise as `translate(_:classifier:…)`.
    ///
    /// - Throws: as the 2-D translation, and when the filter's image shape is not the model's.
    public static func translate<M: Denoiser>(
        _ model: M, expert classifier: any RealismFeatures<M.Scalar>, lowPass: LowPassFilter?, source: Matrix<M.Scalar>, start: Int,
        lambdaS: Double, lambdaI: Double, steps: Int? = nil, noise: RandomStream,
        variance: DDPM.Variance = .betaTilde, options: SamplerOptions = SamplerOptions()
    ) throws -> SamplerOutput<M.Scalar> where M.Scalar: NetworkScalar {
        let energy = try EGSDEEnergy(expert: classifier, lowPass: lowPass, lambdaS: lambdaS, lambdaI: lambdaI)
        if let lowPass, let image = model.imageShape, image != lowPass.image {
            throw MongeError.shapeMismatch("the low-pass filter works on \(lowPass.image) images, the model on \(image)")
        }
        guard source.columns == model.dimension else {
            throw MongeError.shapeMismatch("the model works on points of dimension \(model.dimension), the source has \(source.columns) columns")
        }
        guard classifier.dimension == model.dimension else {
            throw MongeError.shapeMismatch("the classifier takes points of dimension \(classifier.dimension), the model \(model.dimension)")
        }
        guard classifier.schedule == model.schedule else {
            throw MongeError.invalidArgument(
                name: "classifier",
                message: "was trained on a \(classifier.schedule.kind) schedule with T = \(classifier.schedule.count); the model uses \(model.schedule.kind) with T = \(model.schedule.count)")
        }
        try source.checkFinite("EGSDE source")
        guard start >= 0, start < model.schedule.count else {
            throw MongeError.invalidArgument(name: "m", message: "the start level M must be in 0..<\(model.schedule.count), got \(start)")
        }
        let path = try timesteps(start: start, steps: steps)
        let drift = drift(energy: energy, source: source, schedule: model.schedule, noise: noise)
        return try Sampler.sdedit(model, source, timesteps: path, method: variance == .beta ? .ddpmFixedLarge : .ddpm,
                                  noise: noise, drift: drift, options: options)
    }
}
