import Foundation
import MongeData
import MongeDiffusion
import MongeNN
import MongePlot

/// The Diffusion-GAN mode-collapse experiment (Wang et al., ICLR 2023): a vanilla GAN or a
/// Diffusion-GAN trained on 25-Gaussians, its samples scored by `ModeCoverage`.
public enum GANExperiment {
    /// A finished run: the trained GAN, its samples, their mode coverage and the training time.
    public struct Result: Sendable {
        public let run: GANRun<Float>
        public let samples: Matrix<Float>
        public let coverage: ModeCoverage
        public let trainingSeconds: Double
    }

    /// Trains `config` on `dataPoints` points of `dataset` (seed `dataSeed`; real minibatches are
    /// drawn from them with replacement) and scores `sampleCount` generated points against its
    /// 25 centres at 3σ.
    public static func gaussians25(config: GANConfig, dataset: Gaussians25 = Gaussians25(), dataPoints: Int = 100_000,
                                   dataSeed: UInt64 = 0, sampleCount: Int = 10_000, sampleSeed: UInt64 = 1,
                                   progress: TrainingProgress? = nil) throws -> Result {
        guard sampleCount >= 1 else {
            throw MongeError.invalidArgument(name: "samples", message: "must be at least 1, got \(sampleCount)")
        }
        let data = try dataset.sample(n: dataPoints, seed: dataSeed).converted(to: Float.self)
        let started = DispatchTime.now().uptimeNanoseconds
        let run: GANRun<Float> = try GANTraining.train(data: data, config: config, progress: progress)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let samples = run.sample(count: sampleCount, seed: sampleSeed)
        let coverage = try ModeCoverage(samples: samples, centres: dataset.centres, std: dataset.std)
        return Result(run: run, samples: samples, coverage: coverage, trainingSeconds: seconds)
    }
}

extension GANExperiment {
    /// The diffusion length T against the training step, one curve per seed, thinned to at most
    /// `maximumPoints` points per curve (every k-th step plus the last).
    ///
    /// - Throws: `MongeError.invalidArgument` for no runs or a run without records.
    public static func trajectoryFigure(_ runs: [(seed: UInt64, records: [GANStepRecord])], title: FigureTitle,
                                        maximumPoints: Int = 400) throws -> CurveFigure {
        try trajectoryFigure(runs.map { ($0.seed, $0.records.map { (step: $0.step, T: $0.T) }) }, title: title, maximumPoints: maximumPoints)
    }

    /// As `trajectoryFigure(_:title:maximumPoints:)`, from each step's (step, T) alone (a merge's
    /// seeds, from their shards' rows).
    public static func trajectoryFigure(_ runs: [(seed: UInt64, steps: [(step: Int, T: Int)])], title: FigureTitle,
                                        maximumPoints: Int = 400) throws -> CurveFigure {
        guard !runs.isEmpty else { throw MongeError.invalidArgument(name: "runs", message: "no runs to plot") }
        let curves = try runs.map { run -> Curve in
            guard let last = run.steps.last else {
                throw MongeError.invalidArgument(name: "runs", message: "seed \(run.seed) has no training steps")
            }
            let every = max(1, (run.steps.count + maximumPoints - 1) / max(maximumPoints, 1))
            var points = run.steps.filter { $0.step % every == 0 }
            if points.last?.step != last.step { points.append(last) }
            return Curve(x: points.map { Double($0.step) }, y: points.map { Double($0.T) }, label: "seed \(run.seed)")
        }
        return CurveFigure(curves, title: title, xLabel: "training step", yLabel: "diffusion length T")
    }
}
