import Foundation
import MongeExperiments
import MongeCore
import MongeFlows
import MongeNN
import TestSupport
import Testing

@Suite("bridges-2d: the DDIB, SDEdit and EGSDE rows")
struct BridgesDDIBTests {
    /// A tiny plan: two seeds, the quick pairs (TorchCFM's two and DDIB's moons → checkerboard), a
    /// few training steps (the flows are not judged here).
    static func tinyPlan() -> BridgesPlan {
        var plan = BridgesPlan.quick(seeds: [0, 1])
        plan.trainingPoints = 16
        plan.steps = 2
        plan.reflowSteps = 1
        plan.batchSize = 4
        plan.evaluationPoints = 12
        plan.tolerance = 1e-2
        plan.ddibSteps = 7
        plan.ddibTrainingSteps = 20
        plan.editing.classifierSteps = 10
        plan.editing.steps = 9
        return plan
    }

    static func cell(_ table: ResultsTable, row: [ResultsTable.Cell], _ column: String) -> ResultsTable.Cell {
        row[table.columns.firstIndex(of: column)!]
    }

    /// The row's map and cost are those of a DDIB bridge built here from the literal mixtures
    /// (N(0, I); 8 modes at radius 5, std 0.1^¼) on the same points, bit for bit; it is in every
    /// seed's table for N(0, I) → 8-Gaussians, with NFE 2 × steps and NaN path energy, and absent
    /// for moons (no oracle).
    @Test func ddibRowMatchesADirectTranslationForEverySeed() throws {
        let plan = Self.tinyPlan()
        let folder = TestSupport.temporaryFolder("bridges-ddib")
        var runner = try BridgesReproduction(plan: plan, folder: folder) { _ in }
        runner.showTrainingProgress = false
        let summary = try runner.run()
        #expect(summary.perSeed.count == plan.seeds.count)

        let schedule = try NoiseSchedule.linear(count: 1000)
        let normal = try MixtureOracle<Double>(means: Matrix(rows: 1, columns: 2), std: [1], schedule: schedule)
        let means = Matrix<Double>(rows: 8, columns: 2) { k, j in
            let angle = Double(k) * .pi / 4
            return 5 * (j == 0 ? cos(angle) : sin(angle))
        }
        let eight = try MixtureOracle<Double>(means: means, std: Array(repeating: pow(0.1, 0.25), count: 8), schedule: schedule)
        let direct = try DDIBBridge(source: normal, target: eight, steps: plan.ddibSteps, method: .ddim(eta: 0))

        for (seed, table) in zip(plan.seeds, summary.perSeed) {
            let ddibRows = table.rows.filter { Self.cell(table, row: $0, "method") == .text("DDIB (oracle)") }
            #expect(ddibRows.count == 1, "seed \(seed): one DDIB row (normal → 8gaussians only)")
            guard let row = ddibRows.first else { continue }
            #expect(Self.cell(table, row: row, "pair") == .text("normal → 8gaussians"))
            #expect(Self.cell(table, row: row, "nfe") == .integer(2 * plan.ddibSteps))
            if case let .number(pe) = Self.cell(table, row: row, "path_energy") { #expect(pe.isNaN) } else { Issue.record("path_energy not a number") }

            let base = seed &* 1_000_003  // pair index 0
            let source = try TorchCFMData.normal.sample(n: plan.evaluationPoints, seed: base &+ 3)
            let target = try TorchCFMData.gaussians8.sample(n: plan.evaluationPoints, seed: base &+ 4)
            let second = try TorchCFMData.gaussians8.sample(n: plan.evaluationPoints, seed: base &+ 5)
            let translation = try direct.translate(source)
            let c = try BridgeComparison.measure(source: source, mapped: translation.mapped, target: target, secondTarget: second)
            #expect(Self.cell(table, row: row, "transport_cost") == .number(c.transportCost))
            #expect(Self.cell(table, row: row, "optimality_gap") == .number(c.optimalityGap))
            let saved: Matrix<Double> = try NpyFile.readMatrix("\(folder)/seed_\(seed)/normal__8gaussians/DDIB_oracle/mapped.npy")
            #expect(saved.storage == translation.mapped.storage)
        }
        let compactMethods = summary.compact.rows.map { $0[1] }
        #expect(compactMethods.filter { $0 == .text("DDIB (oracle)") }.count == 1)

        // The trained row: for every seed and pair, a direct DDIBBridge (DDIM η = 0) between the
        // EMA weights saved in the row's checkpoints gives the row's map and cost bit for bit.
        for (seed, table) in zip(plan.seeds, summary.perSeed) {
            for (p, pair) in plan.pairs.enumerated() {
                let rows = table.rows.filter {
                    Self.cell(table, row: $0, "method") == .text("DDIB (trained)") && Self.cell(table, row: $0, "pair") == .text("\(pair[0]) → \(pair[1])")
                }
                #expect(rows.count == 1, "seed \(seed) \(pair): one trained DDIB row")
                guard let row = rows.first else { continue }
                #expect(Self.cell(table, row: row, "nfe") == .integer(2 * plan.ddibSteps))
                let pairFolder = "\(folder)/seed_\(seed)/\(BridgesReproduction.pairFolderName(pair))"
                func load(_ name: String) throws -> NetworkDenoiser {
                    let saved = try TrainingCheckpoint.read(from: "\(pairFolder)/eps_\(name.replacingOccurrences(of: ":", with: "-"))")
                    #expect(saved.state.step == plan.ddibTrainingSteps)
                    #expect(saved.config.data.rows == plan.trainingPoints)
                    return try NetworkDenoiser(network: saved.network, parameters: saved.state.ema, schedule: saved.config.schedule)
                }
                let bridge = try DDIBBridge(source: try load(pair[0]), target: try load(pair[1]), steps: plan.ddibSteps, method: .ddim(eta: 0))
                let base = seed &* 1_000_003 &+ UInt64(p) &* 101
                let a = try BridgesData(spec: pair[0]), b = try BridgesData(spec: pair[1])
                let source = try a.sample(n: plan.evaluationPoints, seed: base &+ 3)
                let mapped: Matrix<Double> = try bridge.translate(source.converted(to: Float.self)).mapped.converted()
                let c = try BridgeComparison.measure(source: source, mapped: mapped, target: try b.sample(n: plan.evaluationPoints, seed: base &+ 4),
                                                     secondTarget: try b.sample(n: plan.evaluationPoints, seed: base &+ 5))
                #expect(Self.cell(table, row: row, "transport_cost") == .number(c.transportCost))
                let saved: Matrix<Double> = try NpyFile.readMatrix("\(pairFolder)/DDIB_trained/mapped.npy")
                #expect(saved.storage == mapped.storage)
            }
        }
    }

    /// The SDEdit and EGSDE rows, for every seed and pair: the map of a direct `Sampler.sdedit`
    /// (ancestral DDPM, β̃) and `EGSDE.translate` from M = 500 = 0.5·T over 9 linspace levels, with the
    /// EMA weights of the target's saved ε checkpoint (the trained DDIB row's, not a second model), the
    /// saved classifier and λ_s = λ_i = 0.5, on the same noise stream for both (seed base + 40, stream
    /// "EDIT"), bit for bit; NFE 9; path energy NaN; EGSDE's guidance moves the points.
    @Test func editingRowsMatchDirectTranslationsForEverySeed() throws {
        let plan = Self.tinyPlan()
        let folder = TestSupport.temporaryFolder("bridges-editing")
        var runner = try BridgesReproduction(plan: plan, folder: folder) { _ in }
        runner.showTrainingProgress = false
        let summary = try runner.run()
        let path = try EGSDE.timesteps(start: 500, steps: 9)
        for (seed, table) in zip(plan.seeds, summary.perSeed) {
            for (p, pair) in plan.pairs.enumerated() {
                let pairFolder = "\(folder)/seed_\(seed)/\(BridgesReproduction.pairFolderName(pair))"
                let saved = try TrainingCheckpoint.read(from: "\(pairFolder)/eps_\(pair[1].replacingOccurrences(of: ":", with: "-"))")
                let model = try NetworkDenoiser(network: saved.network, parameters: saved.state.ema, schedule: saved.config.schedule)
                let classifier = try ClassifierCheckpoint.read(from: "\(pairFolder)/classifier") { _ in }
                #expect(classifier.schedule == saved.config.schedule)
                let base = seed &* 1_000_003 &+ UInt64(p) &* 101
                let noise = RandomStream(seed: base &+ 40, stream: 0x4544_4954)
                let a = try BridgesData(spec: pair[0]), b = try BridgesData(spec: pair[1])
                let source = try a.sample(n: plan.evaluationPoints, seed: base &+ 3)
                let x: Matrix<Float> = source.converted()
                let sdedit: Matrix<Double> = try Sampler.sdedit(model, x, timesteps: path, method: .ddpm, noise: noise).x.converted()
                let egsde: Matrix<Double> = try EGSDE.translate(model, classifier: classifier, source: x, start: 500, lambdaS: 0.5, lambdaI: 0.5,
                                                                 steps: 9, noise: noise).x.converted()
                #expect(sdedit.storage != egsde.storage, "\(pair): the energy guidance changes the map")
                let target = try b.sample(n: plan.evaluationPoints, seed: base &+ 4), second = try b.sample(n: plan.evaluationPoints, seed: base &+ 5)
                for (method, mapped) in [("SDEdit", sdedit), ("EGSDE", egsde)] {
                    let rows = table.rows.filter {
                        Self.cell(table, row: $0, "method") == .text(method) && Self.cell(table, row: $0, "pair") == .text("\(pair[0]) → \(pair[1])")
                    }
                    #expect(rows.count == 1, "seed \(seed) \(pair): one \(method) row")
                    guard let row = rows.first else { continue }
                    #expect(Self.cell(table, row: row, "nfe") == .integer(9))
                    if case let .number(pe) = Self.cell(table, row: row, "path_energy") { #expect(pe.isNaN) } else { Issue.record("path_energy") }
                    let c = try BridgeComparison.measure(source: source, mapped: mapped, target: target, secondTarget: second)
                    #expect(Self.cell(table, row: row, "transport_cost") == .number(c.transportCost), "seed \(seed) \(pair) \(method)")
                    #expect(Self.cell(table, row: row, "realism_w2") == .number(c.realismW2), "seed \(seed) \(pair) \(method)")
                    let file: Matrix<Double> = try NpyFile.readMatrix("\(pairFolder)/\(method)/mapped.npy")
                    #expect(file.storage == mapped.storage, "seed \(seed) \(pair) \(method)")
                }
            }
        }
    }

    /// DDIB's datasets come from ddib-2d's generators (moons normalised as its plan does), and DDIB's
    /// pairs are its eleven translation pairs.
    @Test func ddibDataAreDdib2dsSamples() throws {
        let plan = try ReproductionPlan.quick()
        for name in ReproductionPlan.ddibDatasets {
            let sample = try BridgesData(spec: "ddib:" + name).sample(n: 50, seed: 9)
            #expect(sample.storage == (try plan.dataset(name).sample(n: 50, seed: 9)).storage, "\(name)")
        }
        #expect(try BridgesData(spec: "moons") == .torchCFM(.moons))
        #expect(throws: MongeError.self) { try BridgesData(spec: "ddib:nowhere") }
        #expect(BridgesData.ddibPairs.count == 11)
        #expect(BridgesData.ddibPairs.first == ["ddib:moons", "ddib:checkerboard"])
        #expect(BridgesPlan.full().pairs.count == 13)
        try BridgesPlan.full().validate()
        try BridgesPlan.quick().validate()
        #expect(BridgesPlan.quick().pairs == [["normal", "8gaussians"], ["moons", "8gaussians"], ["ddib:moons", "ddib:checkerboard"]])
    }

    /// Out-of-range SDEdit/EGSDE settings are refused, naming the field; the quick plan starts at
    /// M = 500 of T = 1000 with 100 DDPM steps, the full plan at every level (501 steps).
    @Test func editingSettingsAreChecked() throws {
        let schedule = try BridgesDDIB.schedule()
        func field(_ change: (inout BridgesEditing.Settings) -> Void) -> String? {
            var settings = BridgesEditing.Settings()
            change(&settings)
            do { try settings.validate(); return nil } catch let MongeError.invalidArgument(name, _) { return name } catch { return "\(error)" }
        }
        #expect(field { $0.m = 0 } == "m")
        #expect(field { $0.m = .nan } == "m")
        #expect(field { $0.lambdaS = -1 } == "lambda-s")
        #expect(field { $0.lambdaI = .infinity } == "lambda-i")
        #expect(field { $0.classifierSteps = 0 } == "classifier steps")
        #expect(field { $0.steps = 0 } == "steps")
        #expect(field { $0.steps = 502 } == "steps")
        #expect(field { _ in } == nil)
        #expect(BridgesPlan.quick().editing.start(schedule: schedule) == 500)
        #expect(try BridgesPlan.quick().editing.timesteps(schedule: schedule).count == 100)
        #expect(try BridgesPlan.full().editing.timesteps(schedule: schedule) == Array((0...500).reversed()))
    }

    /// The one-component mixture used for N(0, I) gives the Gaussian oracle's ε (closed form
    /// ε = √(1 − ᾱ) x for N(0, I)).
    @Test func normalOracleIsTheStandardGaussianEpsilon() throws {
        let schedule = try BridgesDDIB.schedule()
        let oracle = try #require(try BridgesDDIB.oracle(.normal, schedule: schedule))
        let x = try Matrix<Double>(rows: 3, columns: 2, storage: [0.3, -1.2, 2.0, 0.5, -0.7, 0.1])
        for t in [0, 499, 999] {
            let eps = oracle.epsilon(x, timestep: t)
            let s = (1 - schedule.alphaBar(t)).squareRoot()
            for (e, v) in zip(eps.storage, x.storage) { #expect(abs(e - s * v) < 1e-12) }
        }
        #expect(try BridgesDDIB.oracle(.moons, schedule: schedule) == nil)
    }
}
