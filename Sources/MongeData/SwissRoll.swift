import Foundation

/// The 2-D Swiss roll: scikit-learn's `make_swiss_roll` curve t·(cos t, sin t) with
/// t = 1.5π(1 + 2u), u uniform (the (x, z) plane of the 3-D roll), scaled by 0.2 (the common
/// toy-diffusion normalisation, /5) plus N(0, noise²) in the scaled units. Prefix-stable.
public struct SwissRoll: Dataset2D {
    public static let name = "swiss-roll"
    public static let summary = "2-D Swiss roll: scale * t(cos t, sin t), t = 1.5pi(1 + 2u), plus Gaussian noise"
    public static let parameterSpecs = [
        DatasetParameter("scale", default: 0.2, "factor applied to the curve", range: -1e6...1e6),
        DatasetParameter("noise", default: 0.1, "std of the Gaussian noise (after scaling)", range: 0...1e6),
    ]

    public var scale: Double
    public var noise: Double

    public init(scale: Double = 0.2, noise: Double = 0.1) {
        self.scale = scale
        self.noise = noise
    }

    public init(validated values: [String: Double]) {
        self.init(scale: values["scale"]!, noise: values["noise"]!)
    }

    public var parameterValues: [String: Double] { ["scale": scale, "noise": noise] }
    public var isPrefixStable: Bool { true }

    public func generate(n: Int, random: RandomStream) -> Matrix<Double> {
        let position = random.substream(1), noiseStream = random.substream(2)
        return PointGeneration.pointwise(n) { i in
            let t = 1.5 * Double.pi * (1 + 2 * position.uniform(UInt64(i)))
            let (z0, z1) = noiseStream.normalPair(UInt64(i))
            return (scale * t * cos(t) + noise * z0, scale * t * sin(t) + noise * z1)
        }
    }
}
