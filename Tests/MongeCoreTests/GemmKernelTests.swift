import EigenKernels
import MongeCore
import Testing

/// `ek_sgemm` (the packed AVX2/FMA kernel) against a Double triple loop on many odd shapes,
/// layouts and scalars, plus the invariances the kernel promises: each element of C is computed
/// the same way whatever tile, batch or column window it belongs to.
@Suite("SGEMM kernel")
struct GemmKernelTests {
    typealias Kernel = (Int32, Int32, Int64, Int64, Int64, Float, UnsafePointer<Float>?, Int64,
                        UnsafePointer<Float>?, Int64, Float, UnsafeMutablePointer<Float>?, Int64) -> Void

    /// One GEMM problem: stored operands (with padded leading dimensions) and C's start.
    struct Problem {
        var m: Int, n: Int, k: Int
        var transposeA: Bool, transposeB: Bool
        var lda: Int, ldb: Int, ldc: Int
        var alpha: Float, beta: Float
        var a: [Float], b: [Float], c: [Float]

        /// Random operands in [-1, 1); each leading dimension padded by 0…2. With β = 0, C holds
        /// NaN (which must be ignored); the padding of C holds a sentinel (which must survive).
        init(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float,
             rng: RandomStream) {
            (self.m, self.n, self.k, self.transposeA, self.transposeB) = (m, n, k, transposeA, transposeB)
            (self.alpha, self.beta) = (alpha, beta)
            let (aRows, aColumns) = transposeA ? (k, m) : (m, k)
            let (bRows, bColumns) = transposeB ? (n, k) : (k, n)
            let lda = max(aColumns, 1) + rng.integer(0, below: 3)
            let ldb = max(bColumns, 1) + rng.integer(1, below: 3)
            let ldc = n + rng.integer(2, below: 3)
            (self.lda, self.ldb, self.ldc) = (lda, ldb, ldc)
            let ra = rng.substream(1), rb = rng.substream(2), rc = rng.substream(3)
            a = (0..<max(aRows * lda, 1)).map { Float(2 * ra.uniform(UInt64($0)) - 1) }
            b = (0..<max(bRows * ldb, 1)).map { Float(2 * rb.uniform(UInt64($0)) - 1) }
            c = (0..<(m * ldc)).map { index in
                if index % ldc >= n { return 1234.5 }
                return beta == 0 ? .nan : Float(2 * rc.uniform(UInt64(index)) - 1)
            }
        }

        func opA(_ i: Int, _ p: Int) -> Double { Double(transposeA ? a[p * lda + i] : a[i * lda + p]) }
        func opB(_ p: Int, _ j: Int) -> Double { Double(transposeB ? b[j * ldb + p] : b[p * ldb + j]) }

        /// C after the kernel, computed by `kernel`.
        func run(_ kernel: Kernel) -> [Float] {
            var out = c
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    out.withUnsafeMutableBufferPointer { pc in
                        kernel(transposeA ? 1 : 0, transposeB ? 1 : 0, Int64(m), Int64(n), Int64(k), alpha,
                               pa.baseAddress, Int64(lda), pb.baseAddress, Int64(ldb), beta, pc.baseAddress, Int64(ldc))
                    }
                }
            }
            return out
        }

        /// The largest error of `result` relative to its rounding bound: the exact product (in
        /// Double) and, per element, (k + 2)·2u·(|α|·Σ|a||b| + |β·c|) with u = 2⁻²⁴. ≤ 1 passes;
        /// a sentinel in C's padding that changed, or a non-finite element, counts as infinite.
        func worstError(_ result: [Float]) -> Double {
            var worst = 0.0
            for i in 0..<m {
                for j in 0..<ldc {
                    let index = i * ldc + j
                    if j >= n {
                        if result[index] != c[index] { return .infinity }
                        continue
                    }
                    var sum = 0.0, magnitude = 0.0
                    for p in 0..<k {
                        let term = opA(i, p) * opB(p, j)
                        sum += term
                        magnitude += abs(term)
                    }
                    let old = beta == 0 ? 0 : Double(beta) * Double(c[index])
                    let exact = Double(alpha) * sum + old
                    let bound = Double(k + 2) * 2 * 0x1p-24 * (abs(Double(alpha)) * magnitude + abs(old)) + 1e-30
                    let error = abs(Double(result[index]) - exact)
                    guard error.isFinite else { return .infinity }
                    worst = max(worst, error / bound)
                }
            }
            return worst
        }
    }

    /// The first index where two arrays differ in bits (NaN equals NaN), with both values.
    static func firstDifference(_ x: [Float], _ y: [Float]) -> String? {
        guard x.count == y.count else { return "counts \(x.count) and \(y.count)" }
        guard let index = x.indices.first(where: { x[$0].bitPattern != y[$0].bitPattern }) else { return nil }
        return "element \(index): \(x[index]) vs \(y[index])"
    }

    static let scalars: [(alpha: Float, beta: Float)] = [(1, 0), (1, 1), (-0.7, 0.3), (2.5, 0), (0.5, -1)]

    /// 400 random shapes with m, n, k in 1…67 (covering every ragged tile: 6 rows × 16 columns),
    /// all four layouts and the α/β cases the kernel distinguishes (β = 0, 1, other).
    @Test func oddShapesMatchTheDefinition() {
        let rng = RandomStream(seed: 20, stream: 1)
        var worst = 0.0, failures: [String] = []
        for trial in 0..<400 {
            let r = rng.substream(UInt64(trial))
            let (alpha, beta) = Self.scalars[trial % Self.scalars.count]
            let problem = Problem(
                m: 1 + r.integer(0, below: 67), n: 1 + r.integer(1, below: 67), k: 1 + r.integer(2, below: 67),
                transposeA: trial % 2 == 1, transposeB: (trial / 2) % 2 == 1, alpha: alpha, beta: beta,
                rng: r.substream(9))
            let error = problem.worstError(problem.run(ek_sgemm))
            worst = max(worst, error)
            if error > 1 {
                failures.append("\(problem.m)×\(problem.k)·\(problem.k)×\(problem.n) tA \(problem.transposeA) "
                                + "tB \(problem.transposeB) α \(alpha) β \(beta): \(error)")
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        #expect(worst > 0)  // the reference is exact, the kernel rounds: a zero would mean a vacuous check
    }

    /// Shapes across the cache blocks: K blocks of 256 (k = 255…513 splits evenly), M blocks of
    /// up to 144 rows, more than one 16-column panel, one-row C (B read in place).
    @Test(arguments: [
        (300, 40, 257), (150, 33, 513), (7, 70, 256), (1, 100, 300), (145, 17, 255), (6, 35, 600),
    ])
    func blockBoundariesMatchTheDefinition(shape: (m: Int, n: Int, k: Int)) {
        for layout in 0..<4 {
            let (alpha, beta) = Self.scalars[(layout + shape.m) % Self.scalars.count]
            let problem = Problem(m: shape.m, n: shape.n, k: shape.k, transposeA: layout % 2 == 1,
                                  transposeB: layout / 2 == 1, alpha: alpha, beta: beta,
                                  rng: RandomStream(seed: 21, stream: UInt64(layout)))
            #expect(problem.worstError(problem.run(ek_sgemm)) <= 1, "layout \(layout)")
        }
    }

    /// Every row of C computed alone, and any window of C's columns computed alone, gives the
    /// same bits as the whole product: a network's output for a point does not depend on the
    /// batch (or chunk) it is evaluated in.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func rowsAndColumnWindowsAreBitwiseIndependentOfTheBatch(transposeA: Bool, transposeB: Bool) {
        for (trial, (alpha, beta)) in [(Float(1), Float(0)), (-0.7, 0.3), (1, 1)].enumerated() {
            let r = RandomStream(seed: 22, stream: UInt64(trial))
            let p = Problem(m: 29, n: 43, k: 300, transposeA: transposeA, transposeB: transposeB,
                            alpha: alpha, beta: beta, rng: r)
            let whole = p.run(ek_sgemm)
            for i in 0..<p.m {
                // Row i alone: op(A) restricted to row i is a 1×k matrix at a shifted start.
                var row = Array(p.c[(i * p.ldc)..<(i * p.ldc + p.n)])
                p.a.withUnsafeBufferPointer { pa in
                    p.b.withUnsafeBufferPointer { pb in
                        row.withUnsafeMutableBufferPointer { pc in
                            ek_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, 1, Int64(p.n), Int64(p.k), alpha,
                                     pa.baseAddress! + (transposeA ? i : i * p.lda), Int64(p.lda),
                                     pb.baseAddress, Int64(p.ldb), beta, pc.baseAddress, Int64(p.n))
                        }
                    }
                }
                #expect(Self.firstDifference(row, Array(whole[(i * p.ldc)..<(i * p.ldc + p.n)])) == nil, "row \(i)")
            }
            // Columns 5..<22 alone (crosses a 16-column panel boundary at a different offset).
            let (j0, width) = (5, 17)
            var window = (0..<p.m).flatMap { i in p.c[(i * p.ldc + j0)..<(i * p.ldc + j0 + width)] }
            p.a.withUnsafeBufferPointer { pa in
                p.b.withUnsafeBufferPointer { pb in
                    window.withUnsafeMutableBufferPointer { pc in
                        ek_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int64(p.m), Int64(width), Int64(p.k), alpha,
                                 pa.baseAddress, Int64(p.lda), pb.baseAddress! + (transposeB ? j0 * p.ldb : j0),
                                 Int64(p.ldb), beta, pc.baseAddress, Int64(width))
                    }
                }
            }
            let expected = (0..<p.m).flatMap { i in whole[(i * p.ldc + j0)..<(i * p.ldc + j0 + width)] }
            #expect(Self.firstDifference(window, expected) == nil, "columns \(j0)..<\(j0 + width)")
        }
    }

    /// k = 0 and α = 0 leave β·C (BLAS: A and B are not read, so NaN in them does not spread);
    /// β = 0 then writes zeros over NaN.
    @Test func emptySumsScaleC() {
        for (k, alpha) in [(0, Float(1)), (5, Float(0))] {
            for beta: Float in [0, 1, -2] {
                var p = Problem(m: 7, n: 19, k: k, transposeA: false, transposeB: false, alpha: alpha,
                                beta: beta, rng: RandomStream(seed: 23))
                p.a = p.a.map { _ in .nan }
                let result = p.run(ek_sgemm)
                for i in 0..<p.m {
                    for j in 0..<p.n {
                        let old = p.c[i * p.ldc + j]
                        #expect(result[i * p.ldc + j] == (beta == 0 ? 0 : beta * old))
                    }
                }
            }
        }
    }

    /// The packed kernel forced onto thin shapes (one or two rows or columns, k = 1) and Eigen's
    /// product agree within rounding: both are checked against the definition.
    @Test func packedAndEigenVariantsMatchTheDefinitionOnThinShapes() {
        let shapes = [(1, 1, 1), (1, 37, 64), (2, 50, 9), (64, 1, 33), (40, 2, 17), (33, 20, 1), (1, 16, 1)]
        for (index, shape) in shapes.enumerated() {
            for layout in 0..<4 {
                let p = Problem(m: shape.0, n: shape.1, k: shape.2, transposeA: layout % 2 == 1,
                                transposeB: layout / 2 == 1, alpha: -0.7, beta: 0.3,
                                rng: RandomStream(seed: 24, stream: UInt64(4 * index + layout)))
                #expect(p.worstError(p.run(ek_sgemm_packed)) <= 1, "packed \(shape) layout \(layout)")
                #expect(p.worstError(p.run(ek_sgemm_eigen)) <= 1, "eigen \(shape) layout \(layout)")
            }
        }
    }

    /// The AVX-512 micro-kernel (12 × 16 tiles of zmm, masked ragged columns) computes every
    /// element by the AVX2 kernel's operation sequence, so the two give the same bits: 300 random
    /// problems whose m (1…160) crosses 6- and 12-row tiles and the 144-row M block, whose n (1…70)
    /// leaves every ragged panel width, whose k (1…600) spans one to three K blocks, in all four
    /// layouts, every α/β case and padded leading dimensions. Every tenth is also checked against
    /// the definition, so that two kernels doing nothing alike cannot pass.
    @Test(.enabled(if: ek_kernels_avx512_supported() != 0, "no AVX-512 on this CPU: only the AVX2 kernel runs"))
    func avx512KernelGivesTheAvx2KernelsBits() {
        let rng = RandomStream(seed: 25, stream: 1)
        var mismatches: [String] = [], worst = 0.0
        for trial in 0..<300 {
            let r = rng.substream(UInt64(trial))
            let (alpha, beta) = Self.scalars[trial % Self.scalars.count]
            let p = Problem(m: 1 + r.integer(0, below: 160), n: 1 + r.integer(1, below: 70), k: 1 + r.integer(2, below: 600),
                            transposeA: trial % 2 == 1, transposeB: (trial / 2) % 2 == 1, alpha: alpha, beta: beta,
                            rng: r.substream(9))
            let wide = p.run(ek_sgemm_packed_avx512), narrow = p.run(ek_sgemm_packed_avx2)
            if let difference = Self.firstDifference(wide, narrow) {
                mismatches.append("\(p.m)×\(p.k)·\(p.k)×\(p.n) tA \(p.transposeA) tB \(p.transposeB) α \(alpha) β \(beta): "
                                  + difference)
            }
            if trial % 10 == 0 { worst = max(worst, p.worstError(wide)) }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) differ, e.g. \(mismatches.prefix(3))")
        #expect(worst <= 1 && worst > 0, "worst error / bound \(worst)")
    }
}
