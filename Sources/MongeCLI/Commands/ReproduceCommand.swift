import ArgumentParser
import Foundation
import MongeBridges
import MongeData

/// `monge reproduce ddib-2d`: the main job — DDIB's 2-D translations measured against exact OT.
struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Reproduce an experiment end to end (tables, arrays, figures, manifest).",
        discussion: """
        ddib-2d: trains one ε-model per 2-D dataset, translates across DDIB's pairs (and 25 ↔ 8 \
        Gaussians), compares every translation with the exact optimal transport of the same points, \
        and runs the oracle bridges (exact ε). --quick takes minutes on two cores; the default is \
        the paper's scale (T = 4000, width 256) and takes hours.

        ddib-digits: the image path — the same sampler core on 8×8 handwritten digits (points of \
        R⁶⁴, `make setup` writes them). One residual ε-network (width 256, 4 blocks) per digit class, trained on the class \
        minus --n held-out images; DDIB translates the held-out images of A to B (default pairs \
        3:8,8:3) and every translation is measured against exact OT onto B's held-out images. \
        Writes results.{csv,md,json} and image grids (source → DDIB → exact OT → cycled) under \
        figures/. A few minutes on two cores.

        ddib-images: the image path on Fashion-MNIST. One conv U-Net per class (trained on the train \
        split, or reused when OUT holds a sealed checkpoint of the same config; the held-out loss is \
        logged beside the training loss), test images translated both ways across each pair (7 ↔ 9; \
        full mode also 5 ↔ 7 and 0 ↔ 6) by DDIB (DDIM and Heun), SDEdit and EGSDE (a time-dependent \
        domain classifier per pair, low-pass faithfulness), and every map measured against the \
        certified exact OT between the two classes' test images: target-class accuracy and Fréchet \
        distance under a 10-class conv classifier (beside the floor of two target samples), L2, PSNR, \
        SSIM, c(T) vs W2², the optimality of T's own coupling, cycle error and cycle PSNR. --quick: \
        14 × 14 images (average-pooled, padded to 16 × 16), a small U-Net, 7 ↔ 9 only.
        """)

    @Argument(help: "The experiment: ddib-2d, ddib-digits or ddib-images.") var experiment: String
    @Flag(help: "The quick version (minutes on 2 cores).") var quick = false
    @Option(help: "Output folder. [runs/EXPERIMENT]") var out: String?
    @Option(help: "Seed of every random choice. [0]") var seed: UInt64?
    @Option(help: "ddib-2d: run every cell with each of these seeds (a list and ranges a-b, e.g. 0-4) into OUT/seed_<s>/, and write results_seeds.{csv,md,json} and oracle_results_seeds.{csv,md,json}: per cell, the mean and 95 % Student-t interval over the seeds of every metric.",
            transform: SeedList.init(parsing:))
    var seeds: SeedList?
    @Option(help: "Override: points translated per pair and per oracle experiment (ddib-digits: held-out images per class).") var n: Int?
    @Option(name: .customLong("training-steps"), help: "Override: optimiser steps per model.") var trainingSteps: Int?
    @Option(name: .customLong("training-points"), help: "Override: training points per dataset.") var trainingPoints: Int?
    @Option(help: "Override: pairs to translate, e.g. moons:checkerboard,gaussians25:gaussians8 or (ddib-digits) 3:8,1:7 (their datasets are trained).")
    var pairs: String?
    @Option(help: "Override: (solver:steps) cells for trained pairs, e.g. ddim:10,ddim:100,heun:50.") var cells: String?
    @Option(name: .customLong("oracle-cells"), help: "Override: (solver:steps) cells for the oracle bridges.") var oracleCells: String?
    @Flag(help: "No training progress lines on stderr.") var quiet = false

    @OptionGroup(title: "ddib-images") var images: ImageReproductionOptions

    func validate() throws {
        guard ["ddib-2d", "ddib-digits", "ddib-images"].contains(experiment) else {
            throw ValidationError("unknown experiment '\(experiment)'; available: ddib-2d, ddib-digits, ddib-images")
        }
        if experiment == "ddib-images" { return try validateImages() }
        if let option = images.given.first { throw ValidationError("\(option) is for ddib-images") }
        if experiment == "ddib-digits" {
            if quick { throw ValidationError("ddib-digits has one size (minutes); drop --quick") }
            if trainingPoints != nil || oracleCells != nil {
                throw ValidationError("--training-points and --oracle-cells are for ddib-2d (ddib-digits trains on every image of a class but the held-out ones)")
            }
        }
        if seeds != nil && seed != nil { throw ValidationError("give --seed or --seeds, not both") }
        if seeds != nil && experiment != "ddib-2d" { throw ValidationError("--seeds is for ddib-2d") }
        try Check.range(n, "--n", 2...Check.maximumPoints)
        try Check.range(trainingSteps, "--training-steps", 1...Int.max)
        try Check.range(trainingPoints, "--training-points", 1...Check.maximumPoints)
        // The whole plan, checked before the first model trains.
        if experiment == "ddib-digits" {
            try Check.validation { try makeDigitsPlan().validate() }
            return
        }
        let plan = try makePlan()
        try Check.validation { try plan.validate() }
        // Per pair: source, target and second target samples, latents, translations, cycles.
        let points = max(plan.translationPoints, plan.oraclePoints)
        var needs = [MemoryBudget.Need("\(points) points per pair × 2 coordinates × 8 bytes × 8 arrays", options: "--n \(points)",
                                       factors: [points, 2, 8, 8])]
        needs += Footprint.diffusionTraining(model: plan.model, timesteps: plan.schedule.count, training: plan.training,
                                             dataRows: plan.trainingPoints) { option in
            ["--steps": "--training-steps", "--data-points": "--training-points"][option] ?? "(plan) " + option.dropFirst(2)
        }
        try Check.memory(needs)
    }

    /// The ddib-2d plan: quick or full, with the overrides given.
    func makePlan(seed: UInt64? = nil) throws -> ReproductionPlan {
        let seed = seed ?? self.seed ?? 0
        var plan = quick ? try ReproductionPlan.quick(seed: seed) : try ReproductionPlan.full(seed: seed)
        if let n { plan.translationPoints = n; plan.oraclePoints = n }
        if let trainingSteps { plan.training.steps = trainingSteps }
        if let trainingPoints { plan.trainingPoints = trainingPoints }
        if let pairs {
            plan.pairs = try pairs.split(separator: ",").map { item in
                let names = item.split(separator: ":").map(String.init)
                guard names.count == 2 else {
                    throw ValidationError("--pairs: expected SOURCE:TARGET, got '\(item)'")
                }
                return names
            }
            var datasets: [String] = []
            for name in plan.pairs.flatMap({ $0 }) where !datasets.contains(name) { datasets.append(name) }
            plan.datasets = datasets
        }
        if let cells { plan.cells = try Self.parseCells(cells, option: "--cells") }
        if let oracleCells { plan.oracleCells = try Self.parseCells(oracleCells, option: "--oracle-cells") }
        return plan
    }

    func run() throws {
        if experiment == "ddib-digits" { return try runDigits() }
        if experiment == "ddib-images" { return try runImages() }
        let out = self.out ?? "runs/ddib-2d"
        guard let seeds else {
            let summary = try run(seed: seed ?? 0, out: out)
            print(summary.results.markdown())
            print(summary.oracleResults.markdown())
            return
        }
        var manifest = RunManifest.begin(command: "monge reproduce", seed: seeds.seeds.first)
        var runs: [Reproduction.Summary] = []
        for (k, s) in seeds.seeds.enumerated() {
            FileHandle.standardError.write(Data("reproduce: seed \(s) (\(k + 1)/\(seeds.seeds.count))\n".utf8))
            runs.append(try run(seed: s, out: out + "/seed_\(s)"))
        }
        // One row per cell; the per-seed columns that are not measurements are left out.
        let keys = ["kind", "pair", "solver", "steps"], excluded: Set<String> = ["n", "seed", "bridge_s", "ot_s"]
        let results = try ResultsTable.seedIntervals(runs.map(\.results), keys: keys, excluded: excluded)
        let oracle = try ResultsTable.seedIntervals(runs.map(\.oracleResults), keys: keys, excluded: excluded)
        try RunManifest.remove(at: out + "/manifest.json")
        let files = try results.write(stem: out + "/results_seeds") + oracle.write(stem: out + "/oracle_results_seeds")
        manifest.parameters["seeds"] = .array(seeds.seeds.map { .integer(Int($0)) })
        manifest.finish(outputs: files + seeds.seeds.map { "seed_\($0)/" }, results: [
            "seeds": .integer(seeds.seeds.count), "rows": .integer(results.rows.count), "oracle_rows": .integer(oracle.rows.count),
        ])
        try manifest.write(to: out + "/manifest.json", describing: files)
        print("mean and 95 % Student-t interval over seeds \(seeds.seeds.map(String.init).joined(separator: ","))")
        print(results.markdown())
        print(oracle.markdown())
        FileHandle.standardError.write(Data("reproduce: wrote \(out)/results_seeds.{csv,md,json}, oracle_results_seeds.{csv,md,json}, seed_<s>/ and manifest.json\n".utf8))
    }

    /// One seed's ddib-2d reproduction into `out`.
    func run(seed: UInt64, out: String) throws -> Reproduction.Summary {
        let plan = try makePlan(seed: seed)
        var manifest = RunManifest.begin(command: "monge reproduce", seed: seed)
        let reproduction = try Reproduction(plan: plan, folder: out) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        var runner = reproduction
        runner.showTrainingProgress = !quiet
        try RunManifest.remove(at: out + "/manifest.json")  // it describes files about to change
        let summary = try runner.run()
        manifest.finish(outputs: summary.files, results: [
            "pairs": .integer(plan.pairs.count), "rows": .integer(summary.results.rows.count),
            "oracle_rows": .integer(summary.oracleResults.rows.count),
        ])
        try manifest.write(to: out + "/manifest.json", describing: summary.files.filter { FileManager.default.fileExists(atPath: $0) })
        FileHandle.standardError.write(Data("reproduce: wrote \(out)/results.{csv,md,json}, oracle_results.{csv,md,json}, figures/ and manifest.json\n".utf8))
        return summary
    }

    /// `monge reproduce ddib-digits`.
    func runDigits() throws {
        let out = self.out ?? "runs/ddib-digits"
        let plan = try makeDigitsPlan()
        var manifest = RunManifest.begin(command: "monge reproduce ddib-digits", seed: seed ?? 0)
        let start = Date()
        var runner = try DigitsReproduction(plan: plan, folder: out, images: try DigitImages.load()) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        runner.showTrainingProgress = !quiet
        try RunManifest.remove(at: out + "/manifest.json")  // it describes files about to change
        let summary = try runner.run()
        manifest.finish(outputs: summary.files, results: [
            "pairs": .integer(plan.pairs.count), "rows": .integer(summary.results.rows.count),
            "seconds": .number(Date().timeIntervalSince(start)),
        ])
        try manifest.write(to: out + "/manifest.json", describing: summary.files.filter { FileManager.default.fileExists(atPath: $0) })
        print(summary.results.markdown())
        FileHandle.standardError.write(Data("reproduce: wrote \(out)/results.{csv,md,json}, figures/ and manifest.json in \(String(format: "%.0f", Date().timeIntervalSince(start))) s\n".utf8))
    }

    /// The ddib-digits plan with the overrides given.
    func makeDigitsPlan() throws -> DigitsPlan {
        var plan = try DigitsPlan.standard(seed: seed ?? 0)
        if let n { plan.heldOut = n }
        if let trainingSteps { plan.training.steps = trainingSteps }
        if let cells { plan.cells = try Self.parseCells(cells, option: "--cells") }
        if let pairs {
            plan.pairs = try pairs.split(separator: ",").map { item in
                let digits = item.split(separator: ":").compactMap { Int($0) }
                guard digits.count == 2, item.split(separator: ":").count == 2 else {
                    throw ValidationError("--pairs: expected SOURCE:TARGET digits, e.g. 3:8, got '\(item)'")
                }
                return digits
            }
        }
        return plan
    }

    static func parseCells(_ text: String, option: String) throws -> [ReproductionPlan.Cell] {
        try text.split(separator: ",").map { item in
            let parts = item.split(separator: ":")
            guard parts.count == 2, let steps = Int(parts[1]), ["ddim", "heun"].contains(String(parts[0])) else {
                throw ValidationError("\(option): expected SOLVER:STEPS with SOLVER ddim or heun, got '\(item)'")
            }
            return ReproductionPlan.Cell(String(parts[0]), steps)
        }
    }
}
