import Foundation
import MongeCore

/// Fixtures shared by the test targets: temporary folders, the `monge` binary, Python.
public enum TestSupport {
    /// Every permutation of 0..<n (Heap's algorithm), for brute-force checks of small assignments.
    public static func permutations(_ n: Int) -> [[Int]] {
        var a = Array(0..<n), out: [[Int]] = [a], c = [Int](repeating: 0, count: n), i = 0
        while i < n {
            if c[i] < i {
                a.swapAt(i % 2 == 0 ? 0 : c[i], i)
                out.append(a)
                c[i] += 1
                i = 0
            } else {
                c[i] = 0
                i += 1
            }
        }
        return out
    }

    /// A fresh empty folder inside this test process's scratch folder, which is removed when the
    /// process exits (and, should it crash, by the next test process).
    public static func temporaryFolder(_ label: String = "monge-test") -> String {
        let path = scratchRoot + "/\(label)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private static let scratchPrefix = "monge-tests-"

    /// `$TMPDIR/monge-tests-<pid>-<uuid>`, created on first use; scratch folders of test processes
    /// that no longer run are removed then.
    private static let scratchRoot: String = {
        let fm = FileManager.default
        let temporary = NSTemporaryDirectory()
        for name in (try? fm.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix(scratchPrefix) {
            let fields = name.dropFirst(scratchPrefix.count).split(separator: "-", maxSplits: 1)
            if let pid = fields.first.flatMap({ Int32($0) }), kill(pid, 0) != 0, errno == ESRCH {
                try? fm.removeItem(atPath: temporary + name)
            }
        }
        let root = temporary + scratchPrefix + "\(getpid())-\(UUID().uuidString)"
        try! fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        removeAtExit = root
        atexit { if let root = TestSupport.removeAtExit { try? FileManager.default.removeItem(atPath: root) } }
        return root
    }()

    nonisolated(unsafe) private static var removeAtExit: String?

    /// The package's root folder (two levels above this file's folder).
    public static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    /// The `monge` executable: `$MONGE_BINARY`, else the one beside the test bundle.
    public static var mongeBinary: String? {
        let fm = FileManager.default
        if let path = ProcessInfo.processInfo.environment["MONGE_BINARY"], fm.isExecutableFile(atPath: path) {
            return path
        }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [beside, beside.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("monge").path
            if fm.isExecutableFile(atPath: path) { return path }
        }
        for configuration in ["release", "debug"] {
            let path = packageRoot + "/.build/\(configuration)/monge"
            if fm.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// A Python interpreter with numpy: `$MONGE_PYTHON`, else the repository's `.venv`, else
    /// `python3` when it can import numpy; `nil` when there is none.
    public static var pythonWithNumpy: String? {
        var candidates: [String] = []
        if let p = ProcessInfo.processInfo.environment["MONGE_PYTHON"] { candidates.append(p) }
        candidates.append(packageRoot + "/.venv/bin/python")
        candidates.append("/usr/bin/python3")
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            if let r = try? run(candidate, ["-c", "import numpy"]), r.status == 0 { return candidate }
        }
        return nil
    }

    public struct ProcessResult: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs `executable` with `arguments` and waits; stdout and stderr are captured.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           currentDirectory: String? = nil) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        try process.run()
        // Read both pipes concurrently so that neither fills up and blocks the child.
        final class Box: @unchecked Sendable { var data = Data() }
        let err = Box()
        let done = DispatchSemaphore(value: 0)
        let errHandle = errPipe.fileHandleForReading
        Thread { err.data = errHandle.readDataToEndOfFile(); done.signal() }.start()
        let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        done.wait()
        let errData = err.data
        return ProcessResult(status: process.terminationStatus,
                             stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs the `monge` binary; fails the calling test with a clear message when it is not built.
    public static func monge(_ arguments: [String], currentDirectory: String? = nil) throws -> ProcessResult {
        guard let binary = mongeBinary else {
            throw MongeError.externalTool(name: "monge", message: "binary not found: run `swift build -c release` (or `make test`)")
        }
        return try run(binary, arguments, currentDirectory: currentDirectory)
    }

    /// The lines of a results CSV file split into fields, the header first; empty fields are kept
    /// (an interval with one seed). The project's results files quote nothing.
    public static func csvRows(_ path: String) throws -> [[String]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    /// The files in `folder` (names only, sorted), for asserting that nothing was left behind.
    public static func files(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }
}
