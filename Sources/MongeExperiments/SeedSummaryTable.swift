import Foundation

extension ResultsTable {
    /// The columns of `seedSummary`: the metric, how many seeds gave a value, their mean, sample
    /// standard deviation, the 95 % Student-t interval of the mean, and the range.
    public static let seedSummaryColumns = ["metric", "seeds", "mean", "sd", "ci95_low", "ci95_high", "min", "max"]

    /// One row per metric summarising its per-seed values with `SeedSummary` (95 % t-interval).
    /// With one seed, sd and the interval are NaN (empty in CSV, null in JSON, "–" in Markdown).
    ///
    /// - Throws: `MongeError` when a metric has no values or a non-finite one.
    public static func seedSummary(_ metrics: [(name: String, values: [Double])]) throws -> ResultsTable {
        var table = ResultsTable(columns: seedSummaryColumns)
        for (name, values) in metrics {
            let s = try SeedSummary(values, confidence: 0.95, name: name)
            try table.append([
                "metric": .text(name), "seeds": .integer(s.count), "mean": .number(s.mean), "sd": .number(s.standardDeviation),
                "ci95_low": .number(s.lower), "ci95_high": .number(s.upper), "min": .number(s.minimum), "max": .number(s.maximum),
            ])
        }
        return table
    }

    /// A seed sweep's tables in `folder`: per_seed.{csv,md,json} as given, and summary.{csv,md,json}
    /// with one `seedSummary` row per metric column of `perSeed` (all but `seed`) over the seeds
    /// that gave a value (`Cell.statisticValue`; a metric no seed gave is left out). Returns the
    /// summary, its files, and a manifest's results: the seeds, and per metric the mean and its
    /// 95 % interval (`ci95_low`, `ci95_high`; null where not finite, as with one seed).
    public static func writeSeedTables(_ perSeed: ResultsTable, seeds: [UInt64],
                                       folder: URL) throws -> (summary: ResultsTable, paths: [String], results: [String: JSONValue]) {
        var metrics: [(name: String, values: [Double])] = []
        for name in perSeed.columns where name != "seed" {
            let values = perSeed.column(name).compactMap(\.statisticValue)
            if !values.isEmpty { metrics.append((name, values)) }
        }
        let summary = try seedSummary(metrics)
        try perSeed.write(stem: folder.appendingPathComponent("per_seed").path)
        let paths = try summary.write(stem: folder.appendingPathComponent("summary").path)
        var results: [String: JSONValue] = ["seeds": .array(seeds.map { .integer(Int($0)) })]
        for row in summary.rows {
            guard case let .text(name) = row[0], case let .number(mean) = row[2], case let .number(low) = row[4],
                  case let .number(high) = row[5] else { continue }
            results[name] = .object(["mean": .number(mean), "ci95_low": low.isFinite ? .number(low) : .null,
                                     "ci95_high": high.isFinite ? .number(high) : .null])
        }
        return (summary, paths, results)
    }
}

extension ResultsTable.Cell {
    /// The cell as a value for statistics over seeds: a finite number or an integer; nil for text,
    /// NaN and ±∞ (a seed that gave no value).
    public var statisticValue: Double? {
        switch self {
        case let .number(x): return x.isFinite ? x : nil
        case let .integer(i): return Double(i)
        case .text: return nil
        }
    }
}

extension ResultsTable {
    /// Per-cell statistics over seeds: `tables` are the same experiment's results run with
    /// different seeds; rows are matched on the `keys` columns (e.g. kind, pair, solver, steps), and
    /// every numeric column not in `keys` or `excluded` becomes three columns — `NAME_mean`,
    /// `NAME_ci95_low`, `NAME_ci95_high` (95 % Student-t interval of the mean over the seeds that
    /// gave a finite value; empty with one seed). A `seeds` column counts the seeds per cell.
    ///
    /// - Throws: `MongeError` when the tables' columns differ, a key is missing, or a cell appears
    ///   twice in one table or not in every table.
    public static func seedIntervals(_ tables: [ResultsTable], keys: [String], excluded: Set<String> = []) throws -> ResultsTable {
        guard let first = tables.first else {
            throw MongeError.invalidArgument(name: "seeds", message: "no results to summarise")
        }
        for key in keys where !first.columns.contains(key) {
            throw MongeError.invalidArgument(name: "keys", message: "results have no column \"\(key)\"")
        }
        for table in tables where table.columns != first.columns {
            throw MongeError.shapeMismatch("per-seed results have different columns: \(first.columns) and \(table.columns)")
        }
        let metrics = first.columns.filter { !keys.contains($0) && !excluded.contains($0) }
        let keyIndices = keys.map { first.columns.firstIndex(of: $0)! }
        func key(_ row: [Cell]) -> String { keyIndices.map { row[$0].description }.joined(separator: " | ") }
        // Cells in the first table's order, each with its rows from every table.
        var order: [String] = []
        var cells: [String: [[Cell]]] = [:]
        for (t, table) in tables.enumerated() {
            var seen: Set<String> = []
            for row in table.rows {
                let k = key(row)
                guard seen.insert(k).inserted else {
                    throw MongeError.invalidArgument(name: "results", message: "cell \(k) appears twice in the results of seed run \(t + 1)")
                }
                if t == 0 { order.append(k) }
                guard cells[k] != nil || t == 0 else {
                    throw MongeError.invalidArgument(name: "results", message: "cell \(k) of seed run \(t + 1) is not in the first run")
                }
                cells[k, default: []].append(row)
            }
        }
        var columns = keys + ["seeds"]
        for name in metrics { columns += [name + "_mean", name + "_ci95_low", name + "_ci95_high"] }
        var summary = ResultsTable(columns: columns)
        for k in order {
            let rows = cells[k]!
            guard rows.count == tables.count else {
                throw MongeError.invalidArgument(name: "results", message: "cell \(k) is in \(rows.count) of \(tables.count) seed runs")
            }
            var out: [String: Cell] = ["seeds": .integer(rows.count)]
            for (name, index) in zip(keys, keyIndices) { out[name] = rows[0][index] }
            for name in metrics {
                let index = first.columns.firstIndex(of: name)!
                let values = rows.compactMap { $0[index].statisticValue }
                guard !values.isEmpty else {
                    out[name + "_mean"] = .number(.nan); out[name + "_ci95_low"] = .number(.nan); out[name + "_ci95_high"] = .number(.nan)
                    continue
                }
                let s = try SeedSummary(values, confidence: 0.95, name: name)
                out[name + "_mean"] = .number(s.mean)
                out[name + "_ci95_low"] = .number(s.lower)
                out[name + "_ci95_high"] = .number(s.upper)
            }
            try summary.append(out)
        }
        return summary
    }
}
