import Foundation
import MongeNN

/// A trained ε-network as a `Denoiser`: what samplers call. Use the EMA weights for sampling.
///
/// `epsilon` splits the rows into chunks over the available threads, each with its own
/// workspace, so concurrent calls are safe; a row's result depends only on that row (the
/// network evaluates tiles padded to a multiple of 8 rows), so it is the same bitwise whatever
/// the batch it arrives in or the thread count.
public struct NetworkDenoiser: Denoiser {
    public typealias Scalar = Float

    public let network: EpsilonNetwork<Float>
    public let parameters: [Float]
    public let schedule: NoiseSchedule
    /// The weights packed once for the inference kernel.
    public let packed: PackedParameters<Float>
    /// Workspaces reused across calls (a sampler calls `epsilon` thousands of times).
    private let pool: WorkspacePool

    /// Throws when the parameters or the schedule do not fit the network.
    public init(network: EpsilonNetwork<Float>, parameters: [Float], schedule: NoiseSchedule) throws {
        guard parameters.count == network.parameterCount else {
            throw MongeError.shapeMismatch("\(parameters.count) parameters for a network of \(network.parameterCount)")
        }
        guard schedule.count == network.timesteps else {
            throw MongeError.invalidArgument(name: "T", message: "the network embeds \(network.timesteps) timesteps, the schedule has \(schedule.count)")
        }
        self.network = network
        self.parameters = parameters
        self.schedule = schedule
        packed = network.pack(parameters)
        pool = WorkspacePool(network: network)
    }

    public var dimension: Int { network.dimension }
    public var imageShape: ImageShape? { network.config.image }

    /// Rows per thread below which `epsilon` stays on the calling thread (samplers already spread
    /// their blocks over the threads; a large single call is split here). An image is work enough
    /// on its own: image models split any call (`minimumImagesPerThread`).
    public static let minimumRowsPerThread = 2048
    public static let minimumImagesPerThread = 1

    public func epsilon(_ x: Matrix<Float>, timestep t: Int) -> Matrix<Float> {
        precondition(x.columns == dimension, "epsilon: x has \(x.columns) columns, the model \(dimension)")
        var out = Matrix<Float>(rows: x.rows, columns: dimension)
        let d = dimension
        x.storage.withUnsafeBufferPointer { xp in
            parameters.withUnsafeBufferPointer { pp in
                out.storage.withUnsafeMutableBufferPointer { op in
                    let x = xp.baseAddress!, p = pp.baseAddress!, o = op.baseAddress!
                    let minimum = network.config.image == nil ? Self.minimumRowsPerThread : Self.minimumImagesPerThread
                    Parallel.forEachChunk(count: xp.count / max(d, 1), minimumChunk: minimum) { range in
                        let workspace = pool.take()
                        network.epsilon(rows: range.count, x: x + range.lowerBound * d, timestep: t, parameters: p, packed: packed,
                                        output: o + range.lowerBound * d, workspace: workspace)
                        pool.give(workspace)
                    }
                }
            }
        }
        return out
    }
}

/// A locked stack of inference workspaces: each call takes one (or makes one) and gives it back.
final class WorkspacePool: @unchecked Sendable {
    private let network: EpsilonNetwork<Float>
    private let lock = NSLock()
    private var free: [InferenceWorkspace<Float>] = []

    init(network: EpsilonNetwork<Float>) { self.network = network }

    func take() -> InferenceWorkspace<Float> {
        lock.lock()
        let workspace = free.popLast()
        lock.unlock()
        return workspace ?? network.makeInferenceWorkspace()
    }

    func give(_ workspace: InferenceWorkspace<Float>) {
        lock.lock()
        free.append(workspace)
        lock.unlock()
    }
}
