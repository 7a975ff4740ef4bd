import Foundation
import MongeExperiments
import MongeData
import MongeNN
import Testing

/// Issue 4's end-to-end check on moons: a small ε-MLP trained on two moons samples points whose
/// exact W2 to a fresh sample of the data (optimal matching, certificate checked) is small, next to
/// the sampling floor (W2 between two fresh samples of the same size) and to N(0, I)'s W2.
@Suite("A trained model's samples are close to its data in exact W2")
struct TrainedRealismTests {
    static let n = 1000

    /// W2 from N(0, I) to `y`: the scale of "not the data at all" (≈ 0.9 for moons).
    static func blobW2(_ y: Matrix<Double>) throws -> Double {
        try w2(RandomStream(seed: 15).normalMatrix(rows: y.rows, columns: y.columns), y)
    }

    static func w2(_ x: Matrix<Double>, _ y: Matrix<Double>) throws -> Double {
        max(try ExactCoupling(x, y).cost, 0).squareRoot()
    }

    /// The anchor MLP (W 128, depth 3) trained 8000 steps of batch 256 on 20,000 moons points
    /// (about 12 s on 2 cores), sampled with Heun at 50 steps. Measured: W2 ≈ 0.14 against a floor
    /// of 0.035 and 0.91 for N(0, I) — the moons' noise is only 0.05, and a short training blurs
    /// them by about three noise stds (DDPM and DDIM at 50 or 200 steps give 0.13–0.14 too). The
    /// bound 0.2 (and a fifth of the blob's W2) catches a model that has not learnt the moons; an
    /// untrained network lands at W2 ≈ 200.
    @Test func moonsSamplesAreCloseToFreshData() throws {
        let moons = try Datasets.make("moons")
        let data = try moons.sample(n: 20_000, seed: 11)
        let fresh = try moons.sample(n: Self.n, seed: 12), other = try moons.sample(n: Self.n, seed: 13)
        let floor = try Self.w2(other, fresh)

        let schedule = try NoiseSchedule.linear(count: 1000)
        let model = ModelConfig(architecture: .mlp, dimension: 2, width: 128, depth: 3, timeEmbedding: 128)
        let network = try EpsilonNetwork<Float>(config: model, timesteps: 1000)
        let config = TrainingConfig(steps: 8000, batchSize: 256, seed: 5, optimizer: AdamConfig(learningRate: 1e-3, warmupSteps: 100),
                                    ema: EMAConfig(decay: 0.999), chunks: 2)
        let trainer = try DiffusionTrainer(network: network, schedule: schedule, data: data.converted(to: Float.self), config: config)
        for _ in 0..<config.steps { trainer.step() }
        let timesteps = try Timesteps.respaced(count: 1000, steps: 50, spacing: .trailing)

        func samples(_ parameters: [Float]) throws -> Matrix<Double> {
            let denoiser = try NetworkDenoiser(network: network, parameters: parameters, schedule: schedule)
            return try Sampler.sample(denoiser, count: Self.n, timesteps: timesteps, method: .heun, noise: RandomStream(seed: 14))
                .x.converted(to: Double.self)
        }
        let trained = try Self.w2(samples(trainer.state.ema), fresh)
        let blob = try Self.blobW2(fresh)
        #expect(trained < 0.2 && trained < blob / 5, "W2(samples, data) = \(trained), floor \(floor), N(0, I) \(blob)")

        // The check has teeth: the same sampler on the untrained network is far from the moons.
        let untrained = try Self.w2(samples(network.initialParameters(seed: 5)), fresh)
        #expect(untrained > 1, "untrained \(untrained)")
    }
}
