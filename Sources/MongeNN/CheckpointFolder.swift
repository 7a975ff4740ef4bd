import Foundation
import MongeCore

/// What every checkpoint folder (`monge train`'s, the classifiers', MUNIT's, a flow's) does alike: file
/// paths, creating the folder, tensors named by a layout, the pretty config text, and the checks
/// of a config's and a weights file's format, each with an error naming the file and the field.
public enum CheckpointFolder {
    /// `folder/name`.
    public static func path(_ folder: String, _ name: String) -> String {
        URL(fileURLWithPath: folder).appendingPathComponent(name).path
    }

    /// Creates `folder` (and its parents) when missing.
    public static func create(_ folder: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw MongeError.writeFailed(path: folder, message: "cannot create the folder: \(error.localizedDescription)")
        }
    }

    /// One F32 tensor per layout entry, named `prefix` + the entry's name, of the entry's shape.
    public static func tensors(_ layout: ParameterLayout, _ values: [Float], prefix: String = "") throws -> [String: NDArray] {
        var tensors: [String: NDArray] = [:]
        for entry in layout.entries {
            tensors[prefix + entry.name] = try NDArray(shape: entry.shape, values: Array(values[entry.range]))
        }
        return tensors
    }

    /// A config as written: pretty-printed JSON with sorted keys and a final newline.
    public static func configText(_ config: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(config) + Data("\n".utf8)
    }

    /// Throws unless `file` (a folder's config) exists: "missing: not a `monge <command>` output folder".
    public static func requireConfig(_ file: String, madeBy command: String) throws {
        guard FileManager.default.fileExists(atPath: file) else {
            throw MongeError.invalidFile(path: file, location: nil, message: "missing: not a `\(command)` output folder")
        }
    }

    /// Runs a config's own checks (`validate()` of its parts), reporting a failure as the file's.
    public static func validate(_ file: String, _ checks: () throws -> Void) throws {
        do { try checks() } catch let error as MongeError {
            throw MongeError.invalidFile(path: file, location: nil, message: error.description)
        }
    }

    /// Throws unless the weights file's metadata names `format`.
    public static func checkFormat(_ metadata: [String: String], _ format: String, file: String) throws {
        guard metadata["format"] == format else {
            throw MongeError.invalidFile(path: file, location: "metadata",
                                         message: "format is \(metadata["format"].map { "\"\($0)\"" } ?? "missing"), expected \"\(format)\"")
        }
    }
}
