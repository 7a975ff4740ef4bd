import Foundation
import MongeCore
import Testing
import TestSupport

@Suite("monge compare")
struct CompareCommandTests {
    @Test func aTranslationIsOptimalForItsOwnMarginals() throws {
        let folder = TestSupport.temporaryFolder()
        let x: Matrix<Double> = RandomStream(seed: 1).normalMatrix(rows: 100, columns: 2)
        try ArrayFile.write(x, to: folder + "/x.npy")
        try ArrayFile.write(x.map { $0 + 1 }, to: folder + "/tx.csv")
        try ArrayFile.write(RandomStream(seed: 2).normalMatrix(rows: 100, columns: 2, as: Double.self).map { $0 + 1 }, to: folder + "/y.npy")
        let r = try TestSupport.monge(["compare", folder + "/x.npy", folder + "/tx.csv", folder + "/y.npy", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(abs((object["transport_cost"] as! Double) - 2) < 1e-12)
        #expect(abs(object["optimality_gap"] as! Double) < 1e-12)
        #expect(object["n"] as? Int == 100)
    }

    @Test func mismatchedCountsAndMissingFilesAreNamed() throws {
        let folder = TestSupport.temporaryFolder()
        try ArrayFile.write(Matrix<Double>(rows: 5, columns: 2, repeating: 1), to: folder + "/a.npy")
        try ArrayFile.write(Matrix<Double>(rows: 4, columns: 2, repeating: 1), to: folder + "/b.npy")
        let r = try TestSupport.monge(["compare", folder + "/a.npy", folder + "/b.npy", folder + "/a.npy"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("b.npy") && r.stderr.contains("4×2"), "\(r.stderr)")
        let missing = try TestSupport.monge(["compare", folder + "/a.npy", folder + "/none.npy", folder + "/a.npy"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("none.npy") && missing.stderr.contains("no such file"), "\(missing.stderr)")
    }
}
