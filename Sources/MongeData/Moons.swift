import Foundation

/// Two interleaving half circles with scikit-learn's `make_moons` semantics.
///
/// With n_out = n / 2 and n_in = n − n_out, row j < n_out is the outer moon
/// (cos θ, sin θ), θ = π·j / (n_out − 1), and row n_out + k the inner moon
/// (1 − cos θ, 0.5 − sin θ), θ = π·k / (n_in − 1) (numpy `linspace(0, π, m)`); then
/// N(0, noise²) is added to every coordinate (noise 0: exactly on the curves), then the sample
/// is optionally normalised (`normalize=1`, DDIB's recipe), then mapped x ↦ scale·x + shift,
/// then its rows are shuffled (`shuffle=1`, sklearn's default). The `anchors/common.py` target is
/// `scale=3, shiftX=-1.5, shiftY=-0.75`. Not prefix-stable: the angles depend on n.
public struct Moons: Dataset2D {
    public static let name = "moons"
    public static let summary = "two moons, sklearn make_moons semantics (noise 0.05); x -> scale*x + shift"
    public static let parameterSpecs = [
        DatasetParameter("noise", default: 0.05, "std of the Gaussian noise added to each coordinate", range: 0...1e6),
        DatasetParameter("scale", default: 1, "factor applied after noise (and normalisation)", range: -1e6...1e6),
        DatasetParameter("shiftX", default: 0, "added to the first coordinate after scaling", range: -1e6...1e6),
        DatasetParameter("shiftY", default: 0, "added to the second coordinate after scaling", range: -1e6...1e6),
        DatasetParameter("shuffle", default: 1, "1 shuffles the rows (sklearn default), 0 keeps outer moon then inner", range: 0...1, integer: true),
        Normalization.spec(allowsExact: false, default: .none),
    ]

    public var noise: Double
    public var scale: Double
    public var shiftX: Double
    public var shiftY: Double
    public var shuffle: Bool
    public var normalization: Normalization

    public init(noise: Double = 0.05, scale: Double = 1, shiftX: Double = 0, shiftY: Double = 0,
                shuffle: Bool = true, normalization: Normalization = .none) {
        self.noise = noise
        self.scale = scale
        self.shiftX = shiftX
        self.shiftY = shiftY
        self.shuffle = shuffle
        self.normalization = normalization
    }

    public init(validated values: [String: Double]) {
        self.init(noise: values["noise"]!, scale: values["scale"]!, shiftX: values["shiftX"]!,
                  shiftY: values["shiftY"]!, shuffle: values["shuffle"]! != 0,
                  normalization: Normalization(parameter: values["normalize"]!))
    }

    public var parameterValues: [String: Double] {
        ["noise": noise, "scale": scale, "shiftX": shiftX, "shiftY": shiftY,
         "shuffle": shuffle ? 1 : 0, "normalize": Double(normalization.rawValue)]
    }

    public var isPrefixStable: Bool { false }

    /// The noiseless, unshuffled, unscaled point j of an n-point sample (the closed form).
    public static func curvePoint(_ j: Int, n: Int) -> (Double, Double) {
        let outer = n / 2, inner = n - outer
        if j < outer {
            let theta = outer > 1 ? Double.pi * Double(j) / Double(outer - 1) : 0
            return (cos(theta), sin(theta))
        }
        let k = j - outer
        let theta = inner > 1 ? Double.pi * Double(k) / Double(inner - 1) : 0
        return (1 - cos(theta), 0.5 - sin(theta))
    }

    public func generate(n: Int, random: RandomStream) throws -> Matrix<Double> {
        let noiseStream = random.substream(1)
        var points = PointGeneration.pointwise(n) { j in
            let (x, y) = Moons.curvePoint(j, n: n)
            guard noise > 0 else { return (x, y) }
            let (z0, z1) = noiseStream.normalPair(UInt64(j))
            return (x + noise * z0, y + noise * z1)
        }
        points = try normalization.apply(to: points, dataset: Self.name) { (0, 1) }
        points = PointGeneration.pointwise(n) { i in
            (scale * points[i, 0] + shiftX, scale * points[i, 1] + shiftY)
        }
        return shuffle ? PointGeneration.shuffled(points, random: random.substream(2)) : points
    }
}
