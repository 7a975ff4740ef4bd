import Foundation
import MongeNN

/// Everything that changes during training: the weights, their EMA and Adam's moments and step.
/// Saved in a checkpoint; restoring it resumes a run bitwise.
public struct TrainingState: Equatable, Sendable {
    public var parameters: [Float]
    /// The exponential moving average of `parameters`, used for sampling.
    public var ema: [Float]
    public var adam: AdamState<Float>
    /// Optimiser steps taken.
    public var step: Int { adam.step }

    public init(parameters: [Float], ema: [Float], adam: AdamState<Float>) {
        self.parameters = parameters
        self.ema = ema
        self.adam = adam
    }

    /// The state before step 0: initial weights (from `seed`), EMA equal to them, zero moments.
    public init(network: EpsilonNetwork<Float>, seed: UInt64) {
        let p = network.initialParameters(seed: seed)
        self.init(parameters: p, ema: p, adam: AdamState(count: p.count))
    }
}

/// What one step did.
public struct StepRecord: Equatable, Sendable {
    /// The step's index (0-based).
    public let step: Int
    /// Mean squared error ‖ε − ε̂_θ(x_t, t)‖² / (B·D) of the batch, before the update.
    public let loss: Double
    /// L2 norm of the gradient before clipping.
    public let gradientNorm: Double
    public let learningRate: Double
    /// The fixed denoising loss on held-out images after the step's update is not known here:
    /// `TrainingRun` fills it (and `trainingEvalLoss`, the same loss on training images) on the
    /// steps it evaluates; nil elsewhere. Both use the weights before the step, like `loss`.
    public var heldOutLoss: Double?
    public var trainingEvalLoss: Double?

    public init(step: Int, loss: Double, gradientNorm: Double, learningRate: Double,
                heldOutLoss: Double? = nil, trainingEvalLoss: Double? = nil) {
        self.step = step
        self.loss = loss
        self.gradientNorm = gradientNorm
        self.learningRate = learningRate
        self.heldOutLoss = heldOutLoss
        self.trainingEvalLoss = trainingEvalLoss
    }
}

/// Denoising score matching for an ε-model (DDPM Algorithm 1, the "simple" loss):
/// θ ← Adam(θ, ∇_θ mean ‖ε − ε̂_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t)‖²), then EMA.
///
/// The gradient of each step is the sum of `config.chunks` per-chunk gradients, each computed
/// on its own thread with single-threaded kernels into its own buffer, and added in chunk order
/// (see `TrainingConfig` for what this means for reproducibility).
public final class DiffusionTrainer: @unchecked Sendable {
    public let network: EpsilonNetwork<Float>
    public let schedule: NoiseSchedule
    public let data: Matrix<Float>
    public let config: TrainingConfig
    public private(set) var state: TrainingState

    private let chunks: [Chunk]
    private var gradient: [Float]
    private let alphaBars: [Double]

    /// Per-chunk buffers, owned by one thread during a step.
    final class Chunk: @unchecked Sendable {
        let range: Range<Int>
        let workspace: TrainingWorkspace<Float>
        var noisy: [Float], noise: [Float], outputGradient: [Float], timesteps: [Int], gradient: [Float]
        var loss = 0.0

        init(range: Range<Int>, network: EpsilonNetwork<Float>) {
            self.range = range
            let n = range.count, d = network.dimension
            workspace = network.makeTrainingWorkspace(rows: n)
            noisy = [Float](repeating: 0, count: n * d)
            noise = noisy
            outputGradient = noisy
            timesteps = [Int](repeating: 0, count: n)
            gradient = [Float](repeating: 0, count: network.parameterCount)
        }
    }

    /// A trainer from `state` (or a fresh state from `config.seed`); checks that the data, the
    /// network, the schedule and the state fit together.
    public init(network: EpsilonNetwork<Float>, schedule: NoiseSchedule, data: Matrix<Float>, config: TrainingConfig,
                state: TrainingState? = nil) throws {
        try config.validate()
        guard data.rows >= 1 else { throw MongeError.invalidArgument(name: "data", message: "has no rows") }
        guard data.columns == network.dimension else {
            throw MongeError.shapeMismatch("the data has \(data.columns) columns but the model's dimension is \(network.dimension)")
        }
        try data.checkFinite("training data")
        guard network.timesteps == schedule.count else {
            throw MongeError.invalidArgument(name: "T", message: "the network embeds \(network.timesteps) timesteps, the schedule has \(schedule.count)")
        }
        if config.flipsImages && network.config.image == nil {
            throw MongeError.invalidArgument(name: "--flip", message: "mirrors images, but the model works on points of dimension \(network.dimension) (no image shape)")
        }
        let state = state ?? TrainingState(network: network, seed: config.seed)
        let count = network.parameterCount
        guard state.parameters.count == count, state.ema.count == count, state.adam.m.count == count, state.adam.v.count == count else {
            throw MongeError.shapeMismatch("the training state holds \(state.parameters.count) parameters, the model \(count)")
        }
        self.network = network
        self.schedule = schedule
        self.data = data
        self.config = config
        self.state = state
        alphaBars = schedule.alphaBars
        chunks = (0..<config.chunks).map { Chunk(range: config.chunkRange($0), network: network) }
        gradient = [Float](repeating: 0, count: count)
    }

    /// One optimiser step on the batch of step `state.step`.
    @discardableResult
    public func step() -> StepRecord {
        let step = state.step
        let batch = TrainingBatch(seed: config.seed, step: step)
        let dropout = network.config.dropout > 0 ? DropoutNoise(stream: batch.dropoutStream, rate: network.config.dropout) : nil
        let scale = Float(2.0 / Double(config.batchSize * network.dimension))
        state.parameters.withUnsafeBufferPointer { p in
            let parameters = p.baseAddress!
            Parallel.forEachChunk(count: chunks.count) { range in
                for c in range { self.run(self.chunks[c], batch: batch, parameters: parameters, dropout: dropout, scale: scale) }
            }
        }
        // Per block of parameters (in parallel): the chunk gradients summed in chunk order, and
        // the block's sum of squares; the norm adds the blocks in order (thread-independent).
        // Without clipping the Adam and EMA updates of a block follow in the same pass.
        let count = network.parameterCount, blocks = AdamState<Float>.blockCount(count), blockSize = AdamState<Float>.blockSize
        var partials = [Double](repeating: 0, count: blocks)
        let chunkGradients = chunks.map { $0.gradient }
        let ema = config.ema, fused = config.optimizer.clipNorm == nil
        // Update a uniquely owned copy of the state (no overlapping access to the property).
        var current = TrainingState(parameters: [], ema: [], adam: AdamState(count: 0))
        swap(&current, &state)
        // Without clipping the coefficients do not depend on the norm.
        var coefficients = current.adam.coefficients(config: config.optimizer, gradientNorm: 0)
        current.parameters.withUnsafeMutableBufferPointer { p in
            current.ema.withUnsafeMutableBufferPointer { e in
                current.adam.m.withUnsafeMutableBufferPointer { m in
                    current.adam.v.withUnsafeMutableBufferPointer { v in
                        gradient.withUnsafeMutableBufferPointer { g in
                            partials.withUnsafeMutableBufferPointer { partial in
                                let p = p.baseAddress!, e = e.baseAddress!, m = m.baseAddress!, v = v.baseAddress!
                                let g = g.baseAddress!, sums = partial.baseAddress!
                                let c = coefficients
                                Parallel.forEachChunk(count: blocks) { range in
                                    for block in range {
                                        let start = block * blockSize, size = min(blockSize, count - start)
                                        chunkGradients[0].withUnsafeBufferPointer { (g + start).update(from: $0.baseAddress! + start, count: size) }
                                        for other in chunkGradients.dropFirst() {
                                            other.withUnsafeBufferPointer { Float.add(count: size, g + start, $0.baseAddress! + start) }
                                        }
                                        sums[block] = AdamState<Float>.blockSumOfSquares(g, count: count, block: block)
                                        if fused {
                                            AdamState<Float>.apply(c, to: p, gradient: g, m: m, v: v, range: start..<(start + size))
                                            ema.update(e, toward: UnsafePointer(p), range: start..<(start + size), step: step)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let norm = partials.reduce(0, +).squareRoot()
        if !fused {
            coefficients = current.adam.coefficients(config: config.optimizer, gradientNorm: norm)
            let c = coefficients
            current.parameters.withUnsafeMutableBufferPointer { p in
                current.ema.withUnsafeMutableBufferPointer { e in
                    current.adam.m.withUnsafeMutableBufferPointer { m in
                        current.adam.v.withUnsafeMutableBufferPointer { v in
                            gradient.withUnsafeBufferPointer { g in
                                let p = p.baseAddress!, e = e.baseAddress!, m = m.baseAddress!, v = v.baseAddress!, g = g.baseAddress!
                                Parallel.forEachChunk(count: blocks) { range in
                                    for block in range {
                                        let start = block * blockSize, rows = start..<min(start + blockSize, count)
                                        AdamState<Float>.apply(c, to: p, gradient: g, m: m, v: v, range: rows)
                                        ema.update(e, toward: UnsafePointer(p), range: rows, step: step)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        current.adam.step += 1
        swap(&current, &state)
        let loss = chunks.reduce(0.0) { $0 + $1.loss }
        return StepRecord(step: step, loss: loss / Double(config.batchSize * network.dimension), gradientNorm: norm,
                          learningRate: coefficients.learningRate)
    }

    private func run(_ chunk: Chunk, batch: TrainingBatch, parameters p: UnsafePointer<Float>, dropout: DropoutNoise?, scale: Float) {
        let n = chunk.range.count, d = network.dimension
        chunk.noisy.withUnsafeMutableBufferPointer { noisy in
            chunk.noise.withUnsafeMutableBufferPointer { noise in
                chunk.timesteps.withUnsafeMutableBufferPointer { t in
                    batch.fill(rows: chunk.range, data: data, alphaBars: alphaBars, noisy: noisy.baseAddress!,
                               timesteps: t.baseAddress!, noise: noise.baseAddress!, flip: config.flipsImages ? network.config.image : nil)
                    let y = network.forward(rows: n, x: noisy.baseAddress!, timesteps: t.baseAddress!, parameters: p,
                                            workspace: chunk.workspace, dropout: dropout, firstRow: chunk.range.lowerBound)
                    chunk.outputGradient.withUnsafeMutableBufferPointer { dy in
                        chunk.loss = Float.mseGradient(count: n * d, prediction: y, target: noise.baseAddress!, scale: scale,
                                                       gradient: dy.baseAddress!)
                        chunk.gradient.withUnsafeMutableBufferPointer { g in
                            g.update(repeating: 0)
                            network.backward(outputGradient: dy.baseAddress!, parameters: p,
                                             workspace: chunk.workspace, gradient: g.baseAddress!)
                        }
                    }
                }
            }
        }
    }
}
