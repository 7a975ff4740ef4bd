/// The shape of a convolutional image classifier (`ConvClassifier`), saved as JSON beside its weights.
///
/// Three resolutions: `width` channels at H×W, 2·`width` at H/2 and 4·`width` at H/4 (two stride-2
/// convolutions), `depth` 3×3 blocks at each; global average pooling, a penultimate layer of
/// `features` units (the feature map of the Fréchet distance and of EGSDE's realism energy) and
/// `classes` logits. With `timeEmbedding` the network is time-dependent (EGSDE's domain
/// classifier on noisy images x_t): temb(t) feeds a projection added after every convolution.
public struct ConvClassifierConfig: Codable, Equatable, Sendable {
    /// The images, C×H×W with H, W ≥ 4 (a stride-2 convolution takes H to ⌈H/2⌉: 28 → 14 → 7, 14 → 7 → 4).
    public var image: ImageShape
    /// Channels at full resolution (doubled at each down-sampling).
    public var width: Int
    /// 3×3 convolution blocks per resolution (≥ 1; the first convolution of the input comes on top).
    public var depth: Int
    /// GroupNorm groups; must divide `width`.
    public var groups: Int
    /// Units of the penultimate (feature) layer.
    public var features: Int
    /// Output logits (≥ 2): 10 for Fashion-MNIST, 2 for a domain classifier (A = 0, B = 1).
    public var classes: Int
    /// Dimension of the sinusoidal time embedding (even); nil for a classifier of clean images.
    public var timeEmbedding: Int?
    /// The feature layer's input: the global average over the pixels of the last map (true), or
    /// the whole map flattened (false: keeps where things are; learns Fashion-MNIST faster).
    public var globalPooling: Bool

    public init(image: ImageShape, width: Int = 32, depth: Int = 1, groups: Int = 8, features: Int = 128, classes: Int = 10,
                timeEmbedding: Int? = nil, globalPooling: Bool = true) {
        self.image = image
        self.width = width
        self.depth = depth
        self.groups = groups
        self.features = features
        self.classes = classes
        self.timeEmbedding = timeEmbedding
        self.globalPooling = globalPooling
    }

    enum CodingKeys: String, CodingKey { case image, width, depth, groups, features, classes, timeEmbedding, globalPooling }

    /// Decodes a config; `globalPooling` defaults to true when absent.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        image = try c.decode(ImageShape.self, forKey: .image)
        width = try c.decode(Int.self, forKey: .width)
        depth = try c.decode(Int.self, forKey: .depth)
        groups = try c.decode(Int.self, forKey: .groups)
        features = try c.decode(Int.self, forKey: .features)
        classes = try c.decode(Int.self, forKey: .classes)
        timeEmbedding = try c.decodeIfPresent(Int.self, forKey: .timeEmbedding)
        globalPooling = try c.decodeIfPresent(Bool.self, forKey: .globalPooling) ?? true
    }

    /// Whether the network takes a timestep beside each image.
    public var isTimeDependent: Bool { timeEmbedding != nil }

    /// Throws `MongeError.invalidArgument` naming the first field out of range.
    public func validate() throws {
        func fail(_ name: String, _ message: String) -> MongeError { .invalidArgument(name: name, message: message) }
        guard image.channels >= 1, image.height >= 4, image.width >= 4 else {
            throw fail("image", "must have ≥ 1 channel and be at least 4×4 (two stride-2 down-samplings), got \(image)")
        }
        guard width >= 1 else { throw fail("width", "must be at least 1, got \(width)") }
        guard depth >= 1 else { throw fail("depth", "must be at least 1 block per resolution, got \(depth)") }
        guard groups >= 1, width % groups == 0 else {
            throw fail("groups", "must divide the width \(width), got \(groups)")
        }
        guard features >= 1 else { throw fail("features", "must be at least 1, got \(features)") }
        guard classes >= 2 else { throw fail("classes", "a classifier needs at least 2 classes, got \(classes)") }
        if let e = timeEmbedding {
            guard e >= 2, e % 2 == 0 else { throw fail("time embedding", "must be an even number ≥ 2, got \(e)") }
        }
    }
}
