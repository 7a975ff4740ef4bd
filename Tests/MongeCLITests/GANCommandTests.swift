import Foundation
import MongeCore
import Testing
import TestSupport

@Suite("monge gan")
struct GANCommandTests {
    static let small = ["--steps", "20", "--batch", "32", "--width", "16", "--samples", "300", "--data-points", "500", "--quiet"]

    @Test(arguments: ["vanilla", "diffusion"])
    func writesSamplesMetricsAndManifest(_ mode: String) throws {
        let folder = TestSupport.temporaryFolder()
        let run = try TestSupport.monge(["gan", "--mode", mode, "--seed", "2", "--out", folder + "/out"] + Self.small)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("gan \(mode):") && run.stdout.contains("/25 modes"), "\(run.stdout)")
        let figure = mode == "diffusion" ? ["T.png", "T.png.dat", "T.png.gp"] : []
        #expect(TestSupport.files(in: folder + "/out") == figure + ["log.csv", "metrics.json", "samples.npy", "samples.npy.manifest.json"])
        let samples = try ArrayFile.readMatrix(folder + "/out/samples.npy", as: Double.self)
        #expect(samples.rows == 300 && samples.columns == 2)
        let data = try #require(FileManager.default.contents(atPath: folder + "/out/metrics.json"))
        let metrics = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(metrics["mode"] as? String == mode && metrics["modes"] as? Int == 25 && metrics["samples"] as? Int == 300)
        let counts = try #require(metrics["mode_counts"] as? [Int])
        #expect(counts.count == 25 && counts.filter { $0 > 0 }.count == metrics["modes_covered"] as? Int)
        #expect((metrics["final_t"] is NSNull) == (mode == "vanilla"))
        let log = try String(contentsOfFile: folder + "/out/log.csv", encoding: .utf8).split(separator: "\n")
        #expect(log.first == "step,discriminator_loss,generator_loss,T,p,real_sign" && log.count == 1 + 3)  // steps 0, 10, 19
        // Same seed, same samples.
        let again = try TestSupport.monge(["gan", "--mode", mode, "--seed", "2", "--out", folder + "/again"] + Self.small)
        #expect(again.status == 0)
        #expect(FileManager.default.contents(atPath: folder + "/again/samples.npy") == FileManager.default.contents(atPath: folder + "/out/samples.npy"))
    }

    @Test func badArgumentsAreNamedAndWriteNothing() throws {
        let folder = TestSupport.temporaryFolder()
        for (arguments, name) in [(["--mode", "wasserstein"], "--mode"), (["--mode", "vanilla", "--steps", "0"], "--steps"),
                                  (["--mode", "diffusion", "--batch", "0"], "--batch"), (["--mode", "vanilla", "--lr", "-1"], "--lr"),
                                  (["--mode", "diffusion", "--noise-sd", "0"], "--noise-sd"), (["--mode", "diffusion", "--d-target", "1"], "--d-target"),
                                  (["--mode", "diffusion", "--t-initial", "9"], "--t-initial"),
                                  (["--mode", "diffusion", "--t-max", "500", "--t-initial", "501"], "--t-initial"),
                                  (["--mode", "diffusion", "--t-max", "5"], "--t-max"), (["--mode", "diffusion", "--t-distribution", "cosine"], "--t-distribution"),
                                  (["--mode", "vanilla", "--seeds", "0,1,1"], "seed 1 is listed twice"),
                                  (["--mode", "vanilla", "--seeds=-2"], "non-negative"), (["--mode", "vanilla", "--seeds", ""], "--seeds"),
                                  (["--mode", "vanilla", "--seeds", "0-2", "--seed", "1"], "--seed or --seeds")] {
            let run = try TestSupport.monge(["gan", "--out", folder + "/out"] + arguments)
            #expect(run.status != 0)
            #expect(run.stderr.contains(name), "\(arguments): \(run.stderr)")
        }
        let missing = try TestSupport.monge(["gan", "--mode", "vanilla"])
        #expect(missing.status != 0 && missing.stderr.contains("--out"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/out"))
    }

    /// `--seeds 0-2`: one folder per seed (seed 1's samples are those of `--seed 1`), the per-seed table and
    /// a summary whose mean and 95 % interval are re-computed here from the per-seed values (t_{0.975, 2} from scipy).
    @Test func seedsWritePerSeedRunsAndIntervals() throws {
        let folder = TestSupport.temporaryFolder()
        let run = try TestSupport.monge(["gan", "--mode", "diffusion", "--seeds", "0-2", "--out", folder + "/out", "--d-target", "0.2",
                                         "--noise-sd", "1", "--t-initial", "30", "--t-max", "200", "--t-distribution", "uniform"]
                                        + Self.small.filter { $0 != "--quiet" })
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("seed 2 (3/3)"), "\(run.stderr)")
        #expect(run.stdout.contains("| metric | seeds | mean | sd | ci95_low | ci95_high | min | max |"), "\(run.stdout)")
        let files = TestSupport.files(in: folder + "/out")
        for name in ["per_seed.csv", "per_seed.md", "per_seed.json", "summary.csv", "summary.md", "summary.json",
                     "summary.csv.manifest.json", "T.png", "seed_0", "seed_1", "seed_2"] {
            #expect(files.contains(name), "\(name) missing from \(files)")
        }
        #expect(TestSupport.files(in: folder + "/out/seed_1") == ["log.csv", "metrics.json", "samples.npy", "samples.npy.manifest.json"])
        let single = try TestSupport.monge(["gan", "--mode", "diffusion", "--seed", "1", "--out", folder + "/single", "--d-target", "0.2",
                                            "--noise-sd", "1", "--t-initial", "30", "--t-max", "200", "--t-distribution", "uniform"] + Self.small)
        #expect(single.status == 0, "\(single.stderr)")
        #expect(FileManager.default.contents(atPath: folder + "/single/samples.npy") == FileManager.default.contents(atPath: folder + "/out/seed_1/samples.npy"))
        let metricsData = try #require(FileManager.default.contents(atPath: folder + "/out/seed_1/metrics.json"))
        let metrics = try #require(try JSONSerialization.jsonObject(with: metricsData) as? [String: Any])
        #expect(metrics["noise_sd"] as? Double == 1 && metrics["d_target"] as? Double == 0.2 && metrics["t_initial"] as? Int == 30)
        #expect(metrics["t_max"] as? Int == 200 && metrics["t_distribution"] as? String == "uniform" && metrics["seed"] as? Int == 1)

        func rows(_ path: String) throws -> [[String]] {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        }
        let perSeed = try rows(folder + "/out/per_seed.csv")
        #expect(perSeed.first == ["seed", "modes_covered", "high_quality_percent", "reverse_kl", "final_t", "max_t", "real_sign_last100", "training_seconds"])
        #expect(perSeed.dropFirst().map { $0[0] } == ["0", "1", "2"])
        let summary = try rows(folder + "/out/summary.csv")
        #expect(summary.first == ["metric", "seeds", "mean", "sd", "ci95_low", "ci95_high", "min", "max"])
        for (column, name) in [(1, "modes_covered"), (2, "high_quality_percent"), (4, "final_t")] {
            let values = perSeed.dropFirst().map { Double($0[column])! }
            let mean = values.reduce(0, +) / 3
            let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 2).squareRoot()
            let half = 4.302652729749462 * sd / 3.0.squareRoot()
            let row = try #require(summary.first { $0[0] == name }, "\(name) missing from the summary")
            let cells = row.dropFirst(2).map { Double($0)! }
            #expect(row[1] == "3")
            for (found, expected) in zip(cells, [mean, sd, mean - half, mean + half, values.min()!, values.max()!]) {
                #expect(abs(found - expected) <= 1e-9 * max(1, abs(expected)), "\(name): \(row) vs mean \(mean), sd \(sd)")
            }
        }
        let jsonData = try #require(FileManager.default.contents(atPath: folder + "/out/summary.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: jsonData) as? [[String: Any]])
        #expect(json.count == summary.count - 1 && json.allSatisfy { $0["ci95_low"] != nil && $0["ci95_high"] != nil })
        let markdown = try String(contentsOfFile: folder + "/out/summary.md", encoding: .utf8)
        #expect(markdown.hasPrefix("| metric | seeds | mean | sd | ci95_low | ci95_high | min | max |"))
    }

    /// `--seeds 0-2 --shard K/2` then `monge merge`: the per-seed table, summary and T.png of the
    /// one-process run (apart from training_seconds), every seed's samples and log byte for byte;
    /// without shard 2 the merge names seed 1 and writes nothing; --shard without --seeds is refused.
    @Test func shardsMergedEqualTheOneProcessSweep() throws {
        let folder = TestSupport.temporaryFolder()
        let sweep = ["gan", "--mode", "diffusion", "--seeds", "0-2", "--d-target", "0.2", "--noise-sd", "1"] + Self.small
        let whole = try TestSupport.monge(sweep + ["--out", folder + "/a"])
        #expect(whole.status == 0, "\(whole.stderr)")
        for k in 1...2 {
            let shard = try TestSupport.monge(sweep + ["--out", folder + "/b", "--shard", "\(k)/2"])
            #expect(shard.status == 0, "shard \(k)/2: \(shard.stderr)")
        }
        let partial = try TestSupport.monge(["merge", folder + "/b", folder + "/b/shard-1-of-2"])
        #expect(partial.status != 0 && partial.stderr.contains("\"seed 1\" (shard 2/2)"), "\(partial.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/b/summary.csv"))
        let merged = try TestSupport.monge(["merge", folder + "/b", folder + "/b/shard-1-of-2", folder + "/b/shard-2-of-2"])
        #expect(merged.status == 0, "\(merged.stderr)")
        // training_seconds is per_seed's last column and summary's last row.
        func lines(_ path: String) throws -> [String] { try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init) }
        let perSeed = { (path: String) in try lines(path).map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",") } }
        let summary = { (path: String) in try lines(path).filter { !$0.hasPrefix("training_seconds,") } }
        let (a, b) = (try perSeed(folder + "/a/per_seed.csv"), try perSeed(folder + "/b/per_seed.csv"))
        #expect(a.count == 4 && a == b, "per_seed.csv: \(a) vs \(b)")
        let (c, d) = (try summary(folder + "/a/summary.csv"), try summary(folder + "/b/summary.csv"))
        #expect(c.count >= 4 && c == d, "summary.csv: \(c) vs \(d)")
        for file in ["T.png", "seed_0/samples.npy", "seed_1/samples.npy", "seed_2/log.csv"] {
            let a = FileManager.default.contents(atPath: folder + "/a/" + file)
            #expect(a != nil && a == FileManager.default.contents(atPath: folder + "/b/" + file), "\(file)")
        }
        #expect(FileManager.default.fileExists(atPath: folder + "/b/summary.csv.manifest.json"))
        let unsplit = try TestSupport.monge(["gan", "--mode", "vanilla", "--out", folder + "/c", "--shard", "1/2"])
        #expect(unsplit.status != 0 && unsplit.stderr.contains("--shard"), "\(unsplit.stderr)")
    }
}
