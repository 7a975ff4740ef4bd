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
        #expect(TestSupport.files(in: folder + "/out") == ["log.csv", "metrics.json", "samples.npy", "samples.npy.manifest.json"])
        let samples = try ArrayFile.readMatrix(folder + "/out/samples.npy", as: Double.self)
        #expect(samples.rows == 300 && samples.columns == 2)
        let data = try #require(FileManager.default.contents(atPath: folder + "/out/metrics.json"))
        let metrics = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(metrics["mode"] as? String == mode && metrics["modes"] as? Int == 25 && metrics["samples"] as? Int == 300)
        let counts = try #require(metrics["mode_counts"] as? [Int])
        #expect(counts.count == 25 && counts.filter { $0 > 0 }.count == metrics["modes_covered"] as? Int)
        #expect((metrics["final_T"] is NSNull) == (mode == "vanilla"))
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
                                  (["--mode", "diffusion", "--batch", "0"], "--batch"), (["--mode", "vanilla", "--lr", "-1"], "--lr")] {
            let run = try TestSupport.monge(["gan", "--out", folder + "/out"] + arguments)
            #expect(run.status != 0)
            #expect(run.stderr.contains(name), "\(arguments): \(run.stderr)")
        }
        let missing = try TestSupport.monge(["gan", "--mode", "vanilla"])
        #expect(missing.status != 0 && missing.stderr.contains("--out"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/out"))
    }
}
