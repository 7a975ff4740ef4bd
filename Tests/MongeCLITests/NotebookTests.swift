import Foundation
import Testing
import TestSupport

/// The notebooks drive the `monge` binary; they run top to bottom headless so that they cannot rot.
/// Skipped only when no Jupyter is installed (`make test` installs it into .venv).
@Suite("Notebooks execute headless", .serialized)
struct NotebookTests {
    static var jupyter: String? {
        guard let python = TestSupport.pythonWithNumpy else { return nil }
        let path = URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("jupyter").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    @Test(.enabled(if: jupyter != nil, "Jupyter is not installed (run `make test`, which installs it)"),
          arguments: ["01_bridge_vs_ot", "02_sampler_math", "03_exact_ot", "04_conformance"])
    func notebookRuns(_ name: String) throws {
        let binary = try #require(TestSupport.mongeBinary)
        let scratch = TestSupport.temporaryFolder("monge-notebook")
        let r = try TestSupport.run(
            Self.jupyter!, ["nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=900",
                            "--output-dir", scratch, TestSupport.packageRoot + "/notebooks/\(name).ipynb"],
            environment: ["MONGE_BINARY": binary, "MONGE_NOTEBOOK_OUT": scratch + "/out"],
            currentDirectory: TestSupport.packageRoot + "/notebooks")
        #expect(r.status == 0, "\(name) failed:\n\(r.stderr.suffix(3000))")
        #expect(FileManager.default.fileExists(atPath: scratch + "/\(name).ipynb"))
    }
}
