import Foundation
import MongeEvaluation
import Testing

@Suite("Fréchet distance")
struct FrechetDistanceTests {
    @Test("Feature sets: d² equals scipy's sqrtm(Σ₁Σ₂) formula (the reference FID code) on the golden features")
    func golden() throws {
        #expect(Golden.file.features.count == 2)
        for c in Golden.file.features {
            let a = Golden.features(c.a), b = Golden.features(c.b)
            let value = try FrechetDistance.squared(features: a, b)
            #expect(relativeError(value, c.frechet_squared) < 1e-10, "\(c.name): \(value), scipy \(c.frechet_squared)")
            // Symmetric in its arguments, and zero between a set and itself.
            #expect(relativeError(try FrechetDistance.squared(features: b, a), c.frechet_squared) < 1e-10)
            #expect(try FrechetDistance.squared(features: a, a) < 1e-10 * c.frechet_squared)
        }
    }

    @Test("Statistics: the sample mean and the N − 1 covariance, checked by hand on three points")
    func statistics() throws {
        // Points (0, 0), (2, 0), (1, 3): mean (1, 1); deviations (−1, −1), (1, −1), (0, 2).
        let s = try FeatureStatistics(features: Matrix<Double>([[0, 0], [2, 0], [1, 3]]))
        #expect(s.mean == [1, 1])
        #expect(s.covariance == [1, 0, 0, 3])  // [Σ dx², Σ dx·dy; ·, Σ dy²] / 2 = [2, 0; 0, 6] / 2
    }

    @Test("Closed forms of Gaussians: commuting covariances Σ(√aᵢ − √bᵢ)², and a non-commuting 2-D pair")
    func gaussians() throws {
        // Diagonal covariances commute: d² = ‖μ₁ − μ₂‖² + Σ (√aᵢ − √bᵢ)².
        let a = try FeatureStatistics(mean: [1, 0, -1], covariance: [4, 0, 0, 0, 1, 0, 0, 0, 9])
        let b = try FeatureStatistics(mean: [0, 0, 1], covariance: [1, 0, 0, 0, 2.25, 0, 0, 0, 0.25])
        let expected = 1.0 + 4.0 + (2.0 - 1) * (2.0 - 1) + (1 - 1.5) * (1 - 1.5) + (3 - 0.5) * (3 - 0.5)
        #expect(relativeError(try FrechetDistance.squared(a, b), expected) < 1e-14)
        // 2 × 2: Σ₁Σ₂ has eigenvalues λ₁, λ₂ ≥ 0, so tr (Σ₁Σ₂)^{1/2} = √λ₁ + √λ₂ = √(tr Σ₁Σ₂ + 2√(det Σ₁ det Σ₂)).
        let s1 = [2.0, 0.8, 0.8, 1.0], s2 = [0.5, -0.3, -0.3, 3.0]
        let p = try FeatureStatistics(mean: [0, 0], covariance: s1), q = try FeatureStatistics(mean: [0, 0], covariance: s2)
        let trProduct = s1[0] * s2[0] + s1[1] * s2[2] + s1[2] * s2[1] + s1[3] * s2[3]
        let dets = (s1[0] * s1[3] - s1[1] * s1[2]) * (s2[0] * s2[3] - s2[1] * s2[2])
        let closed = s1[0] + s1[3] + s2[0] + s2[3] - 2 * (trProduct + 2 * dets.squareRoot()).squareRoot()
        #expect(relativeError(try FrechetDistance.squared(p, q), closed) < 1e-13)
        // A singular covariance (rank 1) is a valid Gaussian: d² to a point mass at the same mean is tr Σ.
        let line = try FeatureStatistics(mean: [0, 0], covariance: [1, 1, 1, 1])
        let point = try FeatureStatistics(mean: [0, 0], covariance: [0, 0, 0, 0])
        #expect(relativeError(try FrechetDistance.squared(line, point), 2) < 1e-14)
    }

    @Test("Bad input: different dimensions, fewer than two vectors, an asymmetric covariance, NaN features")
    func badInput() throws {
        #expect(throws: MongeError.shapeMismatch("feature sets of 2 and 3 columns")) {
            try FrechetDistance.squared(features: Matrix<Double>(rows: 4, columns: 2), Matrix<Double>(rows: 4, columns: 3))
        }
        #expect(throws: MongeError.shapeMismatch("feature statistics need at least 2 vectors of at least 1 entry, got 1 × 2")) {
            try FeatureStatistics(features: Matrix<Double>(rows: 1, columns: 2))
        }
        #expect(throws: MongeError.invalidArgument(name: "covariance", message: "not symmetric: entry (1, 0) = 0.0 but (0, 1) = 0.5")) {
            try FeatureStatistics(mean: [0, 0], covariance: [1, 0.5, 0, 1])
        }
        #expect(throws: MongeError.nonFinite("features: element (1, 0) is nan")) {
            try FeatureStatistics(features: Matrix<Double>([[0, 0], [.nan, 1]]))
        }
    }
}
