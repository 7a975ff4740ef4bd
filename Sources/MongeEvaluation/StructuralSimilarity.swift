import Foundation

/// The structural similarity index (SSIM) of Wang, Bovik, Sheikh & Simoncelli (2004) between
/// grayscale images, with the paper's Gaussian window: weights exp(−r²/2σ²), σ = 1.5, truncated at
/// radius ⌊3.5σ + ½⌋ = 5 (an 11 × 11 window), K1 = 0.01, K2 = 0.03 and population (not sample)
/// covariances — the value of scikit-image's `structural_similarity(x, y, gaussian_weights=True,
/// sigma=1.5, use_sample_covariance=False, data_range=R)`.
///
/// As there, local statistics are averaged over the pixels whose whole window lies inside the
/// image (a border of `radius` pixels is left out), so images must be at least 11 × 11.
public struct StructuralSimilarity: Sendable {
    /// The span of possible pixel values R (2 for images in [−1, 1]).
    public let dataRange: Double
    public let sigma: Double
    public let k1: Double
    public let k2: Double
    /// The window's radius: ⌊3.5σ + ½⌋ (scipy's truncation of a Gaussian filter at 3.5σ).
    public let radius: Int
    /// The normalised 1-D Gaussian weights, 2·radius + 1 of them (the window is their outer product).
    public let weights: [Double]

    public init(dataRange: Double, sigma: Double = 1.5, k1: Double = 0.01, k2: Double = 0.03) throws {
        try ImageDistances.checkRange(dataRange)
        guard sigma.isFinite, sigma > 0 else {
            throw MongeError.invalidArgument(name: "sigma", message: "the Gaussian window's σ must be positive, got \(sigma)")
        }
        guard k1.isFinite, k1 > 0, k2.isFinite, k2 > 0 else {
            throw MongeError.invalidArgument(name: "K1, K2", message: "the stabilising constants must be positive, got \(k1), \(k2)")
        }
        self.dataRange = dataRange
        self.sigma = sigma
        self.k1 = k1
        self.k2 = k2
        let radius = Int(3.5 * sigma + 0.5)
        self.radius = radius
        let raw = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let total = raw.reduce(0, +)
        self.weights = raw.map { $0 / total }
    }

    /// The window's side, 2·radius + 1 (11 for σ = 1.5).
    public var windowSize: Int { 2 * radius + 1 }

    /// The mean SSIM of each row pair of `x` and `y`, each row an image of height × width pixels, row-major.
    public func indices<S: MatrixScalar>(_ x: Matrix<S>, _ y: Matrix<S>, height: Int, width: Int) throws -> [Double] {
        try ImageDistances.checkPair(x, y)
        guard height > 0, width > 0, height * width == x.columns else {
            throw MongeError.shapeMismatch("images of \(x.columns) pixels are not \(height) × \(width)")
        }
        guard height >= windowSize, width >= windowSize else {
            throw MongeError.invalidArgument(name: "image size",
                                             message: "SSIM's \(windowSize) × \(windowSize) Gaussian window does not fit in \(height) × \(width) images")
        }
        return (0..<x.rows).map { i in
            let a = x.row(i).map(Double.init), b = y.row(i).map(Double.init)
            return meanIndex(a, b, height: height, width: width)
        }
    }

    /// The mean SSIM of one pair of images given as row-major pixel arrays.
    public func index(_ x: [Double], _ y: [Double], height: Int, width: Int) throws -> Double {
        try indices(Matrix(rows: 1, columns: x.count, storage: x), Matrix(rows: 1, columns: y.count, storage: y),
                    height: height, width: width)[0]
    }

    /// SSIM averaged over the interior pixels, for checked inputs.
    private func meanIndex(_ x: [Double], _ y: [Double], height: Int, width: Int) -> Double {
        let xx = zip(x, x).map(*), yy = zip(y, y).map(*), xy = zip(x, y).map(*)
        let mx = filter(x, height: height, width: width), my = filter(y, height: height, width: width)
        let mxx = filter(xx, height: height, width: width), myy = filter(yy, height: height, width: width)
        let mxy = filter(xy, height: height, width: width)
        let c1 = (k1 * dataRange) * (k1 * dataRange), c2 = (k2 * dataRange) * (k2 * dataRange)
        var sum = 0.0
        for k in mx.indices {
            let ux = mx[k], uy = my[k]
            let vx = mxx[k] - ux * ux, vy = myy[k] - uy * uy, vxy = mxy[k] - ux * uy
            sum += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
        }
        return sum / Double(mx.count)
    }

    /// The Gaussian-weighted local means at the interior pixels ((height − 2r) × (width − 2r),
    /// row-major), by two 1-D passes: along rows, then along columns.
    private func filter(_ image: [Double], height: Int, width: Int) -> [Double] {
        let r = radius, innerWidth = width - 2 * r, innerHeight = height - 2 * r
        var horizontal = [Double](repeating: 0, count: height * innerWidth)
        for i in 0..<height {
            for j in 0..<innerWidth {
                var s = 0.0
                for k in 0...(2 * r) { s += weights[k] * image[i * width + j + k] }
                horizontal[i * innerWidth + j] = s
            }
        }
        var out = [Double](repeating: 0, count: innerHeight * innerWidth)
        for i in 0..<innerHeight {
            for j in 0..<innerWidth {
                var s = 0.0
                for k in 0...(2 * r) { s += weights[k] * horizontal[(i + k) * innerWidth + j] }
                out[i * innerWidth + j] = s
            }
        }
        return out
    }
}
