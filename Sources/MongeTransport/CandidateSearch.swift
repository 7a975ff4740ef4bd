import MongeCore

/// Searches of the full cost matrix that never store it: the cheapest candidates of each row and
/// the pairs that violate dual feasibility. Scans row by row in parallel, or, for 2-D points under
/// the squared Euclidean cost, k-d tree queries with the same results (`PlanarSearch`).
enum CandidateSearch {
    /// For each source i, the `perRow` targets with the smallest C_ij − g_j (g = 0 when nil), as
    /// (i, j, C_ij), ties broken by the smaller j; and per row the smallest C_ij − g_j over the
    /// other targets (+∞ if none), a lower bound on what the candidates leave out.
    static func cheapest(_ geometry: Geometry, g: [Double]?, perRow: Int, useTree: Bool = true) -> (pairs: [(Int, Int, Double)], bounds: [Double]) {
        if useTree && PlanarSearch.applies(to: geometry) { return PlanarSearch.cheapest(geometry, g: g, perRow: perRow) }
        let m = geometry.targetCount
        let k = min(perRow, m)
        let shift = g ?? [Double](repeating: 0, count: m)
        let chunks: [([(Int, Int, Double)], [Double])] = shift.withUnsafeBufferPointer { gp in
            nonisolated(unsafe) let gb = gp.baseAddress!
            return mapRowChunks(count: geometry.sourceCount, rowLength: m) { rows in
                let row = UnsafeMutablePointer<Double>.allocate(capacity: m)
                defer { row.deallocate() }
                var selector = SmallestK(k + 1)
                var out: [(Int, Int, Double)] = []
                var bounds: [Double] = []
                out.reserveCapacity(rows.count * k)
                for i in rows {
                    geometry.costRow(i, columns: 0..<m, into: row)
                    selector.reset()
                    for j in 0..<m { selector.offer(row[j] - gb[j], j) }
                    for t in 0..<min(k, selector.count) { let j = selector.indices[t]; out.append((i, j, row[j])) }
                    bounds.append(selector.count > k ? selector.values[k] : .infinity)
                }
                return (out, bounds)
            }
        }
        return (chunks.flatMap { $0.0 }, chunks.flatMap { $0.1 })
    }

    /// For each source i, up to `perRow` targets with C_ij − f_i − g_j < −tolerance, the most
    /// negative first, as (i, j, C_ij). Empty exactly when (f, g) is dual feasible within tolerance.
    static func violations(_ geometry: Geometry, f: [Double], g: [Double], tolerance: Double,
                           perRow: Int, useTree: Bool = true) -> [(Int, Int, Double)] {
        if useTree && PlanarSearch.applies(to: geometry) {
            return PlanarSearch.violations(geometry, f: f, g: g, tolerance: tolerance, perRow: perRow)
        }
        let m = geometry.targetCount
        let k = min(perRow, m)
        let chunks: [[(Int, Int, Double)]] = f.withUnsafeBufferPointer { fp in
            g.withUnsafeBufferPointer { gp in
                nonisolated(unsafe) let fb = fp.baseAddress!, gb = gp.baseAddress!
                return mapRowChunks(count: geometry.sourceCount, rowLength: m) { rows in
                    let row = UnsafeMutablePointer<Double>.allocate(capacity: m)
                    defer { row.deallocate() }
                    var selector = SmallestK(k)
                    var out: [(Int, Int, Double)] = []
                    for i in rows {
                        geometry.costRow(i, columns: 0..<m, into: row)
                        let threshold = fb[i] - tolerance
                        // Fast pass: any violation in this row at all?
                        var minimum = Double.infinity
                        for j in 0..<m { minimum = min(minimum, row[j] - gb[j]) }
                        if !(minimum < threshold) { continue }
                        selector.reset()
                        for j in 0..<m {
                            let v = row[j] - gb[j]
                            if v < threshold { selector.offer(v, j) }
                        }
                        for t in 0..<selector.count { let j = selector.indices[t]; out.append((i, j, row[j])) }
                    }
                    return out
                }
            }
        }
        return chunks.flatMap { $0 }
    }
}

/// Keeps the k smallest (value, index) pairs offered, sorted ascending (insertion; k is small).
struct SmallestK {
    let capacity: Int
    private(set) var values: [Double]
    private(set) var indices: [Int]
    private(set) var count = 0

    init(_ capacity: Int) {
        self.capacity = max(capacity, 1)
        values = [Double](repeating: .infinity, count: self.capacity)
        indices = [Int](repeating: -1, count: self.capacity)
    }

    mutating func reset() { count = 0 }

    @inline(__always)
    mutating func offer(_ value: Double, _ index: Int) {
        if count == capacity && !(value < values[capacity - 1]) { return }
        var p = count < capacity ? count : capacity - 1
        if count < capacity { count += 1 }
        while p > 0 && values[p - 1] > value {
            values[p] = values[p - 1]; indices[p] = indices[p - 1]; p -= 1
        }
        values[p] = value; indices[p] = index
    }
}
