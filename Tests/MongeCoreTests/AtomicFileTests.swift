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

    @Test func temporariesOfDeadProcessesAreRemovedAndNothingElse() throws {
        let folder = TestSupport.temporaryFolder()
        let dead = ".map.npy.tmp-\(Int32.max - 7)-12345"          // no such process
        let deadWithSuffix = ".map.npy.tmp-\(Int32.max - 7)-99.tmp-\(Int32.max - 7)-1"
        let live = ".plan.npy.tmp-\(getppid())-777"                  // the test runner's parent runs
        let others = [".dat.nosyncAB12", "keep.tmp-\(Int32.max - 7)-1", ".notes.tmp-x-1", "data.npy"]
        for name in [dead, deadWithSuffix, live] + others {
            try "x".write(toFile: folder + "/" + name, atomically: false, encoding: .utf8)
        }
        try AtomicFile.write("new", to: folder + "/out.txt")
        #expect(TestSupport.files(in: folder) == ([live, "out.txt"] + others).sorted())
    }

    /// A full disk names its reason. Needs a tiny tmpfs, so it runs only where mounting one works (root).
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/bin/mount")))
    func aFullDiskSaysSo() throws {
        let folder = TestSupport.temporaryFolder()
        guard try TestSupport.run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", folder]).status == 0 else { return }
        defer { _ = try? TestSupport.run("/bin/umount", [folder]) }
        try AtomicFile.write("small", to: folder + "/kept.txt")
        for write in [{ try AtomicFile.write(Data(count: 1 << 20), to: folder + "/kept.txt") },
                      { try ArrayFile.write(Matrix<Double>(rows: 20_000, columns: 2, repeating: 1), to: folder + "/kept.txt.npy") }] {
            do {
                try write()
                Issue.record("a 1 MB write into 64 kB succeeded")
            } catch let error as MongeError {
                #expect("\(error)".contains("No space left on device") && "\(error)".contains("kept.txt"), "\(error)")
            }
        }
        #expect(TestSupport.files(in: folder) == ["kept.txt"])
        #expect(try String(contentsOfFile: folder + "/kept.txt", encoding: .utf8) == "small")
    }
}
