import ArgumentParser
import Foundation
import MongeCore
import MongeData
import MongeDiffusion
import MongeNN

/// `monge train DATA --out DIR`: train an ε-model on 2-D points (or any D) and checkpoint it.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a diffusion ε-model on points; writes DIR/model.safetensors, config.json and loss.csv.",
        discussion: """
        DATA is a .npy or .csv file of N × D points, or data:NAME for a generated dataset (see `monge data \
        --list`; --data-points and --data-seed choose the sample), or data:digits:CLASSES for the 8×8 \
        handwritten digits of those classes as points of R⁶⁴ (e.g. data:digits:3 or data:digits:0,6; `make setup` writes them), or \
        data:fashion:CLASSES[:split=train|test][:n=N][:seed=S] for Fashion-MNIST's 28×28 images as points of R⁷⁸⁴ \
        (classes by id or name, e.g. data:fashion:sneaker; n takes a seeded subset). The loss is DDPM's simple loss \
        ‖ε − ε̂(√ᾱ_t x₀ + √(1 − ᾱ_t) ε, t)‖², optimised with Adam; the EMA of the weights is saved for \
        sampling. With --resume, options left out take the checkpoint's values (--data-points and --data-seed \
        too) and options given must agree with it (except --steps, which may extend the run); the result is \
        bitwise that of an uninterrupted run. A folder without model.safetensors holds no run yet (a run stopped \
        before its first checkpoint): training starts there at step 0, with or without --resume. \
        Results depend on --chunks (the fixed split of each batch for the gradient sum) but not on the \
        number of threads (MONGE_THREADS).
        """)

    @Argument(help: "Training points: a .npy/.csv file, data:NAME, data:digits:CLASSES (8×8 images, e.g. data:digits:3) or data:fashion:CLASSES[:split=test] (28×28).") var data: String
    @Option(help: "Output folder.") var out: String

    @Option(help: "Architecture: residual (DDIB-style), ddib-unet (DDIB's U-shaped 2-D model), mlp (the bench_diffusion.py anchor) or unet (images). [residual]")
    var arch: ModelConfig.Architecture?
    @Option(help: "Hidden width. [256 residual, 128 mlp]") var width: Int?
    @Option(help: "Residual blocks (residual), blocks on each side of the U (ddib-unet) or hidden layers (mlp). [4 residual, 3 ddib-unet, 3 mlp]") var depth: Int?
    @Option(help: "Sinusoidal time-embedding dimension. [width (residual), 128 (mlp)]") var timeEmbedding: Int?
    @Option(help: "Activation: silu, relu, leaky_relu. [silu]") var activation: Activation?
    @Option(help: "Normalisation in residual blocks: group, layer, none. [group]") var norm: ModelConfig.Normalization?
    @Option(help: "Groups of the group norm. [32, fewer when the width is under 256: at least 8 features per group]") var groups: Int?
    @Option(help: "Dropout in residual blocks (DDIB: 0.2). [0]") var dropout: Double?

    @Option(help: "Total training steps. [10000]") var steps: Int?
    @Option(help: "Batch size. [1024]") var batch: Int?
    @Option(help: "Adam learning rate. [1e-3]") var lr: Double?
    @Option(help: "Learning-rate warm-up steps. [0]") var warmup: Int?
    @Option(help: "Clip the gradient's global L2 norm to this value. [off]") var clip: Double?
    @Option(help: "AdamW decoupled weight decay. [0]") var weightDecay: Double?
    @Option(help: "EMA decay of the weights used for sampling. [0.9999]") var ema: Double?
    @Flag(help: "Use the plain EMA decay from step 0 (default: min(decay, (1 + k)/(10 + k)) at step k).")
    var noEmaWarmup = false
    @Option(help: "Noise schedule: linear, cosine, scaled-linear (DDIB's β rescaled to T). [linear]") var schedule: ScheduleName?
    @Option(name: .customLong("T"), help: "Diffusion timesteps T. [1000]") var timesteps: Int?
    @Option(help: "Seed of the initial weights and of every batch. [0]") var seed: UInt64?
    @Option(help: "Batch chunks per gradient (fixed, whatever the threads). [2]") var chunks: Int?
    @Option(help: "Write a checkpoint every this many steps (0 = only at the end). [1000]") var checkpointEvery: Int?
    @Option(help: "Log the loss every this many steps. [10]") var logEvery: Int?

    @Flag(help: "Mirror each training image left–right with probability ½ (image models; valid only for classes whose mirror images are as likely, e.g. not Fashion-MNIST's shoes, which all face left).")
    var flip = false
    @Option(name: .customLong("held-out"), help: "Held-out images (a file or data:fashion:…:split=test:n=N) whose denoising loss, with fixed timesteps and noise, is logged in loss.csv beside the same loss on as many training images.")
    var heldOut: String?
    @Option(name: .customLong("eval-every"), help: "Evaluate the held-out loss on logged steps that are multiples of this. [10 × --log-every]")
    var evalEvery: Int?

    @Option(help: "Points drawn for data:NAME. [100000, or the checkpoint's with --resume]") var dataPoints: Int?
    @Option(help: "Seed for data:NAME. [0, or the checkpoint's with --resume]") var dataSeed: UInt64?
    @Flag(help: "Continue the run in --out from its last checkpoint.") var resume = false
    @Flag(help: "No progress on stderr.") var quiet = false

    enum ScheduleName: String, ExpressibleByArgument, CaseIterable {
        case linear, cosine
        case scaledLinear = "scaled-linear"
    }

    /// Every option's range, then the memory of the run they describe (the checkpoint's config
    /// with the options given when resuming), before any data is loaded.
    func validate() throws {
        try Check.range(width, "--width", 1...Check.maximumWidth)
        try Check.range(depth, "--depth", 0...Check.maximumDepth)
        try Check.range(timeEmbedding, "--time-embedding", 2...Check.maximumFeatures)
        try Check.range(groups, "--groups", 1...Check.maximumWidth)
        if let dropout, !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must be in [0, 1), got \(Check.text(dropout))") }
        try Check.range(steps, "--steps", 0...Int.max)
        try Check.range(batch, "--batch", 1...Int.max)
        try Check.positive(lr, "--lr")
        try Check.range(warmup, "--warmup", 0...Int.max)
        try Check.positive(clip, "--clip")
        try Check.nonNegative(weightDecay, "--weight-decay")
        try Check.range(ema, "--ema", 0...1)
        try Check.range(timesteps, "--T", 1...Check.maximumTimesteps)
        try Check.range(chunks, "--chunks", 1...Check.maximumPoints)
        try Check.range(checkpointEvery, "--checkpoint-every", 0...Int.max)
        try Check.range(logEvery, "--log-every", 1...Int.max)
        try Check.range(dataPoints, "--data-points", 1...Check.maximumPoints)
        try Check.range(evalEvery, "--eval-every", 1...Int.max)
        if evalEvery != nil && heldOut == nil { throw ValidationError("--eval-every needs --held-out") }
        if flip && arch != nil && arch != .unet { throw ValidationError("--flip mirrors images: it needs --arch unet, got --arch \(arch!.rawValue)") }
        // The configuration the run would use, on a stand-in for the data (D from DATA's name, 1 for
        // a file). A checkpoint that cannot be read is reported by run(); so is an image model on a
        // file, whose image shape only the file's width gives.
        let dimension = Check.dimension(ofData: data)
        if dimension == nil && arch == .unet && !resume { return }
        let standIn = Matrix<Float>(rows: 1, columns: dimension ?? 1)
        guard let config = resume ? try? configuration(points: standIn, source: data)
                                  : try Check.validation({ try configuration(points: standIn, source: data) }) else { return }
        try Check.validation {
            try config.model.validate()
            try config.training.validate()
        }
        try Check.memory(Footprint.diffusionTraining(model: config.model, timesteps: config.schedule.count, training: config.training,
                                                     dataRows: data.hasPrefix("data:") && !DigitImages.isSpec(data) ? dataPoints ?? Self.defaultDataPoints : 0))
    }

    /// Points drawn for `data:NAME` when neither `--data-points` nor a checkpoint says.
    static let defaultDataPoints = 100_000

    func run() throws {
        let (points, source) = try loadData()
        var requested = try configuration(points: points, source: source)
        var heldOutImages: Matrix<Float>?
        if let heldOut {
            let (images, heldOutSource) = try loadPoints(heldOut, dataPoints: Self.defaultDataPoints, dataSeed: 1)
            heldOutImages = images
            requested.evaluation = .init(heldOut: .init(source: heldOutSource, data: images), seed: requested.training.seed,
                                         every: evalEvery ?? 10 * requested.training.logEvery)
        } else {
            requested.evaluation = nil
        }
        var manifest = RunManifest.begin(command: "monge train", seed: requested.training.seed,
                                         parameters: ["data": .string(source), "resume": .bool(resume)])
        var run = try TrainingRun(folder: out, data: points, config: requested, resume: resume, heldOut: heldOutImages)
        let progress = TrainingProgress(totalSteps: requested.training.steps, quiet: quiet)
        if let notice = run.notice { progress.note("train: \(notice)") }
        if flip, FashionMNIST.isSpec(data), let spec = try? FashionMNIST.Spec(parsing: data),
           case let shoes = spec.classes.filter({ !FashionMNIST.flipIsValid(class: $0) }), !shoes.isEmpty {
            progress.note("train: warning: --flip on \(shoes.map { FashionMNIST.classNames[$0] }.joined(separator: ", ")), whose images all face one way: the mirrored images are not in the data's distribution")
        }
        if run.step > 0 { progress.note("train: resuming \(out) at step \(run.step)") }
        let weights = URL(fileURLWithPath: out).appendingPathComponent(TrainingCheckpoint.weightsFile).path
        // The manifest describes the files of a finished session: the old one goes before they change.
        try RunManifest.remove(at: RunManifest.path(beside: weights))
        let network = run.network
        progress.note("train: \(requested.model.architecture.rawValue) W \(requested.model.width) depth \(requested.model.depth), "
                      + "\(network.parameterCount) parameters, \(points.rows) points × \(points.columns), "
                      + "batch \(requested.training.batchSize), \(Parallel.threadCount) threads")
        let start = Date()
        let state = try run.run(progress: progress)
        let last = run.losses.last.map { String(format: "%.5f", $0.loss) } ?? "–"
        let files = [TrainingCheckpoint.weightsFile, TrainingCheckpoint.configFile, TrainingCheckpoint.lossFile]
        manifest.finish(outputs: files,
                        results: ["steps": .integer(state.step), "parameters": .integer(network.parameterCount),
                                  "last_logged_loss": run.losses.last.map { .number($0.loss) } ?? .null])
        try manifest.write(beside: weights, describing: files.map { URL(fileURLWithPath: out).appendingPathComponent($0).path })
        print("trained \(state.step) steps in \(String(format: "%.1f", Date().timeIntervalSince(start))) s; last logged loss \(last); checkpoint in \(out)")
    }

    /// The points and a description of where they came from. Resuming a run on data:NAME, the
    /// sample size and seed left out are the checkpoint's (its row count and recorded seed).
    func loadData() throws -> (Matrix<Float>, String) {
        var points = dataPoints, seed = dataSeed
        if resume && data.hasPrefix("data:") && (points == nil || seed == nil),
           let saved = try? TrainingCheckpoint.readConfig(from: out) {
            points = points ?? saved.data.rows
            seed = seed ?? Self.recordedSeed(in: saved.data.source, spec: data)
        }
        return try loadPoints(data, dataPoints: points ?? Self.defaultDataPoints, dataSeed: seed ?? 0)
    }

    /// The seed in a data source recorded by `loadPoints` ("data:moons n=1000 seed=7") for the
    /// same dataset, else nil.
    static func recordedSeed(in source: String, spec: String) -> UInt64? {
        let words = source.split(separator: " ")
        guard words.first.map(String.init) == spec else { return nil }
        return words.lazy.compactMap { $0.hasPrefix("seed=") ? UInt64($0.dropFirst(5)) : nil }.first
    }

    /// The run's config: the checkpoint's when resuming (overridden by the options given), else the defaults.
    func configuration(points: Matrix<Float>, source: String) throws -> TrainingCheckpoint.Config {
        let description = TrainingCheckpoint.DataDescription(source: source, data: points)
        // Resuming takes the checkpoint's config; a folder without one starts afresh (TrainingRun says so).
        if resume && FileManager.default.fileExists(atPath: URL(fileURLWithPath: out).appendingPathComponent(TrainingCheckpoint.configFile).path) {
            var config = try TrainingCheckpoint.readConfig(from: out)
            var model = config.model
            if let arch { model.architecture = arch }
            if let width { model.width = width }
            if let depth { model.depth = depth }
            if let timeEmbedding { model.timeEmbedding = timeEmbedding }
            if let activation { model.activation = activation }
            if let norm { model.normalization = norm }
            if let groups { model.groups = groups }
            if let dropout { model.dropout = dropout }
            config.model = model
            if schedule != nil || timesteps != nil {
                config.schedule = try makeSchedule(schedule ?? .linear, timesteps ?? config.schedule.count)
            }
            var training = config.training
            apply(to: &training)
            config.training = training
            config.data = description
            return config
        }
        var model = try ModelConfig.standard(arch ?? .residual, dimension: points.columns, width: width, depth: depth,
                                             timeEmbedding: timeEmbedding, groups: groups)
        if let activation { model.activation = activation }
        if let norm { model.normalization = norm }
        if let dropout { model.dropout = dropout }
        var training = TrainingConfig.standard
        apply(to: &training)
        return TrainingCheckpoint.Config(model: model, schedule: try makeSchedule(schedule ?? .linear, timesteps ?? 1000),
                                         training: training, data: description)
    }

    func apply(to training: inout TrainingConfig) {
        if let steps { training.steps = steps }
        if let batch { training.batchSize = batch }
        if let seed { training.seed = seed }
        if let lr { training.optimizer.learningRate = lr }
        if let warmup { training.optimizer.warmupSteps = warmup }
        if let clip { training.optimizer.clipNorm = clip }
        if let weightDecay { training.optimizer.weightDecay = weightDecay }
        if let ema { training.ema.decay = ema }
        if noEmaWarmup { training.ema.warmup = false }
        if let chunks { training.chunks = chunks }
        if let checkpointEvery { training.checkpointEvery = checkpointEvery }
        if let logEvery { training.logEvery = logEvery }
        if flip { training.horizontalFlip = true }
    }

    func makeSchedule(_ name: ScheduleName, _ count: Int) throws -> NoiseSchedule {
        switch name {
        case .linear: return try .linear(count: count)
        case .cosine: return try .cosine(count: count)
        case .scaledLinear: return try .scaledLinear(count: count)
        }
    }
}

extension ModelConfig.Architecture: ExpressibleByArgument {}
extension Activation: ExpressibleByArgument {}
extension ModelConfig.Normalization: ExpressibleByArgument {}
