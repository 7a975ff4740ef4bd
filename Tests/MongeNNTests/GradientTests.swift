import MongeNN
import Testing

/// Hand-written backprop against central finite differences, in Double.
///
/// The loss is L = Σ w ⊙ ε̂(x, t) with random weights w, so ∂L/∂ε̂ = w. Every parameter and
/// every input coordinate is perturbed by ±h, ±2h (h = 1e-4): the five-point difference has
/// error O(h⁴) plus rounding ≈ 1e-12/h, far below the 1e-7 tolerance, while any wrong term of a
/// backward pass shows up at O(1).
@Suite("Gradients vs finite differences")
struct GradientTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let config: ModelConfig
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "anchor mlp, SiLU", config: ModelConfig(architecture: .mlp, dimension: 2, width: 8, depth: 3, timeEmbedding: 6)),
        Case(label: "mlp, ReLU, 3-D", config: ModelConfig(architecture: .mlp, dimension: 3, width: 7, depth: 2, timeEmbedding: 4,
                                                         activation: .relu)),
        Case(label: "mlp, LeakyReLU", config: ModelConfig(architecture: .mlp, dimension: 2, width: 6, depth: 1, timeEmbedding: 4,
                                                        activation: .leakyReLU, negativeSlope: 0.2)),
        Case(label: "residual, GroupNorm", config: ModelConfig(architecture: .residual, dimension: 2, width: 8, depth: 2,
                                                             timeEmbedding: 6, normalization: .group, groups: 2)),
        Case(label: "residual, LayerNorm, LeakyReLU", config: ModelConfig(architecture: .residual, dimension: 2, width: 6, depth: 1,
                                                                        timeEmbedding: 4, activation: .leakyReLU, negativeSlope: 0.1,
                                                                        normalization: .layer)),
        Case(label: "residual, no norm, ReLU", config: ModelConfig(architecture: .residual, dimension: 3, width: 5, depth: 2,
                                                                 timeEmbedding: 4, activation: .relu, normalization: .none)),
        Case(label: "residual, dropout 0.3", config: ModelConfig(architecture: .residual, dimension: 2, width: 8, depth: 2,
                                                               timeEmbedding: 4, normalization: .group, groups: 2, dropout: 0.3)),
        Case(label: "residual, no blocks", config: ModelConfig(architecture: .residual, dimension: 2, width: 4, depth: 0,
                                                             timeEmbedding: 4, groups: 1)),
        Case(label: "ddib-unet, GroupNorm, 2 blocks a side", config: ModelConfig(architecture: .ddibUNet, dimension: 2, width: 6,
                                                                                depth: 2, timeEmbedding: 4, groups: 2)),
        Case(label: "ddib-unet, dropout 0.2", config: ModelConfig(architecture: .ddibUNet, dimension: 2, width: 6, depth: 1,
                                                                 timeEmbedding: 4, groups: 2, dropout: 0.2)),
        Case(label: "ddib-unet, no norm, ReLU, 3-D", config: ModelConfig(architecture: .ddibUNet, dimension: 3, width: 5, depth: 1,
                                                                        timeEmbedding: 4, activation: .relu, normalization: .none)),
    ]

    /// Random parameters everywhere (the zero-initialised layers too, so that every path carries gradient).
    static func randomParameters(_ network: EpsilonNetwork<Double>, seed: UInt64) -> [Double] {
        let rng = RandomStream(seed: seed, stream: 77)
        return (0..<network.parameterCount).map { 0.6 * rng.normal(UInt64($0)) }
    }

    static func loss(_ network: EpsilonNetwork<Double>, _ p: [Double], _ x: [Double], _ t: [Int], _ w: [Double],
                     _ noise: DropoutNoise?, _ workspace: TrainingWorkspace<Double>) -> Double {
        let rows = t.count
        return x.withUnsafeBufferPointer { xp in
            t.withUnsafeBufferPointer { tp in
                p.withUnsafeBufferPointer { pp in
                    let y = network.forward(rows: rows, x: xp.baseAddress!, timesteps: tp.baseAddress!, parameters: pp.baseAddress!,
                                            workspace: workspace, dropout: noise, firstRow: 3)
                    return (0..<w.count).reduce(0.0) { $0 + w[$1] * y[$1] }
                }
            }
        }
    }

    @Test(arguments: cases)
    func backwardMatchesFiniteDifferences(_ c: Case) throws {
        let network = try EpsilonNetwork<Double>(config: c.config, timesteps: 50)
        let rows = 7, d = c.config.dimension
        let rng = RandomStream(seed: 11)
        let p = Self.randomParameters(network, seed: 1)
        let x = (0..<(rows * d)).map { rng.normal(UInt64($0)) }
        // Repeated timesteps (7 rows, 4 values) exercise the per-timestep sums of the time path.
        let t = (0..<rows).map { 40 + rng.substream(1).integer(UInt64($0), below: 4) }
        #expect(Set(t).count < rows)
        let w = (0..<(rows * d)).map { rng.substream(2).normal(UInt64($0)) }
        let noise: DropoutNoise? = c.config.dropout > 0 ? DropoutNoise(stream: RandomStream(seed: 5), rate: c.config.dropout) : nil
        let workspace = network.makeTrainingWorkspace(rows: rows)

        // Analytic gradients.
        var gradient = [Double](repeating: 0, count: network.parameterCount)
        var dx = [Double](repeating: 0, count: rows * d)
        _ = Self.loss(network, p, x, t, w, noise, workspace)
        w.withUnsafeBufferPointer { wp in
            p.withUnsafeBufferPointer { pp in
                gradient.withUnsafeMutableBufferPointer { gp in
                    dx.withUnsafeMutableBufferPointer { dxp in
                        network.backward(outputGradient: wp.baseAddress!, parameters: pp.baseAddress!, workspace: workspace,
                                         gradient: gp.baseAddress!, inputGradient: dxp.baseAddress!)
                    }
                }
            }
        }

        // Central differences.
        // Five-point central difference: error O(h⁴).
        let h = 1e-4
        func central(_ f: (Double) -> Double) -> Double { (8 * (f(h) - f(-h)) - (f(2 * h) - f(-2 * h))) / (12 * h) }
        var worst = 0.0, worstName = ""
        let scale = max(gradient.map(abs).max() ?? 0, 1e-3)
        for entry in network.layout.entries {
            for i in entry.range {
                let numeric = central { delta in
                    var q = p
                    q[i] += delta
                    return Self.loss(network, q, x, t, w, noise, workspace)
                }
                let error = abs(numeric - gradient[i]) / scale
                if error > worst { worst = error; worstName = "\(entry.name)[\(i - entry.offset)]" }
            }
        }
        #expect(worst < 1e-7, "worst parameter gradient error \(worst) at \(worstName)")

        let dxScale = max(dx.map(abs).max() ?? 0, 1e-3)
        var worstX = 0.0
        for i in 0..<x.count {
            let numeric = central { delta in
                var y = x
                y[i] += delta
                return Self.loss(network, p, y, t, w, noise, workspace)
            }
            worstX = max(worstX, abs(numeric - dx[i]) / dxScale)
        }
        #expect(worstX < 1e-7, "worst input gradient error \(worstX)")
        // The check has teeth: the gradient is far from zero.
        #expect(gradient.map(abs).max()! > 1e-3)
    }

    @Test func gradientsAccumulateAcrossCalls() throws {
        // Two backward passes into one buffer give the sum (the per-chunk gradient sum relies on it).
        let config = ModelConfig(architecture: .residual, dimension: 2, width: 8, depth: 1, timeEmbedding: 4, groups: 2)
        let network = try EpsilonNetwork<Double>(config: config, timesteps: 10)
        let p = Self.randomParameters(network, seed: 2)
        let x = [0.3, -1.2, 0.7, 0.1], t = [3, 8], w = [1.0, -2.0, 0.5, 0.25]
        let workspace = network.makeTrainingWorkspace(rows: 2)
        func backward(into g: inout [Double]) {
            _ = Self.loss(network, p, x, t, w, nil, workspace)
            w.withUnsafeBufferPointer { wp in
                p.withUnsafeBufferPointer { pp in
                    g.withUnsafeMutableBufferPointer { gp in
                        network.backward(outputGradient: wp.baseAddress!, parameters: pp.baseAddress!, workspace: workspace,
                                         gradient: gp.baseAddress!)
                    }
                }
            }
        }
        var once = [Double](repeating: 0, count: network.parameterCount)
        backward(into: &once)
        var twice = [Double](repeating: 0, count: network.parameterCount)
        backward(into: &twice)
        backward(into: &twice)
        let error = zip(once, twice).map { abs(2 * $0 - $1) }.max()!
        #expect(error < 1e-12)
    }
}
