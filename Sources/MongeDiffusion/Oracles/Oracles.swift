import Foundation

/// Ready-made oracle denoisers for MongeData's toy distributions, with their exact ε, so that the
/// exact DDIM flow of 25-Gaussians or 8-Gaussians needs no training.
public enum Oracles {
    /// 25-Gaussians: the 5×5 grid {−2, −1, 0, 1, 2}·spacing (default {−4, −2, 0, 2, 4}²), std 0.05,
    /// equal weights; mode k at (grid[k / 5], grid[k % 5]) as MongeData's `Gaussians25`.
    public static func gaussians25<S: MatrixScalar>(
        std: Double = 0.05, spacing: Double = 2, schedule: NoiseSchedule, as _: S.Type = S.self
    ) throws -> MixtureOracle<S> {
        let means = Matrix<Double>(rows: 25, columns: 2) { k, j in spacing * Double((j == 0 ? k / 5 : k % 5) - 2) }
        return try MixtureOracle(means: means, std: Array(repeating: std, count: 25), schedule: schedule)
    }

    /// 8-Gaussians (WGAN-GP toy): centres radius·(cos 2πk/8, sin 2πk/8), radius 2, std 0.02,
    /// equal weights, as MongeData's `Gaussians8`.
    public static func gaussians8<S: MatrixScalar>(
        radius: Double = 2, std: Double = 0.02, schedule: NoiseSchedule, as _: S.Type = S.self
    ) throws -> MixtureOracle<S> {
        let means = Matrix<Double>(rows: 8, columns: 2) { k, j in
            let angle = 2 * Double.pi * Double(k) / 8
            return radius * (j == 0 ? cos(angle) : sin(angle))
        }
        return try MixtureOracle(means: means, std: Array(repeating: std, count: 8), schedule: schedule)
    }
}
