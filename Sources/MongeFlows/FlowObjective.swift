import Foundation
import MongeCore

/// The flow-matching objectives: which coupling π pairs a source point x₀ with a target point x₁,
/// and which probability path joins them (Lipman et al. 2023; Tong et al. 2024; Liu et al. 2022).
public enum FlowMethod: String, Codable, Sendable, CaseIterable {
    /// Rectified flow: independent coupling, straight paths without noise (σ = 0). Reflow (2-RF) is
    /// this objective on the pairs (x₀, ODE₁(x₀)) of a first flow.
    case rectifiedFlow = "rf"
    /// Independent conditional flow matching: independent coupling, x_t = μ_t + σ·ε.
    case independent = "i-cfm"
    /// OT-CFM: each minibatch coupled by its exact (certified) optimal assignment, x_t = μ_t + σ·ε.
    case optimalTransport = "ot-cfm"
    /// Schrödinger-bridge CFM: pairs drawn from the entropic plan at ε = 2σ², Brownian-bridge
    /// noise σ_t = σ·√(t(1 − t)).
    case schrodingerBridge = "sb-cfm"

    /// The method called `name`; an unknown name throws an error listing the known ones.
    public init(parsing name: String) throws {
        guard let method = FlowMethod(rawValue: name) else {
            throw MongeError.invalidArgument(name: "method", message: "unknown flow method '\(name)'; known: \(FlowMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = method
    }

    /// TorchCFM's σ for its 2-D experiments (0.1), none for rectified flow, 0.5 for SB-CFM (ε = 0.5).
    public var defaultSigma: Double {
        switch self {
        case .rectifiedFlow: return 0
        case .independent, .optimalTransport: return 0.1
        case .schrodingerBridge: return 0.5
        }
    }
}

/// One objective: a method and its noise level σ ≥ 0. Gives the point x_t on the conditional path
/// from x₀ to x₁ and the regression target u_t(x_t | x₀, x₁) of v_θ(x_t, t).
public struct FlowObjective: Codable, Equatable, Sendable {
    public var method: FlowMethod
    public var sigma: Double

    /// Throws when σ is negative or not finite, when rectified flow is given σ ≠ 0, or SB-CFM σ = 0
    /// (its entropic regulariser 2σ² must be positive).
    public init(method: FlowMethod, sigma: Double? = nil) throws {
        let sigma = sigma ?? method.defaultSigma
        guard sigma.isFinite, sigma >= 0 else {
            throw MongeError.invalidArgument(name: "sigma", message: "must be a finite number ≥ 0, got \(sigma)")
        }
        if method == .rectifiedFlow && sigma != 0 {
            throw MongeError.invalidArgument(name: "sigma", message: "rectified flow has no noise (σ = 0), got \(sigma); use i-cfm for σ > 0")
        }
        if method == .schrodingerBridge && sigma == 0 {
            throw MongeError.invalidArgument(name: "sigma", message: "sb-cfm needs σ > 0 (its Sinkhorn regulariser is ε = 2σ²)")
        }
        self.method = method
        self.sigma = sigma
    }

    /// The entropic regulariser of SB-CFM's coupling, ε = 2σ² (TorchCFM: reg = 2·sigma²).
    public var entropicEpsilon: Double { 2 * sigma * sigma }

    /// The noise scale σ_t of the path at time t: σ, or σ·√(t(1 − t)) for SB-CFM.
    public func noiseScale(at t: Double) -> Double {
        method == .schrodingerBridge ? sigma * (t * (1 - t)).squareRoot() : sigma
    }

    /// For one coordinate: x_t = (1 − t)·x₀ + t·x₁ + σ_t·ε and the target
    /// u_t = x₁ − x₀ + σ_t′·ε, where σ_t′ = 0 for a constant σ and, for SB-CFM,
    /// σ_t′ = σ·(1 − 2t)/(2√(t(1 − t))), written as TorchCFM's (1 − 2t)/(2t(1 − t) + 10⁻⁸)·σ_t·ε so
    /// that t = 0 stays finite.
    @inline(__always)
    public func pathPoint(x0: Double, x1: Double, t: Double, noise: Double) -> (point: Double, target: Double) {
        let mean = (1 - t) * x0 + t * x1
        switch method {
        case .rectifiedFlow:
            return (mean, x1 - x0)
        case .independent, .optimalTransport:
            return (mean + sigma * noise, x1 - x0)
        case .schrodingerBridge:
            let deviation = noiseScale(at: t) * noise
            return (mean + deviation, x1 - x0 + (1 - 2 * t) / (2 * t * (1 - t) + 1e-8) * deviation)
        }
    }
}
