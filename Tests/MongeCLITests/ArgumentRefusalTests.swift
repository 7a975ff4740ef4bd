import Foundation
import MongeCore
import Testing
import TestSupport

/// Issue 9's command-line cases end to end: the binary refuses them as a usage error (exit 64)
/// before any work, and writes nothing.
@Suite("Argument refusals (binary)")
struct ArgumentRefusalTests {
    static func expectRefused(_ arguments: [String], _ fragments: [String], in folder: String,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = TestSupport.files(in: folder)
        let r = try TestSupport.monge(arguments)
        #expect(r.status == 64, "\(arguments.joined(separator: " ")): exit \(r.status), \(r.stderr)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(r.stderr.contains(fragment), "\(arguments.joined(separator: " ")): \"\(r.stderr)\" lacks \"\(fragment)\"",
                    sourceLocation: sourceLocation)
        }
        #expect(TestSupport.files(in: folder) == before, "\(arguments.joined(separator: " ")) wrote files", sourceLocation: sourceLocation)
    }

    @Test func sizesAreRefusedBeforeAnyWork() throws {
        let folder = TestSupport.temporaryFolder()
        try Self.expectRefused(["sample", "oracle:gaussians25", "--n", "4611686018427387904", "--steps", "10", "--out", folder + "/s.npy"],
                               ["--n 4611686018427387904", "overflows", "physical memory"], in: folder)
        try Self.expectRefused(["sample", "oracle:gaussians25:T=1000000000000", "--n", "10", "--steps", "10", "--out", folder + "/s.npy"],
                               ["T must be a positive integer, at most 1000000"], in: folder)
        try Self.expectRefused(["train", "data:moons", "--depth", "10000000", "--out", folder + "/run"],
                               ["--depth must be in 0…10000, got 10000000"], in: folder)
        try Self.expectRefused(["gan", "--mode", "vanilla", "--samples", "100000000000", "--out", folder + "/gan"],
                               ["--samples 100000000000", "physical memory"], in: folder)
        // Used to train two models before refusing --n.
        try Self.expectRefused(["reproduce", "ddib-2d", "--quick", "--n", "10000000000", "--out", folder + "/r", "--quiet"],
                               ["--n must be in 2…100000000, got 10000000000"], in: folder)
    }

    @Test func unclearErrorsAreClear() throws {
        let folder = TestSupport.temporaryFolder()
        try ArrayFile.write(Matrix<Double>([[0, 0], [1, 1]]), to: folder + "/x.npy")
        let x = folder + "/x.npy"
        try Self.expectRefused(["ot", x, x, "--solver", "sinkhorn", "--epsilon", "-1"], ["--epsilon must be > 0, got -1"], in: folder)
        try Self.expectRefused(["ot", x, x, "--max-iterations", "-5"], ["--max-iterations must be at least 1, got -5"], in: folder)
        try Self.expectRefused(["ot", x, x, "--epsilon", "0.5"], ["--epsilon", "--solver sinkhorn"], in: folder)
        try Self.expectRefused(["sample", x, "--n", "5", "--steps", "5", "--out", folder + "/s.npy"],
                               ["x.npy is a file", "MODEL must be a checkpoint folder", "or an oracle spec"], in: folder)
    }

    @Test func twoOutputsOnOneFileWriteNothing() throws {
        let folder = TestSupport.temporaryFolder()
        try ArrayFile.write(Matrix<Double>([[0, 0], [1, 1]]), to: folder + "/x.npy")
        let x = folder + "/x.npy"
        try Self.expectRefused(["ot", x, x, "--plan", folder + "/o.csv", "--map", folder + "/o.csv"], ["--plan and --map"], in: folder)
        try Self.expectRefused(["translate", "--from", "oracle:gaussians25", "--to", "oracle:gaussians8", x, "--steps", "5",
                                "--latent", folder + "/t.npy", "--out", folder + "/t.npy"], ["--out and --latent"], in: folder)
        // The same commands with distinct outputs run.
        let ot = try TestSupport.monge(["ot", x, x, "--plan", folder + "/p.csv", "--map", folder + "/m.csv", "--quiet"])
        #expect(ot.status == 0, "\(ot.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder + "/p.csv") && FileManager.default.fileExists(atPath: folder + "/m.csv"))
    }
}
