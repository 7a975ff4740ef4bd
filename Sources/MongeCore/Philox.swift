/// Philox4x32-10, the counter-based generator of Salmon et al., "Parallel random numbers:
/// as easy as 1, 2, 3" (SC 2011), checked against the Random123 known-answer vectors.
///
/// A block of four 32-bit words is a pure function of (key, counter): there is no state to
/// advance, so sample i's noise can be computed anywhere, in any order, on any thread.
public struct Philox4x32: Sendable, Hashable {
    public var key: (UInt32, UInt32)

    public init(key: (UInt32, UInt32)) { self.key = key }

    /// A generator keyed by a 64-bit seed (low word first).
    public init(seed: UInt64) { self.key = (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)) }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.key == rhs.key }
    public func hash(into hasher: inout Hasher) { hasher.combine(key.0); hasher.combine(key.1) }

    @usableFromInline static let multiplier0: UInt32 = 0xD251_1F53
    @usableFromInline static let multiplier1: UInt32 = 0xCD9E_8D57
    @usableFromInline static let weyl0: UInt32 = 0x9E37_79B9
    @usableFromInline static let weyl1: UInt32 = 0xBB67_AE85

    /// The ten-round Philox bijection of `counter` under this key.
    @inlinable
    public func block(_ counter: (UInt32, UInt32, UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        var c = counter
        var k0 = key.0, k1 = key.1
        for round in 0..<10 {
            if round > 0 {
                k0 &+= Self.weyl0
                k1 &+= Self.weyl1
            }
            let p0 = UInt64(Self.multiplier0) &* UInt64(c.0)
            let p1 = UInt64(Self.multiplier1) &* UInt64(c.2)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            c = (hi1 ^ c.1 ^ k0, lo1, hi0 ^ c.3 ^ k1, lo0)
        }
        return c
    }
}

/// A seeded source of random numbers that is a pure function of (seed, stream, index).
///
/// `stream` separates independent uses (e.g. the noise of sampler step k, or the batches of a
/// training run); `index` numbers the values within a stream (e.g. sample i, coordinate d as
/// `i * D + d`). Value `index` of a stream never depends on how many values were drawn before
/// it, by whom, or in which batch — the property that keeps results identical whatever the batch
/// size or thread count.
///
/// Uniforms: block `index` of the counter (index, stream) gives one Double in [0, 1) from 53
/// bits of two words. Normals: Box–Muller on the block's two 53-bit uniforms, so normals
/// `2j` and `2j + 1` share block j.
public struct RandomStream: Sendable, Hashable {
    public let seed: UInt64
    public let stream: UInt64
    @usableFromInline let philox: Philox4x32

    public init(seed: UInt64, stream: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
        self.philox = Philox4x32(seed: seed)
    }

    /// A stream of the same seed derived from this one and `labels` (e.g. a step number and a
    /// purpose tag). Distinct label lists give distinct streams with overwhelming probability.
    public func substream(_ labels: UInt64...) -> RandomStream {
        var h = stream
        for label in labels { h = RandomStream.mix(h ^ RandomStream.mix(label &+ 0x9E37_79B9_7F4A_7C15)) }
        return RandomStream(seed: seed, stream: h)
    }

    /// SplitMix64's finaliser: a bijective 64-bit mixer.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The four raw words of block `index`.
    @inlinable
    public func words(_ index: UInt64) -> (UInt32, UInt32, UInt32, UInt32) {
        philox.block((UInt32(truncatingIfNeeded: index), UInt32(truncatingIfNeeded: index >> 32),
                      UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32)))
    }

    @inlinable
    static func unit(_ hi: UInt32, _ lo: UInt32) -> Double {
        // 53 random bits → [0, 1).
        let bits = (UInt64(hi) << 21) ^ (UInt64(lo) >> 11)
        return Double(bits) * 0x1.0p-53
    }

    /// Uniform value `index` of this stream, in [0, 1).
    @inlinable
    public func uniform(_ index: UInt64) -> Double {
        let w = words(index)
        return RandomStream.unit(w.0, w.1)
    }

    /// Uniform integer value `index` in `0..<bound` (Lemire's multiply-shift on 64 bits; the
    /// bias is below 2⁻³² for any bound under 2³²).
    @inlinable
    public func integer(_ index: UInt64, below bound: Int) -> Int {
        precondition(bound > 0, "integer(below:) needs a positive bound")
        let w = words(index)
        let x = (UInt64(w.0) << 32) | UInt64(w.1)
        return Int(x.multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Standard normal value `index` of this stream (Box–Muller, Double precision).
    @inlinable
    public func normal(_ index: UInt64) -> Double {
        let pair = normalPair(index >> 1)
        return index & 1 == 0 ? pair.0 : pair.1
    }

    /// The two standard normals of block `block`.
    @inlinable
    public func normalPair(_ block: UInt64) -> (Double, Double) {
        let w = words(block)
        let u1 = 1.0 - RandomStream.unit(w.0, w.1)  // (0, 1]: log is finite
        let u2 = RandomStream.unit(w.2, w.3)
        let r = (-2.0 * _log(u1)).squareRoot()
        let theta = 2.0 * Double.pi * u2
        return (r * _cos(theta), r * _sin(theta))
    }

    /// Fills `buffer` with normals `start ..< start + buffer.count` of this stream, each rounded
    /// to `S`: the one normal fill of the project (whole blocks give two normals at once).
    @inlinable
    public func fillNormal<S: BinaryFloatingPoint>(_ buffer: UnsafeMutableBufferPointer<S>, start: UInt64 = 0) {
        var k = 0
        var index = start
        while k < buffer.count {
            if index & 1 == 1 || k == buffer.count - 1 {
                buffer[k] = S(normal(index)); k += 1; index += 1
            } else {
                let pair = normalPair(index >> 1)
                buffer[k] = S(pair.0); buffer[k + 1] = S(pair.1)
                k += 2; index += 2
            }
        }
    }

    /// Normals `start ..< start + count` of this stream in Double (concrete code, for callers whose
    /// scalar type is only known at run time; round with one specialised conversion afterwards).
    public func normals(count: Int, start: UInt64 = 0) -> [Double] {
        [Double](unsafeUninitializedCapacity: count) { out, initialized in
            fillNormal(out, start: start)
            initialized = count
        }
    }

    /// A `rows × columns` matrix of standard normals; element (i, j) is normal `i * columns + j`.
    public func normalMatrix<S: MatrixScalar>(rows: Int, columns: Int, as _: S.Type = S.self) -> Matrix<S> {
        normalMatrix(rows: rows, columns: columns, firstRow: 0)
    }

    /// Rows `firstRow ..< firstRow + rows` of the conceptually infinite normal matrix with
    /// `columns` columns: the same values whatever the batch a row falls in.
    @inlinable
    public func normalMatrix<S: MatrixScalar>(rows: Int, columns: Int, firstRow: Int, as _: S.Type = S.self) -> Matrix<S> {
        var m = Matrix<S>(rows: rows, columns: columns)
        m.storage.withUnsafeMutableBufferPointer { fillNormal($0, start: UInt64(firstRow * columns)) }
        return m
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates driven by this stream).
    public func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = integer(UInt64(i), below: i + 1)
            p.swapAt(i, j)
        }
        return p
    }
}

#if canImport(Glibc)
import Glibc
@usableFromInline func _log(_ x: Double) -> Double { Glibc.log(x) }
@usableFromInline func _cos(_ x: Double) -> Double { Glibc.cos(x) }
@usableFromInline func _sin(_ x: Double) -> Double { Glibc.sin(x) }
#else
import Darwin
@usableFromInline func _log(_ x: Double) -> Double { Darwin.log(x) }
@usableFromInline func _cos(_ x: Double) -> Double { Darwin.cos(x) }
@usableFromInline func _sin(_ x: Double) -> Double { Darwin.sin(x) }
#endif
