import Foundation
import MongeCore
import MongeExperiments
import MongeNN
import TestSupport
import Testing

/// Issue 13, item 3: the MUNIT cell of `monge reproduce ddib-2d` — its rows in results.csv, equal
/// to a direct evaluation of the saved checkpoint, seeded, and the same through shards.
@Suite("ddib-2d: the MUNIT rows")
struct ReproductionMUNITTests {
    /// Two opposite pairs (one MUNIT serves both), one DDIM cell, tiny sizes.
    static func tinyPlan(seed: UInt64 = 0) throws -> ReproductionPlan {
        var plan = try ReproductionPlan.quick(seed: seed)
        plan.datasets = ["moons", "checkerboard"]
        plan.pairs = [["moons", "checkerboard"], ["checkerboard", "moons"]]
        plan.cyclePairs = [["moons", "checkerboard"]]
        plan.trainingPoints = 256
        plan.training.steps = 10
        plan.translationPoints = 40
        plan.oraclePoints = 40
        plan.cyclePoints = 40
        plan.cells = [.init("ddim", 4)]
        plan.oracleCells = [.init("ddim", 3)]
        plan.cycleCell = .init("ddim", 4)
        var munit = ReproductionPlan.MUNITCell(steps: 25, trainingPoints: 300)
        munit.training.batchSize = 32
        plan.munit = munit
        return plan
    }

    static func value(_ table: ResultsTable, _ row: [ResultsTable.Cell], _ column: String) -> ResultsTable.Cell {
        row[table.columns.firstIndex(of: column)!]
    }

    static func number(_ table: ResultsTable, _ row: [ResultsTable.Cell], _ column: String) -> Double {
        switch value(table, row, column) {
        case let .number(x): return x
        case let .integer(i): return Double(i)
        case .text: return .nan
        }
    }

    /// results.csv without the timing columns.
    static func withoutTiming(_ path: String) throws -> [[Substring]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false)
        let keep = header.indices.filter { !["bridge_s", "ot_s"].contains(String(header[$0])) }
        return lines.map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            return keep.map { fields[$0] }
        }
    }

    static func run(_ plan: ReproductionPlan, in folder: String) throws -> (Reproduction, Reproduction.Summary) {
        var reproduction = try Reproduction(plan: plan, folder: folder) { _ in }
        reproduction.showTrainingProgress = false
        return (reproduction, try reproduction.run())
    }

    /// Every pair has a `munit` and a `munit-s0` row with every column filled, steps = MUNIT's
    /// training steps; their metrics are those of `MUNITEvaluation` on the saved checkpoint and
    /// the DDIB rows' samples, bit for bit (the s = 0 row: `compare` with zero styles).
    @Test func munitRowsEqualADirectEvaluationOfTheCheckpoint() throws {
        let plan = try Self.tinyPlan()
        let folder = TestSupport.temporaryFolder("munit-rows")
        let (reproduction, summary) = try Self.run(plan, in: folder)
        let table = summary.results
        // One model for the two opposite pairs.
        let models = try FileManager.default.contentsOfDirectory(atPath: folder + "/models/munit")
        #expect(models.filter { !$0.hasSuffix(".claim") } == ["checkerboard__moons"])
        let (config, model, generator, _) = try MUNITCheckpoint.read(from: folder + "/models/munit/checkerboard__moons")
        #expect(config.training.steps == 25 && config.model == MUNITConfig())

        for (p, pair) in plan.pairs.enumerated() {
            let name = pair.joined(separator: " → ")
            let rows = table.rows.filter { Self.value(table, $0, "pair") == .text(name) }
            let munitRows = rows.filter { Self.value(table, $0, "solver") == .text("munit") }
            let zeroRows = rows.filter { Self.value(table, $0, "solver") == .text("munit-s0") }
            #expect(munitRows.count == 1 && zeroRows.count == 1, "\(name)")
            guard let row = munitRows.first, let zero = zeroRows.first else { continue }
            for r in [row, zero] {
                #expect(Self.value(table, r, "kind") == .text("trained"))
                #expect(Self.value(table, r, "steps") == .integer(25))
                for column in table.columns where !["kind", "pair", "solver"].contains(column) {
                    #expect(Self.number(table, r, column).isFinite, "\(name): \(column) not filled")
                }
            }
            // The same samples as the pair's DDIB row.
            let ddib = rows.first { Self.value(table, $0, "solver") == .text("ddim") }!
            for column in ["w2sq", "floor_w2", "seed", "n"] {
                #expect(Self.value(table, ddib, column) == Self.value(table, row, column), "\(column)")
            }
            let (source, target, second, styleSeed) = try reproduction.munitSamples(pair: p)
            let direct = try MUNITEvaluation.measure(model: model, generator: generator, source: source,
                                                     sourceDomain: p == 0 ? .b : .a, target: target, secondTarget: second,
                                                     targetShells: nil, seed: styleSeed)
            let zeroStyle = try MUNITEvaluation.compare(model: model, generator: generator, source: source, sourceDomain: p == 0 ? .b : .a,
                                                        styles: Matrix(rows: source.rows, columns: 2), target: target, secondTarget: second)
            for (r, c) in [(row, direct.comparison), (zero, zeroStyle.comparison)] {
                let expected: [String: Double] = [
                    "cost": c.transportCost, "w2sq": c.exactW2Squared, "gap": c.transportGap, "optimality": c.optimalityGap,
                    "monge_dev_mean": c.mongeDeviationMean, "monge_dev_max": c.mongeDeviationMax, "realism_w2": c.realismW2,
                    "floor_w2": c.samplingFloorW2!, "cycle_mean": c.cycleErrorMean!, "cycle_max": c.cycleErrorMax!,
                ]
                for (column, x) in expected {
                    #expect(Self.number(table, r, column) == x, "\(name) \(column)")
                }
            }
            // The sampled style and s = 0 are different maps.
            #expect(Self.number(table, row, "cost") != Self.number(table, zero, "cost"))
            // The arrays and MUNIT's own measurements beside them.
            let cell = folder + "/pairs/\(pair[0])__\(pair[1])/munit-25"
            #expect(try ArrayFile.readMatrix(cell + "/source.npy", as: Double.self) == source)
            let metrics = try JSONDecoder().decode(MUNITEvaluation.self, from: Data(contentsOf: URL(fileURLWithPath: cell + "/metrics.json")))
            #expect(metrics.comparison.transportCost == direct.comparison.transportCost && metrics.circularCorrelation == direct.circularCorrelation)
            #expect(FileManager.default.fileExists(atPath: folder + "/pairs/\(pair[0])__\(pair[1])/munit-s0-25/mapped.npy"))
        }
    }

    /// Same plan → the same MUNIT weights and rows; another seed → other ones. A second run in the
    /// same folder reuses the checkpoint and gives the same rows.
    @Test func sameSeedSameRowsAndReuse() throws {
        let plan = try Self.tinyPlan()
        let (a, b) = (TestSupport.temporaryFolder("munit-det-a"), TestSupport.temporaryFolder("munit-det-b"))
        _ = try Self.run(plan, in: a)
        _ = try Self.run(plan, in: b)
        let weights = "/models/munit/checkerboard__moons/model.safetensors"
        #expect(try Data(contentsOf: URL(fileURLWithPath: a + weights)) == Data(contentsOf: URL(fileURLWithPath: b + weights)))
        #expect(try Self.withoutTiming(a + "/results.csv") == Self.withoutTiming(b + "/results.csv"))
        let before = try FileManager.default.attributesOfItem(atPath: a + weights)[.modificationDate] as? Date
        _ = try Self.run(plan, in: a)
        #expect(try FileManager.default.attributesOfItem(atPath: a + weights)[.modificationDate] as? Date == before)
        #expect(try Self.withoutTiming(a + "/results.csv") == Self.withoutTiming(b + "/results.csv"))
        let c = TestSupport.temporaryFolder("munit-det-c")
        _ = try Self.run(try Self.tinyPlan(seed: 1), in: c)
        #expect(try Data(contentsOf: URL(fileURLWithPath: a + weights)) != Data(contentsOf: URL(fileURLWithPath: c + weights)))
    }

    /// Two shards merged give the unsharded tables (timing aside) and arrays.
    @Test func twoShardsMergedEqualOneProcess() throws {
        let plans = [try Self.tinyPlan(seed: 0)]
        let folder = TestSupport.temporaryFolder("munit-shards")
        var whole = try ReproductionGrid(plans: plans, folder: folder + "/whole", seeded: false) { _ in }
        whole.showTrainingProgress = false
        _ = try whole.run()
        var sharded = try ReproductionGrid(plans: plans, folder: folder + "/sharded", seeded: false) { _ in }
        sharded.showTrainingProgress = false
        #expect(sharded.units().contains { $0.unit.kind == .munit })
        let shards = try (1...2).map { try sharded.runShard(ShardSpec(index: $0, count: 2), binary: "test") }
        _ = try ReproductionGrid.merge(into: folder + "/sharded", shards: shards, log: { _ in })
        #expect(try Self.withoutTiming(folder + "/whole/results.csv") == Self.withoutTiming(folder + "/sharded/results.csv"))
        for file in ["pairs/moons__checkerboard/munit-25/mapped.npy", "pairs/checkerboard__moons/munit-s0-25/cycled.npy"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/whole/" + file))
                    == Data(contentsOf: URL(fileURLWithPath: folder + "/sharded/" + file)), "\(file)")
        }
        // MUNIT's own measurements, but for the time exact OT took.
        func metrics(_ root: String) throws -> MUNITEvaluation {
            var m = try JSONDecoder().decode(MUNITEvaluation.self, from: Data(contentsOf: URL(fileURLWithPath: root + "/pairs/moons__checkerboard/munit-25/metrics.json")))
            m.comparison = m.comparison.with(otSeconds: 0)
            return m
        }
        #expect(try metrics(folder + "/whole") == metrics(folder + "/sharded"))
    }

    /// A plan without the cell has no MUNIT units and writes no `munit` key into plan.json; with
    /// it, the plan survives the snake_case round trip of plan.json and shard records.
    @Test func offByDefaultAndRoundTrips() throws {
        var plan = try Self.tinyPlan()
        plan.munit!.model.styleMLPWidth = 48
        let snake = JSONEncoder()
        snake.keyEncodingStrategy = .convertToSnakeCase
        let camel = JSONDecoder()
        camel.keyDecodingStrategy = .convertFromSnakeCase
        #expect(try camel.decode(ReproductionPlan.self, from: snake.encode(plan)) == plan)
        #expect(try JSONDecoder().decode(ReproductionPlan.self, from: JSONEncoder().encode(plan)) == plan)
        plan.munit = nil
        let reproduction = try Reproduction(plan: plan, folder: TestSupport.temporaryFolder("munit-off")) { _ in }
        #expect(!reproduction.units.contains { $0.kind == .munit })
        let encoder = JSONEncoder()
        #expect(!String(decoding: try encoder.encode(plan), as: UTF8.self).contains("munit"))
    }
}
