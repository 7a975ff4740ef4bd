import MongeCore

/// Exact optimal transport for any weights and any n, m between two 2-D point clouds under the
/// squared Euclidean cost, coarse to fine (Schmitzer 2016, "A sparse multiscale algorithm for
/// dense optimal transport"), without an n × m matrix.
///
/// Both clouds are cut by a balanced k-d tree (`BalancedClusters`) into clusters of
/// `leafSize`…2·`leafSize` points; a cluster carries the sum of its points' masses at their
/// mass-weighted mean. The coarse problem is solved the same way, down to `baseSize` points a
/// side, where the network simplex prices every pair (`NetworkSimplex.Candidates.all`). The fine
/// problem then starts from a sparse candidate set: every pair (i, j) with i in source cluster I,
/// j in target cluster J and coarse flow on (I, J), plus each source's `nearestPerRow` cheapest
/// targets under the coarse duals lifted by the c-transform. The network simplex pivots on these
/// arcs, and the k-d tree violation search (`CandidateSearch.violations`) adds up to
/// `violationsPerRow` arcs per source that price out on the full problem, until none does
/// (column generation). The answer is exact: its certificate is checked on all n·m pairs by the
/// k-d tree dual check of `OptimalityCertificate.check`.
///
/// Masses are the exact integers of `IntegerMasses`; a cluster's mass is the sum of its points'
/// integers, so every level is an exact integer flow problem.
public struct MultiscaleTransport: TransportSolver {
    /// Points per cluster (clusters hold leafSize…2·leafSize points).
    public var leafSize: Int
    /// Problems with at most this many points on each side are solved directly (network simplex,
    /// all pairs priced).
    public var baseSize: Int
    /// Each source's cheapest targets under the lifted coarse duals added to the first candidates.
    public var nearestPerRow: Int
    /// Arcs per source added by each round of the violation search.
    public var violationsPerRow: Int
    /// Arcs price out if their reduced cost is below −tolerance × (largest cost bound).
    public var relativeTolerance: Double
    /// Whether each fine level starts from a basis inside the coarse plan (a north-west corner
    /// within every coarse arc, `liftedPlan`) instead of the staircase along the principal axis.
    public var warmStart: Bool
    /// Whether the points are relabelled in k-d tree order before solving (`kdOrder`), which
    /// keeps the basis walks in nearby memory; the answer is mapped back to the caller's labels.
    public var spatialOrder: Bool
    /// One message per level (nil: silent).
    public var progress: (@Sendable (String) -> Void)?

    /// The defaults were the fastest of a small scan at 10⁴ × 1.5·10⁴ weighted (BENCHMARKS.md): 2.2×
    /// less CPU than leaf size 4, 2 nearest and 4 violations per row, and 2.1× at 3·10⁴.
    public init(leafSize: Int = 2, baseSize: Int = 1000, nearestPerRow: Int = 8, violationsPerRow: Int = 16,
                relativeTolerance: Double = 1e-13, warmStart: Bool = true, spatialOrder: Bool = true,
                progress: (@Sendable (String) -> Void)? = nil) {
        self.warmStart = warmStart
        self.spatialOrder = spatialOrder
        self.leafSize = leafSize
        self.baseSize = baseSize
        self.nearestPerRow = nearestPerRow
        self.violationsPerRow = violationsPerRow
        self.relativeTolerance = relativeTolerance
        self.progress = progress
    }

    /// Whether the solver applies: two 2-D point clouds under the squared Euclidean cost.
    public static func applies(to geometry: Geometry) -> Bool { PlanarSearch.applies(to: geometry) }

    /// Solves `problem` and checks the certificate on every pair.
    ///
    /// Throws a `MongeError` unless the problem has two 2-D point clouds under the squared
    /// Euclidean cost (the k-d tree searches need both), or when a setting is out of range.
    public func solve(_ problem: TransportProblem) throws -> TransportOutput {
        let geometry = problem.geometry
        guard Self.applies(to: geometry) else {
            let got = geometry.x == nil ? "an explicit cost matrix" : "\(geometry.dimension)-D points under the \(geometry.cost) cost"
            throw MongeError.invalidArgument(
                name: "problem", message: "the multiscale simplex needs 2-D points under the squared Euclidean cost (sqeuclidean); got \(got). Use the simplex solver")
        }
        // Clusters of at least two points halve a side per level; of one point they would not shrink it.
        guard leafSize >= 2 else { throw MongeError.invalidArgument(name: "leaf size", message: "must be ≥ 2, got \(leafSize)") }
        guard baseSize >= 2 * leafSize else {
            throw MongeError.invalidArgument(name: "base size", message: "must be ≥ 2 × leaf size (\(2 * leafSize)), got \(baseSize)")
        }
        guard nearestPerRow >= 0 else { throw MongeError.invalidArgument(name: "nearest per row", message: "must be ≥ 0, got \(nearestPerRow)") }
        guard violationsPerRow >= 1 else {
            throw MongeError.invalidArgument(name: "violations per row", message: "must be ≥ 1, got \(violationsPerRow)")
        }
        let start = now()
        var pivots = 0
        let masses = IntegerMasses(problem)
        let solution: LevelSolution
        if spatialOrder {
            // Solve with both clouds relabelled in k-d order, then map the answer back.
            let xOrder = Self.kdOrder(geometry.x!), yOrder = Self.kdOrder(geometry.y!)
            let ordered = try TransportProblem(geometry: Geometry(x: Self.rows(geometry.x!, xOrder), y: Self.rows(geometry.y!, yOrder)),
                                               a: xOrder.map { problem.a[$0] }, b: yOrder.map { problem.b[$0] })
            let orderedMasses = IntegerMasses(a: xOrder.map { masses.a[$0] }, b: yOrder.map { masses.b[$0] }, unit: masses.unit)
            let inner = try solvePositive(ordered, masses: orderedMasses, pivots: &pivots)
            solution = Self.relabel(inner, sources: xOrder, targets: yOrder, masses: masses)
        } else {
            solution = try solvePositive(problem, masses: masses, pivots: &pivots)
        }
        let seconds = secondsSince(start)
        let certificate = OptimalityCertificate.check(problem, plan: solution.plan, f: solution.f, g: solution.g)
        return TransportOutput(solver: "multiscale-simplex", plan: solution.plan, f: solution.f, g: solution.g, iterations: pivots,
                               termination: solution.status, certificate: .optimality(certificate), seconds: seconds)
    }

    /// The points' indices in the leaf order of a balanced k-d tree with one or two points per
    /// leaf: neighbours in this order are neighbours in the plane. The network simplex walks
    /// subtrees of its basis node by node, and a basis joins nearby points, so in this order those
    /// walks touch nearby memory instead of jumping across arrays of 10⁵–10⁶ entries.
    static func kdOrder(_ points: Matrix<Double>) -> [Int] {
        var levels = 0
        while (points.rows >> (levels + 1)) >= 1 { levels += 1 }
        let label = BalancedClusters(points, levels: levels).label
        return (0..<points.rows).sorted { (label[$0], $0) < (label[$1], $1) }
    }

    static func rows(_ p: Matrix<Double>, _ index: [Int]) -> Matrix<Double> {
        Matrix<Double>(rows: index.count, columns: p.columns) { r, k in p[index[r], k] }
    }

    /// A solution of the problem relabelled by `sources` and `targets` (new index → old index),
    /// in the old labels.
    static func relabel(_ s: LevelSolution, sources: [Int], targets: [Int], masses: IntegerMasses) -> LevelSolution {
        var f = [Double](repeating: 0, count: sources.count), g = [Double](repeating: 0, count: targets.count)
        for (r, i) in sources.enumerated() { f[i] = s.f[r] }
        for (r, j) in targets.enumerated() { g[j] = s.g[r] }
        let arcs = s.arcs.map { (sources[$0.0], targets[$0.1], $0.2) }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        let plan = TransportPlan(sourceCount: sources.count, targetCount: targets.count, sources: arcs.map(\.0), targets: arcs.map(\.1),
                                 masses: arcs.map { Double($0.2) * masses.unit })
        return LevelSolution(plan: plan, f: f, g: g, status: s.status, arcs: arcs)
    }

    struct LevelSolution {
        let plan: TransportPlan
        let f: [Double]
        let g: [Double]
        let status: SolverStatus
        /// The plan's entries with their integer flows.
        let arcs: [(Int, Int, Int64)]
    }

    /// Solves the problem on the points of positive integer mass, then extends the potentials to
    /// the points of zero mass by c-transforms: g_j = min_i (C_ij − f_i) over the sources of
    /// positive mass for a target of zero mass, then f_i = min_j (C_ij − g_j) over all targets
    /// for a source of zero mass. Both are dual feasible by construction and carry no plan entry
    /// and no weight, so the plan stays optimal with the same dual objective; every node of the
    /// solved problem then has an arc, which the warm-start basis needs.
    func solvePositive(_ problem: TransportProblem, masses: IntegerMasses, pivots: inout Int) throws -> LevelSolution {
        let n = problem.n, m = problem.m
        let keepX = (0..<n).filter { masses.a[$0] > 0 }, keepY = (0..<m).filter { masses.b[$0] > 0 }
        if keepX.count == n && keepY.count == m { return try solveLevel(problem, masses: masses, depth: 0, pivots: &pivots) }
        let x = problem.geometry.x!, y = problem.geometry.y!
        let a = keepX.map { masses.a[$0] }, b = keepY.map { masses.b[$0] }
        let reduced = try TransportProblem(geometry: Geometry(x: Self.rows(x, keepX), y: Self.rows(y, keepY)),
                                           a: a.map(Double.init), b: b.map(Double.init))
        let inner = try solveLevel(reduced, masses: IntegerMasses(a: a, b: b, unit: masses.unit), depth: 0, pivots: &pivots)
        progress?("zero masses: \(n - keepX.count) sources and \(m - keepY.count) targets solved apart (potentials by c-transform)")
        var f = [Double](repeating: 0, count: n), g = [Double](repeating: 0, count: m)
        for (r, i) in keepX.enumerated() { f[i] = inner.f[r] }
        for (r, j) in keepY.enumerated() { g[j] = inner.g[r] }
        let zeroY = (0..<m).filter { masses.b[$0] == 0 }, zeroX = (0..<n).filter { masses.a[$0] == 0 }
        if !zeroY.isEmpty {
            let h = CandidateSearch.cTransform(try Geometry(x: Self.rows(y, zeroY), y: Self.rows(x, keepX)), potentials: inner.f)
            for (r, j) in zeroY.enumerated() { g[j] = h[r] }
        }
        if !zeroX.isEmpty {
            let h = CandidateSearch.cTransform(try Geometry(x: Self.rows(x, zeroX), y: y), potentials: g)
            for (r, i) in zeroX.enumerated() { f[i] = h[r] }
        }
        let arcs = inner.arcs.map { (keepX[$0.0], keepY[$0.1], $0.2) }
        let plan = TransportPlan(sourceCount: n, targetCount: m, sources: arcs.map(\.0), targets: arcs.map(\.1),
                                 masses: arcs.map { Double($0.2) * masses.unit })
        return LevelSolution(plan: plan, f: f, g: g, status: inner.status, arcs: arcs)
    }

    /// The number of halvings that leaves clusters of leafSize…2·leafSize points.
    func levels(_ count: Int) -> Int {
        var levels = 0
        while (count >> (levels + 1)) >= leafSize { levels += 1 }
        return levels
    }

    func solveLevel(_ problem: TransportProblem, masses: IntegerMasses, depth: Int, pivots: inout Int) throws -> LevelSolution {
        let n = problem.n, m = problem.m
        let geometry = problem.geometry
        let start = now()
        if max(n, m) <= baseSize {
            let basis = NetworkSimplex(relativeTolerance: relativeTolerance).optimalBasis(problem, masses: masses)
            pivots += basis.iterations
            progress?("level \(depth) \(n)×\(m): network simplex on all pairs, \(basis.iterations) pivots, \(secondsSince(start)) s")
            return LevelSolution(plan: basis.plan, f: basis.f, g: basis.g, status: basis.status, arcs: basis.arcs)
        }
        let x = geometry.x!, y = geometry.y!
        let cx = BalancedClusters(x, levels: levels(n)), cy = BalancedClusters(y, levels: levels(m))
        let (xc, a) = Self.aggregate(x, masses.a, cx), (yc, b) = Self.aggregate(y, masses.b, cy)
        let coarseProblem = try TransportProblem(geometry: Geometry(x: xc, y: yc), a: a.map(Double.init), b: b.map(Double.init))
        let coarse = try solveLevel(coarseProblem, masses: IntegerMasses(a: a, b: b, unit: masses.unit), depth: depth + 1, pivots: &pivots)
        let tCoarse = secondsSince(start)

        // First candidates: every pair of every coarse arc with flow, then each source's cheapest
        // targets under g̃_j = min_I C(x̄_I, y_j) − F_I (the coarse duals, lifted).
        let sourceMembers = Self.members(cx), targetMembers = Self.members(cy)
        var seeds: [(Int, Int, Double)] = []
        for k in 0..<coarse.plan.entryCount where coarse.plan.masses[k] > 0 {
            for i in sourceMembers[coarse.plan.sources[k]] {
                for j in targetMembers[coarse.plan.targets[k]] { seeds.append((i, j, geometry.cost(i, j))) }
            }
        }
        let blockPairs = seeds.count
        if nearestPerRow > 0 {
            let gTilde = CandidateSearch.cTransform(try Geometry(x: y, y: xc), potentials: coarse.f)
            seeds += CandidateSearch.cheapest(geometry, g: gTilde, perRow: nearestPerRow).pairs
        }
        let simplex = NetworkSimplex(candidates: .columnGeneration(perRow: violationsPerRow), relativeTolerance: relativeTolerance)
        let initial = warmStart
            ? Self.liftedPlan(coarse.arcs, x: x, y: y, masses: masses, sourceMembers: sourceMembers, targetMembers: targetMembers,
                              sourceCentroids: xc, targetCentroids: yc)
            : nil
        let basis = simplex.optimalBasis(problem, seedCandidates: seeds, masses: masses, initialPlan: initial)
        pivots += basis.iterations
        var first = warmStart ? (basis.warmStarted ? "warm start" : "warm start refused, staircase") : "staircase"
        if let initial, progress != nil {
            // How far the first basis is from the optimum (cost in mass units of the integers).
            func cost(_ arcs: [(Int, Int, Int64)]) -> Double { arcs.reduce(0) { $0 + Double($1.2) * geometry.cost($1.0, $1.1) } * masses.unit }
            first += " (cost \(cost(initial)), optimum \(cost(basis.arcs)))"
        }
        progress?("level \(depth) \(n)×\(m): \(cx.count)×\(cy.count) clusters (\(tCoarse) s), \(blockPairs) + \(seeds.count - blockPairs) first candidates, \(first), \(basis.iterations) pivots, \(secondsSince(start)) s")
        return LevelSolution(plan: basis.plan, f: basis.f, g: basis.g, status: basis.status, arcs: basis.arcs)
    }

    /// A feasible fine integer plan inside the coarse plan `coarse` (I, J, flow): each source
    /// cluster's members (in order along the principal axis) are split among its coarse arcs (in
    /// the order of their target centroids) by a north-west corner, likewise each target cluster's,
    /// and within each coarse arc the two lists of pieces are matched by a north-west corner again.
    /// Every entry lies inside a coarse arc with flow, so the plan costs about what the coarse plan
    /// does. Its support is a forest because the coarse support is: each of the three walks is a
    /// staircase (a path), a point shares at most one staircase with each coarse arc, and the
    /// staircases of clusters meet only at the coarse arcs, which form a forest — so a cycle of
    /// fine arcs would give a cycle of coarse arcs. `SimplexTree.spanning` checks it anyway and
    /// refuses a plan with a cycle (then the staircase is used; the tests assert it never is).
    static func liftedPlan(_ coarse: [(Int, Int, Int64)], x: Matrix<Double>, y: Matrix<Double>, masses: IntegerMasses,
                           sourceMembers: [[Int]], targetMembers: [[Int]], sourceCentroids: Matrix<Double>,
                           targetCentroids: Matrix<Double>) -> [(Int, Int, Int64)] {
        let axis = principalAxis(x, y)
        func key(_ p: Matrix<Double>, _ r: Int) -> Double { p[r, 0] * axis[0] + p[r, 1] * axis[1] }
        var outOf = [[Int]](repeating: [], count: sourceMembers.count), into = [[Int]](repeating: [], count: targetMembers.count)
        for (e, arc) in coarse.enumerated() { outOf[arc.0].append(e); into[arc.1].append(e) }
        var sourcePieces = [[(Int, Int64)]](repeating: [], count: coarse.count)
        var targetPieces = [[(Int, Int64)]](repeating: [], count: coarse.count)
        for (I, arcs) in outOf.enumerated() where !arcs.isEmpty {
            let points = sourceMembers[I].sorted { (key(x, $0), $0) < (key(x, $1), $1) }
            let order = arcs.sorted { (key(targetCentroids, coarse[$0].1), $0) < (key(targetCentroids, coarse[$1].1), $1) }
            northWest(points.map { ($0, masses.a[$0]) }, order.map { ($0, coarse[$0].2) }) { i, e, w in sourcePieces[e].append((i, w)) }
        }
        for (J, arcs) in into.enumerated() where !arcs.isEmpty {
            let points = targetMembers[J].sorted { (key(y, $0), $0) < (key(y, $1), $1) }
            let order = arcs.sorted { (key(sourceCentroids, coarse[$0].0), $0) < (key(sourceCentroids, coarse[$1].0), $1) }
            northWest(points.map { ($0, masses.b[$0]) }, order.map { ($0, coarse[$0].2) }) { j, e, w in targetPieces[e].append((j, w)) }
        }
        var plan: [(Int, Int, Int64)] = []
        plan.reserveCapacity(x.rows + y.rows)
        for e in 0..<coarse.count {
            northWest(sourcePieces[e], targetPieces[e]) { i, j, w in plan.append((i, j, w)) }
        }
        return plan
    }

    /// The north-west corner rule between two lists of (id, amount) with equal totals: calls
    /// `emit(u, v, w)` for each positive amount w moved from u to v, in staircase order.
    static func northWest(_ left: [(Int, Int64)], _ right: [(Int, Int64)], _ emit: (Int, Int, Int64) -> Void) {
        var p = 0, q = 0
        var l = left.first?.1 ?? 0, r = right.first?.1 ?? 0
        while p < left.count && q < right.count {
            let w = min(l, r)
            if w > 0 { emit(left[p].0, right[q].0, w) }
            l -= w; r -= w
            if l == 0 { p += 1; if p < left.count { l = left[p].1 } }
            if r == 0 { q += 1; if q < right.count { r = right[q].1 } }
        }
    }

    /// The centroids of `clusters` weighted by `masses` (the plain mean for a cluster of zero
    /// mass) and the clusters' integer masses.
    static func aggregate(_ points: Matrix<Double>, _ masses: [Int64], _ clusters: BalancedClusters) -> (Matrix<Double>, [Int64]) {
        let d = points.columns
        var total = [Int64](repeating: 0, count: clusters.count)
        var sums = [Double](repeating: 0, count: clusters.count * d)
        for (i, c) in clusters.label.enumerated() {
            total[c] += masses[i]
            for k in 0..<d { sums[c * d + k] += Double(masses[i]) * points.storage[i * d + k] }
        }
        var centroids = clusters.centroids
        for c in 0..<clusters.count where total[c] > 0 {
            for k in 0..<d { centroids.storage[c * d + k] = sums[c * d + k] / Double(total[c]) }
        }
        return (centroids, total)
    }

    /// The points of each cluster, in increasing index.
    static func members(_ clusters: BalancedClusters) -> [[Int]] {
        var out = [[Int]](repeating: [], count: clusters.count)
        for (i, c) in clusters.label.enumerated() { out[c].append(i) }
        return out
    }
}
