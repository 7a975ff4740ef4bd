import MongeCore

/// Exact assignment (uniform weights, n = m) for large point clouds, without an n × n matrix.
///
/// Coarse to fine (after Mérigot 2011; Schmitzer 2016; Gerber & Maggioni 2017): both clouds are
/// cut by a balanced k-d tree into 2^L clusters of `leafSize`…2·`leafSize` points; the centroids
/// form an assignment problem of size 2^L, solved the same way (down to `baseSize`, solved by the
/// network simplex). The coarse source potentials F give fine target potentials by the
/// c-transform g̃_j = min_I C(x̄_I, y_j) − F_I, the start of `SparseAssignmentEngine`: an
/// ε-scaling auction from a first ε (`warmStart`: estimated from the coarse solution, or
/// `auctionStart` relative to the largest cost) down to `auctionEnd` (relative to the largest
/// cost, divided by `auctionFactor` per phase) settles most rows, then exact shortest augmenting paths
/// match the rest. Every search and bid sees the full problem through per-row bounds, so the
/// potentials stay dual feasible on all n² pairs; a final scan of all pairs confirms it (and
/// would repair rounding-level violations). The answer is exact with its certificate; memory is
/// O(n · candidatesPerRow).
public struct MultiscaleAssignment: TransportSolver {
    /// Points per cluster (clusters hold leafSize…2·leafSize points).
    public var leafSize: Int
    /// Problems of at most this size are solved directly (network simplex).
    public var baseSize: Int
    /// Length of each row's candidate list.
    public var candidatesPerRow: Int
    /// First auction ε, relative to the largest cost bound (0: no auction). With a `warmStart`
    /// other than `.off` the estimated first ε is kept within [auctionStart / 20, auctionStart]
    /// × the largest cost bound.
    public var auctionStart: Double
    /// How each fine level picks its first auction ε.
    public var warmStart: WarmStart
    /// The quantile of the per-row (`.gap`) or per-cluster (`.displacement`) estimates taken as
    /// the first ε, in [0, 1].
    public var warmStartQuantile: Double
    /// Last auction ε, relative to the largest cost bound.
    public var auctionEnd: Double
    /// ε is divided by this between auction phases.
    public var auctionFactor: Double
    /// Dual feasibility is enforced to `relativeTolerance` × the largest cost bound.
    public var relativeTolerance: Double
    /// In each auction phase a row bids from its candidate list unless an unlisted column could
    /// be better by more than `refillSlack` · ε (0: refill whenever one could be better). Larger
    /// values trade k-d tree refills for a looser auction; the result is exact either way.
    public var refillSlack: Double
    /// Messages about levels and rounds (nil: silent).
    public var progress: (@Sendable (String) -> Void)?

    /// The first auction ε of a fine level. The coarse solution's potentials are off by a
    /// level-dependent amount (about the cluster diameter times the displacement), which the
    /// fixed `auctionStart` (relative to the largest cost) does not see.
    public enum WarmStart: String, Sendable, CaseIterable {
        /// ε₀ = `auctionStart` × the largest cost bound at every level (the solver before warm starts).
        case off
        /// ε₀ = the `warmStartQuantile` of the rows' c-transform gaps: for row i of source cluster
        /// I matched to target cluster J on the coarse level, min_{j ∈ J} (C_ij − g̃_j) − f_i, how
        /// far the coarse matching lifted to the fine level is from complementary slackness
        /// under the starting potentials (f the exact c-transform of g̃). The default: 21–45 % less
        /// CPU at 10⁵ points, the same solve at 10⁴ and within noise at 3·10⁴ (BENCHMARKS.md).
        case gap
        /// ε₀ = the `warmStartQuantile` of max(diameter of I, diameter of J) × |x̄_I − ȳ_J| over
        /// the matched clusters (I, J) of the coarse level (half the change of |x − y|² across
        /// the cluster); geometric, for the squared Euclidean cost.
        case displacement
    }

    public init(leafSize: Int = 8, baseSize: Int = 1024, candidatesPerRow: Int = 32, auctionStart: Double = 1e-3,
                warmStart: WarmStart = .gap, warmStartQuantile: Double = 0.99,
                auctionEnd: Double = 1e-9, auctionFactor: Double = 4, relativeTolerance: Double = 1e-13,
                refillSlack: Double = 8, progress: (@Sendable (String) -> Void)? = nil) {
        self.leafSize = leafSize
        self.baseSize = baseSize
        self.candidatesPerRow = candidatesPerRow
        self.auctionStart = auctionStart
        self.warmStart = warmStart
        self.warmStartQuantile = warmStartQuantile
        self.auctionEnd = auctionEnd
        self.auctionFactor = auctionFactor
        self.relativeTolerance = relativeTolerance
        self.refillSlack = refillSlack
        self.progress = progress
    }

    /// Solves an assignment problem on two point clouds; throws unless n = m with uniform weights.
    public func solve(_ problem: TransportProblem) throws -> TransportOutput {
        try problem.requireAssignment()
        guard let x = problem.geometry.x, let y = problem.geometry.y else {
            return try DenseAssignment().solve(problem)
        }
        let start = now()
        var stats = Statistics()
        let level = solveLevel(x, y, cost: problem.geometry.cost, depth: 0, stats: &stats)
        let seconds = secondsSince(start)
        let plan = TransportPlan(permutation: level.permutation, mass: problem.a[0])
        let certificate = OptimalityCertificate.check(problem, plan: plan, f: level.f, g: level.g)
        return TransportOutput(solver: "multiscale-assignment", plan: plan, f: level.f, g: level.g, iterations: stats.work,
                               termination: .optimal, certificate: .optimality(certificate), seconds: seconds)
    }

    struct Statistics {
        /// Bids, augmenting paths and base-level pivots over all levels.
        var work = 0
        var rounds = 0
    }

    struct LevelSolution {
        let permutation: [Int]
        let f: [Double]
        let g: [Double]
    }

    func solveLevel(_ x: Matrix<Double>, _ y: Matrix<Double>, cost: Cost, depth: Int,
                    stats: inout Statistics) -> LevelSolution {
        let n = x.rows
        let geometry = try! Geometry(x: x, y: y, cost: cost)
        let problem = try! TransportProblem(geometry: geometry)
        if n <= max(baseSize, 2 * leafSize) {
            // Unit integer masses: every basic solution is a permutation (integrality).
            let basis = NetworkSimplex().optimalBasis(problem)
            guard let sigma = basis.plan.permutation else { preconditionFailure("a uniform n × n basis that is not a permutation") }
            stats.work += basis.iterations
            return LevelSolution(permutation: sigma, f: basis.f, g: basis.g)
        }
        var levels = 0
        while (n >> (levels + 1)) >= leafSize { levels += 1 }
        let start = now()
        let cx = BalancedClusters(x, levels: levels), cy = BalancedClusters(y, levels: levels)
        let coarse = solveLevel(cx.centroids, cy.centroids, cost: cost, depth: depth + 1, stats: &stats)
        let tCoarse = secondsSince(start)

        // Fine target potentials: c-transform of the coarse source potentials.
        let coarseSources = try! Geometry(x: y, y: cx.centroids, cost: cost)
        let gTilde = CandidateSearch.cTransform(coarseSources, potentials: coarse.f)
        let engine = SparseAssignmentEngine(geometry: geometry, g: gTilde, capacity: candidatesPerRow)
        let tolerance = relativeTolerance * max(geometry.costBound, .leastNormalMagnitude)
        let tAuction = now()
        if auctionStart > 0 && auctionEnd > 0 && geometry.costBound > 0 {
            let last = auctionEnd * geometry.costBound
            var epsilon = auctionStart * geometry.costBound
            if warmStart != .off {
                // Trusted between a twentieth of the relative start and the relative start: a
                // start far below the potentials' error is a long bidding war at a small ε (the
                // gap is 0 on rows the greedy start matched; the first phase costs about 0.35 / ε
                // bids per row on the anchor at 10⁵ and 3·10⁵ alike), and none above it measured
                // faster.
                let estimate = firstEpsilon(x, y, cx, cy, coarse.permutation, engine: engine, geometry: geometry)
                let first = max(min(estimate, epsilon), epsilon / Self.warmStartRange, last)
                progress?("level \(depth) n=\(n): warm start (\(warmStart.rawValue), q=\(warmStartQuantile)): estimate \(estimate), ε₀ = \(first) (relative start: \(epsilon))")
                epsilon = first
            }
            while epsilon >= last {
                let (bids, refills, t) = (engine.bids, engine.refills, now())
                engine.auction(epsilon: epsilon, refillSlack: refillSlack)
                progress?("level \(depth) n=\(n): auction ε=\(epsilon): \(engine.bids - bids) bids, \(engine.refills - refills) refills, \(secondsSince(t)) s")
                epsilon /= max(auctionFactor, 1.5)
            }
            let (refills, t) = (engine.refills, now())
            engine.tighten()
            progress?("level \(depth) n=\(n): tighten: \(engine.refills - refills) refills, \(secondsSince(t)) s")
        }
        progress?("level \(depth) n=\(n): auction \(engine.bids) bids, \(engine.refills) refills (\(engine.parallelRefills) ahead, on all cores), \(secondsSince(tAuction)) s; \(engine.freeRowCount) rows left")
        var rounds = 0
        while true {
            let (refills, t) = (engine.refills, now())
            engine.augmentAll()
            progress?("level \(depth) n=\(n): augment: \(engine.refills - refills) refills, \(secondsSince(t)) s")
            rounds += 1
            let missing = CandidateSearch.violations(geometry, f: engine.f, g: engine.g, tolerance: tolerance, perRow: 1)
            progress?("level \(depth) n=\(n): round \(rounds), \(engine.augmentations) augmentations (\(engine.scans) rows scanned), \(engine.refills) refills, \(missing.count) rows violating")
            if missing.isEmpty { break }
            engine.repair(rows: Set(missing.map(\.0)))
        }
        stats.work += engine.augmentations + engine.bids
        if depth == 0 { stats.rounds = rounds }
        progress?("level \(depth) n=\(n): coarse \(tCoarse) s, total \(secondsSince(start)) s")
        return LevelSolution(permutation: engine.permutation, f: engine.f, g: engine.g)
    }

    /// A warm-started first ε lies in [relative start / warmStartRange, relative start].
    /// At 3·10⁵ points the gap estimate (0.0012) fell below the old floor of 1/100 (0.0017):
    /// 58 M first-phase bids and 400 CPU-s, against 11 M and 244 CPU-s from ε₀ ≈ 0.0094
    /// (BENCHMARKS.md); the floor of 1/20 (0.0086) keeps the estimates measured at 10⁴–10⁵.
    static let warmStartRange = 20.0

    /// The `warmStartQuantile` of the per-row (`.gap`) or per-cluster (`.displacement`) estimates of
    /// the starting potentials' error (see `WarmStart`); `sigma` is the coarse matching I → J.
    func firstEpsilon(_ x: Matrix<Double>, _ y: Matrix<Double>, _ cx: BalancedClusters, _ cy: BalancedClusters,
                      _ sigma: [Int], engine: SparseAssignmentEngine, geometry: Geometry) -> Double {
        var estimates: [Double]
        switch warmStart {
        case .off:
            return auctionStart * geometry.costBound
        case .gap:
            // Members of each target cluster, then every row's best value inside its matched cluster.
            var members = [[Int]](repeating: [], count: cy.count)
            for (j, c) in cy.label.enumerated() { members[c].append(j) }
            let f = engine.f, g = engine.g
            estimates = (0..<x.rows).map { i in
                var best = Double.infinity
                for j in members[sigma[cx.label[i]]] { best = min(best, geometry.cost(i, j) - g[j]) }
                return max(0, best - f[i])
            }
        case .displacement:
            let dx = Self.diameters(x, cx), dy = Self.diameters(y, cy)
            let d = x.columns
            estimates = (0..<cx.count).map { I in
                let J = sigma[I]
                var squared = 0.0
                for k in 0..<d {
                    let t = cx.centroids.storage[I * d + k] - cy.centroids.storage[J * d + k]
                    squared += t * t
                }
                return max(dx[I], dy[J]) * squared.squareRoot()
            }
        }
        estimates.sort()
        let q = min(max(warmStartQuantile, 0), 1)
        return estimates.isEmpty ? 0 : estimates[Int((q * Double(estimates.count - 1)).rounded(.down))]
    }

    /// The diagonal of each cluster's bounding box.
    static func diameters(_ points: Matrix<Double>, _ clusters: BalancedClusters) -> [Double] {
        let d = points.columns
        var lo = [Double](repeating: .infinity, count: clusters.count * d)
        var hi = [Double](repeating: -.infinity, count: clusters.count * d)
        for (i, c) in clusters.label.enumerated() {
            for k in 0..<d {
                let v = points.storage[i * d + k]
                lo[c * d + k] = min(lo[c * d + k], v)
                hi[c * d + k] = max(hi[c * d + k], v)
            }
        }
        return (0..<clusters.count).map { c in
            var squared = 0.0
            for k in 0..<d where hi[c * d + k] >= lo[c * d + k] { squared += (hi[c * d + k] - lo[c * d + k]) * (hi[c * d + k] - lo[c * d + k]) }
            return squared.squareRoot()
        }
    }
}

extension CandidateSearch {
    /// h_j = min_i (C_ji − potentials_i) for every source j of `geometry` (the c-transform).
    static func cTransform(_ geometry: Geometry, potentials: [Double], useTree: Bool = true) -> [Double] {
        if useTree && PlanarSearch.applies(to: geometry) { return PlanarSearch.cTransform(geometry, potentials: potentials) }
        let m = geometry.targetCount
        let chunks: [[Double]] = potentials.withUnsafeBufferPointer { pp in
            nonisolated(unsafe) let p = pp.baseAddress!
            return mapRowChunks(count: geometry.sourceCount, rowLength: m) { rows in
                let row = UnsafeMutablePointer<Double>.allocate(capacity: m)
                defer { row.deallocate() }
                return rows.map { j in
                    geometry.costRow(j, columns: 0..<m, into: row)
                    var best = Double.infinity
                    for i in 0..<m { best = min(best, row[i] - p[i]) }
                    return best
                }
            }
        }
        return chunks.flatMap { $0 }
    }
}
