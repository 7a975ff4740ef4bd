import Foundation
import MongeCore
import Testing
import TestSupport

@Suite("monge train")
struct TrainCommandTests {
    static let small = ["--arch", "residual", "--width", "16", "--depth", "1", "--groups", "4", "--steps", "40", "--batch", "64",
                        "--T", "100", "--checkpoint-every", "15", "--quiet"]

    static func bytes(_ folder: String, _ names: [String] = ["config.json", "loss.csv", "model.safetensors"]) -> [Data?] {
        names.map { FileManager.default.contents(atPath: folder + "/" + $0) }
    }

    @Test func trainsResumesAndIgnoresTheThreadCount() throws {
        guard let binary = TestSupport.mongeBinary else { throw MongeError.externalTool(name: "monge", message: "not built") }
        let folder = TestSupport.temporaryFolder()
        let points: Matrix<Double> = RandomStream(seed: 1).normalMatrix(rows: 300, columns: 2)
        try ArrayFile.write(points, to: folder + "/points.npy")

        let two = try TestSupport.run(binary, ["train", folder + "/points.npy", "--out", folder + "/two"] + Self.small,
                                      environment: ["MONGE_THREADS": "2"])
        #expect(two.status == 0, "\(two.stderr)")
        #expect(two.stdout.contains("trained 40 steps"))
        #expect(TestSupport.files(in: folder + "/two") == ["config.json", "loss.csv", "model.safetensors", "model.safetensors.manifest.json"])
        let one = try TestSupport.run(binary, ["train", folder + "/points.npy", "--out", folder + "/one"] + Self.small,
                                      environment: ["MONGE_THREADS": "1"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(Self.bytes(folder + "/one") == Self.bytes(folder + "/two"))

        // Stop at 25 steps, resume (options from the checkpoint) to 40: the same files.
        var stopped = Self.small
        stopped[stopped.firstIndex(of: "40")!] = "25"
        let first = try TestSupport.monge(["train", folder + "/points.npy", "--out", folder + "/resumed"] + stopped)
        #expect(first.status == 0, "\(first.stderr)")
        let second = try TestSupport.monge(["train", folder + "/points.npy", "--out", folder + "/resumed", "--resume", "--steps", "40"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("resuming") && second.stderr.contains("step 25"), "\(second.stderr)")
        #expect(Self.bytes(folder + "/resumed") == Self.bytes(folder + "/two"))

        // Resuming with an option that contradicts the checkpoint fails and changes nothing.
        let before = Self.bytes(folder + "/resumed")
        let conflict = try TestSupport.monge(["train", folder + "/points.npy", "--out", folder + "/resumed", "--resume", "--width", "32"])
        #expect(conflict.status != 0)
        #expect(conflict.stderr.contains("the model differs"), "\(conflict.stderr)")
        #expect(Self.bytes(folder + "/resumed") == before)
    }

    @Test func badInputIsNamedAndWritesNothing() throws {
        let folder = TestSupport.temporaryFolder()
        try "x,y\n0.5,1\nnan,2\n".write(toFile: folder + "/bad.csv", atomically: true, encoding: .utf8)
        let nan = try TestSupport.monge(["train", folder + "/bad.csv", "--out", folder + "/out"] + Self.small)
        #expect(nan.status != 0)
        #expect(nan.stderr.contains("bad.csv") && nan.stderr.contains("row 2, column 1")
                && nan.stderr.contains("nan is not a finite number"), "\(nan.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/out"))

        let missing = try TestSupport.monge(["train", folder + "/none.npy", "--out", folder + "/out"] + Self.small)
        #expect(missing.status != 0 && missing.stderr.contains("none.npy"), "\(missing.stderr)")

        let unknown = try TestSupport.monge(["train", "data:nosuch", "--out", folder + "/out"] + Self.small)
        #expect(unknown.status != 0 && unknown.stderr.contains("unknown dataset"), "\(unknown.stderr)")

        let groups = try TestSupport.monge(["train", "data:moons", "--data-points", "100", "--out", folder + "/out", "--width", "30",
                                            "--groups", "4", "--steps", "1", "--quiet"])
        #expect(groups.status != 0 && groups.stderr.contains("groups"), "\(groups.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/out"))
    }

    /// `--resume` takes --data-points and --data-seed from the checkpoint; a folder holding only
    /// the config.json of a run stopped before its first checkpoint trains again (with or without
    /// --resume); an edited config.json is refused by the commands that load the weights.
    @Test func resumingTakesTheDataOptionsAndAnEmptyStartTrainsAgain() throws {
        let folder = TestSupport.temporaryFolder()
        let data = ["data:moons", "--data-points", "300", "--data-seed", "5"]
        var short = Self.small
        short[short.firstIndex(of: "40")!] = "25"
        let straight = try TestSupport.monge(["train"] + data + ["--out", folder + "/straight"] + Self.small)
        #expect(straight.status == 0, "\(straight.stderr)")
        let first = try TestSupport.monge(["train"] + data + ["--out", folder + "/resumed"] + short)
        #expect(first.status == 0, "\(first.stderr)")
        let second = try TestSupport.monge(["train", "data:moons", "--out", folder + "/resumed", "--resume", "--steps", "40", "--quiet"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(Self.bytes(folder + "/resumed") == Self.bytes(folder + "/straight"))
        #expect(try RunManifest.mismatches(folder + "/resumed/model.safetensors.manifest.json").isEmpty)

        for resume in [[], ["--resume"]] {
            let stopped = folder + "/stopped\(resume.count)"
            try FileManager.default.createDirectory(atPath: stopped, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: folder + "/straight/config.json", toPath: stopped + "/config.json")
            let again = try TestSupport.monge(["train"] + data + ["--out", stopped] + Self.small.filter { $0 != "--quiet" } + resume)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stderr.contains("no checkpoint"), "\(again.stderr)")
            #expect(Self.bytes(stopped) == Self.bytes(folder + "/straight"))
        }

        let config = folder + "/straight/config.json"
        let text = try String(contentsOfFile: config, encoding: .utf8)
        try text.replacingOccurrences(of: "\"count\" : 100", with: "\"count\" : 50").write(toFile: config, atomically: true, encoding: .utf8)
        let sample = try TestSupport.monge(["sample", folder + "/straight", "--n", "10", "--steps", "5", "--out", folder + "/s.npy", "--quiet"])
        #expect(sample.status != 0 && sample.stderr.contains("config.json") && sample.stderr.contains("does not match the weights")
                && sample.stderr.contains("schedule.count"), "\(sample.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/s.npy"))
    }

    @Test func trainsDDIBsUShapedModel() throws {
        // --arch ddib-unet: the paper's preset (3 blocks a side, embedding 256, dropout 0.2) unless overridden.
        let folder = TestSupport.temporaryFolder()
        let points: Matrix<Double> = RandomStream(seed: 2).normalMatrix(rows: 200, columns: 2)
        try ArrayFile.write(points, to: folder + "/points.npy")
        let result = try TestSupport.monge(["train", folder + "/points.npy", "--out", folder + "/u", "--arch", "ddib-unet",
                                            "--width", "12", "--groups", "4", "--steps", "6", "--batch", "32", "--T", "50", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("trained 6 steps"))
        let data = try #require(FileManager.default.contents(atPath: folder + "/u/config.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let model = try #require(json["model"] as? [String: Any])
        #expect(model["architecture"] as? String == "ddib-unet")
        #expect(model["depth"] as? Int == 3 && model["timeEmbedding"] as? Int == 256 && model["width"] as? Int == 12)
        #expect(model["dropout"] as? Double == 0.2)
    }
}
