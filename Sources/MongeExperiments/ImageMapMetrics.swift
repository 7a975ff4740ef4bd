import Foundation
import MongeBridges
import MongeEvaluation

/// The metrics of one image map T on source images x (issue 11, item 6), as one results row:
///
/// - faithfulness: mean L2 ‖x − T(x)‖, PSNR and SSIM between x and T(x) (data range 2);
/// - transport: c(T) = mean ‖x − T(x)‖² against the exact W2²(A, B) between source and target
///   test images (certified), their relative gap, and the optimality of T's own coupling,
///   c(T)/W2²(x, T(x)) − 1 ≥ 0 (zero when x ↦ T(x) is the Monge map between its own marginals);
/// - cycle: mean ‖x − T_BA(T_AB(x))‖ and the mean PSNR of the cycled images against x, over the
///   first rows of x when fewer were mapped back (`ImagePlan.cycleImages`);
/// - realism (with a classifier): accuracy of T(x) as the target class, and the Fréchet distance
///   of the classifier's penultimate features of T#A against held-out target images, beside the
///   floor between two target samples. NaN (written "–"/null) when no classifier is given.
public struct ImageMapMetrics: Sendable, Equatable {
    public var l2: Double
    public var psnr: Double
    public var ssim: Double
    public var transportCost: Double
    public var exactW2Squared: Double
    public var transportGap: Double
    public var ownW2Squared: Double
    public var optimalityGap: Double
    public var cycleError: Double
    public var cyclePSNR: Double
    public var targetAccuracy: Double
    public var frechet: Double
    public var frechetFloor: Double

    /// The metric columns, in table order.
    public static let columns = ["target_accuracy", "frechet", "frechet_floor", "l2", "psnr", "ssim",
                                 "transport_cost", "exact_w2_squared", "transport_gap", "optimality_gap",
                                 "cycle_error", "cycle_psnr"]

    /// Images in [−1, 1]: PSNR's and SSIM's data range.
    public static let dataRange = 2.0

    /// Measures T from x, T(x) and T_BA(T_AB(x)); `exactW2Squared` is W2²(A, B) of the pair.
    public static func measure(source x: Matrix<Double>, mapped: Matrix<Double>, cycled: Matrix<Double>,
                               exactW2Squared: Double, shape: ImageShape, ssim: StructuralSimilarity,
                               realism: Realism? = nil) throws -> ImageMapMetrics {
        guard mapped.shape == x.shape else { throw MongeError.shapeMismatch("mapped images are \(mapped.shape), the sources \(x.shape)") }
        guard cycled.columns == x.columns, cycled.rows >= 1, cycled.rows <= x.rows else {
            throw MongeError.shapeMismatch("cycled images are \(cycled.shape): expected 1…\(x.rows) rows (the first sources) of \(x.columns) columns")
        }
        try mapped.checkFinite("mapped")
        try cycled.checkFinite("cycled")
        let cycleSources = cycled.rows == x.rows ? x : x.rows(0..<cycled.rows)
        let n = Double(x.rows)
        func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(max(v.count, 1)) }
        let distances = try ImageDistances.l2(x, mapped)
        let cost = mean(distances.map { $0 * $0 })
        let own = try ExactCoupling(x, mapped)
        return ImageMapMetrics(
            l2: distances.reduce(0, +) / n,
            psnr: mean(try ImageDistances.psnr(x, mapped, dataRange: dataRange)),
            ssim: mean(try ssim.indices(x, mapped, height: shape.height, width: shape.width)),
            transportCost: cost, exactW2Squared: exactW2Squared,
            transportGap: (cost - exactW2Squared) / exactW2Squared,
            ownW2Squared: own.cost, optimalityGap: own.cost > 0 ? cost / own.cost - 1 : 0,
            cycleError: mean(try ImageDistances.l2(cycleSources, cycled)),
            cyclePSNR: mean(try ImageDistances.psnr(cycleSources, cycled, dataRange: dataRange)),
            targetAccuracy: realism?.accuracy ?? .nan, frechet: realism?.frechet ?? .nan, frechetFloor: realism?.floor ?? .nan)
    }

    /// The classifier-based columns of one map.
    public struct Realism: Sendable, Equatable {
        public var accuracy: Double
        public var frechet: Double
        public var floor: Double

        public init(accuracy: Double, frechet: Double, floor: Double) {
            self.accuracy = accuracy
            self.frechet = frechet
            self.floor = floor
        }
    }

    /// The row of `columns`.
    public var row: [String: ResultsTable.Cell] {
        ["target_accuracy": .number(targetAccuracy), "frechet": .number(frechet), "frechet_floor": .number(frechetFloor),
         "l2": .number(l2), "psnr": .number(psnr), "ssim": .number(ssim),
         "transport_cost": .number(transportCost), "exact_w2_squared": .number(exactW2Squared),
         "transport_gap": .number(transportGap), "optimality_gap": .number(optimalityGap),
         "cycle_error": .number(cycleError), "cycle_psnr": .number(cyclePSNR)]
    }
}
