import Foundation
import MongeBridges

/// bridges-2d's DDIB row: DDIB (Su et al. 2023) with exact ε oracles of both distributions, so the
/// row shows the bridge's own distance from the Monge map with no learning error.
///
/// Only N(0, I) → 8-Gaussians has oracles for both ends (a Gaussian oracle and the 8-component
/// mixture at TorchCFM's radius 5 and std 0.1^¼); moons has no closed-form ε, and training ε-models
/// per seed is not in this table, so other pairs get no DDIB row.
public enum BridgesDDIB {
    /// The row's method name.
    public static let method = "DDIB (oracle)"
    /// The DDPM schedule of both oracles: linear, T = 1000, as the 2-D reproduction.
    public static func schedule() throws -> NoiseSchedule { try .linear(count: 1000) }

    /// The exact ε-model of a TorchCFM distribution, or nil when none exists in closed form (moons).
    public static func oracle(_ data: TorchCFMData, schedule: NoiseSchedule) throws -> MixtureOracle<Double>? {
        switch data {
        case .normal:
            return try MixtureOracle(means: Matrix(rows: 1, columns: 2), std: [1], schedule: schedule)
        case .gaussians8:
            let g = TorchCFMData.eightGaussians
            return try Oracles.gaussians8(radius: g.radius, std: g.std, schedule: schedule, as: Double.self)
        case .moons:
            return nil
        }
    }

    /// The DDIM (η = 0) bridge of `steps` steps per half between the pair's oracles, or nil.
    public static func bridge(source: TorchCFMData, target: TorchCFMData, steps: Int)
        throws -> DDIBBridge<MixtureOracle<Double>, MixtureOracle<Double>>? {
        let schedule = try schedule()
        guard let a = try oracle(source, schedule: schedule), let b = try oracle(target, schedule: schedule) else { return nil }
        return try DDIBBridge(source: a, target: b, steps: steps, method: .ddim(eta: 0))
    }
}
