/// The nonlinearity between layers.
public enum Activation: String, Codable, Sendable, CaseIterable {
    /// x·σ(x) (the "swish" of DDPM/DDIB models).
    case silu
    case relu
    /// x for x > 0, slope·x otherwise (`ModelConfig.negativeSlope`).
    case leakyReLU = "leaky_relu"

    /// Whether the backward pass needs σ(z) besides the output (SiLU).
    var needsAux: Bool { self == .silu }

    /// The kernel code of NetworkKernels.h.
    var kernelCode: Int32 {
        switch self {
        case .silu: return 1
        case .relu: return 2
        case .leakyReLU: return 3
        }
    }
}

/// The shape of an ε-model, saved as JSON beside its weights.
///
/// Two architectures:
/// - `mlp`: the anchor model of `bench_diffusion.py` — the input x concatenated with the
///   sinusoidal embedding of t, `depth` hidden layers of `width` with `activation`, a linear output.
/// - `residual`: a DDIB-style residual MLP (Su et al. 2023, `guided_diffusion/synthetic.py`):
///   embedding(t) → Linear → act → Linear gives the time features e; h = Linear(x); `depth`
///   blocks h ← h + Linear₂(drop(act(norm(Linear₁(act(norm(h))) + Linear_t(act(e)))))), with
///   Linear₂ zero-initialised; output Linear(act(norm(h))), zero-initialised. DDIB's U-shaped
///   skip concatenation is left out (a plain residual stack of the same blocks).
/// - `ddibUNet` (`ddib-unet`): DDIB's official 2-D model, the U-shaped MLP of the same blocks
///   (`DDIBUNetBody`): `depth` blocks on the way in, 2 in the middle, `depth` on the way out, each
///   out-block taking [h, output of the matching in-block] (2W channels, skip path Linear(2W → W)).
/// - `unet`: a DDPM/ADM-style convolutional U-Net on `image`-shaped inputs (`UNetBody`, the shape
///   of `bench_unet.py`): `width` base channels, one resolution level per entry of
///   `channelMultipliers`, `depth` residual blocks per level down and `depth + 1` up, GroupNorm
///   with `groups` groups, SiLU, a `timeEmbedding`-dimensional sinusoidal embedding → Linear(4·width)
///   → SiLU → Linear(4·width). `dimension` is the image's C·H·W.
public struct ModelConfig: Codable, Equatable, Sendable {
    public enum Architecture: String, Codable, Sendable, CaseIterable {
        case mlp
        case residual
        /// DDIB's U-shaped residual MLP (`DDIBUNetBody`).
        case ddibUNet = "ddib-unet"
        case unet
    }

    /// The normalisation inside residual blocks.
    public enum Normalization: String, Codable, Sendable, CaseIterable {
        case none
        /// Over all `width` features of a row (GroupNorm with one group).
        case layer
        /// Over `groups` contiguous groups of features (DDIB's GroupNorm32).
        case group
    }

    public var architecture: Architecture
    /// The data dimension D.
    public var dimension: Int
    /// Hidden width W.
    public var width: Int
    /// Hidden layers (`mlp`), residual blocks (`residual`), or residual blocks on each side of the U (`ddibUNet`).
    public var depth: Int
    /// Dimension of the sinusoidal time embedding (even).
    public var timeEmbedding: Int
    public var activation: Activation
    /// Slope of LeakyReLU for negative inputs.
    public var negativeSlope: Double
    /// Normalisation in residual blocks (ignored by `mlp`).
    public var normalization: Normalization
    /// Groups of the group norm; must divide `width`.
    public var groups: Int
    /// Dropout rate before the second linear layer (convolution) of each residual block
    /// (`residual` and `unet`).
    public var dropout: Double
    /// The input images (`unet` only; nil for point models).
    public var image: ImageShape?
    /// Channels of each resolution level as multiples of `width` (`unet` only; e.g. [1, 2, 2]).
    public var channelMultipliers: [Int]?

    public init(architecture: Architecture, dimension: Int = 2, width: Int, depth: Int, timeEmbedding: Int = 128,
                activation: Activation = .silu, negativeSlope: Double = 0.01, normalization: Normalization = .group,
                groups: Int = 32, dropout: Double = 0) {
        self.architecture = architecture
        self.dimension = dimension
        self.width = width
        self.depth = depth
        self.timeEmbedding = timeEmbedding
        self.activation = activation
        self.negativeSlope = negativeSlope
        self.normalization = normalization
        self.groups = groups
        self.dropout = dropout
    }

    /// The anchor model of `bench_diffusion.py`: [x, temb₁₂₈(t)] → 3 × (Linear(W), SiLU) → Linear(D).
    public static func anchorMLP(width: Int = 128, dimension: Int = 2) -> ModelConfig {
        ModelConfig(architecture: .mlp, dimension: dimension, width: width, depth: 3, timeEmbedding: 128,
                    normalization: .none, groups: 1)
    }

    /// Close to DDIB's 2-D model (`model_and_diffusion_defaults_2d`): width 256, time embedding of
    /// dimension 256, GroupNorm(32), SiLU, 4 residual blocks (DDIB: 2 input + 2 middle + 2 output
    /// blocks in a U). DDIB trains with dropout 0.2; the default here is 0, better for short runs.
    public static func ddib2D(dimension: Int = 2, width: Int = 256, depth: Int = 4, dropout: Double = 0) -> ModelConfig {
        ModelConfig(architecture: .residual, dimension: dimension, width: width, depth: depth, timeEmbedding: width,
                    normalization: .group, groups: defaultGroups(width: width), dropout: dropout)
    }

    /// DDIB's official 2-D model (`SyntheticModel`, `model_and_diffusion_defaults_2d`): the U-shaped
    /// MLP at width 256 — 3 residual blocks in, 2 middle, 3 out with skip concatenation — a
    /// 256-dimensional sinusoidal time embedding, GroupNorm(32), SiLU, dropout 0.2.
    public static func ddibPaper2D(dimension: Int = 2, width: Int = 256, depth: Int = 3, dropout: Double = 0.2) -> ModelConfig {
        ModelConfig(architecture: .ddibUNet, dimension: dimension, width: width, depth: depth, timeEmbedding: 256,
                    normalization: .group, groups: defaultGroups(width: width), dropout: dropout)
    }

    /// Fewest features a group may hold: a group of one feature normalises to the constant β, and a
    /// group of two to ±1 (a sign, whose gradient vanishes), so either trains a dead network.
    public static let minimumFeaturesPerGroup = 3

    /// GroupNorm32 as DDIB, but never thinner than 8 features per group: the largest divisor g ≤ 32
    /// of the width with width / g ≥ 8 (256 → 32, 128 → 16, 32 → 4), and 1 (a layer norm) below 16.
    public static func defaultGroups(width: Int) -> Int {
        (1...32).last { g in width % g == 0 && width / g >= 8 } ?? 1
    }

    /// The U-Net of `bench_unet.py` at base width `width`: 1×28×28 images (Fashion-MNIST), levels
    /// 28, 14, 7 with width·(1, 2, 2) channels, 2 residual blocks per level down (3 up), GroupNorm(8),
    /// a `width`-dimensional sinusoidal time embedding.
    public static func anchorUNet(width: Int = 32, image: ImageShape = ImageShape(channels: 1, height: 28, width: 28),
                                  multipliers: [Int] = [1, 2, 2], depth: Int = 2, dropout: Double = 0) -> ModelConfig {
        var config = ModelConfig(architecture: .unet, dimension: image.dimension, width: width, depth: depth, timeEmbedding: width,
                                 normalization: .group, groups: 8, dropout: dropout)
        config.image = image
        config.channelMultipliers = multipliers
        return config
    }

    /// Throws `MongeError.invalidArgument` naming the first field out of range.
    public func validate() throws {
        func fail(_ name: String, _ message: String) -> MongeError { .invalidArgument(name: name, message: message) }
        guard dimension >= 1 else { throw fail("dimension", "must be at least 1, got \(dimension)") }
        guard width >= 1 else { throw fail("width", "must be at least 1, got \(width)") }
        guard timeEmbedding >= 2, timeEmbedding % 2 == 0 else {
            throw fail("time embedding", "must be an even number ≥ 2, got \(timeEmbedding)")
        }
        guard negativeSlope.isFinite, negativeSlope >= 0 else {
            throw fail("negative slope", "must be finite and ≥ 0, got \(negativeSlope)")
        }
        guard dropout.isFinite, dropout >= 0, dropout < 1 else { throw fail("dropout", "must be in [0, 1), got \(dropout)") }
        switch architecture {
        case .mlp:
            guard depth >= 1 else { throw fail("depth", "the mlp needs at least 1 hidden layer, got \(depth)") }
            guard dropout == 0 else { throw fail("dropout", "is only supported by the residual, ddib-unet and unet architectures") }
        case .unet:
            guard let image else { throw fail("image", "a unet needs the image shape (channels, height, width)") }
            guard image.channels >= 1, image.height >= 1, image.width >= 1 else {
                throw fail("image", "channels, height and width must be at least 1, got \(image)")
            }
            guard dimension == image.dimension else {
                throw fail("dimension", "must be the image's C·H·W = \(image.dimension), got \(dimension)")
            }
            guard let multipliers = channelMultipliers, !multipliers.isEmpty, multipliers.allSatisfy({ $0 >= 1 }) else {
                throw fail("channel multipliers", "a unet needs at least one level, each multiplier ≥ 1")
            }
            let factor = 1 << (multipliers.count - 1)
            guard image.height % factor == 0 || multipliers.count == 1, image.width % factor == 0 || multipliers.count == 1 else {
                throw fail("image", "\(multipliers.count) levels halve the image \(multipliers.count - 1) times: height and width must be multiples of \(factor), got \(image)")
            }
            guard depth >= 1 else { throw fail("depth", "a unet needs at least 1 residual block per level, got \(depth)") }
            guard normalization == .group, groups >= 1, multipliers.allSatisfy({ (width * $0) % groups == 0 }) else {
                throw fail("groups", "a unet uses group norm; \(groups) groups must divide every level's channels \(multipliers.map { width * $0 })")
            }
        case .residual, .ddibUNet:
            guard depth >= 0 else {
                throw fail("depth", architecture == .residual ? "must be ≥ 0 residual blocks, got \(depth)"
                           : "must be ≥ 0 residual blocks on each side of the U, got \(depth)")
            }
            if normalization == .group {
                guard groups >= 1, width % groups == 0 else {
                    throw fail("groups", "must divide the width \(width), got \(groups)")
                }
                guard width / groups >= Self.minimumFeaturesPerGroup else {
                    throw fail("groups", "\(groups) groups of width \(width) hold \(width / groups) feature(s) each; "
                               + "GroupNorm needs at least \(Self.minimumFeaturesPerGroup) per group "
                               + "(one normalises to a constant, two to ±1, and the network cannot learn); "
                               + "use at most \(width / Self.minimumFeaturesPerGroup) group(s), e.g. \(Self.defaultGroups(width: width))")
                }
            }
        }
    }

    /// Groups used by the norm kernels: 1 for layer norm.
    var normGroups: Int { normalization == .layer ? 1 : groups }
}
