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
/// B's held-out images and as many of B's training images).
///
/// Layout of `folder`: plan.json, manifest.json, models/digit-<d>/, pairs/<a>__<b>/<solver>-<steps>/
/// (source, latent, mapped, cycled, exact_ot_image .npy), results.{csv,md,json}, figures/
/// (translations_<a>__<b>.png: source → DDIB → exact OT → cycled → Gaussian-fit DDIB; samples_<d>.png; data_<d>.png).
public struct DigitsReproduction {
    public let plan: DigitsPlan
    public let folder: String
    public let images: DigitImages
    public let log: @Sendable (String) -> Void
    public var showTrainingProgress = true

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

    public struct Summary: Sendable {
        public let results: ResultsTable
        public let files: [String]
    }

    /// The training and held-out images of digit `d` (a fixed seeded split).
    public func split(_ d: Int) throws -> (training: Matrix<Float>, heldOut: Matrix<Float>) {
        try images.split(classes: [d], heldOut: plan.heldOut, seed: plan.seed)
    }

    public func run() throws -> Summary {
        var files: [String] = []
        try AtomicFile.write(try Reproduction.json(plan), to: folder + "/plan.json")
        files.append(folder + "/plan.json")

        var models: [Int: NetworkDenoiser] = [:]
        for (k, d) in plan.classes.enumerated() {
            let data = try split(d)
            log("[train \(k + 1)/\(plan.classes.count)] digit \(d): \(data.training.rows) images, \(plan.training.steps) steps, batch \(plan.training.batchSize), \(plan.model.architecture.rawValue) width \(plan.model.width) depth \(plan.model.depth)")
            models[d] = try train(d, data: data.training, index: k)
            files += try render(ImageGridFigure(images: data.heldOut.rows(0..<min(24, data.heldOut.rows)).converted(), columns: plan.figureColumns,
                                                title: FigureTitle("held-out images of digit \(d)")), "data_\(d)")
            let samples = try Sampler.sample(models[d]!, count: 2 * plan.figureColumns, timesteps: Timesteps.respaced(count: plan.schedule.count, steps: 100, spacing: .linspace),
                                             method: .ddim(eta: 0), noise: RandomStream(seed: plan.seed, stream: StreamTag.digitsSampling).substream(UInt64(d)))
            files += try render(ImageGridFigure(images: samples.x.converted(), columns: plan.figureColumns,
                                                title: FigureTitle("samples of the digit-\(d) model (DDIM)", seed: plan.seed, steps: 100)), "samples_\(d)")
        }

        var results = ResultsTable(columns: BridgeEvaluation.columns)
        let total = 2 * plan.pairs.count * plan.cells.count
        var done = 0
        for pair in plan.pairs {
            let (a, b) = (pair[0], pair[1])
            let source: Matrix<Double> = try split(a).heldOut.converted()
            let targetSplit = try split(b)
            let target: Matrix<Double> = targetSplit.heldOut.converted()
            let secondTarget: Matrix<Double> = targetSplit.training.rows(0..<plan.heldOut).converted()
            // The same bridge with exact ε of Gaussians fitted to each class's training images: what
            // DDIB does when the models generalise (smoothly) instead of memorising ~120 images.
            let gaussianA = try gaussianFit(split(a).training), gaussianB = try gaussianFit(targetSplit.training)
            var gaussianMapped: Matrix<Double>?
            for (c, cell) in plan.cells.enumerated() {
                done += 1
                let evaluation = BridgeEvaluation(pair: "\(a) → \(b)", kind: "gaussian-fit", steps: cell.steps, method: try cell.method, seed: plan.seed)
                let bridge = try DDIBBridge(source: gaussianA, target: gaussianB, steps: cell.steps, method: try cell.method)
                let outcome = try evaluation.run(bridge, source: source, target: target, secondTarget: secondTarget)
                try results.append(evaluation.row(outcome))
                let m = outcome.comparison
                log(String(format: "[gaussian-fit %d/%d] %d → %d %@ %d steps: cost %.2f vs W2² %.2f (gap %.3f), optimality %.3f, realism W2 %.2f (floor %.2f), cycle max %.3g",
                           done, total, a, b, cell.solver, cell.steps, m.transportCost, m.exactW2Squared, m.transportGap,
                           m.optimalityGap, m.realismW2, m.samplingFloorW2 ?? .nan, m.cycleErrorMax ?? .nan))
                if c == plan.cells.count - 1 { gaussianMapped = outcome.translation.mapped }
            }
            for (c, cell) in plan.cells.enumerated() {
                done += 1
                let evaluation = BridgeEvaluation(pair: "\(a) → \(b)", kind: "trained", steps: cell.steps, method: try cell.method, seed: plan.seed)
                let bridge = try DDIBBridge(source: models[a]!, target: models[b]!, steps: cell.steps, method: try cell.method)
                let outcome = try evaluation.run(bridge, source: source, target: target, secondTarget: secondTarget)
                try results.append(evaluation.row(outcome))
                let m = outcome.comparison
                log(String(format: "[bridge %d/%d] %d → %d %@ %d steps: cost %.2f vs W2² %.2f (gap %.3f), optimality %.3f, realism W2 %.2f (floor %.2f), cycle max %.3g",
                           done, total, a, b, cell.solver, cell.steps, m.transportCost, m.exactW2Squared, m.transportGap,
                           m.optimalityGap, m.realismW2, m.samplingFloorW2 ?? .nan, m.cycleErrorMax ?? .nan))
                try evaluation.writeArrays(outcome, to: "\(folder)/pairs/\(a)__\(b)/\(cell.solver)-\(cell.steps)")
                if c == plan.cells.count - 1 {
                    let figure = try ImageGridFigure.rows(
                        [("source", source), ("DDIB (trained)", outcome.translation.mapped), ("exact OT", outcome.exactImage), ("cycled", outcome.cycled),
                         ("DDIB (Gauss. fit)", gaussianMapped ?? outcome.translation.mapped)],
                        count: plan.figureColumns,
                        title: FigureTitle(String(format: "%d → %d: DDIB (%@) vs exact OT; optimality %.3f", a, b, cell.solver, m.optimalityGap),
                                           n: m.n, seed: plan.seed, steps: cell.steps))
                    files += try render(figure, "translations_\(a)__\(b)")
                }
            }
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

    /// Trains digit `d`'s model, or reuses a finished checkpoint of the same config.
    func train(_ d: Int, data: Matrix<Float>, index: Int) throws -> NetworkDenoiser {
        let modelFolder = "\(folder)/models/digit-\(d)"
        var training = plan.training
        training.seed = plan.seed &+ UInt64(index)
        let config = TrainingCheckpoint.Config(model: plan.model, schedule: plan.schedule, training: training,
                                               data: .init(source: "data:digits:\(d) minus \(plan.heldOut) held out (seed \(plan.seed))", data: data))
        let model = try TrainingRun.trainedModel(folder: modelFolder, data: data, config: config,
                                                 progress: TrainingProgress(totalSteps: training.steps, quiet: !showTrainingProgress, label: "digit \(d)"))
        if model.reused { log("  reusing the finished checkpoint in \(modelFolder)") }
        return model.denoiser
    }

    func render(_ figure: some Figure, _ name: String) throws -> [String] {
        [try figure.render(to: "\(folder)/figures/\(name).png").figure]
    }
}
