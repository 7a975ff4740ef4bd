/// 25 isotropic Gaussians on the 5×5 grid {−2, −1, 0, 1, 2}·spacing (default {−4,−2,0,2,4}²),
/// std 0.05: the Diffusion-GAN / PacGAN mode-collapse toy.
///
/// Point i belongs to mode i % 25 (round-robin, as `anchors/common.py`), so every prefix has
/// equal counts per mode (±1). Mode k has centre (grid[k / 5], grid[k % 5]) (numpy's
/// `meshgrid(…, indexing="ij")` order). Row i depends on i only: prefix-stable.
public struct Gaussians25: Dataset2D {
    public static let name = "gaussians25"
    public static let summary = "25 Gaussians on the grid {-4,-2,0,2,4}^2 (Diffusion-GAN toy); point i in mode i % 25"
    public static let parameterSpecs = [
        DatasetParameter("std", default: 0.05, "standard deviation of each mode", range: 0...1e6),
        DatasetParameter("spacing", default: 2, "distance between neighbouring centres", range: 0...1e6),
    ]

    public var std: Double
    public var spacing: Double

    public init(std: Double = 0.05, spacing: Double = 2) {
        self.std = std
        self.spacing = spacing
    }

    public init(validated values: [String: Double]) {
        self.init(std: values["std"]!, spacing: values["spacing"]!)
    }

    public var parameterValues: [String: Double] { ["std": std, "spacing": spacing] }
    public var isPrefixStable: Bool { true }

    /// The centre of mode k (0..<25).
    public func centre(ofMode k: Int) -> (Double, Double) {
        (spacing * Double(k / 5 - 2), spacing * Double(k % 5 - 2))
    }

    /// The 25 centres as a [25, 2] matrix, in mode order.
    public var centres: Matrix<Double> {
        Matrix(rows: 25, columns: 2) { k, j in j == 0 ? centre(ofMode: k).0 : centre(ofMode: k).1 }
    }

    public func generate(n: Int, random: RandomStream) -> Matrix<Double> {
        PointGeneration.pointwise(n) { i in
            let (cx, cy) = centre(ofMode: i % 25)
            let (z0, z1) = random.normalPair(UInt64(i))
            return (cx + std * z0, cy + std * z1)
        }
    }
}
