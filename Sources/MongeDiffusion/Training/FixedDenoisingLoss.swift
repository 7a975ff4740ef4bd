import MongeNN

/// The denoising loss of a fixed set of images with fixed draws: image i gets a timestep t_i
/// uniform in 0..<T and noise ε_i ~ N(0, I) from `seed`, once, so the loss changes only with the
/// weights. Computed on held-out images beside the same loss on training images, the two make
/// overfitting visible in loss.csv (the batch loss alone hides it: it is noisy and measured on
/// the images being learnt).
///
/// The loss is mean ‖ε − ε̂_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t)‖² / D, the training loss's formula; blocks
/// of rows run in parallel and are summed in block order, so the value does not depend on the
/// thread count.
public struct FixedDenoisingLoss: Sendable {
    public let images: Matrix<Float>
    public let timesteps: [Int]
    /// x_t of every image (the network's input).
    public let noisy: Matrix<Float>
    /// ε of every image (the target).
    public let noise: Matrix<Float>

    /// Rows per forward pass.
    static let blockRows = 64

    /// Draws the timesteps and noise of `images` from `seed` for `schedule`.
    public init(images: Matrix<Float>, schedule: NoiseSchedule, seed: UInt64) throws {
        guard images.rows >= 1 else { throw MongeError.invalidArgument(name: "held-out images", message: "need at least one image") }
        try images.checkFinite("held-out images")
        let root = RandomStream(seed: seed, stream: StreamTag.heldOutLoss)
        let times = root.substream(1)
        let timesteps = (0..<images.rows).map { times.integer(UInt64($0), below: schedule.count) }
        let noise: Matrix<Float> = root.substream(2).normalMatrix(rows: images.rows, columns: images.columns)
        let noisy = schedule.noised(images, epsilon: noise, timesteps: timesteps)
        self.images = images
        self.timesteps = timesteps
        self.noise = noise
        self.noisy = noisy
    }

    /// The mean squared ε error per value under `parameters` (no dropout).
    public func loss(network: EpsilonNetwork<Float>, parameters: [Float]) -> Double {
        precondition(images.columns == network.dimension && parameters.count == network.parameterCount)
        let n = images.rows, d = images.columns, block = Self.blockRows
        let blocks = (n + block - 1) / block
        let sums: [Double] = Parallel.mapChunks(count: blocks) { range -> [Double] in
            let workspace = network.makeTrainingWorkspace(rows: block)
            return range.map { b in
                let rows = (b * block)..<min(n, (b + 1) * block)
                return noisy.storage.withUnsafeBufferPointer { x in
                    timesteps.withUnsafeBufferPointer { t in
                        parameters.withUnsafeBufferPointer { p in
                            let y = network.forward(rows: rows.count, x: x.baseAddress! + rows.lowerBound * d,
                                                    timesteps: t.baseAddress! + rows.lowerBound, parameters: p.baseAddress!,
                                                    workspace: workspace)
                            var sum = 0.0
                            for k in 0..<(rows.count * d) {
                                let e = Double(y[k]) - Double(noise.storage[rows.lowerBound * d + k])
                                sum += e * e
                            }
                            return sum
                        }
                    }
                }
            }
        }.flatMap { $0 }
        return sums.reduce(0, +) / Double(n * d)
    }
}

/// The fixed losses a training run logs: on held-out images and on as many training images.
public struct TrainingEvaluation: Sendable {
    public let heldOut: FixedDenoisingLoss
    public let training: FixedDenoisingLoss
    /// Evaluate on the logged steps that are multiples of this (and the last step).
    public let every: Int

    /// `heldOut` images and the first `heldOut.rows` (at most) rows of `trainingData`, with the
    /// same seed (so both sets see the same timesteps and noise row for row).
    public init(heldOut: Matrix<Float>, trainingData: Matrix<Float>, schedule: NoiseSchedule, seed: UInt64, every: Int) throws {
        guard every >= 1 else { throw MongeError.invalidArgument(name: "evaluation interval", message: "must be at least 1, got \(every)") }
        guard heldOut.columns == trainingData.columns else {
            throw MongeError.shapeMismatch("the held-out images have \(heldOut.columns) values per row, the training data \(trainingData.columns)")
        }
        self.heldOut = try FixedDenoisingLoss(images: heldOut, schedule: schedule, seed: seed)
        training = try FixedDenoisingLoss(images: trainingData.rows(0..<min(heldOut.rows, trainingData.rows)), schedule: schedule, seed: seed)
        self.every = every
    }

    /// The two losses of `parameters`.
    public func losses(network: EpsilonNetwork<Float>, parameters: [Float]) -> (heldOut: Double, training: Double) {
        (heldOut.loss(network: network, parameters: parameters), training.loss(network: network, parameters: parameters))
    }
}
