import MongeCore

/// Exact assignment on the full n × n problem over short per-row candidate lists, without
/// storing the cost matrix: an ε-scaling auction (Bertsekas 1988) followed by shortest
/// augmenting paths (Jonker & Volgenant 1987), both on potentials that stay dual feasible on
/// EVERY pair.
///
/// Each row i keeps its `capacity` cheapest columns by C_ij − g_j (as of its last refill) and
/// a bound: the next cheapest value, so `bound[i] ≤ min_{j not listed} C_ij − g_j`. Potentials g
/// only decrease (auction bids and Dijkstra updates both lower g), so a bound stays valid until the
/// row is refilled; a refill computes the row of costs in full and replaces the list. Whenever the
/// bound could hide a better column (in a bid, or when a Dijkstra search pops the row's virtual
/// entry with key d_i + bound_i − f_i) the row is refilled first. Searches are therefore exact
/// shortest paths on the full problem, f stays the exact c-transform where it matters, and when all
/// rows are matched (σ, f, g) satisfies f_i + g_j ≤ C_ij for all pairs with equality on σ: optimal.
/// The final full scan (`CandidateSearch.violations`) only confirms it.
///
/// For 2-D points under the squared Euclidean cost a refill is a k-nearest query in a k-d tree
/// over the targets (`PlanarTree`, weights g) instead of a row of n costs: the same list and
/// bound, found in about O(capacity · log n). The tree's per-node maxima of g stay valid bounds
/// as g decreases; they are refreshed now and then to stay tight.
final class SparseAssignmentEngine {
    let n: Int
    let geometry: Geometry
    /// Candidates per row.
    let capacity: Int
    // Per-row candidate lists: row i at [i·capacity, i·capacity + count[i]).
    private let candidateColumn: UnsafeMutablePointer<Int32>
    private let candidateCost: UnsafeMutablePointer<Double>
    private let candidateCount: UnsafeMutablePointer<Int32>
    private let boundStorage: UnsafeMutablePointer<Double>
    private let fStorage: UnsafeMutablePointer<Double>
    private let gStorage: UnsafeMutablePointer<Double>
    private let columnOf: UnsafeMutablePointer<Int>
    private let rowOf: UnsafeMutablePointer<Int>
    // Dijkstra scratch.
    private let distance: UnsafeMutablePointer<Double>
    private let rowDistance: UnsafeMutablePointer<Double>
    private let predecessor: UnsafeMutablePointer<Int32>
    private let seenStamp: UnsafeMutablePointer<UInt32>
    private let doneStamp: UnsafeMutablePointer<UInt32>
    private var stamp: UInt32 = 0
    private var heap = MinHeap()
    private var finalized: [Int] = []
    /// Full-row buffers (scans only; nil with a tree).
    private let scratch: RowScratch?
    /// Tree refills: the k-d tree over the targets, the sources' coordinates, query buffers.
    private let tree: PlanarTree?
    private let sourceCoordinates: [Double]
    private var selector: PowerSelector
    private var stack: [Int32] = []
    private var tieColumns: [(Int32, Double)] = []
    /// With a tree: the bound carried by row i's virtual entry in the current search.
    private let virtualBound: UnsafeMutablePointer<Double>
    private var refillsSinceRefresh = 0
    // Statistics.
    private(set) var augmentations = 0
    private(set) var refills = 0
    /// Refills done ahead of their bid, on all cores (`prefetch`); counted in `refills` too.
    private(set) var parallelRefills = 0
    private(set) var bids = 0
    private(set) var scans = 0

    /// Starts from target potentials `g`; every row's list is filled from its full row and f is
    /// the exact c-transform of g. Rows whose cheapest column is free are matched greedily.
    init(geometry: Geometry, g: [Double], capacity: Int) {
        n = geometry.sourceCount
        self.geometry = geometry
        self.capacity = max(1, min(capacity, n))
        candidateColumn = .allocate(capacity: n * self.capacity)
        candidateCost = .allocate(capacity: n * self.capacity)
        candidateCount = .allocate(capacity: n)
        boundStorage = .allocate(capacity: n)
        fStorage = .allocate(capacity: n)
        gStorage = .allocate(capacity: n)
        columnOf = .allocate(capacity: n)
        rowOf = .allocate(capacity: n)
        distance = .allocate(capacity: n)
        rowDistance = .allocate(capacity: n)
        predecessor = .allocate(capacity: n)
        seenStamp = .allocate(capacity: n)
        doneStamp = .allocate(capacity: n)
        virtualBound = .allocate(capacity: n)
        selector = PowerSelector(k: self.capacity)
        if PlanarSearch.applies(to: geometry) {
            tree = PlanarTree(geometry.y!)
            sourceCoordinates = geometry.x!.storage
            scratch = nil
        } else {
            tree = nil
            sourceCoordinates = []
            scratch = RowScratch(n)
        }
        g.withUnsafeBufferPointer { gStorage.update(from: $0.baseAddress!, count: n) }
        columnOf.initialize(repeating: -1, count: n)
        rowOf.initialize(repeating: -1, count: n)
        seenStamp.initialize(repeating: 0, count: n)
        doneStamp.initialize(repeating: 0, count: n)
        // Fill all rows in parallel (disjoint memory), then the greedy start.
        nonisolated(unsafe) let engine = self
        if let tree {
            tree.setWeights(gStorage)
            _ = Parallel.mapChunks(count: n, minimumChunk: 4096) { rows in
                var selector = PowerSelector(k: engine.capacity)
                var stack: [Int32] = []
                for i in rows { engine.refill(i, &selector, &stack) }
            }
        } else {
            _ = mapRowChunks(count: n, rowLength: n) { rows in
                let local = RowScratch(engine.n)
                for i in rows { engine.refill(i, local) }
            }
        }
        for i in 0..<n {
            let base = i * self.capacity
            fStorage[i] = min(candidateCount[i] > 0 ? candidateCost[base] - gStorage[Int(candidateColumn[base])] : .infinity, boundStorage[i])
            let j = Int(candidateColumn[base])
            if candidateCount[i] > 0 && rowOf[j] < 0 && candidateCost[base] - gStorage[j] <= boundStorage[i] {
                rowOf[j] = i; columnOf[i] = j
            }
        }
    }

    deinit {
        candidateColumn.deallocate(); candidateCost.deallocate(); candidateCount.deallocate()
        boundStorage.deallocate(); fStorage.deallocate(); gStorage.deallocate()
        columnOf.deallocate(); rowOf.deallocate(); distance.deallocate(); rowDistance.deallocate()
        predecessor.deallocate(); seenStamp.deallocate(); doneStamp.deallocate(); virtualBound.deallocate()
    }

    var f: [Double] { Array(UnsafeBufferPointer(start: fStorage, count: n)) }
    var g: [Double] { Array(UnsafeBufferPointer(start: gStorage, count: n)) }
    /// σ (every row is matched after `augmentAll`).
    var permutation: [Int] { Array(UnsafeBufferPointer(start: columnOf, count: n)) }
    var freeRowCount: Int { (0..<n).reduce(0) { $0 + (columnOf[$1] < 0 ? 1 : 0) } }

    /// Recomputes row i in full: its `capacity` smallest C_ij − g_j become its list (ascending),
    /// the next smallest its bound.
    private func refill(_ i: Int, _ scratch: RowScratch) {
        geometry.costRow(i, columns: 0..<n, into: scratch.cost)
        let values = scratch.value, costs = scratch.cost, g = gStorage
        var t = 0
        while t + 4 <= n {
            let c = UnsafeRawPointer(costs + t).loadUnaligned(as: SIMD4<Double>.self)
            let h = UnsafeRawPointer(g + t).loadUnaligned(as: SIMD4<Double>.self)
            UnsafeMutableRawPointer(values + t).storeBytes(of: c - h, as: SIMD4<Double>.self)
            t += 4
        }
        while t < n { values[t] = costs[t] - g[t]; t += 1 }
        let base = i * capacity
        let (count, next) = selectSmallest(values, n, capacity, candidateColumn + base, scratch.selected,
                                           scratch.selectedIndex, scratch.blockMin, scratch.pool, scratch.poolIndex)
        for k in 0..<count { candidateCost[base + k] = costs[Int(candidateColumn[base + k])] }
        candidateCount[i] = Int32(count)
        boundStorage[i] = next
    }

    /// Row i's list and bound from a tree query (the same as `refill(_:_:)` computes).
    private func refill(_ i: Int, _ selector: inout PowerSelector, _ stack: inout [Int32]) {
        let tree = tree!
        sourceCoordinates.withUnsafeBufferPointer { xs in
            tree.smallest(xs[2 * i], xs[2 * i + 1], weights: gStorage, into: &selector, stack: &stack)
        }
        let base = i * capacity
        let count = selector.selected
        for k in 0..<count {
            candidateColumn[base + k] = selector.indices[k]
            candidateCost[base + k] = selector.costs[k]
        }
        candidateCount[i] = Int32(count)
        boundStorage[i] = capacity < n ? selector.next : .infinity
    }

    /// Refill from the main thread (statistics counted).
    private func refill(_ i: Int) {
        refills += 1
        if tree != nil {
            refillsSinceRefresh += 1
            // g has dropped since the node maxima were taken: retighten them (O(n)) now and then.
            if refillsSinceRefresh > n / 4 { tree!.setWeights(gStorage); refillsSinceRefresh = 0 }
            refill(i, &selector, &stack)
        } else {
            refill(i, scratch!)
        }
    }

    // MARK: Parallel refills

    /// Queue positions whose stale lists are refilled together, ahead of their bids.
    /// (256 and 2 refilled the most rows ahead at n = 30,000 among 64…4096 and 2…128: about 72 %
    /// of the auction's refills, against 45 % with 1024 and 128.)
    static let prefetchBatch = 256
    /// Fewer stale rows than twice this are left to be refilled one by one at their bids.
    static let minimumParallelRefills = 2

    /// Whether `bestTwo(i, slack:)` would refill row i now: its list is empty, or its bound could
    /// hide a column better than the list's best by more than `slack`.
    @inline(__always)
    private func needsRefill(_ i: Int, slack: Double) -> Bool {
        let base = i * capacity
        let count = Int(candidateCount[i])
        var u1 = Double.infinity
        for k in 0..<count { u1 = min(u1, candidateCost[base + k] - gStorage[Int(candidateColumn[base + k])]) }
        return count == 0 || boundStorage[i] < u1 - slack
    }

    /// Refills, on all cores, those of `rows` that `bestTwo` would refill — the k-d tree queries
    /// that are most of the auction's time. A refill is a pure function of row i and the current g,
    /// and g only decreases, so an early refill stays valid until the row bids (it may need another
    /// if g falls further) and the result is the same whatever the thread count. Tree refills only.
    private func prefetch(_ rows: ArraySlice<Int>, slack: Double) {
        guard let tree else { return }  // not on the thread count: same bits with 1 or 2 threads
        let stale = rows.filter { needsRefill($0, slack: slack) }
        guard stale.count >= 2 * Self.minimumParallelRefills else { return }
        refills += stale.count
        parallelRefills += stale.count
        refillsSinceRefresh += stale.count
        if refillsSinceRefresh > n / 4 { tree.setWeights(gStorage); refillsSinceRefresh = 0 }
        nonisolated(unsafe) let engine = self
        _ = Parallel.mapChunks(count: stale.count, minimumChunk: Self.minimumParallelRefills) { range in
            var selector = PowerSelector(k: engine.capacity)
            var stack: [Int32] = []
            for t in range { engine.refill(stale[t], &selector, &stack) }
        }
    }

    /// `prefetch` over every row, in batches (the auction's first pass and `tighten`).
    private func prefetchAll(slack: Double) {
        let rows = Array(0..<n)
        var start = 0
        while start < n {
            prefetch(rows[start..<min(n, start + 16 * Self.prefetchBatch)], slack: slack)
            start += 16 * Self.prefetchBatch
        }
    }

    // MARK: Auction

    /// The smallest and second smallest C_ij − g_j of row i over all columns (the second may be
    /// the bound, a lower bound), refilling the row when the bound could hide the smallest.
    /// With `slack` > 0 the row is refilled only when an unlisted column could be better by more
    /// than `slack` (the auction's relaxed complementary slackness); 0 is exact.
    @inline(__always)
    private func bestTwo(_ i: Int, slack: Double = 0) -> (Double, Int, Double, Double) {
        while true {
            let base = i * capacity
            let count = Int(candidateCount[i])
            var u1 = Double.infinity, u2 = Double.infinity, j1 = -1, c1 = 0.0
            for k in 0..<count {
                let j = Int(candidateColumn[base + k])
                let c = candidateCost[base + k]
                let v = c - gStorage[j]
                if v < u1 { u2 = u1; u1 = v; j1 = j; c1 = c } else if v < u2 { u2 = v }
            }
            // Refill when an unlisted column could be strictly better (a tie hides nothing better).
            if j1 < 0 || boundStorage[i] < u1 - slack { refill(i); continue }
            // Never below u1: a bid must lower g by at least ε (g only decreases).
            return (u1, j1, c1, max(u1, min(u2, boundStorage[i])))
        }
    }

    /// Bids (forward auction, Gauss–Seidel) until every row is assigned with ε-complementary
    /// slackness: C_iσ(i) − g_σ(i) ≤ min_j (C_ij − g_j) + ε. A bid lowers g of the row's best
    /// column by (second best − best) + ε. Rows already within ε of their best are kept.
    ///
    /// `refillSlack` (in units of ε) lets a row bid from its list while an unlisted column could be
    /// better by at most slack · ε: the auction then keeps (1 + slack)·ε-complementary slackness
    /// on the full problem, and terminates like one, with far fewer k-d tree refills. The exact
    /// phases that follow (`tighten`, `augmentAll`) do not depend on it.
    func auction(epsilon: Double, refillSlack: Double = 0) {
        let slack = max(0, refillSlack) * epsilon
        var queue: [Int] = []
        queue.reserveCapacity(n)
        prefetchAll(slack: slack)
        for i in 0..<n {
            let j = columnOf[i]
            if j < 0 { queue.append(i); continue }
            let (u1, _, _, _) = bestTwo(i, slack: slack)
            if geometry.cost(i, j) - gStorage[j] > u1 + epsilon {
                columnOf[i] = -1; rowOf[j] = -1; queue.append(i)
            }
        }
        var head = 0
        var prefetched = 0  // queue positions before this were offered to `prefetch`
        while head < queue.count {
            if head >= prefetched {
                prefetched = min(queue.count, head + Self.prefetchBatch)
                prefetch(queue[head..<prefetched], slack: slack)
            }
            let i = queue[head]
            head += 1
            bids += 1
            let (u1, j1, c1, second) = bestTwo(i, slack: slack)
            let u2 = second.isFinite ? second : u1
            gStorage[j1] = c1 - u2 - epsilon
            let previous = rowOf[j1]
            rowOf[j1] = i
            columnOf[i] = j1
            if previous >= 0 { columnOf[previous] = -1; queue.append(previous) }
            if head > 4096 && head * 2 > queue.count { queue.removeFirst(head); prefetched -= head; head = 0 }
        }
    }

    /// f becomes the exact c-transform of g; rows whose pair is not tight are freed.
    func tighten() {
        prefetchAll(slack: 0)
        for i in 0..<n {
            let (u1, _, _, _) = bestTwo(i)
            fStorage[i] = u1
            let j = columnOf[i]
            if j >= 0 && geometry.cost(i, j) - gStorage[j] > u1 {
                columnOf[i] = -1; rowOf[j] = -1
            }
        }
    }

    // MARK: Shortest augmenting paths

    /// Matches every free row.
    func augmentAll() {
        for s in 0..<n where columnOf[s] < 0 { augment(from: s) }
    }

    /// One exact Dijkstra search from free row s to the nearest free column over the full
    /// problem, then the dual update (g down on settled columns, f up on their rows) and the flip.
    func augment(from s: Int) {
        augmentations += 1
        stamp &+= 1
        if stamp == 0 {
            seenStamp.update(repeating: 0, count: n); doneStamp.update(repeating: 0, count: n)
            stamp = 1
        }
        let stamp = self.stamp
        heap.removeAll()
        finalized.removeAll(keepingCapacity: true)

        @inline(__always) func scan(_ i: Int, _ base: Double) {
            scans += 1
            rowDistance[i] = base
            let offset = i * capacity
            let fi = fStorage[i]
            for k in 0..<Int(candidateCount[i]) {
                let j = Int(candidateColumn[offset + k])
                if doneStamp[j] == stamp { continue }
                let d = base + (candidateCost[offset + k] - fi - gStorage[j])
                if seenStamp[j] != stamp || d < distance[j] {
                    seenStamp[j] = stamp
                    distance[j] = d
                    predecessor[j] = Int32(i)
                    heap.push(d, Int32(j))
                }
            }
            if boundStorage[i] < .infinity {
                virtualBound[i] = boundStorage[i]
                heap.push(base + (boundStorage[i] - fi), Int32(-1 - i))
            }
        }

        var sink = -1
        var sinkDistance = 0.0
        scan(s, 0)
        while let (d, entry) = heap.pop() {
            if entry < 0 {
                // The row's unlisted columns might lie on a shortest path: refill and rescan it.
                let i = Int(-1 - entry)
                let previousBound = tree != nil ? virtualBound[i] : boundStorage[i]
                refill(i)
                if boundStorage[i] > previousBound {
                    scan(i, rowDistance[i])
                } else if let tree {
                    // Ties at or beyond the list's end: relax every column up to the bound this
                    // entry carried, and push the next larger value as the row's new bound.
                    let base = rowDistance[i], fi = fStorage[i]
                    let next = sourceCoordinates.withUnsafeBufferPointer { xs in
                        tree.atMost(xs[2 * i], xs[2 * i + 1], weights: gStorage, limit: previousBound, into: &tieColumns, stack: &stack)
                    }
                    for (column, c) in tieColumns {
                        let j = Int(column)
                        if doneStamp[j] == stamp { continue }
                        let d = base + (c - fi - gStorage[j])
                        if seenStamp[j] != stamp || d < distance[j] {
                            seenStamp[j] = stamp; distance[j] = d; predecessor[j] = Int32(i); heap.push(d, Int32(j))
                        }
                    }
                    if next < .infinity {
                        virtualBound[i] = next
                        heap.push(base + (next - fi), Int32(-1 - i))
                    }
                } else {
                    // Ties at the list's end: no progress from refilling, so relax the whole row
                    // once (its costs are in the scratch row) and drop its virtual entry.
                    let base = rowDistance[i], fi = fStorage[i], cost = scratch!.cost
                    for j in 0..<n where doneStamp[j] != stamp {
                        let d = base + (cost[j] - fi - gStorage[j])
                        if seenStamp[j] != stamp || d < distance[j] {
                            seenStamp[j] = stamp; distance[j] = d; predecessor[j] = Int32(i); heap.push(d, Int32(j))
                        }
                    }
                }
                continue
            }
            let j = Int(entry)
            if doneStamp[j] == stamp || d > distance[j] { continue }
            doneStamp[j] = stamp
            finalized.append(j)
            let owner = rowOf[j]
            if owner < 0 { sink = j; sinkDistance = d; break }
            scan(owner, d)
        }
        precondition(sink >= 0, "no free column reachable: the full problem always has one")
        for j in finalized where j != sink {
            let delta = sinkDistance - distance[j]
            gStorage[j] -= delta
            fStorage[rowOf[j]] += delta
        }
        fStorage[s] += sinkDistance
        var j = sink
        while true {
            let i = Int(predecessor[j])
            let previous = columnOf[i]
            columnOf[i] = j
            rowOf[j] = i
            fStorage[i] = geometry.cost(i, j) - gStorage[j]
            if i == s { break }
            j = previous
        }
    }

    /// Rows found violating dual feasibility by the final scan (rounding only): refill them, set f
    /// to their exact minimum and free them if their pair is no longer tight.
    func repair(rows: Set<Int>) {
        for i in rows {
            refill(i)
            let base = i * capacity
            let best = min(candidateCount[i] > 0 ? candidateCost[base] - gStorage[Int(candidateColumn[base])] : .infinity, boundStorage[i])
            if best < fStorage[i] {
                fStorage[i] = best
                let j = columnOf[i]
                if j >= 0 { columnOf[i] = -1; rowOf[j] = -1 }
            }
        }
    }
}

/// Per-thread buffers for a full row.
final class RowScratch: @unchecked Sendable {
    let cost: UnsafeMutablePointer<Double>
    let value: UnsafeMutablePointer<Double>
    let selected: UnsafeMutablePointer<Double>
    let selectedIndex: UnsafeMutablePointer<Int32>
    let blockMin: UnsafeMutablePointer<Double>
    let pool: UnsafeMutablePointer<Double>
    let poolIndex: UnsafeMutablePointer<Int32>
    init(_ n: Int) {
        cost = .allocate(capacity: max(n, 1))
        value = .allocate(capacity: max(n, 1))
        selected = .allocate(capacity: max(n, 1) + 1)
        selectedIndex = .allocate(capacity: max(n, 1) + 1)
        blockMin = .allocate(capacity: max(n, 1) / 32 + 1)
        pool = .allocate(capacity: max(n, 1))
        poolIndex = .allocate(capacity: max(n, 1))
    }
    deinit {
        for p in [cost, value, selected, blockMin, pool] { p.deallocate() }
        selectedIndex.deallocate(); poolIndex.deallocate()
    }
}

/// The k smallest of values[0..<m] into `indices` (ascending by value, ties by index) and the
/// (k+1)-th smallest value (+∞ when m ≤ k). A max-heap of k + 1 entries (`work`, `slotIndex`)
/// holds the smallest seen so far; blocks of four values all above its top are skipped with one
/// vector comparison, so a row costs O(m + k log k · log(m/k)).
@inline(__always)
func heapSelect(_ values: UnsafePointer<Double>, _ m: Int, _ k: Int, _ indices: UnsafeMutablePointer<Int32>,
                    _ work: UnsafeMutablePointer<Double>, _ slotIndex: UnsafeMutablePointer<Int32>) -> (Int, Double) {
    let keep = k + 1
    var count = 0
    var worst = Double.infinity
    // Max-heap order on (value, index): larger value (or equal value and larger index) on top.
    @inline(__always) func above(_ a: Int, _ b: Int) -> Bool {
        work[a] > work[b] || (work[a] == work[b] && slotIndex[a] > slotIndex[b])
    }
    @inline(__always) func swap(_ a: Int, _ b: Int) {
        let v = work[a]; work[a] = work[b]; work[b] = v
        let s = slotIndex[a]; slotIndex[a] = slotIndex[b]; slotIndex[b] = s
    }
    @inline(__always) func offer(_ v: Double, _ j: Int) {
        if count < keep {
            var c = count
            work[c] = v; slotIndex[c] = Int32(j)
            count += 1
            while c > 0 {
                let p = (c - 1) >> 1
                if !above(c, p) { break }
                swap(c, p)
                c = p
            }
            if count == keep { worst = work[0] }
            return
        }
        if !(v < worst) { return }
        work[0] = v; slotIndex[0] = Int32(j)
        var p = 0
        while true {
            var c = 2 * p + 1
            if c >= keep { break }
            if c + 1 < keep && above(c + 1, c) { c += 1 }
            if !above(c, p) { break }
            swap(c, p)
            p = c
        }
        worst = work[0]
    }
    var t = 0
    while t + 4 <= m {
        let v = UnsafeRawPointer(values + t).loadUnaligned(as: SIMD4<Double>.self)
        let below = v .< SIMD4<Double>(repeating: worst)
        if below[0] || below[1] || below[2] || below[3] {
            for u in 0..<4 { offer(v[u], t + u) }
        }
        t += 4
    }
    while t < m { offer(values[t], t); t += 1 }
    // Sort the kept entries ascending (by value, then index): insertion sort, count ≤ k + 1.
    for a in 1..<max(count, 1) {
        let v = work[a], s = slotIndex[a]
        var b = a
        while b > 0 && (work[b - 1] > v || (work[b - 1] == v && slotIndex[b - 1] > s)) {
            work[b] = work[b - 1]; slotIndex[b] = slotIndex[b - 1]; b -= 1
        }
        work[b] = v; slotIndex[b] = s
    }
    let chosen = min(count, k)
    for s in 0..<chosen { indices[s] = slotIndex[s] }
    return (chosen, count > k ? work[k] : .infinity)
}


/// Two passes: the (k+1)-th smallest of the minima of blocks of 32 bounds the (k+1)-th smallest
/// value from above; only values at or below it are collected and heap-selected.
@inline(__always)
func selectSmallest(_ values: UnsafePointer<Double>, _ m: Int, _ k: Int, _ indices: UnsafeMutablePointer<Int32>,
                    _ work: UnsafeMutablePointer<Double>, _ slotIndex: UnsafeMutablePointer<Int32>,
                    _ blockMin: UnsafeMutablePointer<Double>, _ pool: UnsafeMutablePointer<Double>,
                    _ poolIndex: UnsafeMutablePointer<Int32>) -> (Int, Double) {
    let blocks = m / 32
    if blocks < k + 1 { return heapSelect(values, m, k, indices, work, slotIndex) }
    for b in 0..<blocks {
        let p = values + 32 * b
        var v0 = UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
        var v1 = UnsafeRawPointer(p + 4).loadUnaligned(as: SIMD4<Double>.self)
        for q in stride(from: 8, to: 32, by: 8) {
            let a = UnsafeRawPointer(p + q).loadUnaligned(as: SIMD4<Double>.self)
            let c = UnsafeRawPointer(p + q + 4).loadUnaligned(as: SIMD4<Double>.self)
            v0 = v0.replacing(with: a, where: a .< v0)
            v1 = v1.replacing(with: c, where: c .< v1)
        }
        v0 = v0.replacing(with: v1, where: v1 .< v0)
        blockMin[b] = min(min(v0[0], v0[1]), min(v0[2], v0[3]))
    }
    // τ = (k+1)-th smallest block minimum.
    let (_, tau) = heapSelect(blockMin, blocks, k, indices, work, slotIndex)
    let t = SIMD4<Double>(repeating: tau)
    var collected = 0
    var s = 0
    while s + 4 <= m {
        let v = UnsafeRawPointer(values + s).loadUnaligned(as: SIMD4<Double>.self)
        let hit = v .<= t
        if hit[0] || hit[1] || hit[2] || hit[3] {
            for u in 0..<4 where v[u] <= tau { pool[collected] = v[u]; poolIndex[collected] = Int32(s + u); collected += 1 }
        }
        s += 4
    }
    while s < m { if values[s] <= tau { pool[collected] = values[s]; poolIndex[collected] = Int32(s); collected += 1 }; s += 1 }
    let (count, next) = heapSelect(pool, collected, k, indices, work, slotIndex)
    for q in 0..<count { indices[q] = poolIndex[Int(indices[q])] }
    return (count, next)
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
