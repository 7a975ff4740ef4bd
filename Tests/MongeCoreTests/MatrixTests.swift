import MongeCore
import Testing

@Suite("Matrix and the Eigen GEMM kernel")
struct MatrixTests {
    /// Triple-loop reference product in Double.
    func naive(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Matrix<Double> {
        Matrix(rows: a.rows, columns: b.columns) { i, j in
            (0..<a.columns).reduce(0.0) { $0 + a[i, $1] * b[$1, j] }
        }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesTheDefinition(transposeA: Bool, transposeB: Bool) {
        let rng = RandomStream(seed: 3)
        let (m, k, n) = (17, 9, 23)
        let a: Matrix<Double> = rng.normalMatrix(rows: m, columns: k)
        let b: Matrix<Double> = rng.substream(1).normalMatrix(rows: k, columns: n)
        let c0: Matrix<Double> = rng.substream(2).normalMatrix(rows: m, columns: n)
        let storedA = transposeA ? a.transposed() : a
        let storedB = transposeB ? b.transposed() : b
        var c = c0
        Matrix.gemm(storedA, transposeA: transposeA, storedB, transposeB: transposeB, alpha: 0.5, beta: 2, into: &c)
        let expected = 0.5 * naive(a, b) + 2 * c0
        #expect(c.maxAbsDifference(expected) < 1e-12)
    }

    @Test func floatGemmAndBetaZeroIgnoresNaN() {
        let rng = RandomStream(seed: 4)
        let a: Matrix<Float> = rng.normalMatrix(rows: 64, columns: 32)
        let b: Matrix<Float> = rng.substream(1).normalMatrix(rows: 32, columns: 16)
        var c = Matrix<Float>(rows: 64, columns: 16, repeating: .nan)
        Matrix.gemm(a, b, into: &c)
        let expected = naive(a.converted(), b.converted())
        #expect(c.converted(to: Double.self).maxAbsDifference(expected) < 1e-4)
    }

    @Test func shapesAreChecked() throws {
        #expect(throws: MongeError.self) { try Matrix<Float>(rows: 2, columns: 3, storage: [1, 2, 3]) }
        let m = try Matrix<Float>(rows: 2, columns: 3, storage: [1, 2, 3, 4, 5, 6])
        #expect(m[1, 2] == 6)
        #expect(m.transposed()[2, 1] == 6)
        #expect(m.row(1) == [4, 5, 6])
        #expect(m.column(0) == [1, 4])
        #expect(m.rows(at: [1, 0]).storage == [4, 5, 6, 1, 2, 3])
        #expect(m.columnMeans() == [2.5, 3.5, 4.5])
    }

    @Test func checkFiniteNamesTheElement() {
        let m = Matrix<Double>([[1, 2], [.nan, 4]])
        #expect(throws: MongeError.nonFinite("input: element (1, 0) is nan")) { try m.checkFinite("input") }
        #expect(!m.isFinite)
    }
}
