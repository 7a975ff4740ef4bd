import Foundation

/// Checks that the output files of one command are different files, before anything is written.
///
/// Two options naming the same file (`--plan X --map X`, `./x.npy` and `x.npy`, a symlinked folder)
/// would leave only the last one written, so paths are compared after standardising them and
/// resolving symbolic links in their folders.
public enum OutputPaths {
    /// Throws `MongeError.invalidArgument` naming both options when two given paths resolve to
    /// the same file; `nil` paths (options not given) are skipped.
    public static func checkDistinct(_ outputs: [(option: String, path: String?)]) throws {
        var seen: [(option: String, path: String, resolved: String)] = []
        for (option, path) in outputs {
            guard let path else { continue }
            let resolved = Self.resolved(path)
            if let first = seen.first(where: { $0.resolved == resolved }) {
                let same = first.path == path ? "\(path)" : "\(first.path) and \(path) (both \(resolved))"
                throw MongeError.invalidArgument(name: "\(first.option) and \(option)", message:
                    "both name the same file \(same); give each output its own file")
            }
            seen.append((option, path, resolved))
        }
    }

    /// The absolute, standardised path with symbolic links resolved in its folder (and in the
    /// file itself when it exists), so that two spellings of one file compare equal.
    public static func resolved(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let folder = url.deletingLastPathComponent().resolvingSymlinksInPath()
        return folder.appendingPathComponent(url.lastPathComponent).resolvingSymlinksInPath().standardizedFileURL.path
    }
}
