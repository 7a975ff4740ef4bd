import Foundation
import MongeData
import Testing

/// The DDIB sets: rings and squares within their jitter, equal counts, the checkerboard's cells,
/// and the scalar normalisation (sample statistics, and the closed-form population moments).
@Suite("DDIB sets and normalisation")
struct DDIBSetTests {
    /// Pooled mean and population std over all coordinates.
    func moments(_ m: Matrix<Double>) -> (mean: Double, std: Double) {
        let mean = m.storage.reduce(0, +) / Double(m.count)
        let variance = m.storage.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(m.count)
        return (mean, variance.squareRoot())
    }

    @Test func concentricRingRadiiAreWithinTheJitter() throws {
        let n = 6000
        let points = try ConcentricRings(normalization: .none).sample(n: n, seed: 1)
        var offsets: [Double] = []
        var cosSum = 0.0, sinSum = 0.0
        for i in 0..<n {
            let radius = Double(i % 3 + 1)
            let r = (points[i, 0] * points[i, 0] + points[i, 1] * points[i, 1]).squareRoot()
            #expect(r >= radius - 0.25 && r < radius + 0.25, "point \(i): r = \(r), ring \(radius)")
            offsets.append(r - radius)
            cosSum += points[i, 0] / r; sinSum += points[i, 1] / r
        }
        // The jitter is uniform on [−0.25, 0.25): mean 0, variance 0.5²/12.
        let mean = offsets.reduce(0, +) / Double(n)
        let variance = offsets.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        #expect(abs(mean) < 4 * (0.25 / 12).squareRoot() / Double(n).squareRoot() * 2)
        #expect(abs(variance - 0.25 / 12) < 0.1 * 0.25 / 12)
        // A uniform angle: E[cos θ] = E[sin θ] = 0, error ≈ 1/√(2n).
        #expect(abs(cosSum / Double(n)) < 4 / Double(2 * n).squareRoot())
        #expect(abs(sinSum / Double(n)) < 4 / Double(2 * n).squareRoot())
    }

    @Test func parallelRingsAreUnitRingsAtTheirCentres() throws {
        let points = try ParallelRings(normalization: .none).sample(n: 3000, seed: 2)
        let centres = [-2.8, 0, 2.8]
        for i in 0..<points.rows {
            let dx = points[i, 0] - centres[i % 3], dy = points[i, 1]
            let r = (dx * dx + dy * dy).squareRoot()
            #expect(r >= 0.75 && r < 1.25, "point \(i): r = \(r)")
        }
    }

    /// A point on a square outline scaled by ρ has ∞-norm ρ about the centre, on edge (i/K) % 4.
    func checkSquares(_ points: Matrix<Double>, halfSides: [Double], centres: [Double]) {
        let k = halfSides.count
        var edgeCounts = [Int](repeating: 0, count: 4)
        for i in 0..<points.rows {
            let dx = points[i, 0] - centres[i % k], dy = points[i, 1]
            let rho = max(abs(dx), abs(dy))
            #expect(rho >= halfSides[i % k] - 0.25 && rho < halfSides[i % k] + 0.25, "point \(i): ρ = \(rho)")
            let edge = (i / k) % 4
            let onEdge: Bool
            switch edge {
            case 0: onEdge = abs(dy - rho) < 1e-12
            case 1: onEdge = abs(dx - rho) < 1e-12
            case 2: onEdge = abs(dy + rho) < 1e-12
            default: onEdge = abs(dx + rho) < 1e-12
            }
            #expect(onEdge, "point \(i) not on edge \(edge)")
            edgeCounts[edge] += 1
        }
        #expect(edgeCounts.max()! - edgeCounts.min()! <= 1)
    }

    @Test func squaresLieOnTheirEdgesWithinTheJitter() throws {
        checkSquares(try ConcentricSquares(normalization: .none).sample(n: 2400, seed: 3),
                     halfSides: [1, 2, 3], centres: [0, 0, 0])
        checkSquares(try ParallelSquares(normalization: .none).sample(n: 2401, seed: 4),
                     halfSides: [1, 1, 1], centres: [-3, 0, 3])
    }

    @Test func checkerboardFillsEightCells() throws {
        let n = 16_000
        let points = try Checkerboard(normalization: .none).sample(n: n, seed: 5)
        var cells: [Int: Int] = [:]
        for i in 0..<n {
            let x = points[i, 0], y = points[i, 1]
            #expect(x >= -2 && x < 2 && y >= -2 && y < 2)
            let a = Int(floor(x)), b = Int(floor(y))
            #expect((a + b) % 2 == 0, "point (\(x), \(y)) in an empty cell")
            cells[(a + 2) * 4 + (b + 2), default: 0] += 1
        }
        #expect(cells.count == 8)
        // Each cell has probability 1/8: count ≈ 2000 ± 5·√(2000·7/8).
        for (_, count) in cells { #expect(abs(count - n / 8) < 5 * Int((Double(n) / 8 * 7 / 8).squareRoot())) }
    }

    @Test func sampleNormalisationIsExactlyMeanZeroStdOne() throws {
        let sets: [any Dataset2D] = [ConcentricRings(), ConcentricSquares(), ParallelRings(), ParallelSquares(),
                                     Checkerboard(), Moons(normalization: .sample)]
        for set in sets {
            let (mean, std) = moments(try set.sample(n: 3001, seed: 6))
            #expect(abs(mean) < 1e-12 && abs(std - 1) < 1e-12, "\(set.name): \(mean), \(std)")
        }
    }

    @Test func sampleNormalisationIsOneAffineMapOfTheRawSample() throws {
        // ONE scalar mean and ONE scalar std: the shape is not distorted per axis.
        let raw = try ParallelRings(normalization: .none).sample(n: 999, seed: 7)
        let normalised = try ParallelRings().sample(n: 999, seed: 7)
        let (mean, std) = moments(raw)
        for k in 0..<raw.count { #expect(abs(normalised.storage[k] - (raw.storage[k] - mean) / std) < 1e-12) }
    }

    /// The closed-form population moments agree with a large sample's (and so `.exact` gives
    /// mean ≈ 0, std ≈ 1 up to sampling error).
    @Test func closedFormMomentsMatchLargeSamples() throws {
        let n = 60_000
        let cases: [(any Dataset2D, (mean: Double, std: Double))] = [
            (ConcentricRings(normalization: .none), ConcentricRings().populationMoments),
            (ConcentricSquares(normalization: .none), ConcentricSquares().populationMoments),
            (ParallelRings(normalization: .none), ParallelRings().populationMoments),
            (ParallelSquares(normalization: .none), ParallelSquares().populationMoments),
            (Checkerboard(normalization: .none), Checkerboard().populationMoments),
            (ParallelSquares(count: 2, halfSide: 0.5, spacing: 4, width: 0.2, normalization: .none),
             ParallelSquares(count: 2, halfSide: 0.5, spacing: 4, width: 0.2).populationMoments),
        ]
        for (set, exact) in cases {
            let (mean, std) = moments(try set.sample(n: n, seed: 8))
            #expect(abs(mean - exact.mean) < 0.02 * exact.std, "\(set.name): mean \(mean) vs \(exact.mean)")
            #expect(abs(std / exact.std - 1) < 0.01, "\(set.name): std \(std) vs \(exact.std)")
        }
        // A hand value: concentric rings, E[ρ²] = (1 + 4 + 9)/3 + 0.25/12, variance E[ρ²]/2.
        let rings = ConcentricRings().populationMoments
        #expect(abs(rings.std - ((14.0 / 3 + 0.25 / 12) / 2).squareRoot()) < 1e-15 && rings.mean == 0)
        let exactNormalised = moments(try ParallelSquares(normalization: .exact).sample(n: n, seed: 9))
        #expect(abs(exactNormalised.mean) < 0.02 && abs(exactNormalised.std - 1) < 0.01)
    }

    @Test func normalisationCanBeTurnedOff() throws {
        let raw = try Datasets.make("concentric-rings", parameters: ["normalize": 0]).sample(n: 300, seed: 1)
        let r = (raw[2, 0] * raw[2, 0] + raw[2, 1] * raw[2, 1]).squareRoot()
        #expect(r >= 2.75 && r < 3.25)  // point 2 is on the radius-3 ring, in raw units
    }

    @Test func degenerateNormalisationIsAClearError() {
        #expect(throws: MongeError.self) {
            _ = try ConcentricRings(count: 1, spacing: 0, width: 0, normalization: .exact).sample(n: 10, seed: 0)
        }
        #expect(throws: MongeError.self) {
            _ = try ConcentricRings(count: 1, spacing: 0, width: 0, normalization: .sample).sample(n: 10, seed: 0)
        }
    }
}
