import Foundation

/// DDIB's own 2-D metric (Su et al. 2023, the official `synthetic_cycle.py`): translate a sample
/// of A to B and back to A with the same ODE solver, and report the largest Euclidean distance
/// ‖x − T_BA(T_AB(x))‖ over the points (Monge adds the mean beside it).
///
/// The paper measures it on six cycle pairs of its dataset list, `paperIndices`; no transport
/// cost is involved, so it scales to the paper's 90,000 points where exact OT does not.
public struct CycleEvaluation: Sendable {
    /// The paper's cycle pairs as indices into its dataset list
    /// (`ReproductionPlan.ddibDatasets`: moons, checkerboard, concentric rings, concentric squares,
    /// parallel rings, parallel squares).
    public static let paperIndices: [[Int]] = [[0, 1], [2, 3], [4, 5], [2, 4], [5, 3], [2, 0]]

    /// `paperIndices` as Monge dataset names [source, target].
    public static let paperPairs: [[String]] = paperIndices.map { $0.map { ReproductionPlan.ddibDatasets[$0] } }

    /// The paper's cycle pairs whose two datasets are both in `datasets`; when none is, `fallback`
    /// (a run restricted by `--pairs` then measures the cycles of its own translation pairs).
    public static func pairs(among datasets: [String], fallback: [[String]]) -> [[String]] {
        let available = Set(datasets)
        let paper = paperPairs.filter { available.contains($0[0]) && available.contains($0[1]) }
        return paper.isEmpty ? fallback : paper
    }

    /// "i→j" when [source, target] is a paper cycle pair, "none" otherwise.
    public static func paperLabel(_ pair: [String]) -> String {
        guard let k = paperPairs.firstIndex(of: pair) else { return "none" }
        return "\(paperIndices[k][0])→\(paperIndices[k][1])"
    }

    /// The columns of `row`, in table order (snake_case, as every Monge table).
    public static let columns = ["pair", "paper_pair", "solver", "steps", "n", "seed", "cycle_mean", "cycle_max", "cycle_s"]
    /// The columns that name a cell (for `ResultsTable.seedIntervals`).
    public static let keys = ["pair", "paper_pair", "solver", "steps"]
    /// Per-seed columns that are not measurements.
    public static let excluded: Set<String> = ["n", "seed", "cycle_s"]

    /// [source, target] dataset names.
    public var pair: [String]
    /// ODE steps of each of the four halves (encode A, decode B, encode B, decode A).
    public var steps: Int
    public var method: SamplerMethod
    /// The seed the source sample was drawn with (recorded in the row).
    public var seed: UInt64

    public init(pair: [String], steps: Int, method: SamplerMethod, seed: UInt64) {
        self.pair = pair
        self.steps = steps
        self.method = method
        self.seed = seed
    }

    /// The measured round trip of one sample.
    public struct Outcome: Sendable {
        /// ‖x_i − T_BA(T_AB(x_i))‖ per point.
        public let errors: [Double]
        public let seconds: Double
        public var mean: Double { errors.isEmpty ? 0 : errors.reduce(0, +) / Double(errors.count) }
        public var max: Double { errors.max() ?? 0 }
    }

    /// Runs x → T_AB(x) → T_BA(T_AB(x)) with `source` = A's model and `target` = B's; `progress`
    /// sees the four halves as one count of point-steps.
    public func run<A: Denoiser, B: Denoiser>(source: A, target: B, x: Matrix<A.Scalar>,
                                              progress: (@Sendable (SamplerProgress) -> Void)? = nil) throws -> Outcome
    where A.Scalar == B.Scalar {
        let start = Date()
        let bridge = try DDIBBridge(source: source, target: target, steps: steps, method: method)
        let half = 2 * x.rows * steps  // one translation = encode + decode
        let first: (@Sendable (SamplerProgress) -> Void)? = progress.map { report in
            { p in report(SamplerProgress(completed: p.completed, total: 2 * half)) }
        }
        let second: (@Sendable (SamplerProgress) -> Void)? = progress.map { report in
            { p in report(SamplerProgress(completed: half + p.completed, total: 2 * half)) }
        }
        // Blocks small enough that every thread gets one (1000 points would be one block of 1024);
        // a row's result does not depend on its block.
        let threads = max(1, Parallel.threadCount)
        let blockSize = min(SamplerOptions().blockSize, max(1, (x.rows + threads - 1) / threads))
        let forward = try bridge.translate(x, blockSize: blockSize, progress: first)
        let back = try bridge.reversed().translate(forward.mapped, blockSize: blockSize, progress: second)
        return Outcome(errors: PointDistances.rowwise(x, back.mapped), seconds: Date().timeIntervalSince(start))
    }

    /// This pair's row of the cycle table.
    public func row(_ outcome: Outcome) -> [String: ResultsTable.Cell] {
        [
            "pair": .text(pair.joined(separator: " → ")), "paper_pair": .text(Self.paperLabel(pair)),
            "solver": .text(method.description), "steps": .integer(steps), "n": .integer(outcome.errors.count),
            "seed": .integer(Int(seed)), "cycle_mean": .number(outcome.mean), "cycle_max": .number(outcome.max),
            "cycle_s": .number(outcome.seconds),
        ]
    }
}
