import Foundation
import MongeCore

/// Exact optimal transport for any weights by the network simplex (the algorithm of POT's
/// `ot.emd`, Bonneel, van de Panne, Paris, Heidrich 2011), in Float64 with exact integer flows.
///
/// The basis starts as the north-west-corner staircase along the principal axis of the points
/// (a 1-D transport plan, often close to optimal) and improves by pivots chosen with the block
/// search rule (blocks of √(n·m) arcs). Costs are computed on demand, never stored: memory is
/// O(n + m). With `.columnGeneration` the pivots run on a sparse candidate set which grows by the
/// arcs the full problem's reduced costs show to be missing, until no arc of the full problem
/// prices out — the same proof of optimality on the full problem.
///
/// There is no default iteration cap: `maxIterations` is nil unless set, and a run stopped by a
/// limit ends with status `.iterationLimit`, never `.optimal`.
public struct NetworkSimplex: TransportSolver {
    /// How entering arcs are searched.
    public enum Candidates: Sendable, Equatable {
        /// Every pair (i, j) of the full problem, in blocks.
        case all
        /// A sparse set: the `perRow` cheapest targets of each source, grown by full-problem pricing.
        /// Exact as well, but on clustered data it needs many more pivots than `.all` (13× slower
        /// at n = 4096 on the 25-Gaussians → moons anchor); prefer `.all`, `MultiscaleTransport`
        /// (which seeds it from a coarse level) for 2-D points, or `MultiscaleAssignment` when
        /// n = m with uniform weights.
        case columnGeneration(perRow: Int)
    }

    /// Stop after this many pivots (nil: no limit).
    public var maxIterations: Int?
    public var candidates: Candidates
    /// Arcs priced out if their reduced cost is below −tolerance × (largest cost bound).
    public var relativeTolerance: Double
    /// Called every `progressInterval` pivots with the pivot count (nil: silent).
    public var progress: (@Sendable (Int) -> Void)?
    public var progressInterval: Int = 100_000
    /// Audits the basis after every pivot (O(n + m) each: the threaded index against the parent
    /// pointers, strong feasibility, f + g = C on tree arcs) and stops the process on the first
    /// broken invariant. For tests of the pivot code; off by default.
    public var auditsEveryPivot = false

    public init(maxIterations: Int? = nil, candidates: Candidates = .all, relativeTolerance: Double = 1e-13,
                progress: (@Sendable (Int) -> Void)? = nil) {
        self.maxIterations = maxIterations
        self.candidates = candidates
        self.relativeTolerance = relativeTolerance
        self.progress = progress
    }

    /// Solves `problem` and checks the certificate on the full problem.
    public func solve(_ problem: TransportProblem) -> TransportOutput {
        solve(problem, seedCandidates: nil)
    }

    /// Solves `problem`; with column generation, `seedCandidates` (i, j, C_ij) replace the default
    /// first candidates (each source's cheapest targets).
    func solve(_ problem: TransportProblem, seedCandidates: [(Int, Int, Double)]?) -> TransportOutput {
        let basis = optimalBasis(problem, seedCandidates: seedCandidates)
        let certificate = OptimalityCertificate.check(problem, plan: basis.plan, f: basis.f, g: basis.g)
        return TransportOutput(solver: "network-simplex", plan: basis.plan, f: basis.f, g: basis.g, iterations: basis.iterations,
                               termination: basis.status, certificate: .optimality(certificate), seconds: basis.seconds)
    }

    /// The pivots without the certificate check (for callers that certify a larger problem).
    /// `masses` replaces the problem's own integer masses (a multiscale solver passes sums of the
    /// fine level's integers, so that levels agree exactly). `initialPlan`, a feasible integer plan
    /// (source, target, positive flow) whose support is a forest, replaces the staircase as the
    /// first basis (`SimplexTree.spanning`); if it is not one, the staircase is used. `arcs` are
    /// the plan's entries with their integer flows.
    func optimalBasis(_ problem: TransportProblem, seedCandidates: [(Int, Int, Double)]? = nil, masses: IntegerMasses? = nil,
                      initialPlan: [(Int, Int, Int64)]? = nil)
        -> (plan: TransportPlan, f: [Double], g: [Double], iterations: Int, status: SolverStatus, seconds: Double,
            arcs: [(Int, Int, Int64)], warmStarted: Bool) {
        let start = now()
        let geometry = problem.geometry
        let masses = masses ?? IntegerMasses(problem)
        let warm = initialPlan.flatMap { SimplexTree.spanning(geometry: geometry, masses: masses, plan: $0) }
        let tree: SimplexTree
        if let warm {
            tree = warm
        } else {
            let (sourceOrder, targetOrder) = principalAxisOrders(geometry)
            tree = SimplexTree(geometry: geometry, masses: masses, sourceOrder: sourceOrder, targetOrder: targetOrder)
        }
        let tolerance = relativeTolerance * max(geometry.costBound, .leastNormalMagnitude)
        var iterations = 0
        var status = SolverStatus.optimal
        switch candidates {
        case .all:
            var pricer = DensePricer(geometry: geometry)
            status = run(tree, &pricer, tolerance: tolerance, iterations: &iterations)
        case let .columnGeneration(perRow):
            var pricer = SparsePricer(nodeCount: problem.n, targetCount: problem.m)
            pricer.add(tree.positiveAndTreeArcs())
            pricer.add(seedCandidates ?? CandidateSearch.cheapest(geometry, g: nil, perRow: max(1, perRow)).pairs)
            while true {
                status = run(tree, &pricer, tolerance: tolerance, iterations: &iterations)
                if status != .optimal { break }
                let missing = CandidateSearch.violations(geometry, f: tree.sourcePotentials, g: tree.targetPotentials,
                                                         tolerance: tolerance, perRow: max(1, perRow))
                if missing.isEmpty { break }
                pricer.add(missing)
            }
        }
        let arcs = tree.positiveArcs()
        let plan = TransportPlan(sourceCount: problem.n, targetCount: problem.m, sources: arcs.map(\.0),
                                 targets: arcs.map(\.1), masses: arcs.map { Double($0.2) * masses.unit })
        return (plan, tree.sourcePotentials, tree.targetPotentials, iterations, status, secondsSince(start), arcs, warm != nil)
    }

    /// Pivots until the pricer finds no arc with reduced cost below −tolerance (twice: the second
    /// time after recomputing the potentials from scratch) or the iteration limit is reached.
    private func run<P: EnteringArcPricer>(_ tree: SimplexTree, _ pricer: inout P, tolerance: Double,
                                           iterations: inout Int) -> SolverStatus {
        var sinceRefresh = 0
        let refreshInterval = max(10_000, tree.nodeCount)
        while true {
            if let limit = maxIterations, iterations >= limit { return .iterationLimit }
            if let (i, j, r) = pricer.next(tree.potential, n: tree.n, tolerance: tolerance) {
                tree.pivot(source: i, target: j, reducedCost: r)
                if auditsEveryPivot, let broken = tree.brokenInvariant() {
                    fatalError("network simplex: pivot \(iterations + 1) on (\(i), \(j)) broke the basis: \(broken)")
                }
                iterations += 1
                sinceRefresh += 1
                if sinceRefresh >= refreshInterval { tree.recomputePotentials(); sinceRefresh = 0 }
                if let progress, iterations % progressInterval == 0 { progress(iterations) }
            } else {
                tree.recomputePotentials()
                sinceRefresh = 0
                if pricer.next(tree.potential, n: tree.n, tolerance: tolerance) == nil { return .optimal }
                pricer.restart()
            }
        }
    }
}

/// The entering-arc search of the network simplex (block search pivot rule).
protocol EnteringArcPricer {
    /// An arc (i, j) with reduced cost r = C_ij − f_i − g_j < −tolerance, the most negative of the
    /// first block that has one, continuing from where the last search stopped; nil when none is left.
    mutating func next(_ potential: UnsafeMutablePointer<Double>, n: Int, tolerance: Double) -> (Int, Int, Double)?
    /// Forget the resume position so that the next search covers everything again.
    mutating func restart()
}

/// Block search over every pair (i, j), rows computed on the fly.
///
/// Each row segment is first reduced to its minimum reduced cost (vectorised); only a segment
/// that beats the block's best so far is scanned again for the index.
struct DensePricer: EnteringArcPricer {
    let geometry: Geometry
    let blockSize: Int
    var row = 0
    var column = 0
    let buffer: UnsafeMutablePointer<Double>
    private let owner: BufferOwner
    /// Planar squared Euclidean fast path: source coordinates interleaved, target coordinates
    /// in two arrays (nil otherwise).
    private let planar: (owner: BufferOwner, x: UnsafeMutablePointer<Double>, y0: UnsafeMutablePointer<Double>,
                         y1: UnsafeMutablePointer<Double>)?

    init(geometry: Geometry) {
        self.geometry = geometry
        let arcs = Double(geometry.sourceCount) * Double(geometry.targetCount)
        blockSize = max(10, Int(arcs.squareRoot()))
        owner = BufferOwner(capacity: geometry.targetCount)
        buffer = owner.pointer
        if let x = geometry.x, geometry.dimension == 2, geometry.cost == .squaredEuclidean {
            let n = geometry.sourceCount, m = geometry.targetCount
            let o = BufferOwner(capacity: 2 * n + 2 * m)
            x.storage.withUnsafeBufferPointer { o.pointer.update(from: $0.baseAddress!, count: 2 * n) }
            geometry.yColumns.withUnsafeBufferPointer { o.pointer.advanced(by: 2 * n).update(from: $0.baseAddress!, count: 2 * m) }
            planar = (o, o.pointer, o.pointer + 2 * n, o.pointer + 2 * n + m)
        } else {
            planar = nil
        }
    }

    mutating func restart() { row = 0; column = 0 }

    /// min over t < width of C(row, column + t) − g[column + t] (vectorised).
    @inline(__always)
    private func segmentMinimum(_ g: UnsafeMutablePointer<Double>, width: Int) -> Double {
        if let planar {
            let x0 = planar.x[2 * row], x1 = planar.x[2 * row + 1]
            let y0 = planar.y0 + column, y1 = planar.y1 + column, gs = g + column
            let vx0 = SIMD4<Double>(repeating: x0), vx1 = SIMD4<Double>(repeating: x1)
            var best = SIMD4<Double>(repeating: .infinity)
            var t = 0
            while t + 4 <= width {
                let a = vx0 - UnsafeRawPointer(y0 + t).loadUnaligned(as: SIMD4<Double>.self)
                let b = vx1 - UnsafeRawPointer(y1 + t).loadUnaligned(as: SIMD4<Double>.self)
                let r = a * a + b * b - UnsafeRawPointer(gs + t).loadUnaligned(as: SIMD4<Double>.self)
                best.replace(with: r, where: r .< best)
                t += 4
            }
            var result = best.min()
            while t < width {
                let a = x0 - y0[t], b = x1 - y1[t]
                result = min(result, a * a + b * b - gs[t])
                t += 1
            }
            return result
        }
        geometry.costRow(row, columns: column..<(column + width), into: buffer)
        var result = Double.infinity
        let gs = g + column
        for t in 0..<width { result = min(result, buffer[t] - gs[t]) }
        return result
    }

    /// The index t < width where C(row, column + t) − g[column + t] is smallest, and that value.
    private func segmentArgmin(_ g: UnsafeMutablePointer<Double>, width: Int) -> (Int, Double) {
        var bestValue = Double.infinity, bestT = 0
        let gs = g + column
        if let planar {
            let x0 = planar.x[2 * row], x1 = planar.x[2 * row + 1]
            let y0 = planar.y0 + column, y1 = planar.y1 + column
            for t in 0..<width {
                let a = x0 - y0[t], b = x1 - y1[t]
                let v = a * a + b * b - gs[t]
                if v < bestValue { bestValue = v; bestT = t }
            }
            return (bestT, bestValue)
        }
        geometry.costRow(row, columns: column..<(column + width), into: buffer)
        for t in 0..<width {
            let v = buffer[t] - gs[t]
            if v < bestValue { bestValue = v; bestT = t }
        }
        return (bestT, bestValue)
    }

    mutating func next(_ potential: UnsafeMutablePointer<Double>, n: Int, tolerance: Double) -> (Int, Int, Double)? {
        let m = geometry.targetCount
        let total = n * m
        var scanned = 0, inBlock = 0
        var best = -tolerance, bestI = -1, bestJ = -1
        let g = potential + n
        while scanned < total {
            let end = min(m, column + (blockSize - inBlock))
            let width = end - column
            let value = segmentMinimum(g, width: width) - potential[row]
            if value < best {
                let (t, v) = segmentArgmin(g, width: width)
                bestI = row; bestJ = column + t; best = v - potential[row]
            }
            scanned += width
            inBlock += width
            column = end
            if column == m { column = 0; row += 1; if row == n { row = 0 } }
            if inBlock >= blockSize {
                if bestI >= 0 { return (bestI, bestJ, best) }
                inBlock = 0
            }
        }
        return bestI >= 0 ? (bestI, bestJ, best) : nil
    }
}

/// Block search over an explicit, growing list of candidate arcs.
struct SparsePricer: EnteringArcPricer {
    var sources: [Int32] = []
    var targets: [Int32] = []
    var costs: [Double] = []
    var position = 0
    var blockSize = 10
    /// Arcs already present, to keep the list free of duplicates.
    var present = Set<Int>()
    let targetCount: Int

    init(nodeCount: Int, targetCount: Int) { self.targetCount = targetCount }

    mutating func add(_ arcs: [(Int, Int, Double)]) {
        for (i, j, c) in arcs where present.insert(i * targetCount + j).inserted {
            sources.append(Int32(i)); targets.append(Int32(j)); costs.append(c)
        }
        blockSize = max(10, Int(Double(costs.count).squareRoot()))
    }

    mutating func restart() { position = 0 }

    mutating func next(_ potential: UnsafeMutablePointer<Double>, n: Int, tolerance: Double) -> (Int, Int, Double)? {
        let total = costs.count
        guard total > 0 else { return nil }
        let g = potential + n
        var best = -tolerance, bestK = -1
        var scanned = 0, inBlock = 0
        return sources.withUnsafeBufferPointer { s in
            targets.withUnsafeBufferPointer { t in
                costs.withUnsafeBufferPointer { c in
                    while scanned < total {
                        let k = position
                        let r = c[k] - potential[Int(s[k])] - g[Int(t[k])]
                        if r < best { best = r; bestK = k }
                        position += 1; if position == total { position = 0 }
                        scanned += 1; inBlock += 1
                        if inBlock >= blockSize {
                            if bestK >= 0 { return (Int(s[bestK]), Int(t[bestK]), best) }
                            inBlock = 0
                        }
                    }
                    return bestK >= 0 ? (Int(s[bestK]), Int(t[bestK]), best) : nil
                }
            }
        }
    }
}

/// Owns a scratch buffer for a value type (freed with the last copy).
final class BufferOwner: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Double>
    init(capacity: Int) { pointer = .allocate(capacity: max(capacity, 1)) }
    deinit { pointer.deallocate() }
}

extension SimplexTree {
    /// Every tree arc as (source, target, cost): the arcs the sparse pricer must always contain.
    func positiveAndTreeArcs() -> [(Int, Int, Double)] {
        var out: [(Int, Int, Double)] = []
        for u in 0..<nodeCount where u != root {
            let p = parent[u]
            let (i, j) = u < n ? (u, p - n) : (p, u - n)
            out.append((i, j, geometry.cost(i, j)))
        }
        return out
    }
}

/// Orders of sources and targets by their projection on the principal axis of all points
/// (identity for an explicit cost matrix): the staircase along them is the 1-D optimal plan of
/// the projections, a good first basis.
func principalAxisOrders(_ geometry: Geometry) -> ([Int], [Int]) {
    guard let x = geometry.x, let y = geometry.y else {
        return (Array(0..<geometry.sourceCount), Array(0..<geometry.targetCount))
    }
    let axis = principalAxis(x, y)
    func order(_ p: Matrix<Double>) -> [Int] {
        let keys = (0..<p.rows).map { i in (0..<p.columns).reduce(0.0) { $0 + p[i, $1] * axis[$1] } }
        return (0..<p.rows).sorted { keys[$0] < keys[$1] || (keys[$0] == keys[$1] && $0 < $1) }
    }
    return (order(x), order(y))
}

/// The leading eigenvector of the covariance of x ∪ y (power iteration on the d × d matrix).
func principalAxis(_ x: Matrix<Double>, _ y: Matrix<Double>) -> [Double] {
    let d = x.columns
    var mean = [Double](repeating: 0, count: d)
    for p in [x, y] { for i in 0..<p.rows { for k in 0..<d { mean[k] += p[i, k] } } }
    let total = Double(x.rows + y.rows)
    for k in 0..<d { mean[k] /= total }
    var cov = [Double](repeating: 0, count: d * d)
    for p in [x, y] {
        for i in 0..<p.rows {
            for k in 0..<d { for l in 0..<d { cov[k * d + l] += (p[i, k] - mean[k]) * (p[i, l] - mean[l]) } }
        }
    }
    var v = (0..<d).map { 1.0 + 0.1 * Double($0) }
    for _ in 0..<100 {
        var w = [Double](repeating: 0, count: d)
        for k in 0..<d { for l in 0..<d { w[k] += cov[k * d + l] * v[l] } }
        let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm == 0 { return v }
        v = w.map { $0 / norm }
    }
    return v
}
