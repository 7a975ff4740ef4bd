import Foundation
import MongeData
import MongeExperiments
import Testing
import TestSupport

/// `--pairs` with users' files as domains (issue 10, item 5): the parse, the checks that come
/// before anything trains, and the seeded split into training and held-out rows.
@Suite("ddib-2d pairs of point files")
struct PointFilePairsTests {
    /// A CSV of `rows` points on a circle of radius `radius` (header x,y), in `folder`.
    static func circle(_ folder: String, _ name: String, rows: Int, radius: Double = 1) throws -> String {
        let path = folder + "/" + name
        let lines = (0..<rows).map { i -> String in
            let angle = 2 * Double.pi * Double(i) / Double(rows)
            return "\(radius * cos(angle)),\(radius * sin(angle))"
        }
        try ("x,y\n" + lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "no error"
    }

    @Test func filesAndDatasetsParseIntoPairs() throws {
        let folder = TestSupport.temporaryFolder()
        let a = try Self.circle(folder, "A.csv", rows: 40), b = try Self.circle(folder, "B.csv", rows: 60, radius: 2)
        let (pairs, files) = try ReproductionPlan.parsePairs("\(a):\(b),moons:\(b),\(a):checkerboard", heldOut: 16)
        #expect(pairs == [["A.csv", "B.csv"], ["moons", "B.csv"], ["A.csv", "checkerboard"]])
        #expect(Set(files.keys) == ["A.csv", "B.csv"])
        #expect(files["A.csv"]!.rows == 40 && files["A.csv"]!.heldOut == 16 && files["B.csv"]!.heldOut == 16)
        // At most half the rows are held out.
        #expect(try ReproductionPlan.parsePairs("\(a):\(b)", heldOut: 1000).files["A.csv"]!.heldOut == 20)
        // Datasets alone parse as before.
        #expect(try ReproductionPlan.parsePairs("moons:checkerboard", heldOut: 10).pairs == [["moons", "checkerboard"]])
    }

    @Test func badFilesAndAmbiguousPathsAreClearErrors() throws {
        let folder = TestSupport.temporaryFolder()
        let good = try Self.circle(folder, "good.csv", rows: 40)
        let three = folder + "/three.csv"
        try "x,y,z\n" .appending((0..<20).map { "\($0),1,2" }.joined(separator: "\n")).write(toFile: three, atomically: true, encoding: .utf8)
        let nan = folder + "/nan.csv"
        try ("x,y\n" + (0..<20).map { $0 == 4 ? "1,nan" : "\($0),1" }.joined(separator: "\n")).write(toFile: nan, atomically: true, encoding: .utf8)
        let few = try Self.circle(folder, "few.csv", rows: 5)
        try FileManager.default.createDirectory(atPath: folder + "/a:b", withIntermediateDirectories: true)
        let colon = try Self.circle(folder + "/a:b", "c.csv", rows: 40)

        let columns = message { _ = try ReproductionPlan.parsePairs("\(three):\(good)", heldOut: 8) }
        #expect(columns.contains("three.csv") && columns.contains("3 columns") && columns.contains("exactly 2"), "\(columns)")
        let notFinite = message { _ = try ReproductionPlan.parsePairs("\(good):\(nan)", heldOut: 8) }
        #expect(notFinite.contains("nan.csv") && notFinite.contains("row 5, column 2") && notFinite.contains("not a finite number"), "\(notFinite)")
        let short = message { _ = try ReproductionPlan.parsePairs("\(few):\(good)", heldOut: 8) }
        #expect(short.contains("few.csv") && short.contains("5 rows") && short.contains("at least 16"), "\(short)")
        let ambiguous = message { _ = try ReproductionPlan.parsePairs("\(colon):moons", heldOut: 8) }
        #expect(ambiguous.contains("is neither a dataset") && ambiguous.contains(".csv/.npy point file") && ambiguous.contains("containing ':'"), "\(ambiguous)")
        let unknown = message { _ = try ReproductionPlan.parsePairs("moonz:\(good)", heldOut: 8) }
        #expect(unknown.contains("'moonz'") && unknown.contains("moons"), "\(unknown)")
        let missing = message { _ = try ReproductionPlan.parsePairs("\(folder)/none.csv:moons", heldOut: 8) }
        #expect(missing.contains("none.csv"), "\(missing)")
        try FileManager.default.createDirectory(atPath: folder + "/other", withIntermediateDirectories: true)
        let twin = try Self.circle(folder + "/other", "good.csv", rows: 40)
        let clash = message { _ = try ReproductionPlan.parsePairs("\(good):\(twin)", heldOut: 8) }
        #expect(clash.contains("share the name good.csv"), "\(clash)")
        let single = message { _ = try ReproductionPlan.parsePairs(good, heldOut: 8) }
        #expect(single.contains("expected SOURCE:TARGET"), "\(single)")
    }

    @Test func tooFewHeldOutRowsForNIsAPlanError() throws {
        let folder = TestSupport.temporaryFolder()
        let a = try Self.circle(folder, "A.csv", rows: 40), b = try Self.circle(folder, "B.csv", rows: 40)
        var plan = try ReproductionPlan.quick(seed: 1)
        plan.translationPoints = 12
        plan.cyclePoints = 12
        (plan.pairs, plan.files) = try ReproductionPlan.parsePairs("\(a):\(b)", heldOut: 24)
        plan.datasets = ["A.csv", "B.csv"]
        plan.cyclePairs = plan.pairs
        // B holds out 20 rows (half of 40); as a target it needs 2 · 12.
        let text = message { try plan.validate() }
        #expect(text.contains("B.csv") && text.contains("--n ≤ 10"), "\(text)")
        plan.translationPoints = 10
        plan.cyclePoints = 10
        try plan.validate()
    }

    @Test func theSplitIsSeededAndDisjoint() throws {
        let folder = TestSupport.temporaryFolder()
        let path = try Self.circle(folder, "A.csv", rows: 50)
        let (file, points) = try PointFile.load(path, heldOut: 20)
        let (training, heldOut) = file.split(points, seed: 3)
        #expect(training.rows == 30 && heldOut.rows == 20)
        // Together the two parts are the file's rows, each once.
        let key = { (m: Matrix<Double>) in (0..<m.rows).map { "\(m[$0, 0]),\(m[$0, 1])" } }
        #expect(Set(key(training) + key(heldOut)) == Set(key(points)) && Set(key(training)).isDisjoint(with: key(heldOut)))
        // Same seed, same split; another seed, another.
        #expect(file.split(points, seed: 3).heldOut == heldOut)
        #expect(file.split(points, seed: 4).heldOut != heldOut)
        // The target and the floor's second sample never share a row; the first equals `sample`.
        let (y, y2) = try PointFile.samplePair(heldOut, count: 10, seed: 9)
        #expect(Set(key(y)).isDisjoint(with: key(y2)) && y.rows == 10 && y2.rows == 10)
        #expect(try PointFile.sample(heldOut, count: 10, seed: 9) == y)
        #expect(throws: MongeError.self) { _ = try PointFile.samplePair(heldOut, count: 11, seed: 9) }
        // The content hash changes with the content, and a changed file is refused.
        let before = file.contentHash
        _ = try Self.circle(folder, "A.csv", rows: 50, radius: 3)
        #expect(try PointFile.load(path, heldOut: 20).file.contentHash != before)
        #expect(throws: MongeError.self) { _ = try file.read() }
    }
}
