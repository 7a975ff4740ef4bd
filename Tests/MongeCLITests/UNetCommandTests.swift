import EigenKernels
import Foundation
import MongeCore
import Testing
import TestSupport

/// The conv U-Net from the command line: `monge train --arch unet` on square images, then `monge sample`.
@Suite("monge train --arch unet")
struct UNetCommandTests {
    /// Width 16: the 16-channel convolutions take the implicit-GEMM paths (forward, input and weight
    /// gradients) on AVX-512, the 1-channel input convolution's weight gradient keeps im2col.
    static let options = ["--arch", "unet", "--width", "16", "--steps", "6", "--batch", "8", "--T", "50", "--quiet"]

    /// The same bytes with one or two threads, and (where the CPU has AVX-512) on the AVX2 kernels
    /// (`MONGE_KERNELS=avx2`, im2col everywhere) as on the AVX-512 ones (implicit convolutions).
    @Test func trainsAndSamplesTheSameBytesWithOneOrTwoThreadsAndEitherKernelSet() throws {
        guard let binary = TestSupport.mongeBinary else { throw MongeError.externalTool(name: "monge", message: "not built") }
        let folder = TestSupport.temporaryFolder()
        // Twenty 8×8 images, one per row.
        let images: Matrix<Double> = RandomStream(seed: 2).normalMatrix(rows: 20, columns: 64)
        try ArrayFile.write(images, to: folder + "/images.npy")
        var files: [[Data?]] = []
        var environments: [[String: String]] = [["MONGE_THREADS": "1"], ["MONGE_THREADS": "2"]]
        if ek_kernels_avx512_supported() != 0 { environments.append(["MONGE_THREADS": "2", "MONGE_KERNELS": "avx2"]) }
        for (k, environment) in environments.enumerated() {
            let out = folder + "/run\(k + 1)"
            let train = try TestSupport.run(binary, ["train", folder + "/images.npy", "--out", out] + Self.options, environment: environment)
            #expect(train.status == 0, "\(train.stderr)")
            let sample = try TestSupport.run(binary, ["sample", out, "--n", "5", "--steps", "4", "--seed", "3", "--out", out + "/x.npy",
                                                      "--quiet"], environment: environment)
            #expect(sample.status == 0, "\(sample.stderr)")
            files.append(["config.json", "loss.csv", "model.safetensors", "x.npy"].map { FileManager.default.contents(atPath: out + "/" + $0) })
        }
        #expect(files[0].allSatisfy { $0 != nil })
        for k in 1..<files.count { #expect(files[k] == files[0], "run \(k + 1) (\(environments[k])) differs from run 1") }
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
