import Foundation
import MongeDiffusion
import MongeNN
import Testing
import TestSupport

@Suite("Training checkpoints")
struct TrainingCheckpointTests {
    static let data: Matrix<Float> = RandomStream(seed: 1).normalMatrix(rows: 400, columns: 2)

    static func config(steps: Int = 30, width: Int = 16, seed: UInt64 = 7, checkpointEvery: Int = 0,
                       data: Matrix<Float> = data) throws -> TrainingCheckpoint.Config {
        let model = ModelConfig(architecture: .residual, dimension: data.columns, width: width, depth: 2, timeEmbedding: 8, groups: 4,
                                dropout: 0.1)
        let training = TrainingConfig(steps: steps, batchSize: 64, seed: seed, optimizer: AdamConfig(learningRate: 1e-3, warmupSteps: 5, clipNorm: 1),
                                      ema: EMAConfig(decay: 0.99), chunks: 2, logEvery: 3, checkpointEvery: checkpointEvery)
        return TrainingCheckpoint.Config(model: model, schedule: try .linear(count: 100), training: training,
                                         data: .init(source: "test", data: data))
    }

    /// Every file of a folder, by name.
    static func snapshot(_ folder: String) -> [String: Data] {
        var files: [String: Data] = [:]
        for name in TestSupport.files(in: folder) {
            files[name] = FileManager.default.contents(atPath: folder + "/" + name)
        }
        return files
    }

    @Test func theSameSeedGivesByteIdenticalFiles() throws {
        let a = TestSupport.temporaryFolder(), b = TestSupport.temporaryFolder()
        var runA = try TrainingRun(folder: a, data: Self.data, config: Self.config(), resume: false)
        try runA.run()
        var runB = try TrainingRun(folder: b, data: Self.data, config: Self.config(), resume: false)
        try runB.run()
        let filesA = Self.snapshot(a)
        #expect(filesA.keys.sorted() == ["config.json", "loss.csv", "model.safetensors"])
        #expect(filesA == Self.snapshot(b))
        // Another seed gives other weights.
        let c = TestSupport.temporaryFolder()
        var runC = try TrainingRun(folder: c, data: Self.data, config: Self.config(seed: 8), resume: false)
        try runC.run()
        #expect(Self.snapshot(c)["model.safetensors"] != filesA["model.safetensors"])
    }

    @Test func resumingEqualsAnUninterruptedRun() throws {
        let straight = TestSupport.temporaryFolder(), stopped = TestSupport.temporaryFolder()
        var full = try TrainingRun(folder: straight, data: Self.data, config: Self.config(checkpointEvery: 10), resume: false)
        let finalState = try full.run()
        var first = try TrainingRun(folder: stopped, data: Self.data, config: Self.config(checkpointEvery: 10), resume: false)
        try first.run(until: 17)
        #expect(first.step == 17)
        var second = try TrainingRun(folder: stopped, data: Self.data, config: Self.config(checkpointEvery: 10), resume: true)
        #expect(second.step == 17)
        try second.run()
        #expect(Self.snapshot(stopped) == Self.snapshot(straight))
        // A run extended past its planned steps continues from the checkpoint.
        var longer = try TrainingRun(folder: stopped, data: Self.data, config: Self.config(steps: 35, checkpointEvery: 10), resume: true)
        #expect(longer.step == 30)
        try longer.run()
        #expect(try TrainingCheckpoint.readState(from: stopped, layout: full.network.layout).step == 35)
        // The sampling weights are the EMA.
        let denoiser = try TrainingCheckpoint.denoiser(from: straight)
        #expect(denoiser.parameters == finalState.ema)
        #expect(denoiser.parameters != finalState.parameters)
    }

    @Test func damagedCheckpointsAreRejectedAndLeftAlone() throws {
        let folder = TestSupport.temporaryFolder()
        var run = try TrainingRun(folder: folder, data: Self.data, config: Self.config(steps: 5), resume: false)
        try run.run()
        let weights = folder + "/model.safetensors"
        var (tensors, metadata) = try SafeTensors.read(weights)

        // A missing tensor.
        let ema = tensors.removeValue(forKey: "ema.output.bias")!
        try SafeTensors.write(tensors: tensors, metadata: metadata, to: weights)
        var before = Self.snapshot(folder)
        #expect(throws: MongeError.invalidFile(path: weights, location: "tensor ema.output.bias", message: "missing")) {
            _ = try TrainingRun(folder: folder, data: Self.data, config: Self.config(steps: 10), resume: true)
        }
        #expect(Self.snapshot(folder) == before)

        // A tensor of the wrong shape.
        tensors["ema.output.bias"] = ema
        tensors["blocks.1.linear1.weight"] = try NDArray(shape: [16, 15], values: [Float](repeating: 0, count: 240))
        try SafeTensors.write(tensors: tensors, metadata: metadata, to: weights)
        before = Self.snapshot(folder)
        #expect(throws: MongeError.invalidFile(path: weights, location: "tensor blocks.1.linear1.weight", message: "shape [16, 15], expected [16, 16]")) {
            _ = try TrainingRun(folder: folder, data: Self.data, config: Self.config(steps: 10), resume: true)
        }
        #expect(Self.snapshot(folder) == before)

        // No step in the metadata.
        tensors["blocks.1.linear1.weight"] = try NDArray(shape: [16, 16], values: [Float](repeating: 0, count: 256))
        metadata["step"] = nil
        try SafeTensors.write(tensors: tensors, metadata: metadata, to: weights)
        #expect(throws: MongeError.invalidFile(path: weights, location: "metadata", message: "no valid \"step\"")) {
            _ = try TrainingRun(folder: folder, data: Self.data, config: Self.config(steps: 10), resume: true)
        }

        // A config.json that is not one.
        try "{\"format\": \"monge-epsilon-1\"}".write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
        #expect(throws: MongeError.self) {
            _ = try TrainingRun(folder: folder, data: Self.data, config: Self.config(steps: 10), resume: true)
        }
        do {
            _ = try TrainingCheckpoint.readConfig(from: folder)
        } catch let error as MongeError {
            #expect(error.description.contains("config.json"))
        }
    }

    @Test func mismatchedRunsAndBadDataChangeNothing() throws {
        let folder = TestSupport.temporaryFolder()
        var run = try TrainingRun(folder: folder, data: Self.data, config: Self.config(steps: 5), resume: false)
        try run.run()
        let before = Self.snapshot(folder)
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "no error" } catch { return "\(error)" }
        }
        // Another model.
        let model = message { _ = try TrainingRun(folder: folder, data: Self.data, config: Self.config(steps: 10, width: 12), resume: true) }
        #expect(model.contains("cannot resume") && model.contains("the model differs"), "\(model)")
        // Other data.
        let other: Matrix<Float> = RandomStream(seed: 2).normalMatrix(rows: 400, columns: 2)
        let data = message { _ = try TrainingRun(folder: folder, data: other, config: Self.config(steps: 10, data: other), resume: true) }
        #expect(data.contains("the data differ"), "\(data)")
        // Another seed.
        let seed = message { _ = try TrainingRun(folder: folder, data: Self.data, config: Self.config(steps: 10, seed: 9), resume: true) }
        #expect(seed.contains("training settings differ"), "\(seed)")
        // Starting afresh over an existing run.
        let fresh = message { _ = try TrainingRun(folder: folder, data: Self.data, config: Self.config(), resume: false) }
        #expect(fresh.contains("already holds a training run"), "\(fresh)")
        #expect(Self.snapshot(folder) == before)

        // Data of the wrong dimension, and NaN: nothing is written.
        let empty = TestSupport.temporaryFolder()
        let threeD: Matrix<Float> = RandomStream(seed: 3).normalMatrix(rows: 50, columns: 3)
        var wrong = try Self.config()
        wrong.data = .init(source: "three.npy", data: threeD)
        let dimension = message { _ = try TrainingRun(folder: empty, data: threeD, config: wrong, resume: false) }
        #expect(dimension.contains("3 columns") && dimension.contains("dimension is 2"), "\(dimension)")
        var nan = Self.data
        nan[123, 1] = .nan
        let nanMessage = message { _ = try TrainingRun(folder: empty, data: nan, config: Self.config(data: nan), resume: false) }
        #expect(nanMessage.contains("element (123, 1) is nan"), "\(nanMessage)")
        #expect(TestSupport.files(in: empty).isEmpty)
        // Resuming a folder without a run says so.
        let missing = message { _ = try TrainingRun(folder: empty, data: Self.data, config: Self.config(), resume: true) }
        #expect(missing.contains("config.json") && missing.contains("no such file"), "\(missing)")
    }
}
