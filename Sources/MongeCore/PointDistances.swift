import Foundation

/// Row-by-row Euclidean distances between two same-shaped point sets.
public enum PointDistances {
    public static func rowwise<S: MatrixScalar>(_ a: Matrix<S>, _ b: Matrix<S>) -> [Double] {
        precondition(a.rows == b.rows && a.columns == b.columns, "distances between \(a.shape) and \(b.shape)")
        return (0..<a.rows).map { i in
            var s = 0.0
            for j in 0..<a.columns {
                let d = Double(a[i, j]) - Double(b[i, j])
                s += d * d
            }
            return s.squareRoot()
        }
    }
}
