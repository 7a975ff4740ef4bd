import Foundation
import MongeCore
import MongeFlows
import MongeNN
import TestSupport
import Testing

@Suite("Velocity network and checkpoints")
struct FlowModelTests {
    /// Positions 0, 1, 2, … give the integer-timestep table bit for bit; position p gives sin/cos(p·f_k).
    @Test func continuousEmbeddingExtendsTheTimestepTable() {
        let integer = TimeEmbedding<Float>(dimension: 8, timesteps: 5)
        let positions = TimeEmbedding<Float>(dimension: 8, positions: [0, 1, 2, 3, 4])
        #expect(integer.table == positions.table)
        let half = TimeEmbedding<Float>(dimension: 8, positions: [2.5])
        for k in 0..<4 {
            let f = exp(-log(10000.0) * Double(k) / 4)
            #expect(abs(Double(half.table[k]) - sin(2.5 * f)) < 1e-6)
            #expect(abs(Double(half.table[4 + k]) - cos(2.5 * f)) < 1e-6)
        }
    }

    /// The inference path at time t equals the training forward pass with per-row times t.
    @Test func fieldAgreesWithTheTrainingPass() throws {
        let model = try VelocityNetwork(config: VelocityNetwork.defaultConfig(width: 16, depth: 2), timeScale: 10)
        let p = model.network.initialParameters(seed: 3)
        let x = Matrix<Float>([[0.5, -1], [2, 0.25], [-0.3, 0.9]])
        let training = model.network(times: [0.3, 0.3, 0.3]).forward(x, timesteps: [0, 1, 2], parameters: p)
        var out: [Double] = []
        try FlowField(model: model, parameters: p).velocity(x.storage.map(Double.init), rows: 3, t: 0.3, into: &out)
        for j in 0..<6 { #expect(abs(Double(training.storage[j]) - out[j]) < 1e-5) }
        // A different time gives a different field.
        var other: [Double] = []
        try FlowField(model: model, parameters: p).velocity(x.storage.map(Double.init), rows: 3, t: 0.7, into: &other)
        #expect(out != other)
    }

    @Test func checkpointRoundTripsAndRefusesDamage() throws {
        let folder = TestSupport.temporaryFolder("flow-checkpoint")
        let config = VelocityNetwork.defaultConfig(width: 8, depth: 1)
        let model = try VelocityNetwork(config: config, timeScale: 10)
        let weights = model.network.initialParameters(seed: 1), raw = model.network.initialParameters(seed: 2)
        let training = FlowTrainingConfig(objective: try FlowObjective(method: .optimalTransport), steps: 3)
        try FlowCheckpoint.write(config: .init(model: config, timeScale: 10, training: training, source: "a", target: "b"),
                                 weights: weights, raw: raw, to: folder)
        let loaded = try FlowCheckpoint.load(folder)
        #expect(loaded.weights == weights)
        #expect(loaded.config.training == training)
        #expect { try FlowCheckpoint.load(folder + "/nothing") } throws: { "\($0)".contains("holds no trained flow") }
        // flow.json describing another width: the weights no longer fit.
        let path = folder + "/flow.json"
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\"width\" : 8", with: "\"width\" : 9")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try FlowCheckpoint.load(folder) } throws: { "\($0)".contains("model.safetensors") && "\($0)".contains("shape") }
    }
}
