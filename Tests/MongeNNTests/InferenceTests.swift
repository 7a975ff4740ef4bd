import MongeNN
import Testing

@Suite("Inference at one timestep")
struct InferenceTests {
    static let configs: [ModelConfig] = [
        .anchorMLP(width: 32),
        ModelConfig(architecture: .residual, dimension: 3, width: 24, depth: 2, timeEmbedding: 16, groups: 4),
        ModelConfig(architecture: .residual, dimension: 2, width: 16, depth: 1, timeEmbedding: 8, activation: .leakyReLU,
                    normalization: .none),
        ModelConfig(architecture: .ddibUNet, dimension: 2, width: 16, depth: 2, timeEmbedding: 8, groups: 4, dropout: 0.2),
        ModelConfig(architecture: .ddibUNet, dimension: 3, width: 12, depth: 1, timeEmbedding: 8, activation: .leakyReLU,
                    normalization: .none),
    ]

    /// Random weights everywhere (no zero layers), so that every path matters.
    static func parameters<S: NetworkScalar>(_ network: EpsilonNetwork<S>) -> [S] {
        let rng = RandomStream(seed: 8)
        return (0..<network.parameterCount).map { S(0.3 * rng.normal(UInt64($0))) }
    }

    @Test(arguments: configs)
    func epsilonEqualsTheTrainingForward(_ config: ModelConfig) throws {
        // The inference path folds the timestep-only terms into constants; same function.
        let network = try EpsilonNetwork<Double>(config: config, timesteps: 200)
        let p = Self.parameters(network)
        let x: Matrix<Double> = RandomStream(seed: 4).normalMatrix(rows: 300, columns: config.dimension)
        for t in [0, 1, 117, 199] {
            let fast = network.epsilon(x, timestep: t, parameters: p)
            let reference = network.forward(x, timesteps: [Int](repeating: t, count: 300), parameters: p)
            #expect(fast.maxAbsDifference(reference) < 1e-12 * max(1, reference.storage.map(abs).max()!))
            #expect(reference.storage.map(abs).max()! > 0.1)
        }
    }

    @Test(arguments: configs)
    func aRowsResultDoesNotDependOnTheOtherRows(_ config: ModelConfig) throws {
        // Bitwise, in Float: sampling must give the same points whatever the chunking.
        let network = try EpsilonNetwork<Float>(config: config, timesteps: 100)
        let p = Self.parameters(network)
        let x: Matrix<Float> = RandomStream(seed: 5).normalMatrix(rows: 1000, columns: config.dimension)
        let whole = network.epsilon(x, timestep: 42, parameters: p)
        var pieces: [Matrix<Float>] = []
        var start = 0
        for size in [1, 7, 3, 256, 250, 9, 474] {
            pieces.append(network.epsilon(x.rows(start..<(start + size)), timestep: 42, parameters: p))
            start += size
        }
        #expect(start == 1000)
        let stacked = Matrix.vstack(pieces)
        #expect(zip(stacked.storage, whole.storage).filter { $0.bitPattern != $1.bitPattern }.count == 0)
        // A different tile size gives the same bits too.
        var tiled = Matrix<Float>(rows: 1000, columns: config.dimension)
        let workspace = network.makeInferenceWorkspace(tileRows: 40)
        x.storage.withUnsafeBufferPointer { xp in
            p.withUnsafeBufferPointer { pp in
                tiled.storage.withUnsafeMutableBufferPointer { op in
                    network.epsilon(rows: 1000, x: xp.baseAddress!, timestep: 42, parameters: pp.baseAddress!,
                                    packed: network.pack(pp.baseAddress!), output: op.baseAddress!, workspace: workspace)
                }
            }
        }
        #expect(zip(tiled.storage, whole.storage).filter { $0.bitPattern != $1.bitPattern }.count == 0)
    }
}
