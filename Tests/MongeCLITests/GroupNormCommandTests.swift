import Foundation
import MongeCore
import Testing
import TestSupport

/// Issue 9: `train --width 32` trained a dead residual network (one feature per GroupNorm group).
@Suite("monge train: GroupNorm groups")
struct GroupNormCommandTests {
    static let options = ["--arch", "residual", "--width", "32", "--depth", "2", "--steps", "2", "--batch", "64", "--T", "100", "--quiet"]

    @Test func defaultGroupsAreNeverThinnerThanEightFeatures() throws {
        let folder = TestSupport.temporaryFolder()
        let run = try TestSupport.monge(["train", "data:moons", "--out", folder + "/model"] + Self.options)
        #expect(run.status == 0, "\(run.stderr)")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/model/config.json")))
        let model = (config as? [String: Any])?["model"] as? [String: Any]
        #expect(model?["groups"] as? Int == 4, "\(String(describing: model))")
    }

    @Test func oneFeaturePerGroupIsRefusedBeforeTraining() throws {
        let folder = TestSupport.temporaryFolder()
        let run = try TestSupport.monge(["train", "data:moons", "--out", folder + "/model", "--groups", "32"] + Self.options)
        #expect(run.status != 0)
        #expect(run.stderr.contains("groups") && run.stderr.contains("at least 3 per group"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/model/model.safetensors"))
    }
}
