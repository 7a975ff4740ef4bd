import Foundation
import MongeCore

/// The JSON manifest written beside a `monge data` output (`FILE.manifest.json`): what produced
/// the file, so that it can be reproduced. (Interim writer until MongeCore's RunManifest lands.)
enum DataManifest {
    static func write(beside output: String, command: String, arguments: [String], dataset: String,
                      parameters: [String: Double], n: Int, seed: UInt64, outputs: [String], started: Date) throws {
        let object: [String: Any] = [
            "command": command,
            "arguments": Array(arguments.dropFirst()),
            "version": MongeVersion.string,
            "dataset": dataset,
            "parameters": parameters,
            "n": n,
            "seed": seed,
            "outputs": outputs,
            "seconds": Date().timeIntervalSince(started),
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(data, to: output + ".manifest.json")
    }
}
