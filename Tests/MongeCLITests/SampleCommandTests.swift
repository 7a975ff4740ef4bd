import Foundation
import MongeCore
import Testing
import TestSupport

@Suite("monge sample / encode / decode")
struct SampleCommandTests {
    static func read(_ path: String) throws -> Matrix<Double> { try ArrayFile.readMatrix(path, as: Double.self) }

    @Test func samplesFromTheGaussians25OracleLandOnTheGrid() throws {
        let folder = TestSupport.temporaryFolder()
        let r = try TestSupport.monge(["sample", "oracle:gaussians25", "--n", "500", "--steps", "100", "--sampler", "ddpm",
                                       "--seed", "3", "--out", folder + "/s.npy", "--trajectory", folder + "/t.csv", "--trajectory-rows", "4"])
        #expect(r.status == 0, "\(r.stderr)")
        let x = try Self.read(folder + "/s.npy")
        #expect(x.rows == 500 && x.columns == 2)
        let good = (0..<500).filter { i in
            let dx = x[i, 0] - 2 * (x[i, 0] / 2).rounded(), dy = x[i, 1] - 2 * (x[i, 1] / 2).rounded()
            return (dx * dx + dy * dy).squareRoot() < 0.15 && abs(x[i, 0]) < 4.2 && abs(x[i, 1]) < 4.2
        }.count
        #expect(good > 450)
        let manifest = try RunManifest.read(folder + "/s.npy.manifest.json")
        #expect(manifest.command == "monge sample" && manifest.seed == 3 && manifest.outputs.count == 2)
        #expect(manifest.parameters["sampler"] == "ddpm" && manifest.parameters["schedule_timesteps"] == 1000)
        #expect(manifest.results["evaluations_per_point"] == 100)
        let t = try Self.read(folder + "/t.csv")
        #expect(t.rows == 101 * 4 && t.columns == 5)
        #expect(t[0, 1] == 999 && t[t.rows - 1, 1] == -1 && t[t.rows - 1, 3] == x[3, 0])
    }

    @Test func sameSeedIsByteIdenticalWhateverThreadsAndBlocks() throws {
        let folder = TestSupport.temporaryFolder()
        let binary = try #require(TestSupport.mongeBinary)
        var files: [Data] = []
        for (threads, block) in [("1", "1024"), ("2", "64"), ("2", "7")] {
            let path = folder + "/s-\(threads)-\(block).npy"
            let r = try TestSupport.run(binary, ["sample", "oracle:gaussians8", "--n", "300", "--steps", "20", "--sampler", "ddim",
                                                 "--eta", "0.5", "--seed", "11", "--block-size", block, "--out", path, "--quiet"],
                                        environment: ["MONGE_THREADS": threads])
            #expect(r.status == 0, "\(r.stderr)")
            files.append(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        #expect(files[0] == files[1] && files[1] == files[2])
        let other = try TestSupport.monge(["sample", "oracle:gaussians8", "--n", "300", "--steps", "20", "--sampler", "ddim",
                                           "--eta", "0.5", "--seed", "12", "--out", folder + "/o.npy", "--quiet"])
        #expect(other.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/o.npy")) != files[0])
    }

    @Test func encodeThenDecodeReturnsTheInput() throws {
        let folder = TestSupport.temporaryFolder()
        let x: Matrix<Double> = RandomStream(seed: 5).normalMatrix(rows: 200, columns: 2)
        try ArrayFile.write(x, to: folder + "/x.csv")
        let model = "oracle:gaussian:mean=1,-1:cov=0.5,0.1,0.1,0.2"
        let e = try TestSupport.monge(["encode", model, folder + "/x.csv", "--steps", "50", "--spacing", "trailing", "--sampler", "heun",
                                       "--out", folder + "/z.npy"])
        #expect(e.status == 0, "\(e.stderr)")
        #expect(e.stderr.contains("200 points × 100 model evaluations"), "\(e.stderr)")
        let d = try TestSupport.monge(["decode", model, folder + "/z.npy", "--steps", "50", "--spacing", "trailing", "--sampler", "heun",
                                       "--out", folder + "/back.npy"])
        #expect(d.status == 0, "\(d.stderr)")
        let back = try Self.read(folder + "/back.npy")
        #expect(zip(back.storage, x.storage).map { abs($0 - $1) }.max()! < 1e-3)
    }

    @Test func badInputIsNamedAndNothingIsWritten() throws {
        let folder = TestSupport.temporaryFolder()
        try ArrayFile.write(Matrix<Double>(rows: 4, columns: 3, repeating: 0.5), to: folder + "/wide.npy")
        let wide = try TestSupport.monge(["encode", "oracle:gaussians25", folder + "/wide.npy", "--steps", "10", "--out", folder + "/z.npy"])
        #expect(wide.status != 0)
        #expect(wide.stderr.contains("wide.npy") && wide.stderr.contains("3 columns") && wide.stderr.contains("dimension 2"), "\(wide.stderr)")

        try "x,y\n0.5,1\nnan,2\n".write(toFile: folder + "/nan.csv", atomically: true, encoding: .utf8)
        let nan = try TestSupport.monge(["decode", "oracle:gaussians25", folder + "/nan.csv", "--steps", "10", "--out", folder + "/z.npy"])
        #expect(nan.status != 0)
        #expect(nan.stderr.contains("nan.csv: row 2, column 1: nan is not a finite number"), "\(nan.stderr)")

        let spec = try TestSupport.monge(["sample", "oracle:unicorn", "--n", "5", "--steps", "10", "--out", folder + "/z.npy"])
        #expect(spec.status != 0 && spec.stderr.contains("unknown oracle"), "\(spec.stderr)")
        let steps = try TestSupport.monge(["sample", "oracle:gaussians8", "--n", "5", "--steps", "1001", "--out", folder + "/z.npy"])
        #expect(steps.status != 0 && steps.stderr.contains("steps"), "\(steps.stderr)")
        let ext = try TestSupport.monge(["sample", "oracle:gaussians8", "--n", "5", "--steps", "10", "--out", folder + "/z.txt"])
        #expect(ext.status != 0 && ext.stderr.contains(".npy or .csv"), "\(ext.stderr)")
        let eta = try TestSupport.monge(["sample", "oracle:gaussians8", "--n", "5", "--steps", "10", "--sampler", "heun", "--eta", "0.5", "--out", folder + "/z.npy"])
        #expect(eta.status != 0 && eta.stderr.contains("--eta"), "\(eta.stderr)")
        #expect(!TestSupport.files(in: folder).contains("z.npy"))
    }

    @Test func anEmpiricalOracleSamplesItsPoints() throws {
        let folder = TestSupport.temporaryFolder()
        let points = Matrix<Double>([[0, 0], [3, 1], [-2, 4]])
        try ArrayFile.write(points, to: folder + "/p.npy")
        let r = try TestSupport.monge(["sample", "oracle:empirical:\(folder)/p.npy", "--n", "60", "--steps", "100", "--out", folder + "/s.npy", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let x = try Self.read(folder + "/s.npy")
        for i in 0..<x.rows {
            let nearest = (0..<3).map { k in hypot(x[i, 0] - points[k, 0], x[i, 1] - points[k, 1]) }.min()!
            #expect(nearest < 1e-3)
        }
    }

    @Test func aTrainedCheckpointIsAModel() throws {
        let folder = TestSupport.temporaryFolder()
        let train = try TestSupport.monge(["train", "data:gaussians8", "--out", folder + "/run", "--steps", "50", "--width", "16",
                                           "--depth", "2", "--arch", "mlp", "--batch", "128", "--data-points", "1000", "--quiet"])
        #expect(train.status == 0, "\(train.stderr)")
        let binary = try #require(TestSupport.mongeBinary)
        var outputs: [Data] = []
        for (threads, block) in [("1", "1024"), ("2", "7")] {
            let path = folder + "/s\(threads).npy"
            let r = try TestSupport.run(binary, ["sample", folder + "/run", "--n", "100", "--steps", "10", "--sampler", "ddpm",
                                                 "--block-size", block, "--out", path, "--quiet"], environment: ["MONGE_THREADS": threads])
            #expect(r.status == 0, "\(r.stderr)")
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        #expect(outputs[0] == outputs[1])
        let x = try ArrayFile.readMatrix(folder + "/s1.npy", as: Float.self)
        #expect(x.rows == 100 && x.columns == 2 && x.isFinite)
        try ArrayFile.write(Matrix<Float>(rows: 3, columns: 5), to: folder + "/wide.npy")
        let wide = try TestSupport.monge(["encode", folder + "/run", folder + "/wide.npy", "--steps", "5", "--out", folder + "/z.npy"])
        #expect(wide.status != 0 && wide.stderr.contains("dimension 2"), "\(wide.stderr)")
        let missing = try TestSupport.monge(["sample", folder + "/none", "--n", "5", "--steps", "5", "--out", folder + "/z.npy"])
        #expect(missing.status != 0 && missing.stderr.contains("no such checkpoint folder"), "\(missing.stderr)")
    }
}
