import Foundation
import MongePlot

/// An experiment as `ExperimentGrid` runs it, whole or in shards: a plan, a fixed list of named
/// units (a pair × cell × seed, a model to train and draw, …), a way to run one unit into a folder,
/// and a way to assemble the units' outputs into the experiment's tables and figures.
///
/// `assemble` must give the same bytes whether the units ran in one process or in shards merged
/// later (timing columns aside): everything it draws comes from the units' rows, from the files
/// they wrote (which a merge copies into `folder`) or from the shared models in `folder`.
public protocol GridExperiment {
    associatedtype Plan: Codable, Equatable, Sendable
    associatedtype Unit: Hashable, Codable, Sendable
    associatedtype Summary

    /// The experiment's name in shard records ("ddib-2d"): a merge refuses shards of another one.
    static var experimentName: String { get }

    /// The experiment of `plan` writing to `folder` (models under it, shared by all shards).
    init(plan: Plan, folder: String, log: @escaping @Sendable (String) -> Void) throws

    var plan: Plan { get }
    /// The run folder: models, and (unsharded) every output.
    var folder: String { get }
    /// Print training progress lines (off in tests).
    var showTrainingProgress: Bool { get set }
    /// The plan's seed, for a grid with seeds as an axis (`seed_<s>/` folders).
    static func seed(of plan: Plan) -> UInt64

    /// Every unit, in a fixed order: shards split this list, `assemble` orders rows by it.
    var units: [Unit] { get }
    /// The unit's name in logs and merge reports, e.g. "seed 0 trained moons → checkerboard ddim:10".
    func name(of unit: Unit) -> String
    /// Runs one unit, training (or reusing, or waiting for another shard training) the models it
    /// needs in the run folder, and writes its arrays and figures under `output` (the run folder
    /// itself or a shard's folder); `position` is (k, count) for progress lines.
    func run(_ unit: Unit, into output: String, position: (Int, Int)) throws -> GridUnitOutput<Unit>
    /// Writes the tables and figures of the finished experiment from every unit's output (each
    /// exactly once, in any order).
    func assemble(_ outputs: [GridUnitOutput<Unit>]) throws -> Summary

    /// The tables over seeds that a grid with seeds as an axis writes at the top of `folder`, by
    /// stem (e.g. "results_seeds"), from the per-seed summaries; none by default.
    static func seedTables(_ runs: [Summary], folder: String) throws -> [(stem: String, table: ResultsTable)]
}

extension GridExperiment {
    public static func seedTables(_ runs: [Summary], folder: String) throws -> [(stem: String, table: ResultsTable)] { [] }

    /// Runs every unit in `folder` and assembles them.
    public func run() throws -> Summary {
        let units = self.units
        var outputs: [GridUnitOutput<Unit>] = []
        for (k, unit) in units.enumerated() {
            outputs.append(try run(unit, into: folder, position: (k + 1, units.count)))
        }
        return try assemble(outputs)
    }

    /// The outputs by unit, checked: every unit of the experiment exactly once (else the missing
    /// or repeated units are named).
    public func indexed(_ outputs: [GridUnitOutput<Unit>]) throws -> [Unit: GridUnitOutput<Unit>] {
        var byUnit: [Unit: GridUnitOutput<Unit>] = [:]
        for output in outputs {
            if byUnit[output.unit] != nil {
                throw MongeError.invalidArgument(name: "units", message: "unit \"\(output.name)\" appears twice")
            }
            byUnit[output.unit] = output
        }
        let missing = units.filter { byUnit[$0] == nil }
        guard missing.isEmpty else {
            throw MongeError.invalidArgument(name: "units", message: "missing units: " + missing.map(name(of:)).joined(separator: "; "))
        }
        guard byUnit.count == units.count else {
            throw MongeError.invalidArgument(name: "units", message: "outputs of units that are not in the experiment")
        }
        return byUnit
    }
}

/// What one unit produced: its row of a table (empty for units that only train or draw), and the
/// files it wrote (arrays, figures), relative to the folder it ran in.
public struct GridUnitOutput<Unit: Hashable & Codable & Sendable>: Codable, Sendable {
    public let unit: Unit
    /// The unit's name in logs and merge reports.
    public let name: String
    public let row: [String: ResultsTable.Cell]
    /// Every row of a unit that measures several things on the models it trained (bridges-2d: one
    /// pair and seed, every method), in table order; nil when `row` is the unit's one row.
    public let rows: [[String: ResultsTable.Cell]]?
    public let files: [String]

    public init(unit: Unit, name: String, row: [String: ResultsTable.Cell] = [:], rows: [[String: ResultsTable.Cell]]? = nil,
                files: [String] = []) {
        self.unit = unit
        self.name = name
        self.row = row
        self.rows = rows
        self.files = files
    }
}

/// Renders `figure` to `output/path` (a unit's figure); returns the files written — the figure,
/// its gnuplot script and data — relative to `output`, so that a merge copies all three.
func renderUnitFigure(_ figure: some Figure, _ path: String, in output: String) throws -> [String] {
    try figure.render(to: output + "/" + path)
    return [path, path + ".gp", path + ".dat"].filter { FileManager.default.fileExists(atPath: output + "/" + $0) }
}

/// The files a unit wrote under `output/path`, relative to `output` (hidden files and model claims
/// left out), for `GridUnitOutput.files`.
public func unitFiles(under path: String, in output: String) throws -> [String] {
    let manager = FileManager.default
    guard let walk = manager.enumerator(atPath: output + "/" + path) else { return [] }
    var files: [String] = []
    while let relative = walk.nextObject() as? String {
        var isFolder: ObjCBool = false
        let full = output + "/" + path + "/" + relative
        guard manager.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue,
              !relative.split(separator: "/").contains(where: { $0.hasPrefix(".") || $0.hasSuffix(".claim") }) else { continue }
        files.append(path + "/" + relative)
    }
    return files.sorted()
}
