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
            ("x,y\n1,2\n3,abc\n", "line 3, column 2", ["expected a number", "\"abc\""]),
            ("1,2\n3,4x\n", "line 2, column 2", ["\"4x\""]),
            ("x,y\n1,,\n", "line 2", ["expected 2 columns", "found 3 columns"]),
            ("x,y\n1,\n", "line 2, column 2", ["an empty field"]),
            ("x,y,z\n1,2,3\n4,5\n", "line 3", ["expected 3 columns", "found 2 columns"]),
            ("1,2\n3,4,5\n", "line 2", ["expected 2 columns", "found 3 columns"]),
            ("1,2\n\n3,4\n", "line 2", ["found an empty line"]),
        ]
        for (text, location, fragments) in cases {
            let path = try file(text)
            expectInvalidFile(location: location, containing: fragments) { _ = try CSVFile.readMatrix(path, as: Double.self) }
        }
        let latin1 = folder + "/latin1.csv"
        try Data([0x78, 0xE9, 0x0A, 0x31, 0x0A]).write(to: URL(fileURLWithPath: latin1))
        expectInvalidFile(location: nil, containing: ["UTF-8"]) { _ = try CSVFile.readMatrix(latin1, as: Double.self) }
    }

    @Test func badHeadersAreRefusedAndLeaveNoFile() throws {
        let m = Matrix<Double>([[1, 2]])
        let path = folder + "/never.csv"
        for header in [["x"], ["x", "y,z"], ["1", "2"], [" x", "y"]] {
            #expect(throws: MongeError.self) { try CSVFile.write(m, to: path, header: header) }
        }
        #expect(TestSupport.files(in: folder).isEmpty)
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
