import MongeDiffusion
import Testing

/// Respaced timestep arrays, asserted exactly against diffusers' documented arrays (Lin et al.
/// 2024, Table 2) and numpy's output for non-divisors.
@Suite("Timestep spacings")
struct TimestepTests {
    static func arr(_ K: Int, _ spacing: TimestepSpacing, T: Int = 1000) throws -> [Int] {
        try Timesteps.respaced(count: T, steps: K, spacing: spacing)
    }

    @Test("T = 1000, K = 10 (divisor)")
    func ten() throws {
        #expect(try Self.arr(10, .linspace) == [999, 888, 777, 666, 555, 444, 333, 222, 111, 0])
        #expect(try Self.arr(10, .leading) == [900, 800, 700, 600, 500, 400, 300, 200, 100, 0])
        #expect(try Self.arr(10, .trailing) == [999, 899, 799, 699, 599, 499, 399, 299, 199, 99])
    }

    @Test("T = 1000, K = 7, 3, 6, 16 (non-divisors; halves round to even as numpy)")
    func nonDivisors() throws {
        #expect(try Self.arr(7, .linspace) == [999, 832, 666, 500, 333, 166, 0])
        #expect(try Self.arr(7, .leading) == [852, 710, 568, 426, 284, 142, 0])
        #expect(try Self.arr(7, .trailing) == [999, 856, 713, 570, 428, 285, 142])
        #expect(try Self.arr(3, .linspace) == [999, 500, 0])
        #expect(try Self.arr(3, .leading) == [666, 333, 0])
        #expect(try Self.arr(3, .trailing) == [999, 666, 332])
        #expect(try Self.arr(6, .linspace) == [999, 799, 599, 400, 200, 0])
        #expect(try Self.arr(6, .leading) == [830, 664, 498, 332, 166, 0])
        #expect(try Self.arr(6, .trailing) == [999, 832, 666, 499, 332, 166])
        #expect(try Self.arr(16, .trailing) == [999, 937, 874, 811, 749, 687, 624, 561, 499, 437, 374, 311, 249, 187, 124, 61])
    }

    @Test("Where numpy's floats go wrong, the exact arrays do not")
    func exactWhereFloatsFail() throws {
        // np.linspace(0, 999, 27)[13] = 499.49999999999994 → 499; exactly 499.5 → 500 (even).
        #expect(try Self.arr(27, .linspace)[13] == 500)
        // np.arange(1000, 0, -1000/61) has 62 values, the last ≈ 0 → timestep −1.
        let t = try Self.arr(61, .trailing)
        #expect(t.count == 61 && t.first == 999 && t.last == 15)
    }

    @Test("Every K in 1…T gives K distinct descending timesteps in 0..<T", arguments: [TimestepSpacing.linspace, .leading, .trailing])
    func allCounts(spacing: TimestepSpacing) throws {
        for T in [1, 2, 7, 1000] {
            for K in 1...T {
                let t = try Self.arr(K, spacing, T: T)
                #expect(t.count == K && t.first! < T && t.last! >= 0)
                #expect(zip(t, t.dropFirst()).allSatisfy { $0 > $1 })
            }
        }
        #expect(try Self.arr(1000, spacing) == Array((0..<1000).reversed()))
    }

    @Test("Offset, K = 1, and invalid requests")
    func edges() throws {
        #expect(try Timesteps.respaced(count: 1000, steps: 10, spacing: .leading, offset: 1).first == 901)
        #expect(try Self.arr(1, .linspace) == [0] && Self.arr(1, .leading) == [0] && Self.arr(1, .trailing) == [999])
        #expect(throws: MongeError.self) { try Self.arr(0, .linspace) }
        #expect(throws: MongeError.self) { try Self.arr(1001, .trailing) }
        #expect(throws: MongeError.self) { try Timesteps.respaced(count: 1000, steps: 10, spacing: .leading, offset: 100) }
        #expect(throws: MongeError.self) { try Timesteps.respaced(count: 1000, steps: 10, spacing: .trailing, offset: 1) }
    }

    @Test("Paths: decode descends to −1, encode is its mirror; validation")
    func paths() throws {
        let t = try Self.arr(3, .trailing)
        #expect(Timesteps.decodingPath(t) == [999, 666, 332, -1])
        #expect(Timesteps.encodingPath(t) == [-1, 332, 666, 999])
        #expect(try Timesteps.validate(path: [999, 500, -1], count: 1000) == true)
        #expect(try Timesteps.validate(path: [-1, 0], count: 1000) == false)
        #expect(throws: MongeError.self) { try Timesteps.validate(path: [5], count: 1000) }
        #expect(throws: MongeError.self) { try Timesteps.validate(path: [1000, 0], count: 1000) }
        #expect(throws: MongeError.self) { try Timesteps.validate(path: [-2, 0], count: 1000) }
        #expect(throws: MongeError.self) { try Timesteps.validate(path: [10, 5, 5, -1], count: 1000) }
        #expect(throws: MongeError.self) { try Timesteps.validate(path: [10, 5, 7], count: 1000) }
    }
}
