import MongeCore

/// Balanced k-d tree clustering: split at the median of the widest coordinate, `levels` times.
///
/// Gives 2^levels clusters whose sizes differ by at most one, the same count for two sets of
/// equal size, so that the coarse problem of a multiscale solver is again an assignment.
struct BalancedClusters {
    /// Cluster of each point.
    let label: [Int]
    /// Mean of each cluster [clusters, d].
    let centroids: Matrix<Double>
    /// Number of points in each cluster.
    let sizes: [Int]

    var count: Int { sizes.count }

    init(_ points: Matrix<Double>, levels: Int) {
        let n = points.rows, d = points.columns
        var index = Array(0..<n)
        var label = [Int](repeating: 0, count: n)
        var ranges: [Range<Int>] = [0..<n]
        for _ in 0..<levels {
            var next: [Range<Int>] = []
            next.reserveCapacity(2 * ranges.count)
            for range in ranges {
                // Widest coordinate of this cell.
                var axis = 0, widest = -1.0
                for k in 0..<d {
                    var lo = Double.infinity, hi = -Double.infinity
                    for t in range { let v = points.storage[index[t] * d + k]; lo = min(lo, v); hi = max(hi, v) }
                    if hi - lo > widest { widest = hi - lo; axis = k }
                }
                let middle = range.lowerBound + range.count / 2
                BalancedClusters.select(&index, range, middle) { points.storage[$0 * d + axis] }
                next.append(range.lowerBound..<middle)
                next.append(middle..<range.upperBound)
            }
            ranges = next
        }
        var centroids = Matrix<Double>(rows: ranges.count, columns: d)
        var sizes = [Int](repeating: 0, count: ranges.count)
        for (c, range) in ranges.enumerated() {
            sizes[c] = range.count
            for t in range {
                label[index[t]] = c
                for k in 0..<d { centroids.storage[c * d + k] += points.storage[index[t] * d + k] }
            }
            if range.count > 0 { for k in 0..<d { centroids.storage[c * d + k] /= Double(range.count) } }
        }
        self.label = label
        self.centroids = centroids
        self.sizes = sizes
    }

    /// Quickselect: reorders `index[range]` so that position `k` holds the element of rank k by
    /// `key`, smaller keys before it and larger after (ties broken by the point index).
    static func select(_ index: inout [Int], _ range: Range<Int>, _ k: Int, key: (Int) -> Double) {
        var lo = range.lowerBound, hi = range.upperBound - 1
        func less(_ a: Int, _ b: Int) -> Bool {
            let ka = key(a), kb = key(b)
            return ka < kb || (ka == kb && a < b)
        }
        while lo < hi {
            // Median of three as pivot.
            let mid = lo + (hi - lo) / 2
            if less(index[mid], index[lo]) { index.swapAt(mid, lo) }
            if less(index[hi], index[lo]) { index.swapAt(hi, lo) }
            if less(index[hi], index[mid]) { index.swapAt(hi, mid) }
            let pivot = index[mid]
            var i = lo, j = hi
            while i <= j {
                while less(index[i], pivot) { i += 1 }
                while less(pivot, index[j]) { j -= 1 }
                if i <= j { index.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { return }
        }
    }
}
