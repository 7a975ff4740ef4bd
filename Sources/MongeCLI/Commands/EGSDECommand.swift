import ArgumentParser
import Foundation
import MongeData
import MongeExperiments
import MongeDiffusion
import MongeNN

/// `monge egsde MODEL_B INPUT --classifier DIR --out F`: EGSDE's energy-guided translation A → B;
/// with `--seeds`, one translation per seed's noise stream and the metrics' mean and 95 % t-interval.
struct EGSDECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "egsde",
        abstract: "Translate points to domain B with EGSDE (energy-guided SDE; SDEdit when both λ are 0).",
        discussion: """
        The input is noised to level M = m·T with noise e, then denoised by MODEL_B's ancestral DDPM steps \
        whose means are shifted by −(β/√α)∇_y E, E = λ_s·cos(F(y, t), F(x_t, t)) + λ_i·‖y − x_t‖², where x_t \
        is the input noised to the step's level with the same e and F the features of the classifier of \
        `monge classifier` (trained with MODEL_B's schedule). On images (a conv classifier, `monge classifier A B \
        --arch conv`) the faithfulness term is λ_i·‖LP(y) − LP(x_t)‖² with LP the low-pass filter of --low-pass \
        (average-pool by F, up-sample back). MODEL_B is a checkpoint folder or an oracle \
        (see `monge sample --help`). Zhao et al. (NeurIPS 2022) use m = 0.5, λ_s = 500, λ_i = 2 on images and \
        the fixed-large variance σ_t² = β_t (--variance beta); in 2-D λ_i is the weight of the quadratic \
        transport cost. Results do not depend on the thread count.

        Metrics: the transport cost c(T) = mean ‖T(x) − x‖² always; with --target (an independent sample of \
        B, as many points as INPUT) also the optimality gap, Monge deviation and realism W2(T#A, B) of \
        `monge compare`, and with --second-target the floor W2(B′, B); when MODEL_B is oracle:gaussians8 or \
        oracle:gaussians25 also the on-mode precision (fraction of points within 3σ of a mode centre) and the \
        mode balance (KL of the on-mode points' mode histogram to uniform; 0 = balanced). With --seeds LIST, \
        --out is a folder: DIR/seed_<s>.npy per seed (noise stream s), DIR/per_seed.{csv,md,json} and \
        DIR/summary.{csv,md,json} with each metric's mean, sample sd and 95 % Student-t interval of the mean.
        """)

    @Argument(help: "The target domain's model.") var model: String
    @Argument(help: "Points of domain A (.npy or .csv), N × D, or image data such as data:fashion:7:split=test.") var input: String
    @Option(help: "Folder written by `monge classifier` (the MLP classifier, or a conv one with --arch conv for images).") var classifier: String
    @Option(name: .customLong("low-pass"), help: "Images: the faithfulness expert's low-pass factor F (average-pool by F, up-sample back; default 4; 1 = identity).")
    var lowPass: Int?
    @Option(help: "Output file of translated points (.npy or .csv); with --seeds, an output folder.") var out: String
    @Option(help: "Start level as a fraction of T: M = round(m·T), at most T − 1.") var m: Double = 0.5
    @Option(name: .customLong("lambda-s"), help: "Weight λ_s of the realism expert (cosine of classifier features).") var lambdaS: Double = 500
    @Option(name: .customLong("lambda-i"), help: "Weight λ_i of the faithfulness expert (‖y − x_t‖², on images ‖LP(y) − LP(x_t)‖²).") var lambdaI: Double = 2
    @Option(help: "DDPM steps from M to 0, linspace-spaced (default: every level, M + 1 steps).") var steps: Int?
    @Option(help: "The steps' noise variance: beta-tilde (the posterior β̃) or beta (the paper's fixed-large β_t).")
    var variance: DDPM.Variance = .betaTilde
    @Option(help: "Seed of the noise e and of every step (default 0).") var seed: UInt64?
    @Option(help: "Run several seeds (noise streams): a comma-separated list of seeds and ranges a-b, e.g. 0-4.",
            transform: SeedList.init(parsing:))
    var seeds: SeedList?
    @Option(help: "With --seeds: run only the K-th of N parts of the seeds (seed i belongs to shard i mod N + 1) into DIR/shard-K-of-N/; then `monge merge DIR DIR/shard-*-of-N`.",
            transform: { try ShardSpec(parsing: $0) })
    var shard: ShardSpec?
    @Option(help: "An independent sample of B with as many points as INPUT: adds realism W2 and the optimality gap.")
    var target: String?
    @Option(help: "A second independent sample of B (same size), for the sampling floor W2(B′, B); needs --target.")
    var secondTarget: String?
    @Flag(help: "No progress on stderr.") var quiet = false

    func validate() throws {
        guard m.isFinite, m > 0, m <= 1 else { throw ValidationError("--m must be in (0, 1], got \(m)") }
        try Check.range(steps, "--steps", 1...Check.maximumTimesteps)
        for (option, value) in [("--lambda-s", lambdaS), ("--lambda-i", lambdaI)] where !value.isFinite {
            throw ValidationError("\(option) must be a finite number, got \(value)")
        }
        try Check.model(model)
        if seed != nil && seeds != nil { throw ValidationError("give --seed or --seeds, not both") }
        if secondTarget != nil && target == nil { throw ValidationError("--second-target needs --target") }
        if shard != nil && seeds == nil { throw ValidationError("--shard splits --seeds; give --seeds") }
        if seeds == nil {
            try Check.arrayFile(out, "--out")
        } else if ArrayFile.isArrayFile(out) {
            throw ValidationError("with --seeds, --out names a folder (one seed_<s>.npy per seed), got the file name \(out)")
        }
    }

    /// What every seed shares: the model, classifier, input, reference samples and modes.
    struct Setup {
        let target: AnyDenoiser<Float>
        let guide: any RealismFeatures<Float>
        let lowPass: LowPassFilter?
        let x: Matrix<Float>
        let start: Int
        let timesteps: [Int]
        let reference: Matrix<Double>?
        let secondReference: Matrix<Double>?
        let modes: ModeRealism.Modes?
    }

    func setup() throws -> Setup {
        let spec = try ModelSpec(parsing: model)
        let denoiser = try spec.denoiser(as: Float.self)
        let guide: any RealismFeatures<Float>
        var filter: LowPassFilter?
        if ConvClassifierCheckpoint.holdsConvClassifier(classifier) {
            let expert = try ConvClassifierCheckpoint.read(from: classifier).classifier.realismExpert()
            if let image = denoiser.imageShape, image != expert.image {
                throw MongeError.shapeMismatch("the classifier \(classifier) takes \(expert.image) images, the model \(model) \(image) images")
            }
            let factor = lowPass ?? 4
            filter = factor == 1 ? nil : try LowPassFilter(image: expert.image, factor: factor)
            guide = expert
        } else {
            if lowPass != nil { throw ValidationError("--low-pass needs a conv classifier of images; \(classifier) holds the MLP classifier of points") }
            guide = try ClassifierCheckpoint.read(from: classifier)
        }
        let x = try readPoints(input, as: Float.self, model: denoiser)
        let count = denoiser.schedule.count
        let start = min(count - 1, Int((m * Double(count)).rounded()))
        func reference(_ path: String?, _ flag: String) throws -> Matrix<Double>? {
            guard let path else { return nil }
            let r = try ArrayFile.readMatrix(path, as: Double.self)
            guard r.rows == x.rows, r.columns == x.columns else {
                throw MongeError.shapeMismatch("\(flag) \(path) is \(r.rows)×\(r.columns) but INPUT \(input) is \(x.rows)×\(x.columns): give a target sample of the same shape")
            }
            try PointFile.checkFinite(r, path: path)
            return r
        }
        return Setup(target: denoiser, guide: guide, lowPass: filter, x: x, start: start, timesteps: try EGSDE.timesteps(start: start, steps: steps),
                     reference: try reference(target, "--target"), secondReference: try reference(secondTarget, "--second-target"),
                     modes: try ModeRealism.Modes(model: spec))
    }

    /// The settings recorded in every manifest.
    func settings(_ s: Setup) -> [String: JSONValue] {
        var values: [String: JSONValue] = [
            "model": .string(model), "input": .string(input), "classifier": .string(classifier),
            "m": .number(m), "start": .integer(s.start), "lambda_s": .number(lambdaS), "lambda_i": .number(lambdaI),
            "steps": .integer(s.timesteps.count), "variance": .string(variance.rawValue),
        ]
        if let target { values["target"] = .string(target) }
        if let filter = s.lowPass { values["low_pass"] = .integer(filter.factor) }
        if let secondTarget { values["second_target"] = .string(secondTarget) }
        return values
    }

    /// The metrics of one translation y of the setup's input, in table order.
    static func metrics(_ s: Setup, _ y: Matrix<Float>) throws -> [(name: String, value: Double)] {
        let x = s.x.converted(to: Double.self), yd = y.converted(to: Double.self)
        var out: [(String, Double)] = []
        if let reference = s.reference {
            let c = try BridgeComparison.measure(source: x, mapped: yd, target: reference, secondTarget: s.secondReference)
            out += [("transport_cost", c.transportCost), ("optimality_gap", c.optimalityGap),
                    ("monge_deviation_mean", c.mongeDeviationMean), ("realism_w2", c.realismW2)]
            if let floor = c.samplingFloorW2 { out.append(("floor_w2", floor)) }
        } else {
            let cost = (0..<x.rows).reduce(0.0) { sum, i in
                sum + (0..<x.columns).reduce(0.0) { let r = yd[i, $1] - x[i, $1]; return $0 + r * r }
            } / Double(max(1, x.rows))
            out.append(("transport_cost", cost))
        }
        if let modes = s.modes {
            let r = try ModeRealism(y, modes: modes)
            out += [("on_mode_precision", r.precision), ("mode_balance_kl", r.balanceKL ?? .nan),
                    ("modes_covered", Double(r.modesCovered))]
        }
        return out
    }

    /// Translates with seed `seed`, writes the points to `path` with a manifest, returns the metrics.
    func runSeed(_ s: Setup, seed: UInt64, to path: String, label: String) throws -> [(name: String, value: Double)] {
        let started = Date()
        var manifest = RunManifest.begin(command: "monge egsde", seed: seed, parameters: settings(s))
        let reporter = quiet ? nil : ProgressReporter(label: label)
        let progress: (@Sendable (SamplerProgress) -> Void)? = reporter.map { r in { r.report($0) } }
        let output = try EGSDE.translate(s.target, expert: s.guide, lowPass: s.lowPass, source: s.x, start: s.start, lambdaS: lambdaS,
                                         lambdaI: lambdaI, steps: s.timesteps.count, noise: RandomStream(seed: seed),
                                         variance: variance, options: SamplerOptions(progress: progress))
        let metrics = try Self.metrics(s, output.x)
        var results: [String: JSONValue] = ["points": .integer(s.x.rows), "evaluations_per_point": .integer(output.evaluations)]
        for (name, value) in metrics { results[name] = value.isFinite ? .number(value) : .null }
        manifest.finish(outputs: [path], results: results)
        var outputs = OutputSet()
        try outputs.add(output.x, to: path)
        try outputs.commit(manifest: manifest, beside: [path])
        if !quiet {
            FileHandle.standardError.write(Data(String(format: "%@%@: %.2f s → %@\n", isatty(2) != 0 ? "\r" : "", label,
                                                       Date().timeIntervalSince(started), path).utf8))
        }
        return metrics
    }

    /// "transport cost 1.23, realism W2 0.45, …" for one seed.
    static func line(_ metrics: [(name: String, value: Double)]) -> String {
        metrics.map { String(format: "%@ %.6g", $0.name.replacingOccurrences(of: "_", with: " "), $0.value) }.joined(separator: ", ")
    }

    func run() throws {
        let s = try setup()
        guard let seeds else {
            let metrics = try runSeed(s, seed: seed ?? 0, to: out, label: "egsde")
            print(String(format: "egsde: %d points, M = %d, %d steps, λ_s = %g, λ_i = %g, variance %@; transport cost mean ‖T(x) − x‖² = %.6g",
                         s.x.rows, s.start, s.timesteps.count, lambdaS, lambdaI, variance.rawValue, metrics[0].value))
            if metrics.count > 1 { print("egsde: " + Self.line(metrics)) }
            return
        }
        var grid = try ExperimentGrid<EGSDESeeds>(plans: [SeedSweepPlan(arguments: arguments, seeds: seeds.seeds)], folder: out,
                                                  seeded: false) { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        grid.showTrainingProgress = !quiet
        if let shard {
            let shardFolder = try grid.runShard(shard, binary: binaryIdentity())
            FileHandle.standardError.write(Data("egsde: shard \(shard) wrote \(shardFolder)/; merge the shards with `monge merge \(out) \(out)/shard-*-of-\(shard.count)`\n".utf8))
        } else {
            _ = try grid.run()
        }
    }

    /// Every setting but the seeds, the output and the shard, as arguments: a seed sweep's plan
    /// (its shards' runs are parsed back from them).
    var arguments: [String] {
        var list = [model, input, "--classifier", classifier, "--m", "\(m)", "--lambda-s", "\(lambdaS)", "--lambda-i", "\(lambdaI)",
                    "--variance", variance.rawValue]
        if let lowPass { list += ["--low-pass", "\(lowPass)"] }
        if let steps { list += ["--steps", "\(steps)"] }
        if let target { list += ["--target", target] }
        if let secondTarget { list += ["--second-target", secondTarget] }
        return list
    }

    /// DIR/per_seed.{csv,md,json} and DIR/summary.{csv,md,json} (mean, sd, 95 % t-interval per
    /// metric over the seeds that have a finite value), with a manifest beside summary.csv.
    func writeSeedTables(_ perSeed: ResultsTable, seeds: [UInt64], folder: URL, setup s: Setup) throws {
        var manifest = RunManifest.begin(command: "monge egsde", seed: seeds.first, parameters: settings(s))
        // The metric columns hold numbers only (seed and the "columns" text are not metrics).
        let (summary, paths, results) = try ResultsTable.writeSeedTables(perSeed, seeds: seeds, folder: folder)
        manifest.finish(outputs: ["per_seed.csv", "per_seed.md", "per_seed.json", "summary.csv", "summary.md", "summary.json"]
                            + seeds.map { "seed_\($0).npy" }, results: results)
        try manifest.write(beside: paths[0])
        print(String(format: "egsde: %d points, M = %d, %d steps, λ_s = %g, λ_i = %g, variance %@, seeds %@: mean and 95 %% t-interval over seeds",
                     s.x.rows, s.start, s.timesteps.count, lambdaS, lambdaI, variance.rawValue,
                     seeds.map { String($0) }.joined(separator: ",")))
        print(summary.markdown(), terminator: "")
        print("saved in \(out)")
    }
}

extension DDPM.Variance: ExpressibleByArgument {}

/// `monge egsde --seeds`: the seeds (noise streams) as the units of an `ExperimentGrid`, run whole
/// or in shards that `monge merge` combines into the same per-seed table, summary and manifest.
struct EGSDESeeds: SeedSweep {
    static let experimentName = "egsde"

    /// The command's settings (`EGSDECommand.arguments`) and the seeds.
    let plan: SeedSweepPlan
    let folder: String
    let log: @Sendable (String) -> Void
    var showTrainingProgress = true
    /// The command the settings parse to, and what every seed shares.
    let command: EGSDECommand
    let setup: EGSDECommand.Setup

    init(plan: SeedSweepPlan, folder: String, log: @escaping @Sendable (String) -> Void) throws {
        command = try Self.command(EGSDECommand.self, of: plan,
                                   arguments: plan.arguments + ["--out", folder, "--seeds", plan.seeds.map(String.init).joined(separator: ",")])
        setup = try command.setup()
        self.plan = plan
        self.folder = folder
        self.log = log
    }

    /// A seed's translation into `output/seed_<s>.npy`; its row is the per-seed table's, with the
    /// metrics' order as text (`columns`).
    func run(_ seed: UInt64, into output: String, position: (Int, Int)) throws -> GridUnitOutput<UInt64> {
        var command = self.command
        command.quiet = !showTrainingProgress
        let label = "egsde seed \(seed) (\(position.0)/\(position.1))"
        let file = "seed_\(seed).npy"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let metrics = try command.runSeed(setup, seed: seed, to: output + "/" + file, label: label)
        var row: [String: ResultsTable.Cell] = ["seed": .integer(Int(seed)), "columns": .text(metrics.map(\.name).joined(separator: ","))]
        for (name, value) in metrics { row[name] = .number(value) }
        let files = [file, RunManifest.path(beside: file)].filter { FileManager.default.fileExists(atPath: output + "/" + $0) }
        return GridUnitOutput(unit: seed, name: name(of: seed), row: row, files: files)
    }

    /// per_seed and summary tables with their manifest.
    func assemble(_ outputs: [GridUnitOutput<UInt64>]) throws -> Void {
        let byUnit = try indexed(outputs)
        let rows = plan.seeds.map { byUnit[$0]!.row }
        guard case let .text(names)? = rows[0]["columns"] else {
            throw MongeError.invalidArgument(name: "columns", message: "seed \(plan.seeds[0]) names no metrics")
        }
        var perSeed = ResultsTable(columns: ["seed"] + names.split(separator: ",").map(String.init))
        for row in rows { try perSeed.append(row.filter { $0.key != "columns" }) }
        try command.writeSeedTables(perSeed, seeds: plan.seeds, folder: URL(fileURLWithPath: folder), setup: setup)
    }
}
