import Foundation
import MongeBridges
import MongeData
import MongeEvaluation
import MongeNN

/// The MUNIT rows of `monge reproduce ddib-images` (`ImageMethod.munit`, issue 13 item 3): one
/// image MUNIT per unordered class pair and seed (it translates both ways), trained on the two
/// classes' train split at the plan's image size in `models/munit/<a>__<b>/seed_<s>` (a < b: its
/// domain A) under a `FolderClaim`, or reused when a finished checkpoint of the same configuration
/// is there. Its map T(x) = dec_B(content_A(x), s) takes one prior style s ~ N(0, I) per image
/// (`StreamTag.imageMUNITStyles`); the cycle decodes T(x) back with x's own style code,
/// x_aba = dec_A(content_B(T(x)), style_A(x)), as MUNIT's cycle loss does. The rows are measured
/// by `ImageMapMetrics` like every other method; MUNIT's own diversity (mean pairwise L2 between
/// translations of one input under several prior styles) goes to `maps/<a>__<b>/munit/seed_<s>/metrics.json`.
extension ImageReproduction {
    /// Inputs and prior styles per input of the diversity measurement.
    static let munitDiversityInputs = 100, munitDiversityStyles = 8

    /// A trained (or reused) image MUNIT of one pair and seed, and which domain a class is.
    struct TrainedImageMUNIT {
        let model: ImageMUNIT<Float>
        let generator: [Float]
        /// The class of domain A (the smaller id).
        let classA: Int

        func domain(of c: Int) -> MUNITDomain { c == classA ? .a : .b }
    }

    /// The folder of the MUNIT of `direction`'s pair and `seed`, relative to the run folder.
    static func munitFolder(_ direction: ImageDirection, seed: UInt64) -> String {
        "models/munit/\(min(direction.source, direction.target))__\(max(direction.source, direction.target))/seed_\(seed)"
    }

    /// The MUNIT of `direction`'s pair and `seed`: loaded once per process; in the run folder
    /// reused when its finished checkpoint (config.json is written last) has the same
    /// configuration, else trained — under a claim, so shards sharing the folder train it once.
    func munit(_ direction: ImageDirection, seed: UInt64) throws -> TrainedImageMUNIT {
        guard let cell = plan.munit else {
            throw MongeError.invalidArgument(name: "munit", message: "a MUNIT unit in a plan without MUNIT's settings")
        }
        let relative = Self.munitFolder(direction, seed: seed)
        let (a, b) = (min(direction.source, direction.target), max(direction.source, direction.target))
        return try cache.value(relative) { () throws -> TrainedImageMUNIT in
            let modelFolder = folder + "/" + relative
            return try FolderClaim.holding(modelFolder, waiting: { holder in log("  waiting for \(holder) to finish training \(modelFolder)") }) {
                let train = try data().train
                let imagesA = try images(train, classes: [a], count: plan.trainingImages, seed: seed)
                let imagesB = try images(train, classes: [b], count: plan.trainingImages, seed: seed)
                var training = cell.training
                training.seed = seed
                func describe(_ c: Int, _ x: Matrix<Float>) -> TrainingCheckpoint.DataDescription {
                    .init(source: "data:fashion:\(c):split=train seed \(seed), \(x.rows) images, \(resizing)", data: x)
                }
                let config = ImageMUNITCheckpoint.Config(model: cell.model, training: training, domainA: describe(a, imagesA),
                                                         domainB: describe(b, imagesB))
                if let saved = try? ImageMUNITCheckpoint.read(from: modelFolder), saved.config == config {
                    log("  reusing the finished image MUNIT in \(modelFolder)")
                    return TrainedImageMUNIT(model: saved.model, generator: saved.generator, classA: a)
                }
                log("[munit train] \(FashionMNIST.classNames[a]) ↔ \(FashionMNIST.classNames[b]) (seed \(seed)): \(training.steps) steps, "
                    + "batch \(training.batchSize), \(imagesA.rows) + \(imagesB.rows) train images \(plan.imageShape)")
                let progress = TrainingProgress(totalSteps: training.steps, quiet: !showTrainingProgress, label: "munit \(a)-\(b)")
                let run = try ImageMUNITTraining.train(a: imagesA, b: imagesB, model: cell.model, training: training, progress: progress)
                try ImageMUNITCheckpoint.write(run, config: config, to: modelFolder)
                // The saved weights, read back: reused and fresh runs translate with the same bits.
                let saved = try ImageMUNITCheckpoint.read(from: modelFolder)
                return TrainedImageMUNIT(model: saved.model, generator: saved.generator, classA: a)
            }
        }
    }

    /// The prior styles of `direction` and `seed`: row i is x_i's style; `purpose` 1 the map,
    /// 2 the diversity measurement.
    static func munitStyles(_ direction: ImageDirection, seed: UInt64, purpose: UInt64, rows: Int, dimension: Int) -> Matrix<Float> {
        RandomStream(seed: seed, stream: StreamTag.imageMUNITStyles).substream(UInt64(direction.source), UInt64(direction.target), purpose)
            .normalMatrix(rows: rows, columns: dimension, firstRow: 0)
    }

    /// T(x) with one prior style per image, and x_aba = T_BA(T(x)) with x's own style code.
    func munitTranslate(_ x: Matrix<Float>, direction: ImageDirection, seed: UInt64, munit: TrainedImageMUNIT) -> (Matrix<Float>, Matrix<Float>) {
        let (model, generator) = (munit.model, munit.generator)
        let from = munit.domain(of: direction.source)
        let styles = Self.munitStyles(direction, seed: seed, purpose: 1, rows: x.rows, dimension: model.config.style)
        let mapped = model.translate(from: from, x, style: styles, generator: generator)
        let own = model.style(from, x, generator: generator)
        return (mapped, model.translate(from: from.other, mapped, style: own, generator: generator))
    }

    /// MUNIT's multimodality on `direction`: the mean pairwise L2 between the translations of each
    /// of the first inputs under `munitDiversityStyles` prior styles, beside the mean pairwise L2
    /// between distinct target test images (the spread of the target class itself).
    struct MUNITDiversity: Codable, Equatable, Sendable {
        var direction: String
        var seed: UInt64
        var trainingSteps: Int
        var inputs: Int
        var styles: Int
        var diversity: Double
        var targetPairwiseL2: Double
    }

    /// The mean pairwise L2 within consecutive groups of `k` rows.
    static func meanPairwiseL2(_ images: Matrix<Double>, groupSize k: Int) throws -> Double {
        var sum = 0.0, count = 0
        for g in 0..<(images.rows / k) {
            for u in 0..<k { for v in (u + 1)..<k {
                sum += try ImageDistances.l2(images.rows((g * k + u)..<(g * k + u + 1)), images.rows((g * k + v)..<(g * k + v + 1)))[0]
                count += 1
            } }
        }
        return count > 0 ? sum / Double(count) : .nan
    }

    /// Measures the diversity of `direction` and writes it (relative path returned) under `output`.
    func munitDiversity(_ context: PairContext, seed: UInt64, munit: TrainedImageMUNIT, into output: String) throws -> String {
        let (k, m) = (Self.munitDiversityStyles, min(Self.munitDiversityInputs, context.x.rows))
        let d = context.x.columns, x = context.x
        var repeated = [Float](repeating: 0, count: m * k * d)
        for i in 0..<m { for j in 0..<k { for c in 0..<d { repeated[(i * k + j) * d + c] = x.storage[i * d + c] } } }
        let inputs = try Matrix(rows: m * k, columns: d, storage: repeated)
        let styles = Self.munitStyles(context.direction, seed: seed, purpose: 2, rows: m * k, dimension: munit.model.config.style)
        let many = munit.model.translate(from: munit.domain(of: context.direction.source), inputs, style: styles, generator: munit.generator)
        try many.checkFinite("MUNIT's translations")
        let targets = context.targets.rows(0..<min(m + 1, context.targets.rows))
        let result = MUNITDiversity(direction: context.direction.description, seed: seed, trainingSteps: plan.munit?.training.steps ?? 0,
                                    inputs: m, styles: k, diversity: try Self.meanPairwiseL2(many.converted(), groupSize: k),
                                    targetPairwiseL2: try Self.meanPairwiseL2(targets, groupSize: targets.rows))
        log(String(format: "  MUNIT %@ seed %llu: diversity %.3f over %d styles × %d inputs (target images' pairwise L2 %.3f)",
                   context.direction.description, seed, result.diversity, k, m, result.targetPairwiseL2))
        let file = "maps/\(context.direction.stem)/munit/seed_\(seed)/metrics.json"
        try AtomicFile.write(Data(try Self.json(result).utf8), to: output + "/" + file)
        return file
    }
}
