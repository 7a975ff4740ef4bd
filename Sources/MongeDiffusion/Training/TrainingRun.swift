import Foundation
import MongeNN

/// A training run in a folder: start or resume, step with progress, checkpoint, log.
///
/// Everything that can be wrong with the inputs (configs, data, an existing checkpoint) is
/// checked before the first file is written, so a failed start leaves the folder as it was.
public struct TrainingRun {
    public let folder: String
    public let config: TrainingCheckpoint.Config
    public let network: EpsilonNetwork<Float>
    public let trainer: DiffusionTrainer
    /// The loss log so far (steps before the start of this session included when resuming).
    public private(set) var losses: [StepRecord]

    /// Prepares a run of `config` on `data` in `folder`. Without `resume` the folder must not
    /// hold a checkpoint; with it, the checkpoint's config must agree with `config` (up to the
    /// number of steps and the intervals), and training continues from its step.
    public init(folder: String, data: Matrix<Float>, config: TrainingCheckpoint.Config, resume: Bool) throws {
        try config.model.validate()
        try config.training.validate()
        guard data.columns == config.model.dimension else {
            throw MongeError.shapeMismatch("the data (\(config.data.source)) have \(data.columns) columns but the model's dimension is \(config.model.dimension)")
        }
        try data.checkFinite("training data (\(config.data.source))")
        let network = try EpsilonNetwork<Float>(config: config.model, timesteps: config.schedule.count)
        let weightsPath = TrainingCheckpoint.path(folder, TrainingCheckpoint.weightsFile)
        let configPath = TrainingCheckpoint.path(folder, TrainingCheckpoint.configFile)
        var state: TrainingState? = nil
        var losses: [StepRecord] = []
        if resume {
            let saved = try TrainingCheckpoint.readConfig(from: folder)
            if let conflict = saved.resumeConflict(with: config) {
                throw MongeError.invalidArgument(name: "--resume", message: "cannot resume \(folder): \(conflict)")
            }
            let restored = try TrainingCheckpoint.readState(from: folder, layout: network.layout)
            guard restored.step <= config.training.steps else {
                throw MongeError.invalidArgument(name: "steps", message: "the checkpoint in \(folder) is at step \(restored.step), past the requested \(config.training.steps) steps")
            }
            state = restored
            // Keep the log's regular lines; an earlier session's extra line for its last step
            // stays only when this run ends there too (as an uninterrupted run would log it).
            let every = config.training.logEvery, steps = config.training.steps
            losses = try TrainingCheckpoint.readLosses(from: folder, before: restored.step).filter {
                $0.step % every == 0 || $0.step + 1 == steps
            }
        } else if FileManager.default.fileExists(atPath: weightsPath) || FileManager.default.fileExists(atPath: configPath) {
            throw MongeError.invalidArgument(name: "--out", message: "\(folder) already holds a training run; pass --resume to continue it or choose another folder")
        }
        self.folder = folder
        self.config = config
        self.network = network
        trainer = try DiffusionTrainer(network: network, schedule: config.schedule, data: data, config: config.training, state: state)
        self.losses = losses
    }

    /// The step the next `run` starts from.
    public var step: Int { trainer.state.step }

    /// Trains up to `config.training.steps` (or `until`), writing a checkpoint every
    /// `checkpointEvery` steps and at the end. Returns the final state.
    @discardableResult
    public mutating func run(until last: Int? = nil, progress: TrainingProgress? = nil) throws -> TrainingState {
        let end = min(last ?? config.training.steps, config.training.steps)
        try TrainingCheckpoint.writeConfig(config, to: folder)
        progress?.start(atStep: trainer.state.step)
        let every = config.training.checkpointEvery
        while trainer.state.step < end {
            let record = trainer.step()
            if !record.loss.isFinite {
                progress?.finish()
                throw MongeError.numerical("training diverged at step \(record.step): the loss is \(record.loss) (lower --lr or set --clip); the last checkpoint is kept")
            }
            let done = record.step + 1
            if record.step % config.training.logEvery == 0 || done == config.training.steps { losses.append(record) }
            progress?.update(record)
            if every > 0 && done % every == 0 && done < end { try save() }
        }
        try save()
        progress?.finish()
        return trainer.state
    }

    /// Writes the weights, then the loss log.
    public func save() throws {
        try TrainingCheckpoint.writeState(trainer.state, layout: network.layout, to: folder)
        try TrainingCheckpoint.writeLosses(losses, to: folder)
    }
}

extension TrainingRun {
    /// The trained model of `config` in `folder`: a finished checkpoint of exactly this config is
    /// reused (`reused` is true); anything else in the folder is replaced by a fresh run.
    public static func trainedModel(folder: String, data: Matrix<Float>, config: TrainingCheckpoint.Config,
                                    progress: TrainingProgress) throws -> (denoiser: NetworkDenoiser, reused: Bool) {
        if let saved = try? TrainingCheckpoint.readConfig(from: folder), saved == config,
           let denoiser = try? TrainingCheckpoint.denoiser(from: folder),
           (try? TrainingCheckpoint.readState(from: folder, layout: denoiser.network.layout).step) == config.training.steps {
            return (denoiser, true)
        }
        try? FileManager.default.removeItem(atPath: folder)
        var run = try TrainingRun(folder: folder, data: data, config: config, resume: false)
        try run.run(progress: progress)
        return (try TrainingCheckpoint.denoiser(from: folder), false)
    }
}
