/// A vectorised exp for the log-sum-exp of Sinkhorn (four lanes at a time).
///
/// exp(x) = 2^k · exp(r) with k = round(x / ln 2) and r = x − k ln 2 (Cody–Waite split of ln 2),
/// |r| ≤ ln2 / 2, and exp(r) by its Taylor polynomial of degree 13 (truncation below 2⁻⁵³).
/// Relative error about 2 ulp for x ≥ −708; smaller x gives 0 (the true value is below 1e−307).
@inline(__always)
func exp4(_ v: SIMD4<Double>) -> SIMD4<Double> {
    let tiny = v .< SIMD4<Double>(repeating: -708)
    let x = v.replacing(with: -708, where: tiny).replacing(with: 709, where: v .> 709)
    let k = (x * 1.4426950408889634).rounded(.toNearestOrEven)
    let r = (x - k * 0.693147180369123816490) - k * 1.90821492927058770002e-10
    var p = SIMD4<Double>(repeating: 1.0 / 6_227_020_800)  // 1/13!
    p = p * r + 1.0 / 479_001_600
    p = p * r + 1.0 / 39_916_800
    p = p * r + 1.0 / 3_628_800
    p = p * r + 1.0 / 362_880
    p = p * r + 1.0 / 40_320
    p = p * r + 1.0 / 5_040
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    // k is integral and |k| < 2^51: adding 1.5·2^52 puts it in the low mantissa bits.
    let magic = SIMD4<Double>(repeating: 6_755_399_441_055_744)
    let integer = unsafeBitCast(k + magic, to: SIMD4<Int64>.self) &- 0x4338_0000_0000_0000
    let scale = unsafeBitCast((integer &+ 1023) &<< 52, to: SIMD4<Double>.self)
    return (p * scale).replacing(with: 0, where: tiny)
}

/// Σ_t exp(values[t] − shift) over `count` values (vectorised).
@inline(__always)
func sumExp(_ values: UnsafePointer<Double>, count: Int, shift: Double) -> Double {
    var acc = SIMD4<Double>(repeating: 0)
    let s = SIMD4<Double>(repeating: shift)
    var t = 0
    while t + 4 <= count {
        acc += exp4(UnsafeRawPointer(values + t).loadUnaligned(as: SIMD4<Double>.self) - s)
        t += 4
    }
    var total = acc.sum()
    if t < count {
        var tail = SIMD4<Double>(repeating: -.infinity)
        for u in 0..<(count - t) { tail[u] = values[t + u] - shift }
        total += exp4(tail).sum()
    }
    return total
}

/// `sumExp` for the tests (the kernel itself is internal and inlined).
public func sumExpForTesting(_ values: UnsafePointer<Double>, count: Int, shift: Double) -> Double {
    sumExp(values, count: count, shift: shift)
}
