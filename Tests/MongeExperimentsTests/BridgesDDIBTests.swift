import Foundation
import MongeExperiments
import MongeCore
import MongeFlows
import MongeNN
import TestSupport
import Testing

@Suite("bridges-2d: the DDIB rows")
struct BridgesDDIBTests {
    /// A tiny plan: two seeds, both TorchCFM pairs, a few training steps (the flows are not judged here).
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
        runner.showProgress = false
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
                let pairFolder = "\(folder)/seed_\(seed)/\(pair[0])__\(pair[1])"
                func load(_ name: String) throws -> NetworkDenoiser {
                    let saved = try TrainingCheckpoint.read(from: "\(pairFolder)/eps_\(name)")
                    #expect(saved.state.step == plan.ddibTrainingSteps)
                    #expect(saved.config.data.rows == plan.trainingPoints)
                    return try NetworkDenoiser(network: saved.network, parameters: saved.state.ema, schedule: saved.config.schedule)
                }
                let bridge = try DDIBBridge(source: try load(pair[0]), target: try load(pair[1]), steps: plan.ddibSteps, method: .ddim(eta: 0))
                let base = seed &* 1_000_003 &+ UInt64(p) &* 101
                let a = try TorchCFMData(spec: pair[0]), b = try TorchCFMData(spec: pair[1])
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
