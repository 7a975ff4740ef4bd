import MongeExperiments
import Testing
import TestSupport

/// The generic pairs × cells × seeds grid: order, key columns, one prepare per (pair, seed), and
/// rows that miss or add a metric refused.
@Suite("Experiment grid")
struct ExperimentGridTests {
    @Test("Rows come pair-major, then seed, then cell, with the key columns filled; prepare runs once per (pair, seed)")
    func order() throws {
        let grid = try ExperimentGrid(pairs: ["a", "b"], cells: [1, 2, 3], seeds: [7, 9], pairName: { $0 }, cellName: { "c\($0)" })
        var prepared: [String] = []
        let table = try grid.run(metrics: ["value"], prepare: { pair, seed -> String in
            prepared.append("\(pair)\(seed)")
            return pair
        }, measure: { pair, cell, seed in
            ["value": .number(Double(cell) + Double(seed) * 10 + (pair == "b" ? 1000 : 0))]
        })
        #expect(prepared == ["a7", "a9", "b7", "b9"])
        #expect(table.columns == ["pair", "cell", "seed", "value"])
        #expect(table.rows.count == grid.count && grid.count == 12)
        #expect(table.column("pair").map(\.description) == Array(repeating: "a", count: 6) + Array(repeating: "b", count: 6))
        #expect(table.column("cell").prefix(4).map(\.description) == ["c1", "c2", "c3", "c1"])
        #expect(table.column("seed").prefix(4).map(\.description) == ["7", "7", "7", "9"])
        #expect(table.column("value")[11] == .number(3 + 90 + 1000))
    }

    @Test("A row missing a metric, naming another or a key column is an error; empty axes are refused")
    func errors() throws {
        let grid = try ExperimentGrid(pairs: [0], cells: [0], seeds: [0], pairName: { "\($0)" }, cellName: { "\($0)" })
        for row: [String: ResultsTable.Cell] in [[:], ["value": .number(1), "other": .number(2)], ["value": .number(1), "pair": .text("x")]] {
            #expect(throws: MongeError.self) {
                _ = try grid.run(metrics: ["value"], prepare: { _, _ in () }, measure: { _, _, _ in row })
            }
        }
        #expect(throws: MongeError.self) { _ = try ExperimentGrid(pairs: [Int](), cells: [0], seeds: [0], pairName: { "\($0)" }, cellName: { "\($0)" }) }
        #expect(throws: MongeError.self) { _ = try ExperimentGrid(pairs: [0], cells: [0], seeds: [1, 1], pairName: { "\($0)" }, cellName: { "\($0)" }) }
    }
}
