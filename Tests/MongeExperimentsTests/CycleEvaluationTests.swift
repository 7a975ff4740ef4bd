import Foundation
import MongeExperiments
import Testing

/// DDIB's own 2-D metric: the max L2 error of A → B → A on the paper's cycle pairs.
@Suite("DDIB cycle pairs")
struct CycleEvaluationTests {
    /// The official `synthetic_cycle.py` cycles [[0,1],[2,3],[4,5],[2,4],[5,3],[2,0]] of its list
    /// (0 moons, 1 checkerboard, 2 concentric rings, 3 concentric squares, 4 parallel rings,
    /// 5 parallel squares), written out by hand.
    @Test func thePapersPairsInMongesNames() {
        #expect(CycleEvaluation.paperIndices == [[0, 1], [2, 3], [4, 5], [2, 4], [5, 3], [2, 0]])
        #expect(CycleEvaluation.paperPairs == [
            ["moons", "checkerboard"], ["concentric-rings", "concentric-squares"], ["parallel-rings", "parallel-squares"],
            ["concentric-rings", "parallel-rings"], ["parallel-squares", "concentric-squares"], ["concentric-rings", "moons"],
        ])
        #expect(CycleEvaluation.paperLabel(["parallel-squares", "concentric-squares"]) == "5→3")
        #expect(CycleEvaluation.paperLabel(["concentric-squares", "parallel-squares"]) == "none")
        // A run restricted to some datasets keeps the paper's pairs among them, else cycles its own pairs.
        #expect(CycleEvaluation.pairs(among: ["moons", "checkerboard", "gaussians8"], fallback: [["x", "y"]]) == [["moons", "checkerboard"]])
        #expect(CycleEvaluation.pairs(among: ["moons", "concentric-rings", "parallel-rings"], fallback: [])
                == [["concentric-rings", "parallel-rings"], ["concentric-rings", "moons"]])
        #expect(CycleEvaluation.pairs(among: ["gaussians25", "gaussians8"], fallback: [["gaussians25", "gaussians8"]])
                == [["gaussians25", "gaussians8"]])
    }

    /// Data N(0, I) on both sides: the exact ε is √(1 − ᾱ_t)·x, so by the DDIM equations every
    /// step t → s (either way) scales x by
    ///   f = √(ᾱ_s/ᾱ_t)·(1 − √((1 − ᾱ_t)(1 − ᾱ_m))) + √((1 − ᾱ_s)(1 − ᾱ_m)),  m = max(t, 0),
    /// and the round trip (four halves) by F = Π f: each point's cycle error is |1 − F|·‖x‖.
    @Test func aStandardNormalCyclesByAKnownFactor() throws {
        let schedule = try NoiseSchedule.linear(count: 200)
        let oracle = try GaussianOracle<Double>(mean: [0, 0], std: [1, 1], schedule: schedule)
        let x: Matrix<Double> = RandomStream(seed: 5).normalMatrix(rows: 300, columns: 2)
        for steps in [5, 40] {
            let path = Timesteps.encodingPath(try Timesteps.respaced(count: 200, steps: steps, spacing: .standard))
            func alphaBar(_ t: Int) -> Double { t < 0 ? 1 : schedule.alphaBars[t] }
            func factor(_ t: Int, _ s: Int) -> Double {
                let at = alphaBar(t), as_ = alphaBar(s), am = alphaBar(max(t, 0))
                return (as_ / at).squareRoot() * (1 - ((1 - at) * (1 - am)).squareRoot()) + ((1 - as_) * (1 - am)).squareRoot()
            }
            let up = zip(path, path.dropFirst()).reduce(1.0) { $0 * factor($1.0, $1.1) }
            let reversed = Array(path.reversed())
            let down = zip(reversed, reversed.dropFirst()).reduce(1.0) { $0 * factor($1.0, $1.1) }
            let total = up * down * up * down
            let evaluation = CycleEvaluation(pair: ["moons", "checkerboard"], steps: steps, method: .ddim(eta: 0), seed: 5)
            let outcome = try evaluation.run(source: oracle, target: oracle, x: x)
            let norms = (0..<x.rows).map { (x[$0, 0] * x[$0, 0] + x[$0, 1] * x[$0, 1]).squareRoot() }
            let expectedMax = abs(1 - total) * norms.max()!, expectedMean = abs(1 - total) * norms.reduce(0, +) / Double(x.rows)
            #expect(expectedMax > 1e-4, "the discretisation must show (F = \(total))")
            #expect(abs(outcome.max - expectedMax) < 1e-10 * expectedMax, "\(steps) steps: max \(outcome.max), closed form \(expectedMax)")
            #expect(abs(outcome.mean - expectedMean) < 1e-10 * expectedMean, "\(steps) steps: mean \(outcome.mean), closed form \(expectedMean)")
            let row = evaluation.row(outcome)
            #expect(row["cycle_max"] == .number(outcome.max) && row["n"] == .integer(300) && row["paper_pair"] == .text("0→1"))
            #expect(row["solver"] == .text("ddim") && row["steps"] == .integer(steps))
        }
    }

    /// Two different exact Gaussian models on DDIB's schedule: both maps are flows of ODEs, so at
    /// all 4000 DDIM steps the round trip returns every point (first-order error, ~1/steps).
    @Test func exactGaussiansCycleToAlmostZeroAtThePapersSteps() throws {
        let schedule = try NoiseSchedule.scaledLinear(count: 4000)
        let a = try GaussianOracle<Double>(mean: [1, -1], std: [0.5, 2], schedule: schedule)
        let b = try GaussianOracle<Double>(mean: [-2, 0.5], std: [1.5, 0.3], schedule: schedule)
        let x = Matrix<Double>(rows: 64, columns: 2) { i, j in j == 0 ? 1 + 0.5 * sin(Double(i)) : -1 + 2 * cos(Double(3 * i)) }
        var errors: [Double] = []
        for steps in [40, 400, 4000] {
            let outcome = try CycleEvaluation(pair: ["a", "b"], steps: steps, method: .ddim(eta: 0), seed: 0).run(source: a, target: b, x: x)
            errors.append(outcome.max)
        }
        #expect(errors[2] < 0.01, "max cycle error at 4000 steps: \(errors)")
        // First order: ten times the steps, a tenth of the error (to within a factor of 2).
        for k in 0..<2 { #expect(errors[k + 1] > 0.05 * errors[k] && errors[k + 1] < 0.2 * errors[k], "\(errors)") }
    }
}
