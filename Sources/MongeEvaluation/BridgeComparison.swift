import Foundation

/// How close a map T (a bridge's translation of source points x) comes to optimal transport,
/// measured with exact OT on the same points. All costs are squared Euclidean, means over points.
///
/// - transport cost  c(T) = (1/n) Σ ‖T(x_i) − x_i‖²;
/// - transport gap   (c(T) − W2²(A, B)) / W2²(A, B), with W2²(A, B) the exact cost between the
///   source points and an independent target sample of the same size (cf. the normalised path
///   energy of Tong et al. 2024);
/// - optimality      c(T) / W2²(A, T#A) − 1 ≥ 0: zero exactly when T is the Monge map between its
///   own marginals (the identity coupling of x and T(x) is then optimal), and the mean and max
///   distance between T(x_i) and the exact Monge image T(x)_σ(i) of x_i for those marginals;
/// - realism         W2(T#A, B) next to the sampling floor W2(B′, B) of two target samples;
/// - cycle           ‖x − T_BA(T_AB(x))‖, mean and max (DDIB's code reports the max).
public struct BridgeComparison: Codable, Equatable, Sendable {
    public var n: Int
    public var transportCost: Double
    public var exactW2Squared: Double
    public var transportGap: Double
    public var ownW2Squared: Double
    public var optimalityGap: Double
    public var mongeDeviationMean: Double
    public var mongeDeviationMax: Double
    public var realismW2: Double
    /// W2(B′, B), or nil when no second target sample was given.
    public var samplingFloorW2: Double?
    public var cycleErrorMean: Double?
    public var cycleErrorMax: Double?
    /// Seconds spent in exact OT.
    public var otSeconds: Double

    /// The JSON keys: snake_case, like every output of Monge.
    enum CodingKeys: String, CodingKey {
        case n, transportCost = "transport_cost", exactW2Squared = "exact_w2_squared", transportGap = "transport_gap",
             ownW2Squared = "own_w2_squared", optimalityGap = "optimality_gap",
             mongeDeviationMean = "monge_deviation_mean", mongeDeviationMax = "monge_deviation_max",
             realismW2 = "realism_w2", samplingFloorW2 = "sampling_floor_w2", cycleErrorMean = "cycle_error_mean",
             cycleErrorMax = "cycle_error_max", otSeconds = "ot_seconds"
    }

    /// Measures `mapped` = T(`source`) against `target` (an independent sample of B, same size).
    ///
    /// - Parameters:
    ///   - secondTarget: another independent sample of B (same size) for the sampling floor.
    ///   - cycled: T_BA(T_AB(source)) for the cycle error.
    public static func measure(
        source: Matrix<Double>, mapped: Matrix<Double>, target: Matrix<Double>,
        secondTarget: Matrix<Double>? = nil, cycled: Matrix<Double>? = nil
    ) throws -> BridgeComparison {
        let n = source.rows
        guard n > 0 else { throw MongeError.invalidArgument(name: "source", message: "no points") }
        func check(_ m: Matrix<Double>, _ name: String) throws {
            guard m.rows == n, m.columns == source.columns else {
                throw MongeError.shapeMismatch("\(name) is \(m.rows)×\(m.columns), the source is \(n)×\(source.columns): every set must have the same number of points and dimension")
            }
            try m.checkFinite(name)
        }
        try source.checkFinite("source")
        try check(mapped, "mapped")
        try check(target, "target")
        if let secondTarget { try check(secondTarget, "second target") }
        if let cycled { try check(cycled, "cycled") }

        let squared = PointDistances.rowwise(source, mapped).map { $0 * $0 }
        let transportCost = squared.reduce(0, +) / Double(n)
        let exact = try ExactCoupling(source, target)
        let own = try ExactCoupling(source, mapped)
        let realism = try ExactCoupling(mapped, target)
        let floor = try secondTarget.map { try ExactCoupling($0, target) }

        // The exact Monge image of x_i for the marginals (A, T#A) is mapped row σ(i).
        let mongeImages = mapped.rows(at: own.permutation)
        let deviations = PointDistances.rowwise(mapped, mongeImages)
        let cycleErrors = cycled.map { PointDistances.rowwise(source, $0) }

        return BridgeComparison(
            n: n,
            transportCost: transportCost,
            exactW2Squared: exact.cost,
            transportGap: (transportCost - exact.cost) / exact.cost,
            ownW2Squared: own.cost,
            optimalityGap: own.cost > 0 ? transportCost / own.cost - 1 : 0,
            mongeDeviationMean: deviations.reduce(0, +) / Double(n),
            mongeDeviationMax: deviations.max() ?? 0,
            realismW2: max(realism.cost, 0).squareRoot(),
            samplingFloorW2: floor.map { max($0.cost, 0).squareRoot() },
            cycleErrorMean: cycleErrors.map { $0.reduce(0, +) / Double(n) },
            cycleErrorMax: cycleErrors.map { $0.max() ?? 0 },
            otSeconds: exact.seconds + own.seconds + realism.seconds + (floor?.seconds ?? 0)
        )
    }
}

extension BridgeComparison {
    /// A copy with another timing (timings are the only non-deterministic field).
    public func with(otSeconds: Double) -> BridgeComparison {
        var copy = self
        copy.otSeconds = otSeconds
        return copy
    }
}
