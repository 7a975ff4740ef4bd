import Foundation

/// The one pipeline of every reproduction: a `GridExperiment` over seeds × units, run whole in one
/// process or split into shards that a scheduler (Slurm job arrays, GNU parallel) runs anywhere
/// the run folder is shared, then merged into the very tables one process writes.
///
/// Layout of `folder`: with one plan the experiment's own layout; with `seeded` (one plan per
/// seed), `seed_<s>/` holds each seed's experiment and the experiment's `seedTables` (e.g.
/// `results_seeds.*`) the per-cell means and intervals. A shard K of N writes its units' arrays
/// and figures to `shard-K-of-N/` (`seed_<s>/` inside when seeded) and its record `shard.json`
/// last; the models live in the run folder, where every shard finds them.
public struct ExperimentGrid<Experiment: GridExperiment> {
    /// One experiment per plan (per seed when `seeded`).
    public private(set) var experiments: [Experiment]
    public let folder: String
    /// Seeds as an axis: per-seed folders and the interval tables.
    public let seeded: Bool
    public let log: @Sendable (String) -> Void
    public var showTrainingProgress = true {
        didSet { for k in experiments.indices { experiments[k].showTrainingProgress = showTrainingProgress } }
    }

    public var plans: [Experiment.Plan] { experiments.map(\.plan) }

    public init(plans: [Experiment.Plan], folder: String, seeded: Bool, log: @escaping @Sendable (String) -> Void) throws {
        guard !plans.isEmpty, seeded || plans.count == 1 else {
            throw MongeError.invalidArgument(name: "seeds", message: "a grid needs one plan, or one per seed with seeds as an axis")
        }
        self.folder = folder
        self.seeded = seeded
        self.log = log
        experiments = []
        for plan in plans {
            experiments.append(try Experiment(plan: plan, folder: seeded ? folder + "/seed_\(Experiment.seed(of: plan))" : folder, log: log))
        }
        let seeds = plans.map(Experiment.seed(of:))
        guard Set(seeds).count == seeds.count else {
            throw MongeError.invalidArgument(name: "seeds", message: "\(seeds) repeats a seed")
        }
    }

    /// One unit of the grid: a seed's unit.
    public struct Unit: Hashable, Codable, Sendable {
        public let seedIndex: Int
        public let unit: Experiment.Unit
    }

    /// The output of one unit of the grid.
    public struct UnitOutput: Codable, Sendable {
        public let seedIndex: Int
        public let output: GridUnitOutput<Experiment.Unit>
    }

    /// What a finished grid wrote.
    public struct Summary {
        /// Per seed (one when not seeded).
        public let runs: [Experiment.Summary]
        /// The tables over seeds (seeded grids only), by stem.
        public let seedTables: [(stem: String, table: ResultsTable)]
        /// Files written at the top of `folder` (the interval tables).
        public let files: [String]

        public func seedTable(_ stem: String) -> ResultsTable? { seedTables.first { $0.stem == stem }?.table }
    }

    /// The folder of seed `k`'s experiment (`root` is the run folder or a shard's folder).
    public func seedFolder(_ k: Int, in root: String? = nil) -> String {
        let root = root ?? folder
        return seeded ? root + "/seed_\(Experiment.seed(of: experiments[k].plan))" : root
    }

    /// Every unit in the grid's fixed order: seeds, then each seed's units.
    public func units() -> [Unit] {
        experiments.indices.flatMap { k in experiments[k].units.map { Unit(seedIndex: k, unit: $0) } }
    }

    /// The unit's name in logs and merge reports.
    public func name(of unit: Unit) -> String { experiments[unit.seedIndex].name(of: unit.unit) }

    /// Runs the whole grid in `folder`.
    public func run() throws -> Summary {
        var runs: [Experiment.Summary] = []
        for (k, experiment) in experiments.enumerated() {
            if seeded { log("reproduce: seed \(Experiment.seed(of: experiment.plan)) (\(k + 1)/\(experiments.count))") }
            runs.append(try experiment.run())
        }
        return try summarise(runs)
    }

    /// Runs shard `shard` of the grid: its units' arrays and figures go to `folder/shard-K-of-N`,
    /// then `shard.json` with their rows (written last: a shard without it did not finish).
    /// `binary` identifies the program (`binaryIdentity()`), so that a merge refuses shards of
    /// different builds. Returns the shard's folder.
    @discardableResult
    public func runShard(_ shard: ShardSpec, binary: String) throws -> String {
        let shardFolder = folder + "/" + shard.folderName
        let record = shardFolder + "/shard.json"
        try? FileManager.default.removeItem(atPath: record)  // it will describe files about to change
        let all = units()
        let mine = all.indices.filter { shard.contains(unit: $0) }
        log("reproduce: shard \(shard) runs \(mine.count) of the grid's \(all.count) units into \(shardFolder)")
        var outputs: [UnitOutput] = []
        for (position, i) in mine.enumerated() {
            let unit = all[i]
            let output = try experiments[unit.seedIndex].run(unit.unit, into: seedFolder(unit.seedIndex, in: shardFolder),
                                                             position: (position + 1, mine.count))
            outputs.append(UnitOutput(seedIndex: unit.seedIndex, output: output))
        }
        let shardRecord = ShardRecord(format: ShardHeader.currentFormat, experiment: Experiment.experimentName, shard: shard.description,
                                      seeded: seeded, binary: binary, plans: plans, outputs: outputs)
        try AtomicFile.write(try Reproduction.json(shardRecord), to: record)
        return shardFolder
    }

    /// Combines finished shards into `folder`: copies their arrays and figures and writes the
    /// tables and figures that one unsharded run writes, from the same rows.
    ///
    /// - Throws: `MongeError` naming the problem when a folder is no finished shard, shards ran
    ///   different experiments, configurations, seeds, shard counts or binaries, or units are
    ///   missing or appear twice (named, with the shard that should have run them).
    public static func merge(into folder: String, shards: [String], log: @escaping @Sendable (String) -> Void,
                             beforeWriting: (ExperimentGrid) throws -> Void = { _ in }) throws -> (grid: ExperimentGrid, summary: Summary) {
        guard !shards.isEmpty else {
            throw MongeError.invalidArgument(name: "SHARD_DIR", message: "no shard folders given")
        }
        var records: [(folder: String, record: ShardRecord<Experiment.Plan, UnitOutput>)] = []
        for shardFolder in shards {
            let header = try ShardHeader.read(shardFolder)
            guard header.experiment == Experiment.experimentName else {
                throw MongeError.invalidArgument(name: "SHARD_DIR", message: "\(shards[0]) is a shard of \(Experiment.experimentName) but \(shardFolder) one of \(header.experiment): shards of different experiments")
            }
            let path = shardFolder + "/shard.json"
            do {
                let decoder = JSONDecoder()
                decoder.keyDecodingStrategy = .convertFromSnakeCase
                records.append((shardFolder, try decoder.decode(ShardRecord<Experiment.Plan, UnitOutput>.self,
                                                                from: try Data(contentsOf: URL(fileURLWithPath: path)))))
            } catch {
                throw MongeError.invalidFile(path: path, location: nil, message: "is not a \(Experiment.experimentName) shard record of this version: \(error)")
            }
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
            if record.plans != first.plans {
                let (a, b) = (first.plans.map(Experiment.seed(of:)), record.plans.map(Experiment.seed(of:)))
                if a != b || record.seeded != first.seeded {
                    let list = { (s: [UInt64]) in s.map(String.init).joined(separator: ",") }
                    throw MongeError.invalidArgument(name: "SHARD_DIR", message: "\(firstFolder) and \(other) ran different seeds (\(list(a)) and \(list(b)))")
                }
                let fields = try zip(first.plans, record.plans).flatMap { try Self.differingFields($0, $1) }
                throw MongeError.invalidArgument(name: "SHARD_DIR", message: "\(firstFolder) and \(other) ran different configurations (plan fields differ: \(Array(Set(fields)).sorted().joined(separator: ", ")))")
            }
            if record.seeded != first.seeded {
                throw MongeError.invalidArgument(name: "SHARD_DIR", message: "\(firstFolder) and \(other) ran different seeds (with and without seeds as an axis)")
            }
        }
        var grid = try ExperimentGrid(plans: first.plans, folder: folder, seeded: first.seeded, log: log)
        grid.showTrainingProgress = false
        let all = grid.units()
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
            let names = missing.prefix(8).map { i in "\"\(grid.name(of: all[i]))\" (shard \(i % firstSpec.count + 1)/\(firstSpec.count))" }
            throw MongeError.invalidArgument(name: "SHARD_DIR", message: "\(missing.count) of the grid's \(all.count) units are missing: "
                + names.joined(separator: ", ") + (missing.count > 8 ? ", …" : "") + " — run or pass the missing shards")
        }
        guard found.count == all.count else {
            throw MongeError.invalidArgument(name: "SHARD_DIR", message: "the shards hold units that are not in the grid")
        }
        try beforeWriting(grid)
        // Arrays and figures into place, then the tables from the rows.
        var runs: [Experiment.Summary] = []
        for (k, experiment) in grid.experiments.enumerated() {
            var outputs: [GridUnitOutput<Experiment.Unit>] = []
            for unit in all where unit.seedIndex == k {
                let (shardFolder, output) = found[unit]!
                for file in output.output.files {
                    try copy(grid.seedFolder(k, in: shardFolder) + "/" + file, to: grid.seedFolder(k) + "/" + file)
                }
                outputs.append(output.output)
            }
            runs.append(try experiment.assemble(outputs))
        }
        log("merge: \(records.count) shard(s), \(all.count) units, into \(folder)")
        return (grid, try grid.summarise(runs))
    }

    /// The seeds summary (seeded grids) over the per-seed summaries.
    func summarise(_ runs: [Experiment.Summary]) throws -> Summary {
        guard seeded else { return Summary(runs: runs, seedTables: [], files: []) }
        let tables = try Experiment.seedTables(runs, folder: folder)
        var files: [String] = []
        for (stem, table) in tables { files += try table.write(stem: folder + "/" + stem) }
        return Summary(runs: runs, seedTables: tables, files: files)
    }

    /// The top-level fields in which two plans differ.
    static func differingFields(_ a: Experiment.Plan, _ b: Experiment.Plan) throws -> [String] {
        func object(_ plan: Experiment.Plan) throws -> [String: Any] {
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

/// `monge reproduce ddib-2d` as a grid.
public typealias ReproductionGrid = ExperimentGrid<Reproduction>

/// The running program: its version and the FNV-1a of its executable (shards of different builds
/// are not merged).
public func binaryIdentity() -> String {
    let path = FileManager.default.fileExists(atPath: "/proc/self/exe") ? "/proc/self/exe" : (Bundle.main.executablePath ?? "")
    let digest = (try? FNV1a64.digest(ofFile: path))?.hex ?? "unknown"
    return "monge \(MongeVersion.string) \(digest)"
}

/// The part of `shard.json` every experiment shares: enough to tell which experiment's merge reads it.
public struct ShardHeader: Codable, Sendable {
    static let currentFormat = 2
    public let format: Int
    /// The experiment's name (`GridExperiment.experimentName`).
    public let experiment: String

    /// The header of the shard in `folder`.
    /// - Throws: `MongeError` when the folder holds no finished shard of this version.
    public static func read(_ folder: String) throws -> ShardHeader {
        let path = folder + "/shard.json"
        guard FileManager.default.fileExists(atPath: path) else {
            throw MongeError.invalidFile(path: folder, location: nil,
                                         message: "holds no shard.json: not a shard folder, or its shard did not finish (re-run it)")
        }
        struct Format: Decodable { let format: Int }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw MongeError.invalidFile(path: path, location: nil, message: "cannot be read: \(error.localizedDescription)")
        }
        guard let format = try? JSONDecoder().decode(Format.self, from: data) else {
            throw MongeError.invalidFile(path: path, location: nil, message: "is not a shard record (no \"format\")")
        }
        guard format.format == currentFormat, let header = try? JSONDecoder().decode(ShardHeader.self, from: data) else {
            throw MongeError.invalidFile(path: path, location: nil, message: "shard record format \(format.format), expected \(currentFormat) (re-run the shard with this monge)")
        }
        return header
    }
}

/// What a finished shard ran: `shard.json` in its folder.
struct ShardRecord<Plan: Codable & Sendable, Output: Codable & Sendable>: Codable, Sendable {
    let format: Int
    let experiment: String
    /// "K/N".
    let shard: String
    let seeded: Bool
    let binary: String
    let plans: [Plan]
    let outputs: [Output]
}
