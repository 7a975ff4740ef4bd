import Foundation
import MongeCLI
import MongeCore
import Testing
import TestSupport

@Suite("monge flow")
struct FlowCommandTests {
    static func refusal(_ arguments: [String]) -> String? {
        do {
            try Monge.parseAndValidate(arguments)
            return nil
        } catch {
            return Monge.message(for: error)
        }
    }

    @Test func badOptionsAreRefusedBeforeAnyWork() {
        let cases: [([String], [String])] = [
            (["flow", "train", "torchcfm:moons", "torchcfm:8gaussians", "--method", "ddpm", "--out", "x"], ["unknown flow method 'ddpm'", "ot-cfm"]),
            (["flow", "train", "torchcfm:moons", "torchcfm:8gaussians", "--method", "i-cfm", "--sigma", "-0.5", "--out", "x"], ["sigma", "≥ 0"]),
            (["flow", "train", "torchcfm:moons", "torchcfm:8gaussians", "--method", "sb-cfm", "--sigma", "0", "--out", "x"], ["sb-cfm needs σ > 0"]),
            (["flow", "train", "a.npy", "b.npy", "--method", "ot-cfm", "--reflow", "m", "--out", "x"], ["--reflow", "--method rf"]),
            (["flow", "map", "m", "x.npy", "--integrator", "midpoint:3", "--out", "y.npy"], ["--integrator", "midpoint"]),
            (["flow", "map", "m", "x.npy", "--out", "y.txt"], ["--out", ".npy or .csv"]),
            (["reproduce", "bridges-2d", "--seed", "3"], ["--seeds"]),
        ]
        for (arguments, fragments) in cases {
            guard let message = Self.refusal(arguments) else {
                Issue.record("accepted: \(arguments.joined(separator: " "))")
                continue
            }
            for fragment in fragments { #expect(message.contains(fragment), "\(arguments): \(message)") }
        }
        #expect(Self.refusal(["reproduce", "bridges-2d", "--quick", "--seeds", "0-1"]) == nil)
    }

    /// Train a tiny OT-CFM flow end to end, map points with two integrators, and refuse mismatched points.
    @Test func trainAndMapEndToEnd() throws {
        let folder = TestSupport.temporaryFolder("flow-cli")
        let train = try TestSupport.monge(["flow", "train", "torchcfm:normal", "torchcfm:8gaussians", "--method", "ot-cfm", "--steps", "30",
                                           "--batch", "32", "--width", "16", "--points", "500", "--out", folder + "/model", "--quiet"])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("30 minibatch OT plans, every certificate held"), "\(train.stdout)")
        for integrator in ["rk4:20", "dopri5:1e-4"] {
            let map = try TestSupport.monge(["flow", "map", folder + "/model", "torchcfm:normal", "--points", "50", "--integrator", integrator,
                                             "--out", folder + "/mapped.npy", "--json"])
            #expect(map.status == 0, "\(map.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(map.stdout.utf8)) as! [String: Any]
            #expect((object["nfe"] as! Int) > 0 && (object["path_energy"] as! Double) > 0)
            #expect(try ArrayFile.readMatrix(folder + "/mapped.npy", as: Double.self).shape == [50, 2])
        }
        try ArrayFile.write(Matrix<Double>(rows: 4, columns: 3, repeating: 0), to: folder + "/three.npy")
        let bad = try TestSupport.monge(["flow", "map", folder + "/model", folder + "/three.npy", "--out", folder + "/y.npy"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("3 columns but the flow's dimension is 2"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/y.npy"))
    }
}
