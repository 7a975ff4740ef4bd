import Foundation
import MongeExperiments
import Testing
import TestSupport

/// The one grid pipeline on a toy experiment (no training): units in order, a sharded run merged
/// equal to one process, and bad merges refused by name.
@Suite("Experiment grid")
struct ExperimentGridTests {
    /// Pairs × cells of sums; each unit writes its value to a file, `assemble` reads them back.
    struct Toy: GridExperiment {
        struct Plan: Codable, Equatable, Sendable {
            var seed: UInt64
            var pairs: [Int]
            var cells: [Int]
        }
        struct Unit: Hashable, Codable, Sendable {
            let pair: Int
            let cell: Int
        }
        struct Summary {
            let table: ResultsTable
            let sum: Int
        }
        static let experimentName = "toy"
        static func seed(of plan: Plan) -> UInt64 { plan.seed }
        let plan: Plan
        let folder: String
        var showTrainingProgress = true

        init(plan: Plan, folder: String, log: @escaping @Sendable (String) -> Void) throws {
            guard !plan.cells.isEmpty else { throw MongeError.invalidArgument(name: "cells", message: "none") }
            self.plan = plan
            self.folder = folder
        }

        var units: [Unit] { plan.pairs.flatMap { p in plan.cells.map { Unit(pair: p, cell: $0) } } }
        func name(of unit: Unit) -> String { "seed \(plan.seed) pair \(unit.pair) cell \(unit.cell)" }
        func value(_ unit: Unit) -> Int { unit.pair * 100 + unit.cell + Int(plan.seed) * 10_000 }

        func run(_ unit: Unit, into output: String, position: (Int, Int)) throws -> GridUnitOutput<Unit> {
            let file = "values/\(unit.pair)-\(unit.cell).txt"
            try AtomicFile.write("\(value(unit))\n", to: output + "/" + file)
            return GridUnitOutput(unit: unit, name: name(of: unit), row: ["pair": .integer(unit.pair), "cell": .integer(unit.cell), "value": .integer(value(unit))],
                                  files: [file])
        }

        func assemble(_ outputs: [GridUnitOutput<Unit>]) throws -> Summary {
            let byUnit = try indexed(outputs)
            var table = ResultsTable(columns: ["pair", "cell", "value"])
            var sum = 0
            for unit in units {
                try table.append(byUnit[unit]!.row)
                sum += Int(try String(contentsOfFile: folder + "/values/\(unit.pair)-\(unit.cell).txt", encoding: .utf8).dropLast())!
            }
            _ = try table.write(stem: folder + "/results")
            return Summary(table: table, sum: sum)
        }

        static func seedTables(_ runs: [Summary], folder: String) throws -> [(stem: String, table: ResultsTable)] {
            var table = ResultsTable(columns: ["sum"])
            for run in runs { try table.append(["sum": .integer(run.sum)]) }
            return [("sums", table)]
        }
    }

    static let plans = [Toy.Plan(seed: 0, pairs: [1, 2], cells: [3, 4, 5]), Toy.Plan(seed: 1, pairs: [1, 2], cells: [3, 4, 5])]

    @Test("Units run seed-major in the experiments' order; shards merged give the tables of one process")
    func shardsMergeToOneProcess() throws {
        let folder = TestSupport.temporaryFolder("monge-grid")
        let whole = try ExperimentGrid<Toy>(plans: Self.plans, folder: folder + "/whole", seeded: true) { _ in }
        #expect(whole.units().map(whole.name(of:)).prefix(4) == ["seed 0 pair 1 cell 3", "seed 0 pair 1 cell 4", "seed 0 pair 1 cell 5", "seed 0 pair 2 cell 3"])
        #expect(whole.units().count == 12)
        let summary = try whole.run()
        #expect(summary.runs.map(\.sum) == [(100 + 200) * 3 + 2 * 12, (100 + 200) * 3 + 2 * 12 + 60_000])
        #expect(summary.seedTable("sums")?.rows.count == 2)

        let sharded = try ExperimentGrid<Toy>(plans: Self.plans, folder: folder + "/sharded", seeded: true) { _ in }
        let shards = try (1...5).map { try sharded.runShard(ShardSpec(index: $0, count: 5), binary: "test") }
        #expect(!FileManager.default.fileExists(atPath: folder + "/sharded/seed_0/results.csv"))
        let merged = try ExperimentGrid<Toy>.merge(into: folder + "/sharded", shards: shards.reversed(), log: { _ in })
        #expect(merged.summary.runs.map(\.table) == summary.runs.map(\.table))
        for file in ["seed_0/results.csv", "seed_1/results.json", "sums.csv", "seed_1/values/2-4.txt"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/whole/" + file)) == Data(contentsOf: URL(fileURLWithPath: folder + "/sharded/" + file)), "\(file)")
        }
    }

    @Test("Missing and twice-given units, other seeds, configurations and binaries are refused by name")
    func refusals() throws {
        let folder = TestSupport.temporaryFolder("monge-grid")
        func shards(_ plans: [Toy.Plan], _ name: String, binary: String = "test", count: Int = 3) throws -> [String] {
            let grid = try ExperimentGrid<Toy>(plans: plans, folder: folder + "/" + name, seeded: true) { _ in }
            return try (1...count).map { try grid.runShard(ShardSpec(index: $0, count: count), binary: binary) }
        }
        func refusal(_ shards: [String]) -> String {
            do {
                _ = try ExperimentGrid<Toy>.merge(into: folder + "/out", shards: shards, log: { _ in })
                return "merged"
            } catch { return "\(error)" }
        }
        let good = try shards(Self.plans, "good")
        let missing = refusal([good[0], good[2]])
        #expect(missing.contains("4 of the grid's 12 units are missing") && missing.contains("\"seed 0 pair 1 cell 4\" (shard 2/3)"), "\(missing)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/out"), "a refused merge writes nothing")
        try FileManager.default.copyItem(atPath: good[0], toPath: folder + "/copy")
        #expect(refusal(good + [folder + "/copy"]).contains("appears in both"))
        var other = Self.plans
        other[1].cells = [3, 4, 6]
        #expect(refusal([good[0]] + Array(try shards(other, "other").dropFirst())).contains("different configurations (plan fields differ: cells)"))
        let seeds = [Self.plans[0], Toy.Plan(seed: 2, pairs: [1, 2], cells: [3, 4, 5])]
        #expect(refusal([good[0]] + Array(try shards(seeds, "seeds").dropFirst())).contains("different seeds (0,1 and 0,2)"))
        #expect(refusal([good[0]] + Array(try shards(Self.plans, "binary", binary: "other").dropFirst())).contains("different monge binaries"))
        #expect(refusal([good[0]] + Array(try shards(Self.plans, "split", count: 4).dropFirst())).contains("different splits"))
        #expect(refusal([folder]).contains("holds no shard.json"))
        #expect(throws: MongeError.self) { _ = try ExperimentGrid<Toy>(plans: [Self.plans[0], Self.plans[0]], folder: folder, seeded: true) { _ in } }
    }
}
