import Foundation

/// The mode-collapse metrics of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018),
/// as used by Diffusion-GAN on 25-Gaussians.
///
/// Definitions (exactly what is computed):
/// - a sample is high-quality when its Euclidean distance to the nearest centre is ≤ 3σ
///   (σ the std of each mode); it then belongs to that centre's mode;
/// - a mode is covered when it receives at least one high-quality sample;
/// - the reverse KL is KL(q ‖ u) = Σ_k q_k log(q_k · K) with q the histogram of the
///   high-quality samples over the K modes (normalised over high-quality samples only) and u
///   uniform; terms with q_k = 0 count 0. It is 0 for a perfectly balanced histogram and log K
///   when every high-quality sample falls in one mode; nil when there is no high-quality sample.
public struct ModeCoverage: Codable, Equatable, Sendable {
    /// High-quality samples per mode, in the order of the centres.
    public let counts: [Int]
    /// The number of samples evaluated.
    public let samples: Int

    public var modes: Int { counts.count }
    public var highQuality: Int { counts.reduce(0, +) }
    /// Modes with at least one high-quality sample.
    public var modesCovered: Int { counts.filter { $0 > 0 }.count }
    /// The fraction (0…1) of samples that are high-quality.
    public var highQualityFraction: Double { samples == 0 ? 0 : Double(highQuality) / Double(samples) }

    /// KL(q ‖ uniform) of the high-quality mode histogram, nil without high-quality samples.
    public var reverseKL: Double? {
        let total = Double(highQuality)
        guard total > 0 else { return nil }
        let k = Double(modes)
        return counts.reduce(0.0) { sum, c in
            guard c > 0 else { return sum }
            let q = Double(c) / total
            return sum + q * log(q * k)
        }
    }

    public init(counts: [Int], samples: Int) {
        self.counts = counts
        self.samples = samples
    }

    /// Evaluates the rows of `samples` against the mode `centres` ([K, D]) of std `std`.
    public init<S: MatrixScalar>(samples: Matrix<S>, centres: Matrix<Double>, std: Double) throws {
        guard samples.columns == centres.columns else {
            throw MongeError.shapeMismatch("the samples have \(samples.columns) columns, the centres \(centres.columns)")
        }
        guard centres.rows >= 1 else { throw MongeError.invalidArgument(name: "centres", message: "need at least one mode") }
        guard std.isFinite, std > 0 else { throw MongeError.invalidArgument(name: "std", message: "must be positive, got \(std)") }
        let radius2 = 9 * std * std
        var counts = [Int](repeating: 0, count: centres.rows)
        for i in 0..<samples.rows {
            var best = Double.infinity, mode = -1
            for k in 0..<centres.rows {
                var d2 = 0.0
                for j in 0..<samples.columns {
                    let e = Double(samples[i, j]) - centres[k, j]
                    d2 += e * e
                }
                if d2 < best { best = d2; mode = k }
            }
            if best <= radius2 { counts[mode] += 1 }  // NaN rows fail the comparison: not high-quality.
        }
        self.init(counts: counts, samples: samples.rows)
    }
}
