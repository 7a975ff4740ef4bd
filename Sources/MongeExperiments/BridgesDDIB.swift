import Foundation
import MongeBridges
import MongeFlows
import MongeNN

/// bridges-2d's DDIB row: DDIB (Su et al. 2023) with exact ε oracles of both distributions, so the
/// row shows the bridge's own distance from the Monge map with no learning error.
///
/// Only N(0, I) → 8-Gaussians has oracles for both ends (a Gaussian oracle and the 8-component
/// mixture at TorchCFM's radius 5 and std 0.1^¼); moons and DDIB's datasets have no closed-form ε,
/// so other pairs get only the trained row (`TrainedDDIB`).
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

/// bridges-2d's trained DDIB row: one ε-MLP per distribution (ddib-2d's quick anchor: 3 × 128,
/// linear T = 1000, Adam 2e-3 with 100 warm-up steps, batch 1024, EMA weights) trained on the
/// flows' own training points of the pair and seed, bridged with DDIM η = 0.
public enum TrainedDDIB {
    public static let method = "DDIB (trained)"

    /// The ε-model training of one distribution (`name`: its spec, e.g. torchcfm:moons); `seed`
    /// seeds its weights and batches.
    public static func config(data: Matrix<Float>, name: String, steps: Int, seed: UInt64) throws -> TrainingCheckpoint.Config {
        var training = TrainingConfig(steps: steps, batchSize: 1024, seed: seed)
        training.optimizer.learningRate = 2e-3
        training.optimizer.warmupSteps = min(100, steps)
        training.logEvery = max(1, min(50, steps))
        return TrainingCheckpoint.Config(model: ModelConfig(architecture: .mlp, width: 128, depth: 3, timeEmbedding: 128),
                                         schedule: try BridgesDDIB.schedule(), training: training,
                                         data: .init(source: "\(name) n=\(data.rows)", data: data))
    }

    /// Trains (or reuses the finished checkpoint in `folder`) the ε-model of `data`.
    public static func model(folder: String, data: Matrix<Double>, name: String, steps: Int, seed: UInt64,
                             quiet: Bool) throws -> NetworkDenoiser {
        let points: Matrix<Float> = data.converted()
        return try TrainingRun.trainedModel(folder: folder, data: points, config: try config(data: points, name: name, steps: steps, seed: seed),
                                            progress: TrainingProgress(totalSteps: steps, quiet: quiet, label: "ε \(name)")).denoiser
    }

    /// Maps `source` (Double) through the Float bridge; returns the map and its NFE per point.
    public static func translate(_ source: Matrix<Double>, from a: NetworkDenoiser, to b: NetworkDenoiser,
                                 steps: Int) throws -> (mapped: Matrix<Double>, evaluations: Int) {
        let bridge = try DDIBBridge(source: a, target: b, steps: steps, method: .ddim(eta: 0))
        let translation = try bridge.translate(source.converted(to: Float.self))
        return (translation.mapped.converted(), translation.evaluations)
    }
}
