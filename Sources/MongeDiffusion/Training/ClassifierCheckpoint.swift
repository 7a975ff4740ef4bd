import Foundation
import MongeNN

/// A domain classifier's folder: `classifier.json` (network, schedule, training, data),
/// `classifier.safetensors` (the weights as F32 tensors named as in the layout, e.g.
/// `hidden.0.weight` of shape [inputs, outputs]) and `loss.csv`. The three files are produced
/// first and then renamed into place together, classifier.json last (a folder with a config has
/// its weights). The weights' metadata holds the `ConfigSeal` of classifier.json, checked at
/// load; classifiers written before seals load unverified, with a note.
public enum ClassifierCheckpoint {
    public static let configFile = "classifier.json"
    public static let weightsFile = "classifier.safetensors"
    public static let lossFile = "loss.csv"
    static let format = "monge-classifier-1"

    /// The content of classifier.json.
    public struct Config: Codable, Equatable, Sendable {
        public var format: String
        public var model: ClassifierConfig
        public var schedule: NoiseSchedule
        public var training: ClassifierTrainingConfig
        /// Domain A (label 0) and B (label 1).
        public var domainA: TrainingCheckpoint.DataDescription
        public var domainB: TrainingCheckpoint.DataDescription

        public init(model: ClassifierConfig, schedule: NoiseSchedule, training: ClassifierTrainingConfig,
                    domainA: TrainingCheckpoint.DataDescription, domainB: TrainingCheckpoint.DataDescription) {
            format = ClassifierCheckpoint.format
            self.model = model
            self.schedule = schedule
            self.training = training
            self.domainA = domainA
            self.domainB = domainB
        }
    }

    /// Writes the three files of a trained classifier into `folder` (created if missing).
    public static func write(_ classifier: TimeClassifier<Float>, config: Config, losses: [StepRecord], to folder: String) throws {
        guard config.model == classifier.network.config, config.schedule == classifier.schedule else {
            throw MongeError.invalidArgument(name: "config", message: "describes another network or schedule than the classifier")
        }
        // The same loss.csv as `monge train`.
        try CheckpointFolder.writeSealed(config, format: format, tensors: try CheckpointFolder.tensors(classifier.network.layout, classifier.parameters),
                                         losses: losses, to: folder, configFile: configFile, weightsFile: weightsFile, lossFile: lossFile)
    }

    /// Reads classifier.json, with errors naming the file and field.
    public static func readConfig(from folder: String) throws -> Config {
        let file = path(folder, configFile)
        try CheckpointFolder.requireConfig(file, madeBy: "monge classifier")
        if ConvClassifierCheckpoint.holdsConvClassifier(folder) {
            throw MongeError.invalidFile(path: file, location: "format",
                                         message: "expected \"\(format)\", got \"\(ConvClassifierCheckpoint.format)\" (a conv classifier of images, not the MLP classifier of points)")
        }
        let config = try JSONFile.read(Config.self, from: file, what: "a classifier config")
        guard config.format == format else {
            throw MongeError.invalidFile(path: file, location: "format", message: "expected \"\(format)\", got \"\(config.format)\"")
        }
        try CheckpointFolder.validate(file) {
            try config.model.validate()
            try config.training.validate()
        }
        return config
    }

    /// Loads the classifier of `folder`; every tensor must be present, F32, finite, with its shape,
    /// and classifier.json must be the config the weights were trained with (their seal); `note`
    /// hears that a classifier written before seals could not be checked.
    public static func read(from folder: String,
                            note: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws -> TimeClassifier<Float> {
        let config = try readConfig(from: folder)
        let network = try DomainClassifier<Float>(config: config.model, timesteps: config.schedule.count)
        let file = path(folder, weightsFile)
        let (tensors, metadata) = try SafeTensors.read(file)
        try CheckpointFolder.checkFormat(metadata, format, file: file)
        if !(try ConfigSeal(config).verify(metadata: metadata, configFile: path(folder, configFile), weightsFile: file)) {
            note("note: \(file) predates config seals; \(configFile) is not verified against the weights")
        }
        let parameters = try network.layout.parameters(fromTensors: tensors, file: file)
        return try TimeClassifier(network: network, parameters: parameters, schedule: config.schedule)
    }

    static func path(_ folder: String, _ name: String) -> String { CheckpointFolder.path(folder, name) }
}
