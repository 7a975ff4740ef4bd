import Foundation
import MongeDiffusion
import MongeNN
import Testing
import TestSupport

/// Sampling reads only the weights: a checkpoint without optimiser moments or step (imported
/// weights) samples, a training checkpoint samples with its EMA, and an observer can stop a run.
@Suite("Weights-only checkpoints")
struct WeightsOnlyCheckpointTests {
    static let x: Matrix<Float> = RandomStream(seed: 3).normalMatrix(rows: 37, columns: 2)

    @Test func aWeightsOnlyCheckpointSamplesWithExactlyItsWeights() throws {
        let config = try TrainingCheckpointTests.config()
        let network = try EpsilonNetwork<Float>(config: config.model, timesteps: config.schedule.count)
        let parameters: [Float] = RandomStream(seed: 11).normalMatrix(rows: network.layout.count, columns: 1).storage.map { $0 * 0.3 }
        let folder = TestSupport.temporaryFolder()
        try TrainingCheckpoint.writeWeights(parameters, layout: network.layout, config: config, to: folder)

        let (tensors, metadata) = try SafeTensors.read(folder + "/model.safetensors")
        #expect(metadata["step"] == nil)
        #expect(!tensors.keys.contains { $0.hasPrefix("adam.") || $0.hasPrefix("ema.") })

        let loaded = try TrainingCheckpoint.denoiser(from: folder, note: { Issue.record("unexpected note: \($0)") })
        let direct = try NetworkDenoiser(network: network, parameters: parameters, schedule: config.schedule)
        for t in [0, 41, 99] {
            #expect(loaded.epsilon(Self.x, timestep: t).storage == direct.epsilon(Self.x, timestep: t).storage)
        }
        // Through a MODEL argument too, as `monge sample` reads it.
        let spec = try ModelSpec(parsing: folder)
        #expect(try spec.denoiser(as: Float.self).epsilon(Self.x, timestep: 5).storage == direct.epsilon(Self.x, timestep: 5).storage)

        // Resuming has no training state to continue, and says so.
        #expect {
            _ = try TrainingRun(folder: folder, data: TrainingCheckpointTests.data, config: config, resume: true)
        } throws: { error in
            "\(error)".contains("holds weights only")
        }
        // Wrong counts and non-finite weights are refused before anything is written.
        let other = TestSupport.temporaryFolder()
        #expect(throws: MongeError.self) {
            try TrainingCheckpoint.writeWeights(Array(parameters.dropLast()), layout: network.layout, config: config, to: other)
        }
        var bad = parameters
        bad[3] = .nan
        #expect(throws: MongeError.self) { try TrainingCheckpoint.writeWeights(bad, layout: network.layout, config: config, to: other) }
        #expect(!FileManager.default.fileExists(atPath: other + "/model.safetensors"))
    }

    @Test func aTrainingCheckpointWithoutMomentsOrStepStillSamplesItsEMA() throws {
        let folder = TestSupport.temporaryFolder()
        var run = try TrainingRun(folder: folder, data: TrainingCheckpointTests.data, config: TrainingCheckpointTests.config(), resume: false)
        let state = try run.run()
        let full = try TrainingCheckpoint.denoiser(from: folder)
        // The EMA, not the raw weights, is what sampling uses.
        let ema = try NetworkDenoiser(network: run.network, parameters: state.ema, schedule: run.config.schedule)
        let raw = try NetworkDenoiser(network: run.network, parameters: state.parameters, schedule: run.config.schedule)
        #expect(full.epsilon(Self.x, timestep: 50).storage == ema.epsilon(Self.x, timestep: 50).storage)
        #expect(full.epsilon(Self.x, timestep: 50).storage != raw.epsilon(Self.x, timestep: 50).storage)

        // Drop the moments, the loss rows and the step: sampling is unchanged.
        let file = folder + "/model.safetensors"
        var (tensors, metadata) = try SafeTensors.read(file)
        tensors = tensors.filter { !$0.key.hasPrefix("adam.") && $0.key != "loss_log" }
        metadata["step"] = nil
        metadata["loss_rows"] = nil
        try SafeTensors.write(tensors: tensors, metadata: metadata, to: file)
        let stripped = try TrainingCheckpoint.denoiser(from: folder)
        #expect(stripped.epsilon(Self.x, timestep: 50).storage == ema.epsilon(Self.x, timestep: 50).storage)
    }

    @Test func anObserverStopsARunAtACheckpointThatResumesBitwise() throws {
        let stopped = TestSupport.temporaryFolder(), straight = TestSupport.temporaryFolder()
        let config = try TrainingCheckpointTests.config()
        var run = try TrainingRun(folder: stopped, data: TrainingCheckpointTests.data, config: config, resume: false)
        let progress = TrainingProgress(totalSteps: config.training.steps, quiet: true)
        var heard: [Int] = []
        progress.observer = { record in heard.append(record.step); return record.step < 11 }
        let state = try run.run(progress: progress)
        #expect(progress.stopRequested)
        #expect(heard == Array(0...11))
        #expect(state.step == 12)
        #expect(try TrainingCheckpoint.read(from: stopped).state.step == 12)

        var rest = try TrainingRun(folder: stopped, data: TrainingCheckpointTests.data, config: config, resume: true)
        try rest.run()
        var full = try TrainingRun(folder: straight, data: TrainingCheckpointTests.data, config: config, resume: false)
        try full.run()
        #expect(TrainingCheckpointTests.snapshot(stopped) == TrainingCheckpointTests.snapshot(straight))
    }
}
