import Foundation
import MongeCore

/// A peer benchmark process (PyTorch, in Benchmarks/peers/) driven line by line: it prints
/// `ready VERSION`, then answers each command with the seconds the work took. Running the peer
/// in the same session, alternating with Monge rep by rep, makes the ratio robust to the load.
public final class PythonPeer {
    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var buffer = Data()
    /// What the peer reported after `ready` (e.g. its torch version).
    public private(set) var version = ""

    /// Starts `python script ARGUMENTS` and waits for its `ready` line.
    public init(python: String, script: String, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + arguments
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let ready = try readLine()
        guard ready.hasPrefix("ready") else {
            throw MongeError.externalTool(name: "python", message: "the peer \(script) did not start: \(ready)")
        }
        version = String(ready.dropFirst(6))
    }

    private func readLine() throws -> String {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer = Data(buffer[(newline + 1)...])
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw MongeError.externalTool(name: "python", message: "the peer exited") }
            buffer.append(chunk)
        }
    }

    /// Sends one command and returns the seconds the peer reports for it.
    public func ask(_ command: String) throws -> Double {
        input.fileHandleForWriting.write(Data((command + "\n").utf8))
        let reply = try readLine()
        guard let seconds = Double(reply) else {
            throw MongeError.externalTool(name: "python", message: "the peer answered \"\(reply)\" to \"\(command)\"")
        }
        return seconds
    }

    /// Asks the peer to quit and waits for it.
    public func close() {
        input.fileHandleForWriting.write(Data("quit\n".utf8))
        process.waitUntilExit()
    }
}
