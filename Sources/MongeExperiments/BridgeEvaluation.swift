import Foundation
import MongePlot

/// One cell of the experiment grid: a bridge A → B at one step count and solver, run on a source
/// sample and measured against exact OT with independent target samples.
public struct BridgeEvaluation: Sendable {
    /// What to call the pair in tables and figure titles, e.g. "moons → checkerboard".
    public var pair: String
    /// "trained" or "oracle".
    public var kind: String
    public var steps: Int
    public var method: SamplerMethod
    /// The seed the samples were drawn with (derived per pair; recorded in the row).
    public var seed: UInt64
    /// The seed the user gave the run, shown in figure titles (`seed` when nil).
    public var runSeed: UInt64?

    public init(pair: String, kind: String, steps: Int, method: SamplerMethod, seed: UInt64) {
        self.pair = pair
        self.kind = kind
        self.steps = steps
        self.method = method
        self.seed = seed
    }

    /// The measured outcome: the metrics, the points, and how long the bridge took.
    public struct Outcome: Sendable {
        public let comparison: BridgeComparison
        public let translation: Translation<Double>
        /// T_BA(T_AB(x)).
        public let cycled: Matrix<Double>
        /// The exact OT image of each source point in the target sample (y_σ(i)).
        public let exactImage: Matrix<Double>
        public let bridgeSeconds: Double
    }

    /// Translates `source` with `bridge`, maps it back for the cycle error, and compares with
    /// exact OT against `target` (and `secondTarget` for the sampling floor).
    public func run<A: Denoiser, B: Denoiser>(
        _ bridge: DDIBBridge<A, B>, source: Matrix<Double>, target: Matrix<Double>, secondTarget: Matrix<Double>,
        recordedRows: [Int] = []
    ) throws -> Outcome {
        let start = Date()
        let x: Matrix<A.Scalar> = source.converted()
        let forward = try bridge.translate(x, recordedRows: recordedRows)
        let back = try bridge.reversed().translate(forward.mapped)
        let bridgeSeconds = Date().timeIntervalSince(start)
        let mapped: Matrix<Double> = forward.mapped.converted()
        let cycled: Matrix<Double> = back.mapped.converted()
        let comparison = try BridgeComparison.measure(source: source, mapped: mapped, target: target,
                                                      secondTarget: secondTarget, cycled: cycled)
        let exact = try ExactCoupling(source, target)
        let translation = Translation<Double>(
            source: source, latent: forward.latent.converted(), mapped: mapped,
            encoding: forward.encoding.map(Self.toDouble), decoding: forward.decoding.map(Self.toDouble),
            evaluations: forward.evaluations)
        return Outcome(comparison: comparison, translation: translation, cycled: cycled,
                       exactImage: target.rows(at: exact.permutation), bridgeSeconds: bridgeSeconds)
    }

    static func toDouble<S: MatrixScalar>(_ t: Trajectory<S>) -> Trajectory<Double> {
        Trajectory(levels: t.levels, rows: t.rows, states: t.states.map { $0.converted() })
    }

    /// The columns of `row(_:)`, in table order.
    public static let columns = [
        "kind", "pair", "solver", "steps", "n", "seed",
        "cost", "w2sq", "gap", "optimality", "monge_dev_mean", "monge_dev_max",
        "realism_w2", "floor_w2", "cycle_mean", "cycle_max", "bridge_s", "ot_s",
    ]

    /// This cell's row of the results table.
    public func row(_ outcome: Outcome) -> [String: ResultsTable.Cell] {
        Self.row(outcome.comparison, kind: kind, pair: pair, solver: method.description, steps: steps, seed: seed,
                 bridgeSeconds: outcome.bridgeSeconds)
    }

    /// A row of the results table for any map measured by `BridgeComparison` (DDIB's cells, the
    /// MUNIT cell), with `bridgeSeconds` the time the map took.
    public static func row(_ c: BridgeComparison, kind: String, pair: String, solver: String, steps: Int, seed: UInt64,
                           bridgeSeconds: Double) -> [String: ResultsTable.Cell] {
        [
            "kind": .text(kind), "pair": .text(pair), "solver": .text(solver),
            "steps": .integer(steps), "n": .integer(c.n), "seed": .integer(Int(seed)),
            "cost": .number(c.transportCost), "w2sq": .number(c.exactW2Squared), "gap": .number(c.transportGap),
            "optimality": .number(c.optimalityGap), "monge_dev_mean": .number(c.mongeDeviationMean),
            "monge_dev_max": .number(c.mongeDeviationMax), "realism_w2": .number(c.realismW2),
            "floor_w2": .number(c.samplingFloorW2 ?? .nan), "cycle_mean": .number(c.cycleErrorMean ?? .nan),
            "cycle_max": .number(c.cycleErrorMax ?? .nan), "bridge_s": .number(bridgeSeconds),
            "ot_s": .number(c.otSeconds),
        ]
    }

    /// Writes source, latent, mapped, cycled and exact-OT images as .npy into `folder`.
    public func writeArrays(_ outcome: Outcome, to folder: String) throws {
        let t = outcome.translation
        try ArrayFile.write(t.source, to: folder + "/source.npy")
        try ArrayFile.write(t.latent, to: folder + "/latent.npy")
        try ArrayFile.write(t.mapped, to: folder + "/mapped.npy")
        try ArrayFile.write(outcome.cycled, to: folder + "/cycled.npy")
        try ArrayFile.write(outcome.exactImage, to: folder + "/exact_ot_image.npy")
    }

    /// The bridge's arrows next to the exact OT arrows on the same points, over the target sample.
    public func comparisonFigure(_ outcome: Outcome, target: Matrix<Double>, maxArrows: Int = 250) throws -> SideBySideFigure {
        let c = outcome.comparison
        return try SideBySideFigure.transportComparison(
            source: outcome.translation.source, target: target,
            mapped: outcome.translation.mapped,
            mappedTitle: String(format: "DDIB (%@): gap %.3f, optimality %.3f", method.description, c.transportGap, c.optimalityGap),
            exact: outcome.exactImage, exactTitle: String(format: "exact OT: W2² = %.3f", c.exactW2Squared),
            title: FigureTitle("\(pair) (\(kind))", n: c.n, seed: runSeed ?? seed, steps: steps),
            maxArrows: maxArrows, arrowSeed: seed)
    }

    /// The recorded rows' paths: data → latent (encoding by A) and latent → data (decoding by B).
    public func trajectoryFigure(_ outcome: Outcome) throws -> ScatterFigure? {
        guard let encoding = outcome.translation.encoding, let decoding = outcome.translation.decoding else { return nil }
        let encoded = Matrix.vstack(encoding.states)
        let decoded = Matrix.vstack(decoding.states)
        return ScatterFigure([
            PointSet(encoded, label: "encoding path (A's ODE)"),
            PointSet(decoded, label: "decoding path (B's ODE)"),
            PointSet(outcome.translation.source.rows(at: encoding.rows), label: "x"),
            PointSet(outcome.translation.mapped.rows(at: encoding.rows), label: "T(x)"),
        ], title: FigureTitle("\(pair): latent trajectories", n: encoding.rows.count, seed: runSeed ?? seed, steps: steps))
    }
}
