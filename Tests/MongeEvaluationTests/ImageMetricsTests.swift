import Foundation
import MongeEvaluation
import Testing

/// The reference values of golden/golden.json (scikit-image and scipy, written by
/// golden/make_golden.py) and the inputs they were computed on, rebuilt here bit for bit.
enum Golden {
    struct ImageCase: Decodable {
        let name, kind: String
        let height, width: Int
        let seed: UInt64
        let data_range, psnr, ssim, l2: Double
    }

    struct FeatureSpec: Decodable {
        let n, d: Int
        let seed: UInt64
        let offset: Int
        let coupling: Double
    }

    struct FeatureCase: Decodable {
        let name: String
        let a, b: FeatureSpec
        let frechet_squared: Double
    }

    struct File: Decodable {
        let images: [ImageCase]
        let features: [FeatureCase]
    }

    static let file: File = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("golden/golden.json")
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }()

    /// `count` numbers in [−1, 1) from the 64-bit LCG of make_golden.py (exact in both languages).
    static func uniform(seed: UInt64, count: Int) -> [Double] {
        var state = seed
        return (0..<count).map { _ in
            state = 6_364_136_223_846_793_005 &* state &+ 1_442_695_040_888_963_407
            return 2.0 * (Double(state >> 11) / 9_007_199_254_740_992.0) - 1.0
        }
    }

    /// The image pair of a case (make_golden.py's `image_pair`), row-major.
    static func images(_ c: ImageCase) -> (x: [Double], y: [Double]) {
        let h = c.height, w = c.width
        switch c.kind {
        case "noise":
            let x = uniform(seed: c.seed, count: h * w), v = uniform(seed: c.seed + 1, count: h * w)
            return (x, zip(x, v).map { 0.7 * $0 + 0.25 * $1 - 0.05 })
        case "blocks":
            let values = uniform(seed: c.seed, count: (h / 4) * (w / 4))
            let x = (0..<(h * w)).map { k in values[(k / w / 4) * (w / 4) + (k % w) / 4] }
            let y = (0..<(h * w)).map { k in x[(k / w) * w + ((k % w) + w - 1) % w] }
            return (x, y)
        case "square":
            let x = uniform(seed: c.seed, count: h * w).map { ($0 + 1.0) / 2.0 }
            return (x, x.map { $0 * $0 })
        default:
            fatalError("unknown golden image kind \(c.kind)")
        }
    }

    /// f[i, j] = s_j u[i, j] + c u[i, (j + o) mod d] + m_j (make_golden.py's `features`).
    static func features(_ spec: FeatureSpec) -> Matrix<Double> {
        let n = spec.n, d = spec.d
        let u = uniform(seed: spec.seed, count: n * d)
        let s = uniform(seed: spec.seed + 1, count: d).map { $0 + 1.5 }
        let m = uniform(seed: spec.seed + 2, count: d)
        return Matrix(rows: n, columns: d) { i, j in
            s[j] * u[i * d + j] + spec.coupling * u[i * d + (j + spec.offset) % d] + m[j]
        }
    }
}

func relativeError(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), 1e-300) }

@Suite("Image metrics: PSNR, SSIM, L2")
struct ImageMetricsTests {
    @Test("PSNR, SSIM and L2 equal scikit-image's and numpy's values on the golden images")
    func golden() throws {
        #expect(Golden.file.images.count == 4)
        for c in Golden.file.images {
            let (x, y) = Golden.images(c)
            let ssim = try StructuralSimilarity(dataRange: c.data_range).index(x, y, height: c.height, width: c.width)
            let psnr = try ImageDistances.psnr(x, y, dataRange: c.data_range)
            let l2 = try ImageDistances.l2(Matrix(rows: 1, columns: x.count, storage: x), Matrix(rows: 1, columns: y.count, storage: y))[0]
            #expect(relativeError(ssim, c.ssim) < 1e-12, "\(c.name): SSIM \(ssim), scikit-image \(c.ssim)")
            #expect(relativeError(psnr, c.psnr) < 1e-12, "\(c.name): PSNR \(psnr), scikit-image \(c.psnr)")
            #expect(relativeError(l2, c.l2) < 1e-12, "\(c.name): L2 \(l2), numpy \(c.l2)")
        }
    }

    @Test("Row-wise metrics of image sets: row i against row i, in Float or Double")
    func rows() throws {
        let c = Golden.file.images[0]
        let (x, y) = Golden.images(c)
        let a = try Matrix(rows: 3, columns: x.count, storage: x + y + y)
        let b = try Matrix(rows: 3, columns: x.count, storage: y + y + x)
        let ssim = try StructuralSimilarity(dataRange: 2).indices(a, b, height: 28, width: 28)
        #expect(relativeError(ssim[0], c.ssim) < 1e-12)
        #expect(ssim[1] == 1)
        #expect(relativeError(ssim[2], c.ssim) < 1e-12)  // SSIM is symmetric in its two images
        let psnr = try ImageDistances.psnr(a, b, dataRange: 2)
        #expect(relativeError(psnr[0], c.psnr) < 1e-12 && psnr[1] == .infinity)
        let l2 = try ImageDistances.l2(a, b)
        #expect(relativeError(l2[0], c.l2) < 1e-12 && l2[1] == 0 && l2[2] == l2[0])
        // Float images: the same values up to the rounding of the pixels to Float.
        let floatSSIM = try StructuralSimilarity(dataRange: 2).indices(a.converted(to: Float.self), b.converted(to: Float.self), height: 28, width: 28)
        #expect(abs(floatSSIM[0] - c.ssim) < 1e-6)
    }

    @Test("Closed forms: identical images have SSIM 1 and PSNR +∞; a constant shift c has PSNR 10·log₁₀(R²/c²)")
    func closedForms() throws {
        let x = Golden.uniform(seed: 99, count: 28 * 28)
        let ssim = try StructuralSimilarity(dataRange: 2)
        #expect(abs(try ssim.index(x, x, height: 28, width: 28) - 1) < 1e-15)
        #expect(try ImageDistances.psnr(x, x, dataRange: 2) == .infinity)
        // y = x + 1/4: MSE = 1/16 exactly (binary fractions), PSNR = 10·log₁₀(4 · 16).
        let shifted = x.map { $0 + 0.25 }
        #expect(abs(try ImageDistances.psnr(x, shifted, dataRange: 2) - 10 * log10(64.0)) < 1e-12)
        // Constant images a and b: no variance, so SSIM = (2ab + C1) / (a² + b² + C1).
        let a = 0.3, b = -0.2, c1 = (0.01 * 2.0) * (0.01 * 2.0)
        let constant = try ssim.index([Double](repeating: a, count: 144), [Double](repeating: b, count: 144), height: 12, width: 12)
        #expect(abs(constant - (2 * a * b + c1) / (a * a + b * b + c1)) < 1e-12)
        // The window: 11 taps (radius ⌊3.5 · 1.5 + ½⌋ = 5) of a normalised Gaussian of σ = 1.5.
        #expect(ssim.windowSize == 11 && abs(ssim.weights.reduce(0, +) - 1) < 1e-15)
        #expect(abs(ssim.weights[6] / ssim.weights[5] - exp(-1 / (2 * 1.5 * 1.5))) < 1e-15)
    }

    @Test("Bad input: mismatched shapes, images smaller than the window, a bad data range, NaN pixels")
    func badInput() throws {
        let ssim = try StructuralSimilarity(dataRange: 2)
        let x8 = [Double](repeating: 0, count: 64)
        #expect(throws: MongeError.invalidArgument(name: "image size", message: "SSIM's 11 × 11 Gaussian window does not fit in 8 × 8 images")) {
            try ssim.index(x8, x8, height: 8, width: 8)
        }
        #expect(throws: MongeError.shapeMismatch("images of 64 pixels are not 8 × 7")) { try ssim.index(x8, x8, height: 8, width: 7) }
        #expect(throws: MongeError.self) { try ImageDistances.psnr(x8, Array(x8.dropLast()), dataRange: 2) }
        #expect(throws: MongeError.invalidArgument(name: "data range", message: "must be a positive number (2 for images in [−1, 1]), got 0.0")) {
            try ImageDistances.psnr(x8, x8, dataRange: 0)
        }
        #expect(throws: MongeError.self) { try StructuralSimilarity(dataRange: .nan) }
        var bad = x8
        bad[3] = .nan
        #expect(throws: MongeError.nonFinite("second image set: element (0, 3) is nan")) { try ImageDistances.psnr(x8, bad, dataRange: 2) }
    }
}
