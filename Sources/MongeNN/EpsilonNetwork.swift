/// An ε-prediction network ε̂_θ(x, t) with hand-written forward and backward passes.
///
/// The network is a value: its config, the layout of its flat parameter array and the time
/// embedding table. Parameters live outside (`[S]`), so one network serves the live weights,
/// their EMA and finite-difference perturbations alike. Two passes:
/// - training: `forward`/`backward` on a `TrainingWorkspace` (per-row timesteps, dropout,
///   gradients of every parameter and optionally of x);
/// - inference: `epsilon` at one timestep, which evaluates the timestep-only part once and runs
///   the rows in tiles of `InferenceWorkspace.tileRows` padded to a multiple of 8, so that a row's
///   result does not depend on the other rows of the call (bitwise).
public struct EpsilonNetwork<S: NetworkScalar>: Sendable {
    public let config: ModelConfig
    public let layout: ParameterLayout
    public private(set) var embedding: TimeEmbedding<S>

    enum Body: Sendable {
        case mlp(MLPBody)
        case residual(ResidualBody)
        case ddibUNet(DDIBUNetBody)
        case unet(UNetBody)
    }

    let body: Body

    /// A network for timesteps 0..<`timesteps`; throws when the config is invalid.
    public init(config: ModelConfig, timesteps: Int) throws {
        try config.validate()
        guard timesteps >= 1 else {
            throw MongeError.invalidArgument(name: "timesteps", message: "must be at least 1, got \(timesteps)")
        }
        self.config = config
        var layout = ParameterLayout()
        switch config.architecture {
        case .mlp: body = .mlp(MLPBody(config: config, layout: &layout))
        case .residual: body = .residual(ResidualBody(config: config, layout: &layout))
        case .ddibUNet: body = .ddibUNet(DDIBUNetBody(config: config, layout: &layout))
        case .unet: body = .unet(UNetBody(config: config, layout: &layout))
        }
        self.layout = layout
        embedding = TimeEmbedding(dimension: config.timeEmbedding, timesteps: timesteps)
    }

    /// The same network (layout, parameters' meaning) reading its times from `embedding`: a
    /// table of `embedding.timesteps` rows, e.g. one row per continuous time of a batch. Not for
    /// U-Nets, whose workspaces are sized by the timestep count.
    public func withTimeEmbedding(_ embedding: TimeEmbedding<S>) -> EpsilonNetwork<S> {
        precondition(embedding.dimension == config.timeEmbedding,
                     "time embedding of dimension \(embedding.dimension), the network's is \(config.timeEmbedding)")
        var copy = self
        copy.embedding = embedding
        return copy
    }

    public var dimension: Int { config.dimension }
    public var timesteps: Int { embedding.timesteps }
    public var parameterCount: Int { layout.count }

    /// Freshly initialised parameters (PyTorch's default linear init, DDIB's zero layers).
    public func initialParameters(seed: UInt64) -> [S] { layout.initialValues(seed: seed) }

    // MARK: Training passes

    /// Runs the forward pass on `rows` rows (x is rows × D, row-major) with per-row timesteps,
    /// keeping what the backward pass needs in `workspace`. Returns ε̂ (rows × D), valid until the
    /// workspace is used again. `dropout` = nil evaluates without dropout; `firstRow` is the
    /// index of row 0 in the whole batch (it addresses the dropout noise).
    public func forward(rows: Int, x: UnsafePointer<S>, timesteps: UnsafePointer<Int>, parameters: UnsafePointer<S>,
                        workspace: TrainingWorkspace<S>, dropout: DropoutNoise? = nil, firstRow: Int = 0) -> UnsafePointer<S> {
        forwardPass(rows: rows, x: x, timesteps: timesteps, parameters: parameters, workspace: workspace, dropout: dropout,
                    firstRow: firstRow)
    }

    @inline(__always)
    func forwardPass(rows: Int, x: UnsafePointer<S>, timesteps: UnsafePointer<Int>, parameters: UnsafePointer<S>,
                     workspace: TrainingWorkspace<S>, dropout: DropoutNoise?, firstRow: Int) -> UnsafePointer<S> {
        precondition(rows <= workspace.rows, "workspace holds \(workspace.rows) rows, asked for \(rows)")
        workspace.usedRows = rows
        switch (body, workspace.slots) {
        case let (.mlp(b), .mlp(s)):
            return UnsafePointer(b.forward(rows: rows, x: x, timesteps: timesteps, parameters: parameters,
                                           embeddingTable: embedding, arena: workspace.arena, levels: workspace.levels, slots: s))
        case let (.residual(b), .residual(s)):
            return UnsafePointer(b.forward(rows: rows, x: x, timesteps: timesteps, parameters: parameters, embeddingTable: embedding,
                                           arena: workspace.arena, levels: workspace.levels, slots: s, dropout: dropout,
                                           firstRow: firstRow))
        case let (.ddibUNet(b), .ddibUNet(s)):
            return UnsafePointer(b.forward(rows: rows, x: x, timesteps: timesteps, parameters: parameters, embeddingTable: embedding,
                                           arena: workspace.arena, levels: workspace.levels, slots: s, dropout: dropout,
                                           firstRow: firstRow))
        case let (.unet(b), .unet(s)):
            let packed = workspace.packed!
            packed.update(from: parameters)
            return UnsafePointer(b.forward(rows: rows, x: x, timesteps: timesteps, parameters: parameters, packed: packed,
                                           embeddingTable: embedding, arena: workspace.arena, slots: s, dropout: dropout,
                                           firstRow: firstRow))
        default:
            preconditionFailure("workspace made for another network")
        }
    }

    /// Backpropagates `outputGradient` = ∂L/∂ε̂ (rows × D) through the last `forward` on this
    /// workspace: adds ∂L/∂θ into `gradient` (layout order) and, when given, writes ∂L/∂x.
    public func backward(outputGradient: UnsafePointer<S>, parameters: UnsafePointer<S>, workspace: TrainingWorkspace<S>,
                         gradient: UnsafeMutablePointer<S>, inputGradient: UnsafeMutablePointer<S>? = nil) {
        backwardPass(outputGradient: outputGradient, parameters: parameters, workspace: workspace, gradient: gradient,
                     inputGradient: inputGradient)
    }

    @inline(__always)
    func backwardPass(outputGradient: UnsafePointer<S>, parameters: UnsafePointer<S>, workspace: TrainingWorkspace<S>,
                      gradient: UnsafeMutablePointer<S>, inputGradient: UnsafeMutablePointer<S>?) {
        let rows = workspace.usedRows
        switch (body, workspace.slots) {
        case let (.mlp(b), .mlp(s)):
            b.backward(rows: rows, outputGradient: outputGradient, parameters: parameters, arena: workspace.arena,
                       levels: workspace.levels, slots: s, gradient: gradient, inputGradient: inputGradient)
        case let (.residual(b), .residual(s)):
            b.backward(rows: rows, outputGradient: outputGradient, parameters: parameters, arena: workspace.arena,
                       levels: workspace.levels, slots: s, gradient: gradient, inputGradient: inputGradient)
        case let (.ddibUNet(b), .ddibUNet(s)):
            b.backward(rows: rows, outputGradient: outputGradient, parameters: parameters, arena: workspace.arena,
                       levels: workspace.levels, slots: s, gradient: gradient, inputGradient: inputGradient)
        case let (.unet(b), .unet(s)):
            b.backward(rows: rows, outputGradient: outputGradient, parameters: parameters, arena: workspace.arena, slots: s,
                       gradient: gradient, inputGradient: inputGradient)
        default:
            preconditionFailure("workspace made for another network")
        }
    }

    /// Buffers for training passes of up to `rows` rows.
    public func makeTrainingWorkspace(rows: Int) -> TrainingWorkspace<S> {
        var plan = ArenaPlan()
        let slots: TrainingWorkspace<S>.Slots
        switch body {
        case let .mlp(b): slots = .mlp(b.slots(rows: rows, plan: &plan))
        case let .residual(b): slots = .residual(b.slots(rows: rows, plan: &plan))
        case let .ddibUNet(b): slots = .ddibUNet(b.slots(rows: rows, plan: &plan))
        case let .unet(b):
            slots = .unet(b.slots(images: rows, timesteps: timesteps, training: true, plan: &plan))
            return TrainingWorkspace(rows: rows, arena: Arena(sizes: plan.sizes), levels: TimestepLevels(rows: 0, timesteps: 1),
                                     slots: slots, packed: PackedParameters<S>(layers: b.packedLayers))
        }
        return TrainingWorkspace(rows: rows, arena: Arena(sizes: plan.sizes), levels: TimestepLevels(rows: rows, timesteps: timesteps),
                                 slots: slots)
    }

    /// Convenience for tests and small batches: ε̂ for x with per-row timesteps, no dropout.
    public func forward(_ x: Matrix<S>, timesteps: [Int], parameters: [S]) -> Matrix<S> {
        precondition(x.columns == dimension && timesteps.count == x.rows, "forward: x is \(x.rows)×\(x.columns), \(timesteps.count) timesteps")
        precondition(parameters.count == parameterCount, "forward: \(parameters.count) parameters, expected \(parameterCount)")
        let workspace = makeTrainingWorkspace(rows: x.rows)
        var out = Matrix<S>(rows: x.rows, columns: dimension)
        x.storage.withUnsafeBufferPointer { xp in
            timesteps.withUnsafeBufferPointer { tp in
                parameters.withUnsafeBufferPointer { pp in
                    let y = forward(rows: x.rows, x: xp.baseAddress!, timesteps: tp.baseAddress!, parameters: pp.baseAddress!,
                                    workspace: workspace)
                    out.storage.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: y, count: x.rows * dimension) }
                }
            }
        }
        return out
    }

    // MARK: Inference

    /// Buffers for `epsilon` over tiles of `tileRows` rows (rounded up to a multiple of 8). 96 rows
    /// keep a tile's activations in L2 beside a layer's weights (measured best at W = 128 and 256).
    /// A U-Net runs `UNetBody.inferenceImages` images at a time instead (whatever `tileRows`).
    public func makeInferenceWorkspace(tileRows: Int = 96) -> InferenceWorkspace<S> {
        var tile = max(8, (tileRows + 7) / 8 * 8)
        var plan = ArenaPlan()
        let slots: InferenceWorkspace<S>.Slots
        switch body {
        case let .mlp(b): slots = .mlp(b.inferenceSlots(rows: tile, plan: &plan))
        case let .residual(b): slots = .residual(b.inferenceSlots(rows: tile, plan: &plan))
        case let .ddibUNet(b): slots = .ddibUNet(b.inferenceSlots(rows: tile, plan: &plan))
        case let .unet(b):
            tile = UNetBody.inferenceImages
            slots = .unet(b.slots(images: tile, timesteps: timesteps, training: false, plan: &plan))
        }
        return InferenceWorkspace(tileRows: tile, arena: Arena(sizes: plan.sizes), slots: slots)
    }

    /// The weight matrices of `parameters` packed for `epsilon` (do it once per set of weights).
    public func pack(_ parameters: UnsafePointer<S>) -> PackedParameters<S> {
        switch body {
        case let .mlp(b): return PackedParameters(layers: b.packedLayers, parameters: parameters)
        case let .residual(b): return PackedParameters(layers: b.packedLayers, parameters: parameters)
        case let .ddibUNet(b): return PackedParameters(layers: b.packedLayers, parameters: parameters)
        case let .unet(b): return PackedParameters(layers: b.packedLayers, parameters: parameters)
        }
    }

    /// `pack` for an array of parameters.
    public func pack(_ parameters: [S]) -> PackedParameters<S> {
        precondition(parameters.count == parameterCount, "pack: \(parameters.count) parameters, expected \(parameterCount)")
        return parameters.withUnsafeBufferPointer { pack($0.baseAddress!) }
    }

    /// ε̂(x, t) for `rows` rows of x (rows × D) at one timestep, written to `output` (rows × D).
    /// `packed` must come from `pack(parameters)`. Single-threaded; reuse `workspace` across calls
    /// on one thread.
    public func epsilon(rows: Int, x: UnsafePointer<S>, timestep t: Int, parameters p: UnsafePointer<S>,
                        packed: PackedParameters<S>, output: UnsafeMutablePointer<S>, workspace w: InferenceWorkspace<S>) {
        epsilonPass(rows: rows, x: x, timestep: t, parameters: p, packed: packed, output: output, workspace: w)
    }

    @inline(__always)
    func epsilonPass(rows: Int, x: UnsafePointer<S>, timestep t: Int, parameters p: UnsafePointer<S>,
                     packed: PackedParameters<S>, output: UnsafeMutablePointer<S>, workspace w: InferenceWorkspace<S>) {
        precondition(t >= 0 && t < timesteps, "timestep \(t) outside 0..<\(timesteps)")
        let m = w.arena, tile = w.tileRows, d = dimension
        switch (body, w.slots) {
        case let (.mlp(b), .mlp(s)):
            b.prepare(timestep: t, parameters: p, embeddingTable: embedding, arena: m, slots: s)
        case let (.residual(b), .residual(s)):
            b.prepare(timestep: t, parameters: p, embeddingTable: embedding, arena: m, slots: s)
        case let (.ddibUNet(b), .ddibUNet(s)):
            b.prepare(timestep: t, parameters: p, embeddingTable: embedding, arena: m, slots: s)
        case let (.unet(b), .unet(s)):
            // Whole images, `tile` at a time; each image's result depends on that image alone.
            let timesteps = [Int](repeating: t, count: tile)
            var start = 0
            timesteps.withUnsafeBufferPointer { tp in
                while start < rows {
                    let n = min(tile, rows - start)
                    let out = b.forward(rows: n, x: x + start * d, timesteps: tp.baseAddress!, parameters: p, packed: packed,
                                        embeddingTable: embedding, arena: m, slots: s, dropout: nil, firstRow: 0)
                    (output + start * d).update(from: out, count: n * d)
                    start += n
                }
            }
            return
        default:
            preconditionFailure("workspace made for another network")
        }
        var start = 0
        while start < rows {
            let n = min(tile, rows - start)
            let padded = (n + 7) / 8 * 8
            let input: UnsafeMutablePointer<S>
            switch w.slots {
            case let .mlp(s): input = m[s.input]
            case let .residual(s): input = m[s.input]
            case let .ddibUNet(s): input = m[s.input]
            case .unet: preconditionFailure("unreachable")
            }
            input.update(from: x + start * d, count: n * d)
            if padded > n { (input + n * d).update(repeating: 0, count: (padded - n) * d) }
            let out: UnsafeMutablePointer<S>
            switch (body, w.slots) {
            case let (.mlp(b), .mlp(s)): out = b.infer(rows: padded, parameters: p, packed: packed, arena: m, slots: s)
            case let (.residual(b), .residual(s)): out = b.infer(rows: padded, parameters: p, packed: packed, arena: m, slots: s)
            case let (.ddibUNet(b), .ddibUNet(s)): out = b.infer(rows: padded, parameters: p, packed: packed, arena: m, slots: s)
            default: preconditionFailure("workspace made for another network")
            }
            (output + start * d).update(from: out, count: n * d)
            start += n
        }
    }

    /// ε̂(x, t) for the rows of x at one timestep (allocates a workspace; single-threaded).
    public func epsilon(_ x: Matrix<S>, timestep t: Int, parameters: [S]) -> Matrix<S> {
        precondition(x.columns == dimension, "epsilon: x has \(x.columns) columns, the network \(dimension)")
        precondition(parameters.count == parameterCount, "epsilon: \(parameters.count) parameters, expected \(parameterCount)")
        var out = Matrix<S>(rows: x.rows, columns: dimension)
        guard x.rows > 0 else { return out }
        let workspace = makeInferenceWorkspace()
        let packed = pack(parameters)
        x.storage.withUnsafeBufferPointer { xp in
            parameters.withUnsafeBufferPointer { pp in
                out.storage.withUnsafeMutableBufferPointer { op in
                    epsilon(rows: x.rows, x: xp.baseAddress!, timestep: t, parameters: pp.baseAddress!, packed: packed,
                            output: op.baseAddress!, workspace: workspace)
                }
            }
        }
        return out
    }
}

/// Preallocated buffers of a network's training passes; one per thread (batch chunk).
public final class TrainingWorkspace<S: NetworkScalar>: @unchecked Sendable {
    enum Slots: Sendable {
        case mlp(MLPBody.Slots)
        case residual(ResidualBody.Slots)
        case ddibUNet(DDIBUNetBody.Slots)
        case unet(UNetBody.Slots)
    }

    /// The largest number of rows a pass may use.
    public let rows: Int
    let arena: Arena<S>
    /// The distinct timesteps of the last forward pass.
    let levels: TimestepLevels
    let slots: Slots
    /// The weights packed for the convolutions' products (U-Net: repacked by every forward pass).
    let packed: PackedParameters<S>?
    var usedRows = 0

    init(rows: Int, arena: Arena<S>, levels: TimestepLevels, slots: Slots, packed: PackedParameters<S>? = nil) {
        self.rows = rows
        self.arena = arena
        self.levels = levels
        self.slots = slots
        self.packed = packed
    }
}

/// Preallocated buffers of `EpsilonNetwork.epsilon`; one per thread.
public final class InferenceWorkspace<S: NetworkScalar>: @unchecked Sendable {
    enum Slots: Sendable {
        case mlp(MLPBody.InferenceSlots)
        case residual(ResidualBody.InferenceSlots)
        case ddibUNet(DDIBUNetBody.InferenceSlots)
        case unet(UNetBody.Slots)
    }

    /// Rows per tile (a multiple of 8).
    public let tileRows: Int
    let arena: Arena<S>
    let slots: Slots

    init(tileRows: Int, arena: Arena<S>, slots: Slots) {
        self.tileRows = tileRows
        self.arena = arena
        self.slots = slots
    }
}

/// Float entry points compiled for Float inside this module: callers in other modules (the trainer,
/// the samplers) would otherwise run the generic passes unspecialised. Same results as the generic
/// methods; overload resolution picks these for `EpsilonNetwork<Float>`.
extension EpsilonNetwork where S == Float {
    public func forward(rows: Int, x: UnsafePointer<Float>, timesteps: UnsafePointer<Int>, parameters: UnsafePointer<Float>,
                        workspace: TrainingWorkspace<Float>, dropout: DropoutNoise? = nil, firstRow: Int = 0) -> UnsafePointer<Float> {
        forwardPass(rows: rows, x: x, timesteps: timesteps, parameters: parameters, workspace: workspace, dropout: dropout,
                    firstRow: firstRow)
    }

    public func backward(outputGradient: UnsafePointer<Float>, parameters: UnsafePointer<Float>, workspace: TrainingWorkspace<Float>,
                         gradient: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>? = nil) {
        backwardPass(outputGradient: outputGradient, parameters: parameters, workspace: workspace, gradient: gradient,
                     inputGradient: inputGradient)
    }

    public func epsilon(rows: Int, x: UnsafePointer<Float>, timestep t: Int, parameters p: UnsafePointer<Float>,
                        packed: PackedParameters<Float>, output: UnsafeMutablePointer<Float>, workspace w: InferenceWorkspace<Float>) {
        epsilonPass(rows: rows, x: x, timestep: t, parameters: p, packed: packed, output: output, workspace: w)
    }
}
