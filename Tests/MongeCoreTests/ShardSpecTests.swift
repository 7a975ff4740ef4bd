import Foundation
import MongeCore
import Testing
import TestSupport

@Suite("ShardSpec and FolderClaim: splitting a grid and sharing its models")
struct ShardSpecTests {
    @Test func parsesKOfN() throws {
        let shard = try ShardSpec(parsing: "2/4")
        #expect(shard.index == 2 && shard.count == 4)
        #expect(shard.description == "2/4" && shard.folderName == "shard-2-of-4")
        #expect(try ShardSpec(parsing: "1/1") == ShardSpec.whole)
    }

    @Test func refusesSpecsThatNameNoShard() {
        for (text, expected) in [("0/4", "from 1, not 0"), ("5/4", "shards are numbered 1…4"), ("x/y", "expected K/N"),
                                 ("1/0", "at least 1"), ("2", "expected K/N"), ("1/2/3", "expected K/N"), ("-1/4", "numbered 1…4"),
                                 ("", "expected K/N")] {
            do {
                _ = try ShardSpec(parsing: text)
                Issue.record("'\(text)' was accepted")
            } catch {
                #expect("\(error)".contains(expected), "'\(text)': \(error)")
                #expect("\(error)".contains("--shard"), "'\(text)': \(error)")
            }
        }
    }

    /// Every unit belongs to exactly one shard, and the shards' sizes differ by at most one.
    @Test func shardsPartitionTheGrid() throws {
        for count in 1...7 {
            for units in [0, 1, 5, 16, 23] {
                var owners = [Int](repeating: 0, count: units)
                var sizes: [Int] = []
                for k in 1...count {
                    let shard = try ShardSpec(index: k, count: count)
                    let mine = (0..<units).filter { shard.contains(unit: $0) }
                    for i in mine { owners[i] += 1 }
                    sizes.append(mine.count)
                }
                #expect(owners.allSatisfy { $0 == 1 }, "\(units) units in \(count) shards")
                #expect(sizes.max()! - sizes.min()! <= 1)
            }
        }
    }

    @Test func aClaimIsExclusiveUntilReleased() throws {
        let path = TestSupport.temporaryFolder() + "/model"
        let first = try FolderClaim.acquire(path)
        #expect(throws: MongeError.self) { try FolderClaim.acquire(path, interval: 0.05, timeout: 0.2) }
        first.release()
        let second = try FolderClaim.acquire(path, interval: 0.05, timeout: 0.2)
        second.release()
        #expect(!FileManager.default.fileExists(atPath: path + ".claim"))
    }

    /// A claim whose process died (a killed shard) is taken over; one held by a live process on
    /// another host is waited for.
    @Test func aDeadHoldersClaimIsTakenOver() throws {
        let path = TestSupport.temporaryFolder() + "/model"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        try FileManager.default.createDirectory(atPath: path + ".claim", withIntermediateDirectories: true)
        try "\(ProcessInfo.processInfo.hostName) \(process.processIdentifier)\n".write(toFile: path + ".claim/owner", atomically: true, encoding: .utf8)
        let claim = try FolderClaim.acquire(path, interval: 0.05, timeout: 1)
        let owner = try String(contentsOfFile: path + ".claim/owner", encoding: .utf8)
        #expect(owner.hasSuffix(" \(getpid())\n"))
        claim.release()

        try FileManager.default.createDirectory(atPath: path + ".claim", withIntermediateDirectories: true)
        try "another-host.example 1\n".write(toFile: path + ".claim/owner", atomically: true, encoding: .utf8)
        #expect(throws: MongeError.self) { try FolderClaim.acquire(path, interval: 0.05, timeout: 0.2) }
        // Our own live process on this host: held, not stale.
        try "\(ProcessInfo.processInfo.hostName) \(getpid())\n".write(toFile: path + ".claim/owner", atomically: true, encoding: .utf8)
        #expect(throws: MongeError.self) { try FolderClaim.acquire(path, interval: 0.05, timeout: 0.2) }
    }
}
