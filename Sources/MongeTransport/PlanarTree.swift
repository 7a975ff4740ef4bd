import MongeCore

/// A k-d tree over 2-D points that answers power-distance queries under the squared Euclidean
/// cost exactly: the smallest C(q, p) − w_p, the largest w_p + h − C(q, p), the largest C(q, p).
///
/// Each node keeps its bounding box and (after `setWeights`) the largest weight below it. A
/// node is skipped only when a bound proves that none of its points can matter, and the bounds are
/// rounding-safe: the box's nearest (farthest) corner cost is shrunk (grown) by 2e-15 relative,
/// more than the rounding of any evaluation of (q₀ − p₀)² + (q₁ − p₁)², and + and − are monotone
/// in floating point. Candidates are evaluated with the same expression as `Geometry.costRow`
/// (`a * a + b * b` with a = q₀ − p₀; the sign of a does not change a·a), so every query returns
/// bit for bit what a scan of all points would. Weights may decrease after `setWeights`: the
/// stored maxima then still bound them (only looser).
final class PlanarTree: @unchecked Sendable {
    /// Points per leaf (at most).
    static let leafSize = 8
    let count: Int
    /// Coordinates in tree order.
    private let px: UnsafeMutablePointer<Double>
    private let py: UnsafeMutablePointer<Double>
    /// Original index of the point at each tree position.
    let index: UnsafeMutablePointer<Int32>
    private var nodes: UnsafeMutablePointer<Node>
    private(set) var nodeCount = 0
    /// Largest weight of each node's points (as of `setWeights`).
    private let maxWeight: UnsafeMutablePointer<Double>
    /// Per node an affine lower bound of h_p = ‖p‖² − w_p: h_p ≥ α + β₀p₀ + β₁p₁ on its points
    /// (exactly, for the weights of `setWeights` or smaller), so that
    /// C(q, p) − w_p = ‖q‖² − 2⟨q, p⟩ + h_p ≥ ‖q‖² + α + min over the box of ⟨β − 2q, p⟩.
    /// Unlike the box bound (nearest corner − largest weight) it stays tight when the weights vary
    /// across a node as much as optimal potentials do (linearly, with the transport's displacement).
    private let alpha: UnsafeMutablePointer<Double>
    private let beta0: UnsafeMutablePointer<Double>
    private let beta1: UnsafeMutablePointer<Double>
    /// Bounds every |α|, |β|·|p|, ‖p‖² and |w| that enters an affine bound (for its rounding margin).
    private var magnitude = 0.0
    /// max |p₀| + |p₁| over the points.
    private var reach = 0.0
    /// Whether the affine bounds may be used (all weights finite).
    private var affine = false

    struct Node {
        var lo0: Double, hi0: Double, lo1: Double, hi1: Double
        var start: Int32, end: Int32
        /// Left child (the right one follows it); −1 for a leaf.
        var left: Int32
    }

    /// Builds the tree over the rows of `points` [n, 2] by median splits of the wider side.
    init(_ points: Matrix<Double>) {
        precondition(points.columns == 2 && points.rows > 0 && points.rows < Int(Int32.max), "PlanarTree needs [n, 2] points")
        let n = points.rows
        count = n
        px = .allocate(capacity: n)
        py = .allocate(capacity: n)
        index = .allocate(capacity: n)
        let capacity = 4 * (n / PlanarTree.leafSize + 1)
        nodes = .allocate(capacity: capacity)
        maxWeight = .allocate(capacity: capacity)
        alpha = .allocate(capacity: capacity)
        beta0 = .allocate(capacity: capacity)
        beta1 = .allocate(capacity: capacity)
        var order = Array(0..<n)
        let s = points.storage
        // Breadth-first: children are allocated in pairs after their parent.
        var pending: [(node: Int, range: Range<Int>)] = [(0, 0..<n)]
        nodeCount = 1
        var head = 0
        while head < pending.count {
            let (node, range) = pending[head]
            head += 1
            var lo0 = Double.infinity, hi0 = -Double.infinity, lo1 = Double.infinity, hi1 = -Double.infinity
            for t in range {
                let p = order[t]
                lo0 = min(lo0, s[2 * p]); hi0 = max(hi0, s[2 * p])
                lo1 = min(lo1, s[2 * p + 1]); hi1 = max(hi1, s[2 * p + 1])
            }
            var left: Int32 = -1
            if range.count > PlanarTree.leafSize {
                let axis = hi0 - lo0 >= hi1 - lo1 ? 0 : 1
                let middle = range.lowerBound + range.count / 2
                BalancedClusters.select(&order, range, middle) { s[2 * $0 + axis] }
                left = Int32(nodeCount)
                pending.append((nodeCount, range.lowerBound..<middle))
                pending.append((nodeCount + 1, middle..<range.upperBound))
                nodeCount += 2
            }
            nodes[node] = Node(lo0: lo0, hi0: hi0, lo1: lo1, hi1: hi1, start: Int32(range.lowerBound),
                               end: Int32(range.upperBound), left: left)
        }
        precondition(nodeCount <= capacity)
        for t in 0..<n {
            let p = order[t]
            px[t] = s[2 * p]; py[t] = s[2 * p + 1]; index[t] = Int32(p)
            reach = max(reach, abs(px[t]) + abs(py[t]))
        }
        maxWeight.initialize(repeating: .infinity, count: nodeCount)
    }

    deinit {
        px.deallocate(); py.deallocate(); index.deallocate(); nodes.deallocate(); maxWeight.deallocate()
        alpha.deallocate(); beta0.deallocate(); beta1.deallocate()
    }

    /// Stores each node's largest weight (`weights` by original index). Children follow their
    /// parent, so one backward pass suffices. A NaN weight makes its nodes' maxima NaN, which no
    /// comparison prunes.
    func setWeights(_ weights: UnsafePointer<Double>) {
        for b in stride(from: nodeCount - 1, through: 0, by: -1) {
            let node = nodes[b]
            if node.left < 0 {
                var m = -Double.infinity
                for t in Int(node.start)..<Int(node.end) {
                    let w = weights[Int(index[t])]
                    if w.isNaN { m = .nan; break }
                    m = max(m, w)
                }
                maxWeight[b] = m
            } else {
                let l = maxWeight[Int(node.left)], r = maxWeight[Int(node.left) + 1]
                maxWeight[b] = l.isNaN || r.isNaN ? .nan : max(l, r)
            }
        }
        setAffineBounds(weights)
    }

    /// Fits β per node by least squares of h_p on p (moments summed bottom-up), then α: the
    /// minimum of h_p − ⟨β, p⟩ over a leaf's points, or over the children's bounds
    /// (α_c + min over the child's box of ⟨β_c − β, p⟩) for an inner node. Rounding in α is
    /// covered by the margin of `affineLower`, which scales with `magnitude`.
    private func setAffineBounds(_ weights: UnsafePointer<Double>) {
        affine = maxWeight[0].isFinite
        guard affine else { return }
        // Moments: count, Σp₀, Σp₁, Σp₀², Σp₀p₁, Σp₁², Σh, Σhp₀, Σhp₁.
        var moments = [Double](repeating: 0, count: 9 * nodeCount)
        var largest = 0.0
        for b in stride(from: nodeCount - 1, through: 0, by: -1) {
            let node = nodes[b]
            let o = 9 * b
            if node.left < 0 {
                for t in Int(node.start)..<Int(node.end) {
                    let x0 = px[t], x1 = py[t]
                    let w = weights[Int(index[t])]
                    let h = (x0 * x0 + x1 * x1) - w
                    largest = max(largest, x0 * x0 + x1 * x1 + abs(w) + abs(h))
                    moments[o] += 1; moments[o + 1] += x0; moments[o + 2] += x1
                    moments[o + 3] += x0 * x0; moments[o + 4] += x0 * x1; moments[o + 5] += x1 * x1
                    moments[o + 6] += h; moments[o + 7] += h * x0; moments[o + 8] += h * x1
                }
            } else {
                let l = 9 * Int(node.left), r = l + 9
                for k in 0..<9 { moments[o + k] = moments[l + k] + moments[r + k] }
            }
            // Centred normal equations for h ≈ c + β·p.
            let n = moments[o]
            let m0 = moments[o + 1] / n, m1 = moments[o + 2] / n, mh = moments[o + 6] / n
            let s00 = moments[o + 3] / n - m0 * m0, s01 = moments[o + 4] / n - m0 * m1, s11 = moments[o + 5] / n - m1 * m1
            let s0h = moments[o + 7] / n - m0 * mh, s1h = moments[o + 8] / n - m1 * mh
            let det = s00 * s11 - s01 * s01
            var b0 = 0.0, b1 = 0.0
            if det > 1e-12 * (s00 * s11) && det > 0 {
                b0 = (s11 * s0h - s01 * s1h) / det
                b1 = (s00 * s1h - s01 * s0h) / det
            }
            if !(b0.isFinite && b1.isFinite) { b0 = 0; b1 = 0 }
            beta0[b] = b0; beta1[b] = b1
            var a = Double.infinity
            if node.left < 0 {
                for t in Int(node.start)..<Int(node.end) {
                    let x0 = px[t], x1 = py[t]
                    let h = (x0 * x0 + x1 * x1) - weights[Int(index[t])]
                    a = min(a, h - b0 * x0 - b1 * x1)
                }
            } else {
                for c in [Int(node.left), Int(node.left) + 1] {
                    let child = nodes[c]
                    let d0 = beta0[c] - b0, d1 = beta1[c] - b1
                    let e0 = d0 >= 0 ? d0 * child.lo0 : d0 * child.hi0
                    let e1 = d1 >= 0 ? d1 * child.lo1 : d1 * child.hi1
                    a = min(a, alpha[c] + e0 + e1)
                }
            }
            alpha[b] = a
            largest = max(largest, abs(a) + (abs(b0) + abs(b1)) * reach)
        }
        magnitude = largest
        affine = magnitude.isFinite
    }

    /// The rounding margin of `affineLower` for a query: a generous multiple (≈ 450 ulps) of every
    /// magnitude in the bound and in the evaluated costs.
    @inline(__always)
    private func affineMargin(_ q0: Double, _ q1: Double) -> Double {
        let r = abs(q0) + abs(q1)
        return 1e-13 * (r * r + 2 * r * reach + reach * reach + 4 * magnitude) + 4 * Double.leastNormalMagnitude
    }

    /// A lower bound on fl(C(q, p) − w_p) over node b from its affine bound (−∞ when unavailable).
    @inline(__always)
    private func affineLower(_ b: Int, _ q0: Double, _ q1: Double, margin: Double) -> Double {
        guard affine else { return -.infinity }
        let node = nodes[b]
        let c0 = beta0[b] - 2 * q0, c1 = beta1[b] - 2 * q1
        let e0 = c0 >= 0 ? c0 * node.lo0 : c0 * node.hi0
        let e1 = c1 >= 0 ? c1 * node.lo1 : c1 * node.hi1
        return (q0 * q0 + q1 * q1) + alpha[b] + e0 + e1 - margin
    }

    /// A lower bound on fl(C(q, p) − w_p) over the points of node b: the better of the box and
    /// affine bounds. NaN (never pruned) when a weight is NaN.
    @inline(__always)
    private func powerLower(_ b: Int, _ q0: Double, _ q1: Double, margin: Double) -> Double {
        let box = lowerCost(b, q0, q1) - maxWeight[b]
        let plane = affineLower(b, q0, q1, margin: margin)
        return plane > box ? plane : box
    }

    /// The cost between a query and the point at tree position t, as `Geometry.costRow` computes it.
    @inline(__always)
    func cost(_ q0: Double, _ q1: Double, _ t: Int) -> Double {
        let a = q0 - px[t], b = q1 - py[t]
        return a * a + b * b
    }

    /// A lower bound on the computed cost from the query to every point of node b.
    @inline(__always)
    private func lowerCost(_ b: Int, _ q0: Double, _ q1: Double) -> Double {
        let node = nodes[b]
        let a = q0 < node.lo0 ? node.lo0 - q0 : (q0 > node.hi0 ? q0 - node.hi0 : 0)
        let c = q1 < node.lo1 ? node.lo1 - q1 : (q1 > node.hi1 ? q1 - node.hi1 : 0)
        // Relative slack for rounding; the absolute term covers subnormal results.
        return max(0, (a * a + c * c) * (1 - 2e-15) - 4 * Double.leastNormalMagnitude)
    }

    /// An upper bound on the computed cost from the query to every point of node b.
    @inline(__always)
    private func upperCost(_ b: Int, _ q0: Double, _ q1: Double) -> Double {
        let node = nodes[b]
        let a = max(abs(q0 - node.lo0), abs(q0 - node.hi0)), c = max(abs(q1 - node.lo1), abs(q1 - node.hi1))
        return (a * a + c * c) * (1 + 2e-15) + 4 * Double.leastNormalMagnitude
    }

    // MARK: Queries

    /// max over points p of fl(fl(w_p + h) − C(q, p)), raising `best` to it if larger; nodes whose
    /// bound is ≤ `best` are skipped (so the result is exact whenever it exceeds the starting `best`).
    func largestExcess(_ q0: Double, _ q1: Double, offset h: Double, weights: UnsafePointer<Double>,
                       best: inout Double, stack: inout [Int32]) {
        let margin = affineMargin(q0, q1), excessMargin = 1e-13 * (abs(h) + magnitude)
        stack.removeAll(keepingCapacity: true)
        stack.append(0)
        while let top = stack.popLast() {
            let b = Int(top)
            if !((maxWeight[b] + h) - lowerCost(b, q0, q1) > best) && !maxWeight[b].isNaN { continue }
            // fl(fl(w + h) − C) ≤ h − (C − w) + rounding: the affine bound on C − w prunes too.
            if (h - affineLower(b, q0, q1, margin: margin)) + excessMargin <= best { continue }
            let node = nodes[b]
            if node.left < 0 {
                for t in Int(node.start)..<Int(node.end) {
                    let v = (weights[Int(index[t])] + h) - cost(q0, q1, t)
                    if v > best { best = v }
                }
                continue
            }
            let l = Int(node.left)
            // Visit the nearer child first (pushed last).
            if lowerCost(l, q0, q1) <= lowerCost(l + 1, q0, q1) {
                stack.append(Int32(l + 1)); stack.append(Int32(l))
            } else {
                stack.append(Int32(l)); stack.append(Int32(l + 1))
            }
        }
    }

    /// max over points of the computed C(q, p), raising `best` to it if larger.
    func farthest(_ q0: Double, _ q1: Double, best: inout Double, stack: inout [Int32]) {
        stack.removeAll(keepingCapacity: true)
        stack.append(0)
        while let top = stack.popLast() {
            let b = Int(top)
            if !(upperCost(b, q0, q1) > best) { continue }
            let node = nodes[b]
            if node.left < 0 {
                for t in Int(node.start)..<Int(node.end) { best = max(best, cost(q0, q1, t)) }
                continue
            }
            let l = Int(node.left)
            if upperCost(l, q0, q1) >= upperCost(l + 1, q0, q1) {
                stack.append(Int32(l + 1)); stack.append(Int32(l))
            } else {
                stack.append(Int32(l)); stack.append(Int32(l + 1))
            }
        }
    }

    /// The k smallest values fl(C(q, p) − w_p) among those below `threshold`, ascending (ties by
    /// the smaller original index), into `selector`; `selector.next` is the (k+1)-th smallest value
    /// (+∞ if none) when `threshold` is +∞. The same selection as a scan of all points.
    func smallest(_ q0: Double, _ q1: Double, weights: UnsafePointer<Double>, threshold: Double = .infinity,
                  into selector: inout PowerSelector, stack _: inout [Int32]) {
        selector.reset()
        let margin = affineMargin(q0, q1)
        let stackNode = selector.stackNode, stackBound = selector.stackBound
        var top = 0
        stackNode[0] = 0
        stackBound[0] = powerLower(0, q0, q1, margin: margin)
        top = 1
        while top > 0 {
            top -= 1
            let b = Int(stackNode[top]), bound = stackBound[top]
            // Skip when nothing in the node can be below the threshold or enter the selection
            // (a tie with the worst kept value could still win on its index). A NaN bound is kept.
            if bound >= threshold || bound > selector.worst { continue }
            let node = nodes[b]
            if node.left < 0 {
                for t in Int(node.start)..<Int(node.end) {
                    let c = cost(q0, q1, t)
                    let p = index[t]
                    let v = c - weights[Int(p)]
                    if v < threshold { selector.offer(v, p, c) }
                }
                continue
            }
            let l = Int(node.left)
            let bl = powerLower(l, q0, q1, margin: margin), br = powerLower(l + 1, q0, q1, margin: margin)
            // The more promising child is popped first.
            if bl <= br {
                stackNode[top] = Int32(l + 1); stackBound[top] = br
                stackNode[top + 1] = Int32(l); stackBound[top + 1] = bl
            } else {
                stackNode[top] = Int32(l); stackBound[top] = bl
                stackNode[top + 1] = Int32(l + 1); stackBound[top + 1] = br
            }
            top += 2
        }
        selector.finish()
    }

    /// Every point with fl(C(q, p) − w_p) ≤ `limit` as (original index, cost), and the smallest
    /// value above `limit` (+∞ if none).
    func atMost(_ q0: Double, _ q1: Double, weights: UnsafePointer<Double>, limit: Double,
                into out: inout [(Int32, Double)], stack: inout [Int32]) -> Double {
        out.removeAll(keepingCapacity: true)
        let margin = affineMargin(q0, q1)
        var next = Double.infinity
        stack.removeAll(keepingCapacity: true)
        stack.append(0)
        while let top = stack.popLast() {
            let b = Int(top)
            let bound = powerLower(b, q0, q1, margin: margin)
            if bound > limit && bound >= next { continue }
            let node = nodes[b]
            if node.left < 0 {
                for t in Int(node.start)..<Int(node.end) {
                    let c = cost(q0, q1, t)
                    let p = Int(index[t])
                    let v = c - weights[p]
                    if v <= limit { out.append((Int32(p), c)) } else if v < next { next = v }
                }
                continue
            }
            let l = Int(node.left)
            stack.append(Int32(l)); stack.append(Int32(l + 1))
        }
        return next
    }
}

/// The k + 1 smallest (value, index) pairs offered, with each one's cost: a max-heap on
/// (value, index) while offering, sorted ascending by `finish`. Also holds the search stack of
/// `PlanarTree.smallest` (depth ≤ 64 levels: 2⁶⁴ points).
final class PowerSelector {
    let k: Int
    let values: UnsafeMutablePointer<Double>
    let indices: UnsafeMutablePointer<Int32>
    let costs: UnsafeMutablePointer<Double>
    private(set) var count = 0
    /// The largest kept value once k + 1 are kept (+∞ before): anything above it cannot enter.
    private(set) var worst = Double.infinity
    private var worstIndex: Int32 = .max
    let stackNode: UnsafeMutablePointer<Int32>
    let stackBound: UnsafeMutablePointer<Double>

    init(k: Int) {
        self.k = max(k, 1)
        values = .allocate(capacity: self.k + 1)
        indices = .allocate(capacity: self.k + 1)
        costs = .allocate(capacity: self.k + 1)
        stackNode = .allocate(capacity: 160)
        stackBound = .allocate(capacity: 160)
    }

    deinit {
        values.deallocate(); indices.deallocate(); costs.deallocate(); stackNode.deallocate(); stackBound.deallocate()
    }

    func reset() { count = 0; worst = .infinity; worstIndex = .max }

    /// Number of selected pairs (at most k).
    var selected: Int { min(count, k) }
    /// The (k+1)-th smallest value, +∞ if fewer than k + 1 were offered (after `finish`).
    var next: Double { count > k ? values[k] : .infinity }

    @inline(__always)
    private func above(_ a: Int, _ b: Int) -> Bool {
        values[a] > values[b] || (values[a] == values[b] && indices[a] > indices[b])
    }

    @inline(__always)
    private func swapAt(_ a: Int, _ b: Int) {
        let v = values[a]; values[a] = values[b]; values[b] = v
        let j = indices[a]; indices[a] = indices[b]; indices[b] = j
        let c = costs[a]; costs[a] = costs[b]; costs[b] = c
    }

    @inline(__always)
    func offer(_ v: Double, _ j: Int32, _ c: Double) {
        let keep = k + 1
        if count < keep {
            var s = count
            values[s] = v; indices[s] = j; costs[s] = c
            count += 1
            while s > 0 {
                let p = (s - 1) >> 1
                if !above(s, p) { break }
                swapAt(s, p); s = p
            }
            if count == keep { worst = values[0]; worstIndex = indices[0] }
            return
        }
        if v > worst || (v == worst && j > worstIndex) { return }
        values[0] = v; indices[0] = j; costs[0] = c
        var p = 0
        while true {
            var s = 2 * p + 1
            if s >= keep { break }
            if s + 1 < keep && above(s + 1, s) { s += 1 }
            if !above(s, p) { break }
            swapAt(s, p); p = s
        }
        worst = values[0]; worstIndex = indices[0]
    }

    /// Sorts the kept pairs ascending by (value, index).
    func finish() {
        guard count > 1 else { return }
        for a in 1..<count {
            let v = values[a], j = indices[a], c = costs[a]
            var b = a
            while b > 0 && (values[b - 1] > v || (values[b - 1] == v && indices[b - 1] > j)) {
                values[b] = values[b - 1]; indices[b] = indices[b - 1]; costs[b] = costs[b - 1]; b -= 1
            }
            values[b] = v; indices[b] = j; costs[b] = c
        }
    }
}
