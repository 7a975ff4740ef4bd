import Foundation
import MongeCore
import MongeData

/// The 2-D distributions of TorchCFM's experiments (`torchcfm/utils.py`), for its pairs
/// N(0, I) → 8-Gaussians and moons → 8-Gaussians.
///
/// - `normal`: N(0, I₂).
/// - `8gaussians`: `eight_normal_sample(n, 2, scale=5, var=0.1)` — centres at radius 5, angles kπ/4,
///   covariance √0.1·I (torch's `MultivariateNormal(0, sqrt(var)·I)` takes a covariance, so the std
///   is 0.1^¼ ≈ 0.562). Monge's `Gaussians8(radius: 5, std: 0.1^¼)`: modes round-robin instead of
///   multinomial (the same mixture, stratified counts).
/// - `moons`: torchdyn's `generate_moons(n, noise=0.2)`·3 − 1: sklearn's two half circles (outer
///   then inner, unshuffled) plus one U[0, 0.2) draw per point added to *both* coordinates, then ×3 − 1.
public enum TorchCFMData: String, CaseIterable, Sendable {
    case normal
    case gaussians8 = "8gaussians"
    case moons

    /// Parses `torchcfm:NAME`.
    public init(spec: String) throws {
        let name = spec.hasPrefix("torchcfm:") ? String(spec.dropFirst(9)) : spec
        guard let value = TorchCFMData(rawValue: name) else {
            throw MongeError.invalidArgument(name: "data", message: "unknown TorchCFM distribution '\(name)'; known: \(TorchCFMData.allCases.map { "torchcfm:" + $0.rawValue }.joined(separator: ", "))")
        }
        self = value
    }

    public static let eightGaussians = Gaussians8(radius: 5, std: pow(0.1, 0.25))

    /// n points, a pure function of (n, seed).
    public func sample(n: Int, seed: UInt64) throws -> Matrix<Double> {
        guard n > 0 else { throw MongeError.invalidArgument(name: "n", message: "the number of points must be positive, got \(n)") }
        let random = RandomStream(seed: seed, stream: StreamTag.torchCFMData).substream(UInt64(TorchCFMData.allCases.firstIndex(of: self)!))
        switch self {
        case .normal:
            return random.normalMatrix(rows: n, columns: 2)
        case .gaussians8:
            return try TorchCFMData.eightGaussians.sample(n: n, seed: seed)
        case .moons:
            return Matrix(rows: n, columns: 2) { i, k in
                let (x, y) = Moons.curvePoint(i, n: n)
                let shift = 0.2 * random.uniform(UInt64(i))
                return 3 * ((k == 0 ? x : y) + shift) - 1
            }
        }
    }
}
