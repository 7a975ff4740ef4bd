/// The one-step update rules of the samplers as pure arithmetic on (ᾱ_t, ᾱ_s), so that each can be
/// checked against its paper's formula. A step goes from level t to level s (s = −1: clean data).

/// x_s = x·x_t + epsilon·ε + noise·z: the affine form every DDIM/DDPM step takes.
public struct StepCoefficients: Equatable, Sendable {
    public var x: Double
    public var epsilon: Double
    /// The standard deviation of the added Gaussian noise z (0: deterministic).
    public var noise: Double
}

/// DDIM (Song, Meng, Ermon 2021): generalised, non-Markovian denoising steps.
public enum DDIM {
    /// σ_t(η) = η √((1 − ᾱ_s)/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_s) (eq. 16): 0 for the deterministic flow,
    /// the DDPM posterior standard deviation at η = 1.
    public static func sigma(eta: Double, alphaBarFrom at: Double, alphaBarTo as_: Double) -> Double {
        guard eta > 0 else { return 0 }
        return eta * ((1 - as_) / (1 - at)).squareRoot() * max(0, 1 - at / as_).squareRoot()
    }

    /// Eq. 12: x_s = √ᾱ_s x̂_0 + √(1 − ᾱ_s − σ²) ε + σ z with x̂_0 = (x_t − √(1 − ᾱ_t) ε)/√ᾱ_t.
    /// With η = 0 it also serves for inversion (s later than t): x_s = √ᾱ_s x̂_0 + √(1 − ᾱ_s) ε.
    public static func coefficients(eta: Double, alphaBarFrom at: Double, alphaBarTo as_: Double) -> StepCoefficients {
        let sigma = sigma(eta: eta, alphaBarFrom: at, alphaBarTo: as_)
        let predicted = as_.squareRoot() / at.squareRoot()  // √ᾱ_s · (1/√ᾱ_t)
        let direction = max(0, 1 - as_ - sigma * sigma).squareRoot()
        return StepCoefficients(x: predicted, epsilon: direction - predicted * (1 - at).squareRoot(), noise: sigma)
    }
}

/// DDPM ancestral sampling (Ho, Jain, Abbeel 2020), respaced: x_s ~ q(x_s | x_t, x̂_0).
public enum DDPM {
    /// The posterior q(x_s | x_t, x_0) = N(meanX0·x_0 + meanXt·x_t, variance) (DDPM eqs. 6–7 with
    /// α = ᾱ_t/ᾱ_s, β = 1 − α for a respaced step): variance β̃ = (1 − ᾱ_s)/(1 − ᾱ_t) · β.
    public struct Posterior: Equatable, Sendable {
        public var meanX0: Double
        public var meanXt: Double
        public var variance: Double
    }

    public static func posterior(alphaBarFrom at: Double, alphaBarTo as_: Double) -> Posterior {
        let alpha = at / as_, beta = 1 - alpha
        return Posterior(meanX0: as_.squareRoot() * beta / (1 - at),
                         meanXt: alpha.squareRoot() * (1 - as_) / (1 - at),
                         variance: (1 - as_) / (1 - at) * beta)
    }

    /// The variance of an ancestral step's noise (Ho et al. 2020, §3.2: both give similar samples).
    public enum Variance: String, CaseIterable, Sendable {
        /// β̃ = (1 − ᾱ_s)/(1 − ᾱ_t) · β, the posterior variance ("fixed small").
        case betaTilde = "beta-tilde"
        /// β = 1 − ᾱ_t/ᾱ_s ("fixed large"; SDEdit's and EGSDE's code), except no noise on the
        /// step to clean data (s = −1), which those codes mask.
        case beta
    }

    /// The step's noise variance under `variance`.
    public static func noiseVariance(_ variance: Variance, alphaBarFrom at: Double, alphaBarTo as_: Double) -> Double {
        switch variance {
        case .betaTilde: return max(0, posterior(alphaBarFrom: at, alphaBarTo: as_).variance)
        case .beta: return as_ >= 1 ? 0 : max(0, 1 - at / as_)
        }
    }

    /// The posterior mean with x̂_0 = (x_t − √(1 − ᾱ_t) ε)/√ᾱ_t substituted, as coefficients on
    /// (x_t, ε), and the noise of `variance` (default: the posterior's β̃).
    public static func coefficients(alphaBarFrom at: Double, alphaBarTo as_: Double,
                                    variance: Variance = .betaTilde) -> StepCoefficients {
        let p = posterior(alphaBarFrom: at, alphaBarTo: as_)
        let x0PerXt = 1 / at.squareRoot(), x0PerEpsilon = -(1 - at).squareRoot() / at.squareRoot()
        return StepCoefficients(x: p.meanXt + p.meanX0 * x0PerXt, epsilon: p.meanX0 * x0PerEpsilon,
                                noise: noiseVariance(variance, alphaBarFrom: at, alphaBarTo: as_).squareRoot())
    }
}

extension StepCoefficients {
    /// out = x·x + epsilon·ε (+ noise·z when z is given), elementwise in `Scalar`.
    public func apply<S: MatrixScalar>(_ x: Matrix<S>, epsilon e: Matrix<S>, noise z: Matrix<S>? = nil) -> Matrix<S> {
        precondition(x.shape == e.shape, "step: x is \(x.shape), ε is \(e.shape)")
        precondition(z == nil || z!.shape == x.shape, "step: noise is \(z!.shape), x is \(x.shape)")
        let storage = z != nil && noise != 0
            ? ScalarKernels.combine(self.x, x.storage, epsilon, e.storage, noise, z!.storage)
            : ScalarKernels.combine(self.x, x.storage, epsilon, e.storage)
        return try! Matrix(rows: x.rows, columns: x.columns, storage: storage)
    }
}
