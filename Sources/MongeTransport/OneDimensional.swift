import Foundation
import MongeCore

/// Exact optimal transport on the line by sorting, for any weights.
///
/// For a cost c(x, y) = h(x − y) with h convex (all of `Cost` in one dimension) the monotone
/// coupling is optimal: sort both sets and walk the two cumulative distributions (the north-west
/// corner rule on sorted points; Villani 2003, Rachev & Rüschendorf 1998). The walk's n + m − 1
/// pairs also give potentials, tight on every pair of the walk, which are dual feasible because
/// such costs have the Monge property; the certificate checks it.
public struct OneDimensional: TransportSolver {
    public init() {}

    /// Solves a problem whose points are 1-dimensional; throws otherwise.
    public func solve(_ problem: TransportProblem) throws -> TransportOutput {
        let geometry = problem.geometry
        guard let x = geometry.x, let y = geometry.y, geometry.dimension == 1 else {
            throw MongeError.invalidArgument(name: "problem", message: "the sorting solver needs 1-dimensional points (got dimension \(geometry.dimension))")
        }
        let start = now()
        let masses = IntegerMasses(problem)
        let sourceOrder = (0..<problem.n).sorted { x.storage[$0] < x.storage[$1] || (x.storage[$0] == x.storage[$1] && $0 < $1) }
        let targetOrder = (0..<problem.m).sorted { y.storage[$0] < y.storage[$1] || (y.storage[$0] == y.storage[$1] && $0 < $1) }
        let walk = Self.northWestCorner(masses: masses, sourceOrder: sourceOrder, targetOrder: targetOrder)
        // Potentials along the walk: each step adds one new node, tight on its pair.
        var f = [Double](repeating: .nan, count: problem.n), g = [Double](repeating: .nan, count: problem.m)
        for (k, step) in walk.enumerated() {
            let c = geometry.cost(step.source, step.target)
            if k == 0 { f[step.source] = 0; g[step.target] = c }
            else if f[step.source].isNaN { f[step.source] = c - g[step.target] }
            else { g[step.target] = c - f[step.source] }
        }
        let positive = walk.filter { $0.mass > 0 }
        let plan = TransportPlan(sourceCount: problem.n, targetCount: problem.m, sources: positive.map(\.source),
                                 targets: positive.map(\.target), masses: positive.map { Double($0.mass) * masses.unit })
        let seconds = secondsSince(start)
        let certificate = OptimalityCertificate.check(problem, plan: plan, f: f, g: g)
        return TransportOutput(solver: "sorting-1d", plan: plan, f: f, g: g, iterations: walk.count,
                               termination: .optimal, certificate: .optimality(certificate), seconds: seconds)
    }

    struct Step {
        let source: Int
        let target: Int
        let mass: Int64
    }

    /// The staircase through the sorted orders: n + m − 1 steps, each bringing in one new node.
    static func northWestCorner(masses: IntegerMasses, sourceOrder: [Int], targetOrder: [Int]) -> [Step] {
        var ra = masses.a, rb = masses.b
        var steps: [Step] = []
        steps.reserveCapacity(sourceOrder.count + targetOrder.count)
        var p = 0, q = 0
        let n = sourceOrder.count, m = targetOrder.count
        while true {
            let i = sourceOrder[p], j = targetOrder[q]
            let w = min(ra[i], rb[j])
            steps.append(Step(source: i, target: j, mass: w))
            ra[i] -= w; rb[j] -= w
            if p == n - 1 && q == m - 1 { break }
            if q == m - 1 || (rb[j] > 0 && p < n - 1) { p += 1 } else { q += 1 }
        }
        return steps
    }

    /// The optimal cost between weighted 1-D samples (no plan, no certificate): O((n + m) log).
    ///
    /// Used by sliced Wasserstein; `a` and `b` are normalised to the same total.
    public static func cost(_ x: [Double], _ a: [Double]? = nil, _ y: [Double], _ b: [Double]? = nil,
                            cost: Cost = .squaredEuclidean) -> Double {
        let n = x.count, m = y.count
        let a = a ?? [Double](repeating: 1.0 / Double(n), count: n)
        let b = b ?? [Double](repeating: 1.0 / Double(m), count: m)
        let sa = a.reduce(0, +), sb = b.reduce(0, +)
        let xo = (0..<n).sorted { x[$0] < x[$1] }, yo = (0..<m).sorted { y[$0] < y[$1] }
        var p = 0, q = 0
        var ra = a[xo[0]], rb = b[yo[0]] * sa / sb
        var total = 0.0
        while p < n && q < m {
            let w = min(ra, rb)
            let d = x[xo[p]] - y[yo[q]]
            let c: Double
            switch cost {
            case .squaredEuclidean: c = d * d
            case .euclidean: c = abs(d)
            case let .pNormPower(power): c = pow(abs(d), power)
            }
            total += w * c
            ra -= w; rb -= w
            if ra <= rb {
                p += 1; if p < n { ra = a[xo[p]] }
                if rb <= 0 { q += 1; if q < m { rb = b[yo[q]] * sa / sb } }
            } else {
                q += 1; if q < m { rb = b[yo[q]] * sa / sb }
            }
        }
        return total
    }
}

/// Sliced Wasserstein: the mean over random directions θ of W_2² between the projections ⟨x, θ⟩
/// and ⟨y, θ⟩ (Rabin, Peyré, Delon, Bernot 2011), each exact by sorting. Directions are Gaussian
/// vectors normalised, number k drawn from `RandomStream(seed:)` values k·d ..< (k+1)·d, so the
/// result depends only on the seed and the count.
public enum SlicedWasserstein {
    /// The sliced W₂² estimate and the per-direction values.
    public static func squared(_ x: Matrix<Double>, _ y: Matrix<Double>, a: [Double]? = nil, b: [Double]? = nil,
                               directions: Int = 128, seed: UInt64 = 0) throws -> (value: Double, perDirection: [Double]) {
        guard x.rows > 0, y.rows > 0 else { throw MongeError.invalidArgument(name: "points", message: "an empty point set") }
        guard x.columns == y.columns else { throw MongeError.shapeMismatch("dimension \(x.columns) vs \(y.columns)") }
        guard directions > 0 else { throw MongeError.invalidArgument(name: "directions", message: "must be positive, got \(directions)") }
        try x.checkFinite("source points"); try y.checkFinite("target points")
        let d = x.columns
        let rng = RandomStream(seed: seed, stream: StreamTag.slicedWasserstein)
        let values: [Double] = mapRowChunks(count: directions, rowLength: (x.rows + y.rows) * 8) { range in
            range.map { k -> Double in
                var theta = (0..<d).map { rng.normal(UInt64(k * d + $0)) }
                let norm = theta.reduce(0) { $0 + $1 * $1 }.squareRoot()
                theta = theta.map { $0 / norm }
                let px = (0..<x.rows).map { i in (0..<d).reduce(0.0) { $0 + x[i, $1] * theta[$1] } }
                let py = (0..<y.rows).map { i in (0..<d).reduce(0.0) { $0 + y[i, $1] * theta[$1] } }
                return OneDimensional.cost(px, a, py, b)
            }
        }.flatMap { $0 }
        return (values.reduce(0, +) / Double(directions), values)
    }
}
