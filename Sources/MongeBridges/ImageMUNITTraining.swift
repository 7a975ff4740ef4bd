import Foundation
import MongeDiffusion
import MongeNN

/// The image MUNIT's training loop: MUNIT's alternation (one discriminator update, then one
/// generator update on the same real batches, each with its own prior styles), Adam with the
/// paper's lr 1e-4 and betas (0.5, 0.999) on both sides (`MUNITTrainingConfig`, shared with the
/// 2-D MUNIT). Every random number is addressed by (seed, step, purpose, row) and the batch
/// gradients are summed in image order, so the result depends on the seed only.
public enum ImageMUNITTraining {
    /// A trained image MUNIT: the networks, both parameter arrays and the step records.
    public struct Run: Sendable {
        public let model: ImageMUNIT<Float>
        public let generator: [Float]
        public let discriminator: [Float]
        public let records: [MUNITStepRecord]
    }

    /// Checks one domain's training images against the model's image shape.
    static func check(_ data: Matrix<Float>, _ name: String, config: ImageMUNITConfig) throws {
        guard data.rows >= 1 else { throw MongeError.invalidArgument(name: name, message: "has no images") }
        guard data.columns == config.image.dimension else {
            throw MongeError.shapeMismatch("\(name) has \(data.columns) values per row; the image MUNIT takes \(config.image) images = \(config.image.dimension) values (2-D points train `monge munit train` without --arch image)")
        }
        try data.checkFinite(name)
    }

    /// Trains from the parameters initialised by `training.seed`.
    ///
    /// - Throws: `MongeError` when a domain is empty, of the wrong shape or not finite, a setting
    ///   is out of range, or a loss diverges.
    public static func train(a: Matrix<Float>, b: Matrix<Float>, model config: ImageMUNITConfig, training: MUNITTrainingConfig,
                             progress: TrainingProgress? = nil) throws -> Run {
        try training.validate()
        let model = try ImageMUNIT<Float>(config: config)
        try check(a, "domain A", config: config)
        try check(b, "domain B", config: config)
        let trained = try MUNITTraining.loop(model, a: a, b: b, styleDimension: config.style, training: training, progress: progress,
                                             name: "the image MUNIT's")
        return Run(model: model, generator: trained.generator, discriminator: trained.discriminator, records: trained.records)
    }
}

/// An image MUNIT run's folder, as `MUNITCheckpoint`'s: `config.json` (format
/// "monge-munit-image-1": the architecture with the image shape, loss weights, training, both
/// domains' data), `model.safetensors` (F32 `generator.<name>` / `discriminator.<name>` tensors
/// named as the layouts, e.g. `generator.a.content.stem.conv.weight` [3, 3, C, channels]) and
/// `loss.csv`. Every file is written atomically, the config last.
public enum ImageMUNITCheckpoint {
    static let format = "monge-munit-image-1"

    /// The content of config.json.
    public struct Config: Codable, Equatable, Sendable {
        public var format: String
        public var model: ImageMUNITConfig
        public var training: MUNITTrainingConfig
        public var domainA: TrainingCheckpoint.DataDescription
        public var domainB: TrainingCheckpoint.DataDescription

        public init(model: ImageMUNITConfig, training: MUNITTrainingConfig, domainA: TrainingCheckpoint.DataDescription,
                    domainB: TrainingCheckpoint.DataDescription) {
            format = ImageMUNITCheckpoint.format
            self.model = model
            self.training = training
            self.domainA = domainA
            self.domainB = domainB
        }
    }

    /// Whether `folder`'s config.json is an image MUNIT's (false for a 2-D MUNIT's); throws when
    /// it is missing or holds neither.
    public static func isImageModel(_ folder: String) throws -> Bool {
        let file = MUNITCheckpoint.path(folder, MUNITCheckpoint.configFile)
        try CheckpointFolder.requireConfig(file, madeBy: "monge munit train")
        struct Header: Decodable { var format: String }
        let header = try JSONFile.read(Header.self, from: file, what: "a MUNIT config")
        switch header.format {
        case format: return true
        case MUNITCheckpoint.format: return false
        default:
            throw MongeError.invalidFile(path: file, location: "format",
                                         message: "expected \"\(MUNITCheckpoint.format)\" or \"\(format)\" (a `monge munit train` folder), got \"\(header.format)\"")
        }
    }

    /// Writes the three files of a trained run into `folder` (created if missing).
    public static func write(_ run: ImageMUNITTraining.Run, config: Config, logEvery: Int = 10, to folder: String) throws {
        guard config.model == run.model.config else {
            throw MongeError.invalidArgument(name: "config", message: "describes another network than the run's")
        }
        try MUNITCheckpoint.writeFiles(config, format: format, generator: (run.model.generatorLayout, run.generator),
                                       discriminator: (run.model.discriminatorLayout, run.discriminator), records: run.records,
                                       logEvery: logEvery, to: folder)
    }

    /// Reads config.json, with errors naming the file and field (a 2-D MUNIT's folder is refused).
    public static func readConfig(from folder: String) throws -> Config {
        let file = MUNITCheckpoint.path(folder, MUNITCheckpoint.configFile)
        guard try isImageModel(folder) else {
            throw MongeError.invalidFile(path: file, location: "format", message: "holds a 2-D MUNIT (\"\(MUNITCheckpoint.format)\"), this needs an image MUNIT (\"\(format)\")")
        }
        let config = try JSONFile.read(Config.self, from: file, what: "an image MUNIT config")
        try CheckpointFolder.validate(file) {
            _ = try ImageMUNIT<Float>(config: config.model)
            try config.training.validate()
        }
        return config
    }

    /// Loads the run of `folder`: every tensor must be present, F32, finite and of its layout's shape.
    public static func read(from folder: String) throws -> (config: Config, model: ImageMUNIT<Float>, generator: [Float], discriminator: [Float]) {
        let config = try readConfig(from: folder)
        let model = try ImageMUNIT<Float>(config: config.model)
        let parameters = try MUNITCheckpoint.readParameters(from: folder, format: format, generator: model.generatorLayout,
                                                            discriminator: model.discriminatorLayout)
        return (config, model, parameters.generator, parameters.discriminator)
    }
}
