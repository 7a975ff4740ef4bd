import Foundation
import MongeNN
import Testing

@Suite("Layers against closed forms")
struct LayerTests {
    @Test func timeEmbeddingIsTheSinusoidFormula() {
        let embedding = TimeEmbedding<Double>(dimension: 6, timesteps: 20)
        #expect(Array(embedding.table[0..<6]) == [0, 0, 0, 1, 1, 1])
        let t = 17.0
        for k in 0..<3 {
            let f = pow(10000.0, -Double(k) / 3)
            #expect(abs(embedding.table[17 * 6 + k] - sin(t * f)) < 1e-15)
            #expect(abs(embedding.table[17 * 6 + 3 + k] - cos(t * f)) < 1e-15)
        }
        // bench_diffusion.py's dimension 128: f_63 = 10000^(-63/64).
        let big = TimeEmbedding<Float>(dimension: 128, timesteps: 1000)
        #expect(abs(Double(big.table[999 * 128 + 63]) - sin(999 * pow(10000.0, -63.0 / 64))) < 1e-6)
    }

    @Test func activationsMatchTheirDefinitions() {
        let z: [Float] = (0..<64).map { Float($0 - 32) * 0.37 }
        let bias: [Float] = (0..<8).map { Float($0) * 0.1 - 0.4 }
        for activation in Activation.allCases {
            var y = z, aux = [Float](repeating: 0, count: z.count)
            y.withUnsafeMutableBufferPointer { yp in
                aux.withUnsafeMutableBufferPointer { ap in
                    bias.withUnsafeBufferPointer { bp in
                        activation.apply(rows: 8, columns: 8, yp.baseAddress!, bias: bp.baseAddress!, slope: 0.2, aux: ap.baseAddress!)
                    }
                }
            }
            for i in 0..<64 {
                let u = Double(z[i]) + Double(bias[i % 8])
                let expected: Double
                switch activation {
                case .silu: expected = u / (1 + exp(-u))
                case .relu: expected = max(u, 0)
                case .leakyReLU: expected = u > 0 ? u : 0.2 * u
                }
                #expect(abs(Double(y[i]) - expected) <= 2e-6 * max(1, abs(expected)), "\(activation) at \(u)")
            }
        }
    }

    @Test func groupNormStandardisesEachGroup() {
        var layout = ParameterLayout()
        let norm = GroupNorm("n", features: 12, groups: 3, layout: &layout)
        let p: [Double] = layout.initialValues(seed: 0)  // scale 1, shift 0
        let rng = RandomStream(seed: 9)
        let x = (0..<(5 * 12)).map { 3 * rng.normal(UInt64($0)) + 2 }
        var xhat = [Double](repeating: 0, count: x.count), rstd = [Double](repeating: 0, count: 15), y = xhat
        x.withUnsafeBufferPointer { xp in
            p.withUnsafeBufferPointer { pp in
                xhat.withUnsafeMutableBufferPointer { hp in
                    rstd.withUnsafeMutableBufferPointer { rp in
                        y.withUnsafeMutableBufferPointer { yp in
                            norm.forward(rows: 5, xp.baseAddress!, parameters: pp.baseAddress!, xhat: hp.baseAddress!,
                                         rstd: rp.baseAddress!, into: yp.baseAddress!)
                        }
                    }
                }
            }
        }
        for row in 0..<5 {
            for g in 0..<3 {
                let values = (0..<4).map { x[row * 12 + g * 4 + $0] }
                let mean = values.reduce(0, +) / 4
                let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
                let out = (0..<4).map { y[row * 12 + g * 4 + $0] }
                #expect(abs(out.reduce(0, +) / 4) < 1e-14)
                // Var of the output is σ²/(σ² + ε) (PyTorch's biased variance and ε = 1e-5).
                let outVariance = out.map { $0 * $0 }.reduce(0, +) / 4
                #expect(abs(outVariance - variance / (variance + 1e-5)) < 1e-13)
                #expect(abs(rstd[row * 3 + g] - 1 / (variance + 1e-5).squareRoot()) < 1e-12)
            }
        }
    }

    @Test func initialisationFollowsPyTorchBoundsAndIsSeeded() throws {
        let network = try EpsilonNetwork<Float>(config: .anchorMLP(width: 128), timesteps: 1000)
        // Parameter count of bench_diffusion.py's EpsMLP(128): (130·W + W) + 2(W² + W) + (2W + 2).
        #expect(network.parameterCount == 130 * 128 + 128 + 2 * (128 * 128 + 128) + 2 * 128 + 2)
        let a = network.initialParameters(seed: 4), b = network.initialParameters(seed: 4), c = network.initialParameters(seed: 5)
        #expect(a == b)
        #expect(a != c)
        let input = network.layout.entry(named: "input.weight")!
        let bound = Float(1 / 130.0.squareRoot())
        let values = Array(a[input.range])
        #expect(values.allSatisfy { abs($0) <= bound })
        // Uniform on [−b, b] has standard deviation b/√3.
        let std = (values.map { Double($0) * Double($0) }.reduce(0, +) / Double(values.count)).squareRoot()
        #expect(abs(std - Double(bound) / 3.0.squareRoot()) < 0.02 * Double(bound))
    }

    @Test func untrainedResidualModelPredictsZero() throws {
        // DDIB zero-initialises the last layer of every block and the output layer.
        let network = try EpsilonNetwork<Float>(config: .ddib2D(width: 64, depth: 2), timesteps: 100)
        let p = network.initialParameters(seed: 1)
        let x: Matrix<Float> = RandomStream(seed: 2).normalMatrix(rows: 10, columns: 2)
        #expect(network.epsilon(x, timestep: 50, parameters: p).storage.allSatisfy { $0 == 0 })
    }

    @Test func dropoutMaskKeepsTheRightFractionWhateverTheChunk() {
        let noise = DropoutNoise(stream: RandomStream(seed: 3), rate: 0.25)
        var whole = [Float](repeating: -1, count: 400 * 16)
        whole.withUnsafeMutableBufferPointer { noise.fillMask(layer: 1, firstRow: 0, rows: 400, columns: 16, into: $0.baseAddress!) }
        let kept = whole.filter { $0 != 0 }
        #expect(kept.allSatisfy { $0 == Float(1 / 0.75) })
        // 6400 Bernoulli(0.75) draws: 4800 ± 35 (σ); allow 5σ.
        #expect(abs(kept.count - 4800) < 175)
        var part = [Float](repeating: -1, count: 37 * 16)
        part.withUnsafeMutableBufferPointer { noise.fillMask(layer: 1, firstRow: 101, rows: 37, columns: 16, into: $0.baseAddress!) }
        #expect(part == Array(whole[(101 * 16)..<(138 * 16)]))
        var other = [Float](repeating: -1, count: 400 * 16)
        other.withUnsafeMutableBufferPointer { noise.fillMask(layer: 2, firstRow: 0, rows: 400, columns: 16, into: $0.baseAddress!) }
        #expect(other != whole)
    }
}
