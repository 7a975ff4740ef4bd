import Foundation
import MongeData
import TestSupport
import Testing

/// The digit images written by `make setup` (data/fetch_digits.py), checked against scikit-learn's
/// `load_digits()` (golden values below), and the reader's errors on missing or malformed files.
@Suite("Digit images")
struct DigitImagesTests {
    /// The real arrays; a clear failure (not a skip) when `make setup` has not written them.
    static func realDigits() throws -> DigitImages {
        let folder = TestSupport.packageRoot + "/data/generated"
        guard FileManager.default.fileExists(atPath: folder + "/" + DigitImages.imagesFile) else {
            Issue.record("\(folder)/\(DigitImages.imagesFile) is missing: run `make setup` (or `make data`) before the tests")
            throw MongeError.invalidFile(path: folder, location: nil, message: "run make setup")
        }
        return try DigitImages.load(folder: folder)
    }

    @Test("Shape, pixel grid x/8 − 1, labels and class sizes match scikit-learn's load_digits()")
    func realArrays() throws {
        let digits = try Self.realDigits()
        #expect(digits.images.rows == 1797 && digits.images.columns == 64)
        // Every pixel is x/8 − 1 for a whole x in 0…16.
        #expect(digits.images.storage.allSatisfy { v in let x = (Double(v) + 1) * 8; return x == x.rounded() && x >= 0 && x <= 16 })
        // load_digits().data[0] (a zero) and the first labels.
        let first: [Double] = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0,
                               0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0]
        #expect(digits.images.row(0).map { (Double($0) + 1) * 8 } == first)
        #expect(Array(digits.labels.prefix(12)) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
        let counts = (0...9).map { d in digits.labels.filter { $0 == d }.count }
        #expect(counts == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
        // Sum of all raw pixel values in load_digits().data.
        let total = digits.images.storage.reduce(0.0) { $0 + (Double($1) + 1) * 8 }
        #expect(total == 561_718)
    }

    @Test("Class selection: data:digits:3 and data:digits:0,6 keep exactly those images, in file order")
    func classSelection() throws {
        let digits = try Self.realDigits()
        let folder = TestSupport.packageRoot + "/data/generated"
        let threes = try DigitImages.images(spec: "data:digits:3", folder: folder)
        #expect(threes.rows == 183)
        #expect(threes.row(0) == digits.images.row(3))
        let zeroSix = try digits.images(ofClasses: [0, 6])
        #expect(zeroSix.rows == 178 + 181)
        #expect(digits.indices(ofClasses: [0, 6]).allSatisfy { [0, 6].contains(digits.labels[$0]) })
        #expect(try DigitImages.images(spec: "data:digits:0,6", folder: folder) == zeroSix)
        #expect(try DigitImages.images(spec: "data:digits", folder: folder).rows == 1797)
        #expect(DigitImages.isSpec("data:digits:3") && !DigitImages.isSpec("data:moons") && !DigitImages.isSpec("data:digitsx"))
    }

    @Test("The held-out split is a seeded partition of the class")
    func split() throws {
        let digits = try Self.realDigits()
        let (training, heldOut) = try digits.split(classes: [8], heldOut: 60, seed: 4)
        #expect(training.rows == 174 - 60 && heldOut.rows == 60)
        let all = try digits.images(ofClasses: [8])
        let key = { (m: Matrix<Float>) in (0..<m.rows).map { m.row($0).map { "\($0)" }.joined(separator: ",") } }
        #expect((key(training) + key(heldOut)).sorted() == key(all).sorted())
        let again = try digits.split(classes: [8], heldOut: 60, seed: 4)
        #expect(again.heldOut == heldOut)
        #expect(try digits.split(classes: [8], heldOut: 60, seed: 5).heldOut != heldOut)
        #expect(throws: MongeError.self) { try digits.split(classes: [8], heldOut: 174, seed: 0) }
    }

    @Test("Class lists: digits 0–9, comma separated, no repeats")
    func parseClasses() throws {
        #expect(try DigitImages.parseClasses("3") == [3])
        #expect(try DigitImages.parseClasses("0, 6") == [0, 6])
        for bad in ["", "10", "a", "3,3", "3,", "-1"] {
            #expect(throws: MongeError.self, "\(bad)") { try DigitImages.parseClasses(bad) }
        }
    }

    /// Writes images and labels (as float64 .npy) into a fresh folder.
    static func folder(images: Matrix<Double>, labels: [Double]) throws -> String {
        let folder = TestSupport.temporaryFolder("monge-digits")
        try NpyFile.write(images, to: folder + "/" + DigitImages.imagesFile)
        try NpyFile.write(NDArray(shape: [labels.count], values: labels), to: folder + "/" + DigitImages.labelsFile)
        return folder
    }

    static func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test("Missing or malformed files are MongeErrors that say what to do")
    func errors() throws {
        let empty = TestSupport.temporaryFolder("monge-digits")
        let missing = Self.message { _ = try DigitImages.load(folder: empty) }
        #expect(missing.contains("make setup") && missing.contains(DigitImages.imagesFile), "\(missing)")

        let good = Matrix<Double>(rows: 4, columns: 64) { i, j in Double((i + j) % 17) / 8 - 1 }
        let labels: [Double] = [0, 1, 2, 3]
        let ok = try DigitImages.load(folder: try Self.folder(images: good, labels: labels))
        #expect(ok.labels == [0, 1, 2, 3] && ok.images == good.converted())

        let narrow = Self.message { _ = try DigitImages.load(folder: try Self.folder(images: Matrix(rows: 4, columns: 63), labels: labels)) }
        #expect(narrow.contains("(N, 64)"), "\(narrow)")
        var bright = good
        bright[2, 5] = 2
        let range = Self.message { _ = try DigitImages.load(folder: try Self.folder(images: bright, labels: labels)) }
        #expect(range.contains("row 2, pixel 5") && range.contains("outside [−1, 1]"), "\(range)")
        let short = Self.message { _ = try DigitImages.load(folder: try Self.folder(images: good, labels: [0, 1, 2])) }
        #expect(short.contains("one label per image"), "\(short)")
        var eleven = labels
        eleven[1] = 11
        let label = Self.message { _ = try DigitImages.load(folder: try Self.folder(images: good, labels: eleven)) }
        #expect(label.contains("element 1") && label.contains("not a digit"), "\(label)")
        #expect(throws: MongeError.self) { _ = try ok.images(ofClasses: [7]) }
    }
}
