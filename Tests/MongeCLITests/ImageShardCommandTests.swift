import Foundation
import MongeCore
import Testing
import TestSupport

/// Issue 16 for the image reproductions: `reproduce ddib-images` and `ddib-digits` split with
/// `--shard K/N` and merged with `monge merge` give the tables, arrays and figure data of one
/// process (timing columns aside), with each model trained once in the shared folder.
@Suite("monge reproduce ddib-images/ddib-digits --shard and monge merge")
struct ImageShardCommandTests {
    /// Tiny Fashion-MNIST images (pooled to 14 × 14, cropped to 8 × 8), a width-8 U-Net, T = 50, a few steps.
    static let images = ["reproduce", "ddib-images", "--quick", "--pairs", "7:9", "--crop", "8", "--width", "8", "--T", "50",
                         "--training-steps", "8", "--batch", "16", "--n", "12", "--transport-images", "16", "--ddib-steps", "2", "--heun-steps", "2",
                         "--edit-steps", "2", "--held-out", "16", "--training-images", "48", "--classifier-images", "320",
                         "--domain-images", "64", "--seeds", "0,1", "--quiet",
                         "--cells", "ddib_ddim,ddib_heun,sdedit,egsde,exact_ot"]
    static let digits = ["reproduce", "ddib-digits", "--training-steps", "10", "--n", "10", "--pairs", "3:8,8:3",
                         "--cells", "ddim:3,heun:2", "--quiet"]
    static let timing: Set<String> = ["bridge_s", "ot_s", "cycle_s", "seconds"]

    /// A CSV table without its timing columns.
    static func withoutTiming(_ path: String) throws -> [[Substring]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false)
        let keep = header.indices.filter { !timing.contains(String(header[$0])) }
        return lines.map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            return keep.map { fields[$0] }
        }
    }

    static func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// Runs `grid` whole into `folder/whole` and as 3 shards into `folder/sharded`, then merges.
    static func wholeAndMerged(_ grid: [String], in folder: String) throws -> (whole: TestSupport.ProcessResult, merge: TestSupport.ProcessResult, shards: [TestSupport.ProcessResult]) {
        let root = TestSupport.packageRoot
        let whole = try TestSupport.monge(grid + ["--out", folder + "/whole"], currentDirectory: root)
        #expect(whole.status == 0, "\(whole.stderr)")
        var shards: [TestSupport.ProcessResult] = []
        for k in 1...3 {
            let shard = try TestSupport.monge(grid.filter { $0 != "--quiet" } + ["--out", folder + "/sharded", "--shard", "\(k)/3"], currentDirectory: root)
            #expect(shard.status == 0, "\(shard.stderr)")
            #expect(FileManager.default.fileExists(atPath: folder + "/sharded/shard-\(k)-of-3/shard.json"))
            shards.append(shard)
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/sharded/results.csv"), "shards write no tables")
        let merge = try TestSupport.monge(["merge", folder + "/sharded"] + (1...3).map { folder + "/sharded/shard-\($0)-of-3" }, currentDirectory: root)
        #expect(merge.status == 0, "\(merge.stderr)")
        return (whole, merge, shards)
    }

    @Test func imageShardsMergedEqualOneProcess() throws {
        let folder = TestSupport.temporaryFolder("monge-cli-image-shards")
        let (whole, merge, shards) = try Self.wholeAndMerged(Self.images, in: folder)
        let (a, b) = (folder + "/whole/", folder + "/sharded/")
        let table = try Self.withoutTiming(a + "results.csv")
        #expect(table.count == 1 + 2 * 2 * 5, "\(table.count) rows")
        #expect(try Self.withoutTiming(b + "results.csv") == table)
        // Any split: shard 8 of 8 meets a seed-1 unit first (the 3 shards all begin with seed 0),
        // and its rows are still the one-process rows — no unit depends on what ran before it.
        let eighth = try TestSupport.monge(Self.images + ["--out", folder + "/sharded", "--shard", "8/8"])
        #expect(eighth.status == 0, "\(eighth.stderr)")
        let record = try #require(try JSONSerialization.jsonObject(with: Self.bytes(b + "shard-8-of-8/shard.json")) as? [String: Any])
        var checked = 0
        for entry in record["outputs"] as? [[String: Any]] ?? [] {
            guard let output = entry["output"] as? [String: Any], let row = output["row"] as? [String: [String: Any]], !row.isEmpty else { continue }
            let fields = table[0].map { column -> Substring in
                let cell = row[String(column)] ?? [:]
                if let x = cell["number"] as? String { return Substring(x == "nan" ? "" : x) }
                if let i = cell["integer"] as? Int { return Substring(String(i)) }
                return Substring(cell["text"] as? String ?? "?")
            }
            #expect(table.contains(fields), "\(output["name"] ?? "?"): \(fields)")
            checked += 1
        }
        #expect(checked == 2, "units 8 and 16 of 22")
        for file in ["plan.json", "maps/7__9/ddib_heun.npy", "maps/9__7/egsde.npy", "maps/9__7/sdedit_cycled.npy",
                     "figures/translations_7__9.png.dat", "figures/cycles_9__7.png.dat", "figures/loss_7.png.dat"] {
            #expect(try Self.bytes(a + file) == Self.bytes(b + file), "\(file)")
        }
        for file in ["manifest.json", "figures/translations_9__7.png", "figures/loss_9.png"] {
            #expect(FileManager.default.fileExists(atPath: b + file), "missing \(file)")
        }
        let manifest = try String(contentsOfFile: b + "manifest.json", encoding: .utf8)
        #expect(manifest.contains("monge merge ddib-images") && manifest.contains("classifier_test_accuracy") && manifest.contains("maps/7__9/exact_ot.npy"), "\(manifest)")
        // Every model was trained once in the shared folder: the other shards waited or reused it.
        let log = shards.map(\.stderr).joined()
        // (Each process that needs a model logs "[train …]" once, then trains it or reuses it.)
        for (c, name) in [(7, "sneaker"), (9, "ankle-boot")] {
            let asked = log.components(separatedBy: "] \(name) (\(c)):").count - 1
            let reused = log.components(separatedBy: "reusing the sealed checkpoint of the same config in \(folder)/sharded/models/class-\(c)\n").count - 1
            #expect(asked >= 2 && asked - reused == 1, "class \(c) asked for \(asked) times, reused \(reused) times: \(log)")
        }
        #expect(whole.stdout.contains("check sneaker → ankle-boot ddib_ddim") && merge.stdout.contains("check sneaker → ankle-boot ddib_ddim"))
    }

    @Test func digitShardsMergedEqualOneProcess() throws {
        let folder = TestSupport.temporaryFolder("monge-cli-digit-shards")
        _ = try Self.wholeAndMerged(Self.digits, in: folder)
        let (a, b) = (folder + "/whole/", folder + "/sharded/")
        let table = try Self.withoutTiming(a + "results.csv")
        #expect(table.count == 1 + 2 * 2 * 2, "\(table.count) rows")
        #expect(try Self.withoutTiming(b + "results.csv") == table)
        for file in ["plan.json", "pairs/3__8/heun-2/mapped.npy", "pairs/8__3/ddim-3/cycled.npy", "figures/translations_8__3.png.gp"] {
            #expect(try Self.bytes(a + file) == Self.bytes(b + file), "\(file)")
        }
        for file in ["manifest.json", "figures/samples_3.png", "figures/data_8.png", "figures/translations_3__8.png"] {
            #expect(FileManager.default.fileExists(atPath: b + file), "missing \(file)")
        }
    }

    @Test func aMissingImageShardIsNamed() throws {
        let folder = TestSupport.temporaryFolder("monge-cli-image-shards") + "/run"
        let grid = Self.images.filter { $0 != "0,1" && $0 != "--seeds" }
        for k in [1, 3] {
            let r = try TestSupport.monge(grid + ["--out", folder, "--shard", "\(k)/3"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let missing = try TestSupport.monge(["merge", folder, folder + "/shard-1-of-3", folder + "/shard-3-of-3"])
        // Units 1, 4, 7, … (0-based) belong to shard 2: the model of 9, then seed 0's maps.
        #expect(missing.status != 0 && missing.stderr.contains("units are missing") && missing.stderr.contains("\"model of ankle-boot (9)\" (shard 2/3)")
                && missing.stderr.contains("\"seed 0 sneaker → ankle-boot sdedit\" (shard 2/3)"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/results.csv"), "a refused merge writes nothing")
        // A shard of another experiment.
        let digits = try TestSupport.monge(Self.digits + ["--out", folder + "/../digits", "--shard", "2/3"], currentDirectory: TestSupport.packageRoot)
        #expect(digits.status == 0, "\(digits.stderr)")
        let mixed = try TestSupport.monge(["merge", folder, folder + "/shard-1-of-3", folder + "/../digits/shard-2-of-3"])
        #expect(mixed.status != 0 && mixed.stderr.contains("different experiments"), "\(mixed.stderr)")
    }
}
