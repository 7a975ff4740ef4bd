import ArgumentParser
import Foundation
import MongeCore
import MongeData
import MongeDiffusion
import MongeNN

/// `monge classifier A B --out DIR`: train EGSDE's time-dependent domain classifier on noisy
/// samples of two domains, for `monge egsde --classifier DIR` (an MLP, or with `--arch conv` a conv
/// net on images); `monge classifier fashion --out DIR`: the 10-class Fashion-MNIST conv classifier.
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

        With --arch conv and image sets (e.g. data:fashion:7 data:fashion:9) the classifier is a conv net \
        (3×3 convolutions, GroupNorm, SiLU, two stride-2 down-samplings, global average pooling, a feature \
        layer of --features units) with the time embedding added after every convolution, trained for \
        --epochs with softmax cross-entropy; `monge classifier fashion --out DIR` trains the same network \
        without time input as a 10-class Fashion-MNIST classifier on the training split (--n images, all by \
        default) and prints its accuracy on the test split. --pool F average-pools the 28×28 images to 28/F.
        """)

    @Argument(help: "Points of domain A (label 0): a .npy/.csv file or data:NAME; or `fashion` for the 10-class classifier.") var a: String
    @Argument(help: "Points of domain B (label 1): a .npy/.csv file or data:NAME (none with `fashion`).") var b: String?
    @Option(help: "Output folder.") var out: String
    @Option(help: "Architecture: mlp (points, or images as vectors) or conv (images).") var arch: ClassifierArchitecture = .mlp
    @Option(help: "Hidden width (mlp; default 64), or channels at full resolution (conv; default 16: 16, 32, 64 channels).")
    var width: Int?
    @Option(help: "Hidden layers (the last one gives the features).") var depth: Int = 3
    @Option(help: "Sinusoidal time-embedding dimension.") var timeEmbedding: Int = 32
    @Option(help: "Activation: silu, relu, leaky_relu.") var activation: Activation = .silu
    @Option(help: "Training steps (mlp; default 2000).") var steps: Int?
    @Option(help: "Batch size (mlp: half per domain, default 256; conv: default 128).") var batch: Int?
    @Option(help: "Adam learning rate (default 1e-3 for mlp, 3e-3 with a cosine decay for conv).") var lr: Double?
    @Option(help: "Passes over the training images (conv).") var epochs: Int = 3
    @Option(help: "Units of the penultimate feature layer (conv).") var features: Int = 128
    @Option(help: "GroupNorm groups (conv; must divide --width; default min(8, width)).") var groups: Int?
    @Option(help: "Training images for `fashion` (a seeded subset; default all 60000).")
    var n: Int?
    @Option(help: "Average-pool the images by this factor before training (conv; 2 gives 14×14 Fashion-MNIST).") var pool: Int = 1
    @Flag(help: "Mirror training images left–right at random (conv).") var flips = false
    @Option(help: "The feature layer's input (conv): average (global average pooling of the last map) or flatten (the whole map; default for fashion, which it learns much faster).")
    var pooling: ClassifierPooling?
    @Option(help: "Noise schedule: linear, cosine, scaled-linear (the target model's).") var schedule: TrainCommand.ScheduleName = .linear
    @Option(name: .customLong("T"), help: "Diffusion timesteps T (the target model's).") var timesteps: Int = 1000
    @Option(help: "Seed of the initial weights and of every batch.") var seed: UInt64 = 0
    @Option(help: "Points drawn for data:NAME.") var dataPoints: Int = 10_000
    @Option(help: "Seed for data:NAME.") var dataSeed: UInt64 = 0
    @Flag(help: "No progress on stderr.") var quiet = false

    func validate() throws {
        if a == "fashion" || arch == .conv { return try validateConv() }
        guard b != nil else { throw ValidationError("give the points of domain B (or `monge classifier fashion` for the 10-class classifier)") }
        for (flag, given) in [("--epochs", epochs != 3), ("--features", features != 128), ("--groups", groups != nil), ("--n", n != nil),
                              ("--pool", pool != 1), ("--flips", flips), ("--pooling", pooling != nil)] where given {
            throw ValidationError("\(flag) applies to --arch conv only")
        }
        let width = self.width ?? 64, steps = self.steps ?? 2000, batch = self.batch ?? 256
        try Check.range(width, "--width", 1...Check.maximumWidth)
        try Check.range(depth, "--depth", 1...Check.maximumDepth)
        try Check.range(timeEmbedding, "--time-embedding", 2...Check.maximumFeatures)
        guard timeEmbedding % 2 == 0 else { throw ValidationError("--time-embedding must be even, got \(timeEmbedding)") }
        try Check.range(steps, "--steps", 0...Int.max)
        try Check.range(batch, "--batch", 2...Int.max)
        try Check.positive(lr, "--lr")
        try Check.range(timesteps, "--T", 1...Check.maximumTimesteps)
        try Check.range(dataPoints, "--data-points", 1...Check.maximumPoints)
        let specs = [a, b ?? ""]
        let dimension = specs.map { Check.dimension(ofData: $0) ?? 1 }.max() ?? 1
        let generated = specs.contains { $0.hasPrefix("data:") } ? dataPoints : 0
        try Check.memory(Footprint.classifier(dimension: dimension, width: width, depth: depth, timeEmbedding: timeEmbedding,
                                              timesteps: timesteps, batch: batch, steps: steps, dataPoints: generated))
    }

    func run() throws {
        if a == "fashion" || arch == .conv { return try runConv() }
        let steps = self.steps ?? 2000
        let (pointsA, sourceA) = try loadPoints(a, dataPoints: dataPoints, dataSeed: dataSeed)
        let (pointsB, sourceB) = try loadPoints(b!, dataPoints: dataPoints, dataSeed: dataSeed)
        let model = ClassifierConfig(dimension: pointsA.columns, width: width ?? 64, depth: depth, timeEmbedding: timeEmbedding, activation: activation)
        let training = ClassifierTrainingConfig(steps: steps, batchSize: batch ?? 256, adam: AdamConfig(learningRate: lr ?? 1e-3), seed: seed)
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
    try PointFile.checkFinite(points, path: spec)
    return (points, spec)
}
