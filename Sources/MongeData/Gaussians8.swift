import Foundation

/// 8 isotropic Gaussians with centres evenly spaced on a circle: mode k at angle 2πk/8, radius 2,
/// std 0.02 — the WGAN-GP toy ("8gaussians", Gulrajani et al. 2017: centres at scale 2, noise
/// std 0.02), without that script's final division of the whole set by 1.414.
///
/// Point i belongs to mode i % 8 (round-robin: equal counts ±1). Prefix-stable.
public struct Gaussians8: Dataset2D {
    public static let name = "gaussians8"
    public static let summary = "8 Gaussians on a circle of radius 2, std 0.02 (WGAN-GP toy); point i in mode i % 8"
    public static let parameterSpecs = [
        DatasetParameter("radius", default: 2, "radius of the circle of centres", range: 0...1e6),
        DatasetParameter("std", default: 0.02, "standard deviation of each mode", range: 0...1e6),
    ]

    public var radius: Double
    public var std: Double

    public init(radius: Double = 2, std: Double = 0.02) {
        self.radius = radius
        self.std = std
    }

    public init(validated values: [String: Double]) {
        self.init(radius: values["radius"]!, std: values["std"]!)
    }

    public var parameterValues: [String: Double] { ["radius": radius, "std": std] }
    public var isPrefixStable: Bool { true }

    /// The centre of mode k (0..<8): radius·(cos 2πk/8, sin 2πk/8).
    public func centre(ofMode k: Int) -> (Double, Double) {
        let angle = 2 * Double.pi * Double(k) / 8
        return (radius * cos(angle), radius * sin(angle))
    }

    public func generate(n: Int, random: RandomStream) -> Matrix<Double> {
        PointGeneration.pointwise(n) { i in
            let (cx, cy) = centre(ofMode: i % 8)
            let (z0, z1) = random.normalPair(UInt64(i))
            return (cx + std * z0, cy + std * z1)
        }
    }
}
