/// DDIB's Parallel Squares ("Olympic squares" in its code): three squares of half-side 1
/// centred at x = −3, 0, 3 (spacing 3), equal counts per square and edge, jitter ±width/2
/// (±0.25) of the half-side, normalised by one scalar mean and std. See `Outlines`.
/// Prefix-stable unless `normalize=1`.
public struct ParallelSquares: Dataset2D {
    public static let name = "parallel-squares"
    public static let summary = "DDIB parallel squares: unit squares at x = -3, 0, 3, jitter +-0.25, normalised"
    public static let parameterSpecs = [
        DatasetParameter("count", default: 3, "number of squares, centred symmetrically about x = 0", range: 1...100, integer: true),
        DatasetParameter("halfSide", default: 1, "half-side of every square", range: 0...1e6),
        DatasetParameter("spacing", default: 3, "distance between neighbouring centres", range: 0...1e6),
        DatasetParameter("width", default: 0.5, "total width of the uniform jitter of the half-side", range: 0...1e6),
        Normalization.spec(),
    ]

    public var count: Int
    public var halfSide: Double
    public var spacing: Double
    public var width: Double
    public var normalization: Normalization

    public init(count: Int = 3, halfSide: Double = 1, spacing: Double = 3, width: Double = 0.5,
                normalization: Normalization = .sample) {
        self.count = count
        self.halfSide = halfSide
        self.spacing = spacing
        self.width = width
        self.normalization = normalization
    }

    public init(validated values: [String: Double]) {
        self.init(count: Int(values["count"]!), halfSide: values["halfSide"]!, spacing: values["spacing"]!,
                  width: values["width"]!, normalization: Normalization(parameter: values["normalize"]!))
    }

    public var parameterValues: [String: Double] {
        ["count": Double(count), "halfSide": halfSide, "spacing": spacing, "width": width,
         "normalize": Double(normalization.rawValue)]
    }

    public var isPrefixStable: Bool { normalization != .sample }

    var outlines: Outlines {
        Outlines(shape: .square, radii: Array(repeating: halfSide, count: max(count, 1)),
                 centresX: Outlines.parallelCentres(count: max(count, 1), spacing: spacing), width: width)
    }

    /// The raw construction's exact scalar mean and std over all coordinates.
    public var populationMoments: (mean: Double, std: Double) { outlines.populationMoments }

    public func generate(n: Int, random: RandomStream) throws -> Matrix<Double> {
        try normalization.apply(to: outlines.generate(n: n, random: random), dataset: Self.name) { populationMoments }
    }
}
