import Foundation
import MongeDiffusion
import MongeNN

/// A MUNIT run's folder: `config.json` (networks, loss weights, training and both domains' data),
/// `model.safetensors` (F32 tensors `generator.<name>` and `discriminator.<name>`, named as in the
/// layouts, e.g. `generator.a.decoder.layer.0.weight` of shape [inputs, outputs]) and `loss.csv`
/// (one row per logged step). Every file is written atomically, the config last.
public enum MUNITCheckpoint {
    public static let configFile = "config.json"
    public static let weightsFile = "model.safetensors"
    public static let lossFile = "loss.csv"
    static let format = "monge-munit-1"

    /// The content of config.json.
    public struct Config: Codable, Equatable, Sendable {
        public var format: String
        public var model: MUNITConfig
        public var training: MUNITTrainingConfig
        public var domainA: TrainingCheckpoint.DataDescription
        public var domainB: TrainingCheckpoint.DataDescription

        public init(model: MUNITConfig, training: MUNITTrainingConfig, domainA: TrainingCheckpoint.DataDescription,
                    domainB: TrainingCheckpoint.DataDescription) {
            format = MUNITCheckpoint.format
            self.model = model
            self.training = training
            self.domainA = domainA
            self.domainB = domainB
        }
    }

    /// The loss.csv columns.
    public static let lossColumns = "step,discriminator,generator,adversarial_a,adversarial_b,image_a,image_b,"
        + "content_a,content_b,style_a,style_b,cycle_a,cycle_b"

    /// Writes the three files of a trained run into `folder` (created if missing); loss.csv gets
    /// every `logEvery`-th step and the last.
    public static func write(_ run: MUNITRun<Float>, config: Config, logEvery: Int = 10, to folder: String) throws {
        guard config.model == run.model.config else {
            throw MongeError.invalidArgument(name: "config", message: "describes another network than the run's")
        }
        try writeFiles(config, format: format, generator: (run.model.generatorLayout, run.generator),
                       discriminator: (run.model.discriminatorLayout, run.discriminator), records: run.records, logEvery: logEvery, to: folder)
    }

    /// Writes a MUNIT run's three files, the 2-D and the image MUNIT's alike: model.safetensors
    /// (`generator.<name>`, `discriminator.<name>`, with `format` and the step count), loss.csv
    /// (every `logEvery`-th step and the last) and config.json last, each atomically.
    static func writeFiles(_ config: some Encodable, format: String, generator: (layout: ParameterLayout, values: [Float]),
                           discriminator: (layout: ParameterLayout, values: [Float]), records: [MUNITStepRecord], logEvery: Int,
                           to folder: String) throws {
        try CheckpointFolder.create(folder)
        let tensors = try CheckpointFolder.tensors(generator.layout, generator.values, prefix: "generator.")
            .merging(try CheckpointFolder.tensors(discriminator.layout, discriminator.values, prefix: "discriminator.")) { first, _ in first }
        try SafeTensors.write(tensors: tensors, metadata: ["format": format, "steps": String(records.count)], to: path(folder, weightsFile))
        var text = lossColumns + "\n"
        for r in records where r.step % max(logEvery, 1) == 0 || r.step == records.count - 1 {
            let g = r.generator
            let values = [r.discriminator, g.total] + g.adversarial + g.image + g.content + g.style + g.cycle
            text += "\(r.step)," + values.map { "\($0)" }.joined(separator: ",") + "\n"
        }
        try AtomicFile.write(text, to: path(folder, lossFile))
        try AtomicFile.write(CheckpointFolder.configText(config), to: path(folder, configFile))
    }

    /// The generator's and discriminator's parameters in `folder`'s model.safetensors: its format
    /// must be `format`, and every tensor present, F32, finite and of its layout's shape.
    static func readParameters(from folder: String, format: String, generator: ParameterLayout,
                               discriminator: ParameterLayout) throws -> (generator: [Float], discriminator: [Float]) {
        let file = path(folder, weightsFile)
        let (tensors, metadata) = try SafeTensors.read(file)
        try CheckpointFolder.checkFormat(metadata, format, file: file)
        let expected = generator.entries.count + discriminator.entries.count
        guard tensors.count == expected else {
            throw MongeError.invalidFile(path: file, location: nil,
                                         message: "has \(tensors.count) tensors, config.json describes \(expected): a checkpoint of another architecture")
        }
        func load(_ prefix: String, _ layout: ParameterLayout) throws -> [Float] {
            try layout.parameters(fromTensors: tensors, prefix: prefix + ".", file: file, hint: " (config.json describes another architecture)")
        }
        return (try load("generator", generator), try load("discriminator", discriminator))
    }

    /// Reads config.json, with errors naming the file and field.
    public static func readConfig(from folder: String) throws -> Config {
        let file = path(folder, configFile)
        try CheckpointFolder.requireConfig(file, madeBy: "monge munit train")
        let config = try JSONFile.read(Config.self, from: file, what: "a MUNIT config")
        guard config.format == format else {
            throw MongeError.invalidFile(path: file, location: "format", message: "expected \"\(format)\" (a `monge munit train` folder), got \"\(config.format)\"")
        }
        try CheckpointFolder.validate(file) {
            try config.model.validate()
            try config.training.validate()
        }
        return config
    }

    /// Loads the run of `folder`: every tensor must be present, F32, finite and of its layout's shape.
    public static func read(from folder: String) throws -> (config: Config, model: MUNIT<Float>, generator: [Float], discriminator: [Float]) {
        let config = try readConfig(from: folder)
        let model = try MUNIT<Float>(config: config.model)
        let parameters = try readParameters(from: folder, format: format, generator: model.generatorLayout, discriminator: model.discriminatorLayout)
        return (config, model, parameters.generator, parameters.discriminator)
    }

    static func path(_ folder: String, _ name: String) -> String { CheckpointFolder.path(folder, name) }
}
