import Foundation
import MongeCore
import TestSupport
import Testing

@Suite("MemoryBudget and OutputPaths")
struct MemoryBudgetTests {
    /// The message of the `MongeError.invalidArgument` that `body` throws, with its name.
    func refusal(_ body: () throws -> Void) -> (name: String, message: String)? {
        do {
            try body()
        } catch let MongeError.invalidArgument(name, message) {
            return (name, message)
        } catch {
            Issue.record("expected MongeError.invalidArgument, got \(error)")
        }
        return nil
    }

    @Test func productsOverflowToNil() {
        #expect(MemoryBudget.product([3, 5, 8]) == 120)
        #expect(MemoryBudget.product([]) == 1)
        #expect(MemoryBudget.product([-4, 8]) == 0)
        // `sample --n 4611686018427387904`: 2⁶² × 2 coordinates overflows Int (the SIGILL of issue 9).
        #expect(MemoryBudget.product([4_611_686_018_427_387_904, 2]) == nil)
        #expect(MemoryBudget.product([4_611_686_018_427_387_903, 2]) == Int.max - 1)
        #expect(MemoryBudget.product([1 << 31, 1 << 31, 2]) == nil)
        #expect(MemoryBudget.product([1 << 31, 1 << 31]) == 1 << 62)
        #expect(MemoryBudget.sum([Int.max, 1]) == nil)
        #expect(MemoryBudget.sum([Int.max - 1, 1]) == Int.max)
        #expect(MemoryBudget.sum([1, nil]) == nil)
    }

    @Test func aNeedAboveTheLimitNamesTheOptionTheBytesAndTheLimit() throws {
        let budget = MemoryBudget(limit: 1_000_000, source: "test memory")
        try budget.check([MemoryBudget.Need("points", options: "--n 62500", factors: [62_500, 2, 8])])  // exactly 1 MB
        let refused = refusal {
            try budget.check([MemoryBudget.Need("62501 points × 2 × 8 bytes", options: "--n 62501", factors: [62_501, 2, 8])])
        }
        #expect(refused?.name == "--n 62501")
        #expect(refused?.message.contains("1000016 bytes") == true && refused?.message.contains("1.00 MB of test memory") == true,
                "\(refused?.message ?? "")")
        let overflow = refusal {
            try budget.check([MemoryBudget.Need("samples", options: "--n 4611686018427387904", factors: [4_611_686_018_427_387_904, 2, 8])])
        }
        #expect(overflow?.name == "--n 4611686018427387904")
        #expect(overflow?.message.contains("overflows") == true, "\(overflow?.message ?? "")")
    }

    @Test func needsThatFitAloneButNotTogetherNameEveryOption() throws {
        let budget = MemoryBudget(limit: 1000, source: "test memory")
        let needs = [MemoryBudget.Need("weights", options: "--width 10", bytes: 600),
                     MemoryBudget.Need("activations", options: "--batch 5", bytes: 600)]
        let refused = refusal { try budget.check(needs) }
        #expect(refused?.name == "--width 10, --batch 5")
        #expect(refused?.message.contains("1.20 kB") == true && refused?.message.contains("weights: 600 B") == true,
                "\(refused?.message ?? "")")
        try budget.check([needs[0], MemoryBudget.Need("activations", options: "--batch 5", bytes: 400)])
    }

    @Test func physicalMemoryIsThisMachines() {
        let budget = MemoryBudget.physicalMemory()
        #expect(UInt64(budget.limit) == ProcessInfo.processInfo.physicalMemory && budget.limit > 0)
        #expect(budget.source == "physical memory")
    }

    @Test func bytesAreFormattedInDecimalUnits() {
        #expect(MemoryBudget.format(512) == "512 B")
        #expect(MemoryBudget.format(1_600_000_000_000) == "1.60 TB")
        #expect(MemoryBudget.format(23_400_000_000) == "23.4 GB")
        #expect(MemoryBudget.format(999_999) == "1000 kB")
        #expect(MemoryBudget.format(Int.max) == "9.22 EB")
    }

    @Test func twoOptionsNamingOneFileAreRefused() throws {
        let folder = TestSupport.temporaryFolder("outputs")
        try OutputPaths.checkDistinct([("--plan", folder + "/p.csv"), ("--map", folder + "/m.csv"), ("--plot", nil)])
        let same = refusal { try OutputPaths.checkDistinct([("--plan", folder + "/x.csv"), ("--plot", nil), ("--map", folder + "/x.csv")]) }
        #expect(same?.name == "--plan and --map", "\(same?.name ?? "")")
        #expect(same?.message.contains("x.csv") == true)
        // Other spellings of the same file: "." and ".." components, a symlinked folder.
        try FileManager.default.createDirectory(atPath: folder + "/real", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder + "/link", withDestinationPath: folder + "/real")
        for other in [folder + "/./real/../real/y.npy", folder + "/link/y.npy"] {
            let refused = refusal { try OutputPaths.checkDistinct([("--out", folder + "/real/y.npy"), ("--latent", other)]) }
            #expect(refused?.name == "--out and --latent", "\(other)")
        }
        // Relative to the working folder.
        let cwd = FileManager.default.currentDirectoryPath
        #expect(refusal { try OutputPaths.checkDistinct([("--out", "z.npy"), ("--latent", cwd + "/z.npy")]) } != nil)
        #expect(TestSupport.files(in: folder + "/real").isEmpty)
    }
}
