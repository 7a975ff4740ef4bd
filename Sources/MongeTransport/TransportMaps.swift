import MongeCore

/// Maps x_i → T(x_i) read off a transport plan.
public enum TransportMaps {
    /// The Monge map on samples: T(x_i) = y_σ(i) for an optimal permutation σ.
    public static func monge(permutation: [Int], targets y: Matrix<Double>) -> Matrix<Double> {
        y.rows(at: permutation)
    }

    /// The barycentric projection T(x_i) = Σ_j P_ij y_j / Σ_j P_ij (the conditional mean of the
    /// target given the source; the Monge map when P is a permutation). Sources without mass map
    /// to NaN-free zeros.
    public static func barycentricProjection(_ plan: TransportPlan, targets y: Matrix<Double>) -> Matrix<Double> {
        precondition(plan.targetCount == y.rows, "plan has \(plan.targetCount) targets, y has \(y.rows) rows")
        let d = y.columns
        var out = Matrix<Double>(rows: plan.sourceCount, columns: d)
        var mass = [Double](repeating: 0, count: plan.sourceCount)
        for k in 0..<plan.entryCount {
            let i = plan.sources[k], j = plan.targets[k], w = plan.masses[k]
            mass[i] += w
            for c in 0..<d { out.storage[i * d + c] += w * y.storage[j * d + c] }
        }
        for i in 0..<plan.sourceCount where mass[i] > 0 {
            for c in 0..<d { out.storage[i * d + c] /= mass[i] }
        }
        return out
    }

    /// The map of a solver's output: the Monge map when an exact plan is a permutation, else the
    /// barycentric projection of the (sparse) plan.
    public static func map(_ output: TransportOutput, targets y: Matrix<Double>) -> Matrix<Double> {
        if output.certificate.optimality != nil, let sigma = output.plan.permutation { return monge(permutation: sigma, targets: y) }
        return barycentricProjection(output.plan, targets: y)
    }
}
