import MongeCore

/// Shortest augmenting paths (Jonker & Volgenant 1987: Dijkstra on reduced costs) over a sparse,
/// lazily grown set of candidate pairs, exact on the FULL n × n problem without storing it.
///
/// Invariants, on every pair (i, j) of the full problem: r_ij = C_ij − f_i − g_j ≥ 0, and
/// r = 0 on matched pairs. Each row i keeps its candidate pairs and a lower bound
/// `bound[i] ≤ min_{j not a candidate} C_ij − g_j`; g only decreases, so a bound stays valid.
/// In a Dijkstra search a reached row contributes its candidates plus one virtual entry with key
/// d_i + bound_i − f_i, a lower bound on every path through its other pairs. When the virtual entry
/// is popped before a free column, the row is expanded: its full row of costs is computed, its next
/// cheapest pairs become candidates and the bound is renewed. Searches are therefore exact shortest
/// paths on the full problem, the potentials stay dual feasible on all n² pairs, and the final
/// `CandidateSearch.violations` scan only confirms it (or repairs rounding-level violations).
final class SparseAssignmentEngine {
    let n: Int
    let geometry: Geometry
    /// Pairs added per row expansion.
    let expansionSize: Int
    // Candidate pairs in a pool of chunks; each row has a linked list of chunks.
    private var poolColumns: [Int32] = []
    private var poolCosts: [Double] = []
    private var chunkStart: [Int] = []
    private var chunkCount: [Int] = []
    private var chunkNext: [Int] = []
    private var head: [Int]
    private(set) var bound: [Double]
    var f: [Double]
    var g: [Double]
    private(set) var columnOfRow: [Int]
    private(set) var rowOfColumn: [Int]
    private(set) var augmentations = 0
    private(set) var expansions = 0
    // Dijkstra scratch.
    private var distance: [Double]
    private var rowDistance: [Double]
    private var predecessor: [Int32]
    private var seenStamp: [UInt32]
    private var doneStamp: [UInt32]
    private var stamp: UInt32 = 0
    private var heap = MinHeap()
    private var finalized: [Int] = []
    private var rowScratch: [Double]
    private var markStamp: [UInt32]
    private var mark: UInt32 = 0

    /// Starts from target potentials `g`, each row's candidates (i, j, C_ij) and `bounds[i]` =
    /// min over the row's other pairs of C_ij − g_j; f becomes the exact c-transform of g.
    init(geometry: Geometry, g: [Double], candidates: [(Int, Int, Double)], bounds: [Double], expansionSize: Int = 16) {
        n = geometry.sourceCount
        self.geometry = geometry
        self.expansionSize = expansionSize
        self.g = g
        head = [Int](repeating: -1, count: n)
        bound = bounds
        f = [Double](repeating: 0, count: n)
        columnOfRow = [Int](repeating: -1, count: n)
        rowOfColumn = [Int](repeating: -1, count: n)
        distance = [Double](repeating: 0, count: n)
        rowDistance = [Double](repeating: 0, count: n)
        predecessor = [Int32](repeating: -1, count: n)
        seenStamp = [UInt32](repeating: 0, count: n)
        doneStamp = [UInt32](repeating: 0, count: n)
        rowScratch = [Double](repeating: 0, count: n)
        markStamp = [UInt32](repeating: 0, count: n)
        insert(candidates)
        // f_i = min(best candidate, bound): the c-transform on the full row. Greedy start on tight pairs.
        for i in 0..<n {
            var best = Double.infinity, bestJ = -1
            forEachCandidate(i) { j, c in
                let v = c - g[j]
                if v < best { best = v; bestJ = j }
            }
            f[i] = min(best, bound[i])
            if bestJ >= 0 && best <= bound[i] && rowOfColumn[bestJ] < 0 {
                rowOfColumn[bestJ] = i; columnOfRow[i] = bestJ
            }
        }
    }

    /// Calls `body(j, C_ij)` for each candidate of row i.
    @inline(__always)
    func forEachCandidate(_ i: Int, _ body: (Int, Double) -> Void) {
        var c = head[i]
        while c >= 0 {
            let s = chunkStart[c]
            for e in s..<(s + chunkCount[c]) { body(Int(poolColumns[e]), poolCosts[e]) }
            c = chunkNext[c]
        }
    }

    var candidateCount: Int { poolColumns.count }

    /// Adds pairs (grouped into one chunk per row; the caller avoids duplicates).
    func insert(_ pairs: [(Int, Int, Double)]) {
        var byRow: [Int: [(Int, Double)]] = [:]
        var order: [Int] = []
        for (i, j, c) in pairs {
            if byRow[i] == nil { order.append(i); byRow[i] = [] }
            byRow[i]!.append((j, c))
        }
        for i in order { appendChunk(i, byRow[i]!) }
    }

    private func appendChunk(_ i: Int, _ edges: [(Int, Double)]) {
        guard !edges.isEmpty else { return }
        chunkStart.append(poolColumns.count)
        chunkCount.append(edges.count)
        chunkNext.append(head[i])
        head[i] = chunkStart.count - 1
        for (j, c) in edges { poolColumns.append(Int32(j)); poolCosts.append(c) }
    }

    /// Computes row i in full, makes its `expansionSize` cheapest non-candidate pairs (by
    /// C_ij − g_j) candidates and renews `bound[i]`. Returns the new pairs.
    private func expand(_ i: Int) -> [(Int, Double)] {
        expansions += 1
        mark &+= 1
        if mark == 0 { for j in 0..<n { markStamp[j] = 0 }; mark = 1 }
        let mark = self.mark
        forEachCandidate(i) { j, _ in markStamp[j] = mark }
        var selector = SmallestK(expansionSize + 1)
        rowScratch.withUnsafeMutableBufferPointer { row in
            geometry.costRow(i, columns: 0..<n, into: row.baseAddress!)
            for j in 0..<n where markStamp[j] != mark { selector.offer(row[j] - g[j], j) }
        }
        let taken = min(selector.count, expansionSize)
        var added: [(Int, Double)] = []
        for t in 0..<taken { let j = selector.indices[t]; added.append((j, rowScratch[j])) }
        bound[i] = selector.count > expansionSize ? selector.values[expansionSize] : .infinity
        appendChunk(i, added)
        return added
    }

    /// Matches every free row.
    func augmentAll() {
        for s in 0..<n where columnOfRow[s] < 0 { augment(from: s) }
    }

    /// One exact Dijkstra search from free row s to the nearest free column over the full
    /// problem (candidates + lazily expanded rows), then the dual update and the augmentation.
    func augment(from s: Int) {
        augmentations += 1
        stamp &+= 1
        if stamp == 0 {
            for j in 0..<n { seenStamp[j] = 0; doneStamp[j] = 0 }
            stamp = 1
        }
        let stamp = self.stamp
        heap.removeAll()
        finalized.removeAll(keepingCapacity: true)

        func relax(_ i: Int, _ base: Double, _ j: Int, _ c: Double) {
            if doneStamp[j] == stamp { return }
            let d = base + (c - f[i] - g[j])
            if seenStamp[j] != stamp || d < distance[j] {
                seenStamp[j] = stamp
                distance[j] = d
                predecessor[j] = Int32(i)
                heap.push(d, Int32(j))
            }
        }
        func scan(_ i: Int, _ base: Double) {
            rowDistance[i] = base
            forEachCandidate(i) { j, c in relax(i, base, j, c) }
            if bound[i] < .infinity { heap.push(base + (bound[i] - f[i]), Int32(-1 - i)) }
        }

        var sink = -1
        var sinkDistance = 0.0
        scan(s, 0)
        while let (d, entry) = heap.pop() {
            if entry < 0 {
                // Virtual entry: the row's non-candidate pairs might be on a shortest path.
                let i = Int(-1 - entry)
                let base = rowDistance[i]
                for (j, c) in expand(i) { relax(i, base, j, c) }
                if bound[i] < .infinity { heap.push(base + (bound[i] - f[i]), Int32(-1 - i)) }
                continue
            }
            let j = Int(entry)
            if doneStamp[j] == stamp || d > distance[j] { continue }
            doneStamp[j] = stamp
            finalized.append(j)
            let owner = rowOfColumn[j]
            if owner < 0 { sink = j; sinkDistance = d; break }
            scan(owner, d)
        }
        precondition(sink >= 0, "no free column reachable: the full problem always has one")
        for j in finalized where j != sink {
            let delta = sinkDistance - distance[j]
            g[j] -= delta
            f[rowOfColumn[j]] += delta
        }
        f[s] += sinkDistance
        var j = sink
        while true {
            let i = Int(predecessor[j])
            let previous = columnOfRow[i]
            columnOfRow[i] = j
            rowOfColumn[j] = i
            f[i] = geometry.cost(i, j) - g[j]
            if i == s { break }
            j = previous
        }
    }

    /// Adds `pairs` found violating dual feasibility (by rounding) and restores the invariants:
    /// each touched row gets f_i = its minimum over candidates and bound, and is unmatched if its
    /// pair is no longer tight.
    func repair(adding pairs: [(Int, Int, Double)]) {
        insert(pairs)
        var touched = Set<Int>()
        for (i, _, _) in pairs { touched.insert(i) }
        for i in touched {
            var best = bound[i]
            forEachCandidate(i) { j, c in best = min(best, c - g[j]) }
            if best < f[i] {
                f[i] = best
                let j = columnOfRow[i]
                if j >= 0 { columnOfRow[i] = -1; rowOfColumn[j] = -1 }
            }
        }
    }

    /// σ (every row is matched after `augmentAll`).
    var permutation: [Int] { columnOfRow }
}

/// A binary min-heap of (key, value) pairs with lazy deletion by the caller.
struct MinHeap {
    private var keys: [Double] = []
    private var values: [Int32] = []

    mutating func removeAll() { keys.removeAll(keepingCapacity: true); values.removeAll(keepingCapacity: true) }

    mutating func push(_ key: Double, _ value: Int32) {
        keys.append(key); values.append(value)
        var c = keys.count - 1
        while c > 0 {
            let p = (c - 1) >> 1
            if keys[p] <= key { break }
            keys[c] = keys[p]; values[c] = values[p]
            c = p
        }
        keys[c] = key; values[c] = value
    }

    mutating func pop() -> (Double, Int32)? {
        guard let topKey = keys.first else { return nil }
        let topValue = values[0]
        let lastKey = keys.removeLast(), lastValue = values.removeLast()
        let count = keys.count
        if count > 0 {
            var p = 0
            while true {
                var c = 2 * p + 1
                if c >= count { break }
                if c + 1 < count && keys[c + 1] < keys[c] { c += 1 }
                if keys[c] >= lastKey { break }
                keys[p] = keys[c]; values[p] = values[c]
                p = c
            }
            keys[p] = lastKey; values[p] = lastValue
        }
        return (topKey, topValue)
    }
}
