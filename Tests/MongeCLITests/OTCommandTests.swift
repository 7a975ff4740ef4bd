import Foundation
import MongeCore
import Testing
import TestSupport

@Suite("monge ot")
struct OTCommandTests {
    func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }

    /// The multiscale auction refills stale candidate lists on all cores ahead of their bids; the
    /// refills are pure functions of the potentials at that moment, so the solve — map, cost and
    /// the number of bids — is the same with one thread or two.
    @Test func theMultiscaleSolveIsTheSameWhateverTheThreadCount() throws {
        let folder = TestSupport.temporaryFolder()
        let x: Matrix<Double> = RandomStream(seed: 3).normalMatrix(rows: 5000, columns: 2)
        let y = Matrix<Double>(rows: 5000, columns: 2) { i, k in
            let z = RandomStream(seed: 4).normal(UInt64(2 * i + k))
            return k == 0 ? 2 * z : 0.3 * z + Double(i % 3)  // three stretched clusters
        }
        try ArrayFile.write(x, to: folder + "/x.npy")
        try ArrayFile.write(y, to: folder + "/y.npy")
        let binary = try #require(TestSupport.mongeBinary)
        var maps: [Data] = [], results: [[String: Any]] = []
        for threads in ["1", "2"] {
            let r = try TestSupport.run(binary, ["ot", folder + "/x.npy", folder + "/y.npy", "--json", "--quiet",
                                                                  "--map", folder + "/map\(threads).npy"],
                                        environment: ["MONGE_THREADS": threads])
            #expect(r.status == 0, "\(r.stderr)")
            results.append(try json(r.stdout))
            maps.append(try Data(contentsOf: URL(fileURLWithPath: folder + "/map\(threads).npy")))
        }
        #expect(results[0]["solver"] as? String == "multiscale-assignment")
        #expect(maps[0] == maps[1])
        #expect((results[0]["cost"] as! Double).bitPattern == (results[1]["cost"] as! Double).bitPattern)
        #expect(results[0]["iterations"] as! Int == results[1]["iterations"] as! Int)
    }

    @Test func aTranslationIsTransportedExactlyWithItsCertificateAndFiles() throws {
        let folder = TestSupport.temporaryFolder()
        let x: Matrix<Double> = RandomStream(seed: 1).normalMatrix(rows: 60, columns: 2)
        let y = x.map { $0 + 0.5 }  // W2² = 0.5² + 0.5², the map is the translation
        try ArrayFile.write(x, to: folder + "/x.npy")
        try ArrayFile.write(y, to: folder + "/y.csv")
        let r = try TestSupport.monge(["ot", folder + "/x.npy", folder + "/y.csv", "--json", "--quiet",
                                        "--plan", folder + "/plan.npy", "--map", folder + "/map.npy"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try json(r.stdout)
        #expect(object["solver"] as? String == "multiscale-assignment")  // auto: n = m, uniform
        #expect(object["status"] as? String == "optimal")
        #expect(object["n"] as? Int == 60 && object["m"] as? Int == 60)
        #expect(abs((object["cost"] as! Double) - 0.5) < 1e-12)
        for key in ["iterations", "seconds"] { #expect(object[key] != nil, "\(key)") }
        let certificate = object["certificate"] as! [String: Any]
        for key in ["max_dual_violation", "max_slackness", "max_marginal_error"] {
            #expect((certificate[key] as! Double) < 1e-9, "\(key)")
        }
        let map = try ArrayFile.readMatrix(folder + "/map.npy", as: Double.self)
        #expect(map.maxAbsDifference(y) < 1e-15)
        let plan = try ArrayFile.readMatrix(folder + "/plan.npy", as: Double.self)
        #expect(plan.rows == 60 && plan.columns == 3)
        #expect((0..<60).allSatisfy { plan[$0, 0] == plan[$0, 1] && abs(plan[$0, 2] - 1.0 / 60) < 1e-15 })
        #expect(FileManager.default.fileExists(atPath: folder + "/map.npy.manifest.json"))
        // The figure of the plotting module, when gnuplot is installed.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/gnuplot") {
            let plotted = try TestSupport.monge(["ot", folder + "/x.npy", folder + "/y.csv", "--quiet", "--plot", folder + "/map.svg"])
            #expect(plotted.status == 0, "\(plotted.stderr)")
            #expect(FileManager.default.fileExists(atPath: folder + "/map.svg"))
        }
    }

    @Test func weightsGoToTheNetworkSimplexAndAPivotLimitIsAnExitCode() throws {
        let folder = TestSupport.temporaryFolder()
        try ArrayFile.write(RandomStream(seed: 2).normalMatrix(rows: 40, columns: 2, as: Double.self), to: folder + "/x.npy")
        try ArrayFile.write(RandomStream(seed: 3).normalMatrix(rows: 30, columns: 2, as: Double.self), to: folder + "/y.npy")
        let weights = (0..<40).map { Double($0 + 1) }
        let total = weights.reduce(0, +)
        try ArrayFile.write(try Matrix(rows: 40, columns: 1, storage: weights.map { $0 / total }), to: folder + "/a.csv")
        let ok = try TestSupport.monge(["ot", folder + "/x.npy", folder + "/y.npy", "--source-weights", folder + "/a.csv", "--json", "--quiet"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(try json(ok.stdout)["solver"] as? String == "network-simplex")
        let multiscale = try TestSupport.monge(["ot", folder + "/x.npy", folder + "/y.npy", "--source-weights", folder + "/a.csv",
                                                "--solver", "multiscale-simplex", "--json", "--quiet"])
        #expect(multiscale.status == 0, "\(multiscale.stderr)")
        let (simplexCost, multiscaleCost) = (try json(ok.stdout)["cost"] as? Double ?? .nan, try json(multiscale.stdout)["cost"] as? Double ?? .nan)
        #expect(try json(multiscale.stdout)["solver"] as? String == "multiscale-simplex")
        #expect(abs(simplexCost - multiscaleCost) <= 1e-12 * simplexCost, "\(simplexCost) vs \(multiscaleCost)")
        let limited = try TestSupport.monge(["ot", folder + "/x.npy", folder + "/y.npy", "--solver", "simplex",
                                             "--max-iterations", "2", "--json", "--quiet"])
        #expect(limited.status == 3)
        #expect(try json(limited.stdout)["status"] as? String == "iteration_limit")
        let sinkhorn = try TestSupport.monge(["ot", folder + "/x.npy", folder + "/y.npy", "--solver", "sinkhorn",
                                              "--epsilon", "0.01", "--max-iterations", "2", "--json", "--quiet"])
        #expect(sinkhorn.status == 3)
        #expect(try json(sinkhorn.stdout)["converged"] as? Bool == false)
    }

    @Test func badInputIsNamed() throws {
        let folder = TestSupport.temporaryFolder()
        try ArrayFile.write(Matrix<Double>([[0, 0], [1, .nan]]), to: folder + "/nan.csv")
        try ArrayFile.write(Matrix<Double>([[0, 0], [1, 1]]), to: folder + "/ok.csv")
        try ArrayFile.write(Matrix<Double>([[0, 0, 0]]), to: folder + "/threed.csv")
        try ArrayFile.write(Matrix<Double>([[0.7], [-0.2]]), to: folder + "/negative.csv")
        let nan = try TestSupport.monge(["ot", folder + "/nan.csv", folder + "/ok.csv"])
        #expect(nan.status != 0 && nan.stderr.contains("source points"), "\(nan.stderr)")
        let dims = try TestSupport.monge(["ot", folder + "/ok.csv", folder + "/threed.csv"])
        #expect(dims.status != 0 && dims.stderr.contains("3-dimensional"), "\(dims.stderr)")
        let negative = try TestSupport.monge(["ot", folder + "/ok.csv", folder + "/ok.csv", "--source-weights", folder + "/negative.csv"])
        #expect(negative.status != 0 && negative.stderr.contains("negative"), "\(negative.stderr)")
        let noEpsilon = try TestSupport.monge(["ot", folder + "/ok.csv", folder + "/ok.csv", "--solver", "sinkhorn"])
        #expect(noEpsilon.status != 0 && noEpsilon.stderr.contains("--epsilon"), "\(noEpsilon.stderr)")
    }

    /// --plan, --map and --plot are written only for exit 0: a failed run (exit 1) or an
    /// iteration limit (exit 3) leaves the files that were there as they were.
    @Test func onlyASuccessWritesFiles() throws {
        let folder = TestSupport.temporaryFolder()
        try ArrayFile.write(RandomStream(seed: 2).normalMatrix(rows: 40, columns: 2, as: Double.self), to: folder + "/x.npy")
        try ArrayFile.write(RandomStream(seed: 3).normalMatrix(rows: 30, columns: 2, as: Double.self), to: folder + "/y.npy")
        try ArrayFile.write(RandomStream(seed: 4).normalMatrix(rows: 30, columns: 3, as: Double.self), to: folder + "/y3.npy")
        try ArrayFile.write(RandomStream(seed: 5).normalMatrix(rows: 40, columns: 3, as: Double.self), to: folder + "/x3.npy")
        let outputs = ["map.npy", "plan.csv", "map.svg", "map.svg.gp", "map.svg.dat"]
        for name in outputs { try "previous \(name)".write(toFile: folder + "/" + name, atomically: true, encoding: .utf8) }
        let before = TestSupport.files(in: folder)
        let files = ["--map", folder + "/map.npy", "--plan", folder + "/plan.csv", "--quiet"]
        // Exit 3: the pivot limit.
        let limited = try TestSupport.monge(["ot", folder + "/x.npy", folder + "/y.npy", "--solver", "simplex", "--max-iterations", "2"] + files)
        #expect(limited.status == 3, "\(limited.stderr)")
        // Exit 1: a plot of 3-D points, refused (before solving).
        let failed = try TestSupport.monge(["ot", folder + "/x3.npy", folder + "/y3.npy", "--plot", folder + "/map.svg"] + files)
        #expect(failed.status == 1 && failed.stderr.contains("--plot"), "\(failed.stderr)")
        #expect(TestSupport.files(in: folder) == before)
        for name in outputs {
            #expect(try String(contentsOfFile: folder + "/" + name, encoding: .utf8) == "previous \(name)", "\(name)")
        }
        // A success replaces them all, with manifests whose digests match.
        let ok = try TestSupport.monge(["ot", folder + "/x.npy", folder + "/y.npy", "--solver", "simplex"] + files)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(try ArrayFile.readMatrix(folder + "/map.npy", as: Double.self).rows == 40)
        for manifest in ["map.npy.manifest.json", "plan.csv.manifest.json"] {
            #expect(try RunManifest.mismatches(folder + "/" + manifest).isEmpty)
            #expect(try RunManifest.read(folder + "/" + manifest).files?.keys.sorted() == ["map.npy", "plan.csv"])
        }
    }
}
