import Foundation
import MongeEvaluation
import Testing

/// Mode coverage of 25-Gaussians samples (the GAN papers' metric) on constructed samples with known counts.
@Suite("Mode coverage")
struct ModeCoverageTests {
    static var grid: Matrix<Double> {
        Matrix(rows: 25, columns: 2) { k, j in 2.0 * Double((j == 0 ? k / 5 : k % 5) - 2) }
    }

    @Test func modeCoverageOnConstructedSamples() throws {
        let grid = Self.grid, std = 0.05
        // Four points per mode, each within 3σ = 0.15 (offsets up to 0.14 along one axis or 0.1 diagonally).
        let offsets = [(0.14, 0.0), (0.0, -0.14), (0.1, 0.1), (-0.1, -0.1)]
        let all = Matrix<Double>(rows: 100, columns: 2) { i, j in
            grid[i % 25, j] + (j == 0 ? offsets[i / 25].0 : offsets[i / 25].1)
        }
        let full = try ModeCoverage(samples: all, centres: grid, std: std)
        #expect(full.modesCovered == 25 && full.highQualityFraction == 1 && full.reverseKL == 0)
        // One mode only: KL = log 25.
        let one = Matrix<Double>(rows: 40, columns: 2) { i, j in grid[7, j] + 0.01 * Double(i % 3) }
        let collapsed = try ModeCoverage(samples: one, centres: grid, std: std)
        #expect(collapsed.modesCovered == 1 && collapsed.counts[7] == 40)
        #expect(abs(collapsed.reverseKL! - log(25)) < 1e-12)
        // Off-grid points (midway between centres, or just outside 3σ): nothing is high-quality.
        let off = Matrix<Double>(rows: 3, columns: 2) { i, j in [[1.0, 1.0], [0.16, 0.0], [-4.0, 3.0]][i][j] }
        let none = try ModeCoverage(samples: off, centres: grid, std: std)
        #expect(none.modesCovered == 0 && none.highQualityFraction == 0 && none.reverseKL == nil)
        // Two modes 3:1 plus two off-grid points: q = (3/4, 1/4), KL = log 25 − H(q), 4 of 6 high-quality.
        let mixed = Matrix<Double>(rows: 6, columns: 2) { i, j in
            [[0.0, 0.0], [0.05, 0.0], [0.0, 0.05], [4.0, 4.0], [1.0, 0.0], [9.0, 9.0]][i][j]
        }
        let m = try ModeCoverage(samples: mixed, centres: grid, std: std)
        let h = -(0.75 * log(0.75) + 0.25 * log(0.25))
        #expect(m.modesCovered == 2 && m.highQuality == 4 && abs(m.highQualityFraction - 4.0 / 6) < 1e-15)
        #expect(abs(m.reverseKL! - (log(25) - h)) < 1e-12)
        #expect(throws: MongeError.self) { try ModeCoverage(samples: Matrix<Double>(rows: 1, columns: 3), centres: grid, std: std) }
    }
}
