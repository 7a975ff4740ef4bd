import ArgumentParser
import Foundation
import MongeExperiments
import MongeCore
import MongeData
import MongeDiffusion
import MongeNN
import MongePlot

/// `monge gan --mode vanilla|diffusion --out DIR [--seeds LIST]`: the Diffusion-GAN mode-collapse
/// experiment on 25-Gaussians (Wang et al., ICLR 2023): train a GAN, write its samples and
/// mode-coverage metrics; over several seeds, also a per-seed table and a summary with 95 % t-intervals.
struct GANCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gan",
        abstract: "Train a vanilla GAN or a Diffusion-GAN on 25-Gaussians; writes DIR/samples.npy, metrics.json and log.csv.",
        discussion: """
        G and D are MLPs with two hidden layers (--width, LeakyReLU 0.2), trained with the non-saturating \
        loss and Adam (betas 0.5, 0.999). --mode diffusion diffuses real and generated points to \
        y = √ᾱ_t x + √(1 − ᾱ_t)·σ·ε (σ = --noise-sd, the official code's noise_std) with t = 0 for half \
        the rows and t ∈ 1…T by --t-distribution for the others, and adapts T ∈ [10, --t-max] (starting at \
        --t-initial) every 4 minibatches from the mean sign r_d of D on real data (target --d-target); \
        DIR/T.png plots T over the steps. Metrics (VEEGAN/PacGAN): a sample is high-quality within 3σ of a \
        centre; modes covered = modes with a high-quality sample; reverse KL = KL(q ‖ uniform) of the \
        high-quality samples' mode histogram. The result depends on the seeds only. With --seeds each seed \
        runs into DIR/seed_<s>/ and DIR/per_seed.{csv,md,json} and DIR/summary.{csv,md,json} give every \
        seed's metrics and their mean, sample sd and 95 % Student-t interval of the mean.
        """)

    @Option(help: "vanilla or diffusion.") var mode: GANConfig.Mode
    @Option(help: "Output folder.") var out: String
    @Option(help: "Training steps (one D and one G update each).") var steps: Int = 3000
    @Option(help: "Real (and generated) points per step.") var batch: Int = 512
    @Option(help: "Seed of the initial weights and of every batch (default 0).") var seed: UInt64?
    @Option(help: "Run several seeds: a comma-separated list of seeds and inclusive ranges a-b, e.g. 0,1,2 or 0-4.",
            transform: SeedList.init(parsing:))
    var seeds: SeedList?
    @Option(help: "With --seeds: run only the K-th of N parts of the seeds (seed i belongs to shard i mod N + 1) into DIR/shard-K-of-N/; then `monge merge DIR DIR/shard-*-of-N`.",
            transform: { try ShardSpec(parsing: $0) })
    var shard: ShardSpec?
    @Option(help: "Hidden width of G and D.") var width: Int = 128
    @Option(help: "Latent dimension of G.") var latent: Int = 2
    @Option(help: "Adam learning rate of G and D.") var lr: Double = 2e-4
    @Option(help: "Diffusion: σ, the std of the diffusion noise (the official code's noise_std).") var noiseSd: Double = 0.05
    @Option(help: "Diffusion: the target of r_d, the mean sign of D on real data; T rises while r_d exceeds it.")
    var dTarget: Double = 0.6
    @Option(help: "Diffusion: T at the start (10 … --t-max; default 10).") var tInitial: Int?
    @Option(help: "Diffusion: the largest T.") var tMax: Int = 1000
    @Option(help: "Diffusion: how t ∈ 1…T is drawn for the diffused half: priority (∝ t) or uniform.")
    var tDistribution: AdaptiveDiffusionConfig.TimestepLaw = .priority
    @Option(help: "Generated points scored and written.") var samples: Int = 10_000
    @Option(help: "Seed of the scored samples' latents.") var sampleSeed: UInt64 = 1
    @Option(help: "Real points drawn from 25-Gaussians (minibatches are drawn from them).") var dataPoints: Int = 100_000
    @Option(help: "Seed of the real points.") var dataSeed: UInt64 = 0
    @Option(help: "Write a log.csv row every this many steps.") var logEvery: Int = 10
    @Flag(help: "No progress on stderr.") var quiet = false

    /// The smallest T (the paper's t_min).
    static let tMin = AdaptiveDiffusionConfig().tMin

    func validate() throws {
        try Check.range(steps, "--steps", 1...Int.max)
        try Check.range(batch, "--batch", 1...Int.max)
        try Check.range(width, "--width", 1...Check.maximumWidth)
        try Check.range(latent, "--latent", 1...Check.maximumFeatures)
        try Check.positive(lr, "--lr")
        guard noiseSd.isFinite, noiseSd > 0 else { throw ValidationError("--noise-sd must be positive, got \(noiseSd)") }
        guard dTarget.isFinite, dTarget > -1, dTarget < 1 else {
            throw ValidationError("--d-target must be in (−1, 1) (r_d is a mean of signs), got \(dTarget)")
        }
        guard tMax >= Self.tMin else { throw ValidationError("--t-max must be at least t_min = \(Self.tMin), got \(tMax)") }
        if let tInitial, tInitial < Self.tMin || tInitial > tMax {
            throw ValidationError("--t-initial must be in \(Self.tMin)…\(tMax) (t_min…--t-max), got \(tInitial)")
        }
        try Check.range(samples, "--samples", 1...Int.max)
        try Check.range(dataPoints, "--data-points", 1...Check.maximumPoints)
        try Check.range(logEvery, "--log-every", 1...Int.max)
        if seed != nil && seeds != nil { throw ValidationError("give --seed or --seeds, not both") }
        if shard != nil && seeds == nil { throw ValidationError("--shard splits --seeds; give --seeds") }
        try Check.memory(Footprint.gan(width: width, latent: latent, batch: batch, steps: steps, samples: samples, dataPoints: dataPoints))
    }

    /// The configuration of one seed's run.
    func config(seed: UInt64) throws -> GANConfig {
        let adam = AdamConfig(learningRate: lr, beta1: 0.5, beta2: 0.999)
        let diffusion = try AdaptiveDiffusionConfig(tMax: tMax, target: dTarget, noiseSD: noiseSd, timestepLaw: tDistribution)
            .startingAt(T: tInitial ?? Self.tMin)
        let config = GANConfig(mode: mode, steps: steps, batchSize: batch, seed: seed,
                               generator: GeneratorConfig(latent: latent, width: width),
                               discriminator: ClassifierConfig(dimension: 2, width: width, depth: 2, timeEmbedding: 32,
                                                               activation: .leakyReLU, negativeSlope: 0.2),
                               diffusion: diffusion, generatorAdam: adam, discriminatorAdam: adam)
        try config.validate()
        return config
    }

    /// The settings recorded in every manifest and metrics file.
    var settings: [String: JSONValue] {
        var values: [String: JSONValue] = [
            "mode": .string(mode.rawValue), "steps": .integer(steps), "batch": .integer(batch), "width": .integer(width),
            "latent": .integer(latent), "lr": .number(lr), "data": .string("data:gaussians25 n=\(dataPoints) seed=\(dataSeed)"),
            "samples": .integer(samples), "sample_seed": .integer(Int(sampleSeed)),
        ]
        if mode == .diffusion {
            values["noise_sd"] = .number(noiseSd)
            values["d_target"] = .number(dTarget)
            values["t_min"] = .integer(Self.tMin)
            values["t_initial"] = .integer(tInitial ?? Self.tMin)
            values["t_max"] = .integer(tMax)
            values["t_distribution"] = .string(tDistribution.rawValue)
        }
        return values
    }

    /// One seed's finished run and the metrics written to its metrics.json.
    struct SeedRun {
        let seed: UInt64
        let result: GANExperiment.Result
        let metrics: [String: JSONValue]
    }

    /// Trains seed `seed`, writes samples.npy, log.csv, metrics.json and the manifest into `folder`.
    func runSeed(_ seed: UInt64, folder: URL, label: String) throws -> SeedRun {
        var manifest = RunManifest.begin(command: "monge gan", seed: seed, parameters: settings)
        let progress = TrainingProgress(totalSteps: steps, quiet: quiet, label: label)
        let result = try GANExperiment.gaussians25(config: try config(seed: seed), dataPoints: dataPoints, dataSeed: dataSeed,
                                                   sampleCount: samples, sampleSeed: sampleSeed, progress: progress)
        let samplesPath = folder.appendingPathComponent("samples.npy").path
        var outputs = OutputSet()
        try outputs.add(result.samples, to: samplesPath)
        var log = "step,discriminator_loss,generator_loss,T,p,real_sign\n"
        for r in result.run.records where r.step % logEvery == 0 || r.step == steps - 1 {
            log += "\(r.step),\(r.discriminatorLoss),\(r.generatorLoss),\(r.T),\(r.p),\(r.realSign)\n"
        }
        try outputs.add(Data(log.utf8), to: folder.appendingPathComponent("log.csv").path)
        let c = result.coverage
        let records = result.run.records
        let tail = records.suffix(100)
        let mean = { (f: (GANStepRecord) -> Double) in tail.map(f).reduce(0, +) / Double(max(tail.count, 1)) }
        let diffusion = result.run.diffusion
        let maxT = records.map(\.T).max() ?? 0
        let meanT = Double(records.map(\.T).reduce(0, +)) / Double(max(records.count, 1))
        var metrics = settings
        metrics["seed"] = .integer(Int(seed))
        metrics["samples"] = .integer(c.samples)
        metrics["modes"] = .integer(c.modes)
        metrics["modes_covered"] = .integer(c.modesCovered)
        metrics["high_quality_percent"] = .number(100 * c.highQualityFraction)
        metrics["reverse_kl"] = c.reverseKL.map { JSONValue.number($0) } ?? .null
        metrics["mode_counts"] = .array(c.counts.map { JSONValue.integer($0) })
        metrics["training_seconds"] = .number(result.trainingSeconds)
        metrics["final_t"] = diffusion.map { JSONValue.integer($0.T) } ?? .null
        metrics["final_p"] = diffusion.map { JSONValue.number($0.p) } ?? .null
        metrics["max_t"] = diffusion == nil ? .null : .integer(maxT)
        metrics["mean_t"] = diffusion == nil ? .null : .number(meanT)
        metrics["discriminator_loss_last100"] = .number(mean(\.discriminatorLoss))
        metrics["generator_loss_last100"] = .number(mean(\.generatorLoss))
        metrics["real_sign_last100"] = .number(mean(\.realSign))
        metrics["real_sign_max"] = .number(records.map(\.realSign).max() ?? 0)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try outputs.add(try encoder.encode(JSONValue.object(metrics)), to: folder.appendingPathComponent("metrics.json").path)
        manifest.finish(outputs: ["samples.npy", "metrics.json", "log.csv"], results: metrics)
        try outputs.commit(manifest: manifest, beside: [samplesPath])
        return SeedRun(seed: seed, result: result, metrics: metrics)
    }

    /// "24/25 modes, 61.2 % high-quality, reverse KL 0.650, final T 10, 250.1 s".
    static func line(_ run: SeedRun) -> String {
        let c = run.result.coverage
        let kl = c.reverseKL.map { String(format: "%.3f", $0) } ?? "–"
        let T = run.result.run.diffusion.map { ", final T \($0.T)" } ?? ""
        return String(format: "%d/%d modes, %.1f %% high-quality, reverse KL %@%@, %.1f s",
                      c.modesCovered, c.modes, 100 * c.highQualityFraction, kl, T, run.result.trainingSeconds)
    }

    func run() throws {
        let folder = URL(fileURLWithPath: out)
        if let seeds {
            var grid = try ExperimentGrid<GANSeeds>(plans: [SeedSweepPlan(arguments: arguments, seeds: seeds.seeds)], folder: out,
                                                    seeded: false) { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
            grid.showTrainingProgress = !quiet
            if let shard {
                let shardFolder = try grid.runShard(shard, binary: binaryIdentity())
                FileHandle.standardError.write(Data("gan: shard \(shard) wrote \(shardFolder)/; merge the shards with `monge merge \(out) \(out)/shard-*-of-\(shard.count)`\n".utf8))
            } else {
                _ = try grid.run()
            }
            return
        }
        let s = seed ?? 0
        let run = try runSeed(s, folder: folder, label: "gan \(mode.rawValue)")
        print("gan \(mode.rawValue): \(Self.line(run)); saved in \(out)")
        if mode == .diffusion {
            try GANExperiment.trajectoryFigure([(s, run.result.run.records)], title: trajectoryTitle(seed: s))
                .render(to: folder.appendingPathComponent("T.png").path)
        }
    }

    /// The title of T.png (the seed only for a single run).
    func trajectoryTitle(seed: UInt64?) -> FigureTitle {
        FigureTitle("Diffusion-GAN adaptive T: σ = \(noiseSd), r_d target \(dTarget), \(tDistribution.rawValue) t", seed: seed, steps: steps)
    }

    /// Every setting but the seeds, the output and the shard, as options: a seed sweep's plan (its
    /// shards' runs are parsed back from them).
    var arguments: [String] {
        var list = ["--mode", mode.rawValue, "--steps", "\(steps)", "--batch", "\(batch)", "--width", "\(width)", "--latent", "\(latent)",
                    "--lr", "\(lr)", "--noise-sd", "\(noiseSd)", "--d-target", "\(dTarget)", "--t-max", "\(tMax)",
                    "--t-distribution", tDistribution.rawValue, "--samples", "\(samples)", "--sample-seed", "\(sampleSeed)",
                    "--data-points", "\(dataPoints)", "--data-seed", "\(dataSeed)", "--log-every", "\(logEvery)"]
        if let tInitial { list += ["--t-initial", "\(tInitial)"] }
        return list
    }

    /// The per-seed table's columns.
    static let perSeedColumns = ["seed", "modes_covered", "high_quality_percent", "reverse_kl", "final_t", "max_t",
                                 "real_sign_last100", "training_seconds"]

    /// A seed's row of per_seed.{csv,md,json}.
    static func perSeedRow(_ run: SeedRun) -> [String: ResultsTable.Cell] {
        let c = run.result.coverage
        let records = run.result.run.records
        let diffusion = run.result.run.diffusion
        return [
            "seed": .integer(Int(run.seed)), "modes_covered": .integer(c.modesCovered),
            "high_quality_percent": .number(100 * c.highQualityFraction), "reverse_kl": .number(c.reverseKL ?? .nan),
            "final_t": diffusion.map { .integer($0.T) } ?? .number(.nan),
            "max_t": diffusion != nil ? .integer(records.map(\.T).max() ?? 0) : .number(.nan),
            "real_sign_last100": .number(records.suffix(100).map(\.realSign).reduce(0, +) / Double(max(records.suffix(100).count, 1))),
            "training_seconds": .number(run.result.trainingSeconds),
        ]
    }

    /// DIR/per_seed.{csv,md,json} (one row per seed) and DIR/summary.{csv,md,json} (mean, sd,
    /// 95 % t-interval per metric), with a manifest beside summary.csv.
    func writeSeedTables(_ rows: [[String: ResultsTable.Cell]], seeds: [UInt64], folder: URL) throws {
        var manifest = RunManifest.begin(command: "monge gan", seed: seeds.first, parameters: settings)
        var perSeed = ResultsTable(columns: Self.perSeedColumns)
        for row in rows { try perSeed.append(row) }
        // Each metric over the seeds that have it (reverse KL is undefined without high-quality samples).
        let (summary, paths, results) = try ResultsTable.writeSeedTables(perSeed, seeds: seeds, folder: folder)
        var outputs = ["per_seed.csv", "per_seed.md", "per_seed.json", "summary.csv", "summary.md", "summary.json"]
            + seeds.map { "seed_\($0)/" }
        if mode == .diffusion { outputs.append("T.png") }
        manifest.finish(outputs: outputs, results: results)
        try manifest.write(beside: paths[0])
        print("gan \(mode.rawValue), seeds \(seeds.map(String.init).joined(separator: ",")): mean and 95 % t-interval over seeds")
        print(summary.markdown(), terminator: "")
        print("saved in \(out)")
    }
}

extension GANConfig.Mode: ExpressibleByArgument {}
extension AdaptiveDiffusionConfig.TimestepLaw: ExpressibleByArgument {}

/// `monge gan --seeds`: the seeds as the units of an `ExperimentGrid`, run whole or in shards that
/// `monge merge` combines into the same per-seed table, summary, T.png and manifest.
struct GANSeeds: SeedSweep {
    static let experimentName = "gan"

    /// The command's settings (`GANCommand.arguments`) and the seeds.
    let plan: SeedSweepPlan
    let folder: String
    let log: @Sendable (String) -> Void
    var showTrainingProgress = true
    /// The command the settings parse to.
    let command: GANCommand

    init(plan: SeedSweepPlan, folder: String, log: @escaping @Sendable (String) -> Void) throws {
        command = try Self.command(GANCommand.self, of: plan, arguments: plan.arguments + ["--out", folder])
        self.plan = plan
        self.folder = folder
        self.log = log
    }

    /// A seed's run into `output/seed_<s>/`; its row is the per-seed table's, plus (diffusion) the
    /// T curve of T.png as text.
    func run(_ seed: UInt64, into output: String, position: (Int, Int)) throws -> GridUnitOutput<UInt64> {
        var command = self.command
        command.quiet = !showTrainingProgress
        let label = "gan \(command.mode.rawValue) seed \(seed) (\(position.0)/\(position.1))"
        let run = try command.runSeed(seed, folder: URL(fileURLWithPath: output).appendingPathComponent("seed_\(seed)"), label: label)
        if !command.quiet { log("\(label): \(GANCommand.line(run))") }
        var row = GANCommand.perSeedRow(run)
        if command.mode == .diffusion {
            row["T_curve"] = .text(run.result.run.records.map { "\($0.step):\($0.T)" }.joined(separator: " "))
        }
        return GridUnitOutput(unit: seed, name: name(of: seed), row: row, files: try unitFiles(under: "seed_\(seed)", in: output))
    }

    /// T.png over the seeds, per_seed and summary tables with their manifest.
    func assemble(_ outputs: [GridUnitOutput<UInt64>]) throws -> Void {
        let byUnit = try indexed(outputs)
        let rows = plan.seeds.map { byUnit[$0]!.row }
        let folderURL = URL(fileURLWithPath: folder)
        if command.mode == .diffusion {
            let runs = try zip(plan.seeds, rows).map { seed, row -> (seed: UInt64, steps: [(step: Int, T: Int)]) in
                guard case let .text(curve)? = row["T_curve"] else {
                    throw MongeError.invalidArgument(name: "T_curve", message: "seed \(seed) has no T curve")
                }
                let steps = try curve.split(separator: " ").map { item -> (step: Int, T: Int) in
                    let parts = item.split(separator: ":")
                    guard parts.count == 2, let step = Int(parts[0]), let T = Int(parts[1]) else {
                        throw MongeError.invalidArgument(name: "T_curve", message: "seed \(seed): expected STEP:T, got '\(item)'")
                    }
                    return (step, T)
                }
                return (seed, steps)
            }
            try GANExperiment.trajectoryFigure(runs, title: command.trajectoryTitle(seed: plan.seeds.count == 1 ? plan.seeds[0] : nil))
                .render(to: folderURL.appendingPathComponent("T.png").path)
        }
        try command.writeSeedTables(rows.map { $0.filter { $0.key != "T_curve" } }, seeds: plan.seeds, folder: folderURL)
    }
}
