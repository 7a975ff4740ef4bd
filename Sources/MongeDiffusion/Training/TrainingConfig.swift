import MongeNN

/// How an ε-model is trained: steps, batch, seed, optimiser, EMA and checkpointing.
///
/// Batches are a pure function of (seed, step) (`TrainingBatch`), and each step's gradient is
/// the sum of `chunks` fixed row ranges of the batch computed independently (in parallel when
/// there are threads) and added in chunk order. The result of a run therefore depends on
/// `chunks` but not on the number of threads: a run resumed from step k, or run with
/// `MONGE_THREADS=1`, is bitwise identical to one that never stopped. Changing `chunks` changes
/// the floating-point summation order and so the low bits of every later step.
public struct TrainingConfig: Codable, Equatable, Sendable {
    /// Total optimiser steps of the run.
    public var steps: Int
    public var batchSize: Int
    public var seed: UInt64
    public var optimizer: AdamConfig
    public var ema: EMAConfig
    /// Fixed number of batch chunks per gradient (2 = one per core of this project's machines).
    public var chunks: Int
    /// Loss-log interval in steps (a line of loss.csv every `logEvery` steps, and the last step).
    public var logEvery: Int
    /// Checkpoint interval in steps (0 = only at the end).
    public var checkpointEvery: Int
    /// Mirror each training image left–right with probability ½ (image models only). Valid only
    /// for classes whose mirror image is as likely as the image (see `FashionMNIST.flipIsValid`).
    /// Stored as nil when off, so configs written before the option keep their encoding and seal.
    public var horizontalFlip: Bool?

    /// Whether training images are flipped at random.
    public var flipsImages: Bool { horizontalFlip ?? false }

    public init(steps: Int, batchSize: Int = 1024, seed: UInt64 = 0, optimizer: AdamConfig = AdamConfig(),
                ema: EMAConfig = EMAConfig(), chunks: Int = 2, logEvery: Int = 10, checkpointEvery: Int = 0,
                horizontalFlip: Bool = false) {
        self.steps = steps
        self.batchSize = batchSize
        self.seed = seed
        self.optimizer = optimizer
        self.ema = ema
        self.chunks = chunks
        self.logEvery = logEvery
        self.checkpointEvery = checkpointEvery
        self.horizontalFlip = horizontalFlip ? true : nil
    }

    /// Throws `MongeError.invalidArgument` naming the first field out of range.
    public func validate() throws {
        func fail(_ name: String, _ message: String) -> MongeError { .invalidArgument(name: name, message: message) }
        guard steps >= 0 else { throw fail("steps", "must be ≥ 0, got \(steps)") }
        guard batchSize >= 1 else { throw fail("batch", "must be at least 1, got \(batchSize)") }
        guard chunks >= 1, chunks <= batchSize else { throw fail("chunks", "must be in 1…batch (\(batchSize)), got \(chunks)") }
        guard logEvery >= 1 else { throw fail("log interval", "must be at least 1, got \(logEvery)") }
        guard checkpointEvery >= 0 else { throw fail("checkpoint interval", "must be ≥ 0, got \(checkpointEvery)") }
        try optimizer.validate()
        try ema.validate()
    }

    /// Rows of chunk `c` of the batch (the first `batchSize % chunks` chunks get one more row).
    public func chunkRange(_ c: Int) -> Range<Int> {
        let base = batchSize / chunks, extra = batchSize % chunks
        let start = c * base + min(c, extra)
        return start..<(start + base + (c < extra ? 1 : 0))
    }
}
