import Foundation
import MongeCore
import Testing
import TestSupport

@Suite("monge translate")
struct TranslateCommandTests {
    /// 1-D Gaussian oracles: the DDIB map tends to the Monge map x ↦ μ_B + (s_B/s_A)(x − μ_A).
    @Test func gaussianOraclesGiveTheAffineMonge() throws {
        let folder = TestSupport.temporaryFolder()
        let x = Matrix<Double>(rows: 50, columns: 1) { i, _ in 1.5 + 0.5 * (-2 + 4 * Double(i) / 49) }
        try ArrayFile.write(x, to: folder + "/x.npy")
        let r = try TestSupport.monge([
            "translate", "--from", "oracle:gaussian:mean=1.5:std=0.5", "--to", "oracle:gaussian:mean=-2:std=1.25",
            folder + "/x.npy", "--steps", "200", "--solver", "heun", "--out", folder + "/t.npy",
            "--latent", folder + "/z.npy", "--cycle", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let mapped = try ArrayFile.readMatrix(folder + "/t.npy", as: Double.self)
        let monge = x.map { -2 + (1.25 / 0.5) * ($0 - 1.5) }
        #expect(mapped.maxAbsDifference(monge) < 0.05)
        #expect(try ArrayFile.readMatrix(folder + "/z.npy", as: Double.self).rows == 50)
        #expect(r.stdout.contains("cycle error"))
        #expect(FileManager.default.fileExists(atPath: folder + "/t.npy.manifest.json"))
    }

    @Test func mismatchedModelsAndMissingInputAreNamed() throws {
        let folder = TestSupport.temporaryFolder()
        try ArrayFile.write(Matrix<Double>(rows: 3, columns: 2, repeating: 0.5), to: folder + "/x.npy")
        let r = try TestSupport.monge([
            "translate", "--from", "oracle:gaussians25", "--to", "oracle:gaussian:mean=0:std=1",
            folder + "/x.npy", "--steps", "5", "--out", folder + "/t.npy"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("dimension 2") && r.stderr.contains("on 1"), "\(r.stderr)")
        let missing = try TestSupport.monge([
            "translate", "--from", "oracle:gaussians25", "--to", "oracle:gaussians8",
            folder + "/none.npy", "--steps", "5", "--out", folder + "/t.npy"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("none.npy"), "\(missing.stderr)")
        let wrongWidth = try TestSupport.monge([
            "translate", "--from", "oracle:gaussian:mean=0:std=1", "--to", "oracle:gaussian:mean=1:std=1",
            folder + "/x.npy", "--steps", "5", "--out", folder + "/t.npy"])
        #expect(wrongWidth.status != 0)
        #expect(wrongWidth.stderr.contains("x.npy has 2 columns"), "\(wrongWidth.stderr)")
        #expect(TestSupport.files(in: folder) == ["x.npy"])
    }
}
