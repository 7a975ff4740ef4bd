import Foundation
import MongeBridges
import MongeFlows
import MongeCore
import MongeNN
import MongePlot

/// The settings of `monge reproduce bridges-2d`.
public struct BridgesPlan: Codable, Equatable, Sendable {
    /// (source, target) distributions (`BridgesData` specs): TorchCFM's and DDIB's.
    public var pairs: [[String]]
    public var seeds: [UInt64]
    /// Points drawn from each distribution for training (batches are drawn from them).
    public var trainingPoints: Int
    /// Steps of the first flows (1-RF, I-CFM, OT-CFM, SB-CFM) and of the reflow (2-RF, from 1-RF's weights).
    public var steps: Int
    public var reflowSteps: Int
    public var batchSize: Int
    public var learningRate: Double
    /// Source points mapped and measured (and the size of each target sample).
    public var evaluationPoints: Int
    public var model: ModelConfig
    public var timeScale: Double
    /// dopri5 tolerance (rtol = atol) for the maps, NFE and path energies.
    public var tolerance: Double
    /// DDIM steps of each half of the oracle DDIB row (NFE = 2 × steps).
    public var ddibSteps: Int = 100
    /// Training steps of each ε-model of the trained DDIB row (batch 1024).
    public var ddibTrainingSteps: Int = 10_000
    /// SDEdit and EGSDE: M, DDPM steps, λ_s, λ_i and the classifier's training steps.
    public var editing = BridgesEditing.Settings()

    /// TorchCFM's pairs.
    public static let torchCFMPairs = [["normal", "8gaussians"], ["moons", "8gaussians"]]
    /// The DDIB pairs of the quick run: DDIB's first translation pair and first cycle pair,
    /// moons → checkerboard.
    public static let quickDDIBPairs = [["ddib:moons", "ddib:checkerboard"]]

    /// TorchCFM's 2-D setting at a reduced budget: 20 000 steps of batch 256 (Tong et al.), 5 seeds;
    /// TorchCFM's pairs and all of DDIB's translation pairs; SDEdit and EGSDE on every level from M.
    public static func full(seeds: [UInt64]? = nil) -> BridgesPlan {
        var plan = BridgesPlan(pairs: torchCFMPairs + BridgesData.ddibPairs, seeds: seeds ?? [0, 1, 2, 3, 4],
                               trainingPoints: 50_000, steps: 20_000, reflowSteps: 10_000, batchSize: 256, learningRate: 1e-3,
                               evaluationPoints: 2_000, model: VelocityNetwork.defaultConfig(), timeScale: VelocityNetwork.defaultTimeScale,
                               tolerance: 1e-5)
        plan.editing.steps = nil
        return plan
    }

    /// Minutes on two cores: 1 000 steps of batch 128 (SB-CFM's Sinkhorn and OT-CFM's assignment per
    /// step dominate), 500 evaluation points, 3 seeds.
    public static func quick(seeds: [UInt64]? = nil) -> BridgesPlan {
        var plan = full(seeds: seeds ?? [0, 1, 2])
        plan.pairs = torchCFMPairs + quickDDIBPairs
        plan.trainingPoints = 10_000
        plan.steps = 1_000
        plan.reflowSteps = 500
        plan.batchSize = 128
        plan.evaluationPoints = 500
        plan.tolerance = 1e-4
        plan.ddibSteps = 50
        plan.ddibTrainingSteps = 3_000
        plan.editing.steps = 100
        return plan
    }

    public func validate() throws {
        guard !pairs.isEmpty, pairs.allSatisfy({ $0.count == 2 }) else {
            throw MongeError.invalidArgument(name: "pairs", message: "expected at least one SOURCE:TARGET pair")
        }
        for name in pairs.flatMap({ $0 }) { _ = try BridgesData(spec: name) }
        guard !seeds.isEmpty else { throw MongeError.invalidArgument(name: "seeds", message: "at least one seed") }
        guard trainingPoints >= 2, evaluationPoints >= 2 else {
            throw MongeError.invalidArgument(name: "points", message: "training and evaluation sets need at least 2 points")
        }
        guard steps >= 1, reflowSteps >= 0, batchSize >= 2, ddibSteps >= 1, ddibTrainingSteps >= 1 else {
            throw MongeError.invalidArgument(name: "steps", message: "steps ≥ 1, reflow steps ≥ 0, batch ≥ 2, DDIB steps ≥ 1 and DDIB training steps ≥ 1 are required")
        }
        guard tolerance > 0, tolerance.isFinite else { throw MongeError.invalidArgument(name: "tolerance", message: "must be positive") }
        try model.validate()
        try editing.validate()
    }
}

/// `monge reproduce bridges-2d`: the flow-matching bridges (1-RF, 2-RF, I-CFM, OT-CFM, SB-CFM),
/// DDIB with exact ε oracles where both ends have one (`BridgesDDIB`, N(0, I) → 8-Gaussians), DDIB
/// with ε-MLPs trained per seed on every pair (`TrainedDDIB`), SDEdit and EGSDE through the trained
/// target ε-MLP (`BridgesEditing`) and the exact OT map on TorchCFM's and DDIB's pairs, each map measured with `BridgeComparison` on the same
/// points, plus NFE (dopri5) and the normalised path energy NPE = |PE − W2²|/W2² (Tong et al. 2024),
/// W2² the certified exact OT cost between the source points and an independent target sample.
///
/// A `GridExperiment` whose units are seed × pair: a unit trains every model of its pair and seed
/// in its own folder, so shards share nothing but the plan.
///
/// Layout of `folder`: plan.json; seed_<s>/results.{csv,md,json} and seed_<s>/<pair>/<method>/ (flow
/// checkpoints, source/mapped .npy); results_seeds.{csv,md,json} (mean and 95 % t-interval per cell);
/// summary.md (the compact table); figures/maps_<pair>.png (every method's map on the same points).
public struct BridgesReproduction: GridExperiment {
    public static let experimentName = "bridges-2d"
    public let plan: BridgesPlan
    public let folder: String
    public let log: @Sendable (String) -> Void
    public var showTrainingProgress = true

    public init(plan: BridgesPlan, folder: String, log: @escaping @Sendable (String) -> Void) throws {
        try plan.validate()
        self.plan = plan
        self.folder = folder
        self.log = log
    }

    /// The first seed: the seeds are the plan's own axis (one plan, `seed_<s>/` folders inside).
    public static func seed(of plan: BridgesPlan) -> UInt64 { plan.seeds[0] }

    /// One pair (by index in `plan.pairs`) trained and measured for one seed.
    public struct Unit: Hashable, Codable, Sendable {
        public let seed: UInt64
        public let pair: Int
    }

    /// Seeds, then pairs: the tables' order.
    public var units: [Unit] { plan.seeds.flatMap { seed in plan.pairs.indices.map { Unit(seed: seed, pair: $0) } } }

    public func name(of unit: Unit) -> String { "seed \(unit.seed) \(pairName(plan.pairs[unit.pair]))" }

    /// The rows' methods, in table order.
    public static let methods = ["1-RF", "2-RF", "I-CFM", "OT-CFM", "SB-CFM", BridgesDDIB.method, TrainedDDIB.method,
                                 BridgesEditing.sdedit, BridgesEditing.egsde, "exact OT"]

    public static let columns = ["pair", "method", "sigma", "nfe", "path_energy", "npe", "transport_cost", "exact_w2_squared",
                                 "transport_gap", "optimality_gap", "monge_deviation_mean", "realism_w2", "sampling_floor_w2",
                                 "certified_plans", "train_s", "map_s"]

    public struct Summary {
        public let perSeed: [ResultsTable]
        public let results: ResultsTable
        public let compact: ResultsTable
        public let files: [String]
    }

    /// Trains and measures one pair for one seed under `output/seed_<s>/<pair>/`; the first seed
    /// also draws the pair's figure (`output/figures/`). Its rows are every method's.
    public func run(_ unit: Unit, into output: String, position: (Int, Int)) throws -> GridUnitOutput<Unit> {
        log("bridges-2d: \(name(of: unit)) (\(position.0)/\(position.1))")
        let pair = plan.pairs[unit.pair]
        let pairPath = "seed_\(unit.seed)/\(Self.pairFolderName(pair))"
        let (rows, maps) = try runPair(pair, index: unit.pair, seed: unit.seed, pairFolder: output + "/" + pairPath)
        var files = try unitFiles(under: pairPath, in: output)
        if unit.seed == plan.seeds[0] { files += try figure(pair, maps: maps, in: output) }
        return GridUnitOutput(unit: unit, name: name(of: unit), rows: rows, files: files)
    }

    /// plan.json, each seed's table, the interval table and summary.md from the units' rows.
    public func assemble(_ outputs: [GridUnitOutput<Unit>]) throws -> Summary {
        let byUnit = try indexed(outputs)
        var files: [String] = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try AtomicFile.write(String(decoding: try encoder.encode(plan), as: UTF8.self) + "\n", to: folder + "/plan.json")
        files.append(folder + "/plan.json")
        var tables: [ResultsTable] = []
        for (k, seed) in plan.seeds.enumerated() {
            var table = ResultsTable(columns: Self.columns)
            for p in plan.pairs.indices {
                let output = byUnit[Unit(seed: seed, pair: p)]!
                for row in output.rows ?? [output.row] { try table.append(row) }
                if k == 0 { files += output.files.filter { $0.hasPrefix("figures/") && $0.hasSuffix(".png") }.map { folder + "/" + $0 } }
            }
            files += try table.write(stem: "\(folder)/seed_\(seed)/results")
            tables.append(table)
        }
        let results = try ResultsTable.seedIntervals(tables, keys: ["pair", "method", "sigma"],
                                                     excluded: ["train_s", "map_s", "certified_plans"])
        files += try results.write(stem: folder + "/results_seeds")
        let compact = try Self.compactTable(results)
        try AtomicFile.write(compact.markdown(), to: folder + "/summary.md")
        files.append(folder + "/summary.md")
        return Summary(perSeed: tables, results: results, compact: compact, files: files)
    }

    /// Mean [95 % interval] of the headline metrics, one row per pair and method.
    public static func compactTable(_ results: ResultsTable) throws -> ResultsTable {
        let metrics = ["npe", "nfe", "transport_cost", "optimality_gap", "realism_w2"]
        var table = ResultsTable(columns: ["pair", "method", "seeds"] + metrics)
        let index = Dictionary(uniqueKeysWithValues: results.columns.enumerated().map { ($1, $0) })
        func number(_ cell: ResultsTable.Cell) -> Double {
            switch cell { case let .number(x): return x; case let .integer(i): return Double(i); case .text: return .nan }
        }
        for row in results.rows {
            var out: [String: ResultsTable.Cell] = ["pair": row[index["pair"]!], "method": row[index["method"]!], "seeds": row[index["seeds"]!]]
            for m in metrics {
                let mean = number(row[index[m + "_mean"]!]), low = number(row[index[m + "_ci95_low"]!]), high = number(row[index[m + "_ci95_high"]!])
                let text = low.isNaN ? String(format: "%.4g", mean) : String(format: "%.4g [%.4g, %.4g]", mean, low, high)
                out[m] = .text(mean.isNaN ? "–" : text)
            }
            try table.append(out)
        }
        return table
    }

    /// A method's folder under seed_<s>/<pair>/: spaces to underscores, no parentheses ("DDIB_oracle").
    public static func folderName(_ method: String) -> String {
        String(method.replacingOccurrences(of: " ", with: "_").filter { $0 != "(" && $0 != ")" })
    }

    /// A pair's folder under seed_<s>/: "moons__8gaussians", "ddib-moons__ddib-checkerboard".
    public static func pairFolderName(_ pair: [String]) -> String {
        pair.map { $0.replacingOccurrences(of: ":", with: "-") }.joined(separator: "__")
    }

    func pairName(_ pair: [String]) -> String { "\(pair[0]) → \(pair[1])" }

    /// Trains every flow of one pair and seed, maps the evaluation points, measures every map.
    /// `pairFolder`: where its models and arrays go (the run folder's or a shard's).
    func runPair(_ pair: [String], index p: Int, seed: UInt64, pairFolder: String) throws -> (rows: [[String: ResultsTable.Cell]], maps: [(String, Matrix<Double>, Matrix<Double>, Matrix<Double>)]) {
        let a = try BridgesData(spec: pair[0]), b = try BridgesData(spec: pair[1])
        let base = seed &* 1_000_003 &+ UInt64(p) &* 101
        let trainSource = try a.sample(n: plan.trainingPoints, seed: base &+ 1)
        let trainTarget = try b.sample(n: plan.trainingPoints, seed: base &+ 2)
        let source = try a.sample(n: plan.evaluationPoints, seed: base &+ 3)
        let target = try b.sample(n: plan.evaluationPoints, seed: base &+ 4)
        let secondTarget = try b.sample(n: plan.evaluationPoints, seed: base &+ 5)
        let reflowSource = try a.sample(n: plan.trainingPoints, seed: base &+ 6)
        let model = try VelocityNetwork(config: plan.model, timeScale: plan.timeScale)
        let integrator = Integrator.dopri5(rtol: plan.tolerance, atol: plan.tolerance)
        var rows: [[String: ResultsTable.Cell]] = []
        var maps: [(String, Matrix<Double>, Matrix<Double>, Matrix<Double>)] = []

        func train(_ name: String, _ objective: FlowObjective, data: FlowData, steps: Int, initial: [Float]?) throws -> (FlowTrainer, Double) {
            let config = FlowTrainingConfig(objective: objective, steps: steps, batchSize: plan.batchSize,
                                            optimizer: AdamConfig(learningRate: plan.learningRate), seed: base &+ 10 &+ UInt64(Self.methods.firstIndex(of: name)!))
            let trainer = try FlowTrainer(model: model, data: data, config: config, initial: initial)
            let start = Date()
            var last = Date()
            try trainer.train { step, loss in
                if showTrainingProgress, Date().timeIntervalSince(last) > 5 || step == steps {
                    last = Date()
                    log(String(format: "  [%@ %@] step %d/%d loss %.4f", pairName(pair), name, step, steps, loss))
                }
            }
            let seconds = Date().timeIntervalSince(start)
            try FlowCheckpoint.write(config: .init(model: plan.model, timeScale: plan.timeScale, training: config,
                                                   source: "\(a.spec) n=\(plan.trainingPoints)",
                                                   target: name == "2-RF" ? "1-RF's ODE images" : "\(b.spec) n=\(plan.trainingPoints)",
                                                   reflowOf: name == "2-RF" ? "\(folder)/seed_\(seed)/\(Self.pairFolderName(pair))/1-RF" : nil),
                                     weights: trainer.average, raw: trainer.parameters, to: "\(pairFolder)/\(name)")
            return (trainer, seconds)
        }

        /// `given`: a map computed elsewhere (DDIB) with its NFE and path energy (NaN: none defined).
        func measure(_ name: String, sigma: Double, trainer: FlowTrainer?, trainSeconds: Double,
                     given: (() throws -> (Matrix<Double>, Int, Double))? = nil) throws {
            let start = Date()
            let mapped: Matrix<Double>, nfe: Int, energy: Double
            if let given {
                (mapped, nfe, energy) = try given()
            } else if let trainer {
                let result = try integrator.integrate(try FlowField(model: model, parameters: trainer.average), from: source)
                (mapped, nfe, energy) = (result.mapped, result.evaluations, result.pathEnergy)
            } else {
                let exact = try ExactCoupling(source, target)
                mapped = target.rows(at: exact.permutation)
                nfe = 0
                energy = exact.cost  // the straight displacement x ↦ T*(x) at constant speed
            }
            let mapSeconds = Date().timeIntervalSince(start)
            let c = try BridgeComparison.measure(source: source, mapped: mapped, target: target, secondTarget: secondTarget)
            let npe = abs(energy - c.exactW2Squared) / c.exactW2Squared
            rows.append([
                "pair": .text(pairName(pair)), "method": .text(name), "sigma": .number(sigma), "nfe": .integer(nfe),
                "path_energy": .number(energy), "npe": .number(npe), "transport_cost": .number(c.transportCost),
                "exact_w2_squared": .number(c.exactW2Squared), "transport_gap": .number(c.transportGap),
                "optimality_gap": .number(c.optimalityGap), "monge_deviation_mean": .number(c.mongeDeviationMean),
                "realism_w2": .number(c.realismW2), "sampling_floor_w2": .number(c.samplingFloorW2 ?? .nan),
                "certified_plans": .integer(trainer?.certifiedPlans ?? 0), "train_s": .number(trainSeconds), "map_s": .number(mapSeconds),
            ])
            maps.append((name, source, mapped, target))
            try ArrayFile.write(mapped, to: "\(pairFolder)/\(Self.folderName(name))/mapped.npy")
            log(String(format: "[%@ seed %llu] %@: NPE %.4f, NFE %d, c(T) %.4f, W2² %.4f, optimality gap %.4f, realism W2 %.4f (train %.1f s, map %.1f s)",
                       pairName(pair), seed, name, npe, nfe, c.transportCost, c.exactW2Squared, c.optimalityGap, c.realismW2, trainSeconds, mapSeconds))
        }

        let samples = FlowData.samples(source: trainSource, target: trainTarget)
        // 1-RF, then 2-RF on (x₀, ODE₁(x₀)) from 1-RF's weights.
        let rf = try FlowObjective(method: .rectifiedFlow)
        let (first, firstSeconds) = try train("1-RF", rf, data: samples, steps: plan.steps, initial: nil)
        try measure("1-RF", sigma: 0, trainer: first, trainSeconds: firstSeconds)
        let reflowStart = Date()
        let images = try integrator.integrate(try FlowField(model: model, parameters: first.average), from: reflowSource).mapped
        let pairingSeconds = Date().timeIntervalSince(reflowStart)
        let (second, secondSeconds) = try train("2-RF", rf, data: .pairs(source: reflowSource, target: images), steps: plan.reflowSteps,
                                                initial: first.average)
        try measure("2-RF", sigma: 0, trainer: second, trainSeconds: firstSeconds + pairingSeconds + secondSeconds)
        for (name, method) in [("I-CFM", FlowMethod.independent), ("OT-CFM", .optimalTransport), ("SB-CFM", .schrodingerBridge)] {
            let objective = try FlowObjective(method: method)
            let (trainer, seconds) = try train(name, objective, data: samples, steps: plan.steps, initial: nil)
            if method == .optimalTransport {
                log("  OT-CFM: \(trainer.certifiedPlans) minibatch plans, every certificate held (largest duality gap \(trainer.largestDualityGap))")
            }
            try measure(name, sigma: objective.sigma, trainer: trainer, trainSeconds: seconds)
        }
        try ArrayFile.write(source, to: "\(pairFolder)/source.npy")
        try ArrayFile.write(target, to: "\(pairFolder)/target.npy")
        if case let .torchCFM(oracleA) = a, case let .torchCFM(oracleB) = b,
           let ddib = try BridgesDDIB.bridge(source: oracleA, target: oracleB, steps: plan.ddibSteps) {
            // DDIB's path runs through the latent x_T ≈ noise, not from x to T(x) over t ∈ [0, 1]:
            // no path energy is defined for it, so PE and NPE are NaN (README).
            try measure(BridgesDDIB.method, sigma: 0, trainer: nil, trainSeconds: 0) {
                let translation = try ddib.translate(source)
                return (translation.mapped, translation.evaluations, .nan)
            }
        }
        // DDIB with ε-models trained on the flows' training points; seeds apart from the flows'.
        let trainStart = Date()
        let epsSource = try TrainedDDIB.model(folder: "\(pairFolder)/eps_\(Self.pairFolderName([pair[0]]))", data: trainSource, name: a.spec,
                                             steps: plan.ddibTrainingSteps, seed: base &+ 30, quiet: !showTrainingProgress)
        let sourceSeconds = Date().timeIntervalSince(trainStart)
        let epsTarget = try TrainedDDIB.model(folder: "\(pairFolder)/eps_\(Self.pairFolderName([pair[1]]))", data: trainTarget, name: b.spec,
                                             steps: plan.ddibTrainingSteps, seed: base &+ 31, quiet: !showTrainingProgress)
        let targetSeconds = Date().timeIntervalSince(trainStart) - sourceSeconds
        try measure(TrainedDDIB.method, sigma: 0, trainer: nil, trainSeconds: sourceSeconds + targetSeconds) {
            let (mapped, nfe) = try TrainedDDIB.translate(source, from: epsSource, to: epsTarget, steps: plan.ddibSteps)
            return (mapped, nfe, .nan)
        }
        // SDEdit and EGSDE through the target's ε-model just trained, with one noise stream for both
        // (paired); EGSDE's realism expert is a domain classifier trained here. Like DDIB's, their
        // paths run through noise, so PE and NPE are NaN; NFE counts the ε-model's evaluations.
        let editNoise = RandomStream(seed: base &+ 40, stream: StreamTag.bridgesEditing)
        try measure(BridgesEditing.sdedit, sigma: 0, trainer: nil, trainSeconds: targetSeconds) {
            let (mapped, nfe) = try BridgesEditing.sdedit(source, target: epsTarget, settings: plan.editing, noise: editNoise)
            return (mapped, nfe, .nan)
        }
        let classifierStart = Date()
        let classifier = try BridgesEditing.classifier(a: trainSource, b: trainTarget, names: (a.spec, b.spec), schedule: epsTarget.schedule,
                                                       steps: plan.editing.classifierSteps, seed: base &+ 32,
                                                       folder: "\(pairFolder)/classifier", quiet: !showTrainingProgress)
        let classifierSeconds = Date().timeIntervalSince(classifierStart)
        try measure(BridgesEditing.egsde, sigma: 0, trainer: nil, trainSeconds: targetSeconds + classifierSeconds) {
            let (mapped, nfe) = try BridgesEditing.egsde(source, target: epsTarget, classifier: classifier, settings: plan.editing, noise: editNoise)
            return (mapped, nfe, .nan)
        }
        try measure("exact OT", sigma: 0, trainer: nil, trainSeconds: 0)
        return (rows, maps)
    }

    /// Every method's map of the same source points, side by side (the same arrows in each panel).
    func figure(_ pair: [String], maps: [(String, Matrix<Double>, Matrix<Double>, Matrix<Double>)], in output: String) throws -> [String] {
        let panels = try maps.map { name, source, mapped, target in
            try TransportMapFigure(source: source, target: target, mapped: mapped, title: FigureTitle(name), maxArrows: 150, arrowSeed: 7).panel
        }
        let figure = SideBySideFigure(panels: panels, title: FigureTitle("\(pairName(pair)): every method's map and the exact OT map", n: plan.evaluationPoints, seed: plan.seeds[0]),
                                      panelWidth: 440, height: 500)
        return try renderUnitFigure(figure, "figures/maps_\(Self.pairFolderName(pair)).png", in: output)
    }
}
