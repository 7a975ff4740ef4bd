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
        // Resuming a folder without a run starts at step 0 and says so (writing nothing yet).
        let resumed = try TrainingRun(folder: empty, data: Self.data, config: Self.config(), resume: true)
        #expect(resumed.step == 0 && resumed.notice?.contains("no training run to resume") == true, "\(resumed.notice ?? "no notice")")
        #expect(TestSupport.files(in: empty).isEmpty)
    }

    /// A config.json without model.safetensors (a run killed before its first checkpoint) is no
    /// run: both a new start and a resume train there, to the same bytes as a clean folder.
    @Test func aRunStoppedBeforeItsFirstCheckpointStartsAgain() throws {
        let clean = TestSupport.temporaryFolder()
        var reference = try TrainingRun(folder: clean, data: Self.data, config: Self.config(steps: 6), resume: false)
        try reference.run()
        for resume in [false, true] {
            let folder = TestSupport.temporaryFolder()
            try TrainingCheckpoint.writeConfig(Self.config(steps: 6), to: folder)
            var run = try TrainingRun(folder: folder, data: Self.data, config: Self.config(steps: 6), resume: resume)
            #expect(run.step == 0 && run.notice?.contains("no checkpoint") == true, "\(run.notice ?? "no notice")")
            try run.run()
            #expect(Self.snapshot(folder) == Self.snapshot(clean))
        }
    }

    /// The loss rows are committed inside model.safetensors: a kill between its rename and
    /// loss.csv's (simulated by putting back the previous loss.csv) loses no row on resume.
    @Test func lossRowsSurviveAKillBetweenTheRenames() throws {
        let straight = TestSupport.temporaryFolder(), stopped = TestSupport.temporaryFolder()
        var full = try TrainingRun(folder: straight, data: Self.data, config: Self.config(checkpointEvery: 10), resume: false)
        try full.run()
        var first = try TrainingRun(folder: stopped, data: Self.data, config: Self.config(checkpointEvery: 10), resume: false)
        try first.run(until: 10)
        let lossAt10 = try Data(contentsOf: URL(fileURLWithPath: stopped + "/loss.csv"))
        var second = try TrainingRun(folder: stopped, data: Self.data, config: Self.config(checkpointEvery: 10), resume: true)
        try second.run(until: 20)
        try lossAt10.write(to: URL(fileURLWithPath: stopped + "/loss.csv"))  // the kill: new weights, old loss.csv
        var third = try TrainingRun(folder: stopped, data: Self.data, config: Self.config(checkpointEvery: 10), resume: true)
        #expect(third.losses.map(\.step) == full.losses.map(\.step).filter { $0 < 20 })
        try third.run()
        #expect(Self.snapshot(stopped) == Self.snapshot(straight))
        // A missing loss.csv of a finished, reused model is rewritten from the checkpoint.
        try FileManager.default.removeItem(atPath: straight + "/loss.csv")
        let reused = try TrainingRun.trainedModel(folder: straight, data: Self.data, config: Self.config(checkpointEvery: 10),
                                                  progress: TrainingProgress(totalSteps: 30, quiet: true))
        #expect(reused.reused)
        #expect(Self.snapshot(straight) == Self.snapshot(stopped))
    }

    /// A reproduction killed mid-training resumes its model from the last checkpoint of the same
    /// config, to the bytes of an uninterrupted run; a checkpoint of another config is replaced.
    @Test func trainedModelResumesAnInterruptedRunOfTheSameConfig() throws {
        let straight = TestSupport.temporaryFolder(), killed = TestSupport.temporaryFolder()
        let config = try Self.config(checkpointEvery: 10)
        var full = try TrainingRun(folder: straight, data: Self.data, config: config, resume: false)
        try full.run()
        var first = try TrainingRun(folder: killed, data: Self.data, config: config, resume: false)
        try first.run(until: 10)
        var messages: [String] = []
        let resumed = try TrainingRun.trainedModel(folder: killed, data: Self.data, config: config,
                                                   progress: TrainingProgress(totalSteps: 30, quiet: true), log: { messages.append($0) })
        #expect(!resumed.reused)
        #expect(messages.count == 1 && messages[0].contains("resuming") && messages[0].contains("step 10"), "\(messages)")
        #expect(Self.snapshot(killed) == Self.snapshot(straight))
        // An unfinished checkpoint of another config (another seed) is not resumed: a fresh run.
        let other = try Self.config(seed: 8, checkpointEvery: 10)
        let elsewhere = TestSupport.temporaryFolder(), fresh = TestSupport.temporaryFolder()
        var partial = try TrainingRun(folder: elsewhere, data: Self.data, config: other, resume: false)
        try partial.run(until: 10)
        messages = []
        _ = try TrainingRun.trainedModel(folder: elsewhere, data: Self.data, config: config,
                                         progress: TrainingProgress(totalSteps: 30, quiet: true), log: { messages.append($0) })
        #expect(messages.isEmpty)
        _ = try TrainingRun.trainedModel(folder: fresh, data: Self.data, config: config, progress: TrainingProgress(totalSteps: 30, quiet: true))
        #expect(Self.snapshot(elsewhere) == Self.snapshot(fresh) && Self.snapshot(fresh) == Self.snapshot(straight))
    }

    /// config.json must be the config the weights were trained with: an edited T, β range or
    /// activation is refused, naming the file and the field; a checkpoint without a seal (written
    /// before seals) still loads, with a note.
    @Test func anEditedConfigIsRefusedAndAnOldCheckpointLoadsWithANote() throws {
        let folder = TestSupport.temporaryFolder()
        var run = try TrainingRun(folder: folder, data: Self.data, config: Self.config(steps: 5), resume: false)
        try run.run()
        let original = try TrainingCheckpoint.readConfig(from: folder)
        var fewerSteps = original
        fewerSteps.schedule = try .linear(count: 50)
        var wideBetas = original
        wideBetas.schedule = try NoiseSchedule(kind: .linear(start: 1e-4, end: 0.12), count: 100)
        var relu = original
        relu.model.activation = .relu
        for (edited, field) in [(fewerSteps, "schedule.count"), (wideBetas, "schedule.kind"), (relu, "model.activation")] {
            try TrainingCheckpoint.writeConfig(edited, to: folder)
            #expect { _ = try TrainingCheckpoint.denoiser(from: folder) } throws: { error in
                let text = "\(error)"
                return text.contains("config.json") && text.contains("does not match the weights") && text.contains(field)
            }
        }
        // The number of steps and the intervals may change (a resume rewrites them).
        var longer = original
        longer.training.steps = 500
        longer.training.logEvery = 7
        try TrainingCheckpoint.writeConfig(longer, to: folder)
        var notes: [String] = []
        _ = try TrainingCheckpoint.denoiser(from: folder) { notes.append($0) }
        #expect(notes.isEmpty)
        // Without a seal: loads, with a note.
        let weights = folder + "/model.safetensors"
        var (tensors, metadata) = try SafeTensors.read(weights)
        metadata[ConfigSeal.hashKey] = nil
        metadata[ConfigSeal.jsonKey] = nil
        metadata["loss_rows"] = nil
        tensors["loss_log"] = nil
        try SafeTensors.write(tensors: tensors, metadata: metadata, to: weights)
        try TrainingCheckpoint.writeConfig(relu, to: folder)
        _ = try TrainingCheckpoint.denoiser(from: folder) { notes.append($0) }
        #expect(notes.count == 1 && notes[0].contains("not verified"), "\(notes)")
    }
}
