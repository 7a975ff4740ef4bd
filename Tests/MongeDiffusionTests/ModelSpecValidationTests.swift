import Foundation
import MongeCore
import MongeDiffusion
import Testing
import TestSupport

@Suite("Model specs: limits and files")
struct ModelSpecValidationTests {
    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
        } catch {
            return "\(error)"
        }
        Issue.record("nothing was thrown")
        return ""
    }

    @Test func anOracleTIsBoundedBeforeAnyScheduleIsBuilt() throws {
        // oracle:…:T=10¹² allocated a schedule of 10¹² doubles ("failed to allocate").
        let huge = message { _ = try ModelSpec(parsing: "oracle:gaussians25:T=1000000000000") }
        #expect(huge.contains("T must be a positive integer, at most 1000000") && huge.contains("1000000000000"), "\(huge)")
        #expect(message { _ = try ModelSpec(parsing: "oracle:gaussians8:T=1000001") }.contains("at most 1000000"))
        #expect(try ModelSpec(parsing: "oracle:gaussians8:T=\(ModelSpec.maximumTimesteps)").schedule?.count == ModelSpec.maximumTimesteps)
    }

    @Test func aFileGivenAsACheckpointIsNamedAsAFile() throws {
        let folder = TestSupport.temporaryFolder("modelspec")
        try ArrayFile.write(Matrix<Double>([[0, 0]]), to: folder + "/good.npy")
        let spec = try ModelSpec(parsing: folder + "/good.npy")
        let checked = message { try spec.checkFiles() }
        #expect(checked.contains("good.npy is a file") && checked.contains("checkpoint folder") && checked.contains("oracle"), "\(checked)")
        #expect(!checked.contains("config.json"))
        // Loading says the same (it used to say "good.npy/config.json: no such file").
        let loaded = message { _ = try spec.denoiser(as: Float.self) }
        #expect(loaded == checked, "\(loaded)")
        let missing = message { try ModelSpec(parsing: folder + "/none").checkFiles() }
        #expect(missing.contains("no such checkpoint folder"), "\(missing)")
        let empirical = message { try ModelSpec(parsing: "oracle:empirical:\(folder)/none.npy").checkFiles() }
        #expect(empirical.contains("none.npy: no such file"), "\(empirical)")
        try ModelSpec(parsing: "oracle:empirical:\(folder)/good.npy").checkFiles()
        try ModelSpec(parsing: "oracle:gaussians25").checkFiles()
        try FileManager.default.createDirectory(atPath: folder + "/run", withIntermediateDirectories: true)
        try ModelSpec(parsing: folder + "/run").checkFiles()
    }

    @Test func builtInOraclesKnowTheirDimension() throws {
        #expect(try ModelSpec(parsing: "oracle:gaussians25").knownDimension == 2)
        #expect(try ModelSpec(parsing: "oracle:gaussians8").knownDimension == 2)
        #expect(try ModelSpec(parsing: "oracle:gaussian:mean=1,2,3").knownDimension == 3)
        #expect(try ModelSpec(parsing: "oracle:empirical:p.npy").knownDimension == nil)
        #expect(try ModelSpec(parsing: "runs/moons").knownDimension == nil)
    }
}
