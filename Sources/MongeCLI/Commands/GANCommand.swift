import ArgumentParser
import Foundation
import MongeBridges
import MongeCore
import MongeData
import MongeDiffusion
import MongeNN

/// `monge gan --mode vanilla|diffusion --out DIR`: the Diffusion-GAN mode-collapse experiment on
/// 25-Gaussians (Wang et al., ICLR 2023): train a GAN, write its samples and mode-coverage metrics.
struct GANCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gan",
        abstract: "Train a vanilla GAN or a Diffusion-GAN on 25-Gaussians; writes DIR/samples.npy, metrics.json and log.csv.",
        discussion: """
        G and D are MLPs with two hidden layers (--width, LeakyReLU 0.2), trained with the non-saturating \
        loss and Adam (betas 0.5, 0.999). --mode diffusion diffuses real and generated points to \
        t ~ {0 w.p. 1/2, else ∝ t} in 0…T before D and adapts T ∈ [10, 1000] every 4 minibatches from the \
        mean sign of D on real data (target 0.6). Metrics (VEEGAN/PacGAN): a sample is high-quality within \
        3σ of a centre; modes covered = modes with a high-quality sample; reverse KL = KL(q ‖ uniform) of \
        the high-quality samples' mode histogram. The result depends on the seeds only.
        """)

    @Option(help: "vanilla or diffusion.") var mode: GANConfig.Mode
    @Option(help: "Output folder.") var out: String
    @Option(help: "Training steps (one D and one G update each).") var steps: Int = 3000
    @Option(help: "Real (and generated) points per step.") var batch: Int = 512
    @Option(help: "Seed of the initial weights and of every batch.") var seed: UInt64 = 0
    @Option(help: "Hidden width of G and D.") var width: Int = 128
    @Option(help: "Latent dimension of G.") var latent: Int = 2
    @Option(help: "Adam learning rate of G and D.") var lr: Double = 2e-4
    @Option(help: "Generated points scored and written.") var samples: Int = 10_000
    @Option(help: "Seed of the scored samples' latents.") var sampleSeed: UInt64 = 1
    @Option(help: "Real points drawn from 25-Gaussians (minibatches are drawn from them).") var dataPoints: Int = 100_000
    @Option(help: "Seed of the real points.") var dataSeed: UInt64 = 0
    @Option(help: "Write a log.csv row every this many steps.") var logEvery: Int = 10
    @Flag(help: "No progress on stderr.") var quiet = false

    func validate() throws {
        try Check.range(steps, "--steps", 1...Int.max)
        try Check.range(batch, "--batch", 1...Int.max)
        try Check.range(width, "--width", 1...Check.maximumWidth)
        try Check.range(latent, "--latent", 1...Check.maximumFeatures)
        try Check.positive(lr, "--lr")
        try Check.range(samples, "--samples", 1...Int.max)
        try Check.range(dataPoints, "--data-points", 1...Check.maximumPoints)
        try Check.range(logEvery, "--log-every", 1...Int.max)
        try Check.memory(Footprint.gan(width: width, latent: latent, batch: batch, steps: steps, samples: samples, dataPoints: dataPoints))
    }

    func run() throws {
        let adam = AdamConfig(learningRate: lr, beta1: 0.5, beta2: 0.999)
        let config = GANConfig(mode: mode, steps: steps, batchSize: batch, seed: seed,
                               generator: GeneratorConfig(latent: latent, width: width),
                               discriminator: ClassifierConfig(dimension: 2, width: width, depth: 2, timeEmbedding: 32,
                                                               activation: .leakyReLU, negativeSlope: 0.2),
                               generatorAdam: adam, discriminatorAdam: adam)
        try config.validate()
        var manifest = RunManifest.begin(command: "monge gan", seed: seed,
                                         parameters: ["mode": .string(mode.rawValue), "data": .string("data:gaussians25 n=\(dataPoints) seed=\(dataSeed)")])
        let progress = TrainingProgress(totalSteps: steps, quiet: quiet, label: "gan \(mode.rawValue)")
        let result = try GANExperiment.gaussians25(config: config, dataPoints: dataPoints, dataSeed: dataSeed,
                                                   sampleCount: samples, sampleSeed: sampleSeed, progress: progress)
        let folder = URL(fileURLWithPath: out)
        let samplesPath = folder.appendingPathComponent("samples.npy").path
        var outputs = OutputSet()
        try outputs.add(result.samples, to: samplesPath)
        var log = "step,discriminator_loss,generator_loss,T,p,real_sign\n"
        for r in result.run.records where r.step % logEvery == 0 || r.step == steps - 1 {
            log += "\(r.step),\(r.discriminatorLoss),\(r.generatorLoss),\(r.T),\(r.p),\(r.realSign)\n"
        }
        try outputs.add(Data(log.utf8), to: folder.appendingPathComponent("log.csv").path)
        let c = result.coverage
        let tail = result.run.records.suffix(100)
        let mean = { (f: (GANStepRecord) -> Double) in tail.map(f).reduce(0, +) / Double(max(tail.count, 1)) }
        let metrics: [String: JSONValue] = [
            "mode": .string(mode.rawValue), "steps": .integer(steps), "batch": .integer(batch), "seed": .integer(Int(seed)),
            "samples": .integer(c.samples), "modes": .integer(c.modes), "modes_covered": .integer(c.modesCovered),
            "high_quality_percent": .number(100 * c.highQualityFraction),
            "reverse_kl": c.reverseKL.map { .number($0) } ?? .null,
            "mode_counts": .array(c.counts.map { .integer($0) }),
            "training_seconds": .number(result.trainingSeconds),
            "final_T": result.run.diffusion.map { .integer($0.T) } ?? .null,
            "final_p": result.run.diffusion.map { .number($0.p) } ?? .null,
            "discriminator_loss_last100": .number(mean(\.discriminatorLoss)),
            "generator_loss_last100": .number(mean(\.generatorLoss)),
            "real_sign_last100": .number(mean(\.realSign)),
            "real_sign_max": .number(result.run.records.map(\.realSign).max() ?? 0),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try outputs.add(try encoder.encode(JSONValue.object(metrics)), to: folder.appendingPathComponent("metrics.json").path)
        manifest.finish(outputs: ["samples.npy", "metrics.json", "log.csv"], results: metrics)
        try outputs.commit(manifest: manifest, beside: [samplesPath])
        let kl = c.reverseKL.map { String(format: "%.3f", $0) } ?? "–"
        print(String(format: "gan %@: %d/%d modes, %.1f %% high-quality, reverse KL %@, %.1f s; saved in %@",
                     mode.rawValue, c.modesCovered, c.modes, 100 * c.highQualityFraction, kl, result.trainingSeconds, out))
    }
}

extension GANConfig.Mode: ExpressibleByArgument {}
