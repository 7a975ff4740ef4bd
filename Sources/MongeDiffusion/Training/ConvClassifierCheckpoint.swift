import Foundation
import MongeNN

/// A convolutional classifier's folder: `classifier.json` (network, schedule, training, data,
/// class names, measured accuracy), `classifier.safetensors` (F32 tensors named as in the
/// layout, e.g. `block.0.conv.weight` of shape [3, 3, inputs, outputs]) and `loss.csv`. The files
/// are produced first and renamed into place together (`OutputSet`), classifier.json last; the
/// weights' metadata holds the `ConfigSeal` of the config, checked at load.
///
/// The file names are those of the 2-D `ClassifierCheckpoint`; the `format` field tells them apart.
public enum ConvClassifierCheckpoint {
    public static let configFile = ClassifierCheckpoint.configFile
    public static let weightsFile = ClassifierCheckpoint.weightsFile
    public static let lossFile = ClassifierCheckpoint.lossFile
    public static let format = "monge-conv-classifier-1"

    /// The content of classifier.json.
    public struct Config: Codable, Equatable, Sendable {
        public var format: String
        public var model: ConvClassifierConfig
        /// The noise schedule of a time-dependent classifier's inputs (nil: clean images).
        public var schedule: NoiseSchedule?
        public var training: ConvClassifierTrainingConfig
        /// The training data: one entry per class source (e.g. domain A then B), or one for a labelled set.
        public var data: [TrainingCheckpoint.DataDescription]
        /// A name per class (e.g. Fashion-MNIST's, or the two domains).
        public var classNames: [String]
        /// Accuracy on held-out images measured after training, and on which (nil: not measured).
        public var heldOutAccuracy: Double?
        public var heldOutData: String?

        public init(model: ConvClassifierConfig, schedule: NoiseSchedule?, training: ConvClassifierTrainingConfig,
                    data: [TrainingCheckpoint.DataDescription], classNames: [String], heldOutAccuracy: Double? = nil,
                    heldOutData: String? = nil) {
            format = ConvClassifierCheckpoint.format
            self.model = model
            self.schedule = schedule
            self.training = training
            self.data = data
            self.classNames = classNames
            self.heldOutAccuracy = heldOutAccuracy
            self.heldOutData = heldOutData
        }

        /// Whether a classifier trained under `self` is the one `other` asks for (same network,
        /// schedule, training and data; names and measured accuracy aside).
        public func describesSameTraining(as other: Config) -> Bool {
            model == other.model && schedule == other.schedule && training == other.training
                && data.map(\.fingerprint) == other.data.map(\.fingerprint) && data.map(\.rows) == other.data.map(\.rows)
        }
    }

    /// Writes the three files of a trained classifier into `folder` (created if missing).
    public static func write(_ classifier: TrainedConvClassifier, config: Config, losses: [StepRecord], to folder: String) throws {
        guard config.model == classifier.config, config.schedule == classifier.schedule else {
            throw MongeError.invalidArgument(name: "config", message: "describes another network or schedule than the classifier")
        }
        guard config.classNames.count == config.model.classes else {
            throw MongeError.invalidArgument(name: "class names", message: "\(config.classNames.count) names for \(config.model.classes) classes")
        }
        try CheckpointFolder.writeSealed(config, format: format, tensors: try CheckpointFolder.tensors(classifier.network.layout, classifier.parameters),
                                         losses: losses, to: folder, configFile: configFile, weightsFile: weightsFile, lossFile: lossFile)
    }

    /// Whether `folder` holds a conv classifier (a classifier.json of this format).
    public static func holdsConvClassifier(_ folder: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path(folder, configFile)),
              let value = try? JSONDecoder().decode(FormatProbe.self, from: data) else { return false }
        return value.format == format
    }

    struct FormatProbe: Decodable { let format: String }

    /// Reads classifier.json, with errors naming the file and field (and saying when the folder
    /// holds the 2-D MLP classifier instead).
    public static func readConfig(from folder: String) throws -> Config {
        let file = path(folder, configFile)
        try CheckpointFolder.requireConfig(file, madeBy: "monge classifier")
        if let data = FileManager.default.contents(atPath: file), let probe = try? JSONDecoder().decode(FormatProbe.self, from: data),
           probe.format != format {
            let what = probe.format == ClassifierCheckpoint.format ? " (the MLP domain classifier of 2-D points, not a conv classifier of images)" : ""
            throw MongeError.invalidFile(path: file, location: "format", message: "expected \"\(format)\", got \"\(probe.format)\"\(what)")
        }
        let config = try JSONFile.read(Config.self, from: file, what: "a conv classifier config")
        try CheckpointFolder.validate(file) {
            try config.model.validate()
            try config.training.validate()
        }
        guard config.model.isTimeDependent == (config.schedule != nil) else {
            throw MongeError.invalidFile(path: file, location: "schedule", message: config.model.isTimeDependent
                ? "missing: a time-dependent classifier needs its noise schedule" : "given for a classifier of clean images")
        }
        return config
    }

    /// Loads the classifier of `folder` and its config; every tensor must be present, F32,
    /// finite, with its shape, and classifier.json must be the config the weights were trained with.
    public static func read(from folder: String) throws -> (classifier: TrainedConvClassifier, config: Config) {
        let config = try readConfig(from: folder)
        let network = try ConvClassifier<Float>(config: config.model, timesteps: config.schedule?.count ?? 0)
        let file = path(folder, weightsFile)
        let (tensors, metadata) = try SafeTensors.read(file)
        try CheckpointFolder.checkFormat(metadata, format, file: file)
        guard try ConfigSeal(config).verify(metadata: metadata, configFile: path(folder, configFile), weightsFile: file) else {
            throw MongeError.invalidFile(path: file, location: "metadata", message: "has no config seal")
        }
        let parameters = try network.layout.parameters(fromTensors: tensors, file: file,
                                                       hint: " (\(configFile) describes another architecture than these weights)")
        return (try TrainedConvClassifier(network: network, parameters: parameters, schedule: config.schedule), config)
    }

    static func path(_ folder: String, _ name: String) -> String { CheckpointFolder.path(folder, name) }
}
