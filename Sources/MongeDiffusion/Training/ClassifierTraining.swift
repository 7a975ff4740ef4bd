import Foundation
import MongeNN

/// How a domain classifier is trained: steps, batch, Adam and the seed of every random draw.
public struct ClassifierTrainingConfig: Codable, Equatable, Sendable {
    public var steps: Int
    /// Rows per step: the first half from domain A (label 0), the rest from B (label 1).
    public var batchSize: Int
    public var adam: AdamConfig
    public var seed: UInt64

    public init(steps: Int = 2000, batchSize: Int = 256, adam: AdamConfig = AdamConfig(learningRate: 1e-3), seed: UInt64 = 0) {
        self.steps = steps
        self.batchSize = batchSize
        self.adam = adam
        self.seed = seed
    }

    /// Throws `MongeError.invalidArgument` naming the first field out of range.
    public func validate() throws {
        guard steps >= 0 else { throw MongeError.invalidArgument(name: "steps", message: "must be ≥ 0, got \(steps)") }
        guard batchSize >= 2 else {
            throw MongeError.invalidArgument(name: "batch", message: "needs at least 2 rows (one per domain), got \(batchSize)")
        }
        try adam.validate()
    }
}

/// A trained time-dependent domain classifier: the network, its parameters and the noise
/// schedule whose noisy samples it was trained on (EGSDE's realism expert).
public struct TimeClassifier<S: NetworkScalar>: Sendable {
    public let network: DomainClassifier<S>
    public let parameters: [S]
    public let schedule: NoiseSchedule

    public init(network: DomainClassifier<S>, parameters: [S], schedule: NoiseSchedule) throws {
        guard parameters.count == network.parameterCount else {
            throw MongeError.shapeMismatch("the classifier has \(network.parameterCount) parameters, got \(parameters.count)")
        }
        guard network.timesteps == schedule.count else {
            throw MongeError.shapeMismatch("the classifier embeds \(network.timesteps) timesteps, the schedule has \(schedule.count)")
        }
        self.network = network
        self.parameters = parameters
        self.schedule = schedule
    }

    public var dimension: Int { network.config.dimension }

    /// The forward pass of the rows of `y` at timestep `t`.
    public func forward(_ y: Matrix<S>, timestep t: Int) -> DomainClassifier<S>.Pass {
        network.forward(y, timesteps: [t], parameters: parameters)
    }

    /// The same classifier computing in another precision (e.g. Double for gradient checks).
    public func converted<T: NetworkScalar>(to _: T.Type) throws -> TimeClassifier<T> {
        try TimeClassifier<T>(network: DomainClassifier<T>(config: network.config, timesteps: network.timesteps),
                              parameters: parameters.map { T(Double($0)) }, schedule: schedule)
    }

    /// The fraction of rows classified correctly (logit < 0 ↦ A, > 0 ↦ B) when the points of `a`
    /// and `b` are noised to timestep t with noise from `seed` (t = −1: the clean points).
    public func accuracy(a: Matrix<S>, b: Matrix<S>, timestep t: Int, seed: UInt64 = 0) -> Double {
        let stream = RandomStream(seed: seed, stream: StreamTag.classifierAccuracy)
        var correct = 0
        for (label, points) in [(0, a), (1, b)] {
            var x = points
            if t >= 0 {
                let noise: Matrix<S> = stream.substream(UInt64(label)).normalMatrix(rows: x.rows, columns: x.columns, firstRow: 0)
                x = schedule.noised(x, epsilon: noise, timestep: t)
            }
            let logits = forward(x, timestep: max(t, 0)).logits
            correct += logits.filter { label == 1 ? $0 > 0 : $0 < 0 }.count
        }
        return Double(correct) / Double(max(1, a.rows + b.rows))
    }
}

/// Binary cross-entropy with logits, mean over rows: ℓ = softplus(z) − y·z, ∂ℓ/∂z = (σ(z) − y)/n.
public enum BinaryCrossEntropy {
    /// The mean loss (accumulated in Double) and the gradient with respect to each logit.
    public static func lossAndGradient<S: NetworkScalar>(logits: [S], labels: [S]) -> (loss: Double, gradient: [S]) {
        precondition(logits.count == labels.count, "one label per logit")
        let n = Double(max(1, logits.count))
        var loss = 0.0
        var gradient = [S](repeating: 0, count: logits.count)
        for i in logits.indices {
            let z = Double(logits[i]), y = Double(labels[i])
            loss += max(z, 0) + log1p(exp(-abs(z))) - y * z
            let sigma = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
            gradient[i] = S((sigma - y) / n)
        }
        return (loss / n, gradient)
    }
}

/// Trains a `DomainClassifier` to tell noisy samples √ᾱ_t x + √(1 − ᾱ_t) ε of domain A (label 0)
/// from those of B (label 1), t uniform in 0..<T (the time-dependent classifier of EGSDE §3.2).
public enum ClassifierTraining {
    /// The draws of step `step`: row i takes a point of A (i < batch/2) or B, a timestep and noise,
    /// every number addressed by (seed, step, purpose, row), so no result depends on threads.
    public struct Batch: Sendable {
        public let seed: UInt64
        public let step: Int

        public init(seed: UInt64, step: Int) {
            self.seed = seed
            self.step = step
        }

        var root: RandomStream { RandomStream(seed: seed, stream: StreamTag.classifierTraining).substream(UInt64(step)) }

        /// Noisy inputs [batch, D], their timesteps and labels (0 = A, 1 = B).
        public func draw<S: NetworkScalar>(batchSize: Int, a: Matrix<S>, b: Matrix<S>, schedule: NoiseSchedule)
            -> (x: Matrix<S>, timesteps: [Int], labels: [S]) {
            let d = a.columns, half = batchSize / 2
            let index = root.substream(1), time = root.substream(2)
            let noise: Matrix<S> = root.substream(3).normalMatrix(rows: batchSize, columns: d, firstRow: 0)
            var x = [S](repeating: 0, count: batchSize * d)
            var timesteps = [Int](repeating: 0, count: batchSize)
            var labels = [S](repeating: 0, count: batchSize)
            for i in 0..<batchSize {
                let source = i < half ? a : b
                labels[i] = i < half ? 0 : 1
                let row = index.integer(UInt64(i), below: source.rows)
                let t = time.integer(UInt64(i), below: schedule.count)
                timesteps[i] = t
                for j in 0..<d { x[i * d + j] = source[row, j] }
            }
            let clean = try! Matrix(rows: batchSize, columns: d, storage: x)
            return (schedule.noised(clean, epsilon: noise, timesteps: timesteps), timesteps, labels)
        }
    }

    /// The result of a run: the classifier and one loss record per step.
    public struct Run<S: NetworkScalar>: Sendable {
        public let classifier: TimeClassifier<S>
        public let adam: AdamState<S>
        public let losses: [StepRecord]
    }

    /// Trains from the parameters initialised by `training.seed` for `training.steps` Adam steps.
    ///
    /// - Throws: `MongeError` when a domain is empty, the domains differ in dimension from each
    ///   other or from `model`, a point is not finite, a setting is out of range, or the loss diverges.
    public static func train<S: NetworkScalar>(
        a: Matrix<S>, b: Matrix<S>, model: ClassifierConfig, schedule: NoiseSchedule,
        training: ClassifierTrainingConfig, progress: TrainingProgress? = nil
    ) throws -> Run<S> {
        try training.validate()
        let network = try DomainClassifier<S>(config: model, timesteps: schedule.count)
        for (name, points) in [("domain A", a), ("domain B", b)] {
            guard points.rows >= 1 else { throw MongeError.invalidArgument(name: name, message: "has no points") }
            guard points.columns == model.dimension else {
                throw MongeError.shapeMismatch("\(name) has \(points.columns) columns, the classifier takes \(model.dimension)")
            }
            try points.checkFinite(name)
        }
        var parameters = network.initialParameters(seed: training.seed)
        var adam = AdamState<S>(count: network.parameterCount)
        var losses: [StepRecord] = []
        losses.reserveCapacity(training.steps)
        progress?.start(atStep: 0)
        for step in 0..<training.steps {
            let batch = Batch(seed: training.seed, step: step).draw(batchSize: training.batchSize, a: a, b: b, schedule: schedule)
            let pass = network.forward(batch.x, timesteps: batch.timesteps, parameters: parameters)
            let (loss, dLogits) = BinaryCrossEntropy.lossAndGradient(logits: pass.logits, labels: batch.labels)
            guard loss.isFinite else {
                throw MongeError.nonFinite("the classifier's loss is \(loss) at step \(step); lower the learning rate")
            }
            var gradient = [S](repeating: 0, count: network.parameterCount)
            network.accumulateParameterGradient(pass, logitGradient: dLogits, parameters: parameters, into: &gradient)
            let lr = training.adam.learningRate(atStep: adam.step)
            let norm = adam.update(&parameters, gradient: gradient, config: training.adam)
            let record = StepRecord(step: step, loss: loss, gradientNorm: norm, learningRate: lr)
            losses.append(record)
            progress?.update(record)
        }
        progress?.finish()
        return Run(classifier: try TimeClassifier(network: network, parameters: parameters, schedule: schedule),
                   adam: adam, losses: losses)
    }
}
