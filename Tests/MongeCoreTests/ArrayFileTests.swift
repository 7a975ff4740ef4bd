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
}
