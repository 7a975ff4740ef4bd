import ArgumentParser
import Foundation
import MongeExperiments
import MongeData
import MongeFlows

/// `monge reproduce ddib-2d`: the main job — DDIB's 2-D translations measured against exact OT.
struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Reproduce an experiment end to end (tables, arrays, figures, manifest).",
        discussion: """
        ddib-2d: trains one ε-model per 2-D dataset, translates across DDIB's pairs (and 25 ↔ 8 \
        Gaussians), compares every translation with the exact optimal transport of the same points, \
        and runs the oracle bridges (exact ε), and writes DDIB's own metric, the max L2 cycle error \
        A → B → A on the paper's cycle pairs, to cycle_results.{csv,md,json}. --quick takes minutes \
        on two cores; --medium runs the paper's model and schedule at a reduced size (under two \
        hours); the default is the paper's configuration (U-shaped MLP, T = 4000, batch 30,000, \
        lr 1e-4, all 4000 DDIM steps, 90,000 cycled points) and takes days on two cores.

        ddib-digits: the image path — the same sampler core on 8×8 handwritten digits (points of \
        R⁶⁴, `make setup` writes them). One residual ε-network (width 256, 4 blocks) per digit class, trained on the class \
        minus --n held-out images; DDIB translates the held-out images of A to B (default pairs \
        3:8,8:3) and every translation is measured against exact OT onto B's held-out images. \
        Writes results.{csv,md,json} and image grids (source → DDIB → exact OT → cycled) under \
        figures/. A few minutes on two cores.

        bridges-2d: flow-matching bridges (1-RF, 2-RF, I-CFM, OT-CFM, SB-CFM), DDIB (exact-ε oracles on \
        N(0, I) → 8-Gaussians; ε-MLPs trained per seed on every pair; DDIM), SDEdit and EGSDE (the trained \
        target ε-MLP from M = 0.5·T; EGSDE with a domain classifier trained per seed) next to the exact OT map on \
        TorchCFM's pairs N(0, I) → 8-Gaussians and moons → 8-Gaussians and DDIB's pairs (quick: \
        moons → checkerboard; full: all eleven), over seeds (--seeds, default 0-4, quick 0-2): the \
        `monge compare` metrics plus NFE and the normalised path energy NPE = |PE − W2²|/W2² (NaN for the \
        DDIB, SDEdit and EGSDE rows, whose paths run through noise), as mean and 95 % t-interval; a figure \
        with every method's map of the same points. --training-steps sets the steps of every trained model.

        ddib-images: the image path on Fashion-MNIST. One conv U-Net per class (trained on the train \
        split, or reused when OUT holds a sealed checkpoint of the same config; the held-out loss is \
        logged beside the training loss), test images translated both ways across each pair (7 ↔ 9; \
        full mode also 5 ↔ 7 and 0 ↔ 6) by DDIB (DDIM and Heun), SDEdit and EGSDE (a time-dependent \
        domain classifier per pair, low-pass faithfulness), and every map measured against the \
        certified exact OT between the two classes' test images: target-class accuracy and Fréchet \
        distance under a 10-class conv classifier (beside the floor of two target samples), L2, PSNR, \
        SSIM, c(T) vs W2², the optimality of T's own coupling, cycle error and cycle PSNR. MUNIT \
        (one image MUNIT per pair and seed, a prior style per image) is a row like the others. \
        --cells selects methods (e.g. munit,exact_ot). --quick: 14 × 14 images (average-pooled, \
        padded to 16 × 16), a small U-Net, 7 ↔ 9 only.
        """)

    @Argument(help: "The experiment: ddib-2d, ddib-digits, ddib-images or bridges-2d.") var experiment: String
    @Flag(help: "The quick version (minutes on 2 cores).") var quick = false
    @Flag(help: "ddib-2d: the paper's model and schedule at a reduced size (under 2 hours on 2 cores).") var medium = false
    @Option(help: "Output folder. [runs/EXPERIMENT]") var out: String?
    @Option(help: "Seed of every random choice. [0]") var seed: UInt64?
    @Option(help: "ddib-2d: run every cell with each of these seeds (a list and ranges a-b, e.g. 0-4) into OUT/seed_<s>/, and write results_seeds, oracle_results_seeds and cycle_results_seeds (.csv, .md, .json): per cell, the mean and 95 % Student-t interval over the seeds of every metric.",
            transform: SeedList.init(parsing:))
    var seeds: SeedList?
    @Option(help: "Override: points translated per pair, per oracle experiment and per cycle pair (ddib-digits: held-out images per class).") var n: Int?
    @Option(name: .customLong("training-steps"), help: "Override: optimiser steps per model.") var trainingSteps: Int?
    @Option(name: .customLong("training-points"), help: "Override: training points per dataset.") var trainingPoints: Int?
    @Option(help: "Override: pairs to translate, e.g. moons:checkerboard,gaussians25:gaussians8 or (ddib-digits) 3:8,1:7 (their datasets are trained). ddib-2d: a domain may be your own point file, A.csv:B.npy or A.csv:moons (N × 2, at least 16 rows, no ':' in the path; named by its base name): its rows are split with the seed, up to 2·max(n, cycle points) and at most half held out for translation and exact OT, the rest train its ε-model (--training-points does not apply).")
    var pairs: String?
    @Option(help: "Override: (solver:steps) cells for trained pairs, e.g. ddim:10,ddim:100,heun:50; the cycle table then uses the DDIM cell with the most steps. ddib-2d: add munit (or munit:STEPS) for a MUNIT baseline per pair: one MUNIT per pair and seed with the paper's settings (2000 training steps in --quick, else 10,000), its map with a sampled style (solver munit) and with s = 0 (munit-s0) measured on the DDIB rows' samples; steps = MUNIT's training steps. ddib-images: the methods, of ddib_ddim, ddib_heun, sdedit, egsde, exact_ot and munit (or munit:STEPS, MUNIT's training steps; 2000 in --quick, else 10,000), e.g. munit,exact_ot. [all]") var cells: String?
    @Option(name: .customLong("oracle-cells"), help: "Override: (solver:steps) cells for the oracle bridges.") var oracleCells: String?
    @Option(help: "Run only the K-th of N parts of the grid (seeds × units — pairs × cells, models; bridges-2d: seeds × pairs; unit i belongs to shard i mod N + 1) into OUT/shard-K-of-N/, training or reusing the models in OUT (shards sharing OUT never train one model twice); then `monge merge OUT OUT/shard-*-of-N`. For Slurm job arrays and GNU parallel (see the README).",
            transform: { try ShardSpec(parsing: $0) })
    var shard: ShardSpec?
    @Flag(help: "No training progress lines on stderr.") var quiet = false

    @OptionGroup(title: "ddib-images") var images: ImageReproductionOptions

    func validate() throws {
        guard ["ddib-2d", "ddib-digits", "bridges-2d", "ddib-images"].contains(experiment) else {
            throw ValidationError("unknown experiment '\(experiment)'; available: ddib-2d, ddib-digits, ddib-images, bridges-2d")
        }
        if experiment == "ddib-images" {
            if medium { throw ValidationError("ddib-images has --quick and the full mode; drop --medium") }
            return try validateImages()
        }
        if let option = images.given.first { throw ValidationError("\(option) is for ddib-images") }
        if experiment == "bridges-2d" {
            if seed != nil { throw ValidationError("bridges-2d runs over --seeds (e.g. --seeds 0-4), not --seed") }
            if oracleCells != nil || cells != nil || pairs != nil || medium {
                throw ValidationError("bridges-2d takes --quick, --seeds, --n, --training-steps, --training-points, --shard and --out")
            }
            try Check.range(n, "--n", 2...Check.maximumPoints)
            try Check.range(trainingSteps, "--training-steps", 1...Int.max)
            try Check.range(trainingPoints, "--training-points", 2...Check.maximumPoints)
            try Check.validation { try makeBridgesPlan().validate() }
            return
        }
        if experiment == "ddib-digits" {
            if quick || medium { throw ValidationError("ddib-digits has one size (minutes); drop --\(quick ? "quick" : "medium")") }
            if trainingPoints != nil || oracleCells != nil {
                throw ValidationError("--training-points and --oracle-cells are for ddib-2d (ddib-digits trains on every image of a class but the held-out ones)")
            }
        }
        if quick && medium { throw ValidationError("give --quick or --medium, not both") }
        if seeds != nil && seed != nil { throw ValidationError("give --seed or --seeds, not both") }
        if seeds != nil && !["ddib-2d", "bridges-2d"].contains(experiment) { throw ValidationError("--seeds is for ddib-2d and bridges-2d") }
        try Check.range(n, "--n", 2...Check.maximumPoints)
        try Check.range(trainingSteps, "--training-steps", 1...Int.max)
        try Check.range(trainingPoints, "--training-points", 1...Check.maximumPoints)
        // The whole plan, checked before the first model trains.
        if experiment == "ddib-digits" {
            try Check.validation { try makeDigitsPlan().validate() }
            return
        }
        let plan = try Check.validation { try makePlan() }
        try Check.validation { try plan.validate() }
        // Per pair: source, target and second target samples, latents, translations, cycles.
        let points = max(plan.translationPoints, plan.oraclePoints, plan.cyclePoints)
        var needs = [MemoryBudget.Need("\(points) points per pair × 2 coordinates × 8 bytes × 8 arrays", options: "--n \(points)",
                                       factors: [points, 2, 8, 8])]
        needs += Footprint.diffusionTraining(model: plan.model, timesteps: plan.schedule.count, training: plan.training,
                                             dataRows: plan.trainingPoints) { option in
            ["--steps": "--training-steps", "--data-points": "--training-points"][option] ?? "(plan) " + option.dropFirst(2)
        }
        try Check.memory(needs)
    }

    /// The ddib-2d plan: quick, medium or full, with the overrides given.
    func makePlan(seed: UInt64? = nil) throws -> ReproductionPlan {
        let seed = seed ?? self.seed ?? 0
        var plan = quick ? try ReproductionPlan.quick(seed: seed)
            : medium ? try ReproductionPlan.medium(seed: seed) : try ReproductionPlan.full(seed: seed)
        if let n { plan.translationPoints = n; plan.oraclePoints = n; plan.cyclePoints = n }
        if let trainingSteps { plan.training.steps = trainingSteps }
        if let trainingPoints { plan.trainingPoints = trainingPoints }
        if let pairs {
            // Files hold out enough rows for a source and two target samples of n (and the cycles).
            (plan.pairs, plan.files) = try ReproductionPlan.parsePairs(pairs, heldOut: 2 * max(plan.translationPoints, plan.cyclePoints))
            var datasets: [String] = []
            for name in plan.pairs.flatMap({ $0 }) where !datasets.contains(name) { datasets.append(name) }
            plan.datasets = datasets
            plan.cyclePairs = CycleEvaluation.pairs(among: datasets, fallback: plan.pairs)
        }
        if let cells {
            // `munit` or `munit:STEPS` adds the MUNIT cell (its training steps; quick 2000, else 10,000).
            let items = cells.split(separator: ",").map(String.init)
            let munit = items.filter { $0 == "munit" || $0.hasPrefix("munit:") }
            if let last = munit.last {
                var cell = ReproductionPlan.MUNITCell.standard(mode: plan.mode)
                if last != "munit" {
                    guard let steps = Int(last.dropFirst(6)), steps >= 1 else {
                        throw ValidationError("--cells: expected munit or munit:STEPS (MUNIT's training steps, ≥ 1), got '\(last)'")
                    }
                    cell.training.steps = steps
                }
                plan.munit = cell
            }
            let ddib = items.filter { !munit.contains($0) }
            plan.cells = ddib.isEmpty ? [] : try Self.parseCells(ddib.joined(separator: ","), option: "--cells")
            if !ddib.isEmpty { plan.cycleCell = ReproductionPlan.cycleCell(of: plan.cells) }
        }
        if let oracleCells { plan.oracleCells = try Self.parseCells(oracleCells, option: "--oracle-cells") }
        return plan
    }

    func run() throws {
        if experiment == "ddib-digits" { return try runDigits() }
        if experiment == "bridges-2d" { return try runBridges() }
        if experiment == "ddib-images" { return try runImages() }
        let out = self.out ?? "runs/ddib-2d"
        let seedValues = seeds?.seeds ?? [seed ?? 0]
        try runGrid(Reproduction.self, plans: try seedValues.map { try makePlan(seed: $0) }, out: out, seeded: seeds != nil)
    }

    /// Runs an experiment of the grid pipeline: whole (tables, figures, manifests), or the shard
    /// `--shard` names (its units and shard.json; `monge merge` writes the rest).
    func runGrid<Experiment: ReportedExperiment>(_ type: Experiment.Type, plans: [Experiment.Plan], out: String, seeded: Bool) throws {
        var grid = try ExperimentGrid<Experiment>(plans: plans, folder: out, seeded: seeded) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        grid.showTrainingProgress = !quiet
        if let shard {
            let shardFolder = try grid.runShard(shard, binary: binaryIdentity())
            FileHandle.standardError.write(Data("reproduce: shard \(shard) wrote \(shardFolder)/; merge the shards with `monge merge \(out) \(out)/shard-*-of-\(shard.count)`\n".utf8))
            return
        }
        let manifests = ReproductionManifests(grid: grid, command: "monge reproduce")
        try manifests.removeStale()  // they describe files about to change
        let summary = try grid.run()
        try manifests.write(summary)
        manifests.report(summary)
    }

    /// `monge reproduce ddib-digits`.
    func runDigits() throws {
        try runGrid(DigitsReproduction.self, plans: [try makeDigitsPlan()], out: self.out ?? "runs/ddib-digits", seeded: false)
    }

    /// The bridges-2d plan: quick or full, with --seeds, --n, --training-points and --training-steps
    /// (the steps of every trained model: the flows, the ε-models and EGSDE's classifier; the reflow half).
    func makeBridgesPlan() throws -> BridgesPlan {
        var plan = quick ? BridgesPlan.quick(seeds: seeds?.seeds) : BridgesPlan.full(seeds: seeds?.seeds)
        if let n { plan.evaluationPoints = n }
        if let trainingPoints { plan.trainingPoints = trainingPoints }
        if let trainingSteps {
            plan.steps = trainingSteps
            plan.reflowSteps = max(1, trainingSteps / 2)
            plan.ddibTrainingSteps = trainingSteps
            plan.editing.classifierSteps = trainingSteps
        }
        return plan
    }

    /// `monge reproduce bridges-2d`: one plan, its seeds × pairs the grid's units.
    func runBridges() throws {
        try runGrid(BridgesReproduction.self, plans: [try makeBridgesPlan()], out: self.out ?? "runs/bridges-2d", seeded: false)
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
