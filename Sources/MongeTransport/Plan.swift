import MongeCore

/// A transport plan stored sparsely: the entries (source, target, mass) with positive mass.
///
/// Exact solvers return plans with at most n + m − 1 entries (a vertex of the transport
/// polytope), so a sparse list is the natural form; `dense()` materialises P for small n, m.
public struct TransportPlan: Sendable, Equatable {
    public let sourceCount: Int
    public let targetCount: Int
    public let sources: [Int]
    public let targets: [Int]
    public let masses: [Double]

    public init(sourceCount: Int, targetCount: Int, sources: [Int], targets: [Int], masses: [Double]) {
        precondition(sources.count == targets.count && targets.count == masses.count, "plan arrays differ in length")
        self.sourceCount = sourceCount
        self.targetCount = targetCount
        self.sources = sources
        self.targets = targets
        self.masses = masses
    }

    /// The plan of a permutation σ with mass `mass` on each pair (i, σ(i)).
    public init(permutation: [Int], mass: Double) {
        self.init(sourceCount: permutation.count, targetCount: permutation.count, sources: Array(permutation.indices),
                  targets: permutation, masses: [Double](repeating: mass, count: permutation.count))
    }

    /// A dense plan matrix with entries below `threshold` dropped.
    public init(dense p: Matrix<Double>, threshold: Double = 0) {
        var s: [Int] = [], t: [Int] = [], w: [Double] = []
        for i in 0..<p.rows { for j in 0..<p.columns where p[i, j] > threshold { s.append(i); t.append(j); w.append(p[i, j]) } }
        self.init(sourceCount: p.rows, targetCount: p.columns, sources: s, targets: t, masses: w)
    }

    public var entryCount: Int { masses.count }

    /// P as a dense n × m matrix.
    public func dense() -> Matrix<Double> {
        var p = Matrix<Double>(rows: sourceCount, columns: targetCount)
        for k in 0..<masses.count { p[sources[k], targets[k]] += masses[k] }
        return p
    }

    /// P 1 (the mass leaving each source).
    public func sourceMarginal() -> [Double] {
        var r = [Double](repeating: 0, count: sourceCount)
        for k in 0..<masses.count { r[sources[k]] += masses[k] }
        return r
    }

    /// Pᵀ 1 (the mass arriving at each target).
    public func targetMarginal() -> [Double] {
        var r = [Double](repeating: 0, count: targetCount)
        for k in 0..<masses.count { r[targets[k]] += masses[k] }
        return r
    }

    /// ⟨P, C⟩ under `geometry`.
    public func cost(_ geometry: Geometry) -> Double {
        var s = 0.0
        for k in 0..<masses.count { s += masses[k] * geometry.cost(sources[k], targets[k]) }
        return s
    }

    /// σ when the plan moves each source wholly to one distinct target and n = m, else nil.
    public var permutation: [Int]? {
        guard sourceCount == targetCount, masses.count == sourceCount else { return nil }
        var sigma = [Int](repeating: -1, count: sourceCount)
        var hit = [Bool](repeating: false, count: targetCount)
        for k in 0..<masses.count {
            let i = sources[k], j = targets[k]
            if sigma[i] >= 0 || hit[j] { return nil }
            sigma[i] = j; hit[j] = true
        }
        return sigma
    }
}
