/// The update rule a sampler applies at every step of its path.
public enum SamplerMethod: Hashable, Sendable, CustomStringConvertible {
    /// DDIM (Song et al. 2021, eq. 12) with stochasticity η ∈ [0, 1]. η = 0 is the Euler method
    /// of the probability-flow ODE in (x/√ᾱ, σ) and runs in either direction (decode or encode).
    case ddim(eta: Double)
    /// DDPM ancestral sampling (Ho et al. 2020) with the posterior variance β̃, respaced; denoising only.
    case ddpm
    /// DDPM ancestral sampling with the fixed-large variance σ² = β (`DDPM.Variance.beta`), as
    /// SDEdit's and EGSDE's code; same mean as `ddpm`; denoising only.
    case ddpmFixedLarge
    /// Heun's second-order method (Karras et al. 2022, Alg. 1) on the same ODE as DDIM η = 0, in
    /// either direction. The model cannot be evaluated at level −1, so a step touching −1 puts its
    /// stage at level 0 with matching second-order weights; a step between 0 and −1 is Euler.
    case heun
    /// Euler on the same ODE as k-diffusion writes it (`KDiffusionSteps.euler`); equal to DDIM η = 0.
    /// Either direction. Pair it with `Timesteps.karras` for "Euler, Karras σ's".
    case euler
    /// Ancestral Euler (`KDiffusionSteps.eulerAncestral`, η = 1); denoising only.
    case eulerAncestral
    /// DPM-Solver++(2M) (Lu et al. 2022; `KDiffusionSteps.dpmSolverPlusPlus2M`): second order
    /// from the previous step's denoised prediction, first order on the first step and the step
    /// to clean data. One model evaluation per step; denoising only.
    case dpmSolverPlusPlus2M

    /// Whether the method draws noise (and so needs a descending path).
    public var isStochastic: Bool {
        switch self {
        case let .ddim(eta): return eta > 0
        case .ddpm, .ddpmFixedLarge, .eulerAncestral: return true
        case .heun, .euler, .dpmSolverPlusPlus2M: return false
        }
    }

    /// Whether the method only denoises (needs a descending path).
    public var onlyDenoises: Bool { isStochastic || self == .dpmSolverPlusPlus2M }

    /// Model evaluations for one step from level t to level s.
    public func evaluations(from t: Int, to s: Int) -> Int {
        self == .heun && max(t, 0) != max(s, 0) ? 2 : 1
    }

    public var description: String {
        switch self {
        case let .ddim(eta): return eta == 0 ? "ddim" : "ddim(eta=\(eta))"
        case .ddpm: return "ddpm"
        case .ddpmFixedLarge: return "ddpm(variance=beta)"
        case .heun: return "heun"
        case .euler: return "euler"
        case .eulerAncestral: return "euler-ancestral"
        case .dpmSolverPlusPlus2M: return "dpmpp-2m"
        }
    }
}
