import MongeExperiments
import MongeCore
import Testing

/// Per-cell statistics over seeds (`ResultsTable.seedIntervals`), the tables of `reproduce --seeds`.
@Suite("Seed intervals per cell")
struct SeedIntervalsTests {
    static func run(_ costs: [Double], gaps: [Double], seed: Int) throws -> ResultsTable {
        var table = ResultsTable(columns: ["pair", "steps", "seed", "cost", "gap"])
        for (k, (cost, gap)) in zip(costs, gaps).enumerated() {
            try table.append(["pair": .text("p\(k)"), "steps": .integer(10), "seed": .integer(seed * 100 + k),
                              "cost": .number(cost), "gap": .number(gap)])
        }
        return table
    }

    @Test func meanAndStudentIntervalPerCell() throws {
        // Cell p0: costs 1, 2, 3 → mean 2, sd 1, half-width t₀.₉₇₅,₂ / √3, where for two degrees of
        // freedom t_p = (2p − 1) / √(2p(1 − p)) in closed form.
        let tables = try [(1.0, 10.0), (2.0, 20.0), (3.0, 60.0)].enumerated().map { s, v in
            try Self.run([v.0, 5], gaps: [v.1, .nan], seed: s)
        }
        let summary = try ResultsTable.seedIntervals(tables, keys: ["pair", "steps"], excluded: ["seed"])
        #expect(summary.columns == ["pair", "steps", "seeds", "cost_mean", "cost_ci95_low", "cost_ci95_high",
                                    "gap_mean", "gap_ci95_low", "gap_ci95_high"])
        #expect(summary.rows.count == 2)
        let half = 0.95 / (2 * 0.975 * 0.025).squareRoot() / 3.0.squareRoot()
        guard case let .number(mean) = summary.rows[0][3], case let .number(low) = summary.rows[0][4],
              case let .number(high) = summary.rows[0][5] else { Issue.record("not numbers"); return }
        #expect(abs(mean - 2) < 1e-15 && abs(low - (2 - half)) < 1e-12 && abs(high - (2 + half)) < 1e-12, "\(mean) \(low) \(high) vs \(half)")
        // Cell p1: a constant cost has a zero-width interval; NaN gaps give no value at all.
        #expect(summary.rows[1][3] == .number(5) && summary.rows[1][4] == .number(5) && summary.rows[1][5] == .number(5))
        if case let .number(gap) = summary.rows[1][6] { #expect(gap.isNaN) } else { Issue.record("gap cell") }
        #expect(summary.rows[0][2] == .integer(3))
    }

    @Test func cellsMustMatchAcrossSeeds() throws {
        let a = try Self.run([1, 2], gaps: [0, 0], seed: 0)
        let b = try Self.run([1], gaps: [0], seed: 1)
        #expect(throws: MongeError.self) { _ = try ResultsTable.seedIntervals([a, b], keys: ["pair"]) }
        #expect(throws: MongeError.self) { _ = try ResultsTable.seedIntervals([a, a], keys: ["nosuch"]) }
        // The same key twice in one run is an error, not an average.
        #expect(throws: MongeError.self) { _ = try ResultsTable.seedIntervals([a], keys: ["steps"]) }
    }
}
