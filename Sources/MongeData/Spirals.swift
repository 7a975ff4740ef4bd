import Foundation

/// Two interleaved spirals (FFJORD's "2spirals" construction): t = 2π·turns·√u, arm a point
/// scale·(−t cos t, t sin t), the other arm its negation, plus N(0, noise²). The √u spreads
/// points evenly along the growing arms. FFJORD also adds a uniform [0, 0.5) jitter before
/// scaling; here the only noise is the Gaussian one. Point i is on arm i % 2 (equal counts).
/// Prefix-stable.
public struct Spirals: Dataset2D {
    public static let name = "spirals"
    public static let summary = "two interleaved spirals (1.5 turns each), point i on arm i % 2, plus Gaussian noise"
    public static let parameterSpecs = [
        DatasetParameter("turns", default: 1.5, "turns of each arm", range: 0...1e3),
        DatasetParameter("scale", default: 1.0 / 3, "factor applied to the curve", range: -1e6...1e6),
        DatasetParameter("noise", default: 0.1, "std of the Gaussian noise (after scaling)", range: 0...1e6),
    ]

    public var turns: Double
    public var scale: Double
    public var noise: Double

    public init(turns: Double = 1.5, scale: Double = 1.0 / 3, noise: Double = 0.1) {
        self.turns = turns
        self.scale = scale
        self.noise = noise
    }

    public init(validated values: [String: Double]) {
        self.init(turns: values["turns"]!, scale: values["scale"]!, noise: values["noise"]!)
    }

    public var parameterValues: [String: Double] { ["turns": turns, "scale": scale, "noise": noise] }
    public var isPrefixStable: Bool { true }

    public func generate(n: Int, random: RandomStream) -> Matrix<Double> {
        let position = random.substream(1), noiseStream = random.substream(2)
        return PointGeneration.pointwise(n) { i in
            let t = 2 * Double.pi * turns * position.uniform(UInt64(i)).squareRoot()
            let sign: Double = i % 2 == 0 ? 1 : -1
            let (z0, z1) = noiseStream.normalPair(UInt64(i))
            return (sign * scale * -t * cos(t) + noise * z0, sign * scale * t * sin(t) + noise * z1)
        }
    }
}
