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
}
