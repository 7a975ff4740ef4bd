import Foundation
import MongeData
import Testing

/// The Gaussian mixtures against their definitions: centres, spreads, round-robin counts.
@Suite("Gaussian mixtures")
struct MixtureTests {
    /// Residuals from each point's own centre: mean ≈ 0, pooled std ≈ `std`, all within 5 std.
    func checkResiduals(_ points: Matrix<Double>, std: Double, centre: (Int) -> (Double, Double)) {
        var sum = 0.0, sumSquares = 0.0, worst = 0.0
        for i in 0..<points.rows {
            let (cx, cy) = centre(i)
            let dx = points[i, 0] - cx, dy = points[i, 1] - cy
            sum += dx + dy
            sumSquares += dx * dx + dy * dy
            worst = max(worst, (dx * dx + dy * dy).squareRoot())
        }
        let count = Double(2 * points.rows)
        let estimate = (sumSquares / count).squareRoot()
        #expect(worst < 5 * std, "a point is \(worst / std) std from its centre")
        #expect(abs(sum / count) < 4 * std / count.squareRoot(), "residual mean \(sum / count)")
        // The std of a std estimate from m normals is ≈ std/√(2m); allow 5 of those.
        #expect(abs(estimate - std) < 5 * std / (2 * count).squareRoot(), "std estimate \(estimate)")
    }

    @Test func gaussians25CentresSpreadAndCounts() throws {
        let g = Gaussians25()
        let n = 5000
        let points = try g.sample(n: n, seed: 1)
        let grid: [Double] = [-4, -2, 0, 2, 4]
        // Mode k has centre (grid[k / 5], grid[k % 5]) and owns points i ≡ k (mod 25).
        checkResiduals(points, std: 0.05) { i in (grid[(i % 25) / 5], grid[(i % 25) % 5]) }
        // Counts by nearest centre (the modes are 40 std apart, so nearest = own).
        var counts = [Int](repeating: 0, count: 25)
        for i in 0..<n {
            let a = Int((points[i, 0] / 2).rounded()) + 2, b = Int((points[i, 1] / 2).rounded()) + 2
            counts[a * 5 + b] += 1
        }
        #expect(counts == [Int](repeating: 200, count: 25))
        #expect(g.centres.rows == 25 && g.centres[24, 0] == 4 && g.centres[24, 1] == 4 && g.centres[1, 1] == -2)
    }

    @Test func gaussians25CountsDifferByAtMostOneForAnyN() throws {
        for n in [1, 24, 26, 1234] {
            let points = try Gaussians25().sample(n: n, seed: 2)
            var counts = [Int](repeating: 0, count: 25)
            for i in 0..<n {
                let a = Int((points[i, 0] / 2).rounded()) + 2, b = Int((points[i, 1] / 2).rounded()) + 2
                counts[a * 5 + b] += 1
            }
            #expect(counts.max()! - counts.min()! <= 1, "n = \(n): \(counts)")
            #expect(counts.reduce(0, +) == n)
        }
    }

    @Test func gaussians8OnTheCircle() throws {
        let g = Gaussians8()
        let n = 4000
        let points = try g.sample(n: n, seed: 3)
        checkResiduals(points, std: 0.02) { i in
            let angle = 2 * Double.pi * Double(i % 8) / 8
            return (2 * cos(angle), 2 * sin(angle))
        }
        // Counts by nearest centre angle.
        var counts = [Int](repeating: 0, count: 8)
        for i in 0..<n {
            let angle = atan2(points[i, 1], points[i, 0])
            counts[(Int((angle / (Double.pi / 4)).rounded()) + 8) % 8] += 1
        }
        #expect(counts == [Int](repeating: 500, count: 8))
        // Custom parameters move the circle.
        let wide = try Datasets.make("gaussians8", parameters: ["radius": 5, "std": 0.1]).sample(n: 800, seed: 3)
        checkResiduals(wide, std: 0.1) { i in
            let angle = 2 * Double.pi * Double(i % 8) / 8
            return (5 * cos(angle), 5 * sin(angle))
        }
    }

    @Test func singleGaussianMeansAndStds() throws {
        let g = Gaussian(meanX: 1, meanY: -2, stdX: 0.5, stdY: 3)
        let n = 20_000
        let points = try g.sample(n: n, seed: 4)
        for (column, mean, std) in [(0, 1.0, 0.5), (1, -2.0, 3.0)] {
            let values = points.column(column)
            let m = values.reduce(0, +) / Double(n)
            let s = (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n)).squareRoot()
            #expect(abs(m - mean) < 4 * std / Double(n).squareRoot(), "mean \(m)")
            #expect(abs(s - std) < 5 * std / Double(2 * n).squareRoot(), "std \(s)")
        }
        // Independent coordinates: the sample correlation is O(1/√n).
        let x = points.column(0), y = points.column(1)
        let mx = x.reduce(0, +) / Double(n), my = y.reduce(0, +) / Double(n)
        let cov = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / Double(n)
        #expect(abs(cov / (0.5 * 3)) < 4 / Double(n).squareRoot())
    }
}
