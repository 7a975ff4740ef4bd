/// DDIB's Parallel Rings ("Olympic rings" in its code): three unit circles centred at
/// x = −2.8, 0, 2.8 (spacing 2.8), uniform angle, radial jitter ±width/2 (±0.25), equal counts,
/// normalised by one scalar mean and std. See `Outlines`. Prefix-stable unless `normalize=1`.
public struct ParallelRings: Dataset2D {
    public static let name = "parallel-rings"
    public static let summary = "DDIB parallel rings: unit rings at x = -2.8, 0, 2.8, jitter +-0.25, normalised"
    public static let parameterSpecs = [
        DatasetParameter("count", default: 3, "number of rings, centred symmetrically about x = 0", range: 1...100, integer: true),
        DatasetParameter("radius", default: 1, "radius of every ring", range: 0...1e6),
        DatasetParameter("spacing", default: 2.8, "distance between neighbouring centres", range: 0...1e6),
        DatasetParameter("width", default: 0.5, "total width of the uniform radial jitter", range: 0...1e6),
        Normalization.spec(),
    ]

    public var count: Int
    public var radius: Double
    public var spacing: Double
    public var width: Double
    public var normalization: Normalization

    public init(count: Int = 3, radius: Double = 1, spacing: Double = 2.8, width: Double = 0.5,
                normalization: Normalization = .sample) {
        self.count = count
        self.radius = radius
        self.spacing = spacing
        self.width = width
        self.normalization = normalization
    }

    public init(validated values: [String: Double]) {
        self.init(count: Int(values["count"]!), radius: values["radius"]!, spacing: values["spacing"]!,
                  width: values["width"]!, normalization: Normalization(parameter: values["normalize"]!))
    }

    public var parameterValues: [String: Double] {
        ["count": Double(count), "radius": radius, "spacing": spacing, "width": width,
         "normalize": Double(normalization.rawValue)]
    }

    public var isPrefixStable: Bool { normalization != .sample }

    var outlines: Outlines {
        Outlines(shape: .circle, radii: Array(repeating: radius, count: max(count, 1)),
                 centresX: Outlines.parallelCentres(count: max(count, 1), spacing: spacing), width: width)
    }

    /// The raw construction's exact scalar mean and std over all coordinates.
    public var populationMoments: (mean: Double, std: Double) { outlines.populationMoments }

    public func generate(n: Int, random: RandomStream) throws -> Matrix<Double> {
        try normalization.apply(to: outlines.generate(n: n, random: random), dataset: Self.name) { populationMoments }
    }
}
