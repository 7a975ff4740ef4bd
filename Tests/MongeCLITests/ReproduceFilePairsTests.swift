import Foundation
import MongeCore
import Testing
import TestSupport

/// `monge reproduce ddib-2d --pairs A.csv:B.csv`: the reproduction on the user's own files.
@Suite("monge reproduce ddib-2d on point files")
struct ReproduceFilePairsTests {
    /// `rows` points of a noisy ring of radius `radius` as CSV (header x,y).
    static func ring(_ path: String, rows: Int, radius: Double, seed: UInt64) throws {
        let noise: Matrix<Double> = RandomStream(seed: seed).normalMatrix(rows: rows, columns: 2)
        let lines = (0..<rows).map { i -> String in
            let angle = 2 * Double.pi * Double(i) / Double(rows)
            return "\(radius * cos(angle) + 0.05 * noise[i, 0]),\(radius * sin(angle) + 0.05 * noise[i, 1])"
        }
        try ("x,y\n" + lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    static let tiny = ["--quick", "--n", "16", "--training-steps", "20", "--cells", "ddim:4,ddim:8", "--oracle-cells", "ddim:4", "--quiet"]

    @Test func filesGiveTheTableAndFigures() throws {
        let folder = TestSupport.temporaryFolder()
        try Self.ring(folder + "/inner.csv", rows: 120, radius: 0.5, seed: 1)
        try Self.ring(folder + "/outer.csv", rows: 100, radius: 2, seed: 2)
        let out = folder + "/run"
        let r = try TestSupport.monge(["reproduce", "ddib-2d", "--out", out, "--seed", "7",
                                       "--pairs", "\(folder)/inner.csv:\(folder)/outer.csv,\(folder)/outer.csv:moons"] + Self.tiny)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try String(contentsOfFile: out + "/results.csv", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = lines[0]
        let (pair, steps, n) = (header.firstIndex(of: "pair")!, header.firstIndex(of: "steps")!, header.firstIndex(of: "n")!)
        #expect(lines.dropFirst().map { "\($0[pair]) \($0[steps])" }
                == ["inner.csv → outer.csv 4", "inner.csv → outer.csv 8", "outer.csv → moons 4", "outer.csv → moons 8"])
        #expect(lines.dropFirst().allSatisfy { $0[n] == "16" && $0.allSatisfy { !$0.isEmpty } })
        #expect(r.stdout.contains("| trained | inner.csv → outer.csv | ddim | 8 |"), "\(r.stdout)")
        // No paper cycle pair among the files: the cycles of the translation pairs.
        let cycles = try String(contentsOfFile: out + "/cycle_results.csv", encoding: .utf8).split(separator: "\n")
        #expect(cycles.dropFirst().map { String($0.prefix { $0 != "," }) } == ["inner.csv → outer.csv", "outer.csv → moons"])
        for file in ["figures/map_inner.csv__outer.csv.png", "figures/trajectories_inner.csv__outer.csv.png",
                     "models/inner.csv/model.safetensors", "models/outer.csv/model.safetensors",
                     "pairs/inner.csv__outer.csv/ddim-8/mapped.npy"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "missing \(file)")
        }
        // The figure's title carries the seed given (7), not the pair's derived sampling seed.
        let script = try String(contentsOfFile: out + "/figures/map_inner.csv__outer.csv.png.gp", encoding: .utf8)
        #expect(script.contains("(n = 16, seed = 7, steps = 8)"), "\(script.prefix(2000))")
        // The plan records each file with its content hash and split; the model trained on the
        // training rows (half of 120 and of 100 held out at most; 2·16 = 32 wanted).
        let plan = try String(contentsOfFile: out + "/plan.json", encoding: .utf8)
        #expect(plan.contains("\"content_hash\"") && plan.contains("\"held_out\" : 32"), "\(plan)")
        let config = try String(contentsOfFile: out + "/models/inner.csv/config.json", encoding: .utf8)
        #expect(config.contains("\"rows\" : 88") || config.contains("\"rows\":88"), "\(config.prefix(3000))")
    }

    @Test func aBadFileIsRefusedBeforeTraining() throws {
        let folder = TestSupport.temporaryFolder()
        try Self.ring(folder + "/good.csv", rows: 60, radius: 1, seed: 1)
        try "x,y,z\n1,2,3\n4,5,6\n".write(toFile: folder + "/wide.csv", atomically: true, encoding: .utf8)
        let out = folder + "/run"
        let r = try TestSupport.monge(["reproduce", "ddib-2d", "--out", out, "--pairs", "\(folder)/good.csv:\(folder)/wide.csv"] + Self.tiny)
        #expect(r.status != 0)
        #expect(r.stderr.contains("wide.csv") && r.stderr.contains("3 columns"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out), "nothing written before the check")
        // Too few held-out rows for --n names the file and the largest n that fits.
        try Self.ring(folder + "/small.csv", rows: 40, radius: 2, seed: 3)
        let n = try TestSupport.monge(["reproduce", "ddib-2d", "--out", out, "--pairs", "\(folder)/good.csv:\(folder)/small.csv",
                                       "--quick", "--n", "16", "--quiet"])
        #expect(n.status != 0 && n.stderr.contains("small.csv") && n.stderr.contains("--n ≤ 10"), "\(n.stderr)")
    }

    /// Shards of runs on different contents of a file refuse to merge (the content hash is in the plan).
    @Test func shardsOfDifferentFilesRefuseToMerge() throws {
        let folder = TestSupport.temporaryFolder()
        let a = folder + "/a.csv", b = folder + "/b.csv"
        try Self.ring(a, rows: 60, radius: 0.5, seed: 1)
        try Self.ring(b, rows: 60, radius: 2, seed: 2)
        let small = ["--quick", "--n", "8", "--training-steps", "5", "--cells", "ddim:2", "--oracle-cells", "ddim:2", "--quiet",
                     "--pairs", "\(a):\(b)"]
        let first = try TestSupport.monge(["reproduce", "ddib-2d", "--out", folder + "/one", "--shard", "1/2"] + small)
        #expect(first.status == 0, "\(first.stderr)")
        try Self.ring(b, rows: 60, radius: 3, seed: 2)  // b changes between the shards
        let second = try TestSupport.monge(["reproduce", "ddib-2d", "--out", folder + "/two", "--shard", "2/2"] + small)
        #expect(second.status == 0, "\(second.stderr)")
        let merge = try TestSupport.monge(["merge", folder + "/merged", folder + "/one/shard-1-of-2", folder + "/two/shard-2-of-2"])
        #expect(merge.status != 0)
        #expect(merge.stderr.contains("different configurations") && merge.stderr.contains("files"), "\(merge.stderr)")
    }
}
