import EigenKernels

/// The element types a `Matrix` can hold: Float for networks and samplers, Double for OT and metrics.
public protocol MatrixScalar: BinaryFloatingPoint, Codable, Sendable, LosslessStringConvertible
where Self.RawSignificand: FixedWidthInteger {
    /// The numpy dtype string of this type, e.g. "<f4".
    static var npyDescriptor: String { get }
    /// The safetensors dtype name, e.g. "F32".
    static var safetensorsDType: String { get }
    /// C ← α·op(A)·op(B) + β·C on row-major buffers (BLAS semantics, see EigenKernels.h).
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
}

extension Float: MatrixScalar {
    public static var npyDescriptor: String { "<f4" }
    public static var safetensorsDType: String { "F32" }
    @inlinable
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        ek_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int64(m), Int64(n), Int64(k),
                 alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
    }
}

extension Double: MatrixScalar {
    public static var npyDescriptor: String { "<f8" }
    public static var safetensorsDType: String { "F64" }
    @inlinable
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        ek_dgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int64(m), Int64(n), Int64(k),
                 alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
    }
}

/// A dense row-major matrix with contiguous storage: `rows` points of `columns` coordinates.
///
/// Element (i, j) lives at `storage[i * columns + j]`. Shapes are checked on construction and
/// in every operation; a mismatch is a programming error (precondition) in arithmetic and a
/// thrown `MongeError.shapeMismatch` where shapes come from outside (`init(rows:columns:storage:)`).
public struct Matrix<Scalar: MatrixScalar>: Equatable, Sendable {
    public private(set) var rows: Int
    public private(set) var columns: Int
    /// Row-major elements. Writers must keep `storage.count == rows * columns` (elements may be
    /// changed freely; the count may not). No property observer: element writes in hot loops stay
    /// as cheap as an array's.
    public var storage: [Scalar]

    /// A `rows × columns` matrix filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
        precondition(rows >= 0 && columns >= 0, "negative matrix shape \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.storage = Array(repeating: value, count: rows * columns)
    }

    /// A matrix over existing row-major storage; throws when the count does not match the shape.
    public init(rows: Int, columns: Int, storage: [Scalar]) throws {
        guard rows >= 0, columns >= 0, storage.count == rows * columns else {
            throw MongeError.shapeMismatch("\(storage.count) elements cannot form a \(rows)×\(columns) matrix")
        }
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// A matrix from nested rows, e.g. `Matrix([[1, 2], [3, 4]])`; all rows must have one length.
    public init(_ nestedRows: [[Scalar]]) {
        let columns = nestedRows.first?.count ?? 0
        precondition(nestedRows.allSatisfy { $0.count == columns }, "ragged rows")
        self.rows = nestedRows.count
        self.columns = columns
        self.storage = nestedRows.flatMap { $0 }
    }

    /// A matrix whose element (i, j) is `element(i, j)`.
    public init(rows: Int, columns: Int, element: (Int, Int) -> Scalar) {
        self.init(rows: rows, columns: columns)
        for i in 0..<rows { for j in 0..<columns { storage[i * columns + j] = element(i, j) } }
    }

    /// The shape as `[rows, columns]`.
    public var shape: [Int] { [rows, columns] }
    public var count: Int { storage.count }

    @inlinable
    public subscript(row: Int, column: Int) -> Scalar {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "index (\(row), \(column)) out of \(rows)×\(columns)")
            return storage[row * columns + column]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "index (\(row), \(column)) out of \(rows)×\(columns)")
            storage[row * columns + column] = newValue
        }
    }

    /// Row `i` as an array.
    public func row(_ i: Int) -> [Scalar] {
        Array(storage[(i * columns)..<((i + 1) * columns)])
    }

    /// Rows `range` as a new matrix (a batch chunk).
    public func rows(_ range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "rows \(range) out of \(rows)")
        return try! Matrix(rows: range.count, columns: columns,
                           storage: Array(storage[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }

    /// The rows at `indices`, in that order.
    public func rows(at indices: [Int]) -> Matrix {
        var out = Matrix(rows: indices.count, columns: columns)
        for (k, i) in indices.enumerated() {
            for j in 0..<columns { out.storage[k * columns + j] = storage[i * columns + j] }
        }
        return out
    }

    /// Column `j` as an array.
    public func column(_ j: Int) -> [Scalar] {
        (0..<rows).map { storage[$0 * columns + j] }
    }

    /// The transpose, materialised.
    public func transposed() -> Matrix {
        var out = Matrix(rows: columns, columns: rows)
        for i in 0..<rows { for j in 0..<columns { out.storage[j * rows + i] = storage[i * columns + j] } }
        return out
    }

    /// The same elements viewed as `rows × columns`; the count must not change.
    public func reshaped(rows: Int, columns: Int) -> Matrix {
        precondition(rows * columns == count, "cannot reshape \(self.rows)×\(self.columns) to \(rows)×\(columns)")
        return try! Matrix(rows: rows, columns: columns, storage: storage)
    }

    /// Converts the element type (e.g. Float → Double for OT).
    @inlinable
    public func converted<Other: MatrixScalar>(to _: Other.Type = Other.self) -> Matrix<Other> {
        try! Matrix<Other>(rows: rows, columns: columns, storage: storage.map { Other($0) })
    }

    /// Whether every element is finite (no NaN, no ±∞).
    public var isFinite: Bool { storage.allSatisfy { $0.isFinite } }

    /// The 0-based position and value of the first (row-major) NaN or ±∞, or nil when all are finite.
    public var firstNonFinite: (row: Int, column: Int, value: Scalar)? {
        guard let k = storage.firstIndex(where: { !$0.isFinite }) else { return nil }
        return (k / max(columns, 1), k % max(columns, 1), storage[k])
    }

    /// Throws `MongeError.nonFinite` naming `what` and the first bad element when one is NaN or ±∞.
    public func checkFinite(_ what: String) throws {
        if let (i, j, value) = firstNonFinite {
            throw MongeError.nonFinite("\(what): element (\(i), \(j)) is \(value)")
        }
    }

    /// Stacks matrices with equal column counts vertically.
    public static func vstack(_ parts: [Matrix]) -> Matrix {
        guard let first = parts.first else { return Matrix(rows: 0, columns: 0) }
        precondition(parts.allSatisfy { $0.columns == first.columns }, "vstack of different column counts")
        return try! Matrix(rows: parts.reduce(0) { $0 + $1.rows }, columns: first.columns,
                           storage: parts.flatMap { $0.storage })
    }
}

// MARK: - Products

extension Matrix {
    /// C ← α·op(A)·op(B) + β·C through the Eigen kernel, in place (BLAS GEMM).
    ///
    /// `op(A)` is `m × k` and `op(B)` is `k × n`; `C` must already be `m × n`.
    public static func gemm(
        _ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false,
        alpha: Scalar = 1, beta: Scalar = 0, into c: inout Matrix
    ) {
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        let kb = transposeB ? b.columns : b.rows
        let n = transposeB ? b.rows : b.columns
        precondition(k == kb, "gemm inner dimensions differ: \(m)×\(k) · \(kb)×\(n)")
        precondition(c.rows == m && c.columns == n, "gemm output is \(c.rows)×\(c.columns), expected \(m)×\(n)")
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    guard let pa = pa.baseAddress, let pb = pb.baseAddress, let pc = pc.baseAddress else { return }
                    Scalar.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                alpha: alpha, a: pa, lda: max(a.columns, 1), b: pb, ldb: max(b.columns, 1),
                                beta: beta, c: pc, ldc: max(n, 1))
                }
            }
        }
    }

    /// The product op(self)·op(other) as a new matrix.
    public func matmul(_ other: Matrix, transposeSelf: Bool = false, transposeOther: Bool = false) -> Matrix {
        var out = Matrix(rows: transposeSelf ? columns : rows, columns: transposeOther ? other.rows : other.columns)
        Matrix.gemm(self, transposeA: transposeSelf, other, transposeB: transposeOther, into: &out)
        return out
    }
}

// MARK: - Elementwise

extension Matrix {
    /// Applies `transform` to every element.
    @inlinable
    public func map(_ transform: (Scalar) -> Scalar) -> Matrix {
        try! Matrix(rows: rows, columns: columns, storage: storage.map(transform))
    }

    /// Combines two same-shaped matrices element by element.
    @inlinable
    public func zipMap(_ other: Matrix, _ combine: (Scalar, Scalar) -> Scalar) -> Matrix {
        precondition(rows == other.rows && columns == other.columns, "elementwise \(rows)×\(columns) vs \(other.rows)×\(other.columns)")
        var out = self
        out.storage.withUnsafeMutableBufferPointer { o in
            other.storage.withUnsafeBufferPointer { b in
                for k in 0..<o.count { o[k] = combine(o[k], b[k]) }
            }
        }
        return out
    }

    public static func + (lhs: Matrix, rhs: Matrix) -> Matrix { lhs.zipMap(rhs, +) }
    public static func - (lhs: Matrix, rhs: Matrix) -> Matrix { lhs.zipMap(rhs, -) }
    public static func * (lhs: Scalar, rhs: Matrix) -> Matrix { rhs.map { lhs * $0 } }
    public static func += (lhs: inout Matrix, rhs: Matrix) { lhs.axpy(1, rhs) }
    public static func -= (lhs: inout Matrix, rhs: Matrix) { lhs.axpy(-1, rhs) }

    /// The elementwise (Hadamard) product.
    public func hadamard(_ other: Matrix) -> Matrix { zipMap(other, *) }

    /// self ← self + α·x (BLAS axpy).
    @inlinable
    public mutating func axpy(_ alpha: Scalar, _ x: Matrix) {
        precondition(rows == x.rows && columns == x.columns, "axpy \(rows)×\(columns) vs \(x.rows)×\(x.columns)")
        storage.withUnsafeMutableBufferPointer { y in
            x.storage.withUnsafeBufferPointer { x in
                for k in 0..<y.count { y[k] += alpha * x[k] }
            }
        }
    }

    /// Adds `vector` to every row (a bias).
    public func addingRowVector(_ vector: [Scalar]) -> Matrix {
        precondition(vector.count == columns, "row vector of \(vector.count) for \(columns) columns")
        var out = self
        for i in 0..<rows { for j in 0..<columns { out.storage[i * columns + j] += vector[j] } }
        return out
    }

    /// The sum of each column (length `columns`), accumulated in Double.
    public func columnSums() -> [Scalar] {
        var sums = [Double](repeating: 0, count: columns)
        for i in 0..<rows { for j in 0..<columns { sums[j] += Double(storage[i * columns + j]) } }
        return sums.map { Scalar($0) }
    }

    /// The mean of each column.
    public func columnMeans() -> [Scalar] {
        let n = Scalar(max(rows, 1))
        return columnSums().map { $0 / n }
    }

    /// The squared Euclidean norm of each row, in Double.
    public func rowSquaredNorms() -> [Double] {
        (0..<rows).map { i in
            var s = 0.0
            for j in 0..<columns { let v = Double(storage[i * columns + j]); s += v * v }
            return s
        }
    }

    /// The Frobenius norm, accumulated in Double.
    public func frobeniusNorm() -> Double {
        storage.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    /// The largest absolute elementwise difference to `other` (∞-norm of the difference).
    public func maxAbsDifference(_ other: Matrix) -> Double {
        precondition(rows == other.rows && columns == other.columns, "compare \(rows)×\(columns) vs \(other.rows)×\(other.columns)")
        var m = 0.0
        for k in 0..<storage.count { m = Swift.max(m, abs(Double(storage[k]) - Double(other.storage[k]))) }
        return m
    }
}
