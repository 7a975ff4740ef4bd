import Foundation
import MongeDiffusion
import MongeNN

/// How a 2-D MUNIT is trained: MUNIT's alternation (one discriminator update, then one
/// generator update on the same real batches, each with its own prior styles), Adam with the
/// paper's lr 1e-4 and betas (0.5, 0.999) on both sides.
public struct MUNITTrainingConfig: Codable, Equatable, Sendable {
    public var steps: Int
    /// Real points per domain and step (drawn with replacement from each domain's points).
    public var batchSize: Int
    public var seed: UInt64
    public var generatorAdam: AdamConfig
    public var discriminatorAdam: AdamConfig

    public init(steps: Int = 10_000, batchSize: Int = 256, seed: UInt64 = 0,
                generatorAdam: AdamConfig = AdamConfig(learningRate: 1e-4, beta1: 0.5, beta2: 0.999),
                discriminatorAdam: AdamConfig = AdamConfig(learningRate: 1e-4, beta1: 0.5, beta2: 0.999)) {
        self.steps = steps
        self.batchSize = batchSize
        self.seed = seed
        self.generatorAdam = generatorAdam
        self.discriminatorAdam = discriminatorAdam
    }

    public func validate() throws {
        guard steps >= 0 else { throw MongeError.invalidArgument(name: "steps", message: "must be ≥ 0, got \(steps)") }
        guard batchSize >= 1 else { throw MongeError.invalidArgument(name: "batch", message: "must be at least 1, got \(batchSize)") }
        try generatorAdam.validate()
        try discriminatorAdam.validate()
    }
}

/// One training step's losses (the discriminator's before its update, the generator's after it).
public struct MUNITStepRecord: Codable, Equatable, Sendable {
    public let step: Int
    /// Σ over domains of mean (D(real) − 1)² + mean D(fake)², unweighted.
    public let discriminator: Double
    public let generator: MUNITGeneratorLoss
}

/// A trained MUNIT: the networks, both parameter arrays and the step records.
public struct MUNITRun<S: NetworkScalar>: Sendable {
    public let model: MUNIT<S>
    public let generator: [S]
    public let discriminator: [S]
    public let records: [MUNITStepRecord]

    public init(model: MUNIT<S>, generator: [S], discriminator: [S], records: [MUNITStepRecord]) {
        self.model = model
        self.generator = generator
        self.discriminator = discriminator
        self.records = records
    }
}

/// What MUNIT's training loop asks of a model: initial parameters and the two losses with their
/// gradients. The 2-D `MUNIT` and the `ImageMUNIT` conform, so both train in `MUNITTraining.loop`.
public protocol MUNITTrainable: Sendable {
    associatedtype Scalar: NetworkScalar
    func initialParameters(seed: UInt64) -> (generator: [Scalar], discriminator: [Scalar])
    func discriminatorLoss(a: Matrix<Scalar>, b: Matrix<Scalar>, styleA: Matrix<Scalar>, styleB: Matrix<Scalar>,
                           generator: [Scalar], discriminator: [Scalar], gradient: inout [Scalar]) -> [Double]
    func generatorLoss(a: Matrix<Scalar>, b: Matrix<Scalar>, styleA: Matrix<Scalar>, styleB: Matrix<Scalar>,
                       generator: [Scalar], discriminator: [Scalar], gradient: inout [Scalar]) -> MUNITGeneratorLoss
}

extension MUNIT: MUNITTrainable { public typealias Scalar = S }
extension ImageMUNIT: MUNITTrainable { public typealias Scalar = S }

/// The MUNIT training loop, single-threaded and deterministic: every random number is addressed
/// by (seed, step, purpose, row), so the result depends on the seed only.
public enum MUNITTraining {
    struct Draws {
        let root: RandomStream

        init(seed: UInt64, step: Int) { root = RandomStream(seed: seed, stream: StreamTag.munitTraining).substream(UInt64(step)) }

        func index(_ domain: MUNITDomain) -> RandomStream { root.substream(1, UInt64(domain.rawValue)) }
        /// Prior styles of the discriminator update (0) and the generator update (1).
        func style(_ update: UInt64, _ domain: MUNITDomain) -> RandomStream { root.substream(2, update, UInt64(domain.rawValue)) }
    }

    static func batch<S: NetworkScalar>(_ data: Matrix<S>, rows n: Int, stream: RandomStream) -> Matrix<S> {
        var x = Matrix<S>(rows: n, columns: data.columns)
        for i in 0..<n {
            let row = stream.integer(UInt64(i), below: data.rows)
            for j in 0..<data.columns { x[i, j] = data[row, j] }
        }
        return x
    }

    /// Checks one domain's training points.
    static func check<S: NetworkScalar>(_ data: Matrix<S>, _ name: String, dimension: Int) throws {
        guard data.rows >= 1 else { throw MongeError.invalidArgument(name: name, message: "has no points") }
        guard data.columns == dimension else {
            throw MongeError.shapeMismatch("\(name) has \(data.columns) columns, the model takes \(dimension)-D points")
        }
        try data.checkFinite(name)
    }

    /// Trains from the parameters initialised by `training.seed`.
    ///
    /// - Throws: `MongeError` when a domain is empty, of the wrong dimension or not finite, a
    ///   setting is out of range, or a loss diverges.
    public static func train<S: NetworkScalar>(a: Matrix<S>, b: Matrix<S>, model config: MUNITConfig, training: MUNITTrainingConfig,
                                               progress: TrainingProgress? = nil) throws -> MUNITRun<S> {
        try training.validate()
        let model = try MUNIT<S>(config: config)
        try check(a, "domain A", dimension: config.dimension)
        try check(b, "domain B", dimension: config.dimension)
        let trained = try loop(model, a: a, b: b, styleDimension: config.style, training: training, progress: progress, name: "MUNIT's")
        return MUNITRun(model: model, generator: trained.generator, discriminator: trained.discriminator, records: trained.records)
    }

    /// MUNIT's alternation for any `MUNITTrainable` model on checked domains `a` and `b`: per step
    /// one discriminator update, then one generator update on the same batches, each with its
    /// own prior styles of `styleDimension` coordinates. `name` starts the divergence error.
    static func loop<M: MUNITTrainable>(_ model: M, a: Matrix<M.Scalar>, b: Matrix<M.Scalar>, styleDimension s: Int,
                                        training: MUNITTrainingConfig, progress: TrainingProgress?,
                                        name: String) throws -> (generator: [M.Scalar], discriminator: [M.Scalar], records: [MUNITStepRecord]) {
        var (gParameters, dParameters) = model.initialParameters(seed: training.seed)
        var gAdam = AdamState<M.Scalar>(count: gParameters.count)
        var dAdam = AdamState<M.Scalar>(count: dParameters.count)
        let n = training.batchSize
        var records: [MUNITStepRecord] = []
        records.reserveCapacity(training.steps)
        progress?.start(atStep: 0)
        for step in 0..<training.steps {
            let draws = Draws(seed: training.seed, step: step)
            let xa = batch(a, rows: n, stream: draws.index(.a)), xb = batch(b, rows: n, stream: draws.index(.b))
            func prior(_ update: UInt64, _ domain: MUNITDomain) -> Matrix<M.Scalar> {
                draws.style(update, domain).normalMatrix(rows: n, columns: s, firstRow: 0)
            }
            var dGradient = [M.Scalar](repeating: 0, count: dParameters.count)
            let dLoss = model.discriminatorLoss(a: xa, b: xb, styleA: prior(0, .a), styleB: prior(0, .b), generator: gParameters,
                                                discriminator: dParameters, gradient: &dGradient).reduce(0, +)
            dAdam.update(&dParameters, gradient: dGradient, config: training.discriminatorAdam)
            var gGradient = [M.Scalar](repeating: 0, count: gParameters.count)
            let gLoss = model.generatorLoss(a: xa, b: xb, styleA: prior(1, .a), styleB: prior(1, .b), generator: gParameters,
                                            discriminator: dParameters, gradient: &gGradient)
            gAdam.update(&gParameters, gradient: gGradient, config: training.generatorAdam)
            guard dLoss.isFinite, gLoss.total.isFinite else {
                throw MongeError.nonFinite("\(name) losses are D \(dLoss), G \(gLoss.total) at step \(step); lower the learning rate")
            }
            records.append(MUNITStepRecord(step: step, discriminator: dLoss, generator: gLoss))
            progress?.update(StepRecord(step: step, loss: gLoss.total, gradientNorm: 0, learningRate: training.generatorAdam.learningRate))
        }
        progress?.finish()
        return (gParameters, dParameters, records)
    }
}
