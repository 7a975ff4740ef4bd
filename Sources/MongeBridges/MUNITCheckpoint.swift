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
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw MongeError.writeFailed(path: folder, message: "cannot create the folder: \(error.localizedDescription)")
        }
        var tensors: [String: NDArray] = [:]
        for (prefix, layout, values) in [("generator", run.model.generatorLayout, run.generator),
                                         ("discriminator", run.model.discriminatorLayout, run.discriminator)] {
            for entry in layout.entries {
                tensors["\(prefix).\(entry.name)"] = try NDArray(shape: entry.shape, values: Array(values[entry.range]))
            }
        }
        try SafeTensors.write(tensors: tensors, metadata: ["format": format, "steps": String(run.records.count)], to: path(folder, weightsFile))
        var text = lossColumns + "\n"
        for r in run.records where r.step % max(logEvery, 1) == 0 || r.step == run.records.count - 1 {
            let g = r.generator
            let values = [r.discriminator, g.total] + g.adversarial + g.image + g.content + g.style + g.cycle
            text += "\(r.step)," + values.map { "\($0)" }.joined(separator: ",") + "\n"
        }
        try AtomicFile.write(text, to: path(folder, lossFile))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(config) + Data("\n".utf8), to: path(folder, configFile))
    }

    /// Reads config.json, with errors naming the file and field.
    public static func readConfig(from folder: String) throws -> Config {
        let file = path(folder, configFile)
        guard FileManager.default.fileExists(atPath: file) else {
            throw MongeError.invalidFile(path: file, location: nil, message: "missing: not a `monge munit train` output folder")
        }
        let config = try JSONFile.read(Config.self, from: file, what: "a MUNIT config")
        guard config.format == format else {
            throw MongeError.invalidFile(path: file, location: "format", message: "expected \"\(format)\" (a `monge munit train` folder), got \"\(config.format)\"")
        }
        do {
            try config.model.validate()
            try config.training.validate()
        } catch let error as MongeError {
            throw MongeError.invalidFile(path: file, location: nil, message: error.description)
        }
        return config
    }

    /// Loads the run of `folder`: every tensor must be present, F32, finite and of its layout's shape.
    public static func read(from folder: String) throws -> (config: Config, model: MUNIT<Float>, generator: [Float], discriminator: [Float]) {
        let config = try readConfig(from: folder)
        let model = try MUNIT<Float>(config: config.model)
        let file = path(folder, weightsFile)
        let (tensors, metadata) = try SafeTensors.read(file)
        guard metadata["format"] == format else {
            throw MongeError.invalidFile(path: file, location: "metadata",
                                         message: "format is \(metadata["format"].map { "\"\($0)\"" } ?? "missing"), expected \"\(format)\"")
        }
        let expected = model.generatorLayout.entries.count + model.discriminatorLayout.entries.count
        guard tensors.count == expected else {
            throw MongeError.invalidFile(path: file, location: nil,
                                         message: "has \(tensors.count) tensors, config.json describes \(expected): a checkpoint of another architecture")
        }
        func load(_ prefix: String, _ layout: ParameterLayout) throws -> [Float] {
            try layout.parameters(fromTensors: tensors, prefix: prefix + ".", file: file,
                                  hint: " (config.json describes another architecture)")
        }
        return (config, model, try load("generator", model.generatorLayout), try load("discriminator", model.discriminatorLayout))
    }

    static func path(_ folder: String, _ name: String) -> String {
        URL(fileURLWithPath: folder).appendingPathComponent(name).path
    }
}
