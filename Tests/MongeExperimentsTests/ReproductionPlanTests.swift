import Foundation
import MongeExperiments
import MongeNN
import Testing

/// `monge reproduce ddib-2d`'s plans pin DDIB's published 2-D settings (Su et al. 2023 and the
/// official `synthetic_train.py` / `synthetic_cycle.py`), written out here by hand.
@Suite("ddib-2d plans: the paper's settings")
struct ReproductionPlanTests {
    /// Model, schedule, optimiser, batch, EMA, data and the cycle table of the full mode.
    @Test func fullModeIsThePapersConfiguration() throws {
        let plan = try ReproductionPlan.full(seed: 3)
        try plan.validate()
        #expect(plan.mode == "full" && plan.seed == 3)
        // The U-shaped MLP: linear to 256, 3 blocks in, 2 middle, 3 out (skip concatenation), embedding 256, dropout 0.2.
        #expect(plan.model.architecture == .ddibUNet && plan.model.width == 256 && plan.model.depth == 3)
        #expect(plan.model.timeEmbedding == 256 && plan.model.dropout == 0.2 && plan.model.dimension == 2)
        #expect(plan.model.normalization == .group && plan.model.activation == .silu)
        // T = 4000, linear β from 1e-4·1000/4000 = 2.5e-5 to 0.02·1000/4000 = 0.005.
        #expect(plan.schedule.count == 4000 && plan.schedule.kind == .scaledLinear)
        #expect(abs(plan.schedule.betas[0] - 2.5e-5) < 1e-18 && abs(plan.schedule.betas[3999] - 0.005) < 1e-17)
        // Adam lr 1e-4 (no warm-up, no decay), batch in the paper's 20k–30k, EMA 0.9999.
        #expect(plan.training.optimizer.learningRate == 1e-4 && plan.training.optimizer.warmupSteps == 0)
        #expect(plan.training.optimizer.weightDecay == 0 && plan.training.optimizer.clipNorm == nil)
        #expect((20_000...30_000).contains(plan.training.batchSize))
        #expect(plan.training.ema.decay == 0.9999)
        // 300k training points; the cycle table at DDIM with all 4000 steps on 90k points, on the paper's pairs.
        #expect(plan.trainingPoints == 300_000)
        #expect(plan.cycleCell == ReproductionPlan.Cell("ddim", 4000) && plan.cyclePoints == 90_000)
        #expect(plan.cyclePairs == CycleEvaluation.paperPairs)
        #expect(plan.cells.contains(ReproductionPlan.Cell("ddim", 4000)))
        #expect(Array(plan.datasets.prefix(6)) == ReproductionPlan.ddibDatasets)
    }

    /// Medium: the same model, schedule, optimiser and EMA and the same all-steps cycle cell, at a
    /// smaller batch, step count and point count, on the six datasets of the cycle pairs.
    @Test func mediumModeIsThePapersModelSmaller() throws {
        let full = try ReproductionPlan.full(), medium = try ReproductionPlan.medium()
        try medium.validate()
        #expect(medium.mode == "medium")
        #expect(medium.model == full.model && medium.schedule == full.schedule)
        #expect(medium.training.optimizer == full.training.optimizer && medium.training.ema == full.training.ema)
        #expect(medium.cycleCell == full.cycleCell && medium.cyclePairs == CycleEvaluation.paperPairs)
        #expect(medium.datasets == ReproductionPlan.ddibDatasets && medium.pairs == CycleEvaluation.paperPairs)
        #expect(medium.training.steps < full.training.steps && medium.training.batchSize < full.training.batchSize)
        #expect(medium.cyclePoints < full.cyclePoints && medium.trainingPoints < full.trainingPoints)
    }

    /// Quick keeps its small model and cycles the paper's pairs at its largest DDIM cell.
    @Test func quickModeCyclesThePapersPairs() throws {
        let plan = try ReproductionPlan.quick()
        try plan.validate()
        #expect(plan.model.architecture == .mlp && plan.schedule.count == 1000)
        #expect(plan.cyclePairs == CycleEvaluation.paperPairs && plan.cycleCell == ReproductionPlan.Cell("ddim", 100))
        #expect(ReproductionPlan.cycleCell(of: [.init("heun", 50), .init("ddim", 10), .init("ddim", 20)]) == .init("ddim", 20))
        #expect(ReproductionPlan.cycleCell(of: [.init("heun", 50), .init("heun", 8)]) == .init("heun", 50))
    }

    @Test func aCyclePairOfAnUntrainedDatasetIsRefused() throws {
        var plan = try ReproductionPlan.quick()
        plan.cyclePairs = [["moons", "spirals"]]
        #expect(throws: MongeError.self) { try plan.validate() }
        plan = try .quick()
        plan.cyclePoints = 0
        #expect(throws: MongeError.self) { try plan.validate() }
    }
}
