/// The spanning-tree basis of the network simplex on the complete bipartite graph
/// sources → targets (Dantzig; Bonneel et al. 2011 for the solver inside POT's `ot.emd`).
///
/// Nodes 0..<n are sources, n..<n+m targets. Every tree arc joins a node to
/// its parent and is oriented source → target, so it is identified by its child: `flow[u]` is the
/// flow on the arc between u and `parent[u]`. The tree is stored with a preorder `thread`, its
/// reverse and node `depth`s (the "extended threaded index"); a pivot costs O(depth + |S|), S the
/// subtree that is re-hung. Potentials satisfy f_s + g_t = C_st on tree arcs, with f stored at
/// source nodes and g at target nodes (`potential`). Flows are exact integers (`IntegerMasses`).
/// The root is the first source of the initial staircase.
///
/// Strongly feasible trees (every zero-flow arc points away from the root) plus Cunningham's
/// leaving-arc rule (the last blocking arc of the cycle from the apex) prevent cycling.
final class SimplexTree {
    let n: Int
    let m: Int
    let nodeCount: Int
    let root: Int
    let geometry: Geometry
    let parent: UnsafeMutablePointer<Int>
    let thread: UnsafeMutablePointer<Int>
    let revThread: UnsafeMutablePointer<Int>
    let depth: UnsafeMutablePointer<Int>
    let flow: UnsafeMutablePointer<Int64>
    let potential: UnsafeMutablePointer<Double>
    // Scratch for pivots.
    private let order: UnsafeMutablePointer<Int>
    private let orderDepth: UnsafeMutablePointer<Int>
    private let newOrder: UnsafeMutablePointer<Int>
    private let position: UnsafeMutablePointer<Int>
    private let path: UnsafeMutablePointer<Int>
    private let ends: UnsafeMutablePointer<Int>

    /// Builds the north-west-corner basis along the given orders of sources and targets.
    ///
    /// Walking the two orders like a staircase gives n + m − 1 arcs and a feasible plan; on a tie
    /// (both masses used up) the walk advances the target, so every zero-flow arc runs from a
    /// source already in the tree to a new target: away from the root, a strongly feasible tree.
    convenience init(geometry: Geometry, masses: IntegerMasses, sourceOrder: [Int], targetOrder: [Int]) {
        let n = geometry.sourceCount, m = geometry.targetCount
        // The staircase: sources in sourceOrder, targets in targetOrder.
        var ra = masses.a, rb = masses.b
        var arcs: [(Int, Int, Int64)] = []
        arcs.reserveCapacity(n + m - 1)
        var p = 0, q = 0
        while true {
            let i = sourceOrder[p], j = targetOrder[q]
            let w = min(ra[i], rb[j])
            arcs.append((i, j, w))
            ra[i] -= w; rb[j] -= w
            if p == n - 1 && q == m - 1 { break }
            if q == m - 1 || (rb[j] > 0 && p < n - 1) {
                p += 1
            } else {
                q += 1
            }
        }
        self.init(geometry: geometry, spanningArcs: arcs, root: sourceOrder[0])
    }

    /// The basis whose tree arcs are `arcs` (source, target, integer flow): n + m − 1 arcs that
    /// span all nodes, a feasible flow, and every zero-flow arc's source reached from `root` (a
    /// source) before its target, so that the tree is strongly feasible.
    init(geometry: Geometry, spanningArcs arcs: [(Int, Int, Int64)], root: Int) {
        n = geometry.sourceCount
        m = geometry.targetCount
        nodeCount = n + m
        self.root = root
        self.geometry = geometry
        let count = nodeCount
        precondition(arcs.count == count - 1, "a spanning tree of \(count) nodes needs \(count - 1) arcs, got \(arcs.count)")
        parent = .allocate(capacity: count)
        thread = .allocate(capacity: count)
        revThread = .allocate(capacity: count)
        depth = .allocate(capacity: count)
        flow = .allocate(capacity: count)
        potential = .allocate(capacity: count)
        order = .allocate(capacity: count)
        orderDepth = .allocate(capacity: count)
        newOrder = .allocate(capacity: count)
        position = .allocate(capacity: count)
        path = .allocate(capacity: count)
        ends = .allocate(capacity: count)

        // A DFS from the root gives parents, depths and the preorder.
        var adjacency = [[(Int, Int64)]](repeating: [], count: count)
        for (i, j, w) in arcs {
            adjacency[i].append((n + j, w))
            adjacency[n + j].append((i, w))
        }
        var stack = [root]
        var visited = [Bool](repeating: false, count: count)
        visited[root] = true
        parent[root] = -1; depth[root] = 0; flow[root] = 0; potential[root] = 0
        var previous = root
        var first = true
        while let u = stack.popLast() {
            if !first { thread[previous] = u; revThread[u] = previous }
            first = false
            previous = u
            for (v, w) in adjacency[u] where !visited[v] {
                visited[v] = true
                parent[v] = u
                depth[v] = depth[u] + 1
                flow[v] = w
                stack.append(v)
            }
        }
        thread[previous] = root; revThread[root] = previous
        precondition(visited.allSatisfy { $0 }, "the arcs do not span all \(count) nodes")
        recomputePotentials()
    }

    /// A strongly feasible basis containing the support of a feasible integer plan `arcs`
    /// (source, target, positive flow), or nil when the support has a cycle, a node without an
    /// arc (zero mass), or the plan misses the masses.
    ///
    /// The support is a forest; its components are joined by zero-flow arcs from the root (the
    /// first arc's source) to one target of each other component, which the DFS from the root
    /// orients away from it.
    static func spanning(geometry: Geometry, masses: IntegerMasses, plan arcs: [(Int, Int, Int64)]) -> SimplexTree? {
        let n = geometry.sourceCount, m = geometry.targetCount
        guard let first = arcs.first else { return nil }
        var component = Array(0..<(n + m))
        func find(_ u: Int) -> Int {
            var u = u
            while component[u] != u { component[u] = component[component[u]]; u = component[u] }
            return u
        }
        var ra = masses.a, rb = masses.b
        for (i, j, w) in arcs {
            guard w > 0 else { return nil }
            ra[i] -= w; rb[j] -= w
            let u = find(i), v = find(n + j)
            if u == v { return nil }
            component[u] = v
        }
        guard ra.allSatisfy({ $0 == 0 }), rb.allSatisfy({ $0 == 0 }) else { return nil }
        var joined = [Bool](repeating: false, count: n + m), hasArc = [Bool](repeating: false, count: n + m)
        for (i, j, _) in arcs { hasArc[i] = true; hasArc[n + j] = true }
        guard hasArc.allSatisfy({ $0 }) else { return nil }
        var tree = arcs
        let root = first.0
        let rootComponent = find(root)
        for j in 0..<m {
            let c = find(n + j)
            if c != rootComponent && !joined[c] {
                joined[c] = true
                tree.append((root, j, 0))
            }
        }
        guard tree.count == n + m - 1 else { return nil }
        return SimplexTree(geometry: geometry, spanningArcs: tree, root: root)
    }

    deinit {
        for pointer in [parent, thread, revThread, depth, order, orderDepth, newOrder, position, path, ends] {
            pointer.deallocate()
        }
        flow.deallocate()
        potential.deallocate()
    }

    /// The cost of the tree arc between `u` and its parent.
    @inline(__always)
    func arcCost(_ u: Int) -> Double {
        let p = parent[u]
        return u < n ? geometry.cost(u, p - n) : geometry.cost(p, u - n)
    }

    /// Potentials from scratch along the thread (removes drift from incremental updates).
    func recomputePotentials() {
        potential[root] = 0
        var u = thread[root]
        while u != root {
            potential[u] = arcCost(u) - potential[parent[u]]
            u = thread[u]
        }
    }

    /// Brings arc (i → j) with reduced cost r = C_ij − f_i − g_j < 0 into the basis.
    func pivot(source i: Int, target j: Int, reducedCost r: Double) {
        let vi = i, vj = n + j
        // Apex of the cycle.
        var u = vi, v = vj
        while depth[u] > depth[v] { u = parent[u] }
        while depth[v] > depth[u] { v = parent[v] }
        while u != v { u = parent[u]; v = parent[v] }
        let join = u

        // Leaving arc: flow is pushed along i → j, so it decreases on arcs leaving the apex side
        // towards i that point up (source children) and on arcs from j upwards that point down
        // (target children). Ties go to the last blocking arc from the apex in cycle order.
        var delta = Int64.max
        var leave = -1
        var leaveOnSourceSide = true
        u = vi
        while u != join {
            if u < n && flow[u] < delta { delta = flow[u]; leave = u; leaveOnSourceSide = true }
            u = parent[u]
        }
        u = vj
        while u != join {
            if u >= n && flow[u] <= delta { delta = flow[u]; leave = u; leaveOnSourceSide = false }
            u = parent[u]
        }
        if delta > 0 {
            u = vi
            while u != join { flow[u] += u < n ? -delta : delta; u = parent[u] }
            u = vj
            while u != join { flow[u] += u >= n ? -delta : delta; u = parent[u] }
        }

        // Re-hang S = subtree(leave) from the entering arc.
        let uIn = leaveOnSourceSide ? vi : vj
        let vIn = leaveOnSourceSide ? vj : vi
        let q = leave
        var k = 0
        path[0] = uIn
        var w = uIn
        while w != q { w = parent[w]; k += 1; path[k] = w }

        // S in old preorder.
        let dq = depth[q]
        var count = 0
        w = q
        repeat {
            order[count] = w; orderDepth[count] = depth[w]; position[w] = count
            count += 1
            w = thread[w]
        } while depth[w] > dq
        let next = w
        let prev = revThread[q]

        // Segment ends: subtree(p_t) occupies order[position(p_t) ..< ends[t]], nested in t.
        var index = position[path[0]] + 1
        for t in 0...k {
            let limit = depth[path[t]]
            while index < count && orderDepth[index] > limit { index += 1 }
            ends[t] = index
        }
        // New preorder rooted at uIn: subtree(p_0), then for t ≥ 1 the rest of subtree(p_t).
        let sameSide = uIn >= n
        let base = depth[vIn] + 1 - depth[path[0]]
        var written = 0
        func emit(_ from: Int, _ to: Int, _ shift: Int) {
            var s = from
            while s < to {
                let node = order[s]
                newOrder[written] = node
                depth[node] = orderDepth[s] + shift
                potential[node] += ((node >= n) == sameSide) ? r : -r
                written += 1
                s += 1
            }
        }
        emit(position[path[0]], ends[0], base)
        for t in 1..<(k + 1) {
            let shift = base + 2 * t
            emit(position[path[t]], position[path[t - 1]], shift)
            emit(ends[t - 1], ends[t], shift)
        }

        // Thread: cut S out, then insert it right after vIn.
        thread[prev] = next; revThread[next] = prev
        let after = thread[vIn]
        var last = vIn
        for s in 0..<count {
            let node = newOrder[s]
            thread[last] = node; revThread[node] = last
            last = node
        }
        thread[last] = after; revThread[after] = last

        // Reverse the path p_0 … p_k; the leaving arc (pred of p_k) disappears.
        var carry = flow[path[0]]
        for t in 0..<k {
            let node = path[t + 1]
            let nextCarry = flow[node]
            flow[node] = carry
            carry = nextCarry
            parent[node] = path[t]
        }
        parent[uIn] = vIn
        flow[uIn] = delta
    }

    /// The current plan: tree arcs with positive flow, as (source, target, integer flow).
    func positiveArcs() -> [(Int, Int, Int64)] {
        var out: [(Int, Int, Int64)] = []
        out.reserveCapacity(nodeCount)
        for u in 0..<nodeCount where u != root && flow[u] > 0 {
            let p = parent[u]
            out.append(u < n ? (u, p - n, flow[u]) : (p, u - n, flow[u]))
        }
        return out
    }

    var sourcePotentials: [Double] { Array(UnsafeBufferPointer(start: potential, count: n)) }
    var targetPotentials: [Double] { Array(UnsafeBufferPointer(start: potential + n, count: m)) }
}
