import Foundation
import MongeCore
import Testing
import TestSupport

/// Point files as commands read them: pandas' CSV layouts, strict numbers, column selections.
@Suite("point files in commands")
struct PointsFileCommandTests {
    func cost(_ r: TestSupport.ProcessResult) throws -> Double? {
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return object?["cost"] as? Double
    }

    /// What pandas' `df.to_csv()` writes (`header: false` for `df.to_csv(header=False)`).
    static func pandasCSV(_ m: Matrix<Double>, header: Bool = true) -> String {
        var text = header ? ",x,y\n" : ""
        for i in 0..<m.rows { text += "\(i),\(m[i, 0].description),\(m[i, 1].description)\n" }
        return text
    }

    @Test func aPandasFileGivesTheSameOTCostAsThePlainFile() throws {
        let folder = TestSupport.temporaryFolder()
        let x: Matrix<Double> = RandomStream(seed: 11).normalMatrix(rows: 300, columns: 2)
        let y = RandomStream(seed: 12).normalMatrix(rows: 300, columns: 2, as: Double.self).map { 0.5 * $0 + 1 }
        try ArrayFile.write(x, to: folder + "/x.csv", header: ["x", "y"])
        try ArrayFile.write(y, to: folder + "/y.csv")
        try Self.pandasCSV(x).write(toFile: folder + "/x_pandas.csv", atomically: false, encoding: .utf8)
        try Self.pandasCSV(y).write(toFile: folder + "/y_pandas.csv", atomically: false, encoding: .utf8)
        let plain = try TestSupport.monge(["ot", folder + "/x.csv", folder + "/y.csv", "--json", "--quiet"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let expected = try #require(try cost(plain))

        let pandas = try TestSupport.monge(["ot", folder + "/x_pandas.csv", folder + "/y_pandas.csv", "--json", "--quiet"])
        #expect(pandas.status == 0, "\(pandas.stderr)")
        #expect(try cost(pandas) == expected)
        // The dropped column is reported, once per file, even with --quiet.
        #expect(pandas.stderr.components(separatedBy: "note: ").count == 3, "\(pandas.stderr)")
        #expect(pandas.stderr.contains("note: \(folder)/x_pandas.csv: column 1 has no name"), "\(pandas.stderr)")

        // Without a header the index cannot be told from a coordinate: an error, then a selection.
        try Self.pandasCSV(x, header: false).write(toFile: folder + "/x_bare.csv", atomically: false, encoding: .utf8)
        let refused = try TestSupport.monge(["ot", folder + "/x_bare.csv", folder + "/y.csv", "--json", "--quiet"])
        #expect(refused.status != 0 && refused.stdout.isEmpty)
        #expect(refused.stderr.contains("x_bare.csv: column 1: holds 0, 1, …, 299"), "\(refused.stderr)")
        let selected = try TestSupport.monge(["ot", folder + "/x_bare.csv:columns=2-3", folder + "/y_pandas.csv:columns=x,y",
                                              "--json", "--quiet"])
        #expect(selected.status == 0, "\(selected.stderr)")
        #expect(try cost(selected) == expected)
        #expect(!selected.stderr.contains("note:"))
    }

    @Test func typosNULsAndHexInPointFilesAreErrorsWithTheirLine() throws {
        let folder = TestSupport.temporaryFolder()
        try "1,2\n3,4\n5,6\n".write(toFile: folder + "/good.csv", atomically: false, encoding: .utf8)
        let cases: [(String, String)] = [
            ("abc,2\n3,4\n5,6\n", "line 1, column 1: expected a number, found \"abc\""),
            ("1,2\n1.5\u{0}9999,4\n5,6\n", "line 2, column 1: expected a decimal number, found \"1.5\\u{0}9999\""),
            ("1,2\n3,0x10\n5,6\n", "line 2, column 2: expected a decimal number, found \"0x10\" (hexadecimal is not accepted)"),
        ]
        for (index, (text, message)) in cases.enumerated() {
            let path = folder + "/bad\(index).csv"
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            for arguments in [["ot", path, folder + "/good.csv"], ["compare", folder + "/good.csv", path, folder + "/good.csv"]] {
                let r = try TestSupport.monge(arguments + ["--json"])
                #expect(r.status != 0 && r.stdout.isEmpty, "\(arguments)")
                #expect(r.stderr.contains("\(path): \(message)"), "\(r.stderr)")
            }
        }
    }
}
