import Foundation
import MongeNN

/// How a GAN is trained on 2-D points: a vanilla GAN or a Diffusion-GAN (Wang et al., ICLR 2023).
///
/// Both modes use the same networks — an MLP generator z ↦ x and a t-conditioned MLP
/// discriminator (`DomainClassifier`, one logit) — and the non-saturating loss (Goodfellow et
/// al. 2014): D minimises softplus(−D(real)) + softplus(D(fake)), G minimises softplus(−D(fake)).
/// The vanilla GAN shows D the clean points at t = 0 (the time embedding of 0 is a constant
/// input, so D is effectively time-free); the Diffusion-GAN shows D both real and generated points
/// diffused to t ~ `AdaptiveDiffusion` and adapts T from D's output on real data.
public struct GANConfig: Codable, Equatable, Sendable {
    public enum Mode: String, Codable, Sendable, CaseIterable {
        case vanilla
        case diffusion
    }

    public var mode: Mode
    public var generator: GeneratorConfig
    public var discriminator: ClassifierConfig
    public var diffusion: AdaptiveDiffusionConfig
    public var steps: Int
    /// Real points per step, and as many generated points.
    public var batchSize: Int
    public var generatorAdam: AdamConfig
    public var discriminatorAdam: AdamConfig
    public var seed: UInt64

    /// The Diffusion-GAN toy: G and D with two hidden layers of 128 and LeakyReLU (slope 0.2),
    /// Adam lr 2e-4 with betas (0.5, 0.999).
    public init(mode: Mode, steps: Int = 2000, batchSize: Int = 512, seed: UInt64 = 0,
                generator: GeneratorConfig = GeneratorConfig(),
                discriminator: ClassifierConfig = ClassifierConfig(dimension: 2, width: 128, depth: 2, timeEmbedding: 32,
                                                                   activation: .leakyReLU, negativeSlope: 0.2),
                diffusion: AdaptiveDiffusionConfig = AdaptiveDiffusionConfig(),
                generatorAdam: AdamConfig = AdamConfig(learningRate: 2e-4, beta1: 0.5, beta2: 0.999),
                discriminatorAdam: AdamConfig = AdamConfig(learningRate: 2e-4, beta1: 0.5, beta2: 0.999)) {
        self.mode = mode
        self.generator = generator
        self.discriminator = discriminator
        self.diffusion = diffusion
        self.steps = steps
        self.batchSize = batchSize
        self.generatorAdam = generatorAdam
        self.discriminatorAdam = discriminatorAdam
        self.seed = seed
    }

    /// Throws `MongeError.invalidArgument` naming the first field out of range.
    public func validate() throws {
        guard steps >= 0 else { throw MongeError.invalidArgument(name: "steps", message: "must be ≥ 0, got \(steps)") }
        guard batchSize >= 1 else { throw MongeError.invalidArgument(name: "batch", message: "must be at least 1, got \(batchSize)") }
        try generator.validate()
        try discriminator.validate()
        guard generator.dimension == discriminator.dimension else {
            throw MongeError.shapeMismatch("the generator makes \(generator.dimension)-D points, the discriminator takes \(discriminator.dimension)")
        }
        try diffusion.validate()
        try generatorAdam.validate()
        try discriminatorAdam.validate()
    }

    /// The timesteps the discriminator embeds: 0…t_max for the Diffusion-GAN, only 0 for the vanilla GAN.
    public var discriminatorTimesteps: Int { mode == .diffusion ? diffusion.tMax + 1 : 1 }
}

/// One training step's numbers.
public struct GANStepRecord: Codable, Equatable, Sendable {
    public let step: Int
    /// D's mean binary cross-entropy over the real and generated rows, before its update.
    public let discriminatorLoss: Double
    /// G's non-saturating loss mean softplus(−D(fake)) after D's update, before G's.
    public let generatorLoss: Double
    /// The diffusion length T and p used in this step (vanilla: 0).
    public let T: Int
    public let p: Double
    /// The mean sign of D's logits on this step's (diffused) real rows, before D's update: the
    /// quantity whose average over 4 minibatches is Diffusion-GAN's r_d.
    public let realSign: Double
}

/// A trained GAN: both networks, their parameters, the final adaptive diffusion and the step records.
public struct GANRun<S: NetworkScalar>: Sendable {
    public let config: GANConfig
    public let generator: Generator<S>
    public let generatorParameters: [S]
    public let discriminator: DomainClassifier<S>
    public let discriminatorParameters: [S]
    /// The adaptive diffusion after the last step (nil for the vanilla GAN).
    public let diffusion: AdaptiveDiffusion?
    public let records: [GANStepRecord]

    /// `count` points G(z), z ~ N(0, I) row i drawn from (seed, i): prefix-stable.
    public func sample(count: Int, seed: UInt64) -> Matrix<S> {
        let z: Matrix<S> = RandomStream(seed: seed, stream: StreamTag.ganSamples).normalMatrix(rows: count, columns: config.generator.latent, firstRow: 0)
        return generator.forward(z, parameters: generatorParameters).output
    }
}

/// The GAN training loop (vanilla or Diffusion-GAN), single-threaded and deterministic: every
/// random number is addressed by (seed, step, purpose, row).
public enum GANTraining {
    /// The random draws of one step.
    struct Draws {
        let root: RandomStream

        init(seed: UInt64, step: Int) { root = RandomStream(seed: seed, stream: StreamTag.ganTraining).substream(UInt64(step)) }

        var index: RandomStream { root.substream(1) }
        var latent: RandomStream { root.substream(2) }
        func time(_ side: UInt64) -> RandomStream { root.substream(3, side) }
        func noise(_ side: UInt64) -> RandomStream { root.substream(4, side) }
    }

    /// Trains from the parameters initialised by `config.seed`; real minibatches are drawn with
    /// replacement from the rows of `data`.
    ///
    /// - Throws: `MongeError` when `data` is empty, of the wrong dimension or not finite, a setting
    ///   is out of range, or a loss diverges.
    public static func train<S: NetworkScalar>(data: Matrix<S>, config: GANConfig, progress: TrainingProgress? = nil) throws -> GANRun<S> {
        try config.validate()
        guard data.rows >= 1 else { throw MongeError.invalidArgument(name: "data", message: "has no points") }
        guard data.columns == config.generator.dimension else {
            throw MongeError.shapeMismatch("the data has \(data.columns) columns, the GAN makes \(config.generator.dimension)-D points")
        }
        try data.checkFinite("data")
        let generator = try Generator<S>(config: config.generator)
        let discriminator = try DomainClassifier<S>(config: config.discriminator, timesteps: config.discriminatorTimesteps)
        let root = RandomStream(seed: config.seed, stream: StreamTag.ganInitialisation)
        var gParameters = generator.initialParameters(stream: root.substream(1))
        var dParameters = discriminator.initialParameters(stream: root.substream(2))
        var gAdam = AdamState<S>(count: generator.parameterCount)
        var dAdam = AdamState<S>(count: discriminator.parameterCount)
        var diffusion = config.mode == .diffusion ? try AdaptiveDiffusion(config: config.diffusion, batchSize: config.batchSize) : nil
        let n = config.batchSize, d = data.columns
        let ones = [S](repeating: 1, count: n)
        let labels = ones + [S](repeating: 0, count: n)
        var records: [GANStepRecord] = []
        records.reserveCapacity(config.steps)
        progress?.start(atStep: 0)
        for step in 0..<config.steps {
            let draws = Draws(seed: config.seed, step: step)
            var real = Matrix<S>(rows: n, columns: d)
            for i in 0..<n {
                let row = draws.index.integer(UInt64(i), below: data.rows)
                for j in 0..<d { real[i, j] = data[row, j] }
            }
            let z: Matrix<S> = draws.latent.normalMatrix(rows: n, columns: config.generator.latent, firstRow: 0)
            let gPass = generator.forward(z, parameters: gParameters)
            var yReal = real, yFake = gPass.output
            var tReal = [Int](repeating: 0, count: n), tFake = tReal
            var fakeScale = [S](repeating: 1, count: n)
            if let diffusion {
                (yReal, tReal, _) = diffusion.diffuse(real, time: draws.time(0), noise: draws.noise(0))
                (yFake, tFake, fakeScale) = diffusion.diffuse(gPass.output, time: draws.time(1), noise: draws.noise(1))
            }
            let T = diffusion?.T ?? 0, p = diffusion?.p ?? 0

            // Discriminator: real rows labelled 1, generated rows 0.
            let both = try Matrix(rows: 2 * n, columns: d, storage: yReal.storage + yFake.storage)
            let dPass = discriminator.forward(both, timesteps: tReal + tFake, parameters: dParameters)
            let (dLoss, dLogitGradient) = BinaryCrossEntropy.lossAndGradient(logits: dPass.logits, labels: labels)
            var dGradient = [S](repeating: 0, count: discriminator.parameterCount)
            discriminator.accumulateParameterGradient(dPass, logitGradient: dLogitGradient, parameters: dParameters, into: &dGradient)
            dAdam.update(&dParameters, gradient: dGradient, config: config.discriminatorAdam)
            let realLogits = Array(dPass.logits[0..<n])
            try diffusion?.record(realLogits: realLogits)
            let realSign = realLogits.reduce(0.0) { $0 + ($1 > 0 ? 1 : ($1 < 0 ? -1 : 0)) } / Double(n)

            // Generator: the non-saturating loss through the updated D and the diffusion (∂y/∂x = √ᾱ_t).
            let fPass = discriminator.forward(yFake, timesteps: tFake, parameters: dParameters)
            let (gLoss, gLogitGradient) = BinaryCrossEntropy.lossAndGradient(logits: fPass.logits, labels: ones)
            var dx = discriminator.inputGradient(fPass, logitGradient: gLogitGradient, featureGradient: nil, parameters: dParameters)
            for i in 0..<n { for j in 0..<d { dx[i, j] *= fakeScale[i] } }
            var gGradient = [S](repeating: 0, count: generator.parameterCount)
            generator.accumulateParameterGradient(gPass, outputGradient: dx, parameters: gParameters, into: &gGradient)
            gAdam.update(&gParameters, gradient: gGradient, config: config.generatorAdam)

            guard dLoss.isFinite, gLoss.isFinite else {
                throw MongeError.nonFinite("the GAN's losses are D \(dLoss), G \(gLoss) at step \(step); lower the learning rate")
            }
            records.append(GANStepRecord(step: step, discriminatorLoss: dLoss, generatorLoss: gLoss, T: T, p: p, realSign: realSign))
            progress?.update(StepRecord(step: step, loss: dLoss, gradientNorm: 0, learningRate: config.discriminatorAdam.learningRate))
        }
        progress?.finish()
        return GANRun(config: config, generator: generator, generatorParameters: gParameters, discriminator: discriminator,
                      discriminatorParameters: dParameters, diffusion: diffusion, records: records)
    }
}
