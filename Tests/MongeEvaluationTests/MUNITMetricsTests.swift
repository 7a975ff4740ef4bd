import Foundation
import MongeEvaluation
import MongeData
import Testing

/// MUNIT's 2-D metrics on constructed cases with known answers.
@Suite("MUNIT metrics")
struct MUNITMetricsTests {
    static func uniformAngles(_ n: Int, seed: UInt64) -> [Double] {
        let rng = RandomStream(seed: seed, stream: 9)
        return (0..<n).map { 2 * Double.pi * rng.uniform(UInt64($0)) - Double.pi }
    }

    @Test func fisherLeeMatchesItsPairSumDefinition() throws {
        // Dependent but not deterministic angles: β = α + noise.
        let alpha = Self.uniformAngles(60, seed: 1)
        let noise = Self.uniformAngles(60, seed: 2)
        let beta = zip(alpha, noise).map { $0 + 0.2 * $1 }
        var num = 0.0, da = 0.0, db = 0.0
        for i in 0..<60 {
            for j in (i + 1)..<60 {
                let a = sin(alpha[i] - alpha[j]), b = sin(beta[i] - beta[j])
                num += a * b
                da += a * a
                db += b * b
            }
        }
        let brute = num / (da * db).squareRoot()
        let fast = try CircularCorrelation.fisherLee(alpha, beta)
        #expect(abs(fast - brute) < 1e-12, "O(n) \(fast) vs pair sum \(brute)")
        #expect(abs(brute) > 0.3 && abs(brute) < 0.99)  // a non-trivial value
    }

    @Test func fisherLeeIsOneForARotationMinusOneForAReflectionAndSmallForIndependentAngles() throws {
        let alpha = Self.uniformAngles(4000, seed: 3)
        let rotated = alpha.map { $0 + 1.3 }
        let reflected = alpha.map { 0.4 - $0 }
        #expect(abs(try CircularCorrelation.fisherLee(alpha, rotated) - 1) < 1e-12)
        #expect(abs(try CircularCorrelation.fisherLee(alpha, reflected) + 1) < 1e-12)
        // Independent uniform angles: ρ has standard deviation ≈ 1/n·O(1) ≪ 0.05 at n = 4000.
        let independent = try CircularCorrelation.fisherLee(alpha, Self.uniformAngles(4000, seed: 4))
        #expect(abs(independent) < 0.05, "\(independent)")
        // Angles of points: a rotation of the points is a rotation of the angles.
        let points = Matrix<Double>(rows: 500, columns: 2) { i, j in j == 0 ? cos(alpha[i]) * 2 : sin(alpha[i]) * 2 }
        let turned = Matrix<Double>(rows: 500, columns: 2) { i, j in j == 0 ? cos(alpha[i] + 2) : sin(alpha[i] + 2) }
        let r = try CircularCorrelation.fisherLee(CircularCorrelation.angles(points), CircularCorrelation.angles(turned))
        #expect(abs(r - 1) < 1e-12)
    }

    @Test func fisherLeeRejectsDegenerateInput() {
        #expect(throws: MongeError.self) { try CircularCorrelation.fisherLee([0.1, 0.1, 0.1], [0.2, 0.5, 0.9]) }
        #expect(throws: MongeError.self) { try CircularCorrelation.fisherLee([0.1, 0.2], [0.2]) }
        #expect(throws: MongeError.self) { try CircularCorrelation.fisherLee([0.1, .nan], [0.2, 0.3]) }
    }

    @Test func shellsOfTheConcentricSetsAreTheirOutlines() throws {
        // Point i of DDIB's sets lies on outline i % 3 (round-robin), jittered by at most ±0.25.
        for (points, shells) in [(try ConcentricSquares().sample(n: 3000, seed: 5), ConcentricShells(squares: ConcentricSquares())),
                                 (try ConcentricRings().sample(n: 3000, seed: 6), ConcentricShells(rings: ConcentricRings()))] {
            let labels = try shells.shells(points)
            #expect(labels.enumerated().allSatisfy { $0.element == $0.offset % 3 })
            #expect(try shells.counts(points) == [1000, 1000, 1000])
        }
        // Raw coordinates: L∞ radius for squares, Euclidean for rings.
        let raw = Matrix<Double>([[0.9, 0.9], [2.2, -0.1], [0.3, 2.9]])
        #expect(try ConcentricShells(squares: ConcentricSquares(normalization: .none)).shells(raw) == [0, 1, 2])
        #expect(try ConcentricShells(rings: ConcentricRings(normalization: .none)).shells(raw) == [0, 1, 2])
    }

    @Test func nearestNeighbourAccuracyFromInformativeAndUninformativeFeatures() throws {
        // Labels set by well-separated clusters of s: perfect accuracy from s, about Σ p² = 1/3 from an independent x.
        let n = 900
        let rng = RandomStream(seed: 7)
        let labels = (0..<n).map { $0 % 3 }
        let s = Matrix<Double>(rows: n, columns: 2) { i, j in Double(labels[i]) * 10 * (j == 0 ? 1 : -1) + rng.normal(UInt64(2 * i + j)) }
        let x = Matrix<Double>(rows: n, columns: 2) { i, j in rng.substream(1).normal(UInt64(2 * i + j)) }
        #expect(try NearestNeighbour.leaveOneOutAccuracy(features: s, labels: labels) == 1)
        let fromX = try NearestNeighbour.leaveOneOutAccuracy(features: x, labels: labels)
        #expect(abs(fromX - 1.0 / 3) < 0.06, "\(fromX)")
        #expect(abs(NearestNeighbour.chanceAgreement(labels) - 1.0 / 3) < 1e-12)
        #expect(NearestNeighbour.chanceAgreement([0, 0, 0, 1]) == 0.625)
        // The nearest other row, not the row itself: two rows at one place with different labels.
        #expect(try NearestNeighbour.leaveOneOutAccuracy(features: Matrix([[0.0], [0.0], [5.0]]), labels: [0, 1, 1]) == 0)
        #expect(throws: MongeError.self) { try NearestNeighbour.leaveOneOutAccuracy(features: x, labels: [1, 2]) }
    }
}
