import Foundation
import MongeCore
import MongeData
import MongeExperiments
import MongeNN
import TestSupport
import Testing

/// Issue 13, item 3: the MUNIT rows of `monge reproduce ddib-images` on tiny images (Fashion-MNIST
/// 7 ↔ 9 pooled to 14 × 14, padded to 16, cropped to 8 × 8; 20 MUNIT steps; no U-Net is trained,
/// as no method of the plan uses one). Needs Debian's dataset-fashion-mnist (`make setup`).
@Suite("ddib-images: the MUNIT rows")
struct ImageReproductionMUNITTests {
    /// MUNIT and exact OT on 16 translated 8 × 8 test images per direction.
    static func tinyPlan(seeds: [UInt64] = [0]) throws -> ImagePlan {
        var plan = try ImagePlan.quick(seeds: seeds)
        plan.crop = 8
        let shape = plan.imageShape
        plan.model = .anchorUNet(width: 8, image: shape, multipliers: [1], depth: 1)
        plan.model.groups = 8
        plan.classifier.image = shape
        plan.domainClassifier.image = shape
        plan.classifierImages = 640
        plan.ssimSigma = 0.8
        plan.translated = 16
        plan.cycleImages = 12
        plan.transportImages = 24
        plan.trainingImages = 64
        plan.methods = [.munit, .exactOT]
        plan.munit = ImageMUNITCell(image: shape, steps: 20)
        return plan
    }

    /// The log lines of a run.
    final class Lines: @unchecked Sendable {
        private var lines: [String] = []
        private let lock = NSLock()
        func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
        var text: String { lock.lock(); defer { lock.unlock() }; return lines.joined(separator: "\n") }
    }

    @discardableResult
    static func run(_ plan: ImagePlan, in folder: String, log: Lines = Lines()) throws -> ExperimentGrid<ImageReproduction>.Summary {
        var grid = try ExperimentGrid<ImageReproduction>(plans: [plan], folder: folder, seeded: false) { log.append($0) }
        grid.showTrainingProgress = false
        return try grid.run()
    }

    /// results.csv without its timing column.
    static func withoutTiming(_ path: String) throws -> [[Substring]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false)
        let keep = header.indices.filter { header[$0] != "seconds" }
        return lines.map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            return keep.map { fields[$0] }
        }
    }

    static func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    static func number(_ table: ResultsTable, _ row: [ResultsTable.Cell], _ column: String) -> Double {
        switch row[table.columns.firstIndex(of: column)!] {
        case let .number(x): return x
        case let .integer(i): return Double(i)
        case .text: return .nan
        }
    }

    /// Every column of the MUNIT rows is finite; the saved map is the checkpoint's translation
    /// with the seeded prior styles, and the L2 and cycle columns are those of the saved arrays.
    @Test func rowsFilledAndEqualTheCheckpointsTranslation() throws {
        let plan = try Self.tinyPlan()
        let folder = TestSupport.temporaryFolder("image-munit-rows")
        let summary = try Self.run(plan, in: folder)
        let table = summary.runs[0].results
        #expect(table.rows.count == 4)
        #expect(!FileManager.default.fileExists(atPath: folder + "/models/class-7"), "no method uses the class U-Nets")
        let (config, model, generator, _) = try ImageMUNITCheckpoint.read(from: folder + "/models/munit/7__9/seed_0")
        #expect(config.training.steps == 20 && config.training.batchSize == 4 && config.training.seed == 0)
        #expect(config.model == ImageMUNITConfig(image: ImageShape(channels: 1, height: 8, width: 8)))
        let test = try FashionMNIST.load(split: .test)
        let reproduction = try ImageReproduction(plan: plan, folder: folder) { _ in }
        for direction in plan.directions {
            let rows = table.rows.filter { $0[table.columns.firstIndex(of: "pair")!] == .text(direction.description) }
            let munit = try #require(rows.first { $0[table.columns.firstIndex(of: "cell")!] == .text("munit") })
            let exact = try #require(rows.first { $0[table.columns.firstIndex(of: "cell")!] == .text("exact_ot") })
            for column in ImageMapMetrics.columns + ["seconds"] {
                #expect(Self.number(table, munit, column).isFinite, "\(direction) \(column)")
            }
            #expect(Self.number(table, munit, "exact_w2_squared") == Self.number(table, exact, "exact_w2_squared"))
            #expect(Self.number(table, munit, "cycle_error") > 0 && Self.number(table, munit, "optimality_gap") >= 0)
            // The map: dec_target(content_source(x), s) with row i of the seeded styles.
            let x = try reproduction.images(test, classes: [direction.source], count: plan.transportImages, seed: 0).rows(0..<plan.translated)
            let from: MUNITDomain = direction.source == 7 ? .a : .b
            let styles = RandomStream(seed: 0, stream: StreamTag.imageMUNITStyles).substream(UInt64(direction.source), UInt64(direction.target), 1)
                .normalMatrix(rows: x.rows, columns: model.config.style, firstRow: 0) as Matrix<Float>
            let expected = model.translate(from: from, x, style: styles, generator: generator)
            let mapped = try ArrayFile.readMatrix(folder + "/maps/\(direction.stem)/munit.npy", as: Float.self)
            #expect(mapped == expected)
            let cycled = try ArrayFile.readMatrix(folder + "/maps/\(direction.stem)/munit_cycled.npy", as: Float.self)
            // The cycle maps back the first `cycleImages` rows: those of the full cycle.
            let full = model.translate(from: from.other, expected, style: model.style(from, x, generator: generator), generator: generator)
            #expect(cycled.rows == 12 && cycled == full.rows(0..<12))
            // L2 and cycle error from the arrays, independently.
            func meanL2(_ u: Matrix<Float>, _ v: Matrix<Float>) -> Double {
                var total = 0.0
                for i in 0..<u.rows {
                    var s = 0.0
                    for j in 0..<u.columns { let d = Double(u[i, j]) - Double(v[i, j]); s += d * d }
                    total += s.squareRoot()
                }
                return total / Double(u.rows)
            }
            #expect(abs(Self.number(table, munit, "l2") - meanL2(x, mapped)) < 1e-9)
            #expect(abs(Self.number(table, munit, "cycle_error") - meanL2(x.rows(0..<12), cycled)) < 1e-9)
            #expect(try ArrayFile.readMatrix(folder + "/maps/\(direction.stem)/exact_ot_cycled.npy", as: Float.self) == x.rows(0..<12))
            // MUNIT's diversity beside the maps.
            let metrics = try #require(try JSONSerialization.jsonObject(with: Self.bytes(folder + "/maps/\(direction.stem)/munit/seed_0/metrics.json")) as? [String: Any])
            let diversity = try #require(metrics["diversity"] as? Double), spread = try #require(metrics["target_pairwise_l2"] as? Double)
            #expect(diversity.isFinite && diversity >= 0 && spread > 0, "\(metrics)")
            #expect(metrics["styles"] as? Int == 8 && metrics["inputs"] as? Int == 16)
        }
        #expect(FileManager.default.fileExists(atPath: folder + "/figures/translations_7__9.png"))
    }

    /// The same plan gives the same bytes; a second run in the folder reuses the MUNIT (its
    /// weights are not written again) and gives the same rows.
    @Test func sameSeedSameBytesAndReuse() throws {
        let plan = try Self.tinyPlan()
        let (a, b) = (TestSupport.temporaryFolder("image-munit-a"), TestSupport.temporaryFolder("image-munit-b"))
        try Self.run(plan, in: a)
        try Self.run(plan, in: b)
        let weights = "/models/munit/7__9/seed_0/model.safetensors"
        #expect(try Self.bytes(a + weights) == Self.bytes(b + weights))
        #expect(try Self.withoutTiming(a + "/results.csv") == Self.withoutTiming(b + "/results.csv"))
        for file in ["/maps/9__7/munit.npy", "/maps/7__9/munit_cycled.npy", "/maps/7__9/munit/seed_0/metrics.json"] {
            #expect(try Self.bytes(a + file) == Self.bytes(b + file), "\(file)")
        }
        let before = try FileManager.default.attributesOfItem(atPath: a + weights)[.modificationDate] as? Date
        let lines = Lines()
        try Self.run(plan, in: a, log: lines)
        #expect(lines.text.contains("reusing the finished image MUNIT in \(a)/models/munit/7__9/seed_0"), "\(lines.text)")
        #expect(!lines.text.contains("[munit train]"))
        #expect(try FileManager.default.attributesOfItem(atPath: a + weights)[.modificationDate] as? Date == before)
        #expect(try Self.withoutTiming(a + "/results.csv") == Self.withoutTiming(b + "/results.csv"))
    }

    /// Two shards merged give the one-process table (timing aside), maps and diversity files.
    @Test func twoShardsMergedEqualOneProcess() throws {
        let plans = [try Self.tinyPlan()]
        let folder = TestSupport.temporaryFolder("image-munit-shards")
        var whole = try ExperimentGrid<ImageReproduction>(plans: plans, folder: folder + "/whole", seeded: false) { _ in }
        whole.showTrainingProgress = false
        _ = try whole.run()
        var sharded = try ExperimentGrid<ImageReproduction>(plans: plans, folder: folder + "/sharded", seeded: false) { _ in }
        sharded.showTrainingProgress = false
        let shards = try (1...2).map { try sharded.runShard(ShardSpec(index: $0, count: 2), binary: "test") }
        _ = try ExperimentGrid<ImageReproduction>.merge(into: folder + "/sharded", shards: shards, log: { _ in })
        #expect(try Self.withoutTiming(folder + "/whole/results.csv") == Self.withoutTiming(folder + "/sharded/results.csv"))
        for file in ["maps/7__9/munit.npy", "maps/9__7/munit_cycled.npy", "maps/9__7/munit/seed_0/metrics.json",
                     "models/munit/7__9/seed_0/model.safetensors"] {
            #expect(try Self.bytes(folder + "/whole/" + file) == Self.bytes(folder + "/sharded/" + file), "\(file)")
        }
    }

    /// The method's name and label; the plan with MUNIT survives plan.json's snake_case round
    /// trip; a plan naming the method without MUNIT's settings, or with another image size, is refused.
    @Test func methodParsesAndPlanValidates() throws {
        #expect(ImageMethod(rawValue: "munit") == .munit && ImageMethod.munit.label == "MUNIT")
        #expect(ImageMethod.allCases.contains(.munit) && !ImageMethod.munit.usesClassModels && ImageMethod.egsde.usesClassModels)
        let quick = try ImagePlan.quick()
        #expect(quick.methods.contains(.munit) && quick.munit?.training.steps == 2000 && quick.munit?.training.batchSize == 4)
        #expect(try ImagePlan.full().munit?.training.steps == 10_000)
        #expect(try ImagePlan.full().munit?.model.image == ImageShape(channels: 1, height: 28, width: 28))
        let plan = try Self.tinyPlan()
        let snake = JSONEncoder()
        snake.keyEncodingStrategy = .convertToSnakeCase
        let camel = JSONDecoder()
        camel.keyDecodingStrategy = .convertFromSnakeCase
        #expect(try camel.decode(ImagePlan.self, from: snake.encode(plan)) == plan)
        // DDIB's two solvers: DDIM at the paper's linspace, Heun at Karras σ's with more steps; a
        // plan without the optional fields (an earlier plan.json) falls back to DDIM's settings.
        #expect(quick.ddibSolver(.ddibDDIM) == (10, .linspace, .ddim(eta: 0)) && quick.ddibSolver(.ddibHeun) == (20, .karras, .heun))
        var earlier = quick
        (earlier.ddibSpacing, earlier.heunSteps, earlier.heunSpacing) = (nil, nil, nil)
        #expect(!String(decoding: try snake.encode(earlier), as: UTF8.self).contains("heun_s"))
        #expect(earlier.ddibSolver(.ddibHeun) == (10, .linspace, .heun))
        try quick.validate()
        // EGSDE's λ_s: the paper's 500 at 3 × 256 × 256, rescaled by √(D / 196,608).
        #expect(abs(quick.lambdaS - 500 / 768.squareRoot()) < 1e-12 && quick.lambdaI == 2)
        #expect(abs(try ImagePlan.full().lambdaS - 500 * (784.0 / 196_608).squareRoot()) < 1e-12)
        #expect(ImagePlan.paperRealismWeight(ImageShape(channels: 3, height: 256, width: 256)) == 500)
        try ImagePlan.full().validate()
        let full = try ImagePlan.full()
        #expect(quick.cycleImages == 200 && full.cycleImages == nil)
        // Both modes' 10-class classifier is `monge classifier fashion`'s (flattened features, all
        // 60,000 training images: 92 % test accuracy at 28 × 28), not a globally pooled one (81.5 %
        // at 16 × 16); the full mode's U-Nets train 3000 steps of 64 at 10⁻³.
        #expect(full.classifier == ImageClassifiers.fashionModel() && !full.classifier.globalPooling)
        #expect(quick.classifier == ImageClassifiers.fashionModel(image: quick.imageShape) && !quick.classifier.globalPooling)
        for plan in [quick, full] {
            #expect(plan.classifierTraining.epochs == 3 && plan.classifierTraining.adam.learningRate == 3e-3 && plan.classifierImages == nil)
        }
        #expect(full.training.steps == 3000 && full.training.batchSize == 64 && full.training.optimizer.learningRate == 1e-3)
        var tooMany = quick
        tooMany.heunSteps = 1000
        #expect(throws: MongeError.self) { try tooMany.validate() }
        var missing = plan
        missing.munit = nil
        #expect(throws: MongeError.self) { try missing.validate() }
        var wrong = plan
        wrong.munit = ImageMUNITCell(image: ImageShape(channels: 1, height: 16, width: 16), steps: 20)
        #expect(throws: MongeError.self) { try wrong.validate() }
        missing.methods = [.exactOT]
        try missing.validate()
        #expect(!String(decoding: try JSONEncoder().encode(missing), as: UTF8.self).contains("munit"))
    }
}
