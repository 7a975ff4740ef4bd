import Foundation
import MongeCore
import Testing
import TestSupport

@Suite("monge classifier and monge egsde")
struct EGSDECommandTests {
    /// Two separated Gaussian clouds, N((∓3, 0), 0.5²I), as .npy files in `folder`.
    static func writeDomains(_ folder: String) throws {
        let z: Matrix<Double> = RandomStream(seed: 4).normalMatrix(rows: 600, columns: 2)
        let a = Matrix<Double>(rows: 300, columns: 2) { i, j in 0.5 * z[i, j] + (j == 0 ? -3 : 0) }
        let b = Matrix<Double>(rows: 300, columns: 2) { i, j in 0.5 * z[300 + i, j] + (j == 0 ? 3 : 0) }
        try ArrayFile.write(a, to: folder + "/a.npy")
        try ArrayFile.write(b, to: folder + "/b.npy")
    }

    @Test func trainsAClassifierAndTranslatesWithIt() throws {
        let folder = TestSupport.temporaryFolder()
        try Self.writeDomains(folder)
        let trained = try TestSupport.monge([
            "classifier", folder + "/a.npy", folder + "/b.npy", "--out", folder + "/cls", "--width", "16", "--depth", "2",
            "--time-embedding", "8", "--steps", "300", "--batch", "64", "--lr", "3e-3", "--seed", "1", "--quiet"])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(TestSupport.files(in: folder + "/cls") ==
                ["classifier.json", "classifier.safetensors", "classifier.safetensors.manifest.json", "loss.csv"])
        // The printed clean accuracy of two clouds 12 standard deviations apart.
        let accuracy = trained.stdout.split(separator: " ").firstIndex(of: "accuracy").map { trained.stdout.split(separator: " ")[$0 + 1] }
        #expect(accuracy.flatMap { Double($0) }.map { $0 > 0.95 } == true, "\(trained.stdout)")

        let model = "oracle:gaussian:mean=3,0:std=0.5"
        func egsde(_ out: String, threads: String, extra: [String] = []) throws -> TestSupport.ProcessResult {
            try TestSupport.run(TestSupport.mongeBinary!, [
                "egsde", model, folder + "/a.npy", "--classifier", folder + "/cls", "--out", folder + "/" + out,
                "--steps", "40", "--lambda-s", "20", "--lambda-i", "0", "--seed", "5", "--quiet"] + extra,
                environment: ["MONGE_THREADS": threads])
        }
        let one = try egsde("y1.npy", threads: "1"), two = try egsde("y2.npy", threads: "2")
        #expect(one.status == 0 && two.status == 0, "\(one.stderr) \(two.stderr)")
        #expect(one.stdout.contains("transport cost"), "\(one.stdout)")
        let y1 = try ArrayFile.readMatrix(folder + "/y1.npy", as: Double.self)
        #expect(y1.rows == 300 && y1.columns == 2)
        #expect(y1 == (try ArrayFile.readMatrix(folder + "/y2.npy", as: Double.self)), "the thread count changed the result")
        // From M = T/2 without the faithfulness pull the points land in B: mean first coordinate near 3.
        let meanX = (0..<y1.rows).reduce(0.0) { $0 + y1[$1, 0] } / Double(y1.rows)
        #expect(abs(meanX - 3) < 0.5, "mean x \(meanX)")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/y1.npy.manifest.json")))
        let parameters = (manifest as? [String: Any])?["parameters"] as? [String: Any]
        #expect(parameters?["start"] as? Int == 500)

        // The classifier was trained for T = 1000: a model with T = 200 is refused, naming both.
        let mismatch = try TestSupport.monge([
            "egsde", "oracle:gaussian:mean=3,0:std=0.5:T=200", folder + "/a.npy", "--classifier", folder + "/cls",
            "--out", folder + "/bad.npy", "--quiet"])
        #expect(mismatch.status != 0)
        #expect(mismatch.stderr.contains("T = 200") && mismatch.stderr.contains("T = 1000"), "\(mismatch.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/bad.npy"))
    }

    @Test func badArgumentsAreNamed() throws {
        let folder = TestSupport.temporaryFolder()
        try Self.writeDomains(folder)
        let noClassifier = try TestSupport.monge([
            "egsde", "oracle:gaussian:mean=3,0:std=0.5", folder + "/a.npy", "--classifier", folder + "/none", "--out", folder + "/y.npy"])
        #expect(noClassifier.status != 0)
        #expect(noClassifier.stderr.contains("classifier.json"), "\(noClassifier.stderr)")
        let badM = try TestSupport.monge([
            "egsde", "oracle:gaussian:mean=3,0:std=0.5", folder + "/a.npy", "--classifier", folder + "/none", "--out", folder + "/y.npy",
            "--m", "1.5"])
        #expect(badM.status != 0)
        #expect(badM.stderr.contains("--m"), "\(badM.stderr)")
        let wide = try TestSupport.monge([
            "classifier", folder + "/a.npy", "data:gaussian", "--out", folder + "/c", "--depth", "0", "--quiet"])
        #expect(wide.status != 0)
        #expect(wide.stderr.contains("depth"), "\(wide.stderr)")
        #expect(TestSupport.files(in: folder) == ["a.npy", "b.npy"])
    }
}
