import Foundation
import MongeCore
import MongeNN

/// A velocity model v_θ(x, t), t ∈ [0, 1], on Monge's ε-network bodies (MLP or residual): the
/// network's sinusoidal time input is evaluated at the real position `timeScale`·t instead of an
/// integer timestep (`TimeEmbedding(dimension:positions:)`), so nothing of the network is duplicated.
public struct VelocityNetwork: Sendable {
    public let network: EpsilonNetwork<Float>
    /// t ↦ position `timeScale`·t of the sinusoidal embedding (frequencies 1 … 10⁻⁴ per unit position).
    public let timeScale: Double

    /// Throws when the config is invalid or a U-Net (flows here are on points).
    public init(config: ModelConfig, timeScale: Double) throws {
        guard config.architecture != .unet else {
            throw MongeError.invalidArgument(name: "architecture", message: "flows use the mlp or residual bodies, not the unet")
        }
        guard timeScale.isFinite, timeScale > 0 else {
            throw MongeError.invalidArgument(name: "time scale", message: "must be positive and finite, got \(timeScale)")
        }
        network = try EpsilonNetwork<Float>(config: config, timesteps: 1)
        self.timeScale = timeScale
    }

    public var dimension: Int { network.dimension }

    /// The network reading row i's time from `times[i]`.
    public func network(times: [Double]) -> EpsilonNetwork<Float> {
        network.withTimeEmbedding(TimeEmbedding(dimension: network.config.timeEmbedding, positions: times.map { $0 * timeScale }))
    }

    /// The default body: TorchCFM's 2-D model size (3 hidden layers of width 64) as Monge's MLP
    /// with SiLU and a 32-dimensional time embedding.
    public static func defaultConfig(dimension: Int = 2, width: Int = 64, depth: Int = 3) -> ModelConfig {
        ModelConfig(architecture: .mlp, dimension: dimension, width: width, depth: depth, timeEmbedding: 32,
                    normalization: .none, groups: 1)
    }

    /// The default position scale of t: features from sin(10t) down to almost linear ones.
    public static let defaultTimeScale = 10.0
}

/// A trained flow as a `VelocityField`: fixed weights, evaluated in Float on the network's
/// inference path (single-threaded; one per thread).
public final class FlowField: VelocityField {
    public let model: VelocityNetwork
    public let parameters: [Float]
    let packed: PackedParameters<Float>
    let workspace: InferenceWorkspace<Float>
    var input: [Float] = []
    var output: [Float] = []

    public init(model: VelocityNetwork, parameters: [Float]) throws {
        guard parameters.count == model.network.parameterCount else {
            throw MongeError.shapeMismatch("\(parameters.count) weights for a velocity network of \(model.network.parameterCount)")
        }
        self.model = model
        self.parameters = parameters
        packed = model.network.pack(parameters)
        workspace = model.network.makeInferenceWorkspace()
    }

    public var dimension: Int { model.dimension }

    public func velocity(_ x: [Double], rows: Int, t: Double, into result: inout [Double]) {
        let d = dimension, count = rows * d
        if input.count != count { input = [Float](repeating: 0, count: count); output = input }
        for j in 0..<count { input[j] = Float(x[j]) }
        let network = model.network(times: [t])
        input.withUnsafeBufferPointer { xp in
            parameters.withUnsafeBufferPointer { pp in
                output.withUnsafeMutableBufferPointer { op in
                    network.epsilon(rows: rows, x: xp.baseAddress!, timestep: 0, parameters: pp.baseAddress!, packed: packed,
                                    output: op.baseAddress!, workspace: workspace)
                }
            }
        }
        if result.count != count { result = [Double](repeating: 0, count: count) }
        for j in 0..<count { result[j] = Double(output[j]) }
    }
}
