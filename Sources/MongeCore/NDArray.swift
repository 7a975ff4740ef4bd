/// The element types Monge keeps in memory for arrays read from or written to files.
public enum ArrayDType: String, Sendable, Codable, CaseIterable {
    case float32
    case float64

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .float32: return 4
        case .float64: return 8
        }
    }

    /// The little-endian numpy descriptor, e.g. "<f4".
    public var npyDescriptor: String {
        switch self {
        case .float32: return Float.npyDescriptor
        case .float64: return Double.npyDescriptor
        }
    }

    /// The safetensors dtype name, e.g. "F32".
    public var safetensorsName: String {
        switch self {
        case .float32: return Float.safetensorsDType
        case .float64: return Double.safetensorsDType
        }
    }
}

/// An n-dimensional array in C (row-major) order: a shape and Float or Double elements.
///
/// The value type exchanged with .npy and safetensors files. Images are `[N, C, H, W]`, point
/// clouds `[N, D]`; a rank-0 array (shape `[]`) holds one element.
public struct NDArray: Equatable, Sendable {
    /// The elements in C order, in the precision they were stored.
    public enum Elements: Equatable, Sendable {
        case float32([Float])
        case float64([Double])

        public var count: Int {
            switch self {
            case let .float32(values): return values.count
            case let .float64(values): return values.count
            }
        }

        public var dtype: ArrayDType {
            switch self {
            case .float32: return .float32
            case .float64: return .float64
            }
        }
    }

    public let shape: [Int]
    public let elements: Elements

    /// An array over `elements`; throws when their count is not the product of `shape`.
    public init(shape: [Int], elements: Elements) throws {
        guard let expected = NDArray.elementCount(shape) else {
            throw MongeError.shapeMismatch("shape \(NDArray.describe(shape)) has a negative or too large extent")
        }
        guard expected == elements.count else {
            throw MongeError.shapeMismatch("\(elements.count) elements cannot form an array of shape \(NDArray.describe(shape))")
        }
        self.shape = shape
        self.elements = elements
    }

    /// An array over Float or Double values; throws when the count does not match `shape`.
    public init<S: MatrixScalar>(shape: [Int], values: [S]) throws {
        try self.init(shape: shape, elements: NDArray.elements(values))
    }

    /// The matrix as a `[rows, columns]` array, in its own precision.
    public init<S: MatrixScalar>(_ matrix: Matrix<S>) {
        shape = [matrix.rows, matrix.columns]
        elements = NDArray.elements(matrix.storage)
    }

    public var dtype: ArrayDType { elements.dtype }
    public var rank: Int { shape.count }
    public var count: Int { elements.count }

    /// The elements converted to `S` (exact when widening Float to Double, rounded when narrowing).
    public func values<S: MatrixScalar>(as _: S.Type = S.self) -> [S] {
        switch elements {
        case let .float32(values):
            if S.self == Float.self { return unsafeBitCast(values, to: [S].self) }
            return values.map { S($0) }
        case let .float64(values):
            if S.self == Double.self { return unsafeBitCast(values, to: [S].self) }
            return values.map { S($0) }
        }
    }

    /// The array as a matrix: rank 2 as is, rank 1 of n as an n×1 column.
    /// Other ranks throw `MongeError.shapeMismatch` naming the shape.
    public func matrix<S: MatrixScalar>(as _: S.Type = S.self) throws -> Matrix<S> {
        switch rank {
        case 2: return try Matrix(rows: shape[0], columns: shape[1], storage: values(as: S.self))
        case 1: return try Matrix(rows: shape[0], columns: 1, storage: values(as: S.self))
        default:
            throw MongeError.shapeMismatch("expected a rank-2 array (or rank 1, read as one column), found shape \(NDArray.describe(shape))")
        }
    }

    /// The product of `shape`, or nil when an extent is negative or the product overflows.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var product = 1
        for extent in shape {
            guard extent >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: extent)
            guard !overflow else { return nil }
            product = next
        }
        return product
    }

    /// A shape written as a Python tuple, e.g. "(3, 2)", "(5,)" or "()", as numpy prints it.
    public static func describe(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    private static func elements<S: MatrixScalar>(_ values: [S]) -> Elements {
        if S.self == Float.self { return .float32(unsafeBitCast(values, to: [Float].self)) }
        if S.self == Double.self { return .float64(unsafeBitCast(values, to: [Double].self)) }
        return .float64(values.map { Double($0) })
    }
}
