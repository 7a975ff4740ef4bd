import Foundation
import MongeNN

/// A training run's folder: `config.json` (model, schedule, training and data description),
/// `model.safetensors` (weights, their EMA and Adam's moments; the step in its metadata) and
/// `loss.csv` (step, loss, gradient norm, learning rate). Every file is written atomically.
///
/// Tensor names: `<name>` for the weights (e.g. `blocks.0.linear1.weight`, shape
/// `[inputs, outputs]`), `ema.<name>` for their EMA (the weights to sample with),
/// `adam.m.<name>` and `adam.v.<name>` for the moments.
public enum TrainingCheckpoint {
    public static let configFile = "config.json"
    public static let weightsFile = "model.safetensors"
    public static let lossFile = "loss.csv"
    static let format = "monge-epsilon-1"

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
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
            for value in data.storage {
                var bits = value.bitPattern
                for _ in 0..<4 {
                    hash = (hash ^ UInt64(bits & 0xFF)) &* 0x0100_0000_01B3
                    bits >>= 8
                }
            }
            fingerprint = String(hash, radix: 16)
        }
    }

    /// The content of config.json.
    public struct Config: Codable, Equatable, Sendable {
        public var format: String
        public var model: ModelConfig
        public var schedule: NoiseSchedule
        public var training: TrainingConfig
        public var data: DataDescription

        public init(model: ModelConfig, schedule: NoiseSchedule, training: TrainingConfig, data: DataDescription) {
            format = TrainingCheckpoint.format
            self.model = model
            self.schedule = schedule
            self.training = training
            self.data = data
        }

        /// The first difference that forbids resuming a run of `self` as `other` (nil when
        /// they agree; the number of steps and the checkpoint and log intervals may change).
        public func resumeConflict(with other: Config) -> String? {
            if model != other.model { return "the model differs: checkpoint \(Config.describe(model)), requested \(Config.describe(other.model))" }
            if schedule != other.schedule {
                return "the noise schedule differs: checkpoint \(schedule.kind) T = \(schedule.count), requested \(other.schedule.kind) T = \(other.schedule.count)"
            }
            var a = training, b = other.training
            a.steps = 0; b.steps = 0; a.checkpointEvery = 0; b.checkpointEvery = 0; a.logEvery = 1; b.logEvery = 1
            if a != b { return "the training settings differ: checkpoint \(Config.describe(training)), requested \(Config.describe(other.training))" }
            if data.rows != other.data.rows || data.columns != other.data.columns || data.fingerprint != other.data.fingerprint {
                return "the data differ: checkpoint \(data.rows)×\(data.columns) (fingerprint \(data.fingerprint), from \(data.source)), "
                    + "given \(other.data.rows)×\(other.data.columns) (fingerprint \(other.data.fingerprint))"
            }
            return nil
        }

        static func describe<T: Encodable>(_ value: T) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
        }
    }

    // MARK: Writing

    /// Writes config.json.
    public static func writeConfig(_ config: Config, to folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(config) + Data("\n".utf8), to: path(folder, configFile))
    }

    /// Writes model.safetensors from the state (weights, EMA, moments, step).
    public static func writeState(_ state: TrainingState, layout: ParameterLayout, to folder: String) throws {
        var tensors: [String: NDArray] = [:]
        for entry in layout.entries {
            func slice(_ values: [Float]) throws -> NDArray { try NDArray(shape: entry.shape, values: Array(values[entry.range])) }
            tensors[entry.name] = try slice(state.parameters)
            tensors["ema." + entry.name] = try slice(state.ema)
            tensors["adam.m." + entry.name] = try slice(state.adam.m)
            tensors["adam.v." + entry.name] = try slice(state.adam.v)
        }
        try SafeTensors.write(tensors: tensors, metadata: ["format": format, "step": String(state.step)],
                              to: path(folder, weightsFile))
    }

    /// Writes loss.csv.
    public static func writeLosses(_ records: [StepRecord], to folder: String) throws {
        var text = "step,loss,grad_norm,lr\n"
        for r in records { text += "\(r.step),\(r.loss),\(r.gradientNorm),\(r.learningRate)\n" }
        try AtomicFile.write(text, to: path(folder, lossFile))
    }

    // MARK: Reading

    /// Reads config.json, with errors naming the file.
    public static func readConfig(from folder: String) throws -> Config {
        let file = path(folder, configFile)
        let config = try JSONFile.read(Config.self, from: file, what: "a training config")
        guard config.format == format else {
            throw MongeError.invalidFile(path: file, location: "format", message: "expected \"\(format)\", got \"\(config.format)\"")
        }
        do {
            try config.model.validate()
            try config.training.validate()
        } catch let error as MongeError {
            throw MongeError.invalidFile(path: file, location: nil, message: error.description)
        }
        return config
    }

    /// Reads the training state for `layout`; every tensor must be present with its shape as F32.
    public static func readState(from folder: String, layout: ParameterLayout) throws -> TrainingState {
        let file = path(folder, weightsFile)
        let (tensors, metadata) = try SafeTensors.read(file)
        guard metadata["format"] == format else {
            throw MongeError.invalidFile(path: file, location: "metadata", message: "format is \(metadata["format"].map { "\"\($0)\"" } ?? "missing"), expected \"\(format)\"")
        }
        guard let stepText = metadata["step"], let step = Int(stepText), step >= 0 else {
            throw MongeError.invalidFile(path: file, location: "metadata", message: "no valid \"step\"")
        }
        func values(_ prefix: String) throws -> [Float] {
            var out = [Float](repeating: 0, count: layout.count)
            for entry in layout.entries {
                let name = prefix + entry.name
                guard let tensor = tensors[name] else {
                    throw MongeError.invalidFile(path: file, location: "tensor \(name)", message: "missing")
                }
                guard tensor.shape == entry.shape else {
                    throw MongeError.invalidFile(path: file, location: "tensor \(name)",
                                                 message: "shape \(tensor.shape), expected \(entry.shape)")
                }
                guard tensor.dtype == .float32 else {
                    throw MongeError.invalidFile(path: file, location: "tensor \(name)", message: "dtype \(tensor.dtype.safetensorsName), expected F32")
                }
                let v: [Float] = tensor.values()
                if let bad = v.firstIndex(where: { !$0.isFinite }) {
                    throw MongeError.invalidFile(path: file, location: "tensor \(name)", message: "element \(bad) is \(v[bad])")
                }
                out.replaceSubrange(entry.range, with: v)
            }
            return out
        }
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
            let fields = line.split(separator: ",").map(String.init)
            guard fields.count == 4, let s = Int(fields[0]), let loss = Double(fields[1]), let norm = Double(fields[2]),
                  let lr = Double(fields[3]) else {
                throw MongeError.invalidFile(path: file, location: "line \(k + 1)", message: "expected step,loss,grad_norm,lr")
            }
            if s < step { records.append(StepRecord(step: s, loss: loss, gradientNorm: norm, learningRate: lr)) }
        }
        return records
    }

    /// The EMA weights of a run folder as a denoiser for sampling.
    public static func denoiser(from folder: String, useEMA: Bool = true) throws -> NetworkDenoiser {
        let config = try readConfig(from: folder)
        let network = try EpsilonNetwork<Float>(config: config.model, timesteps: config.schedule.count)
        let state = try readState(from: folder, layout: network.layout)
        return try NetworkDenoiser(network: network, parameters: useEMA ? state.ema : state.parameters, schedule: config.schedule)
    }

    static func path(_ folder: String, _ name: String) -> String {
        URL(fileURLWithPath: folder).appendingPathComponent(name).path
    }
}
