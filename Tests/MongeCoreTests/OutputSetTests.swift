import Foundation
import MongeCore
import TestSupport
import Testing

@Suite("Output sets and manifests")
struct OutputSetTests {
    struct Kill: Error {}

    static func text(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    /// A run writing `a.txt` and `b.txt` with `<a.txt>.manifest.json`, holding `content`.
    static func run(_ folder: String, _ content: String, killAfter step: String? = nil) throws {
        var outputs = OutputSet()
        try outputs.add(Data((content + " a").utf8), to: folder + "/a.txt")
        try outputs.add(Data((content + " b").utf8), to: folder + "/b.txt")
        var manifest = RunManifest.begin(command: "test", arguments: [content])
        manifest.finish(outputs: outputs.paths)
        try outputs.commit(manifest: manifest, beside: [folder + "/a.txt"]) { done in
            if done == step { throw Kill() }
        }
    }

    @Test func aFailingProducerWritesNothing() throws {
        let folder = TestSupport.temporaryFolder()
        try Self.run(folder, "old")
        let before = TestSupport.files(in: folder)
        var outputs = OutputSet()
        try outputs.add(Data("new".utf8), to: folder + "/a.txt")
        try outputs.add(folder + "/b.txt") { _ in throw Kill() }
        #expect(throws: Kill.self) { try outputs.commit(manifest: RunManifest.begin(command: "test"), beside: [folder + "/a.txt"]) }
        #expect(TestSupport.files(in: folder) == before)
        #expect(Self.text(folder + "/a.txt") == "old a" && Self.text(folder + "/b.txt") == "old b")
        #expect(try RunManifest.read(folder + "/a.txt.manifest.json").arguments == ["old"])
    }

    @Test func theManifestRecordsEachFileAndSeesAChange() throws {
        let folder = TestSupport.temporaryFolder()
        try Self.run(folder, "one")
        let manifest = try RunManifest.read(folder + "/a.txt.manifest.json")
        #expect(manifest.files?.keys.sorted() == ["a.txt", "b.txt"])
        #expect(manifest.files?["a.txt"] == RunManifest.FileDigest(bytes: 5, fnv1a64: FNV1a64.hex(of: Data("one a".utf8))))
        // FNV-1a 64 of "a" (the published test vector).
        #expect(FNV1a64.hex(of: Data("a".utf8)) == "af63dc4c8601ec8c")
        #expect(try RunManifest.mismatches(folder + "/a.txt.manifest.json").isEmpty)
        try "two b".write(toFile: folder + "/b.txt", atomically: true, encoding: .utf8)
        #expect(try RunManifest.mismatches(folder + "/a.txt.manifest.json") == ["b.txt"])
    }

    /// A kill after any step of a commit leaves no manifest beside outputs it does not describe:
    /// either none, or one whose sizes and hashes match the files.
    @Test func aKillAtAnyStepLeavesDataAndManifestConsistent() throws {
        for step in ["produced", "removed manifests", "renamed", "wrote manifests"] {
            let folder = TestSupport.temporaryFolder()
            try Self.run(folder, "old")
            #expect(throws: Kill.self) { try Self.run(folder, "new", killAfter: step) }
            let manifest = folder + "/a.txt.manifest.json"
            if FileManager.default.fileExists(atPath: manifest) {
                #expect(try RunManifest.mismatches(manifest).isEmpty, "after \(step)")
                let expected = try RunManifest.read(manifest).arguments == ["old"] ? "old" : "new"
                #expect(Self.text(folder + "/a.txt") == expected + " a", "after \(step)")
            } else {
                #expect(step == "removed manifests" || step == "renamed", "after \(step)")
            }
            #expect(!TestSupport.files(in: folder).contains { $0.contains(".tmp-") }, "after \(step)")
        }
    }

    @Test func oneFileForTwoOutputsIsRefused() throws {
        let folder = TestSupport.temporaryFolder()
        var outputs = OutputSet()
        try outputs.add(Data("x".utf8), to: folder + "/same.npy")
        #expect { try outputs.add(Data("y".utf8), to: folder + "/./same.npy") } throws: { error in
            "\(error)".contains("same.npy") && "\(error)".contains("two outputs")
        }
    }

    @Test func aMatrixTakesTheFormatOfItsDestination() throws {
        let folder = TestSupport.temporaryFolder()
        let m = Matrix<Double>([[1, 2], [3, 4.5]])
        var outputs = OutputSet()
        try outputs.add(m, to: folder + "/m.npy")
        try outputs.add(m, to: folder + "/m.csv", header: ["x", "y"])
        try outputs.commit()
        #expect(try ArrayFile.readMatrix(folder + "/m.npy", as: Double.self) == m)
        #expect(try ArrayFile.readMatrix(folder + "/m.csv", as: Double.self) == m)
        #expect(Self.text(folder + "/m.csv")?.hasPrefix("x,y\n") == true)
        #expect(TestSupport.files(in: folder) == ["m.csv", "m.npy"])
    }
}
