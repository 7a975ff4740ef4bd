import Foundation

/// An exclusive claim on a piece of work shared through a folder — e.g. a model that several
/// shards of a grid need: the first shard trains it, the others wait and then reuse it.
///
/// The claim is a directory `<path>.claim` created with `mkdir`, which is atomic on every local
/// and network file system Slurm clusters use; inside it `owner` names the host and process. A
/// claim whose process is gone (same host, no such process) is stale: a killed shard's claim is
/// taken over, so a re-submitted shard finishes the work. A claim held on another host cannot be
/// checked from here; it is waited for (remove `<path>.claim` by hand if that host is gone).
public struct FolderClaim: Sendable {
    /// The claimed path (without `.claim`).
    public let path: String
    let claimFolder: String

    /// Takes the claim on `path`, waiting (polling every `interval` seconds) while a live process
    /// holds it; `waiting` is called once per minute of waiting with the holder's description.
    ///
    /// - Throws: `MongeError` when the claim cannot be created, or is still held after `timeout`
    ///   seconds (no limit by default).
    public static func acquire(_ path: String, interval: Double = 0.5, timeout: Double? = nil,
                               waiting: (_ holder: String) -> Void = { _ in }) throws -> FolderClaim {
        let claimFolder = path + ".claim"
        let parent = (claimFolder as NSString).deletingLastPathComponent
        if !parent.isEmpty {
            do { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) } catch {
                throw MongeError.invalidFile(path: parent, location: nil, message: "cannot create the folder: \(error.localizedDescription)")
            }
        }
        var waited = 0.0, lastReport = -60.0
        while true {
            if mkdir(claimFolder, 0o755) == 0 {
                let owner = Owner.current.line
                do { try AtomicFile.write(owner + "\n", to: claimFolder + "/owner") } catch {
                    rmdir(claimFolder)
                    throw error
                }
                return FolderClaim(path: path, claimFolder: claimFolder)
            }
            let code = errno
            guard code == EEXIST else {
                throw MongeError.invalidFile(path: claimFolder, location: nil, message: "cannot create the claim: \(String(cString: strerror(code)))")
            }
            let text = (try? String(contentsOfFile: claimFolder + "/owner", encoding: .utf8)) ?? ""
            if let holder = Owner(line: text.trimmingCharacters(in: .whitespacesAndNewlines)), holder.isDeadHere {
                // Stale: its process is gone. Remove and race again for it.
                try? FileManager.default.removeItem(atPath: claimFolder)
                continue
            }
            if text.isEmpty, waited >= 10 {
                // A claim without an owner after 10 s: its creator died between mkdir and writing.
                try? FileManager.default.removeItem(atPath: claimFolder)
                continue
            }
            if waited - lastReport >= 60 {
                waiting(text.isEmpty ? "(starting)" : text.trimmingCharacters(in: .whitespacesAndNewlines))
                lastReport = waited
            }
            if let timeout, waited >= timeout {
                throw MongeError.invalidFile(path: claimFolder, location: nil,
                                             message: "is still held by \(text.isEmpty ? "a starting process" : text.trimmingCharacters(in: .whitespacesAndNewlines)) after \(timeout) s")
            }
            Thread.sleep(forTimeInterval: interval)
            waited += interval
        }
    }

    /// Gives the claim up.
    public func release() {
        try? FileManager.default.removeItem(atPath: claimFolder)
    }

    /// Runs `body` holding the claim on `path`.
    public static func holding<T>(_ path: String, waiting: (_ holder: String) -> Void = { _ in },
                                  _ body: () throws -> T) throws -> T {
        let claim = try acquire(path, waiting: waiting)
        defer { claim.release() }
        return try body()
    }

    /// The claim's holder: `host pid`.
    struct Owner: Equatable {
        let host: String
        let pid: Int32

        init(host: String, pid: Int32) {
            self.host = host
            self.pid = pid
        }

        init?(line: String) {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let pid = Int32(parts[1]), pid > 0 else { return nil }
            self.init(host: String(parts[0]), pid: pid)
        }

        static var current: Owner {
            Owner(host: ProcessInfo.processInfo.hostName, pid: getpid())
        }

        var line: String { "\(host) \(pid)" }

        /// On this host and no process with its id is alive.
        var isDeadHere: Bool {
            guard host == ProcessInfo.processInfo.hostName else { return false }
            return kill(pid, 0) != 0 && errno == ESRCH
        }
    }
}
