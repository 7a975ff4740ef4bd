/// Elementwise kernels of the samplers and oracles, dispatched once per call to concrete Float or
/// Double code.
///
/// Generic code that the caller's module instantiates (`Sampler.run<M>` for a network defined
/// elsewhere) runs unspecialised: converting or adding `Scalar`s element by element there goes
/// through witness tables and dynamic casts, 10–100× slower than the arithmetic. These helpers
/// check `S.self` once and run specialised loops.
enum ScalarKernels {
    /// The elements as Doubles.
    static func doubles<S: MatrixScalar>(_ values: [S]) -> [Double] {
        if S.self == Double.self { return unsafeBitCast(values, to: [Double].self) }
        if S.self == Float.self { return unsafeBitCast(values, to: [Float].self).map(Double.init) }
        return values.map { Double($0) }
    }

    /// Doubles rounded to `S`.
    static func scalars<S: MatrixScalar>(_ values: [Double], as _: S.Type = S.self) -> [S] {
        if S.self == Double.self { return unsafeBitCast(values, to: [S].self) }
        if S.self == Float.self { return unsafeBitCast(values.map(Float.init), to: [S].self) }
        return values.map { S($0) }
    }

    /// A matrix of `S` from Doubles.
    static func matrix<S: MatrixScalar>(rows: Int, columns: Int, _ values: [Double], as _: S.Type = S.self) -> Matrix<S> {
        try! Matrix(rows: rows, columns: columns, storage: scalars(values))
    }

    /// a·x + b·y (+ c·z when z is given), elementwise, with the coefficients rounded to `S`.
    static func combine<S: MatrixScalar>(_ a: Double, _ x: [S], _ b: Double, _ y: [S], _ c: Double = 0, _ z: [S]? = nil) -> [S] {
        precondition(x.count == y.count && (z?.count ?? x.count) == x.count, "combine: \(x.count), \(y.count), \(z?.count ?? x.count) elements")
        if S.self == Float.self {
            let out: [Float] = loop(Float(a), unsafeBitCast(x, to: [Float].self), Float(b), unsafeBitCast(y, to: [Float].self),
                                    Float(c), z.map { unsafeBitCast($0, to: [Float].self) })
            return unsafeBitCast(out, to: [S].self)
        }
        if S.self == Double.self {
            let out: [Double] = loop(a, unsafeBitCast(x, to: [Double].self), b, unsafeBitCast(y, to: [Double].self),
                                     c, z.map { unsafeBitCast($0, to: [Double].self) })
            return unsafeBitCast(out, to: [S].self)
        }
        return loop(S(a), x, S(b), y, S(c), z)
    }

    @inline(__always)
    private static func loop<T: BinaryFloatingPoint>(_ a: T, _ x: [T], _ b: T, _ y: [T], _ c: T, _ z: [T]?) -> [T] {
        [T](unsafeUninitializedCapacity: x.count) { out, initialized in
            x.withUnsafeBufferPointer { x in
                y.withUnsafeBufferPointer { y in
                    if let z {
                        z.withUnsafeBufferPointer { z in
                            for k in 0..<x.count { out[k] = a * x[k] + b * y[k] + c * z[k] }
                        }
                    } else {
                        for k in 0..<x.count { out[k] = a * x[k] + b * y[k] }
                    }
                }
            }
            initialized = x.count
        }
    }

    /// Rows `firstRow ..< firstRow + rows` of the normal matrix of `stream` with `columns` columns:
    /// element (i, j) is `stream.normal((firstRow + i)·columns + j)`, as `RandomStream.normalMatrix`.
    static func normals<S: MatrixScalar>(_ stream: RandomStream, rows: Int, columns: Int, firstRow: Int, as _: S.Type = S.self) -> Matrix<S> {
        matrix(rows: rows, columns: columns, stream.normals(count: rows * columns, start: UInt64(firstRow * columns)))
    }
}
