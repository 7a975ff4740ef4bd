import Foundation
import MongeCore
import Testing
import TestSupport

@Suite("monge munit")
struct MUNITCommandTests {
    static let small = ["data:concentric-rings", "data:concentric-squares", "--steps", "20", "--batch", "16", "--width", "8",
                        "--discriminator-width", "8", "--data-points", "300", "--quiet"]

    static func train(_ folder: String, seed: String = "3", environment: [String: String]? = nil) throws -> TestSupport.ProcessResult {
        guard let binary = TestSupport.mongeBinary else { return try TestSupport.monge([]) }
        return try TestSupport.run(binary, ["munit", "train"] + small + ["--seed", seed, "--out", folder], environment: environment)
    }

    @Test func trainWritesACheckpointThatDependsOnTheSeedOnly() throws {
        let folder = TestSupport.temporaryFolder()
        let run = try Self.train(folder + "/one", environment: ["MONGE_THREADS": "1"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("munit: 20 steps"), "\(run.stdout)")
        #expect(TestSupport.files(in: folder + "/one") == ["config.json", "loss.csv", "model.safetensors", "model.safetensors.manifest.json"])
        let log = try String(contentsOfFile: folder + "/one/loss.csv", encoding: .utf8).split(separator: "\n")
        #expect(log.first?.hasPrefix("step,discriminator,generator,adversarial_a") == true && log.count == 1 + 3)  // steps 0, 10, 19
        // Same seed, other thread count: the same bytes; another seed: other weights.
        #expect(try Self.train(folder + "/two", environment: ["MONGE_THREADS": "2"]).status == 0)
        let weights = { (name: String) in FileManager.default.contents(atPath: "\(folder)/\(name)/model.safetensors") }
        #expect(weights("one") != nil && weights("one") == weights("two"))
        #expect(try Self.train(folder + "/three", seed: "4").status == 0)
        #expect(weights("three") != weights("one"))
    }

    @Test func translateWithSampledGivenAndSeveralStyles() throws {
        let folder = TestSupport.temporaryFolder()
        #expect(try Self.train(folder + "/model").status == 0)
        let x = Matrix<Double>([[0.5, 0.1], [-0.3, 0.8], [1.2, -1.0], [0.0, -0.7]])
        try ArrayFile.write(x, to: folder + "/x.npy")
        func translate(_ out: String, _ extra: [String]) throws -> Matrix<Double> {
            let run = try TestSupport.monge(["munit", "translate", folder + "/model", folder + "/x.npy", "--out", folder + "/" + out] + extra)
            #expect(run.status == 0, "\(run.stderr)")
            return try ArrayFile.readMatrix(folder + "/" + out, as: Double.self)
        }
        let sampled = try translate("sampled.npy", ["--seed", "1"])
        #expect(sampled.shape == [4, 2])
        #expect(try translate("again.npy", ["--seed", "1"]) == sampled)
        let many = try translate("many.npy", ["--styles", "5", "--seed", "1"])
        #expect(many.shape == [20, 2])
        // The k outputs of one point differ (different styles); the same style gives the same output.
        #expect(many.row(0) != many.row(1))
        let fixed = try translate("fixed.csv", ["--style", "0.5,-1"])
        let fixedAgain = try translate("fixed2.npy", ["--style", "0.5,-1"])
        #expect(fixed.shape == [4, 2] && fixed.maxAbsDifference(fixedAgain) < 1e-6)
        #expect(try translate("back.npy", ["--direction", "ba", "--style", "0,0"]).shape == [4, 2])
    }

    @Test func badInputGivesClearErrors() throws {
        let folder = TestSupport.temporaryFolder()
        #expect(try Self.train(folder + "/model").status == 0)
        try ArrayFile.write(Matrix<Double>([[1, 2, 3], [4, 5, 6]]), to: folder + "/x3.npy")
        try ArrayFile.write(Matrix<Double>([[1, 2], [4, 5]]), to: folder + "/x2.npy")
        func expectFailure(_ arguments: [String], mentions: String) throws {
            let run = try TestSupport.monge(arguments)
            #expect(run.status != 0)
            #expect(run.stderr.contains(mentions), "\(arguments): \(run.stderr)")
        }
        let model = folder + "/model"
        try expectFailure(["munit", "translate", model, folder + "/x3.npy", "--out", folder + "/y.npy"], mentions: "3 columns")
        try expectFailure(["munit", "translate", model, folder + "/x2.npy", "--out", folder + "/y.npy", "--style", "1,2,3"], mentions: "2 numbers")
        try expectFailure(["munit", "translate", model, folder + "/x2.npy", "--out", folder + "/y.npy", "--style", "a,b"], mentions: "--style")
        try expectFailure(["munit", "translate", model, folder + "/x2.npy", "--out", folder + "/y.npy", "--style", "1,2", "--styles", "3"],
                          mentions: "--styles")
        try expectFailure(["munit", "translate", model, folder + "/x2.npy", "--out", folder + "/y.txt"], mentions: "--out \(folder)/y.txt: the file must end in .npy or .csv")
        try expectFailure(["munit", "translate", folder + "/nothing", folder + "/x2.npy", "--out", folder + "/y.npy"], mentions: "config.json")
        try expectFailure(["munit", "train", "data:concentric-rings", folder + "/x3.npy", "--out", folder + "/bad"], mentions: "columns")
        try expectFailure(["munit", "train", "data:concentric-rings", "data:moons", "--out", folder + "/bad", "--style-weight", "-1"],
                          mentions: "--style-weight")
        // A checkpoint whose config describes another architecture: the tensor and the shapes are named.
        let config = try String(contentsOfFile: model + "/config.json", encoding: .utf8)
        try config.replacingOccurrences(of: "\"width\" : 8", with: "\"width\" : 16").write(toFile: model + "/config.json", atomically: true, encoding: .utf8)
        try expectFailure(["munit", "translate", model, folder + "/x2.npy", "--out", folder + "/y.npy"], mentions: "another architecture")
        #expect(!FileManager.default.fileExists(atPath: folder + "/y.npy") && !FileManager.default.fileExists(atPath: folder + "/bad"))
    }

    @Test func evaluateWritesTheMetrics() throws {
        let folder = TestSupport.temporaryFolder()
        #expect(try Self.train(folder + "/model").status == 0)
        let run = try TestSupport.monge(["munit", "evaluate", folder + "/model", "--out", folder + "/metrics.json", "--n", "200"])
        #expect(run.status == 0, "\(run.stderr)")
        let data = try #require(FileManager.default.contents(atPath: folder + "/metrics.json"))
        let metrics = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["reconstruction_a", "reconstruction_b", "circular_correlation", "cost_ratio", "shell_accuracy_from_style",
                    "shell_accuracy_from_point", "shell_chance", "style_spread", "comparison"] {
            #expect(metrics[key] != nil, "missing \(key)")
        }
        let counts = try #require(metrics["shell_counts_from_one_point"] as? [Int])
        #expect(counts.count == 3 && counts.reduce(0, +) == 100)
    }
}
