import Foundation
import MongeNN

/// How a convolutional classifier is trained: epochs of shuffled minibatches, Adam with an
/// optional cosine decay of the learning rate, and the seed of every random draw.
public struct ConvClassifierTrainingConfig: Codable, Equatable, Sendable {
    /// Passes over the training images (each a fresh permutation; the last partial batch is dropped).
    public var epochs: Int
    public var batchSize: Int
    public var adam: AdamConfig
    /// lr·½(1 + cos(π·step/steps)) instead of a constant learning rate.
    public var cosineDecay: Bool
    /// Fixed number of batch chunks per gradient, computed in parallel and added in chunk order
    /// (the result depends on it, not on the number of threads).
    public var chunks: Int
    /// Mirror each training image left–right with probability ½.
    public var flips: Bool
    public var seed: UInt64

    public init(epochs: Int = 3, batchSize: Int = 128, adam: AdamConfig = AdamConfig(learningRate: 3e-3), cosineDecay: Bool = true,
                chunks: Int = 2, flips: Bool = false, seed: UInt64 = 0) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.adam = adam
        self.cosineDecay = cosineDecay
        self.chunks = chunks
        self.flips = flips
        self.seed = seed
    }

    /// Throws `MongeError.invalidArgument` naming the first field out of range.
    public func validate() throws {
        func fail(_ name: String, _ message: String) -> MongeError { .invalidArgument(name: name, message: message) }
        guard epochs >= 0 else { throw fail("epochs", "must be ≥ 0, got \(epochs)") }
        guard batchSize >= 1 else { throw fail("batch", "must be at least 1, got \(batchSize)") }
        guard chunks >= 1, chunks <= batchSize else { throw fail("chunks", "must be in 1…batch (\(batchSize)), got \(chunks)") }
        try adam.validate()
    }

    /// Optimiser steps for `images` training images.
    public func steps(images: Int) -> Int { epochs * (images / batchSize) }

    /// The learning rate of step `step` of `total`.
    public func learningRate(step: Int, of total: Int) -> Double {
        let base = adam.learningRate(atStep: step)
        guard cosineDecay, total > 0 else { return base }
        return base * 0.5 * (1 + cos(Double.pi * Double(step) / Double(total)))
    }

    /// Rows of chunk `c` of a batch (the first `batchSize % chunks` chunks get one more row).
    func chunkRange(_ c: Int) -> Range<Int> {
        let base = batchSize / chunks, extra = batchSize % chunks
        let start = c * base + min(c, extra)
        return start..<(start + base + (c < extra ? 1 : 0))
    }
}

/// A trained convolutional classifier (Float): its network, weights and, for a time-dependent
/// one, the noise schedule of the noisy images it was trained on.
public struct TrainedConvClassifier: Sendable {
    public let network: ConvClassifier<Float>
    public let parameters: [Float]
    /// The schedule of x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε (time-dependent classifiers only).
    public let schedule: NoiseSchedule?

    public init(network: ConvClassifier<Float>, parameters: [Float], schedule: NoiseSchedule?) throws {
        guard parameters.count == network.parameterCount else {
            throw MongeError.shapeMismatch("the classifier has \(network.parameterCount) parameters, got \(parameters.count)")
        }
        guard network.config.isTimeDependent == (schedule != nil) else {
            throw MongeError.invalidArgument(name: "schedule", message: network.config.isTimeDependent
                ? "a time-dependent classifier needs its noise schedule" : "a classifier of clean images takes no noise schedule")
        }
        if let schedule, schedule.count != network.timesteps {
            throw MongeError.shapeMismatch("the classifier embeds \(network.timesteps) timesteps, the schedule has \(schedule.count)")
        }
        self.network = network
        self.parameters = parameters
        self.schedule = schedule
    }

    public var config: ConvClassifierConfig { network.config }

    /// Throws naming `what` when `images` are not rows of this classifier's image shape or hold a non-finite value.
    public func check(_ images: Matrix<Float>, _ what: String) throws {
        guard images.columns == network.dimension else {
            throw MongeError.shapeMismatch("\(what) has \(images.columns) values per row; the classifier takes \(config.image) images (\(network.dimension) values)")
        }
        try images.checkFinite(what)
    }

    /// The predicted class and the penultimate features of every row of `images` (N × C·H·W,
    /// clean images; at timestep `t` for a time-dependent classifier).
    public func classify(_ images: Matrix<Float>, timestep t: Int? = nil) throws -> (labels: [Int], features: Matrix<Float>) {
        try check(images, "the images")
        if config.isTimeDependent {
            guard let t, t >= 0, t < network.timesteps else {
                throw MongeError.invalidArgument(name: "timestep", message: "a time-dependent classifier needs a timestep in 0..<\(network.timesteps), got \(t.map(String.init) ?? "none")")
            }
        } else if t != nil {
            throw MongeError.invalidArgument(name: "timestep", message: "this classifier was trained on clean images and takes no timestep")
        }
        let (logits, features) = network.evaluate(images, timestep: t, parameters: parameters)
        let labels = (0..<logits.rows).map { i in
            var best = 0
            for j in 1..<logits.columns where logits[i, j] > logits[i, best] { best = j }
            return best
        }
        return (labels, features)
    }

    /// The fraction of `images` classified as `labels`.
    public func accuracy(_ images: Matrix<Float>, labels: [Int], timestep t: Int? = nil) throws -> Double {
        guard labels.count == images.rows else {
            throw MongeError.shapeMismatch("\(images.rows) images but \(labels.count) labels")
        }
        let predicted = try classify(images, timestep: t).labels
        return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(max(1, labels.count))
    }
}

/// Trains a `ConvClassifier` by softmax cross-entropy with Adam on shuffled minibatches. With a
/// noise schedule (a time-dependent network) every image is noised to a uniform timestep t:
/// √ᾱ_t x + √(1 − ᾱ_t) ε (EGSDE's domain classifier, §3.2).
///
/// Each step's gradient is the sum of `chunks` per-chunk gradients computed on their own
/// threads and added in chunk order; every draw is addressed by (seed, epoch or step, row), so
/// a run gives the same bytes whatever the number of threads.
public enum ConvClassifierTraining {
    /// The result of a run: the classifier and one loss record per step.
    public struct Run: Sendable {
        public let classifier: TrainedConvClassifier
        public let losses: [StepRecord]
        public let seconds: Double
    }

    /// The order in which epoch `epoch` visits the training images (its batches are consecutive slices).
    static func epochOrder(seed: UInt64, epoch: Int, images: Int) -> [Int] {
        RandomStream(seed: seed, stream: StreamTag.convClassifierEpochs).substream(UInt64(epoch)).permutation(images)
    }

    /// Trains from the parameters initialised by `training.seed`.
    ///
    /// - Parameters:
    ///   - images: N × C·H·W training images; `labels` their classes in 0..<model.classes.
    ///   - schedule: the noise schedule for a time-dependent `model` (nil otherwise).
    /// - Throws: `MongeError` on images of another shape, non-finite pixels, labels out of range,
    ///   fewer images than a batch, settings out of range, or a diverging loss.
    public static func train(images: Matrix<Float>, labels: [Int], model: ConvClassifierConfig, schedule: NoiseSchedule?,
                             training: ConvClassifierTrainingConfig, progress: TrainingProgress? = nil) throws -> Run {
        try training.validate()
        let network = try ConvClassifier<Float>(config: model, timesteps: schedule?.count ?? 0)
        _ = try TrainedConvClassifier(network: network, parameters: network.initialParameters(seed: 0), schedule: schedule)
        guard images.columns == network.dimension else {
            throw MongeError.shapeMismatch("the training images have \(images.columns) values per row; the classifier takes \(model.image) images (\(network.dimension) values)")
        }
        guard labels.count == images.rows else { throw MongeError.shapeMismatch("\(images.rows) training images but \(labels.count) labels") }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= model.classes }) {
            throw MongeError.invalidArgument(name: "labels", message: "label \(labels[bad]) of image \(bad) is outside 0..<\(model.classes)")
        }
        guard images.rows >= training.batchSize || training.epochs == 0 else {
            throw MongeError.invalidArgument(name: "batch", message: "\(training.batchSize) is more than the \(images.rows) training images")
        }
        try images.checkFinite("training images")
        let started = Date()
        let d = network.dimension, k = model.classes, count = network.parameterCount
        let perEpoch = images.rows / training.batchSize, total = training.epochs * perEpoch
        var parameters = network.initialParameters(seed: training.seed)
        var adam = AdamState<Float>(count: count)
        let chunks = (0..<training.chunks).map { c in Chunk(rows: training.chunkRange(c).count, network: network) }
        var losses: [StepRecord] = []
        losses.reserveCapacity(total)
        var gradient = [Float](repeating: 0, count: count)
        progress?.start(atStep: 0)
        var order: [Int] = []
        for step in 0..<total {
            if step % perEpoch == 0 { order = epochOrder(seed: training.seed, epoch: step / perEpoch, images: images.rows) }
            let first = (step % perEpoch) * training.batchSize
            let indices = Array(order[first..<(first + training.batchSize)])
            let draws = RandomStream(seed: training.seed, stream: StreamTag.convClassifierDraws).substream(UInt64(step))
            let scale = 1 / Double(training.batchSize)
            parameters.withUnsafeBufferPointer { p in
                let p = p.baseAddress!
                Parallel.forEachChunk(count: chunks.count) { range in
                    for c in range {
                        chunks[c].run(network: network, rows: training.chunkRange(c), indices: indices, images: images, labels: labels,
                                      schedule: schedule, flips: training.flips, draws: draws, scale: scale, parameters: p, dimension: d, classes: k)
                    }
                }
            }
            gradient.withUnsafeMutableBufferPointer { g in
                g.update(repeating: 0)
                for chunk in chunks { chunk.gradient.withUnsafeBufferPointer { Float.add(count: count, g.baseAddress!, $0.baseAddress!) } }
            }
            let loss = chunks.reduce(0.0) { $0 + $1.loss } * scale
            guard loss.isFinite else {
                throw MongeError.nonFinite("the classifier's loss is \(loss) at step \(step); lower the learning rate")
            }
            var adamConfig = training.adam
            adamConfig.learningRate = training.learningRate(step: step, of: total)
            adamConfig.warmupSteps = 0
            let norm = adam.update(&parameters, gradient: gradient, config: adamConfig)
            let record = StepRecord(step: step, loss: loss, gradientNorm: norm, learningRate: adamConfig.learningRate)
            losses.append(record)
            progress?.update(record)
        }
        progress?.finish()
        return Run(classifier: try TrainedConvClassifier(network: network, parameters: parameters, schedule: schedule), losses: losses,
                   seconds: Date().timeIntervalSince(started))
    }

    /// One chunk's buffers, owned by one thread during a step.
    final class Chunk: @unchecked Sendable {
        let workspace: ConvClassifierWorkspace<Float>
        var x: [Float], labels: [Int], timesteps: [Int], dLogits: [Float], gradient: [Float]
        var loss = 0.0

        init(rows: Int, network: ConvClassifier<Float>) {
            workspace = network.makeWorkspace(images: rows, training: true)
            x = [Float](repeating: 0, count: rows * network.dimension)
            labels = [Int](repeating: 0, count: rows)
            timesteps = labels
            dLogits = [Float](repeating: 0, count: rows * network.config.classes)
            gradient = [Float](repeating: 0, count: network.parameterCount)
        }

        /// Fills the chunk's rows of the batch (noised and flipped as drawn), then forward, loss, backward.
        func run(network: ConvClassifier<Float>, rows: Range<Int>, indices: [Int], images: Matrix<Float>, labels all: [Int],
                 schedule: NoiseSchedule?, flips: Bool, draws: RandomStream, scale: Double, parameters p: UnsafePointer<Float>,
                 dimension d: Int, classes k: Int) {
            let image = network.config.image
            let noiseStream = draws.substream(1), timeStream = draws.substream(2), flipStream = draws.substream(3)
            images.storage.withUnsafeBufferPointer { source in
                x.withUnsafeMutableBufferPointer { x in
                    for (local, row) in rows.enumerated() {
                        let index = indices[row], out = x.baseAddress! + local * d, src = source.baseAddress! + index * d
                        labels[local] = all[index]
                        if flips && flipStream.uniform(UInt64(row)) < 0.5 {
                            for c in 0..<image.channels { for y in 0..<image.height { for xx in 0..<image.width {
                                out[(c * image.height + y) * image.width + xx] = src[(c * image.height + y) * image.width + image.width - 1 - xx]
                            } } }
                        } else {
                            out.update(from: src, count: d)
                        }
                        if let schedule {
                            let t = timeStream.integer(UInt64(row), below: schedule.count)
                            timesteps[local] = t
                            var eps = [Float](repeating: 0, count: d)
                            eps.withUnsafeMutableBufferPointer { noiseStream.fillNormal($0, start: UInt64(row * d)) }
                            NoiseSchedule.noise(out, epsilon: eps, into: out, count: d, coefficients: schedule.forwardCoefficients(t, as: Float.self))
                        }
                    }
                }
            }
            let n = rows.count
            x.withUnsafeBufferPointer { x in
                timesteps.withUnsafeBufferPointer { t in
                    network.forward(images: n, x.baseAddress!, timesteps: schedule == nil ? nil : t.baseAddress!, parameters: p,
                                    workspace: workspace)
                }
            }
            loss = labels.withUnsafeBufferPointer { l in
                dLogits.withUnsafeMutableBufferPointer { g in
                    SoftmaxCrossEntropy.lossAndGradient(rows: n, classes: k, logits: workspace.logits, labels: l.baseAddress!, scale: scale,
                                                        gradient: g.baseAddress!)
                }
            }
            gradient.withUnsafeMutableBufferPointer { g in
                g.update(repeating: 0)
                dLogits.withUnsafeBufferPointer { dl in
                    network.backward(logitGradient: dl.baseAddress!, featureGradient: nil, parameters: p, workspace: workspace,
                                     gradient: g.baseAddress!, inputGradient: nil)
                }
            }
        }
    }
}
