import Foundation

/// The files a command writes, committed together: nothing is written unless every file could
/// be produced.
///
/// `add` only records how to produce a file. `commit` then (1) produces every file into a
/// temporary file beside its destination and flushes it — any error removes them all and leaves
/// every destination as it was; (2) removes the old manifests; (3) renames the files into place;
/// (4) writes the manifests last, with each file's size and hash (the rule of `RunManifest`).
///
///     var outputs = OutputSet()
///     try outputs.add(matrix, to: "map.npy")   // via ArrayFile, or any producer
///     try outputs.commit(manifest: manifest, beside: outputs.paths)
public struct OutputSet {
    /// One producer of one or more files (a figure writes its image, script and data at once).
    private struct Entry {
        let destinations: [String]
        let produce: ([String]) throws -> Void
    }

    private var entries: [Entry] = []

    public init() {}

    /// The destinations, in the order they were added.
    public var paths: [String] { entries.flatMap(\.destinations) }

    /// Adds a file that `produce` writes to the temporary path it is given.
    public mutating func add(_ path: String, _ produce: @escaping (String) throws -> Void) throws {
        try add([path]) { try produce($0[0]) }
    }

    /// Adds files that one call of `produce` writes, to the temporary paths it is given (in the
    /// order of `paths`).
    public mutating func add(_ paths: [String], _ produce: @escaping ([String]) throws -> Void) throws {
        let known = Set(self.paths.map(Self.canonical))
        var seen = Set<String>()
        for path in paths {
            let key = Self.canonical(path)
            guard !known.contains(key) && seen.insert(key).inserted else {
                throw MongeError.invalidArgument(name: path, message: "is given for two outputs; each output needs its own file")
            }
        }
        entries.append(Entry(destinations: paths, produce: produce))
    }

    /// Adds a file of these bytes.
    public mutating func add(_ data: Data, to path: String) throws {
        try add(path) { temporary in try AtomicFile.writeContents(data, to: temporary, for: path) }
    }

    /// Produces every file, then replaces the destinations; `manifest`, when given, is written
    /// last to each of `manifestPaths` (beside those outputs: `<output>.manifest.json`), with the
    /// digests of every file of the set. `afterStep` is a test hook called after each step
    /// ("produced", "removed manifests", "renamed", "wrote manifests"); a throw there simulates a kill.
    public func commit(manifest: RunManifest? = nil, beside manifestOutputs: [String] = [],
                       afterStep: ((String) throws -> Void)? = nil) throws {
        try commit(manifest: manifest, at: manifestOutputs.map(RunManifest.path(beside:)), afterStep: afterStep)
    }

    /// As `commit(manifest:beside:)`, with the manifests' own paths.
    public func commit(manifest: RunManifest?, at manifestPaths: [String], afterStep: ((String) throws -> Void)? = nil) throws {
        var staged: [(temporary: String, destination: String)] = []
        do {
            for entry in entries {
                let temporaries = try entry.destinations.map { try AtomicFile.temporaryPath(for: $0) }
                staged += zip(temporaries, entry.destinations).map { ($0, $1) }
                do {
                    try entry.produce(temporaries)
                } catch MongeError.writeFailed(let path, let message) {
                    throw MongeError.writeFailed(path: Self.destination(of: path, among: entry.destinations), message: message)
                }
            }
            for (temporary, destination) in staged {
                guard FileManager.default.fileExists(atPath: temporary) else {
                    throw MongeError.writeFailed(path: destination, message: "its producer wrote no file")
                }
                try AtomicFile.sync(temporary, reportingAs: destination)
            }
            try afterStep?("produced")
            // From here on the old files are being replaced: their manifests go first.
            if manifest != nil {
                for path in manifestPaths { try RunManifest.remove(at: path) }
            }
            try afterStep?("removed manifests")
            for (temporary, destination) in staged {
                guard rename(temporary, destination) == 0 else {
                    throw MongeError.writeFailed(path: destination, message: "cannot rename \(temporary) onto it: \(String(cString: strerror(errno)))")
                }
                try AtomicFile.syncFolder(of: destination)
            }
            try afterStep?("renamed")
            if let manifest {
                for path in manifestPaths { try manifest.write(to: path, describing: paths) }
            }
            try afterStep?("wrote manifests")
        } catch {
            for (temporary, _) in staged { unlink(temporary) }  // the renamed ones are gone already
            throw error
        }
    }

    /// The destination whose temporary file (or a temporary of it) `path` is; else `path`, so
    /// that errors name the file the user asked for.
    static func destination(of path: String, among destinations: [String]) -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        return destinations.first { name.hasPrefix("." + URL(fileURLWithPath: $0).lastPathComponent + ".tmp-")
            || name.hasPrefix("..") && name.dropFirst().hasPrefix("." + URL(fileURLWithPath: $0).lastPathComponent + ".tmp-") } ?? path
    }

    /// An absolute, standardised form of `path`, to tell that two spellings name one file.
    static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}

extension OutputSet {
    /// Adds a matrix file in the format its extension names (.npy or .csv, checked now); `header`
    /// names the columns of a .csv file.
    public mutating func add<S: MatrixScalar>(_ matrix: Matrix<S>, to path: String, header: [String]? = nil) throws {
        let fileExtension = try ArrayFile.format(of: path, reading: false)
        try add(path) { temporary in
            if fileExtension == "npy" { try NpyFile.write(matrix, to: temporary) } else { try CSVFile.write(matrix, to: temporary, header: header) }
        }
    }
}
