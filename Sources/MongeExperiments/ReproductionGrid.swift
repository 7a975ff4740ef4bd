import Foundation

/// `monge reproduce ddib-2d` as a grid of seeds × units (pairs × cells), run whole in one
/// process or split into shards that a scheduler (Slurm job arrays, GNU parallel) runs anywhere
/// the run folder is shared, then merged into the very tables one process writes.
///
/// Layout of `folder`: with one seed the reproduction's own layout (`Reproduction`); with
/// `seeded`, `seed_<s>/` holds each seed's reproduction and `results_seeds.*`,
/// `oracle_results_seeds.*`, `cycle_results_seeds.*` the per-cell means and intervals. A shard K of N writes its rows,
/// arrays and figures to `shard-K-of-N/` (`seed_<s>/` inside when seeded) and its record
/// `shard.json` last; the models live in the run folder, where every shard finds them.
public struct ReproductionGrid {
    /// One plan per seed.
    public let plans: [ReproductionPlan]
    public let folder: String
    /// Seeds as an axis: per-seed folders and the interval tables.
    public let seeded: Bool
    public let log: @Sendable (String) -> Void
    public var showTrainingProgress = true

    public init(plans: [ReproductionPlan], folder: String, seeded: Bool, log: @escaping @Sendable (String) -> Void) throws {
        guard !plans.isEmpty, seeded || plans.count == 1 else {
            throw MongeError.invalidArgument(name: "seeds", message: "a grid needs one plan, or one per seed with seeds as an axis")
        }
        for plan in plans { try plan.validate() }
        self.plans = plans
        self.folder = folder
        self.seeded = seeded
        self.log = log
    }

    /// One unit of the grid: a seed's (pair, cell).
    public struct Unit: Hashable, Codable, Sendable {
        public let seedIndex: Int
        public let unit: Reproduction.Unit
    }

    /// The output of one unit of the grid.
    public struct UnitOutput: Codable, Sendable {
        public let seedIndex: Int
        public let output: Reproduction.UnitOutput
    }

    /// What a finished grid wrote.
    public struct Summary: Sendable {
        /// Per seed.
        public let runs: [Reproduction.Summary]
        /// Per-cell means and intervals over the seeds (seeded grids only).
        public let seedResults: ResultsTable?
        public let seedOracleResults: ResultsTable?
        public let seedCycleResults: ResultsTable?
        /// Files written at the top of `folder` (the interval tables).
        public let files: [String]
    }

    /// The folder of seed `k`'s reproduction (`root` is the run folder or a shard's folder).
    public func seedFolder(_ k: Int, in root: String? = nil) -> String {
        let root = root ?? folder
        return seeded ? root + "/seed_\(plans[k].seed)" : root
    }

    func reproduction(_ k: Int) throws -> Reproduction {
        var reproduction = try Reproduction(plan: plans[k], folder: seedFolder(k), log: log)
        reproduction.showTrainingProgress = showTrainingProgress
        return reproduction
    }

    /// Every unit in the grid's fixed order: seeds, then each seed's units.
    public func units() throws -> [Unit] {
        try plans.indices.flatMap { k in try reproduction(k).units.map { Unit(seedIndex: k, unit: $0) } }
    }

    /// Runs the whole grid in `folder`.
    public func run() throws -> Summary {
        var runs: [Reproduction.Summary] = []
        for k in plans.indices {
            if seeded { log("reproduce: seed \(plans[k].seed) (\(k + 1)/\(plans.count))") }
            runs.append(try reproduction(k).run())
        }
        return try summarise(runs)
    }

    /// Runs shard `shard` of the grid: its units' rows, arrays and figures go to
    /// `folder/shard-K-of-N`, then `shard.json` (written last: a shard without it did not finish).
    /// `binary` identifies the program (`binaryIdentity()`), so that a merge refuses shards of
    /// different builds. Returns the shard's folder.
    @discardableResult
    public func runShard(_ shard: ShardSpec, binary: String) throws -> String {
        let shardFolder = folder + "/" + shard.folderName
        let record = shardFolder + "/shard.json"
        try? FileManager.default.removeItem(atPath: record)  // it will describe files about to change
        let all = try units()
        let mine = all.indices.filter { shard.contains(unit: $0) }
        log("reproduce: shard \(shard) runs \(mine.count) of the grid's \(all.count) units into \(shardFolder)")
        var outputs: [UnitOutput] = []
        for (position, i) in mine.enumerated() {
            let unit = all[i]
            let output = try reproduction(unit.seedIndex).run(unit.unit, into: seedFolder(unit.seedIndex, in: shardFolder),
                                                              position: (position + 1, mine.count))
            outputs.append(UnitOutput(seedIndex: unit.seedIndex, output: output))
        }
        let shardRecord = ShardRecord(format: ShardRecord.currentFormat, shard: shard.description, seeded: seeded,
                                      binary: binary, plans: plans, outputs: outputs)
        try AtomicFile.write(try Reproduction.json(shardRecord), to: record)
        return shardFolder
    }

    /// Combines finished shards into `folder`: copies their arrays and figures and writes the
    /// tables and figures that one unsharded run writes, from the same rows.
    ///
    /// - Throws: `MongeError` naming the problem when a folder is no finished shard, shards ran
    ///   different configurations, seeds, shard counts or binaries, or units are missing or
    ///   appear twice (named, with the shard that should have run them).
    public static func merge(into folder: String, shards: [String], log: @escaping @Sendable (String) -> Void,
                             beforeWriting: (ReproductionGrid) throws -> Void = { _ in }) throws -> (grid: ReproductionGrid, summary: Summary) {
        guard !shards.isEmpty else {
            throw MongeError.invalidArgument(name: "SHARD_DIR", message: "no shard folders given")
        }
        var records: [(folder: String, record: ShardRecord)] = []
        for shardFolder in shards {
            let path = shardFolder + "/shard.json"
            guard FileManager.default.fileExists(atPath: path) else {
                throw MongeError.invalidFile(path: shardFolder, location: nil,
                                             message: "holds no shard.json: not a shard folder, or its shard did not finish (re-run it)")
            }
            let record: ShardRecord
            do {
                let decoder = JSONDecoder()
                decoder.keyDecodingStrategy = .convertFromSnakeCase
                record = try decoder.decode(ShardRecord.self, from: try Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw MongeError.invalidFile(path: path, location: nil, message: "is not a shard record of this version: \(error)")
            }
            guard record.format == ShardRecord.currentFormat else {
                throw MongeError.invalidFile(path: path, location: nil, message: "shard record format \(record.format), expected \(ShardRecord.currentFormat)")
            }
            records.append((shardFolder, record))
        }
        let (firstFolder, first) = records[0]
        let firstSpec = try ShardSpec(parsing: first.shard)
        for (other, record) in records.dropFirst() {
            let spec = try ShardSpec(parsing: record.shard)
            if spec.count != firstSpec.count {
                throw MongeError.invalidArgument(name: "SHARD_DIR", message: "\(firstFolder) is shard \(first.shard) but \(other) is shard \(record.shard): shards of different splits")
            }
            if record.binary != first.binary {
                throw MongeError.invalidArgument(name: "SHARD_DIR", message: "\(firstFolder) and \(other) were run by different monge binaries (\(first.binary) and \(record.binary))")
            }
            if record.plans.map(\.seed) != first.plans.map(\.seed) || record.seeded != first.seeded {
                throw MongeError.invalidArgument(name: "SHARD_DIR", message: "\(firstFolder) and \(other) ran different seeds (\(Self.seedList(first)) and \(Self.seedList(record)))")
            }
            if record.plans != first.plans {
                let fields = try zip(first.plans, record.plans).flatMap { try Self.differingFields($0, $1) }
                throw MongeError.invalidArgument(name: "SHARD_DIR", message: "\(firstFolder) and \(other) ran different configurations (plan fields differ: \(Array(Set(fields)).sorted().joined(separator: ", ")))")
            }
        }
        let grid = try ReproductionGrid(plans: first.plans, folder: folder, seeded: first.seeded, log: log)
        let all = try grid.units()
        var found: [Unit: (folder: String, output: UnitOutput)] = [:]
        for (shardFolder, record) in records {
            for output in record.outputs {
                let unit = Unit(seedIndex: output.seedIndex, unit: output.output.unit)
                if let earlier = found[unit] {
                    throw MongeError.invalidArgument(name: "SHARD_DIR", message: "unit \"\(output.output.name)\" appears in both \(earlier.folder) and \(shardFolder) (a shard given twice?)")
                }
                found[unit] = (shardFolder, output)
            }
        }
        let missing = all.indices.filter { found[all[$0]] == nil }
        if !missing.isEmpty {
            let names = try missing.prefix(8).map { i -> String in
                let unit = all[i]
                let name = try grid.reproduction(unit.seedIndex).name(of: unit.unit)
                return "\"\(name)\" (shard \(i % firstSpec.count + 1)/\(firstSpec.count))"
            }
            throw MongeError.invalidArgument(name: "SHARD_DIR", message: "\(missing.count) of the grid's \(all.count) units are missing: "
                + names.joined(separator: ", ") + (missing.count > 8 ? ", …" : "") + " — run or pass the missing shards")
        }
        guard found.count == all.count else {
            throw MongeError.invalidArgument(name: "SHARD_DIR", message: "the shards hold units that are not in the grid")
        }
        try beforeWriting(grid)
        // Arrays and figures into place, then the tables from the rows.
        var runs: [Reproduction.Summary] = []
        for k in grid.plans.indices {
            var outputs: [Reproduction.UnitOutput] = []
            for unit in all where unit.seedIndex == k {
                let (shardFolder, output) = found[unit]!
                for file in output.output.files {
                    try copy(grid.seedFolder(k, in: shardFolder) + "/" + file, to: grid.seedFolder(k) + "/" + file)
                }
                outputs.append(output.output)
            }
            runs.append(try grid.reproduction(k).assemble(outputs))
        }
        log("merge: \(records.count) shard(s), \(all.count) units, into \(folder)")
        return (grid, try grid.summarise(runs))
    }

    /// The seeds summary (seeded grids) over the per-seed tables.
    func summarise(_ runs: [Reproduction.Summary]) throws -> Summary {
        guard seeded else { return Summary(runs: runs, seedResults: nil, seedOracleResults: nil, seedCycleResults: nil, files: []) }
        // One row per cell; the per-seed columns that are not measurements are left out.
        let keys = ["kind", "pair", "solver", "steps"], excluded: Set<String> = ["n", "seed", "bridge_s", "ot_s"]
        let results = try ResultsTable.seedIntervals(runs.map(\.results), keys: keys, excluded: excluded)
        let oracle = try ResultsTable.seedIntervals(runs.map(\.oracleResults), keys: keys, excluded: excluded)
        let cycles = try ResultsTable.seedIntervals(runs.map(\.cycleResults), keys: CycleEvaluation.keys, excluded: CycleEvaluation.excluded)
        let files = try results.write(stem: folder + "/results_seeds") + oracle.write(stem: folder + "/oracle_results_seeds")
            + cycles.write(stem: folder + "/cycle_results_seeds")
        return Summary(runs: runs, seedResults: results, seedOracleResults: oracle, seedCycleResults: cycles, files: files)
    }

    /// The running program: its version and the FNV-1a of its executable.
    public static func binaryIdentity() -> String {
        let path = FileManager.default.fileExists(atPath: "/proc/self/exe") ? "/proc/self/exe" : (Bundle.main.executablePath ?? "")
        let digest = (try? FNV1a64.digest(ofFile: path))?.hex ?? "unknown"
        return "monge \(MongeVersion.string) \(digest)"
    }

    static func seedList(_ record: ShardRecord) -> String {
        record.plans.map { String($0.seed) }.joined(separator: ",")
    }

    /// The top-level fields in which two plans differ.
    static func differingFields(_ a: ReproductionPlan, _ b: ReproductionPlan) throws -> [String] {
        func object(_ plan: ReproductionPlan) throws -> [String: Any] {
            (try JSONSerialization.jsonObject(with: Data(try Reproduction.json(plan).utf8)) as? [String: Any]) ?? [:]
        }
        let (x, y) = (try object(a), try object(b))
        return Set(x.keys).union(y.keys).filter { key in
            guard let u = x[key], let v = y[key] else { return true }
            let encode = { (value: Any) in try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]) }
            return encode(u) != encode(v)
        }.sorted()
    }

    static func copy(_ source: String, to destination: String) throws {
        let manager = FileManager.default
        guard manager.fileExists(atPath: source) else {
            throw MongeError.invalidFile(path: source, location: nil, message: "is listed in its shard's record but missing")
        }
        let parent = (destination as NSString).deletingLastPathComponent
        try manager.createDirectory(atPath: parent, withIntermediateDirectories: true)
        // Copied beside, then renamed over: the destination is whole or as it was.
        let temporary = parent + "/.\((destination as NSString).lastPathComponent).merge-\(getpid())"
        try? manager.removeItem(atPath: temporary)
        try manager.copyItem(atPath: source, toPath: temporary)
        guard rename(temporary, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            try? manager.removeItem(atPath: temporary)
            throw MongeError.invalidFile(path: destination, location: nil, message: "cannot be written: \(reason)")
        }
    }
}

/// What a finished shard ran: `shard.json` in its folder.
struct ShardRecord: Codable, Sendable {
    static let currentFormat = 1
    let format: Int
    /// "K/N".
    let shard: String
    let seeded: Bool
    let binary: String
    let plans: [ReproductionPlan]
    let outputs: [ReproductionGrid.UnitOutput]
}
