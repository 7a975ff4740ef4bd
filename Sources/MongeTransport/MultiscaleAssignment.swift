import MongeCore

/// Exact assignment (uniform weights, n = m) for large point clouds, without an n × n matrix.
///
/// Coarse to fine (after Mérigot 2011; Schmitzer 2016; Gerber & Maggioni 2017): both clouds are
/// cut by a balanced k-d tree into 2^L clusters of `leafSize`…2·`leafSize` points; the centroids
/// form an assignment problem of size 2^L, solved the same way (down to `baseSize`, solved by the
/// network simplex). The coarse source potentials F give fine target potentials by the
/// c-transform g̃_j = min_I C(x̄_I, y_j) − F_I, the start of `SparseAssignmentEngine`: an
/// ε-scaling auction from `auctionStart` down to `auctionEnd` (relative to the largest cost,
/// divided by `auctionFactor` per phase) settles most rows, then exact shortest augmenting paths
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
    /// First auction ε, relative to the largest cost bound (0: no auction).
    public var auctionStart: Double
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

    public init(leafSize: Int = 8, baseSize: Int = 1024, candidatesPerRow: Int = 32, auctionStart: Double = 1e-3,
                auctionEnd: Double = 1e-9, auctionFactor: Double = 4, relativeTolerance: Double = 1e-13,
                refillSlack: Double = 8, progress: (@Sendable (String) -> Void)? = nil) {
        self.leafSize = leafSize
        self.baseSize = baseSize
        self.candidatesPerRow = candidatesPerRow
        self.auctionStart = auctionStart
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
            var epsilon = auctionStart * geometry.costBound
            let last = auctionEnd * geometry.costBound
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
