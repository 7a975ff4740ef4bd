/// The shape and loss weights of an image MUNIT (Huang et al., ECCV 2018) scaled to a small CPU,
/// saved as JSON beside its weights.
///
/// Per domain: a content encoder (a 3×3 convolution, `downsamplings` stride-2 convolutions that
/// double the channels, `residualBlocks` residual blocks; instance norm and ReLU throughout), a
/// style encoder (convolutions without norm, one more down-sampling, global average pooling, a
/// linear map to the `style`-d code), a decoder (AdaIN residual blocks whose γ, β come from an MLP of
/// the style code, nearest ×2 up-sampling + 3×3 convolution + layer norm + ReLU, a 3×3
/// convolution and tanh) and a patch discriminator (stride-2 3×3 convolutions with LeakyReLU 0.2,
/// a 1×1 convolution to one LSGAN score per patch). MUNIT's 7×7 and 4×4 kernels become 3×3 (the
/// image path's convolution), its three discriminator scales one.
public struct ImageMUNITConfig: Codable, Equatable, Sendable {
    /// The images, C×H×W; H and W must be divisible by 2^downsamplings.
    public var image: ImageShape
    /// Channels of the first convolution (doubled at each down-sampling).
    public var channels: Int
    public var downsamplings: Int
    public var residualBlocks: Int
    /// The style code's dimension (8 in MUNIT).
    public var style: Int
    /// Hidden width and layers of the MLP s ↦ (γ, β).
    public var mlpWidth: Int
    public var mlpDepth: Int
    /// Channels of the discriminator's first convolution (doubled at its second).
    public var discriminatorChannels: Int
    /// Stride-2 convolutions of the discriminator.
    public var discriminatorDownsamplings: Int
    public var weights: MUNITLossWeights

    public init(image: ImageShape, channels: Int = 16, downsamplings: Int = 1, residualBlocks: Int = 2, style: Int = 8,
                mlpWidth: Int = 64, mlpDepth: Int = 2, discriminatorChannels: Int = 16, discriminatorDownsamplings: Int = 2,
                weights: MUNITLossWeights = MUNITLossWeights()) {
        self.image = image
        self.channels = channels
        self.downsamplings = downsamplings
        self.residualBlocks = residualBlocks
        self.style = style
        self.mlpWidth = mlpWidth
        self.mlpDepth = mlpDepth
        self.discriminatorChannels = discriminatorChannels
        self.discriminatorDownsamplings = discriminatorDownsamplings
        self.weights = weights
    }

    /// Channels of the content code.
    public var contentChannels: Int { channels << downsamplings }
    /// Height and width of the content code.
    public var contentSize: (height: Int, width: Int) { (image.height >> downsamplings, image.width >> downsamplings) }

    /// Throws `MongeError.invalidArgument` naming the first field out of range.
    public func validate() throws {
        func fail(_ name: String, _ message: String) -> MongeError { .invalidArgument(name: name, message: message) }
        guard (0...3).contains(downsamplings) else { throw fail("downsamplings", "must be 0…3, got \(downsamplings)") }
        let step = 1 << downsamplings
        guard image.channels >= 1, image.height >= 2 * step, image.width >= 2 * step,
              image.height % step == 0, image.width % step == 0 else {
            throw fail("image", "must have ≥ 1 channel and sides divisible by 2^downsamplings = \(step) (at least \(2 * step)), got \(image)")
        }
        guard channels >= 1 else { throw fail("channels", "must be at least 1, got \(channels)") }
        guard residualBlocks >= 1 else { throw fail("residual blocks", "must be at least 1 (AdaIN lives in them), got \(residualBlocks)") }
        guard style >= 1 else { throw fail("style", "must be at least 1, got \(style)") }
        guard mlpWidth >= 1, mlpDepth >= 1 else { throw fail("mlp", "width and depth must be at least 1, got \(mlpWidth), \(mlpDepth)") }
        guard discriminatorChannels >= 1 else { throw fail("discriminator channels", "must be at least 1, got \(discriminatorChannels)") }
        guard (1...4).contains(discriminatorDownsamplings) else {
            throw fail("discriminator downsamplings", "must be 1…4, got \(discriminatorDownsamplings)")
        }
        try weights.validate()
    }
}
