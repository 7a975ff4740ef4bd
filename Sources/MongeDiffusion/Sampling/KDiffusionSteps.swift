import Foundation

/// The update rules of k-diffusion's samplers (Karras et al. 2022; Lu et al. 2022), written as
/// k-diffusion writes them: over the variance-exploding variable y = x/√ᾱ and its noise level
/// σ = √((1 − ᾱ)/ᾱ), with the denoised prediction D = y − σ ε. Each rule returns the coefficients
/// of an affine combination, so that `Sampler` applies it to a block of rows in one pass; the
/// schedule enters only through the σ's the caller passes.
public enum KDiffusionSteps {
    /// y_s = y·y + epsilon·ε + noise·z (Euler and ancestral Euler, in ε form so that σ = 0 may start a step).
    public struct EpsilonForm: Equatable, Sendable {
        public var y: Double
        public var epsilon: Double
        public var noise: Double
    }

    /// y_s = y·y + denoised·D + previous·D_prev (DPM-Solver++ multistep).
    public struct DenoisedForm: Equatable, Sendable {
        public var y: Double
        public var denoised: Double
        public var previous: Double
    }

    /// Euler on dy/dσ = (y − D)/σ = ε: y_s = y + (σ_s − σ) ε. The same step as DDIM with η = 0.
    public static func euler(sigma: Double, sigmaNext: Double) -> EpsilonForm {
        EpsilonForm(y: 1, epsilon: sigmaNext - sigma, noise: 0)
    }

    /// k-diffusion's `get_ancestral_step`: the noise σ_up = min(σ_s, η √(σ_s² (σ² − σ_s²)/σ²)) added
    /// after an Euler step down to σ_down = √(σ_s² − σ_up²), so that the marginal noise is σ_s.
    public static func ancestralSigmas(sigma: Double, sigmaNext: Double, eta: Double = 1) -> (down: Double, up: Double) {
        guard eta > 0, sigma > 0 else { return (sigmaNext, 0) }
        let up = min(sigmaNext, eta * (sigmaNext * sigmaNext * (sigma * sigma - sigmaNext * sigmaNext) / (sigma * sigma)).squareRoot())
        return ((sigmaNext * sigmaNext - up * up).squareRoot(), up)
    }

    /// Ancestral Euler (`sample_euler_ancestral`): y_s = y + (σ_down − σ) ε + σ_up z. With η = 1
    /// this is DDIM with η = 1 written in (y, σ).
    public static func eulerAncestral(sigma: Double, sigmaNext: Double, eta: Double = 1) -> EpsilonForm {
        let (down, up) = ancestralSigmas(sigma: sigma, sigmaNext: sigmaNext, eta: eta)
        return EpsilonForm(y: 1, epsilon: down - sigma, noise: up)
    }

    /// DPM-Solver++(2M) (`sample_dpmpp_2m`), in λ = −log σ with h = λ_s − λ:
    /// y_s = (σ_s/σ) y − (e^(−h) − 1) D̃ with D̃ = (1 + 1/(2r)) D − 1/(2r) D_prev, r = h_prev/h.
    /// Without a previous step (`sigmaPrevious` nil) or on the step to σ_s = 0 it is the first-order
    /// DPM-Solver++ step, y_s = (σ_s/σ) y − (e^(−h) − 1) D, which is again DDIM with η = 0.
    public static func dpmSolverPlusPlus2M(sigma: Double, sigmaNext: Double, sigmaPrevious: Double?) -> DenoisedForm {
        guard sigmaNext > 0 else { return DenoisedForm(y: 0, denoised: 1, previous: 0) }
        let h = log(sigma) - log(sigmaNext)
        let first = -expm1(-h)
        guard let previous = sigmaPrevious else { return DenoisedForm(y: sigmaNext / sigma, denoised: first, previous: 0) }
        let r = (log(previous) - log(sigma)) / h
        return DenoisedForm(y: sigmaNext / sigma, denoised: first * (1 + 1 / (2 * r)), previous: -first / (2 * r))
    }
}
