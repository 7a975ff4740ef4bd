import Foundation
import MongeNN

/// A trained 2-D MUNIT measured as a translator A → B: the transport metrics of
/// `BridgeComparison` (the translation with one prior style per point, its cycle back with the
/// point's own style) and MUNIT's own questions — reconstruction, content preservation,
/// multimodality, and whether the output's shell is set by the style or by the point.
public struct MUNITEvaluation: Codable, Equatable, Sendable {
    public var n: Int
    /// Mean |x − dec(content(x), style(x))| per coordinate (MUNIT's image reconstruction L1), A and B.
    public var reconstructionA: Double
    public var reconstructionB: Double
    /// T(x) = dec_B(content_A(x), s), s ~ N(0, I) one per point, against exact OT; the cycle is
    /// dec_A(content_B(T(x)), style_A(x)) (MUNIT's x_aba).
    public var comparison: BridgeComparison
    /// c(T)/W2²(A, B) with prior styles, and with s = 0 for every point.
    public var costRatio: Double
    public var costRatioAtZeroStyle: Double
    /// Fisher–Lee circular correlation of the polar angles of x and T(x).
    public var circularCorrelation: Double
    /// The target shells of 100 prior styles from source row 0, per shell; and the number of
    /// shells reached from each of the first `styleProbes` source rows, averaged.
    public var shellCountsFromOnePoint: [Int]?
    public var shellsReachedFromOnePoint: Int?
    public var meanShellsReached: Double?
    /// Leave-one-out 1-NN accuracy of the output shell predicted from the style s, from the source
    /// point x, and the chance level Σ p_k² (on the n translated points).
    public var shellAccuracyFromStyle: Double?
    public var shellAccuracyFromPoint: Double?
    public var shellChance: Double?
    /// The spread of T(x, s) over 100 prior styles, √(mean ‖T − mean_s T‖²), averaged over the
    /// probed source rows: 0 when the output ignores s.
    public var styleSpread: Double

    /// The JSON keys: snake_case, like every output of Monge.
    enum CodingKeys: String, CodingKey {
        case n, comparison, reconstructionA = "reconstruction_a", reconstructionB = "reconstruction_b", costRatio = "cost_ratio",
             costRatioAtZeroStyle = "cost_ratio_at_zero_style", circularCorrelation = "circular_correlation",
             shellCountsFromOnePoint = "shell_counts_from_one_point",
             shellsReachedFromOnePoint = "shells_reached_from_one_point", meanShellsReached = "mean_shells_reached",
             shellAccuracyFromStyle = "shell_accuracy_from_style",
             shellAccuracyFromPoint = "shell_accuracy_from_point", shellChance = "shell_chance",
             styleSpread = "style_spread"
    }

    /// Styles drawn per probed source point.
    public static let stylesPerPoint = 100
    /// Source rows probed for multimodality.
    public static let styleProbes = 20

    /// The prior styles `measure` translates `n` points with (one per row, from `seed`): the
    /// styles of its `comparison`.
    public static func styles(n: Int, dimension: Int, seed: UInt64) -> Matrix<Float> {
        RandomStream(seed: seed, stream: StreamTag.munitEvaluation).substream(1).normalMatrix(rows: n, columns: dimension, firstRow: 0)
    }

    /// T(x) = dec(content(x), styles) from `sourceDomain`, its cycle dec(content(T(x)), style(x))
    /// (MUNIT's x_aba) and their `BridgeComparison` against `target` and `secondTarget`.
    public static func compare(model: MUNIT<Float>, generator: [Float], source: Matrix<Double>, sourceDomain: MUNITDomain = .a,
                               styles: Matrix<Float>, target: Matrix<Double>, secondTarget: Matrix<Double>) throws
        -> (comparison: BridgeComparison, mapped: Matrix<Double>, cycled: Matrix<Double>) {
        guard source.columns == model.config.dimension, styles.rows == source.rows, styles.columns == model.config.style else {
            throw MongeError.shapeMismatch("MUNIT takes \(model.config.dimension)-D points with \(model.config.style)-D styles, one per point; got \(source.rows) × \(source.columns) points and \(styles.rows) × \(styles.columns) styles")
        }
        let x: Matrix<Float> = source.converted()
        let mapped = model.translate(from: sourceDomain, x, style: styles, generator: generator)
        let cycled = model.decode(sourceDomain, content: model.content(sourceDomain.other, mapped, generator: generator),
                                  style: model.style(sourceDomain, x, generator: generator), generator: generator)
        let (m, c): (Matrix<Double>, Matrix<Double>) = (mapped.converted(), cycled.converted())
        try m.checkFinite("MUNIT's translation")
        let comparison = try BridgeComparison.measure(source: source, mapped: m, target: target, secondTarget: secondTarget, cycled: c)
        return (comparison, m, c)
    }

    /// Measures `model` with `generator` on `source` (points of A), `target` and `secondTarget`
    /// (independent samples of B, same size), with `targetShells` (when B is a concentric set) and
    /// prior styles drawn from `seed`.
    public static func measure(model: MUNIT<Float>, generator: [Float], source: Matrix<Double>, sourceDomain: MUNITDomain = .a,
                               target: Matrix<Double>, secondTarget: Matrix<Double>, targetShells: ConcentricShells?,
                               seed: UInt64) throws -> MUNITEvaluation {
        let n = source.rows, s = model.config.style
        guard source.columns == model.config.dimension else {
            throw MongeError.shapeMismatch("the source has \(source.columns) columns, the model takes \(model.config.dimension)-D points")
        }
        try source.checkFinite("source")
        try target.checkFinite("target")
        let x: Matrix<Float> = source.converted(), y: Matrix<Float> = target.converted()
        let from = sourceDomain, to = sourceDomain.other
        let root = RandomStream(seed: seed, stream: StreamTag.munitEvaluation)
        func meanAbs(_ a: Matrix<Float>, _ b: Matrix<Float>) -> Double {
            zip(a.storage, b.storage).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(max(a.count, 1))
        }
        let reconstruction = [meanAbs(model.reconstruct(from, x, generator: generator), x),
                              meanAbs(model.reconstruct(to, y, generator: generator), y)]

        let styles = Self.styles(n: n, dimension: s, seed: seed)
        let (comparison, mappedPoints, _) = try compare(model: model, generator: generator, source: source, sourceDomain: from,
                                                        styles: styles, target: target, secondTarget: secondTarget)
        let mapped: Matrix<Float> = mappedPoints.converted()
        let atZero: Matrix<Double> = model.translate(from: from, x, style: Matrix(rows: n, columns: s), generator: generator).converted()
        let zeroCost = PointDistances.rowwise(source, atZero).reduce(0.0) { $0 + $1 * $1 } / Double(n)
        let correlation = try CircularCorrelation.fisherLee(try CircularCorrelation.angles(source),
                                                            try CircularCorrelation.angles(mapped.converted()))

        // Multimodality: 100 prior styles from each of the first probes source rows.
        let probes = min(styleProbes, n), k = stylesPerPoint
        var spread = 0.0
        var reached: [Int] = []
        var fromFirst: [Int]?
        for i in 0..<probes {
            let repeated = Matrix<Float>(rows: k, columns: source.columns) { _, j in x[i, j] }
            let probeStyles: Matrix<Float> = root.substream(2, UInt64(i)).normalMatrix(rows: k, columns: s, firstRow: 0)
            let outputs: Matrix<Double> = model.translate(from: from, repeated, style: probeStyles, generator: generator).converted()
            let centre = outputs.columnMeans()
            var sum = 0.0
            for r in 0..<k { for j in 0..<outputs.columns { let d = outputs[r, j] - centre[j]; sum += d * d } }
            spread += (sum / Double(k)).squareRoot()
            if let targetShells {
                let counts = try targetShells.counts(outputs)
                if i == 0 { fromFirst = counts }
                reached.append(counts.filter { $0 > 0 }.count)
            }
        }
        var result = MUNITEvaluation(
            n: n, reconstructionA: reconstruction[0], reconstructionB: reconstruction[1], comparison: comparison,
            costRatio: comparison.transportCost / comparison.exactW2Squared, costRatioAtZeroStyle: zeroCost / comparison.exactW2Squared,
            circularCorrelation: correlation, styleSpread: spread / Double(probes))
        if let targetShells {
            let labels = try targetShells.shells(mapped.converted())
            result.shellCountsFromOnePoint = fromFirst
            result.shellsReachedFromOnePoint = fromFirst?.filter { $0 > 0 }.count
            result.meanShellsReached = Double(reached.reduce(0, +)) / Double(max(reached.count, 1))
            result.shellAccuracyFromStyle = try NearestNeighbour.leaveOneOutAccuracy(features: styles.converted(), labels: labels)
            result.shellAccuracyFromPoint = try NearestNeighbour.leaveOneOutAccuracy(features: source, labels: labels)
            result.shellChance = NearestNeighbour.chanceAgreement(labels)
        }
        return result
    }
}
