import MongeNN

/// The defaults of a new training run, shared by `monge train` and the C ABI (the Python package):
/// one place says what a run looks like when no option is given.
extension ModelConfig {
    /// The model for `architecture` on points of `dimension` columns, each `nil` argument taking its
    /// default: residual W 256, depth 4, time embedding W, groups by width; mlp (the anchor) W 128,
    /// depth 3, time embedding 128; ddib-unet (DDIB's U-shaped MLP) W 256, 3 blocks per level,
    /// time embedding 256; unet W 32, depth 2, time embedding W, 8 groups, on square
    /// grayscale images of `dimension` = S·S pixels.
    public static func standard(_ architecture: Architecture, dimension: Int, width: Int? = nil, depth: Int? = nil,
                                timeEmbedding: Int? = nil, groups: Int? = nil) throws -> ModelConfig {
        let w = width ?? (architecture == .mlp ? 128 : architecture == .unet ? 32 : 256)
        var model: ModelConfig
        switch architecture {
        case .mlp:
            model = .anchorMLP(width: w, dimension: dimension)
            model.depth = depth ?? 3
            model.timeEmbedding = timeEmbedding ?? 128
        case .residual:
            model = .ddib2D(dimension: dimension, width: w, depth: depth ?? 4)
            model.timeEmbedding = timeEmbedding ?? w
            model.groups = groups ?? ModelConfig.defaultGroups(width: w)
        case .ddibUNet:
            model = .ddibPaper2D(dimension: dimension, width: w, depth: depth ?? 3)
            model.timeEmbedding = timeEmbedding ?? 256
            model.groups = groups ?? ModelConfig.defaultGroups(width: w)
        case .unet:
            // Square grayscale images, one per row (e.g. 784 columns = 1×28×28).
            let side = Int(Double(dimension).squareRoot().rounded())
            guard side * side == dimension else {
                throw MongeError.invalidArgument(name: "--arch unet",
                                                 message: "needs square grayscale images, one per row (S·S columns), got \(dimension) columns")
            }
            model = .anchorUNet(width: w, image: ImageShape(channels: 1, height: side, width: side), depth: depth ?? 2)
            model.timeEmbedding = timeEmbedding ?? w
            model.groups = groups ?? 8
        }
        return model
    }
}

extension TrainingConfig {
    /// 10,000 steps of batch 1024, seed 0, Adam 1e-3, EMA 0.9999 with warm-up, 2 gradient chunks,
    /// a loss row every 10 steps and a checkpoint every 1000.
    public static var standard: TrainingConfig {
        TrainingConfig(steps: 10_000, batchSize: 1024, seed: 0, optimizer: AdamConfig(learningRate: 1e-3),
                       ema: EMAConfig(decay: 0.9999, warmup: true), chunks: 2, logEvery: 10, checkpointEvery: 1000)
    }
}
