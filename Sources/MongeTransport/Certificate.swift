import MongeCore

/// A proof that a plan is optimal, checked on the full problem (every pair i, j).
///
/// Linear programming duality: P is optimal if and only if there are potentials f, g with
/// (1) P feasible: P ≥ 0, P 1 = a, Pᵀ 1 = b;
/// (2) dual feasibility: f_i + g_j ≤ C_ij for every pair;
/// (3) complementary slackness: f_i + g_j = C_ij wherever P_ij > 0.
/// Then ⟨P, C⟩ = Σ a_i f_i + Σ b_j g_j. In floating point each condition holds within a tolerance,
/// and the certificate records the worst violation of each.
public struct OptimalityCertificate: Sendable, Codable, Equatable {
    /// max over all (i, j) of f_i + g_j − C_ij, clipped at 0.
    public let maxDualViolation: Double
    /// max over the plan's support of |C_ij − f_i − g_j|.
    public let maxSlackness: Double
    /// max(‖P 1 − a‖∞, ‖Pᵀ 1 − b‖∞); also counts negative entries of P.
    public let maxMarginalError: Double
    /// ⟨P, C⟩.
    public let primalCost: Double
    /// Σ a_i f_i + Σ b_j g_j.
    public let dualCost: Double
    /// The tolerance on dual violation and slackness (relative to the largest |C_ij|).
    public let costTolerance: Double
    /// The tolerance on marginal errors (relative to the total mass).
    public let massTolerance: Double

    /// Whether all three conditions hold within their tolerances.
    public var holds: Bool {
        maxDualViolation <= costTolerance && maxSlackness <= costTolerance && maxMarginalError <= massTolerance
            && maxDualViolation.isFinite && maxSlackness.isFinite && maxMarginalError.isFinite
    }

    /// ⟨P, C⟩ − (Σ a f + Σ b g): zero at an optimum.
    public var dualityGap: Double { primalCost - dualCost }

    /// Default relative tolerance on costs: 1e-9 of the largest |C_ij|.
    public static let defaultCostTolerance = 1e-9
    /// Default relative tolerance on masses: 1e-9 of the total (plus the problem's own tolerance).
    public static let defaultMassTolerance = 1e-9

    public init(maxDualViolation: Double, maxSlackness: Double, maxMarginalError: Double, primalCost: Double,
                dualCost: Double, costTolerance: Double, massTolerance: Double) {
        self.maxDualViolation = maxDualViolation
        self.maxSlackness = maxSlackness
        self.maxMarginalError = maxMarginalError
        self.primalCost = primalCost
        self.dualCost = dualCost
        self.costTolerance = costTolerance
        self.massTolerance = massTolerance
    }

    /// How dual feasibility (2) is checked on all pairs.
    public enum DualCheck: String, Sendable, CaseIterable, Codable {
        /// `tree` for two 2-D point clouds under the squared Euclidean cost, else `scan`.
        case auto
        /// Evaluate every pair (n·m costs): any cost, any dimension. The reference.
        case scan
        /// Per target, a branch-and-bound search of a k-d tree over the sources (`PlanarTree`):
        /// about O(log n) pairs per target, the same numbers as `scan` to the last bit. Only for
        /// 2-D points under the squared Euclidean cost (other costs keep the scan).
        case tree
    }

    /// Whether `check` can use `DualCheck.tree` on `geometry`.
    public static func treeApplies(to geometry: Geometry) -> Bool { PlanarSearch.applies(to: geometry) }

    /// Checks (1)–(3) for `plan` and potentials `f`, `g` on every pair of `problem`.
    ///
    /// Dual feasibility covers all n·m pairs without storing C: by a scan computed row by row in
    /// parallel, or (`dualCheck` .auto or .tree, squared Euclidean costs in 2-D) by k-d tree
    /// searches that skip only pairs proved not to matter, with identical results. Tolerances are
    /// relative: `relativeCostTolerance` × max |C_ij| and `relativeMassTolerance` × total mass
    /// (plus the problem's own mass tolerance). Throws when `.tree` is asked for where it does not apply.
    public static func check(
        _ problem: TransportProblem, plan: TransportPlan, f: [Double], g: [Double],
        relativeCostTolerance: Double = defaultCostTolerance, relativeMassTolerance: Double = defaultMassTolerance,
        dualCheck: DualCheck
    ) throws -> OptimalityCertificate {
        if dualCheck == .tree && !treeApplies(to: problem.geometry) {
            throw MongeError.invalidArgument(
                name: "dual check", message: "the tree check needs 2-D points under the squared Euclidean cost (got \(problem.geometry.dimension)-D, \(problem.geometry.cost)); use the scan")
        }
        return check(problem, plan: plan, f: f, g: g, relativeCostTolerance: relativeCostTolerance,
                     relativeMassTolerance: relativeMassTolerance, useTree: dualCheck != .scan && treeApplies(to: problem.geometry))
    }

    /// `check` with `DualCheck.auto`: the tree for squared Euclidean costs in 2-D, else the scan.
    public static func check(
        _ problem: TransportProblem, plan: TransportPlan, f: [Double], g: [Double],
        relativeCostTolerance: Double = defaultCostTolerance, relativeMassTolerance: Double = defaultMassTolerance
    ) -> OptimalityCertificate {
        check(problem, plan: plan, f: f, g: g, relativeCostTolerance: relativeCostTolerance,
              relativeMassTolerance: relativeMassTolerance, useTree: treeApplies(to: problem.geometry))
    }

    private static func check(
        _ problem: TransportProblem, plan: TransportPlan, f: [Double], g: [Double],
        relativeCostTolerance: Double, relativeMassTolerance: Double, useTree: Bool
    ) -> OptimalityCertificate {
        let geometry = problem.geometry
        let n = problem.n, m = problem.m
        precondition(f.count == n && g.count == m, "potentials of length \(f.count), \(g.count) for \(n)×\(m)")
        // A NaN potential makes every comparison false: report it as an infinite violation.
        let potentialsFinite = f.allSatisfy(\.isFinite) && g.allSatisfy(\.isFinite)
        let violation: Double, largest: Double
        if useTree {
            (violation, largest) = PlanarSearch.largestViolationAndCost(geometry, f: f, g: g, potentials: potentialsFinite)
        } else {
            (violation, largest) = scanViolationAndCost(geometry, f: f, g: g)
        }

        // (3) and (1) over the plan's entries.
        var slack = 0.0, primal = 0.0, negative = 0.0
        for k in 0..<plan.masses.count {
            let i = plan.sources[k], j = plan.targets[k], w = plan.masses[k]
            let c = geometry.cost(i, j)
            primal += w * c
            if w < 0 { negative = max(negative, -w) }
            if w > 0 { slack = max(slack, abs(c - f[i] - g[j])) }
        }
        let rows = plan.sourceMarginal(), columns = plan.targetMarginal()
        var marginal = negative
        for i in 0..<n { marginal = max(marginal, abs(rows[i] - problem.a[i])) }
        for j in 0..<m { marginal = max(marginal, abs(columns[j] - problem.b[j])) }
        var dual = 0.0
        for i in 0..<n { dual += problem.a[i] * f[i] }
        for j in 0..<m { dual += problem.b[j] * g[j] }
        let total = problem.totalMass
        return OptimalityCertificate(
            maxDualViolation: potentialsFinite ? violation : .infinity,
            maxSlackness: potentialsFinite ? slack : .infinity,
            maxMarginalError: plan.masses.allSatisfy(\.isFinite) ? marginal : .infinity,
            primalCost: primal, dualCost: dual,
            costTolerance: relativeCostTolerance * largest,
            massTolerance: (relativeMassTolerance + problem.massTolerance) * total)
    }

    /// (max(0, max_ij f_i + g_j − C_ij), max_ij |C_ij|) by evaluating every pair, row by row in parallel.
    static func scanViolationAndCost(_ geometry: Geometry, f: [Double], g: [Double]) -> (Double, Double) {
        let n = geometry.sourceCount, m = geometry.targetCount
        let partial: [(Double, Double)] = f.withUnsafeBufferPointer { fp in
            g.withUnsafeBufferPointer { gp in
                nonisolated(unsafe) let fb = fp.baseAddress!, gb = gp.baseAddress!
                return mapRowChunks(count: n, rowLength: m) { rows -> (Double, Double) in
                    let row = UnsafeMutablePointer<Double>.allocate(capacity: m)
                    defer { row.deallocate() }
                    var violation = -Double.infinity, largest = 0.0
                    for i in rows {
                        geometry.costRow(i, columns: 0..<m, into: row)
                        let fi = fb[i]
                        for j in 0..<m {
                            let c = row[j]
                            violation = max(violation, fi + gb[j] - c)
                            largest = max(largest, abs(c))
                        }
                    }
                    return (violation, largest)
                }
            }
        }
        return (max(0, partial.map(\.0).max() ?? 0), partial.map(\.1).max() ?? 0)
    }
}

extension OptimalityCertificate {
    /// The pairs that violate dual feasibility: for each source i, up to `perRow` targets j with
    /// C_ij − f_i − g_j < −`tolerance` (absolute), the most violating first, as (i, j, C_ij). Empty
    /// exactly when (f, g) is dual feasible within `tolerance` on all pairs. `dualCheck` chooses
    /// the scan or the k-d tree (same pairs); throws when `.tree` does not apply.
    public static func violatingPairs(
        _ geometry: Geometry, f: [Double], g: [Double], tolerance: Double, perRow: Int = 1, dualCheck: DualCheck = .auto
    ) throws -> [(source: Int, target: Int, cost: Double)] {
        guard f.count == geometry.sourceCount, g.count == geometry.targetCount else {
            throw MongeError.shapeMismatch("potentials of length \(f.count), \(g.count) for \(geometry.sourceCount)×\(geometry.targetCount) points")
        }
        guard perRow >= 1 else { throw MongeError.invalidArgument(name: "perRow", message: "must be ≥ 1, got \(perRow)") }
        if dualCheck == .tree && !treeApplies(to: geometry) {
            throw MongeError.invalidArgument(
                name: "dual check", message: "the tree check needs 2-D points under the squared Euclidean cost (got \(geometry.dimension)-D, \(geometry.cost)); use the scan")
        }
        return CandidateSearch.violations(geometry, f: f, g: g, tolerance: tolerance, perRow: perRow, useTree: dualCheck != .scan)
            .map { (source: $0.0, target: $0.1, cost: $0.2) }
    }
}
