import Foundation
import MongeCore

/// The ground cost c(x, y) between a source point x and a target point y.
public enum Cost: Sendable, Hashable, Codable, CustomStringConvertible {
    /// c(x, y) = ‖x − y‖², the cost of W₂² (the default).
    case squaredEuclidean
    /// c(x, y) = ‖x − y‖, the cost of W₁.
    case euclidean
    /// c(x, y) = Σ_k |x_k − y_k|^p = ‖x − y‖_p^p, p ≥ 1.
    case pNormPower(Double)

    /// Parses "sqeuclidean", "euclidean" or "pnorm:P" (e.g. "pnorm:1.5").
    public init(name: String) throws {
        switch name.lowercased() {
        case "sqeuclidean", "squared-euclidean", "squaredeuclidean": self = .squaredEuclidean
        case "euclidean": self = .euclidean
        default:
            let parts = name.split(separator: ":")
            if parts.count == 2, parts[0].lowercased() == "pnorm", let p = Double(parts[1]), p >= 1, p.isFinite {
                self = .pNormPower(p)
            } else {
                throw MongeError.invalidArgument(
                    name: "cost", message: "expected sqeuclidean, euclidean or pnorm:P with P ≥ 1, got \"\(name)\"")
            }
        }
    }

    public var description: String {
        switch self {
        case .squaredEuclidean: return "sqeuclidean"
        case .euclidean: return "euclidean"
        case let .pNormPower(p): return "pnorm:\(p)"
        }
    }

    /// c(x, y) for two points given as `dimension` consecutive values each (y with stride).
    @inlinable
    func evaluate(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, yStride: Int, dimension: Int) -> Double {
        switch self {
        case .squaredEuclidean:
            var s = 0.0
            for k in 0..<dimension { let d = x[k] - y[k * yStride]; s += d * d }
            return s
        case .euclidean:
            var s = 0.0
            for k in 0..<dimension { let d = x[k] - y[k * yStride]; s += d * d }
            return s.squareRoot()
        case let .pNormPower(p):
            var s = 0.0
            for k in 0..<dimension { s += Foundation.pow(abs(x[k] - y[k * yStride]), p) }
            return s
        }
    }
}

/// Where transport costs come from: two point clouds and a `Cost`, or an explicit n × m matrix.
///
/// With points, costs are computed on demand (a row at a time), so nothing of size n·m is ever
/// stored: n = 20,000 needs 3.2 GB as a dense matrix and a few hundred kilobytes here. Targets are
/// kept column-major (one array per coordinate) so that a row of costs vectorises.
public struct Geometry: Sendable {
    /// Source points [n, d] (nil for an explicit cost matrix).
    public let x: Matrix<Double>?
    /// Target points [m, d] (nil for an explicit cost matrix).
    public let y: Matrix<Double>?
    /// The ground cost (ignored for an explicit matrix).
    public let cost: Cost
    /// The explicit cost matrix [n, m], if given.
    public let costMatrix: Matrix<Double>?
    public let sourceCount: Int
    public let targetCount: Int
    /// Point dimension (0 for an explicit matrix).
    public let dimension: Int
    /// Targets transposed: coordinate k of target j at `yColumns[k * m + j]`.
    let yColumns: [Double]
    /// An upper bound on |C_ij| over all pairs, used to scale tolerances.
    public let costBound: Double

    /// Point clouds `x` [n, d] and `y` [m, d] with a ground cost.
    ///
    /// Throws when either set is empty, the dimensions differ, or a coordinate is NaN or ±∞.
    public init(x: Matrix<Double>, y: Matrix<Double>, cost: Cost = .squaredEuclidean) throws {
        guard x.rows > 0 else { throw MongeError.invalidArgument(name: "source points", message: "the set is empty (0 points)") }
        guard y.rows > 0 else { throw MongeError.invalidArgument(name: "target points", message: "the set is empty (0 points)") }
        guard x.columns > 0 else { throw MongeError.shapeMismatch("source points have 0 coordinates") }
        guard x.columns == y.columns else {
            throw MongeError.shapeMismatch("source points are \(x.columns)-dimensional, target points \(y.columns)-dimensional")
        }
        try x.checkFinite("source points")
        try y.checkFinite("target points")
        if case let .pNormPower(p) = cost, !(p >= 1 && p.isFinite) {
            throw MongeError.invalidArgument(name: "cost", message: "p-norm exponent must be finite and ≥ 1, got \(p)")
        }
        self.x = x
        self.y = y
        self.cost = cost
        self.costMatrix = nil
        self.sourceCount = x.rows
        self.targetCount = y.rows
        self.dimension = x.columns
        self.yColumns = y.transposed().storage
        // Bound: the cost between opposite corners of the common bounding box.
        var lo = [Double](repeating: .infinity, count: x.columns), hi = [Double](repeating: -.infinity, count: x.columns)
        for p in [x, y] {
            for i in 0..<p.rows { for k in 0..<p.columns { lo[k] = min(lo[k], p[i, k]); hi[k] = max(hi[k], p[i, k]) } }
        }
        self.costBound = lo.withUnsafeBufferPointer { l in
            hi.withUnsafeBufferPointer { h in cost.evaluate(l.baseAddress!, h.baseAddress!, yStride: 1, dimension: x.columns) }
        }
        let spread = zip(lo, hi).contains { $0 < $1 }
        try Self.checkCostRange(costBound, nonzero: spread, what: "the points' costs (\(cost))")
    }

    /// Magnitudes that costs may reach and keep Double's 16 digits between pairs: above 1e290 sums of
    /// costs overflow, and below 1e-290 differences of costs fall into subnormals or to 0, so the
    /// solver would certify a wrong plan. The optimal plan does not change when every point is
    /// multiplied by one factor, so rescaling the input is always possible.
    public static let representableCosts: ClosedRange<Double> = 1e-290...1e290

    /// Refuses a largest cost `bound` outside `representableCosts` (0 only when all costs vanish).
    static func checkCostRange(_ bound: Double, nonzero: Bool, what: String) throws {
        guard nonzero else { return }
        guard representableCosts.contains(bound) else {
            let found = bound.isFinite ? (bound == 0 ? "underflow to 0" : "reach \(bound)") : "overflow to ∞"
            throw MongeError.invalidArgument(
                name: "points",
                message: "\(what) \(found); exact OT needs the largest cost between 1e-290 and 1e290 to keep double "
                    + "precision. Multiply all points by one factor (the optimal plan does not change) so that the "
                    + "coordinates span roughly 1e-100 to 1e100")
        }
    }

    /// An explicit cost matrix C [n, m]; throws when it is empty or has a NaN or ±∞ entry.
    public init(costMatrix: Matrix<Double>) throws {
        guard costMatrix.rows > 0, costMatrix.columns > 0 else {
            throw MongeError.invalidArgument(name: "cost matrix", message: "shape \(costMatrix.rows)×\(costMatrix.columns) is empty")
        }
        try costMatrix.checkFinite("cost matrix")
        self.x = nil
        self.y = nil
        self.cost = .squaredEuclidean
        self.costMatrix = costMatrix
        self.sourceCount = costMatrix.rows
        self.targetCount = costMatrix.columns
        self.dimension = 0
        self.yColumns = []
        self.costBound = costMatrix.storage.reduce(0.0) { max($0, abs($1)) }
        try Self.checkCostRange(costBound, nonzero: costBound != 0, what: "the cost matrix's entries")
    }

    /// Whether the geometry is two point clouds under the squared Euclidean cost (the fast path).
    public var isSquaredEuclideanPoints: Bool { x != nil && cost == .squaredEuclidean }

    /// The cost C_ij.
    @inlinable
    public func cost(_ i: Int, _ j: Int) -> Double {
        if let costMatrix { return costMatrix.storage[i * targetCount + j] }
        return costFromPoints(i, j)
    }

    @usableFromInline
    func costFromPoints(_ i: Int, _ j: Int) -> Double {
        x!.storage.withUnsafeBufferPointer { xs in
            yColumns.withUnsafeBufferPointer { ys in
                cost.evaluate(xs.baseAddress! + i * dimension, ys.baseAddress! + j, yStride: targetCount, dimension: dimension)
            }
        }
    }

    /// Writes C_ij for j in `columns` into `out[0 ..< columns.count]`.
    public func costRow(_ i: Int, columns: Range<Int>, into out: UnsafeMutablePointer<Double>) {
        let m = targetCount
        if let costMatrix {
            costMatrix.storage.withUnsafeBufferPointer { c in
                out.update(from: c.baseAddress! + i * m + columns.lowerBound, count: columns.count)
            }
            return
        }
        x!.storage.withUnsafeBufferPointer { xsBuffer in
            yColumns.withUnsafeBufferPointer { ysBuffer in
                let xi = xsBuffer.baseAddress! + i * dimension
                let ys = ysBuffer.baseAddress!
                let lo = columns.lowerBound, count = columns.count
                if dimension == 2 {
                    let x0 = xi[0], x1 = xi[1]
                    let y0 = ys + lo, y1 = ys + m + lo
                    switch cost {
                    case .squaredEuclidean:
                        for t in 0..<count { let a = x0 - y0[t], b = x1 - y1[t]; out[t] = a * a + b * b }
                        return
                    case .euclidean:
                        for t in 0..<count { let a = x0 - y0[t], b = x1 - y1[t]; out[t] = (a * a + b * b).squareRoot() }
                        return
                    default: break
                    }
                }
                // Any dimension: accumulate coordinate by coordinate over the row (vectorises).
                switch cost {
                case .squaredEuclidean, .euclidean:
                    out.update(repeating: 0, count: count)
                    for k in 0..<dimension {
                        let xk = xi[k], yk = ys + k * m + lo
                        for t in 0..<count { let a = xk - yk[t]; out[t] += a * a }
                    }
                    if cost == .euclidean { for t in 0..<count { out[t] = out[t].squareRoot() } }
                case .pNormPower:
                    for t in 0..<count {
                        out[t] = cost.evaluate(xi, ys + lo + t, yStride: m, dimension: dimension)
                    }
                }
            }
        }
    }

    /// The dense cost matrix (n × m doubles: only for small problems, tests and Sinkhorn).
    public func denseCostMatrix() -> Matrix<Double> {
        if let costMatrix { return costMatrix }
        var c = Matrix<Double>(rows: sourceCount, columns: targetCount)
        let m = targetCount
        c.storage.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            nonisolated(unsafe) let out = base
            _ = mapRowChunks(count: sourceCount, rowLength: m) { rows in
                for i in rows { costRow(i, columns: 0..<m, into: out + i * m) }
            }
        }
        return c
    }

    /// The same geometry with sources and targets exchanged (C transposed).
    public func transposed() throws -> Geometry {
        if let costMatrix { return try Geometry(costMatrix: costMatrix.transposed()) }
        return try Geometry(x: y!, y: x!, cost: cost)
    }
}

/// Rows per parallel task for rows of length m: enough work (≈ 32k pairs) to pay for the dispatch.
@inline(__always)
func rowsPerTask(_ m: Int) -> Int { max(4, 32_768 / max(m, 1)) }

/// `Parallel.mapChunks` over rows of length m, or one serial call when the work is too small to
/// share (this also skips the thread-count lookup, which reads the environment).
func mapRowChunks<T>(count: Int, rowLength m: Int, _ body: (Range<Int>) -> T) -> [T] {
    guard count > 0 else { return [] }
    if count < 2 * rowsPerTask(m) { return [body(0..<count)] }
    return Parallel.mapChunks(count: count, minimumChunk: rowsPerTask(m), body)
}
