import Foundation
import MongeNN
import Testing

/// DDIB's U-shaped 2-D model: the paper's layer shapes, and the forward pass against a plain
/// re-implementation of the description (loops, no kernels) that fixes which in-block each
/// out-block concatenates and in which order.
@Suite("DDIB U-shaped MLP")
struct DDIBUNetTests {
    @Test func thePapersShapes() throws {
        let config = ModelConfig.ddibPaper2D()
        #expect(config.architecture == .ddibUNet && config.width == 256 && config.depth == 3 && config.timeEmbedding == 256)
        #expect(config.dropout == 0.2 && config.groups == 32 && config.activation == .silu)
        let network = try EpsilonNetwork<Float>(config: config, timesteps: 4000)
        let layout = network.layout
        func shape(_ name: String) -> [Int]? { layout.entry(named: name)?.shape }
        // By hand, W = 256, D = 2, embedding 256 (a Linear(a → b) has a·b + b parameters, a norm of c features 2c):
        //   time MLP 2·(256·256 + 256) = 131 584; input 2·256 + 256 = 768;
        //   5 plain blocks (3 in, 2 middle) × [2·512 (norms) + 3·(256·256 + 256)] = 5 × 198 400 = 992 000;
        //   3 out-blocks × [1024 + 512 (norms) + (512·256 + 256) + 2·(256·256 + 256) + (512·256 + 256) (skip)]
        //     = 3 × 395 776 = 1 187 328;
        //   output norm 512 + Linear(256 → 2) 514.
        #expect(network.parameterCount == 131_584 + 768 + 992_000 + 1_187_328 + 512 + 514)
        #expect(network.parameterCount == 2_312_706)
        #expect(shape("time.0.weight") == [256, 256] && shape("time.1.weight") == [256, 256])
        #expect(shape("input.weight") == [2, 256] && shape("output.weight") == [256, 2])
        for k in 0..<3 {
            #expect(shape("in.\(k).linear1.weight") == [256, 256])
            #expect(shape("in.\(k).norm1.scale") == [256])
            #expect(shape("in.\(k).skip.weight") == nil)
            // Each out-block's first Linear and its skip projection take the 2W = 512 concatenated channels.
            #expect(shape("out.\(k).norm1.scale") == [512])
            #expect(shape("out.\(k).linear1.weight") == [512, 256])
            #expect(shape("out.\(k).skip.weight") == [512, 256])
            #expect(shape("out.\(k).linear2.weight") == [256, 256])
            #expect(shape("out.\(k).time.weight") == [256, 256])
        }
        for k in 0..<2 { #expect(shape("middle.\(k).linear1.weight") == [256, 256]) }
        #expect(shape("middle.2.linear1.weight") == nil && shape("in.3.linear1.weight") == nil && shape("out.3.linear1.weight") == nil)
        // Zero-initialised: Linear₂ of every block and the output layer.
        #expect(layout.entry(named: "out.2.linear2.weight")?.initialization == .constant(0))
        #expect(layout.entry(named: "output.weight")?.initialization == .constant(0))
        #expect(layout.entry(named: "out.0.skip.weight")?.initialization != .constant(0))
    }

    @Test func anUntrainedModelPredictsZero() throws {
        let network = try EpsilonNetwork<Double>(config: .ddibPaper2D(width: 32), timesteps: 100)
        let x: Matrix<Double> = RandomStream(seed: 3).normalMatrix(rows: 5, columns: 2)
        let y = network.forward(x, timesteps: [0, 10, 20, 30, 99], parameters: network.initialParameters(seed: 1))
        #expect(y.storage.allSatisfy { $0 == 0 })
    }

    @Test func validation() {
        var config = ModelConfig.ddibPaper2D()
        config.depth = -1
        #expect(throws: MongeError.self) { try config.validate() }
        config = .ddibPaper2D()
        config.groups = 7
        #expect(throws: MongeError.self) { try config.validate() }
        #expect(throws: Never.self) { try ModelConfig.ddibPaper2D().validate() }
    }

    /// The description, written out with loops: W = 6, 2 blocks a side, GroupNorm(2), SiLU.
    @Test func forwardMatchesTheDescription() throws {
        let config = ModelConfig(architecture: .ddibUNet, dimension: 2, width: 6, depth: 2, timeEmbedding: 4, groups: 2)
        let network = try EpsilonNetwork<Double>(config: config, timesteps: 30)
        let rng = RandomStream(seed: 21)
        let p = (0..<network.parameterCount).map { 0.5 * rng.normal(UInt64($0)) }
        let rows = 4, w = 6
        let x: Matrix<Double> = RandomStream(seed: 22).normalMatrix(rows: rows, columns: 2)
        let t = [0, 7, 7, 29]
        let fast = network.forward(x, timesteps: t, parameters: p)

        func entry(_ name: String) -> ParameterLayout.Entry { network.layout.entry(named: name)! }
        func linear(_ name: String, _ v: [Double]) -> [Double] {
            let weight = entry("\(name).weight"), bias = entry("\(name).bias")
            let (a, b) = (weight.shape[0], weight.shape[1])
            precondition(v.count == a)
            return (0..<b).map { j in p[bias.offset + j] + (0..<a).reduce(0.0) { $0 + v[$1] * p[weight.offset + $1 * b + j] } }
        }
        func norm(_ name: String, _ v: [Double]) -> [Double] {
            let scale = entry("\(name).scale"), shift = entry("\(name).shift")
            let size = v.count / 2
            var y = v
            for g in 0..<2 {
                let part = Array(v[(g * size)..<((g + 1) * size)])
                let mean = part.reduce(0, +) / Double(size)
                let variance = part.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(size)
                for i in 0..<size {
                    let c = g * size + i
                    y[c] = (v[c] - mean) / (variance + 1e-5).squareRoot() * p[scale.offset + c] + p[shift.offset + c]
                }
            }
            return y
        }
        func silu(_ v: [Double]) -> [Double] { v.map { $0 / (1 + exp(-$0)) } }
        func add(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map(+) }
        func block(_ name: String, _ input: [Double], _ e: [Double]) -> [Double] {
            let z = add(linear("\(name).linear1", silu(norm("\(name).norm1", input))), linear("\(name).time", e))
            let branch = linear("\(name).linear2", silu(norm("\(name).norm2", z)))
            let skip = input.count == w ? input : linear("\(name).skip", input)
            return add(skip, branch)
        }
        for r in 0..<rows {
            let embedding = Array(network.embedding.table[(t[r] * 4)..<(t[r] * 4 + 4)])
            let e = silu(linear("time.1", silu(linear("time.0", embedding))))
            var h = linear("input", [x[r, 0], x[r, 1]])
            var saved: [[Double]] = []
            for k in 0..<2 { h = block("in.\(k)", h, e); saved.append(h) }
            for k in 0..<2 { h = block("middle.\(k)", h, e) }
            for j in 0..<2 { h = block("out.\(j)", h + saved[1 - j], e) }  // [h, matching in-block]
            let y = linear("output", silu(norm("output.norm", h)))
            for c in 0..<2 { #expect(abs(y[c] - fast[r, c]) < 1e-12 * max(1, abs(y[c])), "row \(r) column \(c)") }
        }
    }
}
