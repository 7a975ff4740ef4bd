import MongeCore
import Foundation

/// Exact assignment (uniform weights, n = m) for large point clouds, without an n × n matrix.
///
/// Coarse to fine (after Mérigot 2011; Schmitzer 2016; Gerber & Maggioni 2017): both clouds are
/// cut by a balanced k-d tree into 2^L clusters of `leafSize`…2·`leafSize` points; the centroids
/// form an assignment problem of size 2^L, solved the same way (down to `baseSize`, solved by the
/// network simplex). The coarse source potentials F give fine target potentials by the
/// c-transform g̃_j = min_I C(x̄_I, y_j) − F_I. The `candidatesPerRow` pairs of smallest reduced
/// cost under g̃ (plus a 1-D matching along the principal axis, so that a perfect matching
/// exists) seed `SparseAssignmentEngine`, which adds every pair the full problem shows to be
/// missing until no pair of the n² violates dual feasibility. The answer is exact with its
/// certificate; memory is O(n · candidatesPerRow).
public struct MultiscaleAssignment: Sendable {
    /// Points per cluster (clusters hold leafSize…2·leafSize points).
    public var leafSize: Int
    /// Problems of at most this size are solved directly (network simplex).
    public var baseSize: Int
    /// Candidates per row from the propagated potentials.
    public var candidatesPerRow: Int
    /// Violating pairs added per row and verification round.
    public var violationsPerRow: Int
    /// Pairs added when a search expands a row.
    public var expansionSize: Int
    /// Dual feasibility is enforced to `relativeTolerance` × the largest cost bound.
    public var relativeTolerance: Double
    /// Messages about levels and rounds (nil: silent).
    public var progress: (@Sendable (String) -> Void)?

    public init(leafSize: Int = 8, baseSize: Int = 1024, candidatesPerRow: Int = 8, violationsPerRow: Int = 4,
                expansionSize: Int = 16, relativeTolerance: Double = 1e-13, progress: (@Sendable (String) -> Void)? = nil) {
        self.leafSize = leafSize
        self.baseSize = baseSize
        self.candidatesPerRow = candidatesPerRow
        self.violationsPerRow = violationsPerRow
        self.expansionSize = expansionSize
        self.relativeTolerance = relativeTolerance
        self.progress = progress
    }

    /// Solves an assignment problem on two point clouds; throws unless n = m with uniform weights.
    public func solve(_ problem: TransportProblem) throws -> AssignmentResult {
        guard problem.isAssignment else {
            throw MongeError.invalidArgument(name: "problem", message: "the assignment solver needs n = m and uniform weights (got \(problem.n)×\(problem.m), uniform: \(problem.isUniform))")
        }
        guard let x = problem.geometry.x, let y = problem.geometry.y else {
            return try DenseAssignment().solve(problem)
        }
        let start = now()
        var stats = Statistics()
        let level = solveLevel(x, y, cost: problem.geometry.cost, depth: 0, stats: &stats)
        let seconds = secondsSince(start)
        let plan = TransportPlan(permutation: level.permutation, mass: problem.a[0])
        let certificate = OptimalityCertificate.check(problem, plan: plan, f: level.f, g: level.g)
        return AssignmentResult(solver: "multiscale-assignment", problem: problem, permutation: level.permutation,
                                f: level.f, g: level.g, iterations: stats.augmentations, rounds: stats.rounds,
                                solverStatus: .optimal, certificate: certificate, seconds: seconds)
    }

    struct Statistics {
        var augmentations = 0
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
            let result = NetworkSimplex().solve(problem)
            let sigma = result.plan.permutation ?? denseFallback(result)
            stats.augmentations += result.iterations
            return LevelSolution(permutation: sigma, f: result.f, g: result.g)
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
        let (candidates, bounds) = CandidateSearch.cheapest(geometry, g: gTilde, perRow: candidatesPerRow)
        if ProcessInfo.processInfo.environment["NSCG"] != nil {
            let t = now()
            let ns = NetworkSimplex(candidates: .columnGeneration(perRow: violationsPerRow), progress: { print("  ns", $0) })
            let r = ns.solve(problem, seedCandidates: candidates)
            progress?("NS column generation: \(r.iterations) pivots, \(secondsSince(t)) s status \(r.status)")
            stats.augmentations += r.iterations
            return LevelSolution(permutation: r.plan.permutation!, f: r.f, g: r.g)
        }
        let engine = SparseAssignmentEngine(geometry: geometry, g: gTilde, candidates: candidates, bounds: bounds,
                                            expansionSize: expansionSize)
        let tolerance = relativeTolerance * max(geometry.costBound, .leastNormalMagnitude)
        var rounds = 0
        while true {
            engine.augmentAll()
            rounds += 1
            let missing = CandidateSearch.violations(geometry, f: engine.f, g: engine.g, tolerance: tolerance,
                                                     perRow: violationsPerRow)
            progress?("level \(depth) n=\(n): round \(rounds), \(engine.candidateCount) candidates, \(engine.expansions) row expansions, \(missing.count) violations, \(engine.augmentations) augmentations")
            if missing.isEmpty { break }
            engine.repair(adding: missing)
        }
        stats.augmentations += engine.augmentations
        if depth == 0 { stats.rounds = rounds }
        progress?("level \(depth) n=\(n): coarse \(tCoarse) s, total \(secondsSince(start)) s")
        return LevelSolution(permutation: engine.permutation, f: engine.f, g: engine.g)
    }

    /// A permutation from a plan that is not one (possible only with ties); rows take their
    /// largest entry. Never used by a tie-free optimal basis with uniform weights.
    private func denseFallback(_ result: TransportResult) -> [Int] {
        var sigma = [Int](repeating: -1, count: result.n)
        var best = [Double](repeating: -1, count: result.n)
        for k in 0..<result.plan.entryCount where result.plan.masses[k] > best[result.plan.sources[k]] {
            best[result.plan.sources[k]] = result.plan.masses[k]
            sigma[result.plan.sources[k]] = result.plan.targets[k]
        }
        return sigma
    }
}

extension CandidateSearch {
    /// h_j = min_i (C_ji − potentials_i) for every source j of `geometry` (the c-transform).
    static func cTransform(_ geometry: Geometry, potentials: [Double]) -> [Double] {
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
