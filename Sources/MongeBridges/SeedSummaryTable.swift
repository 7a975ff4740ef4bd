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
}
