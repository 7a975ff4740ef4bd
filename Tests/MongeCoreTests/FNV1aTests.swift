import Foundation
import MongeCore
import Testing

@Suite("FNV-1a 64: the published test vectors, one loop for bytes, data and files")
struct FNV1aTests {
    /// Vectors of the FNV reference (Fowler, Noll, Vo; draft-eastlake-fnv): "" is the offset basis.
    static let vectors: [(text: String, hash: UInt64)] = [
        ("", 0xCBF2_9CE4_8422_2325), ("a", 0xAF63_DC4C_8601_EC8C), ("foobar", 0x8594_4171_F739_67E8),
    ]

    @Test func matchesThePublishedVectors() {
        for (text, hash) in Self.vectors {
            #expect(FNV1a64.value(of: text.utf8) == hash, "\(text)")
            var incremental = FNV1a64()
            incremental.update(Data(text.prefix(2).utf8))
            incremental.update(Data(text.dropFirst(2).utf8))
            #expect(incremental.value == hash, "\(text) in two parts")
        }
    }

    @Test func anotherBasisStartsThereInstead() {
        // One byte: (basis ^ byte) · prime, by hand.
        let basis: UInt64 = 1_469_598_103_934_665_603
        #expect(FNV1a64.value(of: [0x61], basis: basis) == (basis ^ 0x61) &* 0x0000_0100_0000_01B3)
        #expect(FNV1a64.value(of: [UInt8](), basis: basis) == basis)
    }
}
