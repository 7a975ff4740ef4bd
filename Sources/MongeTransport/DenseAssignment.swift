import MongeCore

/// Exact assignment on the full n × n problem by shortest augmenting paths (Jonker & Volgenant
/// 1987): column reduction and a greedy start, then one dense Dijkstra search per free row over
/// reduced costs C_ij − f_i − g_j ≥ 0. Rows of C are computed when a search reaches them, so
/// memory is O(n); time is O(n²) per augmentation at worst. The reference solver for small and
/// medium n, and for explicit cost matrices (where the multiscale solver has no points).
public struct DenseAssignment: TransportSolver {
    public init() {}

    /// Solves an assignment problem (n = m, uniform weights); throws otherwise.
    public func solve(_ problem: TransportProblem) throws -> TransportOutput {
        try problem.requireAssignment()
        let start = now()
        let geometry = problem.geometry
        let n = problem.n
        var f = [Double](repeating: 0, count: n)
        var g = [Double](repeating: .infinity, count: n)
        var columnOfRow = [Int](repeating: -1, count: n)
        var rowOfColumn = [Int](repeating: -1, count: n)
        let row = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { row.deallocate() }

        // Column reduction g_j = min_i C_ij, then f = c-transform and a greedy matching on tight pairs.
        for i in 0..<n {
            geometry.costRow(i, columns: 0..<n, into: row)
            for j in 0..<n where row[j] < g[j] { g[j] = row[j] }
        }
        for i in 0..<n {
            geometry.costRow(i, columns: 0..<n, into: row)
            var best = Double.infinity, bestJ = 0
            for j in 0..<n { let v = row[j] - g[j]; if v < best { best = v; bestJ = j } }
            f[i] = best
            if rowOfColumn[bestJ] < 0 { rowOfColumn[bestJ] = i; columnOfRow[i] = bestJ }
        }

        var distance = [Double](repeating: 0, count: n)
        var predecessor = [Int](repeating: 0, count: n)
        var done = [Bool](repeating: false, count: n)
        var finalized: [Int] = []
        var augmentations = 0
        for s in 0..<n where columnOfRow[s] < 0 {
            augmentations += 1
            geometry.costRow(s, columns: 0..<n, into: row)
            for j in 0..<n { distance[j] = row[j] - f[s] - g[j]; predecessor[j] = s; done[j] = false }
            finalized.removeAll(keepingCapacity: true)
            var sink = -1, sinkDistance = 0.0
            while sink < 0 {
                var best = Double.infinity, j = -1
                for k in 0..<n where !done[k] && distance[k] < best { best = distance[k]; j = k }
                done[j] = true
                finalized.append(j)
                let owner = rowOfColumn[j]
                if owner < 0 { sink = j; sinkDistance = best; break }
                geometry.costRow(owner, columns: 0..<n, into: row)
                let base = best - f[owner]
                for k in 0..<n where !done[k] {
                    let d = base + row[k] - g[k]
                    if d < distance[k] { distance[k] = d; predecessor[k] = owner }
                }
            }
            for j in finalized where j != sink {
                let delta = sinkDistance - distance[j]
                g[j] -= delta
                f[rowOfColumn[j]] += delta
            }
            f[s] += sinkDistance
            var j = sink
            while true {
                let i = predecessor[j]
                let previous = columnOfRow[i]
                columnOfRow[i] = j
                rowOfColumn[j] = i
                f[i] = geometry.cost(i, j) - g[j]
                if i == s { break }
                j = previous
            }
        }
        let seconds = secondsSince(start)
        let plan = TransportPlan(permutation: columnOfRow, mass: problem.a[0])
        let certificate = OptimalityCertificate.check(problem, plan: plan, f: f, g: g)
        return TransportOutput(solver: "dense-assignment", plan: plan, f: f, g: g, iterations: augmentations,
                               termination: .optimal, certificate: .optimality(certificate), seconds: seconds)
    }
}
