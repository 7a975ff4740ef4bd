import Foundation

/// What produced an output: the command and its arguments, the seed, the code version and
/// commit, when it ran and for how long, on what machine, and free-form parameters and results.
///
/// Written beside every output as `<output>.manifest.json` (pretty, key-sorted JSON), so that
/// any file of a study can be traced and re-run; one manifest per process merges easily across
/// the cells of an experiment grid.
///
///     var manifest = RunManifest.begin(command: "monge data", arguments: args, seed: 7)
///     … write points.npy …
///     manifest.finish(outputs: ["points.npy"], results: ["count": 1000])
///     try manifest.write(beside: "points.npy", describing: ["points.npy"])
///
/// **Consistency rule** (data and manifest after a kill at any point): a command removes the old
/// manifest *before* it replaces any output it describes, writes its outputs (each atomically),
/// and writes the new manifest *last*, with the size and FNV-1a hash of every output (`files`).
/// So a manifest on disk never describes outputs it did not see written: a kill leaves either the
/// old outputs with their old manifest, or outputs without a manifest (the run did not finish;
/// re-run it), or the new outputs with the new manifest. A file edited or replaced later by another
/// command shows as a mismatch of its size or hash (`RunManifest.mismatches`). `OutputSet` applies
/// the rule for a command's set of files.
public struct RunManifest: Codable, Equatable, Sendable {
    /// The subcommand, e.g. "monge data".
    public var command: String
    public var arguments: [String]
    public var seed: UInt64?
    /// `MongeVersion.string` of the code that ran.
    public var version: String
    /// `git rev-parse HEAD` of the code, or nil when it does not run from a git checkout.
    public var gitCommit: String?
    /// When the run began, ISO 8601 in UTC with milliseconds.
    public var startTime: String
    /// Wall-clock duration, set by `finish`.
    public var seconds: Double?
    public var outputs: [String]
    public var host: Host
    /// Inputs beyond the arguments: resolved defaults, configuration values.
    public var parameters: [String: JSONValue]
    /// Numbers the run produced: costs, metrics, iteration counts.
    public var results: [String: JSONValue]
    /// The size and hash of each output as written, keyed by its path relative to the manifest's
    /// folder; nil in manifests written without them (before this field existed).
    public var files: [String: FileDigest]?

    /// What an output held when the manifest was written.
    public struct FileDigest: Codable, Equatable, Sendable {
        public var bytes: Int
        /// `FNV1a64` of the file's bytes, 16 hexadecimal digits.
        public var fnv1a64: String

        public init(bytes: Int, fnv1a64: String) {
            self.bytes = bytes
            self.fnv1a64 = fnv1a64
        }

        /// The digest of the file at `path`.
        public init(ofFile path: String) throws {
            let digest = try FNV1a64.digest(ofFile: path)
            self.init(bytes: digest.bytes, fnv1a64: digest.hex)
        }
    }

    /// The machine a run used.
    public struct Host: Codable, Equatable, Sendable {
        public var cores: Int
        /// `Parallel.threadCount` (`MONGE_THREADS` or the core count).
        public var threads: Int
        public var operatingSystem: String

        private enum CodingKeys: String, CodingKey {
            case cores, threads, operatingSystem = "operating_system"
        }

        /// The camelCase key of manifests written before the snake_case convention, still read.
        private enum LegacyKeys: String, CodingKey {
            case operatingSystem
        }

        public init(cores: Int, threads: Int, operatingSystem: String) {
            self.cores = cores
            self.threads = threads
            self.operatingSystem = operatingSystem
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let legacy = try decoder.container(keyedBy: LegacyKeys.self)
            cores = try container.decode(Int.self, forKey: .cores)
            threads = try container.decode(Int.self, forKey: .threads)
            if let name = try legacy.decodeIfPresent(String.self, forKey: .operatingSystem), !container.contains(.operatingSystem) {
                operatingSystem = name
            } else {
                operatingSystem = try container.decode(String.self, forKey: .operatingSystem)
            }
        }

        /// This machine.
        public static var current: Host {
            Host(cores: ProcessInfo.processInfo.activeProcessorCount, threads: Parallel.threadCount,
                 operatingSystem: ProcessInfo.processInfo.operatingSystemVersionString)
        }
    }

    /// Monotonic clock reading at `begin`, for `seconds`; not written.
    private var startUptime: UInt64?

    /// The keys as written: snake_case, like every JSON file and output of Monge.
    private enum CodingKeys: String, CodingKey {
        case command, arguments, seed, version, gitCommit = "git_commit", startTime = "start_time", seconds, outputs, host,
             parameters, results, files
    }

    /// The camelCase keys of manifests written before the snake_case convention, still read.
    private enum LegacyKeys: String, CodingKey {
        case gitCommit, startTime
    }

    /// Starts the record of a run: now, on this machine, with this code.
    public static func begin(command: String, arguments: [String] = Array(CommandLine.arguments.dropFirst()),
                             seed: UInt64? = nil, parameters: [String: JSONValue] = [:]) -> RunManifest {
        let startUptime = DispatchTime.now().uptimeNanoseconds  // before `git rev-parse`, which takes milliseconds
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return RunManifest(command: command, arguments: arguments, seed: seed, version: MongeVersion.string,
                           gitCommit: GitCommit.current(), startTime: formatter.string(from: Date()), seconds: nil,
                           outputs: [], host: .current, parameters: parameters, results: [:], files: nil,
                           startUptime: startUptime)
    }

    /// Records the outputs and results and the time elapsed since `begin`.
    public mutating func finish(outputs: [String], results: [String: JSONValue] = [:]) {
        self.outputs = outputs
        self.results.merge(results) { _, new in new }
        if let startUptime {
            seconds = Double(DispatchTime.now().uptimeNanoseconds - startUptime) / 1e9
        }
    }

    /// The manifest path for an output: `<output>.manifest.json`.
    public static func path(beside outputPath: String) -> String {
        outputPath + ".manifest.json"
    }

    /// Writes `<output>.manifest.json` atomically; returns its path.
    @discardableResult
    public func write(beside outputPath: String) throws -> String {
        let path = RunManifest.path(beside: outputPath)
        try write(to: path)
        return path
    }

    /// Writes `<output>.manifest.json` with the digests of `outputs` (the files as they are now:
    /// call it after writing them); returns its path.
    @discardableResult
    public func write(beside outputPath: String, describing outputs: [String]) throws -> String {
        let path = RunManifest.path(beside: outputPath)
        try write(to: path, describing: outputs)
        return path
    }

    /// Writes the manifest to `path` with the digests of `outputs`, keyed relative to its folder.
    public func write(to path: String, describing outputs: [String]) throws {
        var manifest = self
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.path
        var files: [String: FileDigest] = [:]
        for output in outputs {
            files[RunManifest.relativePath(of: output, from: folder)] = try FileDigest(ofFile: output)
        }
        manifest.files = files
        try manifest.write(to: path)
    }

    /// Removes the manifest at `path` (missing is fine), and makes the removal durable: the
    /// first step before replacing the outputs it describes.
    public static func remove(at path: String) throws {
        if unlink(path) != 0 && errno != ENOENT {
            throw MongeError.writeFailed(path: path, message: "cannot remove the old manifest: \(String(cString: strerror(errno)))")
        }
        try AtomicFile.syncFolder(of: path)
    }

    /// The outputs listed in `files` of the manifest at `path` that are missing or differ in size
    /// or hash from what it recorded; empty when every file is as written. A manifest without
    /// `files` (an older one) cannot be checked and gives an empty list.
    public static func mismatches(_ path: String) throws -> [String] {
        let manifest = try read(path)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        return (manifest.files ?? [:]).keys.sorted().filter { name in
            let file = name.hasPrefix("/") ? name : folder.appendingPathComponent(name).path
            return (try? FileDigest(ofFile: file)) != manifest.files?[name]
        }
    }

    /// `path` relative to `folder` (both made absolute), with `..` where needed.
    static func relativePath(of path: String, from folder: String) -> String {
        let target = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
        let base = URL(fileURLWithPath: folder).standardizedFileURL.pathComponents
        var common = 0
        while common < min(target.count - 1, base.count) && target[common] == base[common] { common += 1 }
        let parts = Array(repeating: "..", count: base.count - common) + target[common...]
        return parts.joined(separator: "/")
    }

    /// Writes the manifest atomically as pretty, key-sorted JSON.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do {
            data = try encoder.encode(self)
        } catch let EncodingError.invalidValue(value, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw MongeError.writeFailed(path: path, message: "\(field) is \(value), which JSON cannot hold (a non-finite number?)")
        }
        try AtomicFile.write(data + Data("\n".utf8), to: path)
    }

    /// Reads a manifest written by `write`.
    public static func read(_ path: String) throws -> RunManifest {
        let data = try AtomicFile.read(path)
        do {
            return try JSONDecoder().decode(RunManifest.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw MongeError.invalidFile(path: path, location: key.stringValue, message: "missing; expected a run manifest")
        } catch let DecodingError.typeMismatch(type, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw MongeError.invalidFile(path: path, location: field, message: "expected a value of type \(type)")
        } catch {
            throw MongeError.invalidFile(path: path, location: nil, message: "expected a run manifest (JSON): \(error.localizedDescription)")
        }
    }

    public static func == (lhs: RunManifest, rhs: RunManifest) -> Bool {
        lhs.command == rhs.command && lhs.arguments == rhs.arguments && lhs.seed == rhs.seed
            && lhs.version == rhs.version && lhs.gitCommit == rhs.gitCommit && lhs.startTime == rhs.startTime
            && lhs.seconds == rhs.seconds && lhs.outputs == rhs.outputs && lhs.host == rhs.host
            && lhs.parameters == rhs.parameters && lhs.results == rhs.results && lhs.files == rhs.files
    }
}

extension RunManifest {
    /// Reads the snake_case keys, or the camelCase ones of older manifests.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let legacy = try decoder.container(keyedBy: LegacyKeys.self)
        command = try container.decode(String.self, forKey: .command)
        arguments = try container.decode([String].self, forKey: .arguments)
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed)
        version = try container.decode(String.self, forKey: .version)
        gitCommit = try container.decodeIfPresent(String.self, forKey: .gitCommit)
            ?? legacy.decodeIfPresent(String.self, forKey: .gitCommit)
        if container.contains(.startTime) {
            startTime = try container.decode(String.self, forKey: .startTime)
        } else if legacy.contains(.startTime) {
            startTime = try legacy.decode(String.self, forKey: .startTime)
        } else {
            startTime = try container.decode(String.self, forKey: .startTime)  // throws keyNotFound(start_time)
        }
        seconds = try container.decodeIfPresent(Double.self, forKey: .seconds)
        outputs = try container.decode([String].self, forKey: .outputs)
        host = try container.decode(Host.self, forKey: .host)
        parameters = try container.decode([String: JSONValue].self, forKey: .parameters)
        results = try container.decode([String: JSONValue].self, forKey: .results)
        files = try container.decodeIfPresent([String: FileDigest].self, forKey: .files)
        startUptime = nil
    }
}

/// The commit of the code that runs, read with `git rev-parse HEAD`.
enum GitCommit {
    /// The commit of the package holding the executable, else of the current folder; nil when
    /// neither is a git checkout or git is not installed. Never throws.
    static func current() -> String? {
        var folders: [String] = []
        if let executable = Bundle.main.executableURL { folders.append(executable.deletingLastPathComponent().path) }
        folders.append(FileManager.default.currentDirectoryPath)
        for folder in folders {
            if let commit = revParseHead(in: folder) { return commit }
        }
        return nil
    }

    static func revParseHead(in folder: String) -> String? {
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let git = searchPath.split(separator: ":").map({ "\($0)/git" })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: git)
        process.arguments = ["rev-parse", "HEAD"]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let commit = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let isHex = !commit.isEmpty && commit.allSatisfy { $0.isHexDigit }
        return isHex && (commit.count == 40 || commit.count == 64) ? commit : nil
    }
}
