import Foundation
import MongeCore
import Testing
import TestSupport

/// `monge conformance export|check` end to end: the kit's files and manifest, a passing and a
/// failing check (exit status 1), the report's snake_case keys, and a clear error for bad outputs.
@Suite("monge conformance", .serialized)
struct ConformanceCommandTests {
    @Test("export writes cases.json, README.md, arrays and a manifest; check reports pass (0) and fail (1)")
    func exportAndCheck() throws {
        let folder = TestSupport.temporaryFolder("conformance-cli")
        let kit = folder + "/kit"
        let exported = try TestSupport.monge(["conformance", "export", "--out", kit, "--quiet"])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.contains("18 single-step cases, 72 trajectory cases"))
        #expect(TestSupport.files(in: kit) == ["README.md", "arrays", "cases.json", "cases.json.manifest.json"])
        #expect(TestSupport.files(in: kit + "/arrays").count == 18 * 11 + 72 * 3 + 3 * 2)

        // A user's output: the kit's own DDIM η = 0 reference for one case passes, the input x does not.
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: kit + "/cases.json"))) as! [String: Any]
        let first = (manifest["step_cases"] as! [[String: Any]])[0]
        let id = first["id"] as! String, expected = (first["expected"] as! [String: String])["ddim_eta0"]!
        try FileManager.default.createDirectory(atPath: folder + "/good/ddim_eta0", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: kit + "/" + expected, toPath: folder + "/good/ddim_eta0/\(id).npy")
        let good = try TestSupport.monge(["conformance", "check", kit, folder + "/good", "--report", folder + "/report.json"])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stderr.contains("all 1 outputs pass"))
        let report = try String(contentsOfFile: folder + "/report.json", encoding: .utf8)
        for key in ["\"max_error\"", "\"scaled_error\"", "\"dtype\"", "\"passed\""] {
            #expect(report.contains(key), "\(key)")
        }
        #expect(FileManager.default.fileExists(atPath: folder + "/report.json.manifest.json"))

        try FileManager.default.createDirectory(atPath: folder + "/bad/ddim_eta0", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: kit + "/" + (first["x"] as! String), toPath: folder + "/bad/ddim_eta0/\(id).npy")
        let bad = try TestSupport.monge(["conformance", "check", kit, folder + "/bad"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("FAILED: ddim_eta0/\(id)"))
        #expect(bad.stdout.contains("\"passed\" : false"))

        let empty = try TestSupport.monge(["conformance", "check", kit, folder + "/nothing-here"])
        #expect(empty.status != 0 && empty.stderr.contains("OUTPUTS"))
    }
}
