import Foundation
import MongeData

/// The circular correlation of Fisher & Lee (1983) between two samples of angles:
/// ρ = Σ_{i<j} sin(α_i − α_j) sin(β_i − β_j) / √(Σ_{i<j} sin²(α_i − α_j) · Σ_{i<j} sin²(β_i − β_j)).
///
/// It needs no circular means (Jammalamadaka–SenGupta's coefficient does, and the mean of
/// near-uniform angles — the rings' — is noise), is invariant under rotating either sample, is
/// +1 when β = α + const, −1 when β = −α + const, and near 0 for independent angles. The sums over
/// pairs are evaluated in O(n) with Σ_{i,j} sin(a_i − a_j) sin(b_i − b_j) = (|Σe^{i(a−b)}|² − |Σe^{i(a+b)}|²)/2
/// and Σ_{i,j} sin²(a_i − a_j) = (n² − |Σe^{2ia}|²)/2.
public enum CircularCorrelation {
    public static func fisherLee(_ alpha: [Double], _ beta: [Double]) throws -> Double {
        guard alpha.count == beta.count, alpha.count >= 2 else {
            throw MongeError.shapeMismatch("circular correlation needs two samples of the same size ≥ 2, got \(alpha.count) and \(beta.count)")
        }
        guard alpha.allSatisfy(\.isFinite), beta.allSatisfy(\.isFinite) else {
            throw MongeError.nonFinite("circular correlation: an angle is not finite")
        }
        func squaredModulus(_ angles: [Double]) -> Double {
            var c = 0.0, s = 0.0
            for a in angles { c += cos(a); s += sin(a) }
            return c * c + s * s
        }
        let n = Double(alpha.count)
        let difference = squaredModulus(zip(alpha, beta).map { $0 - $1 })
        let sum = squaredModulus(zip(alpha, beta).map { $0 + $1 })
        let spreadA = n * n - squaredModulus(alpha.map { 2 * $0 })
        let spreadB = n * n - squaredModulus(beta.map { 2 * $0 })
        // Both spreads vanish only when a sample's angles all agree modulo π.
        guard spreadA > 1e-9 * n * n, spreadB > 1e-9 * n * n else {
            throw MongeError.numerical("circular correlation is undefined: one sample's angles all agree modulo π")
        }
        return (difference - sum) / (spreadA * spreadB).squareRoot()
    }

    /// The polar angles atan2(y, x) of the rows of a 2-column matrix.
    public static func angles(_ points: Matrix<Double>) throws -> [Double] {
        guard points.columns == 2 else { throw MongeError.shapeMismatch("polar angles need 2-D points, got \(points.columns) columns") }
        return (0..<points.rows).map { atan2(points[$0, 1], points[$0, 0]) }
    }
}

/// The shells of DDIB's concentric sets in the normalised coordinates the models see: a point's
/// shell is the outline whose radius (Euclidean for rings, L∞ for squares) is nearest to the
/// point's, after undoing the normalisation by the set's exact population mean and std (the
/// sample's own statistics, which the default `normalize=1` uses, agree to sampling error).
public struct ConcentricShells: Sendable, Equatable {
    public enum Shape: Sendable, Equatable { case circle, square }

    public let shape: Shape
    /// Raw radii R_k of the outlines.
    public let radii: [Double]
    public let mean: Double
    public let std: Double

    public init(shape: Shape, radii: [Double], mean: Double, std: Double) {
        precondition(!radii.isEmpty && std > 0, "shells need radii and a positive std")
        self.shape = shape
        self.radii = radii
        self.mean = mean
        self.std = std
    }

    public init(rings: ConcentricRings) {
        let m = rings.populationMoments
        self.init(shape: .circle, radii: (1...rings.count).map { Double($0) * rings.spacing },
                  mean: rings.normalization == .none ? 0 : m.mean, std: rings.normalization == .none ? 1 : m.std)
    }

    public init(squares: ConcentricSquares) {
        let m = squares.populationMoments
        self.init(shape: .square, radii: (1...squares.count).map { Double($0) * squares.spacing },
                  mean: squares.normalization == .none ? 0 : m.mean, std: squares.normalization == .none ? 1 : m.std)
    }

    /// The shell index (0-based) of each row of `points` ([n, 2], normalised coordinates).
    public func shells(_ points: Matrix<Double>) throws -> [Int] {
        guard points.columns == 2 else { throw MongeError.shapeMismatch("shells need 2-D points, got \(points.columns) columns") }
        return (0..<points.rows).map { i in
            let x = std * points[i, 0] + mean, y = std * points[i, 1] + mean
            let r = shape == .circle ? (x * x + y * y).squareRoot() : max(abs(x), abs(y))
            return radii.indices.min { abs(radii[$0] - r) < abs(radii[$1] - r) }!
        }
    }

    /// How many rows of `points` fall in each shell.
    public func counts(_ points: Matrix<Double>) throws -> [Int] {
        var counts = [Int](repeating: 0, count: radii.count)
        for k in try shells(points) { counts[k] += 1 }
        return counts
    }
}

/// How well labels are predicted from features by the 1-nearest-neighbour rule, left out one at a
/// time: the accuracy of predicting label i from the label of i's nearest other row (Euclidean;
/// ties to the lower row). Features that carry no information about the labels give about the
/// rate of agreement of two independent labels, Σ_k p_k², not 1.
public enum NearestNeighbour {
    public static func leaveOneOutAccuracy(features: Matrix<Double>, labels: [Int]) throws -> Double {
        let n = features.rows
        guard n >= 2, labels.count == n else {
            throw MongeError.shapeMismatch("nearest-neighbour accuracy needs ≥ 2 rows and one label per row, got \(n) rows and \(labels.count) labels")
        }
        try features.checkFinite("features")
        let d = features.columns
        var correct = 0
        features.storage.withUnsafeBufferPointer { f in
            for i in 0..<n {
                var best = Double.infinity, nearest = -1
                for j in 0..<n where j != i {
                    var s = 0.0
                    for c in 0..<d { let t = f[i * d + c] - f[j * d + c]; s += t * t }
                    if s < best { best = s; nearest = j }
                }
                if labels[nearest] == labels[i] { correct += 1 }
            }
        }
        return Double(correct) / Double(n)
    }

    /// Σ_k p_k² of the labels' frequencies: the expected leave-one-out accuracy of uninformative features.
    public static func chanceAgreement(_ labels: [Int]) -> Double {
        guard !labels.isEmpty else { return 0 }
        var counts: [Int: Int] = [:]
        for l in labels { counts[l, default: 0] += 1 }
        let n = Double(labels.count)
        return counts.values.reduce(0.0) { $0 + Double($1) * Double($1) } / (n * n)
    }
}
