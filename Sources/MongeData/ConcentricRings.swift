/// DDIB's Concentric Rings: circles of radii 1, 2, 3 (k·spacing) about the origin, uniform
/// angle, uniform radial jitter ±width/2 (±0.25), equal counts per ring, normalised by one
/// scalar mean and std. See `Outlines` for the construction. Prefix-stable unless `normalize=1`.
public struct ConcentricRings: Dataset2D {
    public static let name = "concentric-rings"
    public static let summary = "DDIB concentric rings: radii 1,2,3, radial jitter +-0.25, equal counts, normalised"
    public static let parameterSpecs = [
        DatasetParameter("count", default: 3, "number of rings", range: 1...100, integer: true),
        DatasetParameter("spacing", default: 1, "ring k (1-based) has radius k*spacing", range: 0...1e6),
        DatasetParameter("width", default: 0.5, "total width of the uniform radial jitter", range: 0...1e6),
        Normalization.spec(),
    ]

    public var count: Int
    public var spacing: Double
    public var width: Double
    public var normalization: Normalization

    public init(count: Int = 3, spacing: Double = 1, width: Double = 0.5, normalization: Normalization = .sample) {
        self.count = count
        self.spacing = spacing
        self.width = width
        self.normalization = normalization
    }

    public init(validated values: [String: Double]) {
        self.init(count: Int(values["count"]!), spacing: values["spacing"]!, width: values["width"]!,
                  normalization: Normalization(parameter: values["normalize"]!))
    }

    public var parameterValues: [String: Double] {
        ["count": Double(count), "spacing": spacing, "width": width, "normalize": Double(normalization.rawValue)]
    }

    public var isPrefixStable: Bool { normalization != .sample }

    var outlines: Outlines {
        Outlines(shape: .circle, radii: (1...max(count, 1)).map { Double($0) * spacing },
                 centresX: Array(repeating: 0, count: max(count, 1)), width: width)
    }

    /// The raw construction's exact scalar mean and std over all coordinates.
    public var populationMoments: (mean: Double, std: Double) { outlines.populationMoments }

    public func generate(n: Int, random: RandomStream) throws -> Matrix<Double> {
        try normalization.apply(to: outlines.generate(n: n, random: random), dataset: Self.name) { populationMoments }
    }
}
