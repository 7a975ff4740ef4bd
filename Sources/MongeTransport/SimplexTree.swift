/// The spanning-tree basis of the network simplex on the complete bipartite graph
/// sources → targets (Dantzig; Bonneel et al. 2011 for the solver inside POT's `ot.emd`).
///
/// Nodes 0..<n are sources, n..<n+m targets. Every tree arc joins a node to
/// its parent and is oriented source → target, so it is identified by its child: `flow[u]` is the
/// flow on the arc between u and `parent[u]`. The tree is stored with a preorder `thread`, its
/// reverse, subtree sizes `succNum` and each subtree's last node in preorder `lastSucc` (the
/// augmented threaded index of LEMON's network simplex, Kovács 2015). A pivot then costs
/// O(cycle + min(|S|, N − |S|)), S the subtree that is re-hung: the apex is found by climbing from
/// the smaller subtree, the thread is re-linked segment by segment along the reversed stem, and
/// the potentials of S move by ±r — or, when S is the larger side, those of its complement by ∓r,
/// which changes every f_i + g_j by nothing. Potentials satisfy f_s + g_t = C_st on tree arcs, with
/// f stored at source nodes and g at target nodes (`potential`). Flows are exact integers
/// (`IntegerMasses`). The root is the first source of the initial staircase.
///
/// Strongly feasible trees (every zero-flow arc points away from the root) plus Cunningham's
/// leaving-arc rule for them (the first blocking arc of the cycle from the apex, walked in the
/// entering arc's direction) prevent cycling; `brokenInvariant` audits both.
final class SimplexTree {
    let n: Int
    let m: Int
    let nodeCount: Int
    let root: Int
    let geometry: Geometry
    let parent: UnsafeMutablePointer<Int>
    let thread: UnsafeMutablePointer<Int>
    let revThread: UnsafeMutablePointer<Int>
    /// The number of nodes in each node's subtree, itself included.
    let succNum: UnsafeMutablePointer<Int>
    /// The last node of each node's subtree in the preorder `thread`.
    let lastSucc: UnsafeMutablePointer<Int>
    let flow: UnsafeMutablePointer<Int64>
    let potential: UnsafeMutablePointer<Double>
    // Scratch for pivots: the stem p_0 … p_k and, per stem node, old thread neighbours.
    private let path: UnsafeMutablePointer<Int>
    private let pathLast: UnsafeMutablePointer<Int>
    private let pathBefore: UnsafeMutablePointer<Int>
    private let pathAfterLast: UnsafeMutablePointer<Int>
    private let pathSize: UnsafeMutablePointer<Int>

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
        succNum = .allocate(capacity: count)
        lastSucc = .allocate(capacity: count)
        flow = .allocate(capacity: count)
        potential = .allocate(capacity: count)
        path = .allocate(capacity: count)
        pathLast = .allocate(capacity: count)
        pathBefore = .allocate(capacity: count)
        pathAfterLast = .allocate(capacity: count)
        pathSize = .allocate(capacity: count)

        // A DFS from the root gives parents and the preorder; subtree sizes and last nodes follow
        // from the preorder read backwards (a subtree is the contiguous run of its size).
        var adjacency = [[(Int, Int64)]](repeating: [], count: count)
        for (i, j, w) in arcs {
            adjacency[i].append((n + j, w))
            adjacency[n + j].append((i, w))
        }
        var stack = [root]
        var visited = [Bool](repeating: false, count: count)
        visited[root] = true
        parent[root] = -1; flow[root] = 0; potential[root] = 0
        var preorder: [Int] = []
        preorder.reserveCapacity(count)
        while let u = stack.popLast() {
            preorder.append(u)
            for (v, w) in adjacency[u] where !visited[v] {
                visited[v] = true
                parent[v] = u
                flow[v] = w
                stack.append(v)
            }
        }
        precondition(visited.allSatisfy { $0 }, "the arcs do not span all \(count) nodes")
        for (k, u) in preorder.enumerated() {
            let v = preorder[(k + 1) % count]
            thread[u] = v; revThread[v] = u
            succNum[u] = 1
        }
        for u in preorder.reversed() where parent[u] >= 0 { succNum[parent[u]] += succNum[u] }
        for (k, u) in preorder.enumerated() { lastSucc[u] = preorder[k + succNum[u] - 1] }
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
        for pointer in [parent, thread, revThread, succNum, lastSucc, path, pathLast, pathBefore, pathAfterLast, pathSize] {
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
        // Apex of the cycle: an ancestor has a larger subtree, so the side with the smaller one
        // is never above the other and can climb.
        var u = vi, v = vj
        while u != v {
            if succNum[u] < succNum[v] { u = parent[u] } else { v = parent[v] }
        }
        let join = u

        // Leaving arc: flow is pushed along i → j, so it decreases on arcs leaving the apex side
        // towards i that point up (source children) and on arcs from j upwards that point down
        // (target children). Ties go to the first blocking arc met when the cycle is walked from
        // the apex in the direction of i → j (apex … i, j … apex): on i's side the one nearest
        // the apex, else on j's side the one nearest j. That is Cunningham's rule for trees whose
        // zero-flow arcs point away from the root (flow can be sent from the root to every node),
        // and it keeps them so: no degenerate pivot sequence repeats a basis.
        var delta = Int64.max
        var leave = -1
        var leaveOnSourceSide = true
        u = vi
        while u != join {
            if u < n && flow[u] <= delta { delta = flow[u]; leave = u; leaveOnSourceSide = true }
            u = parent[u]
        }
        u = vj
        while u != join {
            if u >= n && flow[u] < delta { delta = flow[u]; leave = u; leaveOnSourceSide = false }
            u = parent[u]
        }
        if delta > 0 {
            u = vi
            while u != join { flow[u] += u < n ? -delta : delta; u = parent[u] }
            u = vj
            while u != join { flow[u] += u >= n ? -delta : delta; u = parent[u] }
        }
        rehang(subtreeOf: leave, from: leaveOnSourceSide ? vi : vj, under: leaveOnSourceSide ? vj : vi,
               join: join, delta: delta, reducedCost: r)
    }

    /// Re-hangs S = subtree(q) from the entering arc (uIn in S, vIn outside): the stem
    /// p_0 = uIn, …, p_k = q is reversed, S is cut out of the thread and inserted right after vIn,
    /// and the arc from q to its old parent leaves the basis.
    ///
    /// S's new preorder is subtree(p_0), then for t = 1 … k: p_t and the rest of its old subtree
    /// (the segment before subtree(p_{t−1}), then the one after it). These are at most 2k + 1
    /// runs of the old thread, so the thread is re-linked at their ends only. Every stem node's
    /// new subtree ends where S's new preorder ends; its size is |S| − |old subtree(p_{t−1})|.
    private func rehang(subtreeOf q: Int, from uIn: Int, under vIn: Int, join: Int, delta: Int64, reducedCost r: Double) {
        let size = succNum[q]
        let vOut = parent[q]
        // The stem, with each node's old last successor, thread predecessor and subtree size.
        var k = 0
        path[0] = uIn
        var w = uIn
        while w != q { w = parent[w]; k += 1; path[k] = w }
        for t in 0...k {
            let p = path[t]
            pathLast[t] = lastSucc[p]
            pathBefore[t] = revThread[p]
            pathAfterLast[t] = thread[lastSucc[p]]
            pathSize[t] = succNum[p]
        }
        let prev = pathBefore[k], next = pathAfterLast[k]

        // Cut S out of the thread.
        thread[prev] = next; revThread[next] = prev
        // Link S's runs in their new order, starting right after vIn.
        let after = thread[vIn]
        var last = vIn
        func link(_ first: Int, _ end: Int) {
            thread[last] = first; revThread[first] = last
            last = end
        }
        link(path[0], pathLast[0])
        for t in stride(from: 1, through: k, by: 1) {
            link(path[t], pathBefore[t - 1])
            if pathLast[t - 1] != pathLast[t] { link(pathAfterLast[t - 1], pathLast[t]) }
        }
        thread[last] = after; revThread[after] = last
        let lastOfS = last

        // Subtree sizes and last nodes on the stem (inside S).
        for t in stride(from: k, through: 1, by: -1) {
            succNum[path[t]] = size - pathSize[t - 1]
            lastSucc[path[t]] = lastOfS
        }
        succNum[uIn] = size
        lastSucc[uIn] = lastOfS
        // Outside S: the ancestors of vOut that ended with S now end before it, then those of vIn
        // that ended at vIn (possibly just set so) end with S. Sizes change below the apex only.
        let oldLast = pathLast[k]
        w = vOut
        while w >= 0 && lastSucc[w] == oldLast { lastSucc[w] = prev; w = parent[w] }
        w = vIn
        while w >= 0 && lastSucc[w] == vIn { lastSucc[w] = lastOfS; w = parent[w] }
        w = vOut
        while w != join { succNum[w] -= size; w = parent[w] }
        w = vIn
        while w != join { succNum[w] += size; w = parent[w] }

        // Reverse the stem p_0 … p_k; the leaving arc (pred of p_k) disappears.
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

        // Potentials: S moves by ±r (its sources by +r when uIn is a source, …), or equivalently
        // the rest of the tree by ∓r when it is the smaller side.
        let sameSide = uIn >= n
        if 2 * size <= nodeCount {
            w = uIn
            while true {
                potential[w] += ((w >= n) == sameSide) ? r : -r
                if w == lastOfS { break }
                w = thread[w]
            }
        } else {
            w = thread[lastOfS]
            while w != uIn {
                potential[w] -= ((w >= n) == sameSide) ? r : -r
                w = thread[w]
            }
        }
    }

    /// The first broken invariant of the basis, or nil: the thread is one cycle through every
    /// node and a preorder of the parent pointers, `succNum` and `lastSucc` describe each
    /// subtree's run of it, every tree arc joins a source and a target, every zero-flow arc points
    /// away from the root (strong feasibility), flows are non-negative, and f_s + g_t = C_st on
    /// tree arcs to `tolerance` (relative to the largest tree-arc cost). O(N); an audit, not for
    /// production pivots.
    func brokenInvariant(tolerance: Double = 1e-9) -> String? {
        var position = [Int](repeating: -1, count: nodeCount)
        var preorder: [Int] = []
        preorder.reserveCapacity(nodeCount)
        var u = root
        repeat {
            guard position[u] < 0 else { return "the thread revisits node \(u) before returning to the root" }
            guard revThread[thread[u]] == u else { return "revThread[thread[\(u)]] is \(revThread[thread[u]])" }
            position[u] = preorder.count
            preorder.append(u)
            u = thread[u]
        } while u != root
        guard preorder.count == nodeCount else { return "the thread visits \(preorder.count) of \(nodeCount) nodes" }
        guard parent[root] < 0 else { return "the root \(root) has parent \(parent[root])" }
        var size = [Int](repeating: 1, count: nodeCount)
        for v in preorder.reversed() where v != root {
            let p = parent[v]
            guard p >= 0, p < nodeCount, position[p] < position[v] else { return "node \(v) comes before its parent \(p) in the thread" }
            guard (v < n) != (p < n) else { return "the tree arc \(p)–\(v) joins two \(v < n ? "sources" : "targets")" }
            guard flow[v] >= 0 else { return "negative flow \(flow[v]) on the arc above \(v)" }
            guard flow[v] > 0 || v >= n else { return "the zero-flow arc above source \(v) points towards the root" }
            size[p] += size[v]
        }
        var largest = 0.0
        for v in preorder where v != root { largest = max(largest, abs(arcCost(v))) }
        for (k, v) in preorder.enumerated() {
            guard succNum[v] == size[v] else { return "succNum[\(v)] is \(succNum[v]), its subtree has \(size[v]) nodes" }
            guard lastSucc[v] == preorder[k + size[v] - 1] else { return "lastSucc[\(v)] is \(lastSucc[v]), not \(preorder[k + size[v] - 1])" }
            if v != root {
                let gap = arcCost(v) - potential[v] - potential[parent[v]]
                guard abs(gap) <= tolerance * max(largest, 1) else { return "f + g misses C by \(gap) on the arc above \(v)" }
            }
        }
        return nil
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
