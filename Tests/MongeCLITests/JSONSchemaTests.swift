import Foundation
import MongeCore
import Testing
import TestSupport

/// Every JSON the commands print or write names its keys in snake_case (the README's convention),
/// and a few keys have their documented names.
@Suite("JSON schema: snake_case everywhere")
struct JSONSchemaTests {
    static let snakeCase = try! NSRegularExpression(pattern: "^[a-z0-9]+(_[a-z0-9]+)*$")

    /// The keys of `value` at every depth that are not snake_case, as dotted paths. The keys of
    /// maps whose keys are data (`files`: paths; `dataset_parameters`: dataset names) are not
    /// names and are skipped, but their values are walked.
    static func offenders(_ value: Any, path: String = "") -> [String] {
        if let object = value as? [String: Any] {
            let parent = path.split(separator: ".").last.map(String.init)
            let keysAreData = parent == "files" || parent == "dataset_parameters"
            return object.keys.sorted().flatMap { key -> [String] in
                let here = path.isEmpty ? key : path + "." + key
                let range = NSRange(key.startIndex..., in: key)
                let bad = !keysAreData && snakeCase.firstMatch(in: key, range: range) == nil
                return (bad ? [here] : []) + offenders(object[key]!, path: here)
            }
        }
        if let array = value as? [Any] {
            return array.enumerated().flatMap { offenders($1, path: path + "[\($0)]") }
        }
        return []
    }

    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    static func json(file path: String) throws -> Any {
        try JSONSerialization.jsonObject(with: try #require(FileManager.default.contents(atPath: path), "missing \(path)"))
    }

    @Test func theCheckCatchesCamelCaseAtAnyDepth() throws {
        let nested = try Self.json(#"{"ok": [{"fine_key": {"deepCamel": 1}}], "files": {"a/b.npy": {"bytes": 1}}}"#)
        #expect(Self.offenders(nested) == ["ok[0].fine_key.deepCamel"])
    }

    /// `ot --json` and its manifest, whose `seconds` is the command's wall time.
    @Test func otOutputAndManifest() throws {
        let folder = TestSupport.temporaryFolder()
        let x: Matrix<Double> = RandomStream(seed: 1).normalMatrix(rows: 1000, columns: 2)
        let y: Matrix<Double> = RandomStream(seed: 2).normalMatrix(rows: 1000, columns: 2)
        try ArrayFile.write(x, to: folder + "/x.npy")
        try ArrayFile.write(y, to: folder + "/y.npy")
        let r = try TestSupport.monge(["ot", folder + "/x.npy", folder + "/y.npy", "--map", folder + "/tx.npy", "--json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try #require(try Self.json(r.stdout) as? [String: Any])
        #expect(Self.offenders(summary).isEmpty, "\(Self.offenders(summary))")
        for key in ["cost", "status", "iterations", "total_seconds", "plan_entries", "certificate"] {
            #expect(summary[key] != nil, "ot --json lacks \(key)")
        }
        let manifest = try #require(try Self.json(file: folder + "/tx.npy.manifest.json") as? [String: Any])
        #expect(Self.offenders(manifest).isEmpty, "\(Self.offenders(manifest))")
        for key in ["start_time", "seconds", "host", "parameters", "results", "files"] {
            #expect(manifest[key] != nil, "the manifest lacks \(key)")
        }
        #expect((manifest["host"] as? [String: Any])?["operating_system"] is String)
        // The manifest spans the whole command: it begins before the reading and the solve the
        // summary timed (`total_seconds`) and ends after them.
        let total = try #require(summary["total_seconds"] as? Double)
        let seconds = try #require(manifest["seconds"] as? Double)
        #expect(seconds >= total - 1e-3, "manifest seconds \(seconds), command \(total)")
        // And it reads back through RunManifest.
        let back = try RunManifest.read(folder + "/tx.npy.manifest.json")
        #expect(back.seconds == seconds && back.host.operatingSystem == (manifest["host"] as? [String: Any])?["operating_system"] as? String)
    }

    /// `compare --json` with the mode split, and the manifest of `monge plot`.
    @Test func compareOutputAndPlotManifest() throws {
        let folder = TestSupport.temporaryFolder()
        let x: Matrix<Double> = RandomStream(seed: 1).normalMatrix(rows: 80, columns: 2)
        try ArrayFile.write(x, to: folder + "/x.npy")
        try ArrayFile.write(x.map { $0 + 1 }, to: folder + "/tx.npy")
        try ArrayFile.write(RandomStream(seed: 2).normalMatrix(rows: 80, columns: 2, as: Double.self), to: folder + "/y.npy")
        let r = try TestSupport.monge(["compare", folder + "/x.npy", folder + "/tx.npy", folder + "/y.npy", "--second-target",
                                       folder + "/x.npy", "--cycled", folder + "/x.npy", "--modes", "oracle:gaussians8",
                                       "--json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty, "--quiet: \(r.stderr)")
        let compared = try #require(try Self.json(r.stdout) as? [String: Any])
        #expect(Self.offenders(compared).isEmpty, "\(Self.offenders(compared))")
        for key in ["transport_cost", "exact_w2_squared", "optimality_gap", "realism_w2", "sampling_floor_w2",
                    "cycle_error_max", "ot_seconds", "on_mode_precision", "mode_balance_kl", "modes_covered"] {
            #expect(compared[key] != nil, "compare --json lacks \(key)")
        }

        let plot = try TestSupport.monge(["plot", "scatter", folder + "/x.npy", "--out", folder + "/x.svg", "--quiet"])
        #expect(plot.status == 0, "\(plot.stderr)")
        #expect(plot.stderr.isEmpty, "--quiet: \(plot.stderr)")
        let manifest = try #require(try Self.json(file: folder + "/x.svg.manifest.json") as? [String: Any])
        #expect(Self.offenders(manifest).isEmpty, "\(Self.offenders(manifest))")
        #expect(manifest["command"] as? String == "monge plot scatter")
        #expect(try RunManifest.mismatches(folder + "/x.svg.manifest.json").isEmpty)
        #expect(Set(((manifest["files"] as? [String: Any]) ?? [:]).keys) == ["x.svg", "x.svg.gp", "x.svg.dat"])
    }

    /// A tiny reproduction: results.json, plan.json and its manifest.
    @Test func reproductionFiles() throws {
        let folder = TestSupport.temporaryFolder() + "/run"
        let r = try TestSupport.monge([
            "reproduce", "ddib-2d", "--quick", "--out", folder, "--n", "48", "--training-steps", "20",
            "--training-points", "256", "--pairs", "moons:checkerboard", "--cells", "ddim:4", "--oracle-cells", "ddim:4", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        for file in ["results.json", "oracle_results.json", "plan.json", "manifest.json"] {
            let value = try Self.json(file: folder + "/" + file)
            #expect(Self.offenders(value).isEmpty, "\(file): \(Self.offenders(value))")
        }
        let rows = try #require(try Self.json(file: folder + "/results.json") as? [[String: Any]])
        for key in ["pair", "solver", "optimality", "monge_dev_mean", "realism_w2", "cycle_max"] {
            #expect(rows.first?[key] != nil, "results.json lacks \(key)")
        }
        let plan = try #require(try Self.json(file: folder + "/plan.json") as? [String: Any])
        #expect(plan["training_points"] as? Int == 256 && plan["oracle_cells"] != nil, "\(plan.keys.sorted())")
        let manifest = try #require(try Self.json(file: folder + "/manifest.json") as? [String: Any])
        #expect(((manifest["results"] as? [String: Any])?["oracle_rows"] as? Int ?? 0) >= 1)
    }
}
