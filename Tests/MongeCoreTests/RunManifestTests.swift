import Foundation
import MongeCore
import TestSupport
import Testing

@Suite("RunManifest")
struct RunManifestTests {
    let folder = TestSupport.temporaryFolder("manifest")

    @Test func roundTripsThroughItsFile() throws {
        var manifest = RunManifest.begin(command: "monge data", arguments: ["moons", "--count", "1000"], seed: .max,
                                         parameters: ["count": 1000, "noise": 0.05, "schedule": "cosine",
                                                      "flags": [true, nil, 2.5], "grid": ["steps": [10, 20]]])
        manifest.finish(outputs: [folder + "/points.npy"], results: ["cost": 0.123456789012345, "converged": true, "iterations": .integer(.max)])
        let path = try manifest.write(beside: folder + "/points.npy")
        #expect(path == folder + "/points.npy.manifest.json")
        let back = try RunManifest.read(path)
        #expect(back == manifest)
        #expect(back.seed == .max)
        #expect(back.results["iterations"]?.intValue == .max)
        #expect(back.version == MongeVersion.string)
        #expect(back.host.cores == ProcessInfo.processInfo.activeProcessorCount)
        #expect(back.host.threads == Parallel.threadCount)
        let seconds = try #require(back.seconds)
        #expect(seconds >= 0 && seconds < 60)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let start = try #require(formatter.date(from: back.startTime), "startTime \(back.startTime) is not ISO 8601")
        #expect(abs(start.timeIntervalSinceNow) < 60)
    }

    @Test func isPrettyKeySortedJSON() throws {
        var manifest = RunManifest.begin(command: "monge ot", arguments: ["a.npy", "b.npy"])
        manifest.finish(outputs: ["plan.npy"], results: ["z": 1, "a": 2])
        let path = folder + "/m.json"
        try manifest.write(to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("{\n  \"arguments\" : [\n    \"a.npy\",\n    \"b.npy\"\n  ],\n  \"command\" : \"monge ot\",\n"))
        #expect(!text.contains("\"seed\""))  // no seed given
        let topLevelKeys = text.split(separator: "\n").filter { $0.hasPrefix("  \"") }
            .map { $0.dropFirst(3).prefix { $0 != "\"" } }
        #expect(topLevelKeys == ["arguments", "command", "git_commit", "host", "outputs", "parameters", "results", "seconds", "start_time", "version"]
                || topLevelKeys == ["arguments", "command", "host", "outputs", "parameters", "results", "seconds", "start_time", "version"])
        #expect(text.contains("\"operating_system\""))
        #expect(text.range(of: "\"a\" : 2")!.lowerBound < text.range(of: "\"z\" : 1")!.lowerBound)
        #expect(text.contains("plan.npy") && text.hasSuffix("}\n"))
    }

    /// Manifests written before the snake_case keys (gitCommit, startTime, operatingSystem) still read.
    @Test func readsTheOlderCamelCaseKeys() throws {
        let path = folder + "/old.manifest.json"
        try AtomicFile.write(Data("""
            {"arguments": [], "command": "monge ot", "gitCommit": "abc", "startTime": "2026-01-01T00:00:00.000Z",
             "seconds": 0.5, "outputs": [], "host": {"cores": 2, "threads": 2, "operatingSystem": "Linux"},
             "parameters": {}, "results": {}, "version": "0"}
            """.utf8), to: path)
        let old = try RunManifest.read(path)
        #expect(old.gitCommit == "abc" && old.startTime == "2026-01-01T00:00:00.000Z" && old.host.operatingSystem == "Linux")
        let missing = folder + "/missing.manifest.json"
        try AtomicFile.write(Data(#"{"arguments": [], "command": "x", "outputs": [], "host": {"cores": 1, "threads": 1, "operating_system": "L"}, "parameters": {}, "results": {}, "version": "0"}"#.utf8), to: missing)
        #expect { try RunManifest.read(missing) } throws: { "\($0)".contains("start_time") }
    }

    @Test func recordsTheGitCommitOfTheCode() throws {
        guard let git = ["/usr/bin/git", "/usr/local/bin/git", "/bin/git"].first(where: FileManager.default.isExecutableFile),
              let head = try? TestSupport.run(git, ["-C", TestSupport.packageRoot, "rev-parse", "HEAD"]), head.status == 0 else {
            return
        }
        #expect(RunManifest.begin(command: "test").gitCommit == head.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func aNonFiniteResultIsRefusedAndLeavesNoFile() throws {
        var manifest = RunManifest.begin(command: "monge compare")
        manifest.finish(outputs: [], results: ["cost": .number(.nan)])
        do {
            try manifest.write(beside: folder + "/table.csv")
            Issue.record("a NaN result was written")
        } catch let MongeError.writeFailed(_, message) {
            #expect(message.contains("results.cost"), "\(message)")
        }
        #expect(TestSupport.files(in: folder).isEmpty)
    }

    @Test func badManifestsAreNamed() throws {
        let path = folder + "/bad.manifest.json"
        try "{\"command\": \"x\"}".write(toFile: path, atomically: false, encoding: .utf8)
        expectInvalidFile(location: "arguments", containing: ["missing"]) { _ = try RunManifest.read(path) }
        try "not json".write(toFile: path, atomically: false, encoding: .utf8)
        expectInvalidFile(location: nil, containing: ["expected a run manifest"]) { _ = try RunManifest.read(path) }
    }
}

@Suite("JSONValue")
struct JSONValueTests {
    @Test func decodesEveryKindAndKeepsIntegersApart() throws {
        let text = #"{"a": 1, "b": true, "c": 1.5, "d": null, "e": "s", "f": [1, 2.5, false], "g": {"h": -3}, "big": 9223372036854775807, "e3": 1e3}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        let expected: JSONValue = ["a": 1, "b": true, "c": 1.5, "d": nil, "e": "s", "f": [1, 2.5, false], "g": ["h": -3],
                                   "big": .integer(.max), "e3": 1000]
        #expect(value == expected)
        guard case let .object(members) = value else { Issue.record("not an object"); return }
        #expect(members["a"] == .integer(1))
        if case .integer = members["a"]! {} else { Issue.record("1 decoded as \(members["a"]!)") }
        if case .bool = members["b"]! {} else { Issue.record("true decoded as \(members["b"]!)") }
        #expect(members["big"]?.intValue == .max)
        #expect(JSONValue.integer(2) == .number(2.0))
        #expect(JSONValue.integer(2) != .number(2.5))
        #expect(JSONValue.integer(1) != .bool(true))
        let reencoded = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
        #expect(reencoded == value)
    }
}
