import Foundation
import MongeData
import Testing

@Suite("PointFile.checkFinite: the first NaN or ±∞ named by 1-based row and column")
struct PointFileCheckTests {
    /// The location and message `checkFinite` throws for `points`, or nil when it does not throw.
    static func failure<S: MatrixScalar>(_ points: Matrix<S>) -> (location: String?, message: String)? {
        do {
            try PointFile.checkFinite(points, path: "p.csv")
            return nil
        } catch let MongeError.invalidFile(path, location, message) {
            #expect(path == "p.csv")
            return (location, message)
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test func finitePointsPass() {
        #expect(Self.failure(Matrix<Double>([[0, 1, 2], [-3, 1e300, -1e-300]])) == nil)
    }

    @Test func namesTheFirstNonFiniteEntryOneBased() {
        // Row-major: the first non-finite entry is (row 2, column 3), before the NaN at (3, 1).
        let points = Matrix<Double>([[0, 1, 2], [3, 4, -.infinity], [.nan, 7, 8]])
        let found = Self.failure(points)
        #expect(found?.location == "row 2, column 3" && found?.message == "-inf is not a finite number", "\(String(describing: found))")

        let single = Self.failure(Matrix<Float>([[1], [2], [.nan]]))
        #expect(single?.location == "row 3, column 1" && single?.message == "nan is not a finite number", "\(String(describing: single))")
    }
}
