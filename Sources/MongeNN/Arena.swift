import Foundation

/// One zero-initialised allocation cut into named-by-position slices: the preallocated buffers
/// of a forward/backward pass, so that the hot loop never allocates.
///
/// Not thread-safe: each thread (batch chunk) owns its own arena.
final class Arena<S: NetworkScalar>: @unchecked Sendable {
    let base: UnsafeMutablePointer<S>
    let count: Int

    /// `sizes[k]` scalars for slice k; slices start at multiples of 16 scalars (64 bytes for Float).
    init(sizes: [Int]) {
        var offsets: [Int] = []
        var total = 0
        for size in sizes {
            offsets.append(total)
            total += (size + 15) / 16 * 16
        }
        count = max(total, 16)
        base = UnsafeMutablePointer<S>.allocate(capacity: count)
        // All-zero bytes are +0 in both NetworkScalar types (IEEE Float and Double): one memset,
        // instead of the generic class's per-scalar value-witness calls (≈ 3 % of a width-16
        // U-Net training step, which builds its workspace each step).
        memset(base, 0, count * MemoryLayout<S>.stride)
        self.offsets = offsets
    }

    private let offsets: [Int]

    /// The start of slice `k`.
    @inline(__always) subscript(_ k: Int) -> UnsafeMutablePointer<S> { base + offsets[k] }

    deinit { base.deallocate() }
}

/// Sequential slice numbering for an `Arena`: `next(size)` reserves a slice and returns its index.
struct ArenaPlan {
    private(set) var sizes: [Int] = []
    mutating func next(_ size: Int) -> Int {
        sizes.append(size)
        return sizes.count - 1
    }
}
