import Foundation
import MongeCore

/// Realism of points against a Gaussian-mixture target with known modes, split in two (issue 12):
/// realism W2 mixes landing on a mode with landing on the right number of points per mode.
///
/// - on-mode precision: the fraction of points within 3σ of a mode centre (VEEGAN's
///   "high-quality"; for the target itself, 1 − e^{−9/2} ≈ 0.9889 in 2-D);
/// - mode balance: KL(q ‖ uniform) of the on-mode points' histogram over the modes (0 when
///   balanced, log K when every on-mode point is in one mode; nil without on-mode points).
///
/// Both come from `ModeCoverage` (the Diffusion-GAN metrics), which this only names and feeds.
public struct ModeRealism: Equatable, Sendable {
    /// On-mode points per mode, the fraction, and the KL.
    public let coverage: ModeCoverage

    public var precision: Double { coverage.highQualityFraction }
    public var balanceKL: Double? { coverage.reverseKL }
    public var modesCovered: Int { coverage.modesCovered }

    /// The modes of a target: centres [K, D] of equal isotropic components of std `std`.
    public struct Modes: Equatable, Sendable {
        public let centres: Matrix<Double>
        public let std: Double

        public init(centres: Matrix<Double>, std: Double) {
            self.centres = centres
            self.std = std
        }
    }

    /// Scores the rows of `points` against `modes`.
    ///
    /// - Throws: `MongeError` when the dimensions differ or σ is not positive.
    public init<S: MatrixScalar>(_ points: Matrix<S>, modes: Modes) throws {
        coverage = try ModeCoverage(samples: points, centres: modes.centres, std: modes.std)
    }
}
