import Foundation
import MongeNN

/// A training run's folder: `config.json` (model, schedule, training and data description),
/// `model.safetensors` (weights, their EMA and Adam's moments, and the loss rows logged so far;
/// the step and the config's seal in its metadata) and `loss.csv` (step, loss, gradient norm,
/// learning rate). Every file is written atomically.
///
/// Tensor names: `<name>` for the weights (e.g. `blocks.0.linear1.weight`, shape
/// `[inputs, outputs]`), `ema.<name>` for their EMA (the weights to sample with),
/// `adam.m.<name>` and `adam.v.<name>` for the moments, `loss_log` (F64, [rows, 4]: step, loss,
/// gradient norm, learning rate) for the loss rows; metadata `loss_rows` counts them.
///
/// **What is committed when.** A checkpoint writes config.json, then model.safetensors — the
/// commit point: weights and loss rows change together in one rename — then loss.csv, a copy of
/// the rows that a resume or a reuse rewrites from model.safetensors when a kill lost it. A folder
/// holds a training run exactly when it holds model.safetensors; config.json alone (a run stopped
/// before its first checkpoint) is no run, and a new start may replace it. The seal in the metadata
/// (`ConfigSeal` of everything in config.json but the step count, the intervals and the data's
/// source name, which a resume may change) ties config.json to the weights: an edited config.json
/// is refused at load. Checkpoints written before seals load unverified, with a note.
///
/// **Sampling needs only the weights**: `readWeights` / `denoiser(from:)` read config.json and the
/// `ema.<name>` tensors, or the plain `<name>` tensors when there is no EMA (a weights-only
/// checkpoint, `writeWeights`, e.g. converted from PyTorch); no moments, step or loss rows.
public enum TrainingCheckpoint {
    public static let configFile = "config.json"
    public static let weightsFile = "model.safetensors"
    public static let lossFile = "loss.csv"
    static let format = "monge-epsilon-1"
    static let lossTensor = "loss_log"
    static let lossRowsKey = "loss_rows"

    /// What the data of a run were: checked on resume so that a run continues on the same points.
    public struct DataDescription: Codable, Equatable, Sendable {
        /// A path or a dataset name, for people (not compared on resume).
        public var source: String
        public var rows: Int
        public var columns: Int
        /// FNV-1a (64 bit) of the Float32 values, hexadecimal.
        public var fingerprint: String

        public init(source: String, data: Matrix<Float>) {
            self.source = source
            rows = data.rows
            columns = data.columns
            var hash = FNV1a64()
            for value in data.storage {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { hash.update($0) }
            }
            fingerprint = String(hash.value, radix: 16)
        }
    }

    /// What the fixed losses of a run are measured on (`TrainingEvaluation`).
    public struct EvaluationDescription: Codable, Equatable, Sendable {
        public var heldOut: DataDescription
        /// Seed of the fixed timesteps and noise.
        public var seed: UInt64
        /// Evaluated on the logged steps that are multiples of this, and the last.
        public var every: Int

        public init(heldOut: DataDescription, seed: UInt64, every: Int) {
            self.heldOut = heldOut
            self.seed = seed
            self.every = every
        }
    }

    /// The content of config.json.
    public struct Config: Codable, Equatable, Sendable {
        public var format: String
        public var model: ModelConfig
        public var schedule: NoiseSchedule
        public var training: TrainingConfig
        public var data: DataDescription
        /// The held-out images and draws of the fixed losses in loss.csv, or nil (no evaluation).
        /// Not part of what the weights depend on: a resume may change it.
        public var evaluation: EvaluationDescription?

        public init(model: ModelConfig, schedule: NoiseSchedule, training: TrainingConfig, data: DataDescription,
                    evaluation: EvaluationDescription? = nil) {
            format = TrainingCheckpoint.format
            self.model = model
            self.schedule = schedule
            self.training = training
            self.data = data
            self.evaluation = evaluation
        }

        /// The first difference that forbids resuming a run of `self` as `other` (nil when
        /// they agree; the number of steps and the checkpoint and log intervals may change).
        public func resumeConflict(with other: Config) -> String? {
            if model != other.model { return "the model differs: checkpoint \(Config.describe(model)), requested \(Config.describe(other.model))" }
            if schedule != other.schedule {
                return "the noise schedule differs: checkpoint \(schedule.kind) T = \(schedule.count), requested \(other.schedule.kind) T = \(other.schedule.count)"
            }
            if resumable.training != other.resumable.training { return "the training settings differ: checkpoint \(Config.describe(training)), requested \(Config.describe(other.training))" }
            if data.rows != other.data.rows || data.columns != other.data.columns || data.fingerprint != other.data.fingerprint {
                return "the data differ: checkpoint \(data.rows)×\(data.columns) (fingerprint \(data.fingerprint), from \(data.source)), "
                    + "given \(other.data.rows)×\(other.data.columns) (fingerprint \(other.data.fingerprint))"
            }
            return nil
        }

        /// The config without what a resume may change (the number of steps, the checkpoint and
        /// log intervals, the data's source name): what the weights of a checkpoint depend on.
        public var resumable: Config {
            var config = self
            config.training.steps = 0
            config.training.checkpointEvery = 0
            config.training.logEvery = 1
            config.data.source = ""
            config.evaluation = nil
            return config
        }

        /// The seal of `resumable`, stored in model.safetensors.
        public func seal() throws -> ConfigSeal { try ConfigSeal(resumable) }

        static func describe<T: Encodable>(_ value: T) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
        }
    }

    // MARK: Writing

    /// Writes config.json.
    public static func writeConfig(_ config: Config, to folder: String) throws {
        try AtomicFile.write(CheckpointFolder.configText(config), to: path(folder, configFile))
    }

    /// Writes a checkpoint: config.json, then model.safetensors (the commit point), then loss.csv
    /// (see the type's comment for why in this order).
    public static func save(_ state: TrainingState, layout: ParameterLayout, config: Config, losses: [StepRecord],
                            to folder: String) throws {
        try writeConfig(config, to: folder)
        try writeState(state, layout: layout, config: config, losses: losses, to: folder)
        try writeLosses(losses, to: folder)
    }

    /// Writes model.safetensors from the state (weights, EMA, moments, step), the loss rows and
    /// the seal of `config`.
    public static func writeState(_ state: TrainingState, layout: ParameterLayout, config: Config, losses: [StepRecord],
                                  to folder: String) throws {
        var tensors: [String: NDArray] = [:]
        for entry in layout.entries {
            func slice(_ values: [Float]) throws -> NDArray { try NDArray(shape: entry.shape, values: Array(values[entry.range])) }
            tensors[entry.name] = try slice(state.parameters)
            tensors["ema." + entry.name] = try slice(state.ema)
            tensors["adam.m." + entry.name] = try slice(state.adam.m)
            tensors["adam.v." + entry.name] = try slice(state.adam.v)
        }
        if !losses.isEmpty {
            let evaluated = hasEvaluation(losses)
            tensors[lossTensor] = try NDArray(shape: [losses.count, evaluated ? 6 : 4], values: losses.flatMap {
                [Double($0.step), $0.loss, $0.gradientNorm, $0.learningRate]
                    + (evaluated ? [$0.heldOutLoss ?? .nan, $0.trainingEvalLoss ?? .nan] : [])
            })
        }
        var metadata = try config.seal().metadata
        metadata["format"] = format
        metadata["step"] = String(state.step)
        metadata[lossRowsKey] = String(losses.count)
        try SafeTensors.write(tensors: tensors, metadata: metadata, to: path(folder, weightsFile))
    }

    /// Writes a weights-only checkpoint: config.json, then model.safetensors holding `<name>`
    /// tensors, the format and the config's seal, but no EMA, optimiser moments, step or loss
    /// rows. For a model made elsewhere (e.g. converted from PyTorch): `denoiser(from:)` samples
    /// it; a resume refuses it, having no training state to continue.
    public static func writeWeights(_ parameters: [Float], layout: ParameterLayout, config: Config, to folder: String) throws {
        guard parameters.count == layout.count else {
            throw MongeError.shapeMismatch("\(parameters.count) parameters given, the model \(Config.describe(config.model)) has \(layout.count)")
        }
        if let bad = parameters.firstIndex(where: { !$0.isFinite }) {
            throw MongeError.nonFinite("parameter \(bad) is \(parameters[bad])")
        }
        try CheckpointFolder.create(folder)
        let tensors = try CheckpointFolder.tensors(layout, parameters)
        var metadata = try config.seal().metadata
        metadata["format"] = format
        try writeConfig(config, to: folder)
        try SafeTensors.write(tensors: tensors, metadata: metadata, to: path(folder, weightsFile))
    }

    /// Writes loss.csv.
    public static func writeLosses(_ records: [StepRecord], to folder: String) throws {
        try AtomicFile.write(lossText(records), to: path(folder, lossFile))
    }

    /// Rewrites loss.csv from `records` (those of model.safetensors) when it is missing or
    /// differs, as a kill between the two renames of a checkpoint leaves it; true when it did.
    @discardableResult
    public static func repairLosses(_ records: [StepRecord], in folder: String) throws -> Bool {
        let text = lossText(records)
        if FileManager.default.contents(atPath: path(folder, lossFile)) == Data(text.utf8) { return false }
        try AtomicFile.write(text, to: path(folder, lossFile))
        return true
    }

    /// Whether any row carries the fixed held-out and training losses (loss.csv then has the
    /// columns held_out_loss and train_eval_loss, empty on the rows not evaluated).
    static func hasEvaluation(_ records: [StepRecord]) -> Bool {
        records.contains { $0.heldOutLoss != nil || $0.trainingEvalLoss != nil }
    }

    static func lossText(_ records: [StepRecord]) -> String {
        let evaluated = hasEvaluation(records)
        var text = "step,loss,grad_norm,lr" + (evaluated ? ",held_out_loss,train_eval_loss" : "") + "\n"
        for r in records {
            text += "\(r.step),\(r.loss),\(r.gradientNorm),\(r.learningRate)"
            if evaluated { text += "," + (r.heldOutLoss.map { "\($0)" } ?? "") + "," + (r.trainingEvalLoss.map { "\($0)" } ?? "") }
            text += "\n"
        }
        return text
    }

    // MARK: Reading

    /// Reads config.json, with errors naming the file.
    public static func readConfig(from folder: String) throws -> Config {
        let file = path(folder, configFile)
        let config = try JSONFile.read(Config.self, from: file, what: "a training config")
        guard config.format == format else {
            throw MongeError.invalidFile(path: file, location: "format", message: "expected \"\(format)\", got \"\(config.format)\"")
        }
        try CheckpointFolder.validate(file) {
            try config.model.validate()
            try config.training.validate()
        }
        return config
    }

    /// A checkpoint as read: config.json and model.safetensors, checked to belong together.
    public struct Saved {
        public var config: Config
        public var network: EpsilonNetwork<Float>
        public var state: TrainingState
        /// The loss rows committed with the weights; nil for a checkpoint written before they were.
        public var losses: [StepRecord]?
        /// Whether model.safetensors holds the seal of config.json (false: written before seals, unverified).
        public var sealed: Bool
    }

    /// Whether `folder` holds a training run (a model.safetensors; config.json alone is none).
    public static func holdsCheckpoint(_ folder: String) -> Bool {
        FileManager.default.fileExists(atPath: path(folder, weightsFile))
    }

    /// Reads config.json and model.safetensors, checking the seal (config.json must be the config
    /// the weights were trained with), every tensor and the loss rows.
    public static func read(from folder: String) throws -> Saved {
        let config = try readConfig(from: folder)
        let network = try EpsilonNetwork<Float>(config: config.model, timesteps: config.schedule.count)
        let file = path(folder, weightsFile)
        let (tensors, metadata) = try SafeTensors.read(file)
        let sealed = try config.seal().verify(metadata: metadata, configFile: path(folder, configFile), weightsFile: file)
        let state = try readState(tensors: tensors, metadata: metadata, file: file, layout: network.layout)
        return Saved(config: config, network: network, state: state,
                     losses: try readLossRows(tensors: tensors, metadata: metadata, file: file), sealed: sealed)
    }

    /// Reads the training state for `layout` (config.json must match the weights' seal).
    public static func readState(from folder: String, layout: ParameterLayout) throws -> TrainingState {
        let saved = try read(from: folder)
        guard saved.network.layout.count == layout.count else {
            throw MongeError.shapeMismatch("\(path(folder, weightsFile)) holds \(saved.network.layout.count) parameters, expected \(layout.count)")
        }
        return saved.state
    }

    static func readLossRows(tensors: [String: NDArray], metadata: [String: String], file: String) throws -> [StepRecord]? {
        guard let text = metadata[lossRowsKey] else { return nil }
        guard let rows = Int(text), rows >= 0 else {
            throw MongeError.invalidFile(path: file, location: "metadata", message: "\(lossRowsKey) is \"\(text)\", expected a count")
        }
        if rows == 0 { return [] }
        guard let tensor = tensors[lossTensor], tensor.shape == [rows, 4] || tensor.shape == [rows, 6] else {
            throw MongeError.invalidFile(path: file, location: "tensor \(lossTensor)", message: "expected shape [\(rows), 4] or [\(rows), 6] (\(lossRowsKey) = \(rows))")
        }
        let v: [Double] = tensor.values(), w = tensor.shape[1]
        return try (0..<rows).map { i in
            let step = v[w * i]
            guard step >= 0, step < 1e15, step == step.rounded() else {
                throw MongeError.invalidFile(path: file, location: "tensor \(lossTensor) row \(i)", message: "step \(step) is not a step number")
            }
            func optional(_ k: Int) -> Double? { w > k && !v[w * i + k].isNaN ? v[w * i + k] : nil }
            return StepRecord(step: Int(step), loss: v[w * i + 1], gradientNorm: v[w * i + 2], learningRate: v[w * i + 3],
                              heldOutLoss: optional(4), trainingEvalLoss: optional(5))
        }
    }

    static func readState(tensors: [String: NDArray], metadata: [String: String], file: String,
                          layout: ParameterLayout) throws -> TrainingState {
        try CheckpointFolder.checkFormat(metadata, format, file: file)
        guard let stepText = metadata["step"], let step = Int(stepText), step >= 0 else {
            if metadata["step"] == nil && tensors.keys.allSatisfy({ !$0.hasPrefix("adam.") }) {
                throw MongeError.invalidFile(path: file, location: nil, message:
                    "holds weights only (no step, no optimiser state): it can be sampled but not resumed")
            }
            throw MongeError.invalidFile(path: file, location: "metadata", message: "no valid \"step\"")
        }
        func values(_ prefix: String) throws -> [Float] { try layout.parameters(fromTensors: tensors, prefix: prefix, file: file) }
        let state = TrainingState(parameters: try values(""), ema: try values("ema."),
                                  adam: AdamState(m: try values("adam.m."), v: try values("adam.v."), step: step))
        return state
    }

    /// Reads loss.csv, keeping the records of steps before `step` (a resumed run rewrites the rest).
    public static func readLosses(from folder: String, before step: Int) throws -> [StepRecord] {
        let file = path(folder, lossFile)
        guard FileManager.default.fileExists(atPath: file) else { return [] }
        let text = String(decoding: try AtomicFile.read(file), as: UTF8.self)
        var records: [StepRecord] = []
        for (k, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() where k > 0 {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4 || fields.count == 6, let s = Int(fields[0]), let loss = Double(fields[1]), let norm = Double(fields[2]),
                  let lr = Double(fields[3]) else {
                throw MongeError.invalidFile(path: file, location: "line \(k + 1)", message: "expected step,loss,grad_norm,lr[,held_out_loss,train_eval_loss]")
            }
            let extra = fields.dropFirst(4).map { Double($0) }
            if s < step {
                records.append(StepRecord(step: s, loss: loss, gradientNorm: norm, learningRate: lr,
                                          heldOutLoss: extra.first ?? nil, trainingEvalLoss: extra.dropFirst().first ?? nil))
            }
        }
        return records
    }

    /// The weights to sample with, from config.json and model.safetensors alone.
    public struct Weights {
        public var config: Config
        public var network: EpsilonNetwork<Float>
        public var parameters: [Float]
        /// Whether model.safetensors holds the seal of config.json (false: unverified).
        public var sealed: Bool
    }

    /// Reads the weights to sample with: `ema.<name>` when `useEMA` and the file holds them (a
    /// training run), else `<name>` (the raw weights; all a weights-only checkpoint has). Neither
    /// the optimiser's moments, the step nor the loss rows are needed. The seal is checked as by
    /// `read(from:)`.
    public static func readWeights(from folder: String, useEMA: Bool = true) throws -> Weights {
        let config = try readConfig(from: folder)
        let network = try EpsilonNetwork<Float>(config: config.model, timesteps: config.schedule.count)
        let file = path(folder, weightsFile)
        let (tensors, metadata) = try SafeTensors.read(file)
        let sealed = try config.seal().verify(metadata: metadata, configFile: path(folder, configFile), weightsFile: file)
        try CheckpointFolder.checkFormat(metadata, format, file: file)
        let hasEMA = network.layout.entries.first.map { tensors["ema." + $0.name] != nil } ?? false
        let parameters = try network.layout.parameters(fromTensors: tensors, prefix: useEMA && hasEMA ? "ema." : "", file: file)
        return Weights(config: config, network: network, parameters: parameters, sealed: sealed)
    }

    /// The EMA weights of a run folder (or the weights of a weights-only checkpoint) as a denoiser
    /// for sampling; `note` hears that a checkpoint written before seals could not be checked
    /// against config.json.
    public static func denoiser(from folder: String, useEMA: Bool = true,
                                note: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws -> NetworkDenoiser {
        let saved = try readWeights(from: folder, useEMA: useEMA)
        if !saved.sealed {
            note("note: \(path(folder, weightsFile)) predates config seals; \(configFile) is not verified against the weights (train or resume once to seal it)")
        }
        return try NetworkDenoiser(network: saved.network, parameters: saved.parameters, schedule: saved.config.schedule)
    }

    static func path(_ folder: String, _ name: String) -> String { CheckpointFolder.path(folder, name) }
}
