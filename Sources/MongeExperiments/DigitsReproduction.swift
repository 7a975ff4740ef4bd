import Foundation
import MongeData
import MongeNN
import MongePlot

/// What `monge reproduce ddib-digits` runs: DDIB between classes of the 8×8 handwritten digits,
/// each image a point of R⁶⁴, with the same models, samplers, bridge and exact-OT measurements as
/// the 2-D experiment. Written to `plan.json` beside the results.
public struct DigitsPlan: Codable, Equatable, Sendable {
    public var seed: UInt64
    /// Translation pairs [source digit, target digit]; each digit that appears gets one model.
    public var pairs: [[Int]]
    /// Images per class kept out of training: the translated sources and the target sample that
    /// exact OT and realism are measured against.
    public var heldOut: Int
    public var model: ModelConfig
    public var schedule: NoiseSchedule
    public var training: TrainingConfig
    /// (solver, steps) cells run for every pair.
    public var cells: [ReproductionPlan.Cell]
    /// Images per row of the figures.
    public var figureColumns: Int

    /// The digits that get a model, in order of first appearance.
    public var classes: [Int] {
        var seen: [Int] = []
        for d in pairs.flatMap({ $0 }) where !seen.contains(d) { seen.append(d) }
        return seen
    }

    /// Minutes on two cores: DDIB's residual ε-network (width 256, 4 blocks, group norm) per class,
    /// T = 1000, 2500 Adam steps of batch 256; 3 ↔ 8, DDIM at 20 and 100 steps and Heun at 50.
    /// (The 3 × 256 ε-MLP trains 5× faster per step here but its probability-flow ODE diverges
    /// on these images — pixel values of ±40 — where the residual network's stays near [−1, 1].)
    public static func standard(seed: UInt64 = 0) throws -> DigitsPlan {
        var training = TrainingConfig(steps: 2500, batchSize: 256, seed: seed)
        training.optimizer.learningRate = 1e-3
        training.optimizer.warmupSteps = 100
        training.ema = EMAConfig(decay: 0.999, warmup: true)
        training.logEvery = 50
        training.checkpointEvery = 0
        return DigitsPlan(seed: seed, pairs: [[3, 8], [8, 3]], heldOut: 60,
                          model: .ddib2D(dimension: DigitImages.pixelCount, width: 256, depth: 4),
                          schedule: try .linear(count: 1000), training: training,
                          cells: [.init("ddim", 20), .init("ddim", 100), .init("heun", 50)], figureColumns: 12)
    }

    public func validate() throws {
        guard !pairs.isEmpty else { throw MongeError.invalidArgument(name: "pairs", message: "no pairs to translate") }
        for pair in pairs {
            guard pair.count == 2, pair.allSatisfy({ (0...9).contains($0) }), pair[0] != pair[1] else {
                throw MongeError.invalidArgument(name: "pairs", message: "\(pair) is not two different digits 0–9")
            }
        }
        guard heldOut >= 2 else { throw MongeError.invalidArgument(name: "held-out", message: "need at least 2 held-out images per class, got \(heldOut)") }
        guard model.dimension == DigitImages.pixelCount else {
            throw MongeError.invalidArgument(name: "model.dimension", message: "must be \(DigitImages.pixelCount) (8 × 8 pixels), got \(model.dimension)")
        }
        guard !cells.isEmpty else { throw MongeError.invalidArgument(name: "cells", message: "no (solver, steps) cells") }
        for cell in cells {
            _ = try cell.method
            guard cell.steps >= 1, cell.steps <= schedule.count else {
                throw MongeError.invalidArgument(name: "steps", message: "\(cell.steps) steps outside 1…T = \(schedule.count)")
            }
        }
        guard figureColumns >= 1 else { throw MongeError.invalidArgument(name: "figureColumns", message: "must be ≥ 1") }
        try model.validate()
        try training.validate()
    }
}

/// `monge reproduce ddib-digits`: one ε-model per digit class trained on that class's images minus
/// `heldOut` of them; the held-out images of A are translated to B by DDIB and measured with
/// `BridgeComparison` against exact OT onto the held-out images of B (realism floor: W2 between
/// B's held-out images and as many of B's training images). A `GridExperiment`: the class models,
/// then per pair the Gaussian-fit and the trained cells, run whole or in shards by `ExperimentGrid`.
///
/// Layout of `folder`: plan.json, manifest.json, models/digit-<d>/, pairs/<a>__<b>/<solver>-<steps>/
/// (source, latent, mapped, cycled, exact_ot_image .npy), results.{csv,md,json}, figures/
/// (translations_<a>__<b>.png: source → DDIB → exact OT → cycled → Gaussian-fit DDIB; samples_<d>.png; data_<d>.png).
public struct DigitsReproduction: GridExperiment {
    public static let experimentName = "ddib-digits"
    public static func seed(of plan: DigitsPlan) -> UInt64 { plan.seed }

    public let plan: DigitsPlan
    public let folder: String
    public let images: DigitImages
    public let log: @Sendable (String) -> Void
    public var showTrainingProgress = true
    /// The models this process trained or loaded.
    private let cache = UnitCache()

    public init(plan: DigitsPlan, folder: String, images: DigitImages, log: @escaping @Sendable (String) -> Void) throws {
        try plan.validate()
        for d in plan.classes {
            let count = images.indices(ofClasses: [d]).count
            guard count >= 2 * plan.heldOut else {
                throw MongeError.invalidArgument(name: "held-out", message: "digit \(d) has \(count) images; \(plan.heldOut) held out need at least \(2 * plan.heldOut)")
            }
        }
        self.plan = plan
        self.folder = folder
        self.images = images
        self.log = log
    }

    /// With the digits of `DigitImages.load()` (data/generated, written by `make setup`).
    public init(plan: DigitsPlan, folder: String, log: @escaping @Sendable (String) -> Void) throws {
        try self.init(plan: plan, folder: folder, images: try DigitImages.load(), log: log)
    }

    public struct Summary: Sendable {
        public let results: ResultsTable
        public let files: [String]
    }

    /// The training and held-out images of digit `d` (a fixed seeded split).
    public func split(_ d: Int) throws -> (training: Matrix<Float>, heldOut: Matrix<Float>) {
        try images.split(classes: [d], heldOut: plan.heldOut, seed: plan.seed)
    }

    /// One unit: a digit's model (trained or reused; its data and samples figures), or one cell of
    /// a pair with the trained models or with the Gaussian fits.
    public enum Unit: Hashable, Codable, Sendable {
        case model(digit: Int)
        case bridge(pair: Int, kind: Kind, cell: Int)

        public enum Kind: String, Codable, Sendable {
            case gaussianFit = "gaussian-fit"
            case trained
        }
    }

    /// The models, then per pair the Gaussian-fit cells and the trained cells (the table's row order).
    public var units: [Unit] {
        plan.classes.map { Unit.model(digit: $0) }
            + plan.pairs.indices.flatMap { p in
                [Unit.Kind.gaussianFit, .trained].flatMap { kind in plan.cells.indices.map { Unit.bridge(pair: p, kind: kind, cell: $0) } }
            }
    }

    public func name(of unit: Unit) -> String {
        switch unit {
        case .model(let d): return "model of digit \(d)"
        case .bridge(let p, let kind, let c):
            return "seed \(plan.seed) \(kind.rawValue) \(plan.pairs[p][0]) → \(plan.pairs[p][1]) \(plan.cells[c].solver):\(plan.cells[c].steps)"
        }
    }

    public func run(_ unit: Unit, into output: String, position: (Int, Int)) throws -> GridUnitOutput<Unit> {
        switch unit {
        case .model(let d):
            let data = try split(d)
            let model = try self.model(d)
            var files = try render(ImageGridFigure(images: data.heldOut.rows(0..<min(24, data.heldOut.rows)).converted(), columns: plan.figureColumns,
                                                   title: FigureTitle("held-out images of digit \(d)")), "data_\(d)", in: output)
            let samples = try Sampler.sample(model, count: 2 * plan.figureColumns, timesteps: Timesteps.respaced(count: plan.schedule.count, steps: 100, spacing: .linspace),
                                             method: .ddim(eta: 0), noise: RandomStream(seed: plan.seed, stream: StreamTag.digitsSampling).substream(UInt64(d)))
            files += try render(ImageGridFigure(images: samples.x.converted(), columns: plan.figureColumns,
                                                title: FigureTitle("samples of the digit-\(d) model (DDIM)", seed: plan.seed, steps: 100)), "samples_\(d)", in: output)
            return GridUnitOutput(unit: unit, name: name(of: unit), files: files)
        case .bridge(let p, let kind, let c):
            let (a, b) = (plan.pairs[p][0], plan.pairs[p][1])
            let cell = plan.cells[c]
            let source: Matrix<Double> = try split(a).heldOut.converted()
            let targetSplit = try split(b)
            let target: Matrix<Double> = targetSplit.heldOut.converted()
            let secondTarget: Matrix<Double> = targetSplit.training.rows(0..<plan.heldOut).converted()
            let evaluation = BridgeEvaluation(pair: "\(a) → \(b)", kind: kind.rawValue, steps: cell.steps, method: try cell.method, seed: plan.seed)
            // The same bridge with exact ε of Gaussians fitted to each class's training images: what
            // DDIB does when the models generalise (smoothly) instead of memorising ~120 images.
            func gaussianBridge(_ cell: ReproductionPlan.Cell) throws -> DDIBBridge<GaussianOracle<Double>, GaussianOracle<Double>> {
                try DDIBBridge(source: try gaussianFit(split(a).training), target: try gaussianFit(targetSplit.training),
                               steps: cell.steps, method: try cell.method)
            }
            let outcome: BridgeEvaluation.Outcome
            switch kind {
            case .gaussianFit:
                outcome = try evaluation.run(gaussianBridge(cell), source: source, target: target, secondTarget: secondTarget)
            case .trained:
                let bridge = try DDIBBridge(source: try model(a), target: try model(b), steps: cell.steps, method: try cell.method)
                outcome = try evaluation.run(bridge, source: source, target: target, secondTarget: secondTarget)
            }
            let m = outcome.comparison
            log(String(format: "[%@ %d/%d] %d → %d %@ %d steps: cost %.2f vs W2² %.2f (gap %.3f), optimality %.3f, realism W2 %.2f (floor %.2f), cycle max %.3g",
                       kind == .trained ? "bridge" : "gaussian-fit", position.0, position.1, a, b, cell.solver, cell.steps, m.transportCost, m.exactW2Squared, m.transportGap,
                       m.optimalityGap, m.realismW2, m.samplingFloorW2 ?? .nan, m.cycleErrorMax ?? .nan))
            var files: [String] = []
            if kind == .trained {
                let cellFolder = "pairs/\(a)__\(b)/\(cell.solver)-\(cell.steps)"
                try evaluation.writeArrays(outcome, to: output + "/" + cellFolder)
                files += ["source", "latent", "mapped", "cycled", "exact_ot_image"].map { "\(cellFolder)/\($0).npy" }
                if c == plan.cells.count - 1 {
                    let gaussianMapped: Matrix<Double> = try gaussianBridge(cell).translate(source).mapped
                    let figure = try ImageGridFigure.rows(
                        [("source", source), ("DDIB (trained)", outcome.translation.mapped), ("exact OT", outcome.exactImage), ("cycled", outcome.cycled),
                         ("DDIB (Gauss. fit)", gaussianMapped)],
                        count: plan.figureColumns,
                        title: FigureTitle(String(format: "%d → %d: DDIB (%@) vs exact OT; optimality %.3f", a, b, cell.solver, m.optimalityGap),
                                           n: m.n, seed: plan.seed, steps: cell.steps))
                    files += try render(figure, "translations_\(a)__\(b)", in: output)
                }
            }
            return GridUnitOutput(unit: unit, name: name(of: unit), row: evaluation.row(outcome), files: files)
        }
    }

    /// plan.json and the results table, from the units' rows.
    public func assemble(_ outputs: [GridUnitOutput<Unit>]) throws -> Summary {
        let byUnit = try indexed(outputs)
        try AtomicFile.write(try Reproduction.json(plan), to: folder + "/plan.json")
        var files = [folder + "/plan.json"]
        var results = ResultsTable(columns: BridgeEvaluation.columns)
        for unit in units {
            let output = byUnit[unit]!
            files += output.files.map { folder + "/" + $0 }
            if case .bridge = unit { try results.append(output.row) }
        }
        files += try results.write(stem: folder + "/results")
        return Summary(results: results, files: files)
    }

    /// The exact-ε oracle of N(mean, covariance + 0.01 I) fitted to `images` (the 0.01 keeps
    /// always-blank pixels from making the covariance singular).
    func gaussianFit(_ images: Matrix<Float>) throws -> GaussianOracle<Double> {
        let x: Matrix<Double> = images.converted()
        let (n, d) = (x.rows, x.columns)
        let mean = x.columnMeans()
        let centred = x.addingRowVector(mean.map { -$0 })
        let scatter = centred.matmul(centred, transposeSelf: true)
        let covariance = (0..<d * d).map { k in scatter.storage[k] / Double(n - 1) + (k / d == k % d ? 0.01 : 0) }
        return try GaussianOracle(mean: mean, covariance: covariance, schedule: plan.schedule)
    }

    /// Digit `d`'s model: trained once per run folder, under a claim so that shards sharing the
    /// folder never train it twice at once.
    func model(_ d: Int) throws -> NetworkDenoiser {
        try cache.value("digit-\(d)") {
            let modelFolder = "\(folder)/models/digit-\(d)"
            return try FolderClaim.holding(modelFolder, waiting: { holder in log("  waiting for \(holder) to finish training \(modelFolder)") }) {
                try train(d, data: try split(d).training, index: plan.classes.firstIndex(of: d) ?? 0)
            }
        }
    }

    /// Trains digit `d`'s model, or reuses a finished checkpoint of the same config.
    func train(_ d: Int, data: Matrix<Float>, index: Int) throws -> NetworkDenoiser {
        let modelFolder = "\(folder)/models/digit-\(d)"
        var training = plan.training
        training.seed = plan.seed &+ UInt64(index)
        let config = TrainingCheckpoint.Config(model: plan.model, schedule: plan.schedule, training: training,
                                               data: .init(source: "data:digits:\(d) minus \(plan.heldOut) held out (seed \(plan.seed))", data: data))
        log("[train \(index + 1)/\(plan.classes.count)] digit \(d): \(data.rows) images, \(plan.training.steps) steps, batch \(plan.training.batchSize), \(plan.model.architecture.rawValue) width \(plan.model.width) depth \(plan.model.depth)")
        let model = try TrainingRun.trainedModel(folder: modelFolder, data: data, config: config,
                                                 progress: TrainingProgress(totalSteps: training.steps, quiet: !showTrainingProgress, label: "digit \(d)"), log: log)
        if model.reused { log("  reusing the finished checkpoint in \(modelFolder)") }
        return model.denoiser
    }

    /// Renders `figure` to `output/figures/<name>.png`; returns its files relative to `output`.
    func render(_ figure: some Figure, _ name: String, in output: String) throws -> [String] {
        try renderUnitFigure(figure, "figures/\(name).png", in: output)
    }
}
