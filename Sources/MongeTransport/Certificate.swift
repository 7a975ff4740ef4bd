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

    /// Checks (1)–(3) for `plan` and potentials `f`, `g` on every pair of `problem`.
    ///
    /// The dual-feasibility scan costs n·m cost evaluations, computed row by row in parallel
    /// without storing C. Tolerances are relative: `relativeCostTolerance` × max |C_ij| and
    /// `relativeMassTolerance` × total mass (plus the problem's own mass tolerance).
    public static func check(
        _ problem: TransportProblem, plan: TransportPlan, f: [Double], g: [Double],
        relativeCostTolerance: Double = defaultCostTolerance, relativeMassTolerance: Double = defaultMassTolerance
    ) -> OptimalityCertificate {
        let geometry = problem.geometry
        let n = problem.n, m = problem.m
        precondition(f.count == n && g.count == m, "potentials of length \(f.count), \(g.count) for \(n)×\(m)")
        // (2) over all pairs, and the largest |C| for the tolerance.
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
        let violation = max(0, partial.map(\.0).max() ?? 0)
        let largest = partial.map(\.1).max() ?? 0
        // A NaN potential makes every comparison false: report it as an infinite violation.
        let potentialsFinite = f.allSatisfy(\.isFinite) && g.allSatisfy(\.isFinite)

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
}
