/// The shape and loss weights of a 2-D MUNIT (Huang, Liu, Belongie & Kautz, ECCV 2018), saved as
/// JSON beside its weights.
///
/// Per domain: a content encoder x ↦ c on the unit sphere of R^content (the unit circle for a 2-D
/// code, so an angle-like content is periodic), a style encoder x ↦ s ∈ R^style with prior
/// N(0, I), a `StyleDecoder` (c, s) ↦ x, and an MLP discriminator with one LSGAN output.
/// MUNIT's generator uses ReLU and its discriminator LeakyReLU 0.2; so do the defaults.
public struct MUNITConfig: Codable, Equatable, Sendable {
    public var dimension: Int
    public var content: Int
    public var style: Int
    public var width: Int
    /// Hidden layers of the content and style encoders.
    public var encoderDepth: Int
    /// Modulated hidden layers of the decoder.
    public var decoderDepth: Int
    /// Width and hidden layers of the style MLP that produces (γ, β).
    public var styleMLPWidth: Int
    public var styleMLPDepth: Int
    public var discriminatorWidth: Int
    public var discriminatorDepth: Int
    public var activation: Activation
    public var discriminatorActivation: Activation
    public var negativeSlope: Double
    public var weights: MUNITLossWeights

    public init(dimension: Int = 2, content: Int = 2, style: Int = 2, width: Int = 64, encoderDepth: Int = 2,
                decoderDepth: Int = 3, styleMLPWidth: Int = 64, styleMLPDepth: Int = 2,
                discriminatorWidth: Int = 64, discriminatorDepth: Int = 3,
                activation: Activation = .relu, discriminatorActivation: Activation = .leakyReLU, negativeSlope: Double = 0.2,
                weights: MUNITLossWeights = MUNITLossWeights()) {
        self.dimension = dimension
        self.content = content
        self.style = style
        self.width = width
        self.encoderDepth = encoderDepth
        self.decoderDepth = decoderDepth
        self.styleMLPWidth = styleMLPWidth
        self.styleMLPDepth = styleMLPDepth
        self.discriminatorWidth = discriminatorWidth
        self.discriminatorDepth = discriminatorDepth
        self.activation = activation
        self.discriminatorActivation = discriminatorActivation
        self.negativeSlope = negativeSlope
        self.weights = weights
    }

    var contentEncoder: PerceptronConfig {
        PerceptronConfig(inputs: dimension, outputs: content, width: width, depth: encoderDepth, activation: activation, negativeSlope: negativeSlope)
    }

    var styleEncoder: PerceptronConfig {
        PerceptronConfig(inputs: dimension, outputs: style, width: width, depth: encoderDepth, activation: activation, negativeSlope: negativeSlope)
    }

    var decoder: StyleDecoderConfig {
        StyleDecoderConfig(content: content, style: style, outputs: dimension, width: width, depth: decoderDepth,
                           styleWidth: styleMLPWidth, styleDepth: styleMLPDepth, activation: activation, negativeSlope: negativeSlope)
    }

    var discriminator: PerceptronConfig {
        PerceptronConfig(inputs: dimension, outputs: 1, width: discriminatorWidth, depth: discriminatorDepth,
                         activation: discriminatorActivation, negativeSlope: negativeSlope)
    }

    /// Throws `MongeError.invalidArgument` naming the first field out of range.
    public func validate() throws {
        guard content >= 2 else {
            throw MongeError.invalidArgument(name: "content", message: "the content code lives on a unit sphere and needs at least 2 dimensions, got \(content)")
        }
        guard style >= 1 else { throw MongeError.invalidArgument(name: "style", message: "must be at least 1, got \(style)") }
        try contentEncoder.validate("content encoder")
        try styleEncoder.validate("style encoder")
        try decoder.validate("decoder")
        try discriminator.validate("discriminator")
        try weights.validate()
    }
}

/// MUNIT's loss weights (the paper and its configs): adversarial 1, image reconstruction 10,
/// content and style reconstruction 1 each, cycle reconstruction 0 (optional).
public struct MUNITLossWeights: Codable, Equatable, Sendable {
    public var adversarial: Double
    public var image: Double
    public var content: Double
    public var style: Double
    public var cycle: Double

    public init(adversarial: Double = 1, image: Double = 10, content: Double = 1, style: Double = 1, cycle: Double = 0) {
        self.adversarial = adversarial
        self.image = image
        self.content = content
        self.style = style
        self.cycle = cycle
    }

    public func validate() throws {
        for (name, value) in [("adversarial", adversarial), ("image", image), ("content", content), ("style", style), ("cycle", cycle)] {
            guard value.isFinite, value >= 0 else {
                throw MongeError.invalidArgument(name: "\(name) weight", message: "must be finite and ≥ 0, got \(value)")
            }
        }
    }
}
