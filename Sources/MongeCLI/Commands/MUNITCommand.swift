import ArgumentParser
import Foundation
import MongeExperiments
import MongeCore
import MongeData
import MongeNN

/// `monge munit train|translate|evaluate`: MUNIT (Huang et al., ECCV 2018) for 2-D points.
struct MUNITCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "munit",
        abstract: "MUNIT for points and images: train a content/style translator, translate with sampled or given styles, evaluate.",
        subcommands: [MUNITTrainCommand.self, MUNITTranslateCommand.self, MUNITEvaluateCommand.self])
}

/// `monge munit train A B --out DIR`.
struct MUNITTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a 2-D MUNIT between two point sets; writes DIR/model.safetensors, config.json and loss.csv.",
        discussion: """
        A and B are .npy/.csv files of N × D points or data:NAME (see `monge data --list`; --data-points and \
        --data-seed choose the samples). Per domain: a content encoder to the unit circle (a 2-D code), a \
        style encoder to s ∈ R² (prior N(0, I)), a decoder MLP whose layer-normalised features are scaled \
        and shifted by (γ(s), β(s)) from a style MLP (MUNIT's AdaIN), and an LSGAN discriminator. Losses as \
        MUNIT: LSGAN on the translations, L1 reconstruction of the points (weight 10), of the content and of \
        the style codes (1 each), optional cycle term; Adam lr 1e-4, betas (0.5, 0.999); one discriminator \
        update then one generator update per step. The result depends on the seeds only, not on the threads.

        Images (data:fashion:7 data:fashion:9, data:digits:…, or .npy rows of H×H values; --arch image or \
        auto) train the conv MUNIT instead, on images average-pooled by --pool: content encoder (3×3 \
        convolutions, --downsamplings stride-2 ones, --residual-blocks residual blocks, instance norm), style \
        encoder (convolutions, global average pooling, an 8-d code), decoder (AdaIN residual blocks whose γ, β \
        come from an MLP of --width, nearest ×2 up-sampling + convolution + layer norm, tanh output) and a patch \
        discriminator of --discriminator-width channels (LSGAN per patch); same losses and optimiser, batch 8 \
        images by default.
        """)

    @Argument(help: "Points of domain A: a .npy/.csv file or data:NAME.") var a: String
    @Argument(help: "Points of domain B: a .npy/.csv file or data:NAME.") var b: String
    @Option(help: "Output folder.") var out: String
    @Option(help: "Training steps (one discriminator and one generator update each).") var steps: Int = 10_000
    @Option(help: "Points (or images) per domain and step. [256 points, 8 images]") var batch: Int?
    @Option(help: "Seed of the initial weights, the batches and the prior styles.") var seed: UInt64 = 0
    @Option(help: "Hidden width of the encoders, the decoder and the style MLP.") var width: Int = 64
    @Option(help: "Hidden width of the discriminators.") var discriminatorWidth: Int = 64
    @Option(help: "Adam learning rate (both sides).") var lr: Double = 1e-4
    @Option(help: "Weight of the L1 point reconstruction.") var imageWeight: Double = 10
    @Option(help: "Weight of the content-code reconstruction.") var contentWeight: Double = 1
    @Option(help: "Weight of the style-code reconstruction (0: the ablation without it).") var styleWeight: Double = 1
    @Option(help: "Weight of the cycle reconstruction (MUNIT's optional term).") var cycleWeight: Double = 0
    @Option(help: "Points drawn for data:NAME.") var dataPoints: Int = 10_000
    @Option(help: "Seed for data:NAME.") var dataSeed: UInt64 = 0
    @Option(help: "Write a loss.csv row every this many steps.") var logEvery: Int = 10
    @Flag(help: "No progress on stderr.") var quiet = false
    @Option(help: "points (the 2-D MUNIT), image (the conv MUNIT) or auto (image for image sets and rows of H×H values, H ≥ 8).")
    var arch: MUNITArchitecture = .auto
    @Option(help: "Images: average-pool the images by this factor first (1: 28×28, 2: 14×14).") var pool: Int = 2
    @Option(help: "Images: channels of the first convolution (doubled at each down-sampling).") var channels: Int = 16
    @Option(help: "Images: residual blocks of the content encoder and of the decoder.") var residualBlocks: Int = 2
    @Option(help: "Images: stride-2 down-samplings of the content encoder (the decoder up-samples as many times).") var downsamplings: Int = 1

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
        guard (batch ?? 1) >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch!)") }
        try validateImageOptions()
        guard width >= 2 else { throw ValidationError("--width must be at least 2, got \(width)") }
        guard discriminatorWidth >= 1 else { throw ValidationError("--discriminator-width must be at least 1, got \(discriminatorWidth)") }
        guard lr.isFinite, lr > 0 else { throw ValidationError("--lr must be positive, got \(lr)") }
        for (flag, value) in [("--image-weight", imageWeight), ("--content-weight", contentWeight),
                              ("--style-weight", styleWeight), ("--cycle-weight", cycleWeight)] {
            guard value.isFinite, value >= 0 else { throw ValidationError("\(flag) must be finite and ≥ 0, got \(value)") }
        }
        guard dataPoints >= 1 else { throw ValidationError("--data-points must be at least 1, got \(dataPoints)") }
        guard logEvery >= 1 else { throw ValidationError("--log-every must be at least 1, got \(logEvery)") }
    }

    func run() throws {
        let (pointsA, sourceA) = try loadPoints(a, dataPoints: dataPoints, dataSeed: dataSeed)
        let (pointsB, sourceB) = try loadPoints(b, dataPoints: dataPoints, dataSeed: dataSeed)
        if try usesImageModel(pointsA, pointsB) {
            return try runImage(a: pointsA, sourceA: sourceA, b: pointsB, sourceB: sourceB)
        }
        let batch = self.batch ?? 256
        guard pointsA.columns == pointsB.columns else {
            throw MongeError.shapeMismatch("A has \(pointsA.columns) columns and B \(pointsB.columns): both domains need points of one dimension")
        }
        let weights = MUNITLossWeights(adversarial: 1, image: imageWeight, content: contentWeight, style: styleWeight, cycle: cycleWeight)
        let model = MUNITConfig(dimension: pointsA.columns, width: width, styleMLPWidth: width, discriminatorWidth: discriminatorWidth,
                                weights: weights)
        let adam = AdamConfig(learningRate: lr, beta1: 0.5, beta2: 0.999)
        let training = MUNITTrainingConfig(steps: steps, batchSize: batch, seed: seed, generatorAdam: adam, discriminatorAdam: adam)
        try model.validate()
        var manifest = RunManifest.begin(command: "monge munit train", seed: seed, parameters: ["a": .string(sourceA), "b": .string(sourceB)])
        let progress = TrainingProgress(totalSteps: steps, quiet: quiet, label: "munit")
        let shape = try MUNIT<Float>(config: model)
        progress.note("munit: \(shape.generatorLayout.count) generator and \(shape.discriminatorLayout.count) discriminator parameters, "
                      + "\(pointsA.rows) + \(pointsB.rows) points, batch \(batch)")
        let started = Date()
        let run: MUNITRun<Float> = try MUNITTraining.train(a: pointsA, b: pointsB, model: model, training: training, progress: progress)
        let seconds = Date().timeIntervalSince(started)
        let config = MUNITCheckpoint.Config(model: model, training: training, domainA: .init(source: sourceA, data: pointsA),
                                            domainB: .init(source: sourceB, data: pointsB))
        try MUNITCheckpoint.write(run, config: config, logEvery: logEvery, to: out)
        let tail = run.records.suffix(100)
        func mean(_ f: (MUNITStepRecord) -> Double) -> Double { tail.map(f).reduce(0, +) / Double(max(tail.count, 1)) }
        let weightsPath = URL(fileURLWithPath: out).appendingPathComponent(MUNITCheckpoint.weightsFile).path
        manifest.finish(outputs: [MUNITCheckpoint.weightsFile, MUNITCheckpoint.configFile, MUNITCheckpoint.lossFile],
                        results: ["steps": .integer(steps), "training_seconds": .number(seconds),
                                  "generator_loss_last100": .number(mean { $0.generator.total }),
                                  "discriminator_loss_last100": .number(mean(\.discriminator))])
        try manifest.write(beside: weightsPath)
        print(String(format: "munit: %d steps in %.1f s; generator loss (last 100) %.4f, discriminator %.4f; saved in %@",
                     steps, seconds, mean { $0.generator.total }, mean(\.discriminator), out))
    }
}

/// `monge munit translate DIR X --out Y`.
struct MUNITTranslateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Translate points with a trained MUNIT: decode_B(content_A(x), s).",
        discussion: """
        X is a .npy/.csv file of points of the source domain or data:NAME. --style sampled draws s ~ N(0, I) \
        (row i, style j from --seed, independent of the other rows); --style SX,SY uses that code for every \
        point. With --styles K each input gets K sampled styles: output row i·K + j is point i with style j.
        """)

    @Argument(help: "A `monge munit train` output folder.") var model: String
    @Argument(help: "Points to translate: a .npy/.csv file or data:NAME.") var input: String
    @Option(help: "Output file (.npy or .csv).") var out: String
    @Option(help: "ab (A → B) or ba (B → A).") var direction: Direction = .ab
    @Option(help: "sampled, or a style code as comma-separated numbers (e.g. 0.5,-1).") var style: String = "sampled"
    @Option(help: "Sampled styles per input point.") var styles: Int = 1
    @Option(help: "Seed of the sampled styles.") var seed: UInt64 = 0
    @Option(help: "Points drawn for data:NAME.") var dataPoints: Int = 10_000
    @Option(help: "Seed for data:NAME.") var dataSeed: UInt64 = 0

    enum Direction: String, ExpressibleByArgument, CaseIterable {
        case ab, ba
    }

    func validate() throws {
        guard styles >= 1 else { throw ValidationError("--styles must be at least 1, got \(styles)") }
        guard dataPoints >= 1 else { throw ValidationError("--data-points must be at least 1, got \(dataPoints)") }
        try Check.arrayFile(out, "--out")
        if style != "sampled" {
            _ = try fixedStyle()
            guard styles == 1 else { throw ValidationError("--styles \(styles) needs --style sampled (a fixed style gives K equal outputs)") }
        }
    }

    /// The numbers of a fixed --style.
    func fixedStyle() throws -> [Float] {
        let parts = style.split(separator: ",", omittingEmptySubsequences: false)
        let values = parts.map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, values.allSatisfy({ $0 != nil && $0!.isFinite }) else {
            throw ValidationError("--style must be 'sampled' or finite comma-separated numbers such as 0.5,-1, got '\(style)'")
        }
        return values.map { $0! }
    }

    func run() throws {
        if try ImageMUNITCheckpoint.isImageModel(model) { return try runImage() }
        let (_, munit, generator, _) = try MUNITCheckpoint.read(from: model)
        let (x, _) = try loadPoints(input, dataPoints: dataPoints, dataSeed: dataSeed)
        let d = munit.config.dimension, s = munit.config.style
        guard x.columns == d else {
            throw MongeError.shapeMismatch("\(input) has \(x.columns) columns, the model in \(model) translates \(d)-D points")
        }
        let n = x.rows, k = styles
        var repeated = Matrix<Float>(rows: n * k, columns: d)
        for i in 0..<n { for j in 0..<k { for c in 0..<d { repeated[i * k + j, c] = x[i, c] } } }
        let codes: Matrix<Float>
        if style == "sampled" {
            codes = RandomStream(seed: seed, stream: StreamTag.munitStyles).normalMatrix(rows: n * k, columns: s, firstRow: 0)
        } else {
            let fixed = try fixedStyle()
            guard fixed.count == s else {
                throw MongeError.invalidArgument(name: "--style", message: "the model's style code has \(s) numbers, got \(fixed.count)")
            }
            codes = Matrix(rows: n, columns: s) { _, j in fixed[j] }
        }
        let from: MUNITDomain = direction == .ab ? .a : .b
        let mapped = munit.translate(from: from, repeated, style: codes, generator: generator)
        try mapped.checkFinite("translated points")
        try ArrayFile.write(mapped, to: out)
        print("munit: translated \(n) points × \(k) style\(k == 1 ? "" : "s") (\(direction.rawValue)) into \(out)")
    }
}

/// `monge munit evaluate DIR --out metrics.json`: the 2-D measurements of a trained MUNIT.
struct MUNITEvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure a trained MUNIT A → B on fresh samples of its datasets; writes metrics JSON.",
        discussion: """
        The model must have been trained on data:NAME sets. Fresh samples (--n points, --data-seed and the two \
        following seeds) of A, B and B′ give: reconstruction L1 in each domain; the translation T(x) with one \
        prior style per point measured by exact OT (c(T), W2²(A, B), optimality, realism W2(T#A, B) and the \
        sampling floor W2(B′, B), MUNIT's cycle); the Fisher–Lee circular correlation of the angles of x and \
        T(x). When B is concentric-squares or concentric-rings also: the shells reached by 100 prior styles \
        from one x, and the leave-one-out 1-NN accuracy of the output shell from s and from x.
        """)

    @Argument(help: "A `monge munit train` output folder.") var model: String
    @Option(help: "Output metrics file (.json).") var out: String
    @Option(help: "Points per sample.") var n: Int = 2000
    @Option(help: "Seed of the first fresh sample (A; B and B′ use the next two).") var dataSeed: UInt64 = 1000
    @Option(help: "Seed of the prior styles.") var seed: UInt64 = 0
    @Option(help: "Images: a `monge classifier fashion` folder (target-class accuracy and Fréchet features).") var classifier: String?
    @Option(help: "Images: source images (A) [domain A's classes, test split]; --n of them are translated.") var source: String?
    @Option(help: "Images: held-out target images (B) [domain B's classes, test split].") var target: String?
    @Option(name: .customLong("target-class"), help: "Images: the class the translations should have [the target's one class].")
    var targetClassOption: Int?
    @Option(help: "Images: prior styles per input for the diversity and the figure.") var styles: Int = 8
    @Option(help: "Images: an image grid (source | the styles' translations) for the first 8 inputs (.png, .svg, .pdf).") var figure: String?

    func validate() throws {
        guard n >= 2 else { throw ValidationError("--n must be at least 2, got \(n)") }
        guard styles >= 2 else { throw ValidationError("--styles must be at least 2, got \(styles)") }
    }

    /// The dataset of a `data:NAME` source description ("data:NAME n=… seed=…").
    static func dataset(_ description: TrainingCheckpoint.DataDescription, folder: String, domain: String) throws -> any Dataset2D {
        let spec = description.source.split(separator: " ").first.map(String.init) ?? ""
        guard spec.hasPrefix("data:") else {
            throw MongeError.invalidArgument(name: "model", message: "\(folder): domain \(domain) was trained on \(description.source), not on data:NAME; evaluate needs fresh samples of a named dataset")
        }
        return try Datasets.make(String(spec.dropFirst(5)))
    }

    func run() throws {
        if try ImageMUNITCheckpoint.isImageModel(model) { return try runImage() }
        let (config, munit, generator, _) = try MUNITCheckpoint.read(from: model)
        let a = try Self.dataset(config.domainA, folder: model, domain: "A")
        let b = try Self.dataset(config.domainB, folder: model, domain: "B")
        let source = try a.sample(n: n, seed: dataSeed)
        let target = try b.sample(n: n, seed: dataSeed + 1), second = try b.sample(n: n, seed: dataSeed + 2)
        let shells: ConcentricShells? = switch b {
        case let squares as ConcentricSquares: ConcentricShells(squares: squares)
        case let rings as ConcentricRings: ConcentricShells(rings: rings)
        default: nil
        }
        let result = try MUNITEvaluation.measure(model: munit, generator: generator, source: source, target: target,
                                                 secondTarget: second, targetShells: shells, seed: seed)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(result) + Data("\n".utf8), to: out)
        let c = result.comparison
        print(String(format: "munit %@: recon L1 A %.4f B %.4f; realism W2 %.4f (floor %.4f); c(T)/W2² %.3f; circular corr %.3f; shells from one x %@; shell 1-NN acc from s %@, from x %@ (chance %@)",
                     model, result.reconstructionA, result.reconstructionB, c.realismW2, c.samplingFloorW2 ?? .nan, result.costRatio,
                     result.circularCorrelation, result.shellsReachedFromOnePoint.map { "\($0)" } ?? "–",
                     result.shellAccuracyFromStyle.map { String(format: "%.3f", $0) } ?? "–",
                     result.shellAccuracyFromPoint.map { String(format: "%.3f", $0) } ?? "–",
                     result.shellChance.map { String(format: "%.3f", $0) } ?? "–"))
    }
}
