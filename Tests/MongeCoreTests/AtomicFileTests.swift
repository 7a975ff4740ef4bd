import Foundation
import MongeCore
import TestSupport
import Testing

@Suite("Atomic writes")
struct AtomicFileTests {
    struct Boom: Error {}

    @Test func aFailedWriteLeavesNothingBehind() throws {
        let folder = TestSupport.temporaryFolder()
        let path = folder + "/out.txt"
        #expect(throws: Boom.self) {
            try AtomicFile.write(to: path) { temporary in
                try "partial".write(toFile: temporary, atomically: false, encoding: .utf8)
                throw Boom()
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test func aFailedWriteKeepsThePreviousFile() throws {
        let path = TestSupport.temporaryFolder() + "/out.txt"
        try AtomicFile.write("first", to: path)
        try? AtomicFile.write(to: path) { _ in throw Boom() }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "first")
    }

    @Test func missingFileIsNamed() {
        #expect(throws: MongeError.invalidFile(path: "/nonexistent/x.npy", location: nil, message: "no such file")) {
            try AtomicFile.read("/nonexistent/x.npy")
        }
    }
}

