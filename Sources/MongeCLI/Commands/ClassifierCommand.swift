import ArgumentParser
import Foundation
import MongeCore
import MongeData
import MongeDiffusion
import MongeNN

/// `monge classifier A B --out DIR`: train EGSDE's time-dependent domain classifier on noisy
/// samples of two domains, for `monge egsde --classifier DIR`.
struct ClassifierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classifier",
        abstract: "Train a time-dependent domain classifier (EGSDE's realism expert); writes DIR/classifier.safetensors, classifier.json and loss.csv.",
        discussion: """
        A_POINTS and B_POINTS are .npy/.csv files of N × D points or data:NAME (see `monge data --list`; \
        --data-points and --data-seed choose the samples), or images (data:digits:CLASSES, data:fashion:CLASSES). The classifier is an MLP on [y, temb(t)] with one \
        logit (B versus A), trained with binary cross-entropy on √ᾱ_t x + √(1 − ᾱ_t) ε, t uniform, half of \
        each batch from each domain; its last hidden layer is the feature map of EGSDE's energy. Use the \
        noise schedule and T of the target model that `monge egsde` will guide. The result depends on the \
        seed only, not on the number of threads.
        """)

    @Argument(help: "Points of domain A (label 0): a .npy/.csv file or data:NAME.") var a: String
    @Argument(help: "Points of domain B (label 1): a .npy/.csv file or data:NAME.") var b: String
    @Option(help: "Output folder.") var out: String
    @Option(help: "Hidden width.") var width: Int = 64
    @Option(help: "Hidden layers (the last one gives the features).") var depth: Int = 3
    @Option(help: "Sinusoidal time-embedding dimension.") var timeEmbedding: Int = 32
    @Option(help: "Activation: silu, relu, leaky_relu.") var activation: Activation = .silu
    @Option(help: "Training steps.") var steps: Int = 2000
    @Option(help: "Batch size (half per domain).") var batch: Int = 256
    @Option(help: "Adam learning rate.") var lr: Double = 1e-3
    @Option(help: "Noise schedule: linear, cosine, scaled-linear (the target model's).") var schedule: TrainCommand.ScheduleName = .linear
    @Option(name: .customLong("T"), help: "Diffusion timesteps T (the target model's).") var timesteps: Int = 1000
    @Option(help: "Seed of the initial weights and of every batch.") var seed: UInt64 = 0
    @Option(help: "Points drawn for data:NAME.") var dataPoints: Int = 10_000
    @Option(help: "Seed for data:NAME.") var dataSeed: UInt64 = 0
    @Flag(help: "No progress on stderr.") var quiet = false

    func validate() throws {
        try Check.range(width, "--width", 1...Check.maximumWidth)
        try Check.range(depth, "--depth", 1...Check.maximumDepth)
        try Check.range(timeEmbedding, "--time-embedding", 2...Check.maximumFeatures)
        guard timeEmbedding % 2 == 0 else { throw ValidationError("--time-embedding must be even, got \(timeEmbedding)") }
        try Check.range(steps, "--steps", 0...Int.max)
        try Check.range(batch, "--batch", 2...Int.max)
        try Check.positive(lr, "--lr")
        try Check.range(timesteps, "--T", 1...Check.maximumTimesteps)
        try Check.range(dataPoints, "--data-points", 1...Check.maximumPoints)
        let dimension = [a, b].map { Check.dimension(ofData: $0) ?? 1 }.max() ?? 1
        let generated = [a, b].contains { $0.hasPrefix("data:") } ? dataPoints : 0
        try Check.memory(Footprint.classifier(dimension: dimension, width: width, depth: depth, timeEmbedding: timeEmbedding,
                                              timesteps: timesteps, batch: batch, steps: steps, dataPoints: generated))
    }

    func run() throws {
        let (pointsA, sourceA) = try loadPoints(a, dataPoints: dataPoints, dataSeed: dataSeed)
        let (pointsB, sourceB) = try loadPoints(b, dataPoints: dataPoints, dataSeed: dataSeed)
        let model = ClassifierConfig(dimension: pointsA.columns, width: width, depth: depth, timeEmbedding: timeEmbedding, activation: activation)
        let training = ClassifierTrainingConfig(steps: steps, batchSize: batch, adam: AdamConfig(learningRate: lr), seed: seed)
        let noise = try makeSchedule()
        var manifest = RunManifest.begin(command: "monge classifier", seed: seed,
                                         parameters: ["a": .string(sourceA), "b": .string(sourceB)])
        let progress = TrainingProgress(totalSteps: steps, quiet: quiet, label: "classifier")
        let started = Date()
        let run = try ClassifierTraining.train(a: pointsA, b: pointsB, model: model, schedule: noise, training: training, progress: progress)
        let config = ClassifierCheckpoint.Config(model: model, schedule: noise, training: training,
                                                 domainA: .init(source: sourceA, data: pointsA), domainB: .init(source: sourceB, data: pointsB))
        // Accuracy on (up to) 2000 training points per domain, clean and at T/2.
        let evalA = pointsA.rows(0..<min(2000, pointsA.rows)), evalB = pointsB.rows(0..<min(2000, pointsB.rows))
        let clean = run.classifier.accuracy(a: evalA, b: evalB, timestep: -1, seed: seed)
        let half = run.classifier.accuracy(a: evalA, b: evalB, timestep: timesteps / 2, seed: seed)
        let last = run.losses.suffix(50).map(\.loss).reduce(0, +) / Double(max(1, min(50, run.losses.count)))
        let weights = URL(fileURLWithPath: out).appendingPathComponent(ClassifierCheckpoint.weightsFile).path
        // The old manifest goes before the files it describes change; the new one comes last.
        try RunManifest.remove(at: RunManifest.path(beside: weights))
        try ClassifierCheckpoint.write(run.classifier, config: config, losses: run.losses, to: out)
        let files = [ClassifierCheckpoint.weightsFile, ClassifierCheckpoint.configFile, ClassifierCheckpoint.lossFile]
        manifest.finish(outputs: files,
                        results: ["steps": .integer(steps), "parameters": .integer(run.classifier.network.parameterCount),
                                  "mean_loss_last50": .number(last), "accuracy_clean": .number(clean),
                                  "accuracy_half_t": .number(half)])
        try manifest.write(beside: weights, describing: files.map { URL(fileURLWithPath: out).appendingPathComponent($0).path })
        print(String(format: "classifier: %d steps in %.1f s; loss (last 50) %.4f; accuracy %.3f clean, %.3f at t = %d; saved in %@",
                     steps, Date().timeIntervalSince(started), last, clean, half, timesteps / 2, out))
    }
}

extension ClassifierCommand {
    func makeSchedule() throws -> NoiseSchedule {
        switch schedule {
        case .linear: return try .linear(count: timesteps)
        case .cosine: return try .cosine(count: timesteps)
        case .scaledLinear: return try .scaledLinear(count: timesteps)
        }
    }
}

/// The points of a .npy/.csv file, of data:NAME, or the images of an image set (data:digits[:CLASSES],
/// data:fashion:CLASSES[:split=train|test], see `ImageSets`), and a description of where they came from.
func loadPoints(_ spec: String, dataPoints: Int, dataSeed: UInt64) throws -> (Matrix<Float>, String) {
    if ImageSets.isSpec(spec) {
        let (images, source) = try ImageSets.images(spec: spec)
        return (images, source)
    }
    if spec.hasPrefix("data:") {
        let name = String(spec.dropFirst(5))
        let points = try Datasets.make(name).sample(n: dataPoints, seed: dataSeed)
        return (points.converted(to: Float.self), "\(spec) n=\(dataPoints) seed=\(dataSeed)")
    }
    let points = try ArrayFile.readMatrix(spec, as: Float.self)
    if let k = points.storage.firstIndex(where: { !$0.isFinite }) {
        let c = max(points.columns, 1)
        throw MongeError.invalidFile(path: spec, location: "row \(k / c), column \(k % c)", message: "\(points.storage[k]) is not a finite number")
    }
    return (points, spec)
}
