import Foundation

/// Per-image faithfulness metrics between two sets of images (row i of one against row i of the
/// other): the Euclidean distance and the peak signal-to-noise ratio. Sums run in Double.
public enum ImageDistances {
    /// ‖x_i − y_i‖₂ for each row i.
    public static func l2<S: MatrixScalar>(_ x: Matrix<S>, _ y: Matrix<S>) throws -> [Double] {
        try checkPair(x, y)
        return (0..<x.rows).map { sumOfSquaredDifferences(x, y, row: $0).squareRoot() }
    }

    /// The mean squared error of each row pair.
    public static func meanSquaredError<S: MatrixScalar>(_ x: Matrix<S>, _ y: Matrix<S>) throws -> [Double] {
        try checkPair(x, y)
        return (0..<x.rows).map { sumOfSquaredDifferences(x, y, row: $0) / Double(x.columns) }
    }

    /// PSNR = 10·log₁₀(R² / MSE) in dB for each row pair, R the data range (the span of possible
    /// pixel values: 2 for images in [−1, 1]), as scikit-image's `peak_signal_noise_ratio`.
    /// Identical images have MSE 0 and PSNR +∞, returned as `Double.infinity`.
    public static func psnr<S: MatrixScalar>(_ x: Matrix<S>, _ y: Matrix<S>, dataRange: Double) throws -> [Double] {
        try checkRange(dataRange)
        return try meanSquaredError(x, y).map { psnr(meanSquaredError: $0, dataRange: dataRange) }
    }

    /// PSNR of one image pair given as flat pixel arrays of equal length.
    public static func psnr(_ x: [Double], _ y: [Double], dataRange: Double) throws -> Double {
        try checkRange(dataRange)
        let pair = try Matrix(rows: 1, columns: x.count, storage: x)
        return try psnr(pair, Matrix(rows: 1, columns: y.count, storage: y), dataRange: dataRange)[0]
    }

    /// 10·log₁₀(R² / mse); +∞ when mse is 0.
    public static func psnr(meanSquaredError mse: Double, dataRange: Double) -> Double {
        mse == 0 ? .infinity : 10 * log10(dataRange * dataRange / mse)
    }

    static func sumOfSquaredDifferences<S: MatrixScalar>(_ x: Matrix<S>, _ y: Matrix<S>, row: Int) -> Double {
        let d = x.columns, base = row * d
        var sum = 0.0
        for j in 0..<d {
            let delta = Double(x.storage[base + j]) - Double(y.storage[base + j])
            sum += delta * delta
        }
        return sum
    }

    /// Same shape, at least one pixel, and finite values (a NaN would make every metric NaN).
    static func checkPair<S: MatrixScalar>(_ x: Matrix<S>, _ y: Matrix<S>) throws {
        guard x.shape == y.shape else {
            throw MongeError.shapeMismatch("image sets of shapes \(x.rows) × \(x.columns) and \(y.rows) × \(y.columns) cannot be compared row by row")
        }
        guard x.columns > 0 else { throw MongeError.shapeMismatch("images have no pixels") }
        try x.checkFinite("first image set")
        try y.checkFinite("second image set")
    }

    static func checkRange(_ dataRange: Double) throws {
        guard dataRange.isFinite, dataRange > 0 else {
            throw MongeError.invalidArgument(name: "data range", message: "must be a positive number (2 for images in [−1, 1]), got \(dataRange)")
        }
    }
}
