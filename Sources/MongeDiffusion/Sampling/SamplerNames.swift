import Foundation

/// The sampler names that the command line, the C ABI and the Python package accept
/// (k-diffusion's names for its samplers), parsed in one place.
public enum SamplerName: String, CaseIterable, Sendable, LosslessStringConvertible {
    case ddim, ddpm, heun, euler
    case eulerAncestral = "euler-ancestral"
    case dpmpp2m = "dpmpp-2m"

    public init?(_ description: String) { self.init(rawValue: description) }
    public var description: String { rawValue }

    /// The library's method; η applies to ddim only (callers refuse it otherwise).
    public func method(eta: Double) -> SamplerMethod {
        switch self {
        case .ddim: return .ddim(eta: eta)
        case .ddpm: return .ddpm
        case .heun: return .heun
        case .euler: return .euler
        case .eulerAncestral: return .eulerAncestral
        case .dpmpp2m: return .dpmSolverPlusPlus2M
        }
    }

    /// The names whose method also runs upwards (encode, inversion, DDIB's bridge).
    public static var invertible: [SamplerName] { allCases.filter { !$0.method(eta: 0).onlyDenoises } }
}

/// How K sampling steps are placed: the uniform-in-t spacings (`TimestepSpacing`) or Karras et
/// al.'s σ spacing (`Timesteps.karras`, ρ = 7, rounded to levels).
public enum SpacingName: String, Codable, CaseIterable, Sendable, LosslessStringConvertible {
    case linspace, leading, trailing, karras

    public init?(_ description: String) { self.init(rawValue: description) }
    public var description: String { rawValue }

    /// The one default of every sampler entry point (`TimestepSpacing.standard`).
    public static let standard = SpacingName(rawValue: TimestepSpacing.standard.rawValue)!

    /// The uniform-in-t spacing of this name; nil for karras.
    public var uniform: TimestepSpacing? { TimestepSpacing(rawValue: rawValue) }

    /// K descending timesteps of `schedule` placed by this spacing.
    public func timesteps(for schedule: NoiseSchedule, steps: Int) throws -> [Int] {
        if let uniform { return try Timesteps.respaced(count: schedule.count, steps: steps, spacing: uniform) }
        return try Timesteps.karras(schedule: schedule, steps: steps)
    }
}
