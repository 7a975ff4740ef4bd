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
    /// What the start found worth telling (a folder without a checkpoint to resume, a loss.csv
    /// repaired from the checkpoint), or nil.
    public private(set) var notice: String?

    /// Prepares a run of `config` on `data` in `folder`. Without `resume` the folder must not
    /// hold a checkpoint; with it, the checkpoint's config must agree with `config` (up to the
    /// number of steps and the intervals), and training continues from its step. A folder
    /// without model.safetensors holds no run (at most the config.json of a run stopped before
    /// its first checkpoint): both a start and a resume begin at step 0 there, with a notice.
    /// The fixed held-out and training losses logged beside the batch loss, or nil.
    public let evaluation: TrainingEvaluation?

    public init(folder: String, data: Matrix<Float>, config: TrainingCheckpoint.Config, resume: Bool,
                heldOut: Matrix<Float>? = nil) throws {
        try config.model.validate()
        try config.training.validate()
        guard (heldOut == nil) == (config.evaluation == nil) else {
            throw MongeError.invalidArgument(name: "held-out", message: "the config describes \(config.evaluation == nil ? "no" : "a") held-out set but \(heldOut == nil ? "none" : "one") was given")
        }
        if let heldOut, let description = config.evaluation {
            guard heldOut.columns == config.model.dimension else {
                throw MongeError.shapeMismatch("the held-out images (\(description.heldOut.source)) have \(heldOut.columns) columns but the model's dimension is \(config.model.dimension)")
            }
            evaluation = try TrainingEvaluation(heldOut: heldOut, trainingData: data, schedule: config.schedule,
                                                seed: description.seed, every: description.every)
        } else {
            evaluation = nil
        }
        guard data.columns == config.model.dimension else {
            throw MongeError.shapeMismatch("the data (\(config.data.source)) have \(data.columns) columns but the model's dimension is \(config.model.dimension)")
        }
        try data.checkFinite("training data (\(config.data.source))")
        let network = try EpsilonNetwork<Float>(config: config.model, timesteps: config.schedule.count)
        let configPath = TrainingCheckpoint.path(folder, TrainingCheckpoint.configFile)
        var state: TrainingState? = nil
        var losses: [StepRecord] = []
        var notice: String? = nil
        let holdsRun = TrainingCheckpoint.holdsCheckpoint(folder)
        if resume && holdsRun {
            let saved = try TrainingCheckpoint.read(from: folder)
            if let conflict = saved.config.resumeConflict(with: config) {
                throw MongeError.invalidArgument(name: "--resume", message: "cannot resume \(folder): \(conflict)")
            }
            let restored = saved.state
            guard restored.step <= config.training.steps else {
                throw MongeError.invalidArgument(name: "steps", message: "the checkpoint in \(folder) is at step \(restored.step), past the requested \(config.training.steps) steps")
            }
            state = restored
            // Keep the log's regular lines; an earlier session's extra line for its last step
            // stays only when this run ends there too (as an uninterrupted run would log it).
            let every = config.training.logEvery, steps = config.training.steps
            // The rows committed with the weights; a checkpoint from before that keeps them in loss.csv.
            let committed = try saved.losses ?? TrainingCheckpoint.readLosses(from: folder, before: restored.step)
            losses = committed.filter { $0.step < restored.step && ($0.step % every == 0 || $0.step + 1 == steps) }
        } else if holdsRun {
            throw MongeError.invalidArgument(name: "--out", message: "\(folder) already holds a training run; pass --resume to continue it or choose another folder")
        } else if resume {
            notice = FileManager.default.fileExists(atPath: configPath)
                ? "\(folder) holds no checkpoint yet (the run stopped before its first one): starting at step 0 with its config.json"
                : "\(folder) holds no training run to resume: starting at step 0 with the options given (defaults for the rest)"
        } else if FileManager.default.fileExists(atPath: configPath) {
            notice = "\(folder) holds a config.json but no checkpoint (a run stopped before its first one): starting afresh"
        }
        self.folder = folder
        self.config = config
        self.network = network
        trainer = try DiffusionTrainer(network: network, schedule: config.schedule, data: data, config: config.training, state: state)
        self.losses = losses
        self.notice = notice
    }

    /// The step the next `run` starts from.
    public var step: Int { trainer.state.step }

    /// Trains up to `config.training.steps` (or `until`), writing a checkpoint every
    /// `checkpointEvery` steps and at the end (or where `progress`'s observer asked to stop).
    /// Returns the final state.
    @discardableResult
    public mutating func run(until last: Int? = nil, progress: TrainingProgress? = nil) throws -> TrainingState {
        let end = min(last ?? config.training.steps, config.training.steps)
        progress?.start(atStep: trainer.state.step)
        let every = config.training.checkpointEvery
        while trainer.state.step < end {
            let step = trainer.state.step
            var fixed: (heldOut: Double, training: Double)?
            if let evaluation, (step % config.training.logEvery == 0 && step % evaluation.every == 0) || step + 1 == config.training.steps {
                fixed = evaluation.losses(network: network, parameters: trainer.state.parameters)
            }
            var record = trainer.step()
            record.heldOutLoss = fixed?.heldOut
            record.trainingEvalLoss = fixed?.training
            if !record.loss.isFinite {
                progress?.finish()
                throw MongeError.numerical("training diverged at step \(record.step): the loss is \(record.loss) (lower --lr or set --clip); the last checkpoint is kept")
            }
            let done = record.step + 1
            if record.step % config.training.logEvery == 0 || done == config.training.steps { losses.append(record) }
            progress?.update(record)
            if progress?.stopRequested == true { break }  // checkpointed below, as at the end
            if every > 0 && done % every == 0 && done < end { try save() }
        }
        try save()
        progress?.finish()
        return trainer.state
    }

    /// Writes a checkpoint: config.json, the weights with their loss rows, loss.csv.
    public func save() throws {
        try TrainingCheckpoint.save(trainer.state, layout: network.layout, config: config, losses: losses, to: folder)
    }
}

extension TrainingRun {
    /// The trained model of `config` in `folder`: a finished checkpoint of exactly this config is
    /// reused (`reused` is true; a loss.csv a kill lost is rewritten from the checkpoint); an
    /// unfinished checkpoint of exactly this config (a killed run) is resumed, which gives the
    /// bytes of an uninterrupted run; anything else in the folder is replaced by a fresh run.
    /// `log` hears about a resume.
    public static func trainedModel(folder: String, data: Matrix<Float>, config: TrainingCheckpoint.Config,
                                    heldOut: Matrix<Float>? = nil,
                                    progress: TrainingProgress,
                                    log: (String) -> Void = { _ in }) throws -> (denoiser: NetworkDenoiser, reused: Bool) {
        let saved = try? TrainingCheckpoint.read(from: folder)
        if let saved, saved.config == config, saved.state.step == config.training.steps,
           saved.losses != nil || FileManager.default.fileExists(atPath: TrainingCheckpoint.path(folder, TrainingCheckpoint.lossFile)) {
            if let losses = saved.losses { try TrainingCheckpoint.repairLosses(losses, in: folder) }
            let denoiser = try NetworkDenoiser(network: saved.network, parameters: saved.state.ema, schedule: saved.config.schedule)
            return (denoiser, true)
        }
        let resumable = saved.map { $0.config == config && $0.state.step < config.training.steps && $0.losses != nil } ?? false
        if resumable, let step = saved?.state.step {
            log("  resuming the interrupted run of the same config in \(folder) at step \(step)")
        } else {
            try? FileManager.default.removeItem(atPath: folder)
        }
        var run = try TrainingRun(folder: folder, data: data, config: config, resume: resumable, heldOut: heldOut)
        try run.run(progress: progress)
        return (try NetworkDenoiser(network: run.network, parameters: run.trainer.state.ema, schedule: config.schedule), false)
    }
}
