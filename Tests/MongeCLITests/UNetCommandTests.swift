import Foundation
import MongeCore
import Testing
import TestSupport

/// The conv U-Net from the command line: `monge train --arch unet` on square images, then `monge sample`.
@Suite("monge train --arch unet")
struct UNetCommandTests {
    static let options = ["--arch", "unet", "--width", "8", "--steps", "6", "--batch", "8", "--T", "50", "--quiet"]

    @Test func trainsAndSamplesTheSameBytesWithOneOrTwoThreads() throws {
        guard let binary = TestSupport.mongeBinary else { throw MongeError.externalTool(name: "monge", message: "not built") }
        let folder = TestSupport.temporaryFolder()
        // Twenty 8×8 images, one per row.
        let images: Matrix<Double> = RandomStream(seed: 2).normalMatrix(rows: 20, columns: 64)
        try ArrayFile.write(images, to: folder + "/images.npy")
        var files: [[Data?]] = []
        for threads in ["1", "2"] {
            let out = folder + "/run\(threads)"
            let train = try TestSupport.run(binary, ["train", folder + "/images.npy", "--out", out] + Self.options,
                                            environment: ["MONGE_THREADS": threads])
            #expect(train.status == 0, "\(train.stderr)")
            let sample = try TestSupport.run(binary, ["sample", out, "--n", "5", "--steps", "4", "--seed", "3", "--out", out + "/x.npy",
                                                      "--quiet"], environment: ["MONGE_THREADS": threads])
            #expect(sample.status == 0, "\(sample.stderr)")
            files.append(["config.json", "loss.csv", "model.safetensors", "x.npy"].map { FileManager.default.contents(atPath: out + "/" + $0) })
        }
        #expect(files[0].allSatisfy { $0 != nil } && files[0] == files[1])
        let config = String(decoding: files[0][0]!, as: UTF8.self)
        #expect(config.contains("\"architecture\" : \"unet\"") && config.contains("\"height\" : 8"))
        let samples = try ArrayFile.readMatrix(folder + "/run1/x.npy", as: Double.self)
        #expect(samples.rows == 5 && samples.columns == 64)
    }

    @Test func nonSquareDataIsAClearError() throws {
        guard let binary = TestSupport.mongeBinary else { throw MongeError.externalTool(name: "monge", message: "not built") }
        let folder = TestSupport.temporaryFolder()
        let points: Matrix<Double> = RandomStream(seed: 1).normalMatrix(rows: 30, columns: 2)
        try ArrayFile.write(points, to: folder + "/points.npy")
        let result = try TestSupport.run(binary, ["train", folder + "/points.npy", "--out", folder + "/run"] + Self.options)
        #expect(result.status != 0)
        #expect(result.stderr.contains("square grayscale images") && result.stderr.contains("2 columns"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/run/model.safetensors"))
    }
}
