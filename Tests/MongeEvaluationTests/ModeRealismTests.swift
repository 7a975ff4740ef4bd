import Foundation
import MongeEvaluation
import MongeData
import MongeDiffusion
import Testing

/// The realism split (on-mode precision, mode balance) on constructed points with known answers,
/// and the modes read from the oracles.
@Suite("Mode realism")
struct ModeRealismTests {
    static let modes = try! ModeRealism.Modes(model: ModelSpec(parsing: "oracle:gaussians8"))!

    @Test func modesAreTheOraclesAndTheDatasets() throws {
        let m = Self.modes
        #expect(m.std == 0.02 && m.centres.rows == 8 && m.centres.columns == 2)
        let data = Gaussians8()
        for k in 0..<8 {
            let (cx, cy) = data.centre(ofMode: k)
            #expect(abs(m.centres[k, 0] - cx) < 1e-15 && abs(m.centres[k, 1] - cy) < 1e-15)
        }
        let wide = try #require(try ModeRealism.Modes(model: ModelSpec(parsing: "oracle:gaussians8:radius=3:std=0.1")))
        #expect(wide.std == 0.1 && abs(wide.centres[2, 1] - 3) < 1e-15)
        let grid = try #require(try ModeRealism.Modes(model: ModelSpec(parsing: "oracle:gaussians25")))
        #expect(grid.centres == Gaussians25().centres && grid.std == 0.05)
        #expect(try ModeRealism.Modes(model: ModelSpec(parsing: "oracle:gaussian:mean=0,0")) == nil)
        #expect(try ModeRealism.Modes(model: ModelSpec(parsing: "some/checkpoint")) == nil)
    }

    /// Counts (4, 2, 1, 1, 0, 0, 0, 0) on modes plus 2 off: precision 8/10 and
    /// KL = ½ log 4 + ¼ log 2 + 2 · ⅛ log 1 = 1.25 log 2. A point 2.9σ from a centre is on its
    /// mode, one 3.1σ away is not.
    @Test func constructedHistogram() throws {
        let c = Self.modes.centres, std = Self.modes.std
        // Radial unit vector of mode 0 is (1, 0); of mode 5 it is (cos 225°, sin 225°).
        let u5 = (cos(5 * Double.pi / 4), sin(5 * Double.pi / 4))
        let rows: [[Double]] = [
            [c[0, 0], c[0, 1]], [c[0, 0], c[0, 1]], [c[0, 0], c[0, 1]], [c[0, 0] + 2.9 * std, c[0, 1]],
            [c[1, 0], c[1, 1]], [c[1, 0] - 0.01, c[1, 1] + 0.02],
            [c[2, 0], c[2, 1]],
            [c[3, 0], c[3, 1]],
            [0, 0], [c[5, 0] + 3.1 * std * u5.0, c[5, 1] + 3.1 * std * u5.1],
        ]
        let r = try ModeRealism(Matrix(rows), modes: Self.modes)
        #expect(r.coverage.counts == [4, 2, 1, 1, 0, 0, 0, 0])
        #expect(abs(r.precision - 0.8) < 1e-15)
        #expect(abs(r.balanceKL! - 1.25 * log(2)) < 1e-12)
        #expect(r.modesCovered == 4)
        // Everything in one mode: log 8; nothing on a mode: no balance.
        let one = try ModeRealism(Matrix<Double>(rows: 5, columns: 2) { _, j in c[6, j] }, modes: Self.modes)
        #expect(abs(one.balanceKL! - log(8)) < 1e-12 && one.precision == 1)
        let none = try ModeRealism(Matrix<Double>(rows: 3, columns: 2), modes: Self.modes)
        #expect(none.precision == 0 && none.balanceKL == nil)
        #expect(throws: MongeError.self) { try ModeRealism(Matrix<Double>(rows: 2, columns: 3), modes: Self.modes) }
    }

    /// The target itself: a 2-D isotropic Gaussian puts P(‖z‖ ≤ 3) = 1 − e^{−9/2} within 3σ, and
    /// round-robin modes are balanced (KL of a multinomial histogram ≈ (K − 1)/(2n)).
    @Test func theTargetSampleHasTheChiSquareFraction() throws {
        let n = 80_000
        let points = Gaussians8().generate(n: n, random: RandomStream(seed: 5))
        let r = try ModeRealism(points, modes: Self.modes)
        let p = 1 - exp(-4.5)
        #expect(abs(r.precision - p) < 5 * (p * (1 - p) / Double(n)).squareRoot(), "precision \(r.precision), expected \(p)")
        #expect(r.balanceKL! < 1e-3 && r.modesCovered == 8, "KL \(r.balanceKL!)")
    }
}
