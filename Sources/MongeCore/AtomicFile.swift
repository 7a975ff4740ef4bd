import Foundation

/// Atomic file output: write to a temporary file in the destination's folder, then rename.
///
/// A crash or a thrown error leaves either the previous file or no file, never half of one.
public enum AtomicFile {
    /// Writes `data` to `path` atomically, creating the parent folder if needed.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { temporaryPath in
            guard FileManager.default.createFile(atPath: temporaryPath, contents: data) else {
                throw MongeError.writeFailed(path: path, message: "cannot create a temporary file beside it")
            }
        }
    }

    /// Writes a UTF-8 string to `path` atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Calls `produce` with a temporary path in the destination's folder; when it returns
    /// without throwing, renames the temporary file onto `path`. When it throws, the
    /// temporary file is removed and `path` is left untouched.
    public static func write(to path: String, _ produce: (String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw MongeError.writeFailed(path: path, message: "cannot create folder \(folder.path): \(error.localizedDescription)")
        }
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try produce(temporary.path)
            guard rename(temporary.path, url.path) == 0 else {
                let reason = String(cString: strerror(errno))
                throw MongeError.writeFailed(path: path, message: reason)
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    /// Reads a whole file, with an error that names it when it is missing or unreadable.
    public static func read(_ path: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else {
            throw MongeError.invalidFile(path: path, location: nil, message: "no such file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MongeError.invalidFile(path: path, location: nil, message: "cannot be read")
        }
        return data
    }
}
