import Foundation
import MongeCore
import Testing
import TestSupport

/// Issue 16: a grid split with `--shard K/N` and merged with `monge merge` gives the tables of one
/// process; bad splits and merges are refused by name.
@Suite("monge reproduce --shard and monge merge")
struct ShardMergeCommandTests {
    static let grid = ["reproduce", "ddib-2d", "--quick", "--n", "48", "--training-steps", "20", "--training-points", "256",
                       "--pairs", "moons:checkerboard,checkerboard:moons", "--cells", "ddim:4,heun:3,ddim:6",
                       "--oracle-cells", "ddim:4,heun:3", "--quiet"]
    static let tables = ["results", "oracle_results"]
    static let timing: Set<String> = ["bridge_s", "ot_s", "cycle_s"]

    /// A CSV table without its timing columns (which differ between any two runs).
    static func withoutTiming(_ path: String) throws -> [[Substring]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false)
        let keep = header.indices.filter { !timing.contains(String(header[$0])) }
        return lines.map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            return keep.map { fields[$0] }
        }
    }

    @Test func threeShardsMergedEqualOneProcess() throws {
        let folder = TestSupport.temporaryFolder()
        let seeds = ["--seeds", "0,1"]
        let whole = try TestSupport.monge(Self.grid + seeds + ["--out", folder + "/whole"])
        #expect(whole.status == 0, "\(whole.stderr)")
        for k in 1...3 {
            let shard = try TestSupport.monge(Self.grid + seeds + ["--out", folder + "/sharded", "--shard", "\(k)/3"])
            #expect(shard.status == 0, "\(shard.stderr)")
            #expect(FileManager.default.fileExists(atPath: folder + "/sharded/shard-\(k)-of-3/shard.json"))
        }
        // Shards write no tables of their own; the merge does.
        #expect(!FileManager.default.fileExists(atPath: folder + "/sharded/seed_0/results.csv"))
        let merge = try TestSupport.monge(["merge", folder + "/sharded"] + (1...3).map { folder + "/sharded/shard-\($0)-of-3" })
        #expect(merge.status == 0, "\(merge.stderr)")
        for file in ["seed_0/results", "seed_1/results", "seed_0/oracle_results", "seed_1/oracle_results", "seed_0/cycle_results"] {
            #expect(try Self.withoutTiming(folder + "/whole/\(file).csv") == Self.withoutTiming(folder + "/sharded/\(file).csv"), "\(file)")
        }
        // The interval tables hold no timing columns: byte for byte.
        for file in ["results_seeds.csv", "results_seeds.md", "results_seeds.json", "oracle_results_seeds.csv", "cycle_results_seeds.csv",
                     "seed_1/plan.json"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/whole/" + file))
                    == Data(contentsOf: URL(fileURLWithPath: folder + "/sharded/" + file)), "\(file)")
        }
        for file in ["seed_0/pairs/checkerboard__moons/ddim-6/mapped.npy", "seed_1/pairs/moons__checkerboard/heun-3/cycled.npy"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/whole/" + file))
                    == Data(contentsOf: URL(fileURLWithPath: folder + "/sharded/" + file)), "\(file)")
        }
        for file in ["manifest.json", "seed_0/manifest.json", "seed_1/figures/map_moons__checkerboard.png", "seed_0/figures/oracle_map_2.png"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/sharded/" + file), "missing \(file)")
        }
        #expect(merge.stdout == whole.stdout, "the merge prints the same interval tables")
    }

    /// A shard killed before its record and re-submitted finishes without retraining the models
    /// other shards (or its first attempt) finished; a killed trainer's claim is taken over.
    @Test func aResubmittedShardReusesFinishedModels() throws {
        let folder = TestSupport.temporaryFolder() + "/run"
        let first = try TestSupport.monge(Self.grid + ["--out", folder, "--shard", "1/2"])
        #expect(first.status == 0, "\(first.stderr)")
        // Shard 2 "killed": no record, and a claim left by a dead process on one model.
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        try FileManager.default.createDirectory(atPath: folder + "/models/moons.claim", withIntermediateDirectories: true)
        try "\(ProcessInfo.processInfo.hostName) \(dead.processIdentifier)\n".write(toFile: folder + "/models/moons.claim/owner", atomically: true, encoding: .utf8)
        let weights = folder + "/models/moons/model.safetensors"
        let before = try FileManager.default.attributesOfItem(atPath: weights)[.modificationDate] as? Date
        let second = try TestSupport.monge(Self.grid.filter { $0 != "--quiet" } + ["--out", folder, "--shard", "2/2"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("reusing the finished checkpoint in \(folder)/models/moons"), "\(second.stderr)")
        #expect(!second.stderr.contains("step 1/"), "a model was retrained: \(second.stderr)")
        let after = try FileManager.default.attributesOfItem(atPath: weights)[.modificationDate] as? Date
        #expect(before == after)
        let merge = try TestSupport.monge(["merge", folder, folder + "/shard-1-of-2", folder + "/shard-2-of-2"])
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(try Self.withoutTiming(folder + "/results.csv").count == 1 + 2 * 3)
    }

    @Test func badSplitsAndMergesAreNamed() throws {
        let folder = TestSupport.temporaryFolder()
        for (spec, expected) in [("0/4", "from 1, not 0"), ("5/4", "numbered 1…4"), ("x/y", "expected K/N")] {
            let r = try TestSupport.monge(Self.grid + ["--out", folder + "/bad", "--shard", spec])
            #expect(r.status != 0 && r.stderr.contains(expected), "\(spec): \(r.stderr)")
        }
        let run = folder + "/run"
        for k in 1...2 {
            let r = try TestSupport.monge(Self.grid + ["--out", run, "--shard", "\(k)/2"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        // A missing shard: its units are named, with the shard that runs them.
        let missing = try TestSupport.monge(["merge", run, run + "/shard-1-of-2"])
        #expect(missing.status != 0 && missing.stderr.contains("units are missing") && missing.stderr.contains("(shard 2/2)")
                && missing.stderr.contains("seed 0 trained moons → checkerboard heun:3"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: run + "/results.csv"), "a refused merge writes nothing")
        // A shard of another configuration.
        let other = try TestSupport.monge(Self.grid + ["--out", folder + "/other", "--shard", "2/2", "--n", "40"])
        #expect(other.status == 0, "\(other.stderr)")
        let mixed = try TestSupport.monge(["merge", run, run + "/shard-1-of-2", folder + "/other/shard-2-of-2"])
        #expect(mixed.status != 0 && mixed.stderr.contains("different configurations") && mixed.stderr.contains("translation_points"), "\(mixed.stderr)")
        // A shard twice (a copy), a split of another N, a folder that is no finished shard.
        try FileManager.default.copyItem(atPath: run + "/shard-1-of-2", toPath: folder + "/copy")
        let twice = try TestSupport.monge(["merge", run, run + "/shard-1-of-2", folder + "/copy", run + "/shard-2-of-2"])
        #expect(twice.status != 0 && twice.stderr.contains("appears in both"), "\(twice.stderr)")
        let three = try TestSupport.monge(Self.grid + ["--out", folder + "/three", "--shard", "1/3"])
        #expect(three.status == 0, "\(three.stderr)")
        let split = try TestSupport.monge(["merge", run, run + "/shard-1-of-2", folder + "/three/shard-1-of-3"])
        #expect(split.status != 0 && split.stderr.contains("different splits"), "\(split.stderr)")
        let none = try TestSupport.monge(["merge", run, folder])
        #expect(none.status != 0 && none.stderr.contains("holds no shard.json"), "\(none.stderr)")
        let seeds = try TestSupport.monge(Self.grid + ["--out", folder + "/seeds", "--seeds", "3", "--shard", "2/2"])
        #expect(seeds.status == 0, "\(seeds.stderr)")
        let seedMix = try TestSupport.monge(["merge", run, run + "/shard-1-of-2", folder + "/seeds/shard-2-of-2"])
        #expect(seedMix.status != 0 && seedMix.stderr.contains("different seeds"), "\(seedMix.stderr)")
    }
}
