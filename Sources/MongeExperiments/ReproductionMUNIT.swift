import Foundation
import MongeData
import MongeNN

/// The MUNIT cell of `monge reproduce ddib-2d` (`plan.munit`): per trained pair, MUNIT's map
/// T(x) = dec_B(content_A(x), s) measured by `BridgeComparison` on the very samples of the pair's
/// DDIB rows — once with one prior style per point (solver `munit`), once with s = 0 (`munit-s0`);
/// `steps` is MUNIT's training steps. One MUNIT per unordered pair and seed (it translates both
/// ways), trained in `models/munit/<A>__<B>` (A, B in name order) under a `FolderClaim`.
extension Reproduction {
    /// The solver names of the MUNIT rows, by unit cell: a sampled style, and s = 0.
    public static let munitSolvers = ["munit", "munit-s0"]

    /// The MUNIT units: the sampled-style rows of every trained pair, then the s = 0 rows (none
    /// when off) — solver-major, so that shards taking every other unit train different MUNITs at
    /// once rather than one waiting for the other's.
    var munitUnits: [Unit] {
        guard plan.munit != nil else { return [] }
        return Self.munitSolvers.indices.flatMap { c in plan.pairs.indices.map { Unit(kind: .munit, pair: $0, cell: c) } }
    }

    /// The folder of the MUNIT of a pair (relative to the run folder) and whether the pair's
    /// source is the model's domain A.
    public static func munitModel(_ pair: [String]) -> (folder: String, sourceIsA: Bool) {
        let (first, second) = pair[0] <= pair[1] ? (pair[0], pair[1]) : (pair[1], pair[0])
        return ("models/munit/\(first)__\(second)", pair[0] == first)
    }

    /// The samples of trained pair `index` that its DDIB rows and its MUNIT rows are measured on
    /// (a source sample, a target sample and the floor's second one), and the seed of the MUNIT
    /// row's prior styles (`MUNITEvaluation.styles`).
    public func munitSamples(pair index: Int) throws -> (source: Matrix<Double>, target: Matrix<Double>, secondTarget: Matrix<Double>, styleSeed: UInt64) {
        let (a, b) = (plan.pairs[index][0], plan.pairs[index][1])
        let seed = pairSeed(a, b)
        let source = try domain(a).sample(plan.translationPoints, seed: seed)
        let (target, second) = try domain(b).samplePair(plan.translationPoints, seed: seed + 1)
        return (source, target, second, seed &+ 3)
    }

    /// The shells of a concentric target set (MUNIT's multimodality questions), else nil.
    func shells(_ name: String) -> ConcentricShells? {
        guard plan.files[name] == nil, let dataset = try? plan.dataset(name) else { return nil }
        switch dataset {
        case let squares as ConcentricSquares: return ConcentricShells(squares: squares)
        case let rings as ConcentricRings: return ConcentricShells(rings: rings)
        default: return nil
        }
    }

    /// Runs one MUNIT unit: its row of `results`, and its arrays (and, for the sampled style,
    /// MUNIT's own measurements in `metrics.json`) under `output`/pairs/<src>__<dst>/<solver>-<steps>.
    func runMUNIT(_ unit: Unit, into output: String, position: (Int, Int)) throws -> UnitOutput {
        guard let cell = plan.munit else {
            throw MongeError.invalidArgument(name: "munit", message: "a MUNIT unit in a plan without the MUNIT cell")
        }
        let pair = plan.pairs[unit.pair]
        let (model, generator, sourceIsA) = try munit(pair)
        let (source, target, second, styleSeed) = try munitSamples(pair: unit.pair)
        let solver = Self.munitSolvers[unit.cell]
        let started = Date()
        let comparison: BridgeComparison, mapped: Matrix<Double>, cycled: Matrix<Double>
        var files: [String] = []
        let cellFolder = "pairs/\(pair[0])__\(pair[1])/\(solver)-\(cell.training.steps)"
        if unit.cell == 0 {
            let styles = MUNITEvaluation.styles(n: source.rows, dimension: model.config.style, seed: styleSeed)
            (comparison, mapped, cycled) = try MUNITEvaluation.compare(model: model, generator: generator, source: source,
                                                                       sourceDomain: sourceIsA ? .a : .b, styles: styles,
                                                                       target: target, secondTarget: second)
            let own = try MUNITEvaluation.measure(model: model, generator: generator, source: source, sourceDomain: sourceIsA ? .a : .b,
                                                  target: target, secondTarget: second, targetShells: shells(pair[1]), seed: styleSeed)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(encoder.encode(own) + Data("\n".utf8), to: output + "/" + cellFolder + "/metrics.json")
            files.append(cellFolder + "/metrics.json")
        } else {
            (comparison, mapped, cycled) = try MUNITEvaluation.compare(model: model, generator: generator, source: source,
                                                                       sourceDomain: sourceIsA ? .a : .b,
                                                                       styles: Matrix(rows: source.rows, columns: model.config.style),
                                                                       target: target, secondTarget: second)
        }
        let seconds = max(Date().timeIntervalSince(started) - comparison.otSeconds, 0)
        for (name, array) in [("source", source), ("mapped", mapped), ("cycled", cycled)] {
            try ArrayFile.write(array, to: output + "/" + cellFolder + "/\(name).npy")
            files.append(cellFolder + "/\(name).npy")
        }
        log(String(format: "[munit %d/%d] %@ → %@ %@ (%d training steps): gap %.4f, optimality %.4f, realism %.4f (floor %.4f), cycle max %.3g",
                   position.0, position.1, pair[0], pair[1], solver, cell.training.steps, comparison.transportGap, comparison.optimalityGap,
                   comparison.realismW2, comparison.samplingFloorW2 ?? .nan, comparison.cycleErrorMax ?? .nan))
        let row = BridgeEvaluation.row(comparison, kind: "trained", pair: pair.joined(separator: " → "), solver: solver,
                                       steps: cell.training.steps, seed: pairSeed(pair[0], pair[1]), bridgeSeconds: seconds)
        return UnitOutput(unit: unit, name: name(of: unit), row: row, files: files)
    }

    /// The MUNIT of `pair`: loaded from its folder when a finished checkpoint of the same
    /// configuration is there, else trained — once per run folder, under a claim so that shards
    /// sharing the folder never train it twice at once.
    func munit(_ pair: [String]) throws -> (model: MUNIT<Float>, generator: [Float], sourceIsA: Bool) {
        let cell = plan.munit!
        let (relative, sourceIsA) = Self.munitModel(pair)
        let modelFolder = folder + "/" + relative
        let (first, second) = sourceIsA ? (pair[0], pair[1]) : (pair[1], pair[0])
        let trained = try munitModels.value(relative) {
            try FolderClaim.holding(modelFolder, waiting: { holder in log("  waiting for \(holder) to finish training \(modelFolder)") }) {
                let seed = pairSeed(first, second)
                let a: Matrix<Float> = try domain(first).training(cell.trainingPoints, seed: seed &+ 7).converted()
                let b: Matrix<Float> = try domain(second).training(cell.trainingPoints, seed: seed &+ 8).converted()
                var training = cell.training
                training.seed = seed
                func describe(_ name: String, _ data: Matrix<Float>, _ dataSeed: UInt64) -> TrainingCheckpoint.DataDescription {
                    let source = plan.files[name].map { "\($0.path) (FNV-1a \($0.contentHash)): \(data.rows) training rows, held out with seed \(plan.seed)" }
                        ?? "data:\(name) n=\(cell.trainingPoints) seed=\(dataSeed)"
                    return .init(source: source, data: data)
                }
                let config = MUNITCheckpoint.Config(model: cell.model, training: training, domainA: describe(first, a, seed &+ 7),
                                                    domainB: describe(second, b, seed &+ 8))
                if let saved = try? MUNITCheckpoint.read(from: modelFolder), saved.config == config {
                    log("  reusing the finished MUNIT in \(modelFolder)")
                    return MUNITCache.Entry(model: saved.model, generator: saved.generator)
                }
                log("[munit train] \(first) ↔ \(second): \(training.steps) steps, batch \(training.batchSize), \(a.rows) + \(b.rows) points")
                let progress = TrainingProgress(totalSteps: training.steps, quiet: !showTrainingProgress, label: "munit")
                let run: MUNITRun<Float> = try MUNITTraining.train(a: a, b: b, model: cell.model, training: training, progress: progress)
                try MUNITCheckpoint.write(run, config: config, to: modelFolder)
                // The saved weights, read back: reused and fresh runs translate with the same bits.
                let saved = try MUNITCheckpoint.read(from: modelFolder)
                return MUNITCache.Entry(model: saved.model, generator: saved.generator)
            }
        }
        return (trained.model, trained.generator, sourceIsA)
    }

    /// The MUNITs loaded or trained so far in this process, by folder.
    final class MUNITCache: @unchecked Sendable {
        struct Entry {
            let model: MUNIT<Float>
            let generator: [Float]
        }

        private var entries: [String: Entry] = [:]
        private let lock = NSLock()

        func value(_ key: String, orMake make: () throws -> Entry) rethrows -> Entry {
            lock.lock()
            defer { lock.unlock() }
            if let entry = entries[key] { return entry }
            let entry = try make()
            entries[key] = entry
            return entry
        }
    }
}
