import Foundation
import MongeCore
import TestSupport
import Testing

/// Fashion-MNIST through the binary: `monge data fashion`, data:fashion:… as training data and as
/// a translation input, and the errors for a bad class or split. Needs Debian's
/// dataset-fashion-mnist (`make setup`).
@Suite("monge on Fashion-MNIST")
struct FashionCommandTests {
    static func requireData() {
        if !FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"),
           ProcessInfo.processInfo.environment["MONGE_FASHION_DIR"] == nil {
            Issue.record("/usr/share/datasets/fashion-mnist is missing: run `make setup` (Debian's dataset-fashion-mnist) before the tests")
        }
    }

    @Test func exportTrainTranslateAndErrors() throws {
        Self.requireData()
        let folder = TestSupport.temporaryFolder("monge-cli-fashion")
        let out = folder + "/shoes.npy"
        let export = try TestSupport.monge(["data", "fashion", "--classes", "7,ankle-boot", "--split", "test", "--n", "300",
                                            "--seed", "4", "--out", out])
        #expect(export.status == 0, "\(export.stderr)")
        let images = try ArrayFile.readMatrix(out, as: Float.self)
        #expect(images.rows == 300 && images.columns == 784 && images.storage.allSatisfy { $0 >= -1 && $0 <= 1 })
        let manifest = try String(contentsOfFile: out + ".manifest.json", encoding: .utf8)
        #expect(manifest.contains("data:fashion:7,9:split=test:n=300:seed=4"), "\(manifest)")
        // The same command writes the same bytes; another seed another subset.
        let again = try TestSupport.monge(["data", "fashion", "--classes", "7,9", "--split", "test", "--n", "300", "--seed", "4",
                                           "--out", folder + "/again.npy"])
        #expect(again.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: folder + "/again.npy")))

        // data:fashion:… is training data, and a model's input (here for a 784-D MLP model).
        let train = try TestSupport.monge(["train", "data:fashion:sneaker:split=test:n=64", "--out", folder + "/model", "--arch", "mlp",
                                           "--width", "16", "--depth", "1", "--steps", "2", "--batch", "8", "--quiet"])
        #expect(train.status == 0, "\(train.stderr)")
        let config = try String(contentsOfFile: folder + "/model/config.json", encoding: .utf8)
        #expect(config.contains("\"dimension\" : 784") && config.contains("data:fashion:7:split=test:n=64:seed=0"), "\(config)")
        let encode = try TestSupport.monge(["encode", folder + "/model", "data:fashion:9:split=test:n=5:seed=1", "--steps", "2",
                                            "--out", folder + "/latent.npy"])
        #expect(encode.status == 0, "\(encode.stderr)")
        #expect(try ArrayFile.readMatrix(folder + "/latent.npy", as: Float.self).shape == [5, 784])

        for (arguments, message) in [
            (["data", "fashion", "--classes", "10", "--out", folder + "/x.npy"], "10 is not a Fashion-MNIST class id 0…9"),
            (["data", "fashion", "--split", "val", "--out", folder + "/x.npy"], "'val' is not a split; expected train or test"),
            (["data", "moons", "--n", "5", "--split", "test", "--out", folder + "/x.npy"], "--split is for fashion only"),
            (["train", "data:fashion:12", "--out", folder + "/bad", "--steps", "1"], "12 is not a Fashion-MNIST class id 0…9"),
        ] {
            let result = try TestSupport.monge(arguments)
            #expect(result.status != 0 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/x.npy") && !FileManager.default.fileExists(atPath: folder + "/bad"))
        let missing = try TestSupport.run(TestSupport.mongeBinary ?? "/nonexistent", ["data", "fashion", "--out", folder + "/x.npy"],
                                          environment: ["MONGE_FASHION_DIR": folder + "/nowhere"])
        #expect(missing.status != 0 && missing.stderr.contains("dataset-fashion-mnist"), "\(missing.stderr)")
    }
}
