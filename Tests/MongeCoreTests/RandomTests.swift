import MongeCore
import Testing

@Suite("Philox4x32-10 and RandomStream")
struct RandomTests {
    /// The three `philox4x32 10` lines of Random123's tests/kat_vectors.
    @Test func knownAnswerVectors() {
        let cases: [((UInt32, UInt32, UInt32, UInt32), (UInt32, UInt32), (UInt32, UInt32, UInt32, UInt32))] = [
            ((0, 0, 0, 0), (0, 0), (0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8)),
            ((.max, .max, .max, .max), (.max, .max), (0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd)),
            ((0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), (0xa409_3822, 0x299f_31d0),
             (0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1)),
        ]
        for (counter, key, expected) in cases {
            let out = Philox4x32(key: key).block(counter)
            #expect(out.0 == expected.0 && out.1 == expected.1 && out.2 == expected.2 && out.3 == expected.3)
        }
    }

    @Test func valuesDoNotDependOnBatching() {
        let rng = RandomStream(seed: 42, stream: 7)
        let whole: Matrix<Float> = rng.normalMatrix(rows: 100, columns: 3)
        // The same rows drawn in uneven batches, starting at odd offsets.
        var parts: [Matrix<Float>] = []
        var row = 0
        for size in [1, 7, 13, 29, 50] {
            parts.append(rng.normalMatrix(rows: size, columns: 3, firstRow: row))
            row += size
        }
        #expect(Matrix.vstack(parts) == whole)
        // Single values agree with the filled buffer.
        #expect(Float(rng.normal(61)) == whole.storage[61])
    }

    @Test func seedsAndStreamsAreIndependent() {
        let a = RandomStream(seed: 1).normalMatrix(rows: 1, columns: 64, as: Double.self)
        let b = RandomStream(seed: 2).normalMatrix(rows: 1, columns: 64, as: Double.self)
        let c = RandomStream(seed: 1).substream(3).normalMatrix(rows: 1, columns: 64, as: Double.self)
        #expect(a != b && a != c && b != c)
        #expect(RandomStream(seed: 1).substream(3) == RandomStream(seed: 1).substream(3))
        #expect(RandomStream(seed: 1).substream(3, 4) != RandomStream(seed: 1).substream(4, 3))
    }

    /// Moments of 400k normals and uniforms within 6 standard errors of their true values.
    @Test func momentsAreRight() {
        let n = 400_000
        let rng = RandomStream(seed: 2026)
        var s1 = 0.0, s2 = 0.0, s4 = 0.0, u1 = 0.0
        for i in 0..<n {
            let z = rng.normal(UInt64(i))
            s1 += z; s2 += z * z; s4 += z * z * z * z
            u1 += rng.uniform(UInt64(i))
        }
        let N = Double(n)
        #expect(abs(s1 / N) < 6 / N.squareRoot())
        #expect(abs(s2 / N - 1) < 6 * 2.0.squareRoot() / N.squareRoot())
        #expect(abs(s4 / N - 3) < 6 * 96.0.squareRoot() / N.squareRoot())
        #expect(abs(u1 / N - 0.5) < 6 * (1.0 / 12).squareRoot() / N.squareRoot())
    }

    @Test func permutationIsAPermutation() {
        let p = RandomStream(seed: 5).permutation(1000)
        #expect(p.sorted() == Array(0..<1000))
        #expect(p != Array(0..<1000))
        for _ in 0..<3 { #expect(RandomStream(seed: 5).permutation(1000) == p) }
    }

    @Test func integersAreInRangeAndCoverIt() {
        let rng = RandomStream(seed: 9)
        var counts = [Int](repeating: 0, count: 7)
        for i in 0..<7000 { counts[rng.integer(UInt64(i), below: 7)] += 1 }
        #expect(counts.allSatisfy { $0 > 850 && $0 < 1150 })
    }
}
