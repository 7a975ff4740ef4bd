import Foundation

/// A config sealed into a checkpoint's metadata: the config's canonical JSON (compact, sorted
/// keys) and that JSON's FNV-1a 64 hash. Checked when the weights are loaded, so that a config
/// file edited or swapped after training (another T, β range or activation) is refused instead of
/// silently sampling something else; the stored JSON names what changed.
public struct ConfigSeal: Equatable, Sendable {
    /// Metadata keys of the hash and of the JSON.
    public static let hashKey = "config_fnv1a64"
    public static let jsonKey = "config"

    public let json: String
    public let hash: String

    /// The seal of `value` (the part of a config that gives the weights their meaning).
    public init<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        json = String(decoding: data, as: UTF8.self)
        hash = FNV1a64.hex(of: data)
    }

    /// The two metadata entries.
    public var metadata: [String: String] { [Self.hashKey: hash, Self.jsonKey: json] }

    /// Checks that `metadata` (of `weightsFile`) holds this seal. Returns false when it holds none
    /// (a checkpoint written before seals: unverified); throws an error naming `configFile` when
    /// it holds another, listing the fields that differ when the stored JSON tells them.
    public func verify(metadata: [String: String], configFile: String, weightsFile: String) throws -> Bool {
        guard let stored = metadata[Self.hashKey] else { return false }
        if stored == hash { return true }
        let weightsName = URL(fileURLWithPath: weightsFile).lastPathComponent
        var message = "does not match the weights in \(weightsName) (its config hash \(stored), this file's \(hash))"
        if let storedJSON = metadata[Self.jsonKey],
           let old = try? JSONDecoder().decode(JSONValue.self, from: Data(storedJSON.utf8)),
           let new = try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) {
            let changes = Self.differences(old, new, path: "")
            if !changes.isEmpty {
                message += "; changed since training: " + changes.prefix(4).joined(separator: ", ")
                    + (changes.count > 4 ? " and \(changes.count - 4) more" : "")
            }
        }
        throw MongeError.invalidFile(path: configFile, location: nil,
                                     message: message + "; restore the config the weights were trained with, or train again")
    }

    /// "field: weights A, file B" for every leaf where `old` (the weights') and `new` differ.
    static func differences(_ old: JSONValue, _ new: JSONValue, path: String) -> [String] {
        switch (old, new) {
        case let (.object(a), .object(b)):
            return Set(a.keys).union(b.keys).sorted().flatMap { key in
                differences(a[key] ?? .null, b[key] ?? .null, path: path.isEmpty ? key : path + "." + key)
            }
        case let (.array(a), .array(b)) where a.count == b.count:
            return zip(a, b).enumerated().flatMap { differences($1.0, $1.1, path: path + "[\($0)]") }
        default:
            return old == new ? [] : ["\(path.isEmpty ? "config" : path): weights \(old), file \(new)"]
        }
    }
}
