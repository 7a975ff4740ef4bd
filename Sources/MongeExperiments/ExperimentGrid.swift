import Foundation
import MongeBridges

/// An experiment as a grid: pairs × cells × seeds. For every (pair, seed) `prepare` builds what
/// the cells share (samples, exact OT, models' outputs), then `measure` gives one row of metrics
/// per cell; the grid adds the key columns (`pair`, `cell`, `seed`) and collects the rows in
/// order (pair-major, then seed, then cell) into one `ResultsTable`.
///
/// A reproduction is a configuration of this: its pairs (domains), its cells (methods, or
/// solver × steps), its seeds, and the two closures. Nothing here knows images or points, so
/// the 2-D reproduction can move onto it unchanged.
public struct ExperimentGrid<Pair: Sendable, Cell: Sendable> {
    public var pairs: [Pair]
    public var cells: [Cell]
    public var seeds: [UInt64]
    /// How a pair and a cell are named in the key columns.
    public var pairName: (Pair) -> String
    public var cellName: (Cell) -> String
    /// The key columns' names (default "pair", "cell", "seed").
    public var keyColumns: (pair: String, cell: String, seed: String) = ("pair", "cell", "seed")

    public init(pairs: [Pair], cells: [Cell], seeds: [UInt64],
                pairName: @escaping (Pair) -> String, cellName: @escaping (Cell) -> String) throws {
        guard !pairs.isEmpty else { throw MongeError.invalidArgument(name: "pairs", message: "the grid has no pairs") }
        guard !cells.isEmpty else { throw MongeError.invalidArgument(name: "cells", message: "the grid has no cells") }
        guard !seeds.isEmpty else { throw MongeError.invalidArgument(name: "seeds", message: "the grid has no seeds") }
        guard Set(seeds).count == seeds.count else {
            throw MongeError.invalidArgument(name: "seeds", message: "\(seeds) repeats a seed")
        }
        self.pairs = pairs
        self.cells = cells
        self.seeds = seeds
        self.pairName = pairName
        self.cellName = cellName
    }

    /// The number of rows `run` produces.
    public var count: Int { pairs.count * cells.count * seeds.count }

    /// Runs the grid. `metrics` are the metric columns every row must fill (a row that misses one,
    /// or names another, throws); `log` hears one line per row, numbered k/count.
    public func run<Context>(
        metrics: [String], log: (String) -> Void = { _ in },
        prepare: (Pair, UInt64) throws -> Context,
        measure: (Context, Cell, UInt64) throws -> [String: ResultsTable.Cell]
    ) throws -> ResultsTable {
        var table = ResultsTable(columns: [keyColumns.pair, keyColumns.cell, keyColumns.seed] + metrics)
        var done = 0
        for pair in pairs {
            for seed in seeds {
                let context = try prepare(pair, seed)
                for cell in cells {
                    var row = try measure(context, cell, seed)
                    for key in [keyColumns.pair, keyColumns.cell, keyColumns.seed] where row[key] != nil {
                        throw MongeError.invalidArgument(name: "results row", message: "the metrics name the key column \(key)")
                    }
                    row[keyColumns.pair] = .text(pairName(pair))
                    row[keyColumns.cell] = .text(cellName(cell))
                    row[keyColumns.seed] = .integer(Int(seed))
                    try table.append(row)
                    done += 1
                    log("[\(done)/\(count)] \(pairName(pair)) · \(cellName(cell)) · seed \(seed)")
                }
            }
        }
        return table
    }
}
