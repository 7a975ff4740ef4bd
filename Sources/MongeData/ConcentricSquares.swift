/// DDIB's Concentric Squares: square outlines of half-sides 1, 2, 3 (k·spacing) about the
/// origin, uniform position along an edge, equal counts per square and per edge, uniform jitter
/// ±width/2 (±0.25) applied as a scale of the half-side, normalised by one scalar mean and std.
/// See `Outlines`. Prefix-stable unless `normalize=1`.
public struct ConcentricSquares: Dataset2D {
    public static let name = "concentric-squares"
    public static let summary = "DDIB concentric squares: half-sides 1,2,3, jitter +-0.25, equal counts, normalised"
    public static let parameterSpecs = [
        DatasetParameter("count", default: 3, "number of squares", range: 1...100, integer: true),
        DatasetParameter("spacing", default: 1, "square k (1-based) has half-side k*spacing", range: 0...1e6),
        DatasetParameter("width", default: 0.5, "total width of the uniform jitter of the half-side", range: 0...1e6),
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
        Outlines(shape: .square, radii: (1...max(count, 1)).map { Double($0) * spacing },
                 centresX: Array(repeating: 0, count: max(count, 1)), width: width)
    }

    /// The raw construction's exact scalar mean and std over all coordinates.
    public var populationMoments: (mean: Double, std: Double) { outlines.populationMoments }

    public func generate(n: Int, random: RandomStream) throws -> Matrix<Double> {
        try normalization.apply(to: outlines.generate(n: n, random: random), dataset: Self.name) { populationMoments }
    }
}
