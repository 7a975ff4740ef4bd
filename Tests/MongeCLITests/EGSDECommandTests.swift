import Foundation
import MongeCore
import Testing
import TestSupport

@Suite("monge classifier and monge egsde")
struct EGSDECommandTests {
    /// Two separated Gaussian clouds, N((∓3, 0), 0.5²I), as .npy files in `folder`.
    static func writeDomains(_ folder: String) throws {
        let z: Matrix<Double> = RandomStream(seed: 4).normalMatrix(rows: 600, columns: 2)
        let a = Matrix<Double>(rows: 300, columns: 2) { i, j in 0.5 * z[i, j] + (j == 0 ? -3 : 0) }
        let b = Matrix<Double>(rows: 300, columns: 2) { i, j in 0.5 * z[300 + i, j] + (j == 0 ? 3 : 0) }
        try ArrayFile.write(a, to: folder + "/a.npy")
        try ArrayFile.write(b, to: folder + "/b.npy")
    }

    @Test func trainsAClassifierAndTranslatesWithIt() throws {
        let folder = TestSupport.temporaryFolder()
        try Self.writeDomains(folder)
        let trained = try TestSupport.monge([
            "classifier", folder + "/a.npy", folder + "/b.npy", "--out", folder + "/cls", "--width", "16", "--depth", "2",
            "--time-embedding", "8", "--steps", "300", "--batch", "64", "--lr", "3e-3", "--seed", "1", "--quiet"])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(TestSupport.files(in: folder + "/cls") ==
                ["classifier.json", "classifier.safetensors", "classifier.safetensors.manifest.json", "loss.csv"])
        // The printed clean accuracy of two clouds 12 standard deviations apart.
        let accuracy = trained.stdout.split(separator: " ").firstIndex(of: "accuracy").map { trained.stdout.split(separator: " ")[$0 + 1] }
        #expect(accuracy.flatMap { Double($0) }.map { $0 > 0.95 } == true, "\(trained.stdout)")

        let model = "oracle:gaussian:mean=3,0:std=0.5"
        func egsde(_ out: String, threads: String, extra: [String] = []) throws -> TestSupport.ProcessResult {
            try TestSupport.run(TestSupport.mongeBinary!, [
                "egsde", model, folder + "/a.npy", "--classifier", folder + "/cls", "--out", folder + "/" + out,
                "--steps", "40", "--lambda-s", "20", "--lambda-i", "0", "--seed", "5", "--quiet"] + extra,
                environment: ["MONGE_THREADS": threads])
        }
        let one = try egsde("y1.npy", threads: "1"), two = try egsde("y2.npy", threads: "2")
        #expect(one.status == 0 && two.status == 0, "\(one.stderr) \(two.stderr)")
        #expect(one.stdout.contains("transport cost"), "\(one.stdout)")
        let y1 = try ArrayFile.readMatrix(folder + "/y1.npy", as: Double.self)
        let a = try ArrayFile.readMatrix(folder + "/a.npy", as: Double.self)
        #expect(y1.rows == 300 && y1.columns == 2)
        #expect(y1 == (try ArrayFile.readMatrix(folder + "/y2.npy", as: Double.self)), "the thread count changed the result")
        // From M = T/2 without the faithfulness pull the points land in B: mean first coordinate near 3.
        let meanX = (0..<y1.rows).reduce(0.0) { $0 + y1[$1, 0] } / Double(y1.rows)
        #expect(abs(meanX - 3) < 0.5, "mean x \(meanX)")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/y1.npy.manifest.json")))
        let parameters = (manifest as? [String: Any])?["parameters"] as? [String: Any]
        #expect(parameters?["start"] as? Int == 500)

        // --seeds: seed s of the list is the single run with --seed s; per-seed and summary tables
        // with the mean and the 95 % t-interval (t_{0.975, 1} = 12.7062 for two seeds).
        let seeded = try TestSupport.monge([
            "egsde", model, folder + "/a.npy", "--classifier", folder + "/cls", "--out", folder + "/seeds",
            "--steps", "40", "--lambda-s", "20", "--lambda-i", "0", "--seeds", "5,9", "--target", folder + "/b.npy", "--quiet"])
        #expect(seeded.status == 0, "\(seeded.stderr)")
        #expect(try ArrayFile.readMatrix(folder + "/seeds/seed_5.npy", as: Double.self) == y1)
        let perSeed = try CSVFile.read(folder + "/seeds/per_seed.csv", as: Double.self)
        #expect(perSeed.columnNames == ["seed", "transport_cost", "optimality_gap", "monge_deviation_mean", "realism_w2"])
        #expect(perSeed.matrix.rows == 2 && perSeed.matrix[0, 0] == 5 && perSeed.matrix[1, 0] == 9)
        let cost1 = (0..<y1.rows).reduce(0.0) { sum, i in
            sum + (0..<2).reduce(0.0) { let r = y1[i, $1] - a[i, $1]; return $0 + r * r }
        } / Double(y1.rows)
        #expect(abs(perSeed.matrix[0, 1] - cost1) < 1e-9 * cost1, "seed 5's transport cost")
        let fields = try #require(try TestSupport.csvRows(folder + "/seeds/summary.csv").first { $0.first == "realism_w2" })
        let w = [perSeed.matrix[0, 4], perSeed.matrix[1, 4]]
        let mean = (w[0] + w[1]) / 2, half = 12.7062047361747 * abs(w[0] - w[1]) / 2.0.squareRoot() / 2.0.squareRoot()
        #expect(fields[1] == "2" && abs(Double(fields[2])! - mean) < 1e-12, "\(fields)")
        #expect(abs(Double(fields[4])! - (mean - half)) < 1e-9 && abs(Double(fields[5])! - (mean + half)) < 1e-9, "\(fields)")
        #expect(seeded.stdout.contains("t-interval"), "\(seeded.stdout)")
        // The fixed-large variance changes the draw; a bad value is named.
        let large = try egsde("y3.npy", threads: "2", extra: ["--variance", "beta"])
        #expect(large.status == 0, "\(large.stderr)")
        #expect(try ArrayFile.readMatrix(folder + "/y3.npy", as: Double.self) != y1)
        let bogus = try egsde("y4.npy", threads: "2", extra: ["--variance", "large"])
        #expect(bogus.status != 0 && bogus.stderr.contains("variance"), "\(bogus.stderr)")
        // With an 8-Gaussians oracle as B the realism split is measured: precision in [0, 1], KL ≥ 0.
        let split = try TestSupport.monge([
            "egsde", "oracle:gaussians8", folder + "/a.npy", "--classifier", folder + "/cls", "--out", folder + "/g8",
            "--steps", "40", "--lambda-s", "0", "--lambda-i", "0", "--m", "0.9", "--seeds", "0-2", "--quiet"])
        #expect(split.status == 0, "\(split.stderr)")
        // Seeds 0-2 in column 1 look like pandas' index to the points reader: select the columns.
        let g8 = try CSVFile.read(folder + "/g8/per_seed.csv", as: Double.self, columns: ColumnSelection(parsing: "1-5"))
        #expect(g8.columnNames == ["seed", "transport_cost", "on_mode_precision", "mode_balance_kl", "modes_covered"])
        for i in 0..<3 {
            #expect(g8.matrix[i, 2] > 0.5 && g8.matrix[i, 2] <= 1 && g8.matrix[i, 3] >= 0 && g8.matrix[i, 3] < log(8), "\(g8.matrix.row(i))")
        }
        // The same sweep in 2 shards merged by `monge merge`: the same tables and points, byte for byte
        // (no timing column); without shard 1 the merge names seeds 0 and 2; --shard needs --seeds.
        let sweep = ["egsde", "oracle:gaussians8", folder + "/a.npy", "--classifier", folder + "/cls", "--out", folder + "/g8s",
                     "--steps", "40", "--lambda-s", "0", "--lambda-i", "0", "--m", "0.9", "--seeds", "0-2", "--quiet"]
        for k in 1...2 {
            let shard = try TestSupport.monge(sweep + ["--shard", "\(k)/2"])
            #expect(shard.status == 0, "shard \(k)/2: \(shard.stderr)")
        }
        let partial = try TestSupport.monge(["merge", folder + "/g8s", folder + "/g8s/shard-2-of-2"])
        #expect(partial.status != 0 && partial.stderr.contains("\"seed 0\" (shard 1/2)") && partial.stderr.contains("\"seed 2\" (shard 1/2)"),
                "\(partial.stderr)")
        let merged = try TestSupport.monge(["merge", folder + "/g8s", folder + "/g8s/shard-1-of-2", folder + "/g8s/shard-2-of-2", "--quiet"])
        #expect(merged.status == 0, "\(merged.stderr)")
        for file in ["per_seed.csv", "per_seed.md", "summary.csv", "summary.json", "seed_0.npy", "seed_1.npy", "seed_2.npy"] {
            let a = FileManager.default.contents(atPath: folder + "/g8/" + file)
            #expect(a != nil && a == FileManager.default.contents(atPath: folder + "/g8s/" + file), "\(file): the merged shards differ from the one-process sweep")
        }
        let unsplit = try TestSupport.monge(["egsde", "oracle:gaussians8", folder + "/a.npy", "--classifier", folder + "/cls",
                                             "--out", folder + "/u.npy", "--shard", "1/2"])
        #expect(unsplit.status != 0 && unsplit.stderr.contains("--shard"), "\(unsplit.stderr)")
        // compare --modes reports the same split for a mapped file.
        let compared = try TestSupport.monge(["compare", folder + "/a.npy", folder + "/g8/seed_0.npy", folder + "/b.npy",
                                              "--modes", "oracle:gaussians8", "--json"])
        #expect(compared.status == 0, "\(compared.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(compared.stdout.utf8)) as? [String: Any]
        #expect(abs((json?["on_mode_precision"] as? Double ?? -1) - g8.matrix[0, 2]) < 1e-12, "\(compared.stdout)")
        #expect(abs((json?["mode_balance_kl"] as? Double ?? -1) - g8.matrix[0, 3]) < 1e-12, "\(compared.stdout)")
        let noModes = try TestSupport.monge(["compare", folder + "/a.npy", folder + "/g8/seed_0.npy", folder + "/b.npy",
                                             "--modes", "oracle:gaussian:mean=0,0"])
        #expect(noModes.status != 0 && noModes.stderr.contains("modes"), "\(noModes.stderr)")

        // The classifier was trained for T = 1000: a model with T = 200 is refused, naming both.
        let mismatch = try TestSupport.monge([
            "egsde", "oracle:gaussian:mean=3,0:std=0.5:T=200", folder + "/a.npy", "--classifier", folder + "/cls",
            "--out", folder + "/bad.npy", "--quiet"])
        #expect(mismatch.status != 0)
        #expect(mismatch.stderr.contains("T = 200") && mismatch.stderr.contains("T = 1000"), "\(mismatch.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/bad.npy"))
    }

    @Test func badArgumentsAreNamed() throws {
        let folder = TestSupport.temporaryFolder()
        try Self.writeDomains(folder)
        let noClassifier = try TestSupport.monge([
            "egsde", "oracle:gaussian:mean=3,0:std=0.5", folder + "/a.npy", "--classifier", folder + "/none", "--out", folder + "/y.npy"])
        #expect(noClassifier.status != 0)
        #expect(noClassifier.stderr.contains("classifier.json"), "\(noClassifier.stderr)")
        let badM = try TestSupport.monge([
            "egsde", "oracle:gaussian:mean=3,0:std=0.5", folder + "/a.npy", "--classifier", folder + "/none", "--out", folder + "/y.npy",
            "--m", "1.5"])
        #expect(badM.status != 0)
        #expect(badM.stderr.contains("--m"), "\(badM.stderr)")
        let both = try TestSupport.monge([
            "egsde", "oracle:gaussian:mean=3,0:std=0.5", folder + "/a.npy", "--classifier", folder + "/none", "--out", folder + "/y.npy",
            "--seed", "1", "--seeds", "1,2"])
        #expect(both.status != 0 && both.stderr.contains("--seeds"), "\(both.stderr)")
        let fileOut = try TestSupport.monge([
            "egsde", "oracle:gaussian:mean=3,0:std=0.5", folder + "/a.npy", "--classifier", folder + "/none", "--out", folder + "/y.npy",
            "--seeds", "1,2"])
        #expect(fileOut.status != 0 && fileOut.stderr.contains("folder"), "\(fileOut.stderr)")
        let badSeeds = try TestSupport.monge([
            "egsde", "oracle:gaussian:mean=3,0:std=0.5", folder + "/a.npy", "--classifier", folder + "/none", "--out", folder + "/s",
            "--seeds", "3-1"])
        #expect(badSeeds.status != 0 && badSeeds.stderr.contains("descending"), "\(badSeeds.stderr)")
        let lonely = try TestSupport.monge([
            "egsde", "oracle:gaussian:mean=3,0:std=0.5", folder + "/a.npy", "--classifier", folder + "/none", "--out", folder + "/y.npy",
            "--second-target", folder + "/b.npy"])
        #expect(lonely.status != 0 && lonely.stderr.contains("--target"), "\(lonely.stderr)")
        let wide = try TestSupport.monge([
            "classifier", folder + "/a.npy", "data:gaussian", "--out", folder + "/c", "--depth", "0", "--quiet"])
        #expect(wide.status != 0)
        #expect(wide.stderr.contains("depth"), "\(wide.stderr)")
        #expect(TestSupport.files(in: folder) == ["a.npy", "b.npy"])
    }
}
