import Foundation
import MongeCore

/// Entropic optimal transport by log-domain Sinkhorn iterations with ε-scaling (annealing).
///
/// Solves min_P ⟨P, C⟩ + ε KL(P ‖ a⊗b) over couplings of a and b (Cuturi 2013; log-domain
/// stabilisation and ε-scaling: Schmitzer 2019, Peyré & Cuturi 2019 §4.4). The plan is
/// P_ij = a_i b_j exp((f_i + g_j − C_ij)/ε) and the updates are the soft c-transforms
///   f_i = −ε log Σ_j b_j exp((g_j − C_ij)/ε),   g_j = −ε log Σ_i a_i exp((f_i − C_ij)/ε),
/// evaluated with the max-shift (log-sum-exp), so nothing under- or overflows at small ε.
/// ε starts at `initialEpsilon` (default: the largest cost bound) and is multiplied by
/// `scalingFactor` per stage down to `epsilon`, warm-starting the potentials. Costs are computed
/// row by row; memory is O(n + m).
public struct Sinkhorn: TransportSolver {
    /// The final regularisation ε, in cost units.
    public var epsilon: Double
    /// The first ε of the annealing (nil: the problem's largest cost bound).
    public var initialEpsilon: Double?
    /// ε_{k+1} = max(epsilon, scalingFactor · ε_k).
    public var scalingFactor: Double
    /// Stop when ‖P 1 − a‖₁ + ‖Pᵀ 1 − b‖₁ ≤ tolerance × total mass (the columns are exact after each sweep).
    public var tolerance: Double
    /// Marginal tolerance of the intermediate stages (looser: only a warm start).
    public var stageTolerance: Double
    /// Total sweep limit over all stages; reaching it gives status `notConverged`.
    public var maxIterations: Int
    /// Called with (ε, sweep, marginal error) every `progressInterval` sweeps (nil: silent).
    public var progress: (@Sendable (Double, Int, Double) -> Void)?
    public var progressInterval: Int = 100
    /// The output's sparse plan keeps the entries of P above this × its largest entry (0: every
    /// positive entry).
    public var planThreshold: Double

    public init(epsilon: Double, initialEpsilon: Double? = nil, scalingFactor: Double = 0.5, tolerance: Double = 1e-9,
                stageTolerance: Double = 1e-4, maxIterations: Int = 100_000, planThreshold: Double = 1e-12,
                progress: (@Sendable (Double, Int, Double) -> Void)? = nil) {
        self.epsilon = epsilon
        self.initialEpsilon = initialEpsilon
        self.scalingFactor = scalingFactor
        self.tolerance = tolerance
        self.stageTolerance = stageTolerance
        self.maxIterations = maxIterations
        self.planThreshold = planThreshold
        self.progress = progress
    }

    public func solve(_ problem: TransportProblem) throws -> TransportOutput {
        guard epsilon > 0, epsilon.isFinite else {
            throw MongeError.invalidArgument(name: "epsilon", message: "must be positive and finite, got \(epsilon)")
        }
        guard scalingFactor > 0, scalingFactor < 1 || initialEpsilon == epsilon else {
            throw MongeError.invalidArgument(name: "scaling factor", message: "must be in (0, 1), got \(scalingFactor)")
        }
        let start = now()
        let geometry = problem.geometry
        let transposed = try geometry.transposed()
        let logA = problem.a.map { log($0) }, logB = problem.b.map { log($0) }
        let total = problem.totalMass
        var f = [Double](repeating: 0, count: problem.n)
        var g = [Double](repeating: 0, count: problem.m)
        var history: [Double] = []
        var iterations = 0
        var eps = max(initialEpsilon ?? geometry.costBound, epsilon)
        var converged = false
        stages: while true {
            let final = eps <= epsilon
            let target = (final ? tolerance : max(tolerance, stageTolerance)) * total
            while iterations < maxIterations {
                let fNew = Sinkhorn.softMin(geometry, other: g, logWeights: logB, epsilon: eps)
                // Row marginals of the previous plan: a_i exp((f_i − f_i^new)/ε).
                var error = 0.0
                for i in 0..<f.count where problem.a[i] > 0 { error += abs(problem.a[i] * expm1((f[i] - fNew[i]) / eps)) }
                f = fNew
                g = Sinkhorn.softMin(transposed, other: f, logWeights: logA, epsilon: eps)
                iterations += 1
                history.append(error)
                if let progress, iterations % progressInterval == 0 { progress(eps, iterations, error) }
                if error <= target && iterations > 1 {
                    if final { converged = true; break stages }
                    break
                }
            }
            if iterations >= maxIterations { break }
            eps = max(epsilon, eps * scalingFactor)
        }
        let seconds = secondsSince(start)
        let certificate = Sinkhorn.certificate(problem, epsilon: eps, f: f, g: g, errorHistory: history)
        let dense = Sinkhorn.densePlan(problem, epsilon: eps, f: f, g: g)
        let plan = TransportPlan(dense: dense, threshold: planThreshold * (dense.storage.max() ?? 0))
        return TransportOutput(solver: "sinkhorn", plan: plan, f: f, g: g, iterations: iterations,
                               termination: converged ? .converged : .notConverged, certificate: .entropic(certificate),
                               seconds: seconds)
    }

    /// For each source i of `geometry`: −ε log Σ_j exp(logWeights_j + (other_j − C_ij)/ε).
    static func softMin(_ geometry: Geometry, other: [Double], logWeights: [Double], epsilon: Double) -> [Double] {
        let m = geometry.targetCount
        let inverse = 1 / epsilon
        let chunks: [[Double]] = other.withUnsafeBufferPointer { op in
            logWeights.withUnsafeBufferPointer { wp in
                nonisolated(unsafe) let o = op.baseAddress!, w = wp.baseAddress!
                return mapRowChunks(count: geometry.sourceCount, rowLength: m) { rows in
                    let row = UnsafeMutablePointer<Double>.allocate(capacity: m)
                    defer { row.deallocate() }
                    return rows.map { i in
                        geometry.costRow(i, columns: 0..<m, into: row)
                        let scale = SIMD4<Double>(repeating: inverse)
                        var top = SIMD4<Double>(repeating: -.infinity)
                        var j = 0
                        while j + 4 <= m {
                            let c = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD4<Double>.self)
                            let pot = UnsafeRawPointer(o + j).loadUnaligned(as: SIMD4<Double>.self)
                            let lw = UnsafeRawPointer(w + j).loadUnaligned(as: SIMD4<Double>.self)
                            let v = lw + (pot - c) * scale
                            UnsafeMutableRawPointer(row + j).storeBytes(of: v, as: SIMD4<Double>.self)
                            top.replace(with: v, where: v .> top)
                            j += 4
                        }
                        var largest = top.max()
                        while j < m {
                            let v = w[j] + (o[j] - row[j]) * inverse
                            row[j] = v
                            if v > largest { largest = v }
                            j += 1
                        }
                        if largest == -.infinity { return .infinity }
                        return -epsilon * (largest + log(sumExp(row, count: m, shift: largest)))
                    }
                }
            }
        }
        return chunks.flatMap { $0 }
    }
}

extension Sinkhorn {
    /// The costs and the marginal error of P_ij = a_i b_j exp((f_i + g_j − C_ij)/ε), in one pass over P.
    static func certificate(_ problem: TransportProblem, epsilon: Double, f: [Double], g: [Double],
                            errorHistory: [Double]) -> EntropicCertificate {
        // One pass over P for the costs and both marginals.
        let m = problem.m
        let parts: [(Double, Double, [Double], [Double])] = mapRowChunks(count: problem.n, rowLength: m) { rows in
            let row = UnsafeMutablePointer<Double>.allocate(capacity: m)
            defer { row.deallocate() }
            var linear = 0.0, potentialMass = 0.0
            var rowSums: [Double] = []
            var columnSums = [Double](repeating: 0, count: m)
            for i in rows {
                problem.geometry.costRow(i, columns: 0..<m, into: row)
                var rowSum = 0.0
                for j in 0..<m {
                    let p = problem.a[i] * problem.b[j] * exp((f[i] + g[j] - row[j]) / epsilon)
                    linear += p * row[j]
                    if p > 0 { potentialMass += p * (f[i] + g[j]) }
                    rowSum += p
                    columnSums[j] += p
                }
                rowSums.append(rowSum)
            }
            return (linear, potentialMass, rowSums, columnSums)
        }
        let linearCost = parts.reduce(0) { $0 + $1.0 }
        let rowSums = parts.flatMap { $0.2 }
        var columnSums = [Double](repeating: 0, count: m)
        for part in parts { for j in 0..<m { columnSums[j] += part.3[j] } }
        let planMass = rowSums.reduce(0, +)
        let productMass = problem.a.reduce(0, +) * problem.b.reduce(0, +)
        // KL(P ‖ ab) = Σ P log(P/ab) − Σ P + Σ ab, with log(P/ab) = (f + g − C)/ε.
        let entropicCost = parts.reduce(0) { $0 + $1.1 } - epsilon * planMass + epsilon * productMass
        var error = 0.0
        for i in 0..<problem.n { error += abs(rowSums[i] - problem.a[i]) }
        for j in 0..<m { error += abs(columnSums[j] - problem.b[j]) }
        return EntropicCertificate(epsilon: epsilon, primalCost: linearCost, entropicCost: entropicCost, marginalError: error,
                                   errorHistory: errorHistory)
    }

    /// The dense plan P (n × m).
    static func densePlan(_ problem: TransportProblem, epsilon: Double, f: [Double], g: [Double]) -> Matrix<Double> {
        Matrix(rows: problem.n, columns: problem.m) { i, j in
            problem.a[i] * problem.b[j] * exp((f[i] + g[j] - problem.geometry.cost(i, j)) / epsilon)
        }
    }
}
