import Foundation
import MongeBridges
import MongeCore
import MongeDiffusion
import MongeNN

// The diffusion calls: sampling, encoding, decoding and DDIB translation with a model named as
// MODEL is on the command line (a checkpoint folder or an oracle spec, `ModelSpec`), ε of a model,
// training, and writing imported weights as a checkpoint. Networks compute in Float32 and return
// float32 arrays; oracles compute in Float64 — as the commands do.

/// A sampler progress callback as a Sendable closure (the return value is ignored: sampling runs
/// to its end).
func samplerProgress(_ callback: MongeProgress?, _ context: UnsafeMutableRawPointer?) -> (@Sendable (SamplerProgress) -> Void)? {
    guard let callback else { return nil }
    let address = context.map { Int(bitPattern: $0) }
    return { p in _ = callback(Int64(p.completed), Int64(p.total), .nan, address.flatMap { UnsafeMutableRawPointer(bitPattern: $0) }) }
}

/// The shared sampling options: steps (required), spacing, sampler, eta, seed, block_size.
struct SamplingOptions {
    var steps: Int
    var spacing: SpacingName
    var sampler: SamplerName
    var eta: Double
    var seed: UInt64
    var blockSize: Int

    init(_ options: inout Options, samplers: [SamplerName], defaultSampler: SamplerName = .ddim,
         spacings: [SpacingName] = SpacingName.allCases) throws {
        guard let steps = try options.integer("steps", in: 1...ModelSpec.maximumTimesteps) else {
            throw MongeError.invalidArgument(name: "\(options.call) option steps", message: "required (1 … T)")
        }
        self.steps = steps
        spacing = try options.choice("spacing", spacings.map(\.rawValue)).flatMap { SpacingName(rawValue: $0) } ?? .standard
        sampler = try options.choice("sampler", samplers.map(\.rawValue)).flatMap { SamplerName(rawValue: $0) } ?? defaultSampler
        eta = try options.number("eta") ?? 0
        guard (0...1).contains(eta) else { throw MongeError.invalidArgument(name: "eta", message: "must be in [0, 1], got \(eta)") }
        guard eta == 0 || sampler == .ddim else { throw MongeError.invalidArgument(name: "eta", message: "applies to the ddim sampler only") }
        seed = try options.seed("seed") ?? 0
        blockSize = try options.integer("block_size", in: 1...maximumElements) ?? 1024
    }

    var method: SamplerMethod { sampler.method(eta: eta) }

    /// The K timesteps of `schedule` placed by the spacing.
    func timesteps(for schedule: NoiseSchedule) throws -> [Int] { try spacing.timesteps(for: schedule, steps: steps) }
}

/// Runs `body` with the model as a denoiser in its precision: Double for oracles, Float for networks.
func withModel<R>(_ spec: ModelSpec, _ body: (AnyDenoiser<Double>?, AnyDenoiser<Float>?) throws -> R) throws -> R {
    try spec.checkFiles()
    if spec.isOracle { return try body(try spec.denoiser(as: Double.self), nil) }
    return try body(nil, try spec.denoiser(as: Float.self))
}

/// The caller's points as the model's scalar, checked against its dimension.
func readPoints<S: MatrixScalar>(_ data: UnsafePointer<Double>?, _ shape: UnsafePointer<Int64>?, name: String,
                                 model: AnyDenoiser<S>) throws -> Matrix<S> {
    let x: Matrix<S> = try readMatrix(data, shape, name: name)
    guard x.columns == model.dimension else {
        throw MongeError.shapeMismatch("\(name) has \(x.columns) columns but the model \(model.label) works on dimension \(model.dimension)")
    }
    return x
}

/// `monge_sample`: n samples of `model`, as `monge sample`. Options: steps, spacing (linspace,
/// leading, trailing, karras), sampler (any `SamplerName`), eta, seed, block_size. Result array: points [n, D].
@_cdecl("monge_sample")
public func monge_sample(_ modelText: UnsafePointer<CChar>?, _ n: Int64, _ optionsText: UnsafePointer<CChar>?,
                         _ progress: MongeProgress?, _ context: UnsafeMutableRawPointer?,
                         _ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                         _ error: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64) -> Int32 {
    guarded(error, errorCapacity) {
        let spec = try ModelSpec(parsing: try readString(modelText, name: "model"))
        var options = try Options(optionsText, call: "sample")
        let sampling = try SamplingOptions(&options, samplers: SamplerName.allCases)
        try options.finish()
        guard n >= 1, n <= Int64(maximumElements) else { throw MongeError.invalidArgument(name: "n", message: "must be positive, got \(n)") }
        let box = ResultBox()
        func run<S: MatrixScalar>(_ model: AnyDenoiser<S>) throws {
            let timesteps = try sampling.timesteps(for: model.schedule)
            let output = try Sampler.sample(model, count: Int(n), timesteps: timesteps, method: sampling.method,
                                            noise: RandomStream(seed: sampling.seed),
                                            options: SamplerOptions(blockSize: sampling.blockSize, progress: samplerProgress(progress, context)))
            box.set("points", generic: output.x)
            try box.setJSON(["model": model.label, "evaluations_per_point": output.evaluations, "timesteps": timesteps])
        }
        try withModel(spec) { d, f in if let d { try run(d) } else if let f { try run(f) } }
        box.handOver(to: result)
        return .ok
    }
}

/// `monge_encode`: points → latents x_T by the probability-flow ODE, as `monge encode`. Options:
/// steps, spacing, sampler (`SamplerName.invertible`: ddim, heun, euler), block_size. Result array: latent.
@_cdecl("monge_encode")
public func monge_encode(_ modelText: UnsafePointer<CChar>?, _ x: UnsafePointer<Double>?, _ xShape: UnsafePointer<Int64>?,
                         _ optionsText: UnsafePointer<CChar>?, _ progress: MongeProgress?, _ context: UnsafeMutableRawPointer?,
                         _ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                         _ error: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64) -> Int32 {
    guarded(error, errorCapacity) {
        let spec = try ModelSpec(parsing: try readString(modelText, name: "model"))
        var options = try Options(optionsText, call: "encode")
        let sampling = try SamplingOptions(&options, samplers: SamplerName.invertible)
        try options.finish()
        let box = ResultBox()
        func run<S: MatrixScalar>(_ model: AnyDenoiser<S>) throws {
            let points = try readPoints(x, xShape, name: "x", model: model)
            let timesteps = try sampling.timesteps(for: model.schedule)
            let output = try Sampler.encode(model, points, timesteps: timesteps, method: sampling.method,
                                            options: SamplerOptions(blockSize: sampling.blockSize, progress: samplerProgress(progress, context)))
            box.set("latent", generic: output.x)
            try box.setJSON(["model": model.label, "evaluations_per_point": output.evaluations, "timesteps": timesteps])
        }
        try withModel(spec) { d, f in if let d { try run(d) } else if let f { try run(f) } }
        box.handOver(to: result)
        return .ok
    }
}

/// `monge_decode`: latents → points, as `monge decode`. Options: steps, spacing, sampler (any
/// `SamplerName`), eta, seed, block_size. Result array: points.
@_cdecl("monge_decode")
public func monge_decode(_ modelText: UnsafePointer<CChar>?, _ z: UnsafePointer<Double>?, _ zShape: UnsafePointer<Int64>?,
                         _ optionsText: UnsafePointer<CChar>?, _ progress: MongeProgress?, _ context: UnsafeMutableRawPointer?,
                         _ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                         _ error: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64) -> Int32 {
    guarded(error, errorCapacity) {
        let spec = try ModelSpec(parsing: try readString(modelText, name: "model"))
        var options = try Options(optionsText, call: "decode")
        let sampling = try SamplingOptions(&options, samplers: SamplerName.allCases)
        try options.finish()
        let box = ResultBox()
        func run<S: MatrixScalar>(_ model: AnyDenoiser<S>) throws {
            let latent = try readPoints(z, zShape, name: "latent", model: model)
            let timesteps = try sampling.timesteps(for: model.schedule)
            let output = try Sampler.decode(model, latent, timesteps: timesteps, method: sampling.method, noise: RandomStream(seed: sampling.seed),
                                            options: SamplerOptions(blockSize: sampling.blockSize, progress: samplerProgress(progress, context)))
            box.set("points", generic: output.x)
            try box.setJSON(["model": model.label, "evaluations_per_point": output.evaluations, "timesteps": timesteps])
        }
        try withModel(spec) { d, f in if let d { try run(d) } else if let f { try run(f) } }
        box.handOver(to: result)
        return .ok
    }
}

/// `monge_translate`: DDIB, decode_B(encode_A(x)), as `monge translate`. Options: steps, spacing,
/// (linspace, leading, trailing), sampler (ddim, heun, euler), cycle (also map back and report the cycle error). Two oracles compute in
/// Float64, anything else in Float32. Result arrays: mapped, latent (and cycled).
@_cdecl("monge_translate")
public func monge_translate(_ fromText: UnsafePointer<CChar>?, _ toText: UnsafePointer<CChar>?,
                            _ x: UnsafePointer<Double>?, _ xShape: UnsafePointer<Int64>?,
                            _ optionsText: UnsafePointer<CChar>?, _ progress: MongeProgress?, _ context: UnsafeMutableRawPointer?,
                            _ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                            _ error: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64) -> Int32 {
    guarded(error, errorCapacity) {
        let a = try ModelSpec(parsing: try readString(fromText, name: "model (from)"))
        let b = try ModelSpec(parsing: try readString(toText, name: "model (to)"))
        var options = try Options(optionsText, call: "translate")
        let sampling = try SamplingOptions(&options, samplers: SamplerName.invertible)
        let cycle = try options.bool("cycle") ?? false
        try options.finish()
        try a.checkFiles()
        try b.checkFiles()
        let box = ResultBox()
        func run<S: MatrixScalar>(_: S.Type) throws {
            let modelA = try a.denoiser(as: S.self), modelB = try b.denoiser(as: S.self)
            let points = try readPoints(x, xShape, name: "x", model: modelA)
            let bridge = try DDIBBridge(source: modelA, target: modelB, steps: sampling.steps, spacing: sampling.spacing, method: sampling.method)
            let report = samplerProgress(progress, context)
            let translation = try bridge.translate(points, progress: report)
            box.set("mapped", generic: translation.mapped)
            box.set("latent", generic: translation.latent)
            var summary: [String: Any] = ["from": a.text, "to": b.text, "evaluations_per_point": translation.evaluations,
                                          "source_timesteps": try bridge.sourceTimesteps(), "target_timesteps": try bridge.targetTimesteps()]
            if cycle {
                let back = try bridge.reversed().translate(translation.mapped, progress: report)
                let errors = PointDistances.rowwise(points, back.mapped)
                summary["cycle_error_mean"] = errors.reduce(0, +) / Double(max(errors.count, 1))
                summary["cycle_error_max"] = errors.max() ?? 0
                box.set("cycled", generic: back.mapped)
            }
            try box.setJSON(summary)
        }
        if a.isOracle && b.isOracle { try run(Double.self) } else { try run(Float.self) }
        box.handOver(to: result)
        return .ok
    }
}

/// `monge_epsilon`: the model's ε̂(x, t) at one timestep t (0 ≤ t < T). Result array: epsilon.
@_cdecl("monge_epsilon")
public func monge_epsilon(_ modelText: UnsafePointer<CChar>?, _ x: UnsafePointer<Double>?, _ xShape: UnsafePointer<Int64>?,
                          _ timestep: Int64, _ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                          _ error: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64) -> Int32 {
    guarded(error, errorCapacity) {
        let spec = try ModelSpec(parsing: try readString(modelText, name: "model"))
        let box = ResultBox()
        func run<S: MatrixScalar>(_ model: AnyDenoiser<S>) throws {
            guard timestep >= 0, timestep < Int64(model.schedule.count) else {
                throw MongeError.invalidArgument(name: "t", message: "must be in 0..<\(model.schedule.count) (the model's T), got \(timestep)")
            }
            let points = try readPoints(x, xShape, name: "x", model: model)
            box.set("epsilon", generic: model.epsilon(points, timestep: Int(timestep)))
            try box.setJSON(["model": model.label, "t": timestep])
        }
        try withModel(spec) { d, f in if let d { try run(d) } else if let f { try run(f) } }
        box.handOver(to: result)
        return .ok
    }
}

/// The noise schedule called `name` with T = `count`.
func schedule(named name: String, count: Int) throws -> NoiseSchedule {
    switch name {
    case "cosine": return try .cosine(count: count)
    case "scaled-linear": return try .scaledLinear(count: count)
    default: return try .linear(count: count)
    }
}

/// The model options of `train` and `save_model`: architecture, width, depth, time_embedding,
/// activation, norm, groups, dropout.
func modelConfig(_ options: inout Options, dimension: Int) throws -> ModelConfig {
    let architecture = ModelConfig.Architecture(rawValue: try options.choice("architecture", ModelConfig.Architecture.allCases.map(\.rawValue)) ?? "residual")!
    var model = try ModelConfig.standard(architecture, dimension: dimension,
                                         width: try options.integer("width", in: 1...1 << 16),
                                         depth: try options.integer("depth", in: 0...1 << 10),
                                         timeEmbedding: try options.integer("time_embedding", in: 2...1 << 16),
                                         groups: try options.integer("groups", in: 1...1 << 16))
    if let name = try options.choice("activation", Activation.allCases.map(\.rawValue)) { model.activation = Activation(rawValue: name)! }
    if let name = try options.choice("norm", ModelConfig.Normalization.allCases.map(\.rawValue)) { model.normalization = .init(rawValue: name)! }
    if let dropout = try options.number("dropout") {
        guard dropout >= 0 && dropout < 1 else { throw MongeError.invalidArgument(name: "dropout", message: "must be in [0, 1), got \(dropout)") }
        model.dropout = dropout
    }
    try model.validate()
    return model
}

/// `monge_train`: trains an ε-model on x [N, D] into the folder `out`, as `monge train FILE`.
/// Options: the model's (architecture, width, depth, time_embedding, activation, norm, groups,
/// dropout), steps, batch, lr, warmup, clip, weight_decay, ema, ema_warmup, schedule, T, seed,
/// chunks, checkpoint_every, log_every, resume, source (the data's description). The callback
/// hears (step, steps, loss) after every step; a nonzero return stops after a checkpoint (status
/// 3). Result JSON: steps, parameters, stopped; array loss (step, loss, grad_norm, lr).
@_cdecl("monge_train")
public func monge_train(_ x: UnsafePointer<Double>?, _ xShape: UnsafePointer<Int64>?, _ outText: UnsafePointer<CChar>?,
                        _ optionsText: UnsafePointer<CChar>?, _ progress: MongeProgress?, _ context: UnsafeMutableRawPointer?,
                        _ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                        _ error: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64) -> Int32 {
    guarded(error, errorCapacity) {
        let out = try readString(outText, name: "out")
        let points: Matrix<Float> = try readMatrix(x, xShape, name: "x")
        guard points.rows >= 1, points.columns >= 1 else { throw MongeError.invalidArgument(name: "x", message: "need at least one point") }
        var options = try Options(optionsText, call: "train")
        let resume = try options.bool("resume") ?? false
        let source = try options.string("source") ?? "a Python array"
        let model = try modelConfig(&options, dimension: points.columns)
        var training = TrainingConfig.standard
        if let v = try options.integer("steps", in: 0...Int.max) { training.steps = v }
        if let v = try options.integer("batch", in: 1...Int.max) { training.batchSize = v }
        if let v = try options.seed("seed") { training.seed = v }
        if let v = try options.number("lr") { training.optimizer.learningRate = v }
        if let v = try options.integer("warmup", in: 0...Int.max) { training.optimizer.warmupSteps = v }
        if let v = try options.number("clip") { training.optimizer.clipNorm = v }
        if let v = try options.number("weight_decay") { training.optimizer.weightDecay = v }
        if let v = try options.number("ema") { training.ema.decay = v }
        if let v = try options.bool("ema_warmup") { training.ema.warmup = v }
        if let v = try options.integer("chunks", in: 1...maximumElements) { training.chunks = v }
        if let v = try options.integer("checkpoint_every", in: 0...Int.max) { training.checkpointEvery = v }
        if let v = try options.integer("log_every", in: 1...Int.max) { training.logEvery = v }
        let scheduleName = try options.choice("schedule", ["linear", "cosine", "scaled-linear"]) ?? "linear"
        let count = try options.integer("T", in: 1...ModelSpec.maximumTimesteps) ?? 1000
        try options.finish()
        try training.validate()
        var config = TrainingCheckpoint.Config(model: model, schedule: try schedule(named: scheduleName, count: count), training: training,
                                               data: TrainingCheckpoint.DataDescription(source: source, data: points))
        if resume && FileManager.default.fileExists(atPath: URL(fileURLWithPath: out).appendingPathComponent(TrainingCheckpoint.configFile).path) {
            // The checkpoint's model and schedule with this call's training settings (a resume must agree).
            let saved = try TrainingCheckpoint.readConfig(from: out)
            config.model = saved.model
            config.schedule = saved.schedule
        }
        var run = try TrainingRun(folder: out, data: points, config: config, resume: resume)
        let reporter = TrainingProgress(totalSteps: training.steps, quiet: true)
        if let progress {
            let total = Int64(training.steps)
            reporter.observer = { record in progress(Int64(record.step + 1), total, record.loss, context) == 0 }
        }
        let state = try run.run(progress: reporter)
        let box = ResultBox()
        let rows = run.losses.map { [Double($0.step), $0.loss, $0.gradientNorm, $0.learningRate] }
        box.set("loss", rows.isEmpty ? Matrix<Double>(rows: 0, columns: 4) : Matrix(rows))
        try box.setJSON(["steps": state.step, "parameters": run.network.parameterCount, "stopped": reporter.stopRequested,
                         "notice": run.notice ?? NSNull()])
        box.handOver(to: result)
        return reporter.stopRequested ? .stopped : .ok
    }
}

/// `monge_save_model`: writes weights made elsewhere as a weights-only checkpoint in `out`
/// (`TrainingCheckpoint.writeWeights`). Options: the model's (as `train`), dimension (required),
/// schedule, T, source. Tensors: `count` names, float32 data pointers and shapes (rank ≤ 4 each,
/// `ranks[k]` dims at `shapes[4k…]`), in Monge's layout (linear weights [in, out]).
@_cdecl("monge_save_model")
public func monge_save_model(_ outText: UnsafePointer<CChar>?, _ optionsText: UnsafePointer<CChar>?, _ count: Int64,
                             _ names: UnsafePointer<UnsafePointer<CChar>?>?, _ data: UnsafePointer<UnsafePointer<Float>?>?,
                             _ ranks: UnsafePointer<Int64>?, _ shapes: UnsafePointer<Int64>?,
                             _ error: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64) -> Int32 {
    guarded(error, errorCapacity) {
        let out = try readString(outText, name: "out")
        var options = try Options(optionsText, call: "save_model")
        guard let dimension = try options.integer("dimension", in: 1...maximumElements) else {
            throw MongeError.invalidArgument(name: "save_model option dimension", message: "required")
        }
        let source = try options.string("source") ?? "imported weights"
        let model = try modelConfig(&options, dimension: dimension)
        let scheduleName = try options.choice("schedule", ["linear", "cosine", "scaled-linear"]) ?? "linear"
        let timesteps = try options.integer("T", in: 1...ModelSpec.maximumTimesteps) ?? 1000
        try options.finish()
        guard count >= 0, count <= 1 << 20, count == 0 || (names != nil && data != nil && ranks != nil && shapes != nil) else {
            throw MongeError.invalidArgument(name: "tensors", message: "\(count) tensors without their names, data or shapes")
        }
        var tensors: [String: (shape: [Int], data: UnsafePointer<Float>)] = [:]
        for k in 0..<Int(count) {
            guard let name = names![k], let pointer = data![k] else { throw MongeError.invalidArgument(name: "tensor \(k)", message: "no name or data") }
            let rank = Int(ranks![k])
            guard (0...4).contains(rank) else { throw MongeError.invalidArgument(name: "tensor \(String(cString: name))", message: "rank \(rank), expected ≤ 4") }
            tensors[String(cString: name)] = ((0..<rank).map { Int(shapes![4 * k + $0]) }, pointer)
        }
        let network = try EpsilonNetwork<Float>(config: model, timesteps: timesteps)
        var parameters = [Float](repeating: 0, count: network.layout.count)
        for entry in network.layout.entries {
            guard let tensor = tensors.removeValue(forKey: entry.name) else {
                throw MongeError.invalidArgument(name: "tensor \(entry.name)", message: "missing (the model \(model.architecture.rawValue) W \(model.width) depth \(model.depth) needs it)")
            }
            guard tensor.shape == entry.shape else {
                throw MongeError.shapeMismatch("tensor \(entry.name) has shape \(tensor.shape), the model needs \(entry.shape) (Monge's layout: linear weights [in, out])")
            }
            for i in 0..<entry.range.count { parameters[entry.offset + i] = tensor.data[i] }
        }
        if let extra = tensors.keys.sorted().first {
            throw MongeError.invalidArgument(name: "tensor \(extra)", message: "not a parameter of the model \(model.architecture.rawValue) W \(model.width) depth \(model.depth)")
        }
        let config = TrainingCheckpoint.Config(model: model, schedule: try schedule(named: scheduleName, count: timesteps),
                                               training: { var t = TrainingConfig.standard; t.steps = 0; return t }(),
                                               data: TrainingCheckpoint.DataDescription(source: source, data: Matrix<Float>(rows: 0, columns: dimension)))
        try TrainingCheckpoint.writeWeights(parameters, layout: network.layout, config: config, to: out)
        return .ok
    }
}
