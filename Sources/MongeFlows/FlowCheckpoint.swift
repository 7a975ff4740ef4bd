import Foundation
import MongeCore
import MongeNN

/// A trained flow's folder: `flow.json` (objective, model, time scale, training settings, where the
/// data came from) and `model.safetensors` (the EMA weights as `<name>`, the last weights as
/// `raw.<name>`). Both written atomically; the weights last, so a folder with model.safetensors is
/// a finished flow.
public enum FlowCheckpoint {
    public static let configFile = "flow.json"
    public static let weightsFile = "model.safetensors"
    static let format = "monge-flow-1"

    /// The content of flow.json.
    public struct Config: Codable, Equatable, Sendable {
        public var format: String
        public var model: ModelConfig
        public var timeScale: Double
        public var training: FlowTrainingConfig
        /// Where the source and target points came from (for people).
        public var source: String
        public var target: String
        /// The first flow's folder when this flow is a reflow (trained on its pairs).
        public var reflowOf: String?

        public init(model: ModelConfig, timeScale: Double, training: FlowTrainingConfig, source: String, target: String,
                    reflowOf: String? = nil) {
            format = FlowCheckpoint.format
            self.model = model
            self.timeScale = timeScale
            self.training = training
            self.source = source
            self.target = target
            self.reflowOf = reflowOf
        }
    }

    /// Writes flow.json then model.safetensors into `folder`.
    public static func write(config: Config, weights: [Float], raw: [Float], to folder: String) throws {
        let model = try VelocityNetwork(config: config.model, timeScale: config.timeScale)
        let layout = model.network.layout
        guard weights.count == layout.count, raw.count == layout.count else {
            throw MongeError.shapeMismatch("\(weights.count) weights for a network of \(layout.count)")
        }
        try AtomicFile.write(CheckpointFolder.configText(config), to: folder + "/" + configFile)
        let tensors = try CheckpointFolder.tensors(layout, weights)
            .merging(try CheckpointFolder.tensors(layout, raw, prefix: "raw.")) { first, _ in first }
        try SafeTensors.write(tensors: tensors, metadata: ["format": format], to: folder + "/" + weightsFile)
    }

    /// A loaded flow: its config and the velocity field of its EMA weights.
    public struct Loaded {
        public let config: Config
        public let model: VelocityNetwork
        public let weights: [Float]

        public func field() throws -> FlowField { try FlowField(model: model, parameters: weights) }
    }

    /// Reads a flow folder; errors name the file and the field or tensor at fault.
    public static func load(_ folder: String) throws -> Loaded {
        let configPath = folder + "/" + configFile, weightsPath = folder + "/" + weightsFile
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw MongeError.invalidFile(path: configPath, location: nil, message: "missing: \(folder) holds no trained flow (expected \(configFile) and \(weightsFile), written by `monge flow train`)")
        }
        let config = try JSONFile.read(Config.self, from: configPath, what: "a flow config")
        guard config.format == format else {
            throw MongeError.invalidFile(path: configPath, location: "format", message: "'\(config.format)', expected '\(format)'")
        }
        let model: VelocityNetwork
        do { model = try VelocityNetwork(config: config.model, timeScale: config.timeScale) } catch let error as MongeError {
            throw MongeError.invalidFile(path: configPath, location: "model", message: error.description)
        }
        let (tensors, _) = try SafeTensors.read(weightsPath)
        let weights = try model.network.layout.parameters(fromTensors: tensors, file: weightsPath,
                                                          hint: " (flow.json describes another network?)")
        return Loaded(config: config, model: model, weights: weights)
    }
}
