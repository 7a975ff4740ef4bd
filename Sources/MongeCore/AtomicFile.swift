import Foundation

/// Atomic, durable file output: write to a temporary file in the destination's folder, flush it
/// to the disk (fsync), rename it onto the destination, then flush the folder.
///
/// A crash, a kill or a thrown error leaves either the previous file or the new one, never half of
/// one; once `write` returns, the new file survives a power loss. Temporary files are named
/// `.NAME.tmp-PID-RAND`; those of processes that no longer run (a kill, a crash) are removed by
/// the next write into the same folder (a process of another PID namespace writing into the same
/// folder would look dead: do not share an output folder across containers while both write).
/// Only that pattern is ever removed. (Monge writes the
/// bytes itself: Foundation's `FileManager.createFile`, used before, made its own `.dat.nosync…`
/// temporaries, which a kill left behind.)
public enum AtomicFile {
    /// Writes `data` to `path` atomically, creating the parent folder if needed.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { temporary in try writeContents(data, to: temporary, for: path) }
    }

    /// Writes a UTF-8 string to `path` atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Calls `produce` with a temporary path in the destination's folder; when it returns
    /// without throwing, flushes the temporary file and renames it onto `path`. When it throws,
    /// the temporary file is removed and `path` is left untouched.
    public static func write(to path: String, _ produce: (String) throws -> Void) throws {
        let temporary = try temporaryPath(for: path)
        do {
            try produce(temporary)
            try commit(temporary, onto: path)
        } catch {
            unlink(temporary)
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

    // MARK: The steps, shared with `OutputSet`

    /// A fresh temporary path beside `path` (`.NAME.tmp-PID-RAND`), after creating the folder and
    /// removing the temporary files that dead processes left in it.
    static func temporaryPath(for path: String) throws -> String {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw MongeError.writeFailed(path: path, message: "cannot create folder \(folder.path): \(error.localizedDescription)")
        }
        removeStaleTemporaries(in: folder.path)
        return folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
    }

    /// Flushes `temporary` to the disk, renames it onto `path` and flushes the folder.
    static func commit(_ temporary: String, onto path: String) throws {
        try sync(temporary, reportingAs: path)
        guard rename(temporary, path) == 0 else {
            throw MongeError.writeFailed(path: path, message: "cannot rename \(temporary) onto it: \(String(cString: strerror(errno)))")
        }
        try syncFolder(of: path)
    }

    /// Writes `data` to the file `temporary` (created or truncated), reporting failures for `path`
    /// with the system's reason (e.g. "No space left on device").
    static func writeContents(_ data: Data, to temporary: String, for path: String) throws {
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw MongeError.writeFailed(path: path, message: "cannot create a temporary file beside it: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else {
                    let reason = written < 0 ? String(cString: strerror(errno)) : "the system wrote nothing"
                    throw MongeError.writeFailed(path: path, message: "cannot write a temporary file beside it: \(reason)")
                }
                offset += written
            }
        }
    }

    /// fsync(2) of a file, so that a rename after it never exposes an empty or partial file.
    static func sync(_ file: String, reportingAs path: String) throws {
        let descriptor = open(file, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw MongeError.writeFailed(path: path, message: "cannot open \(file) to flush it: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw MongeError.writeFailed(path: path, message: "cannot flush it to the disk: \(String(cString: strerror(errno)))")
        }
    }

    /// fsync(2) of the folder holding `path`, so that a rename in it is durable.
    static func syncFolder(of path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }  // a folder that cannot be opened cannot be flushed; the rename happened
        defer { close(descriptor) }
        // Some file systems refuse fsync on folders (EINVAL); the data themselves are flushed.
        if fsync(descriptor) != 0 && errno != EINVAL {
            throw MongeError.writeFailed(path: path, message: "cannot flush folder \(folder): \(String(cString: strerror(errno)))")
        }
    }

    /// The process id in a name of Monge's temporary pattern `.NAME.tmp-PID-RAND` (followed by
    /// nothing, or by a suffix a helper added to it), else nil.
    static func temporaryOwner(_ name: String) -> pid_t? {
        guard name.hasPrefix("."), let marker = name.range(of: ".tmp-", options: .backwards),
              marker.lowerBound > name.index(after: name.startIndex) else { return nil }
        let fields = name[marker.upperBound...].split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard fields.count == 2, let pid = pid_t(fields[0]), pid > 0,
              let random = fields[1].prefix(while: \.isNumber).nonEmpty, UInt32(random) != nil else { return nil }
        return pid
    }

    /// Removes the files of Monge's temporary pattern in `folder` whose process no longer runs
    /// (kill(pid, 0) fails with ESRCH). A live process's files, and every other file, are kept.
    public static func removeStaleTemporaries(in folder: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names {
            guard let pid = temporaryOwner(name), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                unlink(URL(fileURLWithPath: folder).appendingPathComponent(name).path)
            }
        }
    }
}

/// write(2), named apart from `AtomicFile.write`.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

private extension Substring {
    var nonEmpty: Substring? { isEmpty ? nil : self }
}
