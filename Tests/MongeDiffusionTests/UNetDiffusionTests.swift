import Foundation
import MongeDiffusion
import MongeNN
import Testing
import TestSupport

/// The conv U-Net through the library's one trainer, checkpoint format and sampler core.
@Suite("U-Net training and sampling")
struct UNetDiffusionTests {
    static let image = ImageShape(channels: 1, height: 8, width: 8)
    /// Four 8×8 "images" in [−1, 1]: bars and a checkerboard.
    static let data: Matrix<Float> = {
        var m = Matrix<Float>(rows: 4, columns: 64)
        for y in 0..<8 {
            for x in 0..<8 {
                m[0, y * 8 + x] = x < 4 ? 1 : -1
                m[1, y * 8 + x] = y < 4 ? 1 : -1
                m[2, y * 8 + x] = (x + y) % 2 == 0 ? 1 : -1
                m[3, y * 8 + x] = abs(x - y) <= 1 ? 1 : -1
            }
        }
        return m
    }()

    static func config(steps: Int, seed: UInt64 = 3) throws -> TrainingCheckpoint.Config {
        let training = TrainingConfig(steps: steps, batchSize: 16, seed: seed, optimizer: AdamConfig(learningRate: 2e-3),
                                      ema: EMAConfig(decay: 0.9), chunks: 2, logEvery: 1)
        return TrainingCheckpoint.Config(model: .anchorUNet(width: 8, image: image), schedule: try .linear(count: 100),
                                         training: training, data: .init(source: "bars", data: data))
    }

    @Test("The trainer drives a U-Net's loss down; the checkpoint holds the image shape and reloads to the same ε̂")
    func trainCheckpointReload() throws {
        let folder = TestSupport.temporaryFolder()
        var run = try TrainingRun(folder: folder, data: Self.data, config: Self.config(steps: 120), resume: false)
        let state = try run.run()
        let losses = try TrainingCheckpoint.readLosses(from: folder, before: 1000).map(\.loss)
        #expect(losses.count == 120)
        let first = losses.prefix(10).reduce(0, +) / 10, last = losses.suffix(10).reduce(0, +) / 10
        #expect(last < 0.5 * first, "loss \(first) → \(last)")

        let config = try TrainingCheckpoint.readConfig(from: folder)
        #expect(config.model.architecture == .unet && config.model.image == Self.image && config.model.channelMultipliers == [1, 2, 2])
        let reloaded = try TrainingCheckpoint.denoiser(from: folder)
        #expect(reloaded.imageShape == Self.image)
        let network = try EpsilonNetwork<Float>(config: config.model, timesteps: 100)
        let direct = try NetworkDenoiser(network: network, parameters: state.ema, schedule: config.schedule)
        let x: Matrix<Float> = RandomStream(seed: 5).normalMatrix(rows: 3, columns: 64)
        #expect(reloaded.epsilon(x, timestep: 50).storage == direct.epsilon(x, timestep: 50).storage)

        // A config edited to another shape is refused: the seal names the changed fields.
        var other = try Self.config(steps: 1)
        other.model = .anchorUNet(width: 16, image: Self.image)
        try TrainingCheckpoint.writeConfig(other, to: folder)
        do { _ = try TrainingCheckpoint.denoiser(from: folder); Issue.record("accepted mismatched shapes") }
        catch let error as MongeError { #expect(error.description.contains("model.width"), "\(error)") }
    }

    @Test("DDPM, DDIM(η), inversion, Heun and SDEdit run on images through the one Sampler; thread-free results")
    func samplerMethods() throws {
        let network = try EpsilonNetwork<Float>(config: .anchorUNet(width: 8, image: Self.image), timesteps: 100)
        let model = try NetworkDenoiser(network: network, parameters: network.initialParameters(seed: 1), schedule: try .linear(count: 100))
        let timesteps = try Timesteps.respaced(count: 100, steps: 5, spacing: .linspace)
        let noise = RandomStream(seed: 9)
        for method in [SamplerMethod.ddpm, .ddim(eta: 0), .ddim(eta: 0.5), .heun] {
            let out = try Sampler.sample(model, count: 5, timesteps: timesteps, method: method, noise: noise)
            #expect(out.x.rows == 5 && out.x.columns == 64)
            // Blocks of 2 images instead of one block of 5: the same bits (noise is addressed by row).
            let blocked = try Sampler.sample(model, count: 5, timesteps: timesteps, method: method, noise: noise,
                                             options: SamplerOptions(blockSize: 2))
            #expect(blocked.x.storage == out.x.storage, "\(method)")
        }
        let latent = try Sampler.encode(model, Self.data, timesteps: timesteps)
        let back = try Sampler.decode(model, latent.x, timesteps: timesteps)
        #expect(back.x.rows == 4)
        let edited = try Sampler.run(model, Self.data, path: Timesteps.decodingPath(Array(timesteps.suffix(3))), method: .ddim(eta: 1),
                                     noise: noise)
        #expect(edited.x.rows == 4)
    }

    @Test("An image model given 2-D points, or a 2-D model given images, is an error that says so")
    func shapeErrors() throws {
        let network = try EpsilonNetwork<Float>(config: .anchorUNet(width: 8, image: Self.image), timesteps: 100)
        let model = try NetworkDenoiser(network: network, parameters: network.initialParameters(seed: 1), schedule: try .linear(count: 100))
        let points: Matrix<Float> = RandomStream(seed: 1).normalMatrix(rows: 3, columns: 2)
        do { _ = try Sampler.encode(model, points, timesteps: [10, 50]); Issue.record("accepted points") }
        catch let error as MongeError { #expect(error.description.contains("1×8×8 images") && error.description.contains("2 columns")) }
        let mlp = try EpsilonNetwork<Float>(config: .anchorMLP(width: 16), timesteps: 100)
        let pointModel = try NetworkDenoiser(network: mlp, parameters: mlp.initialParameters(seed: 1), schedule: try .linear(count: 100))
        do { _ = try Sampler.encode(pointModel, Self.data, timesteps: [10, 50]); Issue.record("accepted images") }
        catch let error as MongeError { #expect(error.description.contains("points of dimension 2") && error.description.contains("64 columns")) }
        // The trainer refuses data of the wrong width.
        #expect(throws: MongeError.self) {
            _ = try DiffusionTrainer(network: network, schedule: try .linear(count: 100), data: points,
                                     config: TrainingConfig(steps: 1, batchSize: 4))
        }
    }
}
