import Foundation
import MongeData
import MongeNN

/// What `monge reproduce ddib-2d` runs: the datasets, the models and their training, the pairs,
/// the step counts and solvers, and the oracle experiments. A Codable value, written to
/// `plan.json` beside the results so that a run says exactly what it did.
public struct ReproductionPlan: Codable, Equatable, Sendable {
    /// "quick", "medium" or "full".
    public var mode: String
    public var seed: UInt64
    /// Datasets that get a trained model (MongeData names).
    public var datasets: [String]
    /// Parameters passed to a dataset's generator (defaults otherwise); DDIB normalises moons too.
    public var datasetParameters: [String: [String: Double]]
    /// Translation pairs [source, target].
    public var pairs: [[String]]
    /// Points sampled to train each model.
    public var trainingPoints: Int
    public var model: ModelConfig
    public var schedule: NoiseSchedule
    public var training: TrainingConfig
    /// Points translated per pair (and size of each target sample for exact OT).
    public var translationPoints: Int
    /// (solver, steps) cells run for every trained pair.
    public var cells: [Cell]
    /// (solver, steps) cells of the oracle experiments.
    public var oracleCells: [Cell]
    /// Points per oracle experiment.
    public var oraclePoints: Int
    /// Rows whose latent trajectories are drawn.
    public var trajectoryRows: Int
    /// Pairs [A, B] of DDIB's own metric, the max L2 error of A → B → A (`CycleEvaluation`).
    public var cyclePairs: [[String]]
    /// The solver and steps of each half of those round trips (the paper: DDIM at all T steps).
    public var cycleCell: Cell
    /// Points of A sent round each cycle pair (the paper: 90,000).
    public var cyclePoints: Int
    /// The domains that are users' point files (`--pairs A.csv:B.csv`), by name (the file's base
    /// name), with their content hashes: plans of different files differ, so their shards refuse
    /// to merge.
    public var files: [String: PointFile] = [:]
    /// The opt-in MUNIT cell of the trained pairs (`--cells …,munit`): one MUNIT per unordered pair
    /// and seed, measured beside DDIB on the same samples; nil (and absent from plan.json) when off.
    public var munit: MUNITCell? = nil

    /// MUNIT's settings in a reproduction: the networks and losses, the training, and the points
    /// drawn per domain to train on (a file domain trains on its training rows).
    public struct MUNITCell: Codable, Equatable, Sendable {
        public var model: MUNITConfig
        public var training: MUNITTrainingConfig
        public var trainingPoints: Int

        /// The paper's settings (`MUNITConfig` and `MUNITTrainingConfig` defaults: widths 64,
        /// LSGAN + 10·L1 + 1·content + 1·style, Adam 1e-4, β (0.5, 0.999), batch 256) at `steps`
        /// steps on 10,000 points per domain.
        public init(steps: Int = MUNITTrainingConfig().steps, trainingPoints: Int = 10_000) {
            model = MUNITConfig()
            training = MUNITTrainingConfig(steps: steps)
            self.trainingPoints = trainingPoints
        }

        /// The MUNIT cell of a plan mode: 2000 training steps in quick, the default 10,000 otherwise.
        public static func standard(mode: String) -> MUNITCell {
            MUNITCell(steps: mode == "quick" ? 2000 : MUNITTrainingConfig().steps)
        }

        enum CodingKeys: String, CodingKey { case model, training, trainingPoints }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            model = try container.decode(SnakeSafeModel.self, forKey: .model).config
            training = try container.decode(MUNITTrainingConfig.self, forKey: .training)
            trainingPoints = try container.decode(Int.self, forKey: .trainingPoints)
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(SnakeSafeModel(model), forKey: .model)
            try container.encode(training, forKey: .training)
            try container.encode(trainingPoints, forKey: .trainingPoints)
        }

        /// `MUNITConfig` under keys that survive plan.json's snake_case round trip
        /// (`styleMLPWidth` would come back as `styleMlpWidth`); its checkpoints keep their keys.
        struct SnakeSafeModel: Codable {
            var dimension, content, style, width, encoderDepth, decoderDepth: Int
            var styleMlpWidth, styleMlpDepth, discriminatorWidth, discriminatorDepth: Int
            var activation, discriminatorActivation: Activation
            var negativeSlope: Double
            var weights: MUNITLossWeights

            init(_ c: MUNITConfig) {
                (dimension, content, style, width, encoderDepth, decoderDepth) = (c.dimension, c.content, c.style, c.width, c.encoderDepth, c.decoderDepth)
                (styleMlpWidth, styleMlpDepth, discriminatorWidth, discriminatorDepth) = (c.styleMLPWidth, c.styleMLPDepth, c.discriminatorWidth, c.discriminatorDepth)
                (activation, discriminatorActivation, negativeSlope, weights) = (c.activation, c.discriminatorActivation, c.negativeSlope, c.weights)
            }

            var config: MUNITConfig {
                MUNITConfig(dimension: dimension, content: content, style: style, width: width, encoderDepth: encoderDepth,
                            decoderDepth: decoderDepth, styleMLPWidth: styleMlpWidth, styleMLPDepth: styleMlpDepth,
                            discriminatorWidth: discriminatorWidth, discriminatorDepth: discriminatorDepth, activation: activation,
                            discriminatorActivation: discriminatorActivation, negativeSlope: negativeSlope, weights: weights)
            }
        }
    }

    public struct Cell: Codable, Equatable, Sendable {
        /// "ddim" or "heun".
        public var solver: String
        public var steps: Int

        public init(_ solver: String, _ steps: Int) {
            self.solver = solver
            self.steps = steps
        }

        public var method: SamplerMethod {
            get throws {
                switch solver {
                case "ddim": return .ddim(eta: 0)
                case "heun": return .heun
                default: throw MongeError.invalidArgument(name: "solver", message: "expected ddim or heun, got \(solver)")
                }
            }
        }
    }

    /// DDIB's six 2-D datasets (Su et al. 2023) in the order of their code, plus the two
    /// Gaussian mixtures of the Diffusion-GAN toy.
    public static let ddibDatasets = ["moons", "checkerboard", "concentric-rings", "concentric-squares",
                                      "parallel-rings", "parallel-squares"]

    /// The translation pairs of DDIB's `synthetic_translation.py` (indices into `ddibDatasets`),
    /// and 25-Gaussians ↔ 8-Gaussians, whose exact oracle bridge is also run.
    public static let paperPairs: [[String]] = [(0, 1), (0, 2), (1, 0), (1, 2), (1, 3), (1, 4), (2, 4), (4, 2), (5, 3), (2, 3), (4, 5)]
        .map { [ddibDatasets[$0.0], ddibDatasets[$0.1]] } + [["gaussians25", "gaussians8"], ["gaussians8", "gaussians25"]]

    /// Minutes on two cores: the anchor ε-MLP (3 × 128, SiLU) per dataset, T = 1000, DDIM at 10 and
    /// 100 steps and Heun at 50, 1000 translated points per pair; DDIB's cycle pairs at DDIM 100.
    public static func quick(seed: UInt64 = 0) throws -> ReproductionPlan {
        var training = TrainingConfig(steps: 3000, batchSize: 1024, seed: seed)
        training.optimizer.learningRate = 2e-3
        training.optimizer.warmupSteps = 100
        training.logEvery = 50
        let cells = [Cell("ddim", 10), Cell("ddim", 100), Cell("heun", 50)]
        return ReproductionPlan(
            mode: "quick", seed: seed, datasets: ddibDatasets + ["gaussians25", "gaussians8"],
            datasetParameters: ["moons": ["normalize": 1]], pairs: paperPairs,
            trainingPoints: 20_000,
            model: ModelConfig(architecture: .mlp, width: 128, depth: 3, timeEmbedding: 128),
            schedule: try .linear(), training: training, translationPoints: 1000,
            cells: cells,
            oracleCells: [10, 20, 50, 100, 200].flatMap { [Cell("ddim", $0), Cell("heun", $0)] },
            oraclePoints: 1000, trajectoryRows: 24,
            cyclePairs: CycleEvaluation.paperPairs, cycleCell: cycleCell(of: cells), cyclePoints: 1000)
    }

    /// DDIB's published 2-D configuration (Su et al. 2023, §5.1 and the official code): its U-shaped
    /// MLP (`ModelConfig.ddibPaper2D`: width 256, 3 + 2 + 3 residual blocks with skip
    /// concatenation, time embedding 256, dropout 0.2), the T = 4000 rescaled linear schedule
    /// (β 2.5e-5 … 0.005), Adam lr 1e-4 without warm-up, batch 30,000 (the official script's
    /// default), EMA 0.9999, 300,000 training points, and the cycle-pair table at DDIM with all
    /// 4000 steps on 90,000 points. The paper gives no step count (its script trains until
    /// stopped, saving every 10k steps): 40,000 here. Exact OT stays at 10,000 points per pair
    /// (90,000 would need an exact solve far beyond this machine). Days on two cores.
    public static func full(seed: UInt64 = 0) throws -> ReproductionPlan {
        var plan = try quick(seed: seed)
        plan.mode = "full"
        plan.trainingPoints = 300_000
        plan.model = .ddibPaper2D()
        plan.schedule = try .scaledLinear(count: paperTimesteps)
        plan.training.steps = 40_000
        plan.training.batchSize = 30_000
        plan.training.optimizer = AdamConfig(learningRate: 1e-4)
        plan.training.ema = EMAConfig(decay: 0.9999)
        plan.training.logEvery = 200
        plan.translationPoints = 10_000
        plan.cells = [Cell("ddim", 100), Cell("ddim", 1000), Cell("ddim", paperTimesteps), Cell("heun", 100), Cell("heun", 1000)]
        plan.oracleCells = [10, 20, 50, 100, 200, 500, 1000].flatMap { [Cell("ddim", $0), Cell("heun", $0)] }
        plan.oraclePoints = 5000
        plan.cycleCell = Cell("ddim", paperTimesteps)
        plan.cyclePoints = 90_000
        return plan
    }

    /// The paper's model, schedule, optimiser and EMA at a size that fits two cores in under two
    /// hours (estimated from a timed prefix, about 80 min of two free cores; see the README): the
    /// six DDIB datasets and only their cycle pairs, 3000 steps of batch 1024 on 60,000 training
    /// points per model; exact OT on the cycle pairs at DDIM 100 and Heun 100 with 2000 points; the
    /// cycle table at DDIM with all 4000 steps on 800 points.
    public static func medium(seed: UInt64 = 0) throws -> ReproductionPlan {
        var plan = try full(seed: seed)
        plan.mode = "medium"
        plan.datasets = ddibDatasets
        plan.pairs = CycleEvaluation.paperPairs
        plan.cyclePairs = CycleEvaluation.paperPairs
        plan.trainingPoints = 60_000
        plan.training.steps = 3000
        plan.training.batchSize = 1024
        plan.training.logEvery = 50
        plan.translationPoints = 2000
        plan.cells = [Cell("ddim", 100), Cell("heun", 100)]
        plan.oracleCells = [Cell("ddim", 10), Cell("heun", 10), Cell("ddim", 100), Cell("heun", 100), Cell("ddim", 1000)]
        plan.oraclePoints = 2000
        plan.cyclePoints = 800
        return plan
    }

    /// T of DDIB's 2-D models.
    public static let paperTimesteps = 4000

    /// The cell of the cycle table for a set of cells: the DDIM cell with the most steps (DDIB
    /// cycles with DDIM at all its steps), or the cell with the most steps when none is DDIM.
    public static func cycleCell(of cells: [Cell]) -> Cell {
        let ddim = cells.filter { $0.solver == "ddim" }
        return (ddim.isEmpty ? cells : ddim).max { $0.steps < $1.steps } ?? Cell("ddim", 100)
    }

    /// Translation pairs from `--pairs` text: comma-separated SOURCE:TARGET items whose domains are
    /// dataset names (`moons`) or point files (.csv or .npy, N × 2, `PointFile`). Every file is read
    /// and checked here, before anything trains; each holds out up to `heldOut` rows.
    ///
    /// - Throws: `MongeError` naming the item, the file and what is wrong: a domain that is neither a
    ///   dataset nor a .csv/.npy file (a path containing ':' splits into such pieces), not two domains,
    ///   two files with one base name, or a file the reader or `PointFile.load` refuses.
    public static func parsePairs(_ text: String, heldOut: Int) throws -> (pairs: [[String]], files: [String: PointFile]) {
        var pairs: [[String]] = [], files: [String: PointFile] = [:]
        let known = Set(Datasets.names)
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            var names: [String] = []
            for part in parts {
                if known.contains(part) {
                    names.append(part)
                } else if PointFile.isFileName(part) {
                    let name = PointFile.name(of: part)
                    if let other = files[name], other.path != part {
                        throw MongeError.invalidArgument(name: "pairs", message: "\(other.path) and \(part) share the name \(name) in tables and folders; rename one")
                    }
                    if files[name] == nil { files[name] = try PointFile.load(part, heldOut: heldOut).file }
                    names.append(name)
                } else {
                    let hint = parts.count > 2 ? " (a path containing ':' cannot be given: ':' separates SOURCE and TARGET; rename or link the file)" : ""
                    throw MongeError.invalidArgument(name: "pairs", message: "in '\(item)': '\(part)' is neither a dataset (\(Datasets.names.joined(separator: ", "))) nor a .csv/.npy point file\(hint)")
                }
            }
            guard names.count == 2 else {
                throw MongeError.invalidArgument(name: "pairs", message: "expected SOURCE:TARGET, got '\(item)'")
            }
            pairs.append(names)
        }
        return (pairs, files)
    }

    /// The generator of dataset `name` with this plan's parameters.
    public func dataset(_ name: String) throws -> any Dataset2D {
        try Datasets.make(name, parameters: datasetParameters[name] ?? [:])
    }

    /// Checks names, sizes and step counts before anything runs.
    public func validate() throws {
        let known = Set(Datasets.names)
        for name in datasets where !known.contains(name) && files[name] == nil {
            throw MongeError.invalidArgument(name: "datasets", message: "unknown dataset \(name); known: \(Datasets.names.joined(separator: ", "))")
        }
        // A file domain's held-out rows: a source sample of n (and the cycle's points), a target
        // sample of n and the floor's second sample of n, disjoint.
        for (name, file) in files.sorted(by: { $0.key < $1.key }) where datasets.contains(name) {
            let asTarget = pairs.contains { $0.count == 2 && $0[1] == name }
            let needed = max(asTarget ? 2 * translationPoints : translationPoints,
                             cyclePairs.contains { $0.first == name } ? cyclePoints : 0)
            guard needed <= file.heldOut else {
                throw MongeError.invalidFile(path: file.path, location: nil, message: "has \(file.rows) rows, of which \(file.heldOut) are held out (at most half); translating needs \(needed) (n = \(translationPoints)\(asTarget ? " twice: the target sample and the floor's second sample" : "")); pass --n ≤ \(file.heldOut / (asTarget ? 2 : 1)) or give more rows")
            }
        }
        for (name, parameters) in datasetParameters {
            _ = try Datasets.make(name, parameters: parameters)
        }
        for (field, list) in [("pairs", pairs), ("cycle pairs", cyclePairs)] {
            for pair in list {
                guard pair.count == 2, datasets.contains(pair[0]), datasets.contains(pair[1]) else {
                    throw MongeError.invalidArgument(name: field, message: "pair \(pair.joined(separator: " → ")) needs two of the trained datasets \(datasets.joined(separator: ", "))")
                }
            }
        }
        guard translationPoints >= 2, oraclePoints >= 2, cyclePoints >= 1, trainingPoints >= 1 else {
            throw MongeError.invalidArgument(name: "n", message: "need at least 2 points to translate, 1 to cycle and 1 to train")
        }
        for cell in cells + oracleCells + [cycleCell] {
            _ = try cell.method
            guard cell.steps >= 1, cell.steps <= schedule.count else {
                throw MongeError.invalidArgument(name: "steps", message: "\(cell.steps) steps outside 1…T = \(schedule.count)")
            }
        }
        try model.validate()
        try training.validate()
        if let munit {
            try munit.model.validate()
            try munit.training.validate()
            guard munit.trainingPoints >= 1, munit.model.dimension == 2 else {
                throw MongeError.invalidArgument(name: "munit", message: "needs 2-D points and at least 1 training point per domain")
            }
        }
    }
}
