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
public struct ModelConfig: Codable, Equatable, Sendable {
    public enum Architecture: String, Codable, Sendable, CaseIterable {
        case mlp
        case residual
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
    /// Hidden layers (`mlp`) or residual blocks (`residual`).
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
    /// Dropout rate before the second linear layer of each residual block (`residual` only).
    public var dropout: Double

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

    /// Fewest features a group may hold: a group of one feature normalises to the constant β, and a
    /// group of two to ±1 (a sign, whose gradient vanishes), so either trains a dead network.
    public static let minimumFeaturesPerGroup = 3

    /// GroupNorm32 as DDIB, but never thinner than 8 features per group: the largest divisor g ≤ 32
    /// of the width with width / g ≥ 8 (256 → 32, 128 → 16, 32 → 4), and 1 (a layer norm) below 16.
    public static func defaultGroups(width: Int) -> Int {
        (1...32).last { g in width % g == 0 && width / g >= 8 } ?? 1
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
            guard dropout == 0 else { throw fail("dropout", "is only supported by the residual architecture") }
        case .residual:
            guard depth >= 0 else { throw fail("depth", "must be ≥ 0 residual blocks, got \(depth)") }
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
