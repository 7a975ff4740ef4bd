import Foundation
import MongeCore
import TestSupport
import Testing

@Suite("CSVFile")
struct CSVFileTests {
    let folder = TestSupport.temporaryFolder("csv")

    private func file(_ text: String, _ name: String = "in.csv") throws -> String {
        let path = folder + "/" + name
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    @Test func roundTripsDoublesExactlyWithAndWithoutHeader() throws {
        let m = try Matrix(rows: 6, columns: 3, storage: awkwardDoubles(18, seed: 3))
        for header in [["x", "y", "weight"], nil] {
            let path = folder + "/d.csv"
            try CSVFile.write(m, to: path, header: header)
            let table = try CSVFile.read(path, as: Double.self)
            #expect(table.columnNames == header)
            #expect(table.matrix.shape == [6, 3])
            #expect(table.matrix.storage.map(\.bitPattern) == m.storage.map(\.bitPattern))
        }
    }

    @Test func roundTripsFloatsExactly() throws {
        let m = try Matrix(rows: 5, columns: 2, storage: awkwardFloats(10, seed: 4))
        let path = folder + "/f.csv"
        try CSVFile.write(m, to: path, header: ["a", "b"])
        let back = try CSVFile.readMatrix(path, as: Float.self)
        #expect(back.storage.map(\.bitPattern) == m.storage.map(\.bitPattern))
    }

    @Test func nanKeepsItsSignThroughAWriteAndRead() throws {
        // Found by the fuzzer's round-trip check: Swift's description of -nan is "nan".
        let m = Matrix<Double>([[-.nan, .nan, -.infinity]])
        let text = try CSVFile.format(m)
        #expect(text == "-nan,nan,-inf\n")
        let back = try CSVFile.parse(text, path: "t.csv", as: Double.self).matrix
        #expect(back[0, 0].isNaN && back[0, 0].sign == .minus && back[0, 1].isNaN && back[0, 1].sign == .plus)
    }

    @Test func writesShortestRoundTripText() throws {
        let m = Matrix<Double>([[0.1, 1e-05, -0.0], [1.0 / 3.0, 100, 2.5e300]])
        #expect(try CSVFile.format(m, header: ["p", "q", "r"]) == "p,q,r\n0.1,1e-05,-0.0\n0.3333333333333333,100.0,2.5e+300\n")
    }

    @Test func detectsTheHeaderAndToleratesSpacingAndLineEnds() throws {
        let withHeader = try CSVFile.parse("\u{FEFF}x , y\r\n 1 , 2.5\r\n-3,4e2\r\n\r\n\n", path: "t.csv", as: Double.self)
        #expect(withHeader.columnNames == ["x", "y"])
        #expect(withHeader.matrix == Matrix([[1, 2.5], [-3, 400]]))
        let numpyStyle = try CSVFile.parse("# x,y\n1,2\n", path: "t.csv", as: Double.self)
        #expect(numpyStyle.columnNames == ["x", "y"])
        #expect(numpyStyle.matrix == Matrix([[1, 2]]))
        let plain = try CSVFile.parse("1,2\n3,4", path: "t.csv", as: Float.self)
        #expect(plain.columnNames == nil)
        #expect(plain.matrix == Matrix([[1, 2], [3, 4]]))
        let headerOnly = try CSVFile.parse("a,b,c\n", path: "t.csv", as: Double.self)
        #expect(headerOnly.columnNames == ["a", "b", "c"] && headerOnly.matrix.shape == [0, 3])
        #expect(try CSVFile.parse("", path: "t.csv", as: Double.self).matrix.shape == [0, 0])
        // Numeric column names need an explicit header mode.
        let numericNames = try CSVFile.parse("0,1\n5,6\n", path: "t.csv", as: Double.self, header: .present)
        #expect(numericNames.columnNames == ["0", "1"] && numericNames.matrix == Matrix([[5, 6]]))
    }

    @Test func badTextIsNamedByLineAndColumn() throws {
        let cases: [(String, String, [String])] = [
            ("x,y\n1,2\n3,abc\n", "line 3, column 2", ["expected a decimal number", "\"abc\""]),
            ("1,2\n3,4x\n", "line 2, column 2", ["\"4x\""]),
            ("x,y\n1,,\n", "line 2", ["expected 2 columns", "found 3 columns"]),
            ("x,y\n1,\n", "line 2, column 2", ["an empty field"]),
            ("x,y,z\n1,2,3\n4,5\n", "line 3", ["expected 3 columns", "found 2 columns"]),
            ("1,2\n3,4,5\n", "line 2", ["expected 2 columns", "found 3 columns"]),
            ("1,2\n\n3,4\n", "line 2", ["found an empty line"]),
            // Found by the fuzzer: a blank first line indexed an empty header.
            ("\n1,2\n", "line 1", ["expected a header or a row of numbers, found an empty line"]),
            (" \t\r\n,3,\u{13}\n3,4\n", "line 1", ["found an empty line"]),
        ]
        for (text, location, fragments) in cases {
            let path = try file(text)
            expectInvalidFile(location: location, containing: fragments) { _ = try CSVFile.readMatrix(path, as: Double.self) }
        }
        expectInvalidFile(location: "line 1") { _ = try CSVFile.parse("\nx,y\n", path: "t.csv", as: Double.self, header: .present) }
        let latin1 = folder + "/latin1.csv"
        try Data([0x78, 0xE9, 0x0A, 0x31, 0x0A]).write(to: URL(fileURLWithPath: latin1))
        expectInvalidFile(location: nil, containing: ["UTF-8"]) { _ = try CSVFile.readMatrix(latin1, as: Double.self) }
    }

    @Test func badHeadersAreRefusedAndLeaveNoFile() throws {
        let m = Matrix<Double>([[1, 2]])
        let path = folder + "/never.csv"
        for header in [["x"], ["x", "y,z"], ["1", "2"], [" x", "y"], ["x", "2"], ["", "y"], ["x", "y\u{0}"], ["#x", "y"]] {
            #expect(throws: MongeError.self) { try CSVFile.write(m, to: path, header: header) }
        }
        #expect(TestSupport.files(in: folder).isEmpty)
    }

    // MARK: Strict reading (issue 9)

    @Test func aFirstLineMixingNamesAndNumbersIsAnErrorNotAHeader() throws {
        let cases: [(String, String, [String])] = [
            ("abc,2\n3,4\n5,6\n", "line 1, column 1", ["\"abc\"", "mixes names with numbers such as \"2\""]),
            ("1,y\n3,4\n", "line 1, column 2", ["\"y\""]),
            ("1,,3\n", "line 1, column 2", ["an empty field"]),
        ]
        for (text, location, fragments) in cases {
            expectInvalidFile(location: location, containing: fragments) { _ = try CSVFile.parse(text, path: "t.csv", as: Double.self) }
        }
        // A line with no number at all is still the header, whatever the names.
        #expect(try CSVFile.parse("x 1,y_2,\n1,2,3\n", path: "t.csv", as: Double.self).columnNames == ["x 1", "y_2", ""])
    }

    @Test func onlyDecimalNumbersAreAccepted() throws {
        let accepted: [(String, Double)] = [
            ("+1.5", 1.5), (".5", 0.5), ("3.", 3), ("-0", -0.0), ("1E+05", 1e5), ("2.5e-3", 0.0025), ("007", 7),
            ("1e-400", 0), ("-inf", -.infinity), ("Infinity", .infinity), ("+INF", .infinity),
            (Double.greatestFiniteMagnitude.description, .greatestFiniteMagnitude), ("-4.9e-324", -.leastNonzeroMagnitude),
        ]
        for (text, value) in accepted {
            let m = try CSVFile.parse("\(text),1\n", path: "t.csv", as: Double.self).matrix
            #expect(m[0, 0].bitPattern == value.bitPattern, "\(text) read as \(m[0, 0])")
        }
        for text in ["nan", "NaN", "-nan"] {
            #expect(try CSVFile.parse("\(text),1\n", path: "t.csv", as: Double.self).matrix[0, 0].isNaN, "\(text)")
        }
        // What Swift's Double(String) or strtod accept, but a decimal CSV never holds.
        let refused: [(String, String)] = [
            ("0x10", "hexadecimal"), ("0x1p3", "hexadecimal"), ("-0X1.8P1", "hexadecimal"), ("1.5\u{0}9999", "NUL"),
            ("nan(0x1)", "payload"), ("snan", ""), ("infinit", ""), ("1_000", ""), ("1e", ""), ("e5", ""), (".", ""), ("+-1", ""),
            ("1.2.3", ""), ("1e5.5", ""), ("\u{FF11}", ""), ("1\u{A0}", ""), ("\u{B}1", "control"), ("1 2", ""), ("--1", ""),
        ]
        for (text, hint) in refused {
            expectInvalidFile(location: "line 2, column 2", containing: ["expected a decimal number"] + (hint.isEmpty ? [] : [hint])) {
                _ = try CSVFile.parse("x,y\n1,\(text)\n", path: "t.csv", as: Double.self)
            }
        }
        // A NUL byte is shown escaped, never written raw to the terminal.
        let nul = expectInvalidFile(location: "line 2, column 2") { _ = try CSVFile.parse("x,y\n1,1.5\u{0}9999\n", path: "t.csv", as: Double.self) }
        #expect(nul?.contains("\"1.5\\u{0}9999\"") == true, "\(nul ?? "")")
        #expect(nul?.contains("\u{0}") == false)
        // Finite text beyond the type's range is refused, not read as infinity.
        expectInvalidFile(location: "line 1, column 1", containing: ["beyond the range of Double"]) {
            _ = try CSVFile.parse("1e400,1\n", path: "t.csv", as: Double.self)
        }
        expectInvalidFile(location: "line 1, column 2", containing: ["beyond the range of Float"]) {
            _ = try CSVFile.parse("1,-3.5e38\n", path: "t.csv", as: Float.self)
        }
        #expect(try CSVFile.parse("3.4e38\n", path: "t.csv", as: Float.self).matrix[0, 0] == 3.4e38)
        // NUL or other control characters in a header are refused too.
        expectInvalidFile(location: "line 1, column 2", containing: ["control character"]) {
            _ = try CSVFile.parse("x,y\u{0}z\n1,2\n", path: "t.csv", as: Double.self)
        }
    }

    /// What pandas' `df.to_csv()` writes for a DataFrame of `values` (repr of each float).
    static func pandasText(_ values: Matrix<Double>, header: [String]?, index: Bool) -> String {
        var lines: [String] = []
        if let header { lines.append(((index ? [""] : []) + header).joined(separator: ",")) }
        for i in 0..<values.rows {
            lines.append(((index ? [String(i)] : []) + (0..<values.columns).map { values[i, $0].description }).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func pandasIndexColumnIsDroppedWithANote() throws {
        let points = try Matrix(rows: 7, columns: 2, storage: awkwardDoubles(14, seed: 5).map { $0.isFinite ? $0 : 1 })
        for header in [["x", "y"], ["0", "1"]] {
            let table = try CSVFile.parse(Self.pandasText(points, header: header, index: true), path: "p.csv", as: Double.self)
            #expect(table.matrix.storage.map(\.bitPattern) == points.storage.map(\.bitPattern))
            #expect(table.columnNames == header)
            #expect(table.notes.count == 1 && table.notes[0].contains("column 1") && table.notes[0].contains("df.to_csv()"), "\(table.notes)")
        }
        // A column that pandas named "Unnamed: 0" on a round trip through read_csv, and a string index.
        let renamed = try CSVFile.parse("Unnamed: 0,x,y\n0,1.5,2.5\n1,3.5,4.5\n", path: "p.csv", as: Double.self)
        #expect(renamed.matrix == Matrix([[1.5, 2.5], [3.5, 4.5]]) && renamed.notes.count == 1)
        let labelled = try CSVFile.parse(",x\nfirst,1.5\nsecond,2\n", path: "p.csv", as: Double.self)
        #expect(labelled.matrix == Matrix([[1.5], [2]]) && labelled.columnNames == ["x"])
        // A plain file has no note.
        #expect(try CSVFile.parse("x,y\n0,1.5\n", path: "p.csv", as: Double.self).notes.isEmpty)
    }

    @Test func anIndexLikeFirstColumnWithoutAHeaderNeedsAColumnSelection() throws {
        let points = Matrix<Double>([[0.5, 1.5], [2.5, -3], [4.25, 1e-3]])
        let text = Self.pandasText(points, header: nil, index: true)  // df.to_csv(header=False)
        expectInvalidFile(location: "column 1", containing: ["0, 1, …, 2", "p.csv:columns=2-3", "p.csv:columns=1-3"]) {
            _ = try CSVFile.parse(text, path: "p.csv", as: Double.self)
        }
        // A header naming the column does not settle it either.
        expectInvalidFile(location: "column 1") { _ = try CSVFile.parse("id,x,y\n" + text, path: "p.csv", as: Double.self) }
        let dropped = try CSVFile.parse(text, path: "p.csv", as: Double.self, columns: ColumnSelection(parsing: "2-3"))
        #expect(dropped.matrix == points && dropped.notes.isEmpty)
        let kept = try CSVFile.parse(text, path: "p.csv", as: Double.self, columns: ColumnSelection(parsing: "1-3"))
        #expect(kept.matrix.shape == [3, 3] && kept.matrix[2, 0] == 2)
        // Not an index: integers everywhere (a grid), decimals in column 1 (Monge's own files), a
        // count that does not start at 0, one row.
        for plain in ["0,0\n1,1\n2,2\n", "0.0,0.5\n1.0,1.5\n", "1,0.5\n2,1.5\n", "0,0.5\n", "0,0.5\n2,1.5\n"] {
            #expect(try CSVFile.parse(plain, path: "p.csv", as: Double.self).notes.isEmpty, "\(plain)")
        }
    }

    @Test func pandasDefaultLabelsAboveDecimalDataAreNotAPoint() throws {
        // df.to_csv(index=False) of an unnamed DataFrame: "0,1" is a header, not the point (0, 1).
        let text = Self.pandasText(Matrix([[0.5, 1.5], [2.5, 3.5]]), header: ["0", "1"], index: false)
        expectInvalidFile(location: "line 1", containing: ["\"0,1\"", "df.to_csv(index=False)"]) {
            _ = try CSVFile.parse(text, path: "p.csv", as: Double.self)
        }
        // Integer points, and an explicit header mode, are read as before.
        #expect(try CSVFile.parse("0,1\n2,3\n", path: "p.csv", as: Double.self).matrix == Matrix([[0, 1], [2, 3]]))
        #expect(try CSVFile.parse(text, path: "p.csv", as: Double.self, header: .present).matrix == Matrix([[0.5, 1.5], [2.5, 3.5]]))
    }

    @Test func columnSelectionsReadOnlyTheNamedColumns() throws {
        let text = "id,label,x,y\nA,cat,1,2\nB,dog,3,4.5\n"
        let byName = try CSVFile.parse(text, path: "t.csv", as: Double.self, columns: ColumnSelection(parsing: "y,x"))
        #expect(byName.matrix == Matrix([[2, 1], [4.5, 3]]) && byName.columnNames == ["y", "x"])
        let byPosition = try CSVFile.parse(text, path: "t.csv", as: Double.self, columns: ColumnSelection(parsing: "3-4"))
        #expect(byPosition.matrix == Matrix([[1, 2], [3, 4.5]]) && byPosition.columnNames == ["x", "y"])
        // Selected columns only decide the header: "A,7" below a header is data in columns 3-4.
        #expect(try CSVFile.parse("A,b,1,2\n", path: "t.csv", as: Double.self, columns: ColumnSelection(parsing: "3,4")).matrix == Matrix([[1, 2]]))
        let failures: [(String, String, String, String)] = [
            (text, "5", "columns=5", "beyond the file's 4 columns"),
            (text, "z", "columns=z", "no column is named \"z\""),
            (text, "x,3", "columns=x,3", "column 3 is selected twice"),
            ("1,2\n", "x", "columns=x", "no header line"),
            (text, "label", "columns=label", "\"cat\""),
        ]
        for (input, selection, location, fragment) in failures {
            do {
                _ = try CSVFile.parse(input, path: "t.csv", as: Double.self, columns: ColumnSelection(parsing: selection))
                Issue.record("columns=\(selection) was accepted")
            } catch let MongeError.invalidFile(_, found, message) {
                #expect(message.contains(fragment), "\(message)")
                #expect(found == location || fragment == "\"cat\"", "\(found ?? "nil")")
            }
        }
        for bad in ["", "0", "2-1", "1,,2", "-3"] {
            #expect(throws: MongeError.self, "\(bad)") { _ = try ColumnSelection(parsing: bad) }
        }
        #expect(try ColumnSelection.split("a/b.csv:columns=2-3,x").selection?.items == [.positions(2...3), .name("x")])
        #expect(try ColumnSelection.split("a:b/c.csv").file == "a:b/c.csv")
    }

    @Test func numpyReadsMongesCSV() throws {
        guard let python = TestSupport.pythonWithNumpy else { return }
        let m = try Matrix(rows: 4, columns: 3, storage: awkwardDoubles(12, seed: 9))
        let path = folder + "/for-numpy.csv"
        try CSVFile.write(m, to: path, header: ["a", "b", "c"])
        let output = try runPython(python, """
            import numpy as np
            a = np.loadtxt('\(path)', delimiter=',', skiprows=1)
            print(' '.join(str(b) for b in a.view(np.uint64).ravel().tolist()))
            """)
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == m.storage.map { String($0.bitPattern) }.joined(separator: " "))
    }
}
