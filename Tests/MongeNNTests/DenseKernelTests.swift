import EigenKernels
import Foundation
import MongeCore
import MongeNN
import Testing

/// The fused dense kernel (`denseForward` on packed weights) against the plain formula
/// act(C + A·W + b), on wide panels and on the narrow dot-product layout (n ≤ 4), with ragged
/// k and m, and its row independence in Float.
@Suite("Dense kernel")
struct DenseKernelTests {
    static let shapes: [(k: Int, n: Int)] = [(1, 1), (5, 2), (13, 3), (17, 4), (8, 2), (256, 2), (9, 5), (24, 16), (30, 37)]

    /// C = act((C if accumulate) + A·W + b) with the kernel; W is k × n (or stored n × k when `transposed`).
    static func dense<S: NetworkScalar>(_ a: [S], rows m: Int, k: Int, n: Int, w: [S], transposed: Bool, bias: [S],
                                        accumulate: Bool, c: [S], activation: Activation) -> (c: [S], aux: [S]) {
        var packed = [S](repeating: 0, count: S.packedWeightsCount(inputs: k, outputs: n))
        w.withUnsafeBufferPointer { wp in
            packed.withUnsafeMutableBufferPointer {
                S.packWeights(inputs: k, outputs: n, wp.baseAddress!, ld: transposed ? k : n, transposed: transposed, into: $0.baseAddress!)
            }
        }
        var out = c, aux = [S](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { ap in
            packed.withUnsafeBufferPointer { pp in
                bias.withUnsafeBufferPointer { bp in
                    out.withUnsafeMutableBufferPointer { op in
                        aux.withUnsafeMutableBufferPointer { xp in
                            S.denseForward(rows: m, outputs: n, inputs: k, ap.baseAddress!, lda: k, packed: pp.baseAddress!,
                                           bias: bp.baseAddress!, accumulate: accumulate, activation: activation == .silu ? 1 : 3,  // NetworkKernels.h codes
                                           slope: S(0.2), into: op.baseAddress!, ldc: n, aux: xp.baseAddress!)
                        }
                    }
                }
            }
        }
        return (out, aux)
    }

    @Test(arguments: [Activation.silu, .leakyReLU])
    func matchesTheFormula(_ activation: Activation) {
        let rng = RandomStream(seed: 21)
        var index: UInt64 = 0
        func draw(_ count: Int) -> [Double] { (0..<count).map { _ in index += 1; return rng.normal(index) } }
        for (k, n) in Self.shapes {
            for (m, accumulate, transposed) in [(13, false, false), (7, true, true)] {
                let a = draw(m * k), w = draw(k * n), bias = draw(n), c0 = draw(m * n)
                let (c, aux) = Self.dense(a, rows: m, k: k, n: n, w: w, transposed: transposed, bias: bias, accumulate: accumulate,
                                          c: c0, activation: activation)
                var worst = 0.0
                for i in 0..<m {
                    for j in 0..<n {
                        var z = bias[j] + (accumulate ? c0[i * n + j] : 0)
                        for p in 0..<k { z += a[i * k + p] * (transposed ? w[j * k + p] : w[p * n + j]) }
                        let sigma = 1 / (1 + exp(-z))
                        let expected = activation == .silu ? z * sigma : (z > 0 ? z : 0.2 * z)
                        worst = max(worst, abs(c[i * n + j] - expected) / max(1, abs(expected)))
                        if activation == .silu { worst = max(worst, abs(aux[i * n + j] - sigma)) }
                    }
                }
                #expect(worst < 1e-12, "k \(k), n \(n), m \(m): error \(worst)")
            }
        }
    }

    @Test func aRowDoesNotDependOnTheOtherRows() {
        let rng = RandomStream(seed: 22)
        for (k, n) in Self.shapes {
            let m = 11
            let a: [Float] = (0..<(m * k)).map { Float(rng.normal(UInt64($0))) }
            let w: [Float] = (0..<(k * n)).map { Float(rng.normal(UInt64(1000 + $0))) }
            let bias: [Float] = (0..<n).map { Float(rng.normal(UInt64(5000 + $0))) }
            let zero = [Float](repeating: 0, count: m * n)
            let whole = Self.dense(a, rows: m, k: k, n: n, w: w, transposed: false, bias: bias, accumulate: false, c: zero,
                                   activation: .silu).c
            for i in 0..<m {
                let row = Self.dense(Array(a[(i * k)..<((i + 1) * k)]), rows: 1, k: k, n: n, w: w, transposed: false, bias: bias,
                                     accumulate: false, c: [Float](repeating: 0, count: n), activation: .silu).c
                #expect(row.map(\.bitPattern) == whole[(i * n)..<((i + 1) * n)].map(\.bitPattern), "k \(k), n \(n), row \(i)")
            }
        }
    }

    /// The float kernel on AVX-512 (12 rows × 16 columns of zmm, then the AVX2 epilogue on each
    /// half) gives the AVX2 kernel's bits, C and σ alike: 240 random layers with m in 1…60 (12-
    /// and 6-row tiles and the padded last rows), n in 1…70 (ragged panels; n ≤ 4 is the shared
    /// narrow path), k in 1…300, padded row strides, W or Wᵀ packed, with and without bias and
    /// accumulation, all four activations. A zero-size check would pass vacuously, so the outputs
    /// must also differ from their starting values.
    @Test(.enabled(if: ek_kernels_avx512_supported() != 0, "no AVX-512 on this CPU: only the AVX2 kernel runs"))
    func avx512KernelGivesTheAvx2KernelsBits() {
        let rng = RandomStream(seed: 23)
        var mismatches: [String] = [], changed = 0, total = 0
        for trial in 0..<240 {
            let r = rng.substream(UInt64(trial))
            let m = 1 + r.integer(0, below: 60), n = 1 + r.integer(1, below: 70), k = 1 + r.integer(2, below: 300)
            let lda = k + r.integer(3, below: 3), ldc = n + r.integer(4, below: 3)
            let transposed = trial % 2 == 1, accumulate = (trial / 2) % 2 == 1, activation = Int32((trial / 4) % 4)
            let withBias = trial % 5 != 0
            func draw(_ count: Int, _ label: UInt64) -> [Float] {
                let s = r.substream(label)
                return (0..<count).map { Float(s.normal(UInt64($0))) }
            }
            let a = draw(m * lda, 1), w = draw(k * n, 2), bias = draw(n, 3), c0 = draw(m * ldc, 4)
            var packed = [Float](repeating: 0, count: Int(ek_spacked_weights_count(Int64(k), Int64(n))))
            w.withUnsafeBufferPointer { wp in
                packed.withUnsafeMutableBufferPointer {
                    ek_spack_weights(Int64(k), Int64(n), wp.baseAddress, Int64(transposed ? k : n), transposed ? 1 : 0,
                                     $0.baseAddress)
                }
            }
            typealias Kernel = (Int64, Int64, Int64, UnsafePointer<Float>?, Int64, UnsafePointer<Float>?,
                                UnsafePointer<Float>?, Int32, Int32, Float, UnsafeMutablePointer<Float>?, Int64,
                                UnsafeMutablePointer<Float>?) -> Void
            func run(_ kernel: Kernel) -> (c: [Float], aux: [Float]) {
                var c = c0, aux = [Float](repeating: -7, count: m * ldc)
                a.withUnsafeBufferPointer { ap in
                    packed.withUnsafeBufferPointer { pp in
                        bias.withUnsafeBufferPointer { bp in
                            c.withUnsafeMutableBufferPointer { cp in
                                aux.withUnsafeMutableBufferPointer { xp in
                                    kernel(Int64(m), Int64(n), Int64(k), ap.baseAddress, Int64(lda), pp.baseAddress,
                                           withBias ? bp.baseAddress : nil, accumulate ? 1 : 0, activation, 0.2,
                                           cp.baseAddress, Int64(ldc), xp.baseAddress)
                                }
                            }
                        }
                    }
                }
                return (c, aux)
            }
            let wide = run(ek_sdense_forward_avx512), narrow = run(ek_sdense_forward_avx2)
            for (name, x, y) in [("C", wide.c, narrow.c), ("σ", wide.aux, narrow.aux)] {
                if let index = x.indices.first(where: { x[$0].bitPattern != y[$0].bitPattern }) {
                    mismatches.append("m \(m) n \(n) k \(k) act \(activation) acc \(accumulate): \(name)[\(index)] "
                                      + "\(x[index]) vs \(y[index])")
                }
            }
            for i in 0..<m { for j in 0..<n where wide.c[i * ldc + j] != c0[i * ldc + j] { changed += 1 } }
            total += m * n
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) differ, e.g. \(mismatches.prefix(3))")
        #expect(changed > total * 9 / 10, "\(changed) of \(total) outputs changed")
    }

    /// The implicit-GEMM convolution (`ek_sconv3x3_forward`: im2col rows read in place from a
    /// zero-padded copy of the image) gives the bits of im2col followed by the AVX2 dense kernel,
    /// on 120 random convolutions: sizes 1…30 (7, 14 and 28 of the U-Net among them, rows split
    /// into tiles of up to 14 pixels), 1…48 input channels, 5…70 outputs (ragged panels),
    /// up-sampled inputs, with and without bias and accumulation. Outputs must also change, so
    /// that an empty result cannot pass.
    @Test(.enabled(if: ek_kernels_avx512_supported() != 0 && ProcessInfo.processInfo.environment["MONGE_KERNELS"] != "avx2",
                   "the implicit convolution runs on the AVX-512 kernels only"))
    func implicitConvolutionGivesIm2colBits() {
        let rng = RandomStream(seed: 29)
        var mismatches: [String] = [], changed = 0, total = 0, declined = 0
        let sizes = [1, 2, 3, 5, 7, 8, 13, 14, 15, 16, 27, 28, 30]
        for trial in 0..<120 {
            let r = rng.substream(UInt64(trial))
            let upsampled = trial % 3 == 2
            var h = sizes[r.integer(0, below: sizes.count)], w = sizes[r.integer(1, below: sizes.count)]
            if upsampled { h = 2 * max(1, h / 2); w = 2 * max(1, w / 2) }
            let c = 1 + r.integer(2, below: 48), n = 5 + r.integer(3, below: 66)
            let accumulate = trial % 2 == 1, withBias = trial % 5 != 0
            func draw(_ count: Int, _ label: UInt64) -> [Float] {
                let s = r.substream(label)
                return (0..<count).map { Float(s.normal(UInt64($0))) }
            }
            let stored = upsampled ? h * w / 4 : h * w
            let x = draw(stored * c, 1), weight = draw(9 * c * n, 2), bias = draw(n, 3), y0 = draw(h * w * n, 4)
            var packed = [Float](repeating: 0, count: Int(ek_spacked_weights_count(Int64(9 * c), Int64(n))))
            weight.withUnsafeBufferPointer { wp in
                packed.withUnsafeMutableBufferPointer { ek_spack_weights(Int64(9 * c), Int64(n), wp.baseAddress, Int64(n), 0, $0.baseAddress) }
            }
            var implicit = y0, reference = y0, column = [Float](repeating: .nan, count: h * w * 9 * c)
            var done: Int32 = 0
            x.withUnsafeBufferPointer { xp in
                packed.withUnsafeBufferPointer { pp in
                    bias.withUnsafeBufferPointer { bp in
                        implicit.withUnsafeMutableBufferPointer {
                            done = ek_sconv3x3_forward(Int64(h), Int64(w), Int64(c), xp.baseAddress, upsampled ? 1 : 0, Int64(n),
                                                       pp.baseAddress, withBias ? bp.baseAddress : nil, accumulate ? 1 : 0, $0.baseAddress)
                        }
                        column.withUnsafeMutableBufferPointer { cp in
                            ek_sim2col3x3(Int64(h), Int64(w), Int64(c), xp.baseAddress, Int64(c), 1, upsampled ? 1 : 0, 0, Int64(h),
                                          cp.baseAddress)
                            reference.withUnsafeMutableBufferPointer {
                                ek_sdense_forward_avx2(Int64(h * w), Int64(n), Int64(9 * c), cp.baseAddress, Int64(9 * c), pp.baseAddress,
                                                       withBias ? bp.baseAddress : nil, accumulate ? 1 : 0, 0, 0, $0.baseAddress,
                                                       Int64(n), nil)
                            }
                        }
                    }
                }
            }
            if done == 0 { declined += 1; continue }
            if let index = implicit.indices.first(where: { implicit[$0].bitPattern != reference[$0].bitPattern }) {
                mismatches.append("h \(h) w \(w) c \(c) n \(n) up \(upsampled) acc \(accumulate): y[\(index)] \(implicit[index]) vs \(reference[index])")
            }
            changed += implicit.indices.filter { implicit[$0] != y0[$0] }.count
            total += implicit.count
        }
        let identical = mismatches.isEmpty
        #expect(declined == 0, "the implicit path declined \(declined) convolutions")
        #expect(identical, "\(mismatches.count) differ, e.g. \(mismatches.prefix(3))")
        #expect(changed > total * 9 / 10, "\(changed) of \(total) outputs changed")
    }

    /// The implicit weight gradient (`ek_sconv3x3_weight_gradient`: dWᵀ ← dyᵀ·im2col(x) + β·dWᵀ
    /// with im2col read in place from padded images through per-pixel offsets) gives the bits of
    /// im2col followed by the AVX2 packed SGEMM, on 60 random cases: 1–3 images of 1…30 pixels a
    /// side, 16, 32 or 48 input channels, 1…70 outputs, up-sampled inputs, β = 0 and 1. Channel
    /// counts whose im2col runs do not fill whole 16-column panels are declined.
    @Test(.enabled(if: ek_kernels_avx512_supported() != 0 && ProcessInfo.processInfo.environment["MONGE_KERNELS"] != "avx2",
                   "the implicit convolution runs on the AVX-512 kernels only"))
    func implicitWeightGradientGivesIm2colBits() {
        let rng = RandomStream(seed: 31)
        var mismatches: [String] = [], changed = 0, total = 0, declined = 0
        let sizes = [1, 2, 3, 5, 7, 8, 13, 14, 16, 27, 28, 30]
        for trial in 0..<60 {
            let r = rng.substream(UInt64(trial))
            let upsampled = trial % 3 == 2
            var h = sizes[r.integer(0, below: sizes.count)], w = sizes[r.integer(1, below: sizes.count)]
            if upsampled { h = 2 * max(1, h / 2); w = 2 * max(1, w / 2) }
            let images = 1 + r.integer(2, below: 3), c = [16, 32, 48][r.integer(3, below: 3)], n = 1 + r.integer(4, below: 70)
            let beta: Float = trial % 2 == 0 ? 0 : 1
            func draw(_ count: Int, _ label: UInt64) -> [Float] {
                let s = r.substream(label)
                return (0..<count).map { Float(s.normal(UInt64($0))) }
            }
            let stored = upsampled ? h * w / 4 : h * w, pixels = h * w, patch = 9 * c
            let x = draw(images * stored * c, 1), dy = draw(images * pixels * n, 2), start = draw(n * patch, 3)
            var implicit = start, reference = start, column = [Float](repeating: .nan, count: images * pixels * patch)
            var done: Int32 = 0
            x.withUnsafeBufferPointer { xp in
                dy.withUnsafeBufferPointer { dp in
                    implicit.withUnsafeMutableBufferPointer {
                        done = ek_sconv3x3_weight_gradient(Int64(images), Int64(h), Int64(w), Int64(c), xp.baseAddress, upsampled ? 1 : 0,
                                                           Int64(n), dp.baseAddress, beta, $0.baseAddress)
                    }
                    column.withUnsafeMutableBufferPointer { cp in
                        for i in 0..<images {
                            ek_sim2col3x3(Int64(h), Int64(w), Int64(c), xp.baseAddress! + i * stored * c, Int64(c), 1, upsampled ? 1 : 0, 0,
                                          Int64(h), cp.baseAddress! + i * pixels * patch)
                        }
                        reference.withUnsafeMutableBufferPointer {
                            ek_sgemm_packed_avx2(1, 0, Int64(n), Int64(patch), Int64(images * pixels), 1, dp.baseAddress, Int64(n),
                                                 cp.baseAddress, Int64(patch), beta, $0.baseAddress, Int64(patch))
                        }
                    }
                }
            }
            if done == 0 { declined += 1; continue }
            if let index = implicit.indices.first(where: { implicit[$0].bitPattern != reference[$0].bitPattern }) {
                mismatches.append("images \(images) h \(h) w \(w) c \(c) n \(n) up \(upsampled) β \(beta): dWᵀ[\(index)] "
                                  + "\(implicit[index]) vs \(reference[index])")
            }
            changed += implicit.indices.filter { implicit[$0] != start[$0] }.count
            total += implicit.count
        }
        var odd = [Float](repeating: 0, count: 9 * 5 * 4)
        let oddDone = [Float](repeating: 1, count: 4 * 4 * 5).withUnsafeBufferPointer { xp in
            [Float](repeating: 1, count: 4 * 4 * 4).withUnsafeBufferPointer { dp in
                odd.withUnsafeMutableBufferPointer {
                    ek_sconv3x3_weight_gradient(1, 4, 4, 5, xp.baseAddress, 0, 4, dp.baseAddress, 0, $0.baseAddress)
                }
            }
        }
        let identical = mismatches.isEmpty
        #expect(declined == 0, "the implicit path declined \(declined) cases")
        #expect(identical, "\(mismatches.count) differ, e.g. \(mismatches.prefix(3))")
        #expect(changed > total * 9 / 10, "\(changed) of \(total) outputs changed")
        #expect(oddDone == 0 && odd.allSatisfy { $0 == 0 }, "5 channels (runs of 15 columns) must be declined untouched")
    }
}
