import Foundation
import MongeCore
import Testing
import TestSupport

/// `monge munit train|translate|evaluate` on Fashion-MNIST images (tiny networks, a few steps).
/// Needs Debian's dataset-fashion-mnist (`make setup`).
@Suite("monge munit on images")
struct MUNITImageCommandTests {
    static let small = ["data:fashion:7:split=test:n=24", "data:fashion:9:split=test:n=24", "--steps", "3", "--batch", "2", "--channels", "4",
                        "--residual-blocks", "1", "--width", "8", "--discriminator-width", "4", "--pool", "2", "--quiet"]

    static func train(_ folder: String, seed: String = "3", threads: String = "2") throws -> TestSupport.ProcessResult {
        guard let binary = TestSupport.mongeBinary else { return try TestSupport.monge([]) }
        return try TestSupport.run(binary, ["munit", "train"] + small + ["--seed", seed, "--out", folder], environment: ["MONGE_THREADS": threads])
    }

    @Test func trainTranslateAndEvaluate() throws {
        FashionCommandTests.requireData()
        let folder = TestSupport.temporaryFolder("monge-cli-munit-image")
        let one = try Self.train(folder + "/one", threads: "1")
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.contains("image MUNIT 1×14×14, 3 steps"), "\(one.stdout)")
        // Same seed, other thread count: the same bytes.
        #expect(try Self.train(folder + "/two", threads: "2").status == 0)
        let weights = { (name: String) in FileManager.default.contents(atPath: "\(folder)/\(name)/model.safetensors") }
        #expect(weights("one") != nil && weights("one") == weights("two"))
        let config = try String(contentsOfFile: folder + "/one/config.json", encoding: .utf8)
        #expect(config.contains("monge-munit-image-1") && config.contains("\"height\" : 14"), "\(config)")
        // Translate 28×28 test images (pooled to the model's 14×14): k styles, a given style.
        func translate(_ out: String, _ extra: [String]) throws -> Matrix<Double> {
            let run = try TestSupport.monge(["munit", "translate", folder + "/one", "data:fashion:7:split=test:n=5", "--out", folder + "/" + out] + extra)
            #expect(run.status == 0, "\(run.stderr)")
            return try ArrayFile.readMatrix(folder + "/" + out, as: Double.self)
        }
        let many = try translate("many.npy", ["--styles", "3", "--seed", "1"])
        #expect(many.shape == [15, 196])
        #expect(many.row(0) != many.row(1))
        #expect(try translate("again.npy", ["--styles", "3", "--seed", "1"]) == many)
        let fixed = try translate("fixed.npy", ["--style", "0,0,0,0,0,0,0,0.5"])
        #expect(fixed.shape == [5, 196] && fixed.storage.allSatisfy { abs($0) <= 1 })
        // Evaluate under a (tiny) 10-class classifier of 14×14 images.
        let classifier = try TestSupport.monge(["classifier", "fashion", "--n", "128", "--epochs", "1", "--width", "4", "--features", "8",
                                                "--batch", "64", "--pool", "2", "--quiet", "--out", folder + "/classifier"])
        #expect(classifier.status == 0, "\(classifier.stderr)")
        let evaluate = try TestSupport.monge(["munit", "evaluate", folder + "/one", "--classifier", folder + "/classifier", "--n", "20",
                                              "--out", folder + "/metrics.json", "--figure", folder + "/grid.png"])
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        let data = try #require(FileManager.default.contents(atPath: folder + "/metrics.json"))
        let metrics = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["target_accuracy", "frechet", "frechet_floor", "l2", "psnr", "ssim", "diversity", "target_pairwise_l2", "reconstruction_l1"] {
            #expect(metrics[key] is Double, "missing \(key): \(metrics)")
        }
        #expect(metrics["target_class"] as? Int == 9 && metrics["styles"] as? Int == 8 && metrics["source_images"] as? Int == 20)
        #expect(JSONSchemaTests.offenders(metrics).isEmpty, "\(JSONSchemaTests.offenders(metrics))")
        #expect(FileManager.default.fileExists(atPath: folder + "/grid.png"))
    }

    @Test func badInputGivesClearErrors() throws {
        FashionCommandTests.requireData()
        let folder = TestSupport.temporaryFolder("monge-cli-munit-image-bad")
        #expect(try Self.train(folder + "/image").status == 0)
        try ArrayFile.write(Matrix<Double>([[1, 2], [4, 5]]), to: folder + "/x2.npy")
        #expect(try TestSupport.monge(["munit", "train", "data:concentric-rings", "data:concentric-squares", "--steps", "2", "--batch", "8", "--width", "4",
                            "--discriminator-width", "4", "--data-points", "50", "--quiet", "--out", folder + "/points"]).status == 0)
        func expectFailure(_ arguments: [String], mentions: String) throws {
            let run = try TestSupport.monge(arguments)
            #expect(run.status != 0)
            #expect(run.stderr.contains(mentions), "\(arguments): \(run.stderr)")
        }
        // 2-D points to an image MUNIT, images to a 2-D MUNIT.
        try expectFailure(["munit", "translate", folder + "/image", folder + "/x2.npy", "--out", folder + "/y.npy"], mentions: "1×14×14")
        try expectFailure(["munit", "translate", folder + "/points", "data:fashion:7:split=test:n=3", "--out", folder + "/y.npy"], mentions: "784 columns")
        try expectFailure(["munit", "translate", folder + "/image", "data:fashion:7:split=test:n=3", "--out", folder + "/y.npy", "--style", "1,2"],
                          mentions: "8 numbers")
        try expectFailure(["munit", "train", "data:concentric-rings", "data:concentric-squares", "--arch", "image", "--out", folder + "/bad"],
                          mentions: "--arch image")
        try expectFailure(["munit", "evaluate", folder + "/image", "--out", folder + "/m.json"], mentions: "--classifier")
        // A checkpoint whose config describes another architecture.
        let config = try String(contentsOfFile: folder + "/image/config.json", encoding: .utf8)
        try config.replacingOccurrences(of: "\"channels\" : 4", with: "\"channels\" : 8")
            .write(toFile: folder + "/image/config.json", atomically: true, encoding: .utf8)
        try expectFailure(["munit", "translate", folder + "/image", "data:fashion:7:split=test:n=3", "--out", folder + "/y.npy"],
                          mentions: "another architecture")
        #expect(!FileManager.default.fileExists(atPath: folder + "/y.npy") && !FileManager.default.fileExists(atPath: folder + "/bad"))
    }
}
