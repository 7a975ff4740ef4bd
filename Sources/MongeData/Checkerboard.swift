import Foundation

/// DDIB's checkerboard: 8 filled unit cells of a 4×4 board on [−2, 2]², then normalised.
///
/// Point i: x₁ uniform on [−2, 2); x₂ = u − 2b + (⌊x₁⌋ mod 2) with u uniform on [0, 1) and b a
/// fair bit, so the column parity picks the filled cells (the recipe of DDIB's
/// `make_checkerboard`; DDIB also sorts x₁ for colouring, which only reorders rows — not done
/// here). Exact population moments: mean 0 and variance 4/3 in every coordinate.
/// Prefix-stable unless `normalize=1`.
public struct Checkerboard: Dataset2D {
    public static let name = "checkerboard"
    public static let summary = "DDIB checkerboard: 8 unit cells of a 4x4 board on [-2,2]^2, normalised by scalar mean/std"
    public static let parameterSpecs = [Normalization.spec()]

    public var normalization: Normalization

    public init(normalization: Normalization = .sample) {
        self.normalization = normalization
    }

    public init(validated values: [String: Double]) {
        self.init(normalization: Normalization(parameter: values["normalize"]!))
    }

    public var parameterValues: [String: Double] { ["normalize": Double(normalization.rawValue)] }
    public var isPrefixStable: Bool { normalization != .sample }

    /// The raw construction's exact scalar mean and std over all coordinates: (0, √(4/3)).
    public var populationMoments: (mean: Double, std: Double) { (0, (4.0 / 3).squareRoot()) }

    public func generate(n: Int, random: RandomStream) throws -> Matrix<Double> {
        let points = PointGeneration.pointwise(n) { i in
            let base = UInt64(3 * i)
            let x1 = 4 * random.uniform(base) - 2
            let bit = random.uniform(base + 1) < 0.5 ? 1.0 : 0.0
            let parity = Double(((Int(floor(x1)) % 2) + 2) % 2)
            let x2 = random.uniform(base + 2) - 2 * bit + parity
            return (x1, x2)
        }
        return try normalization.apply(to: points, dataset: Self.name) { populationMoments }
    }
}
