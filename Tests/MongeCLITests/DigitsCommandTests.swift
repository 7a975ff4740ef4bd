import Foundation
import MongeCore
import TestSupport
import Testing

/// The image path end to end through the binary: export a digit class, train on data:digits:3,
/// and a tiny `monge reproduce ddib-digits`. Needs `make setup` (data/generated/digits.npy).
@Suite("monge on digit images")
struct DigitsCommandTests {
    static var dataReady: Bool {
        FileManager.default.fileExists(atPath: TestSupport.packageRoot + "/data/generated/digits.npy")
    }

    static func requireData() {
        if !dataReady { Issue.record("data/generated/digits.npy is missing: run `make setup` (or `make data`) before the tests") }
    }

    @Test func exportTrainAndErrors() throws {
        Self.requireData()
        let folder = TestSupport.temporaryFolder("monge-cli-digits")
        let root = TestSupport.packageRoot
        let export = try TestSupport.monge(["data", "digits", "--classes", "0,6", "--out", folder + "/zero-six.npy"], currentDirectory: root)
        #expect(export.status == 0, "\(export.stderr)")
        let images = try ArrayFile.readMatrix(folder + "/zero-six.npy", as: Double.self)
        #expect(images.rows == 178 + 181 && images.columns == 64)
        #expect(images.storage.allSatisfy { $0 >= -1 && $0 <= 1 })

        let train = try TestSupport.monge(["train", "data:digits:3", "--out", folder + "/model", "--arch", "mlp", "--width", "32",
                                           "--steps", "5", "--batch", "16", "--quiet"], currentDirectory: root)
        #expect(train.status == 0, "\(train.stderr)")
        let config = try String(contentsOfFile: folder + "/model/config.json", encoding: .utf8)
        #expect(config.contains("\"dimension\" : 64") && config.contains("data:digits:3"), "\(config)")

        let bad = try TestSupport.monge(["train", "data:digits:3,x", "--out", folder + "/bad", "--steps", "1"], currentDirectory: root)
        #expect(bad.status != 0 && bad.stderr.contains("not a digit"), "\(bad.stderr)")
        let missing = try TestSupport.run(TestSupport.mongeBinary ?? "/nonexistent", ["data", "digits", "--out", folder + "/x.npy"],
                                          environment: ["MONGE_DATA_DIR": folder + "/nowhere"])
        #expect(missing.status != 0 && missing.stderr.contains("make setup"), "\(missing.stderr)")
    }

    @Test func tinyReproduction() throws {
        Self.requireData()
        let folder = TestSupport.temporaryFolder("monge-cli-digits") + "/run"
        let run = try TestSupport.monge(["reproduce", "ddib-digits", "--out", folder, "--training-steps", "20", "--n", "10",
                                         "--pairs", "3:8", "--cells", "ddim:5", "--quiet"], currentDirectory: TestSupport.packageRoot)
        #expect(run.status == 0, "\(run.stderr)")
        let csv = try String(contentsOfFile: folder + "/results.csv", encoding: .utf8)
        let lines = csv.split(separator: "\n")
        #expect(lines.count == 3 && lines.dropFirst().allSatisfy { $0.contains("3 → 8") }, "\(csv)")
        #expect(lines[1].hasPrefix("gaussian-fit,") && lines[2].hasPrefix("trained,"), "\(csv)")
        for file in ["figures/translations_3__8.png", "figures/samples_3.png", "figures/samples_8.png",
                     "pairs/3__8/ddim-5/mapped.npy", "pairs/3__8/ddim-5/exact_ot_image.npy", "manifest.json", "plan.json"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/" + file), "\(file)")
        }
        let mapped = try ArrayFile.readMatrix(folder + "/pairs/3__8/ddim-5/mapped.npy", as: Double.self)
        #expect(mapped.rows == 10 && mapped.columns == 64)
    }
}
