import Foundation
import MongeCore
import TestSupport
import Testing

/// `monge classifier fashion` and `monge classifier A B --arch conv` through the binary: the
/// same bytes with 1 and 2 threads, the accuracy line, the domain classifier's folder, and the
/// refusals. Needs Debian's dataset-fashion-mnist (`make setup`).
@Suite("monge classifier on images")
struct ConvClassifierCommandTests {
    @Test func fashionAndDomainClassifiers() throws {
        FashionCommandTests.requireData()
        guard let binary = TestSupport.mongeBinary else { Issue.record("monge is not built"); return }
        let folder = TestSupport.temporaryFolder("monge-cli-conv-classifier")
        let small = ["--n", "256", "--epochs", "1", "--width", "4", "--features", "8", "--batch", "64", "--pool", "2", "--quiet"]
        var weights: [Data] = []
        for threads in ["1", "2"] {
            let out = folder + "/fashion-\(threads)"
            let result = try TestSupport.run(binary, ["classifier", "fashion", "--out", out] + small, environment: ["MONGE_THREADS": threads])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("1×14×14 conv net") && result.stdout.contains("on fashion-mnist test (10000 images) pooled ×2"),
                    "\(result.stdout)")
            weights.append(try Data(contentsOf: URL(fileURLWithPath: out + "/classifier.safetensors")))
            let config = try String(contentsOfFile: out + "/classifier.json", encoding: .utf8)
            #expect(config.contains("monge-conv-classifier-1") && config.contains("heldOutAccuracy"), "\(config)")
            #expect(FileManager.default.fileExists(atPath: out + "/classifier.safetensors.manifest.json"))
        }
        #expect(weights[0] == weights[1], "1 and 2 threads gave different weights")

        let domain = folder + "/shoes"
        let trained = try TestSupport.monge(["classifier", "data:fashion:7:n=128", "data:fashion:9:n=128", "--arch", "conv", "--out", domain,
                                             "--epochs", "1", "--width", "4", "--features", "8", "--batch", "32", "--T", "100", "--quiet"])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stdout.contains("1×28×28 conv net") && trained.stdout.contains("held-out images"), "\(trained.stdout)")
        let config = try String(contentsOfFile: domain + "/classifier.json", encoding: .utf8)
        #expect(config.contains("\"timeEmbedding\" : 32") && config.contains("\"count\" : 100"), "\(config)")

        // monge egsde with the conv classifier as realism expert and the low-pass faithfulness expert,
        // on a (barely trained) image U-Net of the same images.
        let unet = folder + "/unet9"
        let train = try TestSupport.monge(["train", "data:fashion:9:n=64", "--out", unet, "--arch", "unet", "--width", "8", "--steps", "2",
                                           "--batch", "8", "--T", "100", "--quiet"])
        #expect(train.status == 0, "\(train.stderr)")
        let egsde = try TestSupport.monge(["egsde", unet, "data:fashion:7:split=test:n=4", "--classifier", domain, "--out", folder + "/e.npy",
                                           "--steps", "3", "--low-pass", "7", "--quiet"])
        #expect(egsde.status == 0, "\(egsde.stderr)")
        let translated = try ArrayFile.readMatrix(folder + "/e.npy", as: Float.self)
        #expect(translated.shape == [4, 784] && translated.storage.allSatisfy { $0.isFinite })
        let manifest = try String(contentsOfFile: folder + "/e.npy.manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"low_pass\": 7") || manifest.contains("\"low_pass\" : 7"), "\(manifest)")

        for (arguments, message) in [
            (["egsde", unet, "data:fashion:7:split=test:n=4", "--classifier", domain, "--out", folder + "/x.npy", "--low-pass", "3"],
             "3 does not divide the image size 28×28"),
            (["classifier", "fashion", "data:fashion:9", "--out", folder + "/x"], "takes no second data set"),
            (["classifier", "data:moons", "data:circles", "--arch", "conv", "--out", folder + "/x"], "--arch conv trains on image sets"),
            (["classifier", "fashion", "--pool", "3", "--out", folder + "/x"], "--pool 3 must divide 28"),
            (["classifier", "fashion", "--steps", "10", "--out", folder + "/x"], "--steps applies to --arch mlp"),
            (["classifier", "fashion", "--width", "12", "--groups", "8", "--out", folder + "/x"], "--groups 8 must divide --width 12"),
            (["classifier", "data:moons", "data:circles", "--epochs", "2", "--out", folder + "/x"], "--epochs applies to --arch conv only"),
        ] {
            let result = try TestSupport.monge(arguments)
            #expect(result.status != 0 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/x"))
    }
}
