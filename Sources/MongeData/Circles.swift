import Foundation

/// Two concentric circles with scikit-learn's `make_circles` semantics.
///
/// With n_out = n / 2 and n_in = n − n_out, row j < n_out is (cos θ, sin θ), θ = 2π·j / n_out,
/// and row n_out + k is factor·(cos θ, sin θ), θ = 2π·k / n_in (`linspace(…, endpoint=False)`);
/// then N(0, noise²) on every coordinate, then x ↦ scale·x, then a shuffle of the rows
/// (`shuffle=1`, sklearn's default). sklearn's default noise is none; here 0.05 so that the set
/// is a distribution with a density. Not prefix-stable: the angles depend on n.
public struct Circles: Dataset2D {
    public static let name = "circles"
    public static let summary = "two concentric circles, sklearn make_circles semantics (factor 0.8, noise 0.05)"
    public static let parameterSpecs = [
        DatasetParameter("factor", default: 0.8, "radius of the inner circle (the outer has radius 1)", range: 0...1),
        DatasetParameter("noise", default: 0.05, "std of the Gaussian noise added to each coordinate", range: 0...1e6),
        DatasetParameter("scale", default: 1, "factor applied after the noise", range: -1e6...1e6),
        DatasetParameter("shuffle", default: 1, "1 shuffles the rows (sklearn default), 0 keeps outer then inner", range: 0...1, integer: true),
    ]

    public var factor: Double
    public var noise: Double
    public var scale: Double
    public var shuffle: Bool

    public init(factor: Double = 0.8, noise: Double = 0.05, scale: Double = 1, shuffle: Bool = true) {
        self.factor = factor
        self.noise = noise
        self.scale = scale
        self.shuffle = shuffle
    }

    public init(validated values: [String: Double]) {
        self.init(factor: values["factor"]!, noise: values["noise"]!, scale: values["scale"]!,
                  shuffle: values["shuffle"]! != 0)
    }

    public var parameterValues: [String: Double] {
        ["factor": factor, "noise": noise, "scale": scale, "shuffle": shuffle ? 1 : 0]
    }

    public var isPrefixStable: Bool { false }

    /// The noiseless, unshuffled, unscaled point j of an n-point sample.
    public func curvePoint(_ j: Int, n: Int) -> (Double, Double) {
        let outer = n / 2, inner = n - outer
        if j < outer {
            let theta = 2 * Double.pi * Double(j) / Double(outer)
            return (cos(theta), sin(theta))
        }
        let theta = 2 * Double.pi * Double(j - outer) / Double(inner)
        return (factor * cos(theta), factor * sin(theta))
    }

    public func generate(n: Int, random: RandomStream) -> Matrix<Double> {
        let noiseStream = random.substream(1)
        let points = PointGeneration.pointwise(n) { j in
            let (x, y) = curvePoint(j, n: n)
            let (z0, z1) = noise > 0 ? noiseStream.normalPair(UInt64(j)) : (0, 0)
            return (scale * (x + noise * z0), scale * (y + noise * z1))
        }
        return shuffle ? PointGeneration.shuffled(points, random: random.substream(2)) : points
    }
}
