import Foundation
import MongeData
import MongeNN
import MongePlot

/// `monge reproduce ddib-2d`: train one model per dataset, translate across the pairs with DDIB,
/// measure every translation against exact OT, run the oracle bridges, and write the tables,
/// arrays and figures. Progress goes to `log` (stderr in the CLI).
///
/// Layout of `folder`:
///   plan.json, manifest.json
///   models/<dataset>/            checkpoint (config.json, model.safetensors, loss.csv)
///   pairs/<src>__<dst>/<solver>-<steps>/  source, latent, mapped, cycled, exact_ot_image .npy
///   results.{csv,md,json}        trained bridges, one row per pair × cell
///   oracle_results.{csv,md,json} exact-ε bridges, with the closed-form gap where known
///   cycle_results.{csv,md,json}  DDIB's own metric: max (and mean) L2 error of A → B → A per cycle pair
///   figures/                     transport maps (DDIB vs exact OT), trajectories, gap/cycle vs steps
public struct Reproduction: GridExperiment {
    public static let experimentName = "ddib-2d"
    public static func seed(of plan: ReproductionPlan) -> UInt64 { plan.seed }

    public let plan: ReproductionPlan
    public let folder: String
    public let log: @Sendable (String) -> Void
    /// Print training progress lines (off in tests).
    public var showTrainingProgress = true
    /// The models loaded or trained so far in this process, by dataset.
    private let models = ModelCache()
    /// The MUNITs loaded or trained so far in this process (`plan.munit`).
    let munitModels = MUNITCache()

    final class ModelCache: @unchecked Sendable {
        private var models: [String: NetworkDenoiser] = [:]
        private let lock = NSLock()

        func value(_ name: String, orMake make: () throws -> NetworkDenoiser) rethrows -> NetworkDenoiser {
            lock.lock()
            defer { lock.unlock() }
            if let model = models[name] { return model }
            let model = try make()
            models[name] = model
            return model
        }
    }

    public init(plan: ReproductionPlan, folder: String, log: @escaping @Sendable (String) -> Void) throws {
        try plan.validate()
        self.plan = plan
        self.folder = folder
        self.log = log
    }

    /// The outputs of a finished run.
    public struct Summary: Sendable {
        public let results: ResultsTable
        public let oracleResults: ResultsTable
        /// DDIB's cycle-pair table (`CycleEvaluation`).
        public let cycleResults: ResultsTable
        public let files: [String]
    }

    /// One unit of the grid: one (pair, cell) of the trained or of the oracle bridges. Units are
    /// what shards split; each gives one row of `results` or `oracle_results`.
    public struct Unit: Hashable, Codable, Sendable {
        public enum Kind: String, Codable, Sendable { case trained, oracle, cycle, munit }
        public let kind: Kind
        /// Index into `plan.pairs` (trained, munit), the oracle pairs or `plan.cyclePairs`.
        public let pair: Int
        /// Index into `plan.cells` (trained) or `plan.oracleCells`; 0 for a cycle (`plan.cycleCell`);
        /// into `munitSolvers` for MUNIT (0: a sampled style, 1: s = 0).
        public let cell: Int
    }

    /// What one unit produced: its row, and the files it wrote (arrays, figures).
    public typealias UnitOutput = GridUnitOutput<Unit>

    /// Every unit, in the grid's fixed order: trained pairs × cells, the MUNIT cells (when on),
    /// oracle pairs × cells, then the cycle pairs.
    public var units: [Unit] {
        plan.pairs.indices.flatMap { p in plan.cells.indices.map { Unit(kind: .trained, pair: p, cell: $0) } }
            + munitUnits
            + (0..<Self.oraclePairCount).flatMap { p in plan.oracleCells.indices.map { Unit(kind: .oracle, pair: p, cell: $0) } }
            + plan.cyclePairs.indices.map { Unit(kind: .cycle, pair: $0, cell: 0) }
    }

    /// The unit's name, e.g. "seed 0 trained moons → checkerboard ddim:10".
    public func name(of unit: Unit) -> String {
        if unit.kind == .munit {
            return "seed \(plan.seed) munit \(plan.pairs[unit.pair].joined(separator: " → ")) \(Self.munitSolvers[unit.cell]):\(plan.munit?.training.steps ?? 0)"
        }
        let cell: ReproductionPlan.Cell, pair: String
        switch unit.kind {
        case .trained: (cell, pair) = (plan.cells[unit.cell], plan.pairs[unit.pair].joined(separator: " → "))
        case .oracle: (cell, pair) = (plan.oracleCells[unit.cell], Self.oraclePairNames[unit.pair])
        case .cycle, .munit: (cell, pair) = (plan.cycleCell, plan.cyclePairs[unit.pair].joined(separator: " → "))
        }
        return "seed \(plan.seed) \(unit.kind.rawValue) \(pair) \(cell.solver):\(cell.steps)"
    }

    /// Runs one unit: trains (or reuses, or waits for another shard training) the models it
    /// needs in `folder`/models, translates, measures, and writes its arrays and figures under
    /// `output` (the run folder itself, or a shard's folder).
    public func run(_ unit: Unit, into output: String, position: (Int, Int)) throws -> UnitOutput {
        if unit.kind == .munit { return try runMUNIT(unit, into: output, position: position) }
        if unit.kind == .cycle {
            return UnitOutput(unit: unit, name: name(of: unit), row: try cycle(unit.pair, position: position), files: [])
        }
        var files: [String] = []
        let isLast: Bool, domains: DomainPair, cell: ReproductionPlan.Cell, seed: UInt64, points: Int, figureName: String
        switch unit.kind {
        case .trained:
            cell = plan.cells[unit.cell]
            isLast = unit.cell == plan.cells.count - 1
            let (a, b) = (plan.pairs[unit.pair][0], plan.pairs[unit.pair][1])
            let source = try model(a), target = try model(b)
            let (from, to) = (try domain(a), try domain(b))
            domains = DomainPair(
                name: "\(a) → \(b)", kind: "trained", source: source, target: target,
                sampleSource: { n, seed in try from.sample(n, seed: seed) },
                sampleTarget: { n, seed in try to.sample(n, seed: seed) },
                sampleTargets: { n, seed in try to.samplePair(n, seed: seed) })
            seed = pairSeed(a, b)
            points = plan.translationPoints
            figureName = "map_\(a)__\(b)"
        case .oracle, .cycle, .munit:
            cell = plan.oracleCells[unit.cell]
            isLast = unit.cell == plan.oracleCells.count - 1
            domains = try Self.oraclePair(unit.pair, schedule: plan.schedule)
            seed = plan.seed + 1000 + UInt64(unit.pair)
            points = plan.oraclePoints
            figureName = "oracle_map_\(unit.pair + 1)"
        }
        let recorded = unit.kind == .trained && isLast ? Array(0..<min(plan.trajectoryRows, points)) : []
        let (measured, outcome) = try domains.evaluate(n: points, steps: cell.steps, method: try cell.method, seed: seed,
                                                       recordedRows: recorded)
        var evaluation = measured
        evaluation.runSeed = plan.seed  // figure titles carry the seed the user gave
        var row = evaluation.row(outcome)
        if unit.kind == .oracle { row["closed_form_gap"] = .number(domains.closedFormGap ?? .nan) }
        let c = outcome.comparison
        switch unit.kind {
        case .trained:
            log(String(format: "[bridge %d/%d] %@ %@ %d steps: gap %.4f, optimality %.4f, cycle max %.3g (%.1f s + OT %.1f s)",
                       position.0, position.1, domains.name, cell.solver, cell.steps, c.transportGap, c.optimalityGap,
                       c.cycleErrorMax ?? .nan, outcome.bridgeSeconds, c.otSeconds))
            let (a, b) = (plan.pairs[unit.pair][0], plan.pairs[unit.pair][1])
            let cellFolder = "pairs/\(a)__\(b)/\(cell.solver)-\(cell.steps)"
            try evaluation.writeArrays(outcome, to: output + "/" + cellFolder)
            files += ["source", "latent", "mapped", "cycled", "exact_ot_image"].map { "\(cellFolder)/\($0).npy" }
        case .oracle, .cycle, .munit:
            log(String(format: "[oracle %d/%d] %@ %@ %d steps: gap %.4f, optimality %.4f%@",
                       position.0, position.1, domains.name, cell.solver, cell.steps, c.transportGap, c.optimalityGap,
                       domains.closedFormGap.map { String(format: " (closed form %.4f)", $0) } ?? ""))
        }
        if isLast {
            let target = try domains.sampleTarget(points, seed + 1)
            files += try render(evaluation.comparisonFigure(outcome, target: target), figureName, in: output)
            if unit.kind == .trained, let trajectories = try evaluation.trajectoryFigure(outcome) {
                files += try render(trajectories, "trajectories_" + figureName.dropFirst(4), in: output)
            }
        }
        return UnitOutput(unit: unit, name: name(of: unit), row: row, files: files)
    }

    /// Writes plan.json, the tables and the step curves of a finished grid from its units'
    /// outputs (in any order; every unit exactly once) — the same bytes whether the units ran in
    /// this process or in shards.
    public func assemble(_ outputs: [UnitOutput]) throws -> Summary {
        let byUnit = try indexed(outputs)
        var files = [folder + "/plan.json"]
        try AtomicFile.write(try Self.json(plan), to: folder + "/plan.json")
        var results = ResultsTable(columns: BridgeEvaluation.columns)
        var oracleResults = ResultsTable(columns: BridgeEvaluation.columns + ["closed_form_gap"])
        var cycleResults = ResultsTable(columns: CycleEvaluation.columns)
        var curves: [String: [(cell: ReproductionPlan.Cell, row: [String: ResultsTable.Cell])]] = [:]
        var oracleCurves = curves
        for unit in units {
            let output = byUnit[unit]!
            files += output.files.map { folder + "/" + $0 }
            let pair: String
            if case .text(let name) = output.row["pair"] { pair = name } else { pair = "" }
            switch unit.kind {
            case .trained:
                try results.append(output.row)
                curves[pair, default: []].append((plan.cells[unit.cell], output.row))
            case .oracle:
                try oracleResults.append(output.row)
                oracleCurves[pair, default: []].append((plan.oracleCells[unit.cell], output.row))
            case .munit:
                try results.append(output.row)
            case .cycle:
                try cycleResults.append(output.row)
            }
        }
        files += try results.write(stem: folder + "/results")
        files += try stepCurves(curves, stem: "trained").map { folder + "/" + $0 }
        files += try cycleResults.write(stem: folder + "/cycle_results")
        files += try oracleResults.write(stem: folder + "/oracle_results")
        files += try stepCurves(oracleCurves, stem: "oracle").map { folder + "/" + $0 }
        return Summary(results: results, oracleResults: oracleResults, cycleResults: cycleResults, files: files)
    }

    /// Per cell, the mean and 95 % interval over the seeds of every metric of the three tables;
    /// the per-seed columns that are not measurements are left out.
    public static func seedTables(_ runs: [Summary], folder: String) throws -> [(stem: String, table: ResultsTable)] {
        let keys = ["kind", "pair", "solver", "steps"], excluded: Set<String> = ["n", "seed", "bridge_s", "ot_s"]
        return [
            ("results_seeds", try ResultsTable.seedIntervals(runs.map(\.results), keys: keys, excluded: excluded)),
            ("oracle_results_seeds", try ResultsTable.seedIntervals(runs.map(\.oracleResults), keys: keys, excluded: excluded)),
            ("cycle_results_seeds", try ResultsTable.seedIntervals(runs.map(\.cycleResults), keys: CycleEvaluation.keys, excluded: CycleEvaluation.excluded)),
        ]
    }

    /// The oracle pairs: exact ε, so only the bridge itself and the discretisation remain.
    static let oraclePairCount = 2
    static let oraclePairNames = ["gaussians25 → gaussians8", "gaussian → gaussian rotated 45°"]

    static func oraclePair(_ index: Int, schedule: NoiseSchedule) throws -> DomainPair {
        index == 0 ? try OracleExperiments.gaussians25To8(schedule: schedule) : try OracleExperiments.rotatedGaussians(schedule: schedule)
    }

    /// The trained model of dataset `name`: trained once per run folder, under a claim so that
    /// shards sharing the folder never train it twice at once.
    func model(_ name: String) throws -> NetworkDenoiser {
        guard let index = plan.datasets.firstIndex(of: name) else {
            throw MongeError.invalidArgument(name: "pairs", message: "\(name) is not a trained dataset of the plan")
        }
        let modelFolder = "\(folder)/models/\(name)"
        return try models.value(name) {
            try FolderClaim.holding(modelFolder, waiting: { holder in
                log("  waiting for \(holder) to finish training \(modelFolder)")
            }) {
                try train(name, index: index)
            }
        }
    }

    /// DDIB's own metric for cycle pair `index` ([A, B]): `cyclePoints` fresh points of A sent to B
    /// and back with the cycle cell's solver, their mean and max L2 error (a row of `cycle_results`).
    func cycle(_ index: Int, position: (Int, Int)) throws -> [String: ResultsTable.Cell] {
        let cell = plan.cycleCell
        let pair = plan.cyclePairs[index]
        let (a, b) = (pair[0], pair[1])
        let seed = pairSeed(a, b) &+ 5  // apart from the translation samples (pairSeed + 0, 1, 2)
        let x: Matrix<Float> = try domain(a).sample(plan.cyclePoints, seed: seed).converted()
        let evaluation = CycleEvaluation(pair: pair, steps: cell.steps, method: try cell.method, seed: seed)
        let source = try model(a), target = try model(b)
        let label = "[cycle \(position.0)/\(position.1)] \(a) → \(b) → \(a), \(cell.solver) \(cell.steps) steps, \(plan.cyclePoints) points"
        let report = CycleProgress(label: label, log: showTrainingProgress ? log : nil)
        let outcome = try evaluation.run(source: source, target: target, x: x, progress: { report.update($0) })
        log(String(format: "%@: max %.4g, mean %.4g (%.1f s)", label, outcome.max, outcome.mean, outcome.seconds))
        return evaluation.row(outcome)
    }

    /// Trains (or, when a finished checkpoint of the same config is there, reuses) one model.
    func train(_ name: String, index: Int) throws -> NetworkDenoiser {
        let modelFolder = "\(folder)/models/\(name)"
        let domain = try domain(name)
        let data: Matrix<Float> = try domain.training(plan.trainingPoints, seed: plan.seed &+ UInt64(index) &* 7919).converted()
        var training = plan.training
        training.seed = plan.seed &+ UInt64(index)
        let source = plan.files[name].map { "\($0.path) (FNV-1a \($0.contentHash)): \(data.rows) training rows, \($0.heldOut) held out with seed \(plan.seed)" }
            ?? "\(name) n=\(plan.trainingPoints) seed=\(plan.seed)"
        let config = TrainingCheckpoint.Config(model: plan.model, schedule: plan.schedule, training: training,
                                               data: .init(source: source, data: data))
        log("[train \(index + 1)/\(plan.datasets.count)] \(name): \(plan.training.steps) steps, batch \(plan.training.batchSize), \(plan.model.architecture.rawValue) width \(plan.model.width) depth \(plan.model.depth)")
        let model = try TrainingRun.trainedModel(folder: modelFolder, data: data, config: config,
                                                 progress: TrainingProgress(totalSteps: training.steps, quiet: !showTrainingProgress), log: log)
        if model.reused { log("  reusing the finished checkpoint in \(modelFolder)") }
        return model.denoiser
    }

    /// A domain of the plan: a MongeData generator, or a user's file split into training and
    /// held-out rows (`PointFile`; the file is read again and its hash checked).
    struct Domain: Sendable {
        let dataset: (any Dataset2D)?
        let file: (training: Matrix<Double>, heldOut: Matrix<Double>)?

        /// The model's training points: `count` fresh points, or a file's whole training part.
        func training(_ count: Int, seed: UInt64) throws -> Matrix<Double> {
            if let file { return file.training }
            return try dataset!.sample(n: count, seed: seed)
        }

        /// `n` points: fresh, or rows of a file's held-out part.
        func sample(_ n: Int, seed: UInt64) throws -> Matrix<Double> {
            if let file { return try PointFile.sample(file.heldOut, count: n, seed: seed) }
            return try dataset!.sample(n: n, seed: seed)
        }

        /// `sample(n, seed)` and a second independent sample (disjoint rows of a file).
        func samplePair(_ n: Int, seed: UInt64) throws -> (Matrix<Double>, Matrix<Double>) {
            if let file { return try PointFile.samplePair(file.heldOut, count: n, seed: seed) }
            return (try dataset!.sample(n: n, seed: seed), try dataset!.sample(n: n, seed: seed + 1))
        }
    }

    /// The domain called `name` in the plan.
    func domain(_ name: String) throws -> Domain {
        if let file = plan.files[name] {
            let parts = file.split(try file.read(), seed: plan.seed)
            return Domain(dataset: nil, file: parts)
        }
        return Domain(dataset: try plan.dataset(name), file: nil)
    }

    /// Progress lines of a long round trip: at most one per 10 % (the paper's cycle is hours).
    final class CycleProgress: @unchecked Sendable {
        let label: String
        let log: (@Sendable (String) -> Void)?
        private let lock = NSLock()
        private var reported = 0
        private let start = Date()

        init(label: String, log: (@Sendable (String) -> Void)?) {
            self.label = label
            self.log = log
        }

        func update(_ p: SamplerProgress) {
            guard let log else { return }
            let tenth = Int(p.fraction * 10)
            lock.lock()
            defer { lock.unlock() }
            guard tenth > reported, tenth < 10 else { return }
            reported = tenth
            let elapsed = Date().timeIntervalSince(start)
            log(String(format: "%@: %d %% (%.0f s, about %.0f s left)", label, tenth * 10, elapsed, elapsed * (1 / p.fraction - 1)))
        }
    }

    /// A fixed seed per pair, so that adding a pair does not change the others' samples.
    ///
    /// FNV-1a from the basis 1469598103934665603 — the standard basis with its last digit lost
    /// (14695981039346656037). The hash is as good; the basis is kept so that every pair seed, and
    /// with them every published table, stays as it was.
    func pairSeed(_ a: String, _ b: String) -> UInt64 {
        let hash = FNV1a64.value(of: (a + "→" + b).utf8, basis: 1_469_598_103_934_665_603)
        return plan.seed &+ (hash % 1_000_000) * 10
    }

    /// Renders `figure` to `<output>/figures/<name>.png`; returns its files relative to `output`.
    func render(_ figure: some Figure, _ name: some StringProtocol, in output: String) throws -> [String] {
        try renderUnitFigure(figure, "figures/\(name).png", in: output)
    }

    /// Optimality gap and cycle error against steps from the table rows, one curve per pair and
    /// solver (log-log; small multiples by pair beyond eight curves, values ≤ 0 on the marked
    /// floor, non-finite values left out); paths relative to `folder`.
    func stepCurves(_ curves: [String: [(cell: ReproductionPlan.Cell, row: [String: ResultsTable.Cell])]], stem: String) throws -> [String] {
        func curve(_ name: String, _ solver: String, _ points: [(cell: ReproductionPlan.Cell, row: [String: ResultsTable.Cell])],
                   _ column: String) -> Curve? {
            let measured = points.compactMap { point -> (Double, Double)? in
                guard case .number(let y) = point.row[column], y.isFinite else { return nil }
                return (Double(point.cell.steps), y)
            }
            guard measured.count >= 2 else { return nil }
            return Curve(x: measured.map(\.0), y: measured.map(\.1), label: solver, group: name)
        }
        var gap: [Curve] = [], cycle: [Curve] = []
        for name in curves.keys.sorted() {
            for solver in ["ddim", "heun"] {
                let points = curves[name]!.filter { $0.cell.solver == solver }.sorted { $0.cell.steps < $1.cell.steps }
                if let c = curve(name, solver, points, "optimality") { gap.append(c) }
                if let c = curve(name, solver, points, "cycle_max") { cycle.append(c) }
            }
        }
        let n = stem == "oracle" ? plan.oraclePoints : plan.translationPoints
        var files: [String] = []
        if !gap.isEmpty {
            files += try render(CurveFigure(gap, title: FigureTitle("\(stem) bridges: optimality gap c(T)/W2²(A,T#A) − 1", n: n, seed: plan.seed),
                                            xLabel: "ODE steps", yLabel: "optimality gap", logX: true, logY: true),
                                "\(stem)_optimality_vs_steps", in: folder)
        }
        if !cycle.isEmpty {
            files += try render(CurveFigure(cycle, title: FigureTitle("\(stem) bridges: max cycle error ‖x − T_BA(T_AB(x))‖", n: n, seed: plan.seed),
                                            xLabel: "ODE steps", yLabel: "max cycle error", logX: true, logY: true),
                                "\(stem)_cycle_vs_steps", in: folder)
        }
        return files
    }

    /// `value` as pretty JSON with snake_case keys (the convention of every file Monge writes;
    /// the Codable types keep their Swift names, and checkpoints their own config keys).
    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}
