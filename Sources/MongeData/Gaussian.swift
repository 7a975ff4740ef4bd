/// One Gaussian N(mean, diag(stdX², stdY²)): the case with closed-form diffusion scores and a
/// closed-form (affine) optimal transport map, for checking samplers and bridges.
///
/// Row i = mean + (stdX·z₂ᵢ, stdY·z₂ᵢ₊₁) with z the dataset's normal stream. Prefix-stable.
public struct Gaussian: Dataset2D {
    public static let name = "gaussian"
    public static let summary = "a single Gaussian N((meanX, meanY), diag(stdX^2, stdY^2))"
    public static let parameterSpecs = [
        DatasetParameter("meanX", default: 0, "mean of the first coordinate", range: -1e6...1e6),
        DatasetParameter("meanY", default: 0, "mean of the second coordinate", range: -1e6...1e6),
        DatasetParameter("stdX", default: 1, "standard deviation of the first coordinate", range: 0...1e6),
        DatasetParameter("stdY", default: 1, "standard deviation of the second coordinate", range: 0...1e6),
    ]

    public var meanX: Double
    public var meanY: Double
    public var stdX: Double
    public var stdY: Double

    public init(meanX: Double = 0, meanY: Double = 0, stdX: Double = 1, stdY: Double = 1) {
        self.meanX = meanX
        self.meanY = meanY
        self.stdX = stdX
        self.stdY = stdY
    }

    public init(validated values: [String: Double]) {
        self.init(meanX: values["meanX"]!, meanY: values["meanY"]!, stdX: values["stdX"]!, stdY: values["stdY"]!)
    }

    public var parameterValues: [String: Double] { ["meanX": meanX, "meanY": meanY, "stdX": stdX, "stdY": stdY] }
    public var isPrefixStable: Bool { true }

    public func generate(n: Int, random: RandomStream) -> Matrix<Double> {
        PointGeneration.pointwise(n) { i in
            let (z0, z1) = random.normalPair(UInt64(i))
            return (meanX + stdX * z0, meanY + stdY * z1)
        }
    }
}
