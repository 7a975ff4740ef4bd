import Foundation
import MongeCore
import TestSupport
import Testing

@Suite("ArrayFile")
struct ArrayFileTests {
    let folder = TestSupport.temporaryFolder("arrayfile")

    @Test func dispatchesOnTheExtension() throws {
        let m = Matrix<Double>([[1, 2], [3.25, -4]])
        try ArrayFile.write(m, to: folder + "/m.npy", header: ["x", "y"])
        try ArrayFile.write(m, to: folder + "/m.CSV", header: ["x", "y"])
        #expect(try ArrayFile.readMatrix(folder + "/m.npy", as: Double.self) == m)
        #expect(try ArrayFile.readMatrix(folder + "/m.CSV", as: Double.self) == m)
        #expect(try ArrayFile.readMatrix(folder + "/m.npy", as: Float.self) == m.converted(to: Float.self))
        // The formats really differ: each file is what its extension says.
        #expect(try NpyFile.read(folder + "/m.npy").shape == [2, 2])
        #expect(try CSVFile.read(folder + "/m.CSV", as: Double.self).columnNames == ["x", "y"])
        expectInvalidFile(location: "header", containing: ["magic"]) {
            _ = try NpyFile.read(folder + "/m.CSV")
        }
    }

    @Test func unknownExtensionsAreNamed() throws {
        let m = Matrix<Float>([[1]])
        for name in ["points.txt", "points", "archive.npz", "dir.npy/points.json"] {
            do {
                try ArrayFile.write(m, to: folder + "/" + name)
                Issue.record("\(name) was written")
            } catch let MongeError.writeFailed(_, message) {
                #expect(message.contains(".npy, .csv"), "\(message)")
                #expect(message.contains(name.contains(".") ? "." + name.split(separator: ".").last! : "no extension"), "\(message)")
            }
            expectInvalidFile(location: nil, containing: ["expected one of .npy, .csv"]) {
                _ = try ArrayFile.readMatrix(folder + "/" + name, as: Float.self)
            }
        }
        #expect(TestSupport.files(in: folder).isEmpty)
    }

    @Test func aFailedWriteKeepsThePreviousFileAndLeavesNothingElse() throws {
        let path = folder + "/keep.csv"
        try ArrayFile.write(Matrix<Double>([[1, 2]]), to: path, header: ["a", "b"])
        #expect(throws: MongeError.self) {
            try ArrayFile.write(Matrix<Double>([[3, 4, 5]]), to: path, header: ["a", "b"])
        }
        #expect(try ArrayFile.readMatrix(path, as: Double.self) == Matrix([[1, 2]]))
        #expect(TestSupport.files(in: folder) == ["keep.csv"])
        // A destination whose folder is a file: an error naming it, nothing written.
        #expect(throws: MongeError.self) { try ArrayFile.write(Matrix<Double>([[1]]), to: path + "/inside.npy") }
        #expect(TestSupport.files(in: folder) == ["keep.csv"])
    }
    @Test func aColumnSelectionFollowsTheFileNameAndNotesGoToTheCaller() throws {
        let m = Matrix<Double>([[1, 2, 3], [4, 5, 6]])
        try ArrayFile.write(m, to: folder + "/m.npy")
        try ArrayFile.write(m, to: folder + "/m.csv", header: ["a", "b", "c"])
        let expected = Matrix<Double>([[3, 1], [6, 4]])
        #expect(try ArrayFile.readMatrix(folder + "/m.npy:columns=3,1", as: Double.self) == expected)
        #expect(try ArrayFile.readMatrix(folder + "/m.csv:columns=c,a", as: Double.self) == expected)
        #expect(try ArrayFile.readMatrix(folder + "/m.csv:columns=3,1", as: Double.self) == expected)
        expectInvalidFile(location: "columns=a", containing: ["no column names"]) {
            _ = try ArrayFile.readMatrix(folder + "/m.npy:columns=a", as: Double.self)
        }
        expectInvalidFile(location: "columns=4", containing: ["beyond the file's 3 columns"]) {
            _ = try ArrayFile.readMatrix(folder + "/m.npy:columns=4", as: Double.self)
        }
        // A pandas file: the note names the file and reaches the caller's closure.
        try ",x,y\n0,1.5,2.5\n1,3.5,4.5\n".write(toFile: folder + "/p.csv", atomically: false, encoding: .utf8)
        var notes: [String] = []
        let read = try ArrayFile.readMatrix(folder + "/p.csv", as: Double.self) { notes.append($0) }
        #expect(read == Matrix([[1.5, 2.5], [3.5, 4.5]]))
        #expect(notes.count == 1 && notes[0].hasPrefix(folder + "/p.csv: column 1"), "\(notes)")
        notes = []
        #expect(try ArrayFile.readMatrix(folder + "/p.csv:columns=1-3", as: Double.self) { notes.append($0) }.columns == 3)
        #expect(notes.isEmpty)
    }
}
