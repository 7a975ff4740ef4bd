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
public struct Reproduction {
    public let plan: ReproductionPlan
    public let folder: String
    public let log: @Sendable (String) -> Void
    /// Print training progress lines (off in tests).
    public var showTrainingProgress = true

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

    public func run() throws -> Summary {
        var files: [String] = []
        try AtomicFile.write(try Self.json(plan), to: folder + "/plan.json")
        files.append(folder + "/plan.json")

        // 1. One model per dataset.
        var models: [String: NetworkDenoiser] = [:]
        for (k, name) in plan.datasets.enumerated() {
            log("[train \(k + 1)/\(plan.datasets.count)] \(name): \(plan.training.steps) steps, batch \(plan.training.batchSize), \(plan.model.architecture.rawValue) width \(plan.model.width) depth \(plan.model.depth)")
            models[name] = try train(name, index: k)
        }

        // 2. Trained bridges.
        var results = ResultsTable(columns: BridgeEvaluation.columns)
        var curves: [String: [(cell: ReproductionPlan.Cell, comparison: BridgeComparison)]] = [:]
        let total = plan.pairs.count * plan.cells.count
        var done = 0
        for pair in plan.pairs {
            let (a, b) = (pair[0], pair[1])
            let domains = DomainPair(
                name: "\(a) → \(b)", kind: "trained", source: models[a]!, target: models[b]!,
                sampleSource: { [plan] n, seed in try plan.dataset(a).sample(n: n, seed: seed) },
                sampleTarget: { [plan] n, seed in try plan.dataset(b).sample(n: n, seed: seed) })
            for (c, cell) in plan.cells.enumerated() {
                done += 1
                let last = c == plan.cells.count - 1
                let (evaluation, outcome) = try domains.evaluate(
                    n: plan.translationPoints, steps: cell.steps, method: try cell.method, seed: pairSeed(a, b),
                    recordedRows: last ? Array(0..<min(plan.trajectoryRows, plan.translationPoints)) : [])
                try results.append(evaluation.row(outcome))
                curves[domains.name, default: []].append((cell, outcome.comparison))
                log(String(format: "[bridge %d/%d] %@ %@ %d steps: gap %.4f, optimality %.4f, cycle max %.3g (%.1f s + OT %.1f s)",
                           done, total, domains.name, cell.solver, cell.steps, outcome.comparison.transportGap,
                           outcome.comparison.optimalityGap, outcome.comparison.cycleErrorMax ?? .nan,
                           outcome.bridgeSeconds, outcome.comparison.otSeconds))
                let cellFolder = "\(folder)/pairs/\(a)__\(b)/\(cell.solver)-\(cell.steps)"
                try evaluation.writeArrays(outcome, to: cellFolder)
                if last {
                    let target = try domains.sampleTarget(plan.translationPoints, pairSeed(a, b) + 1)
                    files += try render(evaluation.comparisonFigure(outcome, target: target), "map_\(a)__\(b)")
                    if let trajectories = try evaluation.trajectoryFigure(outcome) {
                        files += try render(trajectories, "trajectories_\(a)__\(b)")
                    }
                }
            }
        }
        files += try results.write(stem: folder + "/results")
        files += try stepCurves(curves, stem: "trained")

        // 2b. DDIB's own metric on its cycle pairs (no OT, so at the paper's point count).
        let cycleResults = try cycles(models)
        files += try cycleResults.write(stem: folder + "/cycle_results")

        // 3. Oracle bridges: exact ε, so only the bridge itself and the discretisation remain.
        var oracleResults = ResultsTable(columns: BridgeEvaluation.columns + ["closed_form_gap"])
        var oracleCurves: [String: [(cell: ReproductionPlan.Cell, comparison: BridgeComparison)]] = [:]
        let oraclePairs = [try OracleExperiments.gaussians25To8(schedule: plan.schedule),
                           try OracleExperiments.rotatedGaussians(schedule: plan.schedule)]
        for (p, pair) in oraclePairs.enumerated() {
            for (c, cell) in plan.oracleCells.enumerated() {
                let (evaluation, outcome) = try pair.evaluate(n: plan.oraclePoints, steps: cell.steps, method: try cell.method,
                                                              seed: plan.seed + 1000 + UInt64(p))
                var row = evaluation.row(outcome)
                row["closed_form_gap"] = .number(pair.closedFormGap ?? .nan)
                try oracleResults.append(row)
                oracleCurves[pair.name, default: []].append((cell, outcome.comparison))
                log(String(format: "[oracle %d/%d] %@ %@ %d steps: gap %.4f, optimality %.4f%@",
                           p * plan.oracleCells.count + c + 1, oraclePairs.count * plan.oracleCells.count,
                           pair.name, cell.solver, cell.steps, outcome.comparison.transportGap, outcome.comparison.optimalityGap,
                           pair.closedFormGap.map { String(format: " (closed form %.4f)", $0) } ?? ""))
                if c == plan.oracleCells.count - 1 {
                    let target = try pair.sampleTarget(plan.oraclePoints, plan.seed + 1000 + UInt64(p) + 1)
                    files += try render(evaluation.comparisonFigure(outcome, target: target), "oracle_map_\(p + 1)")
                }
            }
        }
        files += try oracleResults.write(stem: folder + "/oracle_results")
        files += try stepCurves(oracleCurves, stem: "oracle")
        return Summary(results: results, oracleResults: oracleResults, cycleResults: cycleResults, files: files)
    }

    /// The cycle table: for each cycle pair [A, B], `cyclePoints` fresh points of A sent to B and
    /// back with the cycle cell's solver, their mean and max L2 error.
    func cycles(_ models: [String: NetworkDenoiser]) throws -> ResultsTable {
        var table = ResultsTable(columns: CycleEvaluation.columns)
        let cell = plan.cycleCell
        for (k, pair) in plan.cyclePairs.enumerated() {
            let (a, b) = (pair[0], pair[1])
            let seed = pairSeed(a, b) &+ 5  // apart from the translation samples (pairSeed + 0, 1, 2)
            let x: Matrix<Float> = try plan.dataset(a).sample(n: plan.cyclePoints, seed: seed).converted()
            let evaluation = CycleEvaluation(pair: pair, steps: cell.steps, method: try cell.method, seed: seed)
            let label = "[cycle \(k + 1)/\(plan.cyclePairs.count)] \(a) → \(b) → \(a), \(cell.solver) \(cell.steps) steps, \(plan.cyclePoints) points"
            let report = CycleProgress(label: label, log: showTrainingProgress ? log : nil)
            let outcome = try evaluation.run(source: models[a]!, target: models[b]!, x: x, progress: { report.update($0) })
            try table.append(evaluation.row(outcome))
            log(String(format: "%@: max %.4g, mean %.4g (%.1f s)", label, outcome.max, outcome.mean, outcome.seconds))
        }
        return table
    }

    /// Trains (or, when a finished checkpoint of the same config is there, reuses) one model.
    func train(_ name: String, index: Int) throws -> NetworkDenoiser {
        let modelFolder = "\(folder)/models/\(name)"
        let data: Matrix<Float> = try plan.dataset(name).sample(n: plan.trainingPoints, seed: plan.seed &+ UInt64(index) &* 7919).converted()
        var training = plan.training
        training.seed = plan.seed &+ UInt64(index)
        let config = TrainingCheckpoint.Config(model: plan.model, schedule: plan.schedule, training: training,
                                               data: .init(source: "\(name) n=\(plan.trainingPoints) seed=\(plan.seed)", data: data))
        let model = try TrainingRun.trainedModel(folder: modelFolder, data: data, config: config,
                                                 progress: TrainingProgress(totalSteps: training.steps, quiet: !showTrainingProgress))
        if model.reused { log("  reusing the finished checkpoint in \(modelFolder)") }
        return model.denoiser
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
    func pairSeed(_ a: String, _ b: String) -> UInt64 {
        let hash = (a + "→" + b).utf8.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 }
        return plan.seed &+ (hash % 1_000_000) * 10
    }

    func render(_ figure: some Figure, _ name: String) throws -> [String] {
        let rendered = try figure.render(to: "\(folder)/figures/\(name).png")
        return [rendered.figure]
    }

    /// Gap, optimality and cycle error against steps, one curve per pair and solver (log-log).
    func stepCurves(_ curves: [String: [(cell: ReproductionPlan.Cell, comparison: BridgeComparison)]], stem: String) throws -> [String] {
        var gap: [Curve] = [], cycle: [Curve] = []
        for name in curves.keys.sorted() {
            let cells = curves[name]!
            for solver in ["ddim", "heun"] {
                let points = cells.filter { $0.cell.solver == solver }.sorted { $0.cell.steps < $1.cell.steps }
                guard points.count >= 2 else { continue }
                let steps = points.map { Double($0.cell.steps) }
                gap.append(Curve(x: steps, y: points.map { max(abs($0.comparison.optimalityGap), 1e-6) }, label: "\(name) (\(solver))"))
                cycle.append(Curve(x: steps, y: points.map { max($0.comparison.cycleErrorMax ?? 0, 1e-9) }, label: "\(name) (\(solver))"))
            }
        }
        guard !gap.isEmpty else { return [] }
        let n = stem == "oracle" ? plan.oraclePoints : plan.translationPoints
        return try render(CurveFigure(gap, title: FigureTitle("\(stem) bridges: optimality gap c(T)/W2²(A,T#A) − 1", n: n, seed: plan.seed),
                                      xLabel: "ODE steps", yLabel: "optimality gap", logX: true, logY: true),
                          "\(stem)_optimality_vs_steps")
            + render(CurveFigure(cycle, title: FigureTitle("\(stem) bridges: max cycle error ‖x − T_BA(T_AB(x))‖", n: n, seed: plan.seed),
                                 xLabel: "ODE steps", yLabel: "max cycle error", logX: true, logY: true),
                     "\(stem)_cycle_vs_steps")
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
