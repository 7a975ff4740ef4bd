import Foundation
import TestSupport
import Testing

/// `monge data` and `monge plot` end to end, through the built binary.
@Suite("monge data / monge plot (end to end)")
struct DataCommandTests {
    static let hasGnuplot: Bool = (try? TestSupport.run("/usr/bin/env", ["gnuplot", "--version"]).status) == 0

    @Test func sameSeedWritesIdenticalBytes() throws {
        let folder = TestSupport.temporaryFolder("monge-cli-data")
        for ext in ["npy", "csv"] {
            let a = folder + "/a.\(ext)", b = folder + "/b.\(ext)", c = folder + "/c.\(ext)"
            for (path, seed) in [(a, "3"), (b, "3"), (c, "4")] {
                let r = try TestSupport.monge(["data", "gaussians25", "--n", "500", "--seed", seed, "--out", path])
                #expect(r.status == 0, "\(r.stderr)")
            }
            let da = try Data(contentsOf: URL(fileURLWithPath: a)), db = try Data(contentsOf: URL(fileURLWithPath: b))
            let dc = try Data(contentsOf: URL(fileURLWithPath: c))
            #expect(!da.isEmpty && da == db && da != dc)
            // The run manifest beside the output records how to reproduce it.
            let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: a + ".manifest.json"))) as! [String: Any]
            #expect(manifest["command"] as? String == "monge data" && (manifest["seed"] as? Int) == 3)
            let parameters = manifest["parameters"] as? [String: Any]
            #expect(parameters?["dataset"] as? String == "gaussians25" && (parameters?["n"] as? Int) == 500)
            #expect(((parameters?["dataset_parameters"] as? [String: Any])?["std"] as? Double) == 0.05)
        }
        // A .npy opens as a [500, 2] float64 array (header check without numpy).
        let npy = try Data(contentsOf: URL(fileURLWithPath: folder + "/a.npy"))
        let header = String(decoding: npy.prefix(128), as: UTF8.self)
        #expect(header.contains("'descr': '<f8'") && header.contains("(500, 2)"))
    }

    @Test(.enabled(if: TestSupport.pythonWithNumpy != nil, "no Python with numpy (make setup creates .venv)"))
    func numpyReadsTheNpyAndItMatchesTheCSV() throws {
        let folder = TestSupport.temporaryFolder("monge-cli-data")
        for ext in ["npy", "csv"] {
            let r = try TestSupport.monge(["data", "concentric-rings", "--n", "300", "--seed", "2", "--out", folder + "/r.\(ext)"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let script = """
        import numpy as np
        a = np.load('\(folder)/r.npy'); b = np.loadtxt('\(folder)/r.csv', delimiter=',', skiprows=1)
        assert a.dtype == np.float64 and a.shape == (300, 2), (a.dtype, a.shape)
        assert np.array_equal(a, b), abs(a - b).max()
        print(abs(a.mean()) < 1e-12, abs(a.std() - 1) < 1e-12)
        """
        let r = try TestSupport.run(TestSupport.pythonWithNumpy!, ["-c", script])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "True True")
    }

    @Test func parametersChangeTheSample() throws {
        let folder = TestSupport.temporaryFolder("monge-cli-data")
        let r = try TestSupport.monge(["data", "moons", "--n", "10", "--out", folder + "/m.csv",
                                       "--param", "noise=0", "--param", "shuffle=0"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try String(contentsOfFile: folder + "/m.csv", encoding: .utf8).split(separator: "\n")
        // The first data row is the tip of the outer moon, (1, 0), whatever the header.
        let first = lines.first { Double($0.split(separator: ",")[0]) != nil }!
        #expect(first.split(separator: ",").map { Double($0)! } == [1, 0])
    }

    @Test func unknownNameIsAClearErrorAndWritesNothing() throws {
        let folder = TestSupport.temporaryFolder("monge-cli-data")
        let r = try TestSupport.monge(["data", "moonz", "--n", "10", "--out", folder + "/x.npy"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("moonz") && r.stderr.contains("moons") && r.stderr.contains("gaussians25"))
        #expect(TestSupport.files(in: folder).isEmpty)
    }

    @Test(arguments: ["0", "-5"])
    func nonPositiveCountIsRejected(n: String) throws {
        let folder = TestSupport.temporaryFolder("monge-cli-data")
        let r = try TestSupport.monge(["data", "moons", "--n=\(n)", "--out", folder + "/x.npy"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--n") && r.stderr.contains("positive"), "\(r.stderr)")
        #expect(TestSupport.files(in: folder).isEmpty)
    }

    @Test func badParametersAndExtensionsAreRejected() throws {
        let folder = TestSupport.temporaryFolder("monge-cli-data")
        let cases: [([String], String)] = [
            (["--param", "nosie=1"], "noise"),  // lists the accepted names
            (["--param", "noise"], "key=value"),
            (["--param", "noise=abc"], "not a number"),
            (["--param", "noise=-1"], "noise"),
        ]
        for (extra, expected) in cases {
            let r = try TestSupport.monge(["data", "moons", "--n", "10", "--out", folder + "/x.npy"] + extra)
            #expect(r.status != 0 && r.stderr.contains(expected), "\(extra): \(r.stderr)")
        }
        let r = try TestSupport.monge(["data", "moons", "--n", "10", "--out", folder + "/x.txt"])
        #expect(r.status != 0 && r.stderr.contains(".npy"))
        let p = try TestSupport.monge(["data", "moons", "--n", "10", "--out", folder + "/x.npy", "--plot", folder + "/x.gif"])
        #expect(p.status != 0 && p.stderr.contains(".png"))
        #expect(TestSupport.files(in: folder).isEmpty)
    }

    @Test func listShowsNamesAndDefaults() throws {
        let r = try TestSupport.monge(["data", "--list"])
        #expect(r.status == 0)
        for name in ["gaussians25", "gaussians8", "moons", "checkerboard", "concentric-rings", "parallel-squares", "spirals"] {
            #expect(r.stdout.contains(name + ":"), "\(name)")
        }
        #expect(r.stdout.contains("std = 0.05"))
    }

    @Test(.enabled(if: hasGnuplot, "gnuplot is not installed (apt-get install gnuplot-nox)"))
    func plotsOfDataAndMaps() throws {
        let folder = TestSupport.temporaryFolder("monge-cli-plot")
        let x = folder + "/x.npy", y = folder + "/y.csv"
        var r = try TestSupport.monge(["data", "gaussians25", "--n", "200", "--out", x, "--plot", folder + "/x.png"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder + "/x.png.gp"))
        r = try TestSupport.monge(["data", "moons", "--n", "200", "--out", y, "--param", "scale=3"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try TestSupport.monge(["plot", "scatter", x, y, "--out", folder + "/s.svg", "--title", "two sets"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try TestSupport.monge(["plot", "map", x, y, "--target", y, "--out", folder + "/map.pdf", "--max-arrows", "50"])
        #expect(r.status == 0, "\(r.stderr)")
        for figure in ["x.png", "s.svg", "map.pdf"] {
            let size = (try FileManager.default.attributesOfItem(atPath: folder + "/" + figure)[.size] as? Int) ?? 0
            #expect(size > 0, "\(figure)")
        }
        // Mismatched rows: a clear error, no figure.
        let short = folder + "/short.npy"
        _ = try TestSupport.monge(["data", "moons", "--n", "100", "--out", short])
        r = try TestSupport.monge(["plot", "map", x, short, "--out", folder + "/bad.png"])
        #expect(r.status != 0 && r.stderr.contains("rows"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/bad.png"))
    }

    @Test func missingGnuplotFailsBeforeWritingData() throws {
        let folder = TestSupport.temporaryFolder("monge-cli-plot")
        guard let binary = TestSupport.mongeBinary else { throw MongeToolMissing() }
        let r = try TestSupport.run(binary, ["data", "moons", "--n", "10", "--out", folder + "/x.npy", "--plot", folder + "/x.png"],
                                    environment: ["MONGE_GNUPLOT": folder + "/no-gnuplot"])
        #expect(r.status != 0 && r.stderr.contains("gnuplot"))
        #expect(TestSupport.files(in: folder).isEmpty)
    }
}

struct MongeToolMissing: Error, CustomStringConvertible {
    var description: String { "the monge binary is not built: run `swift build -c release --product monge`" }
}
