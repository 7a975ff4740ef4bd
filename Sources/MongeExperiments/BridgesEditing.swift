import Foundation
import MongeBridges
import MongeFlows
import MongeNN

/// bridges-2d's SDEdit and EGSDE rows: the source noised to level M and denoised by the target's
/// ε-model trained for the DDIB (trained) row (not a second one), as `monge egsde` does in 2-D:
/// ancestral DDPM with the posterior variance β̃, and for EGSDE the energy λ_s·cos(F(y, t), F(x_t, t))
/// + λ_i·‖y − x_t‖² whose realism expert F is a time-dependent domain classifier trained per pair
/// and seed on the same training points (`monge classifier`'s network and defaults).
public enum BridgesEditing {
    public static let sdedit = "SDEdit"
    public static let egsde = "EGSDE"

    /// The settings of both rows.
    public struct Settings: Codable, Equatable, Sendable {
        /// M as a fraction of T (EGSDE and `monge egsde`: 0.5): M = min(T − 1, round(m·T)).
        public var m: Double
        /// DDPM steps from M to 0, linspace-spaced (nil: every level, M + 1 steps); the rows' NFE.
        public var steps: Int?
        /// EGSDE's weights of the realism and faithfulness experts.
        public var lambdaS: Double
        public var lambdaI: Double
        /// Adam steps of the domain classifier (batch 256, lr 10⁻³, `monge classifier`'s defaults).
        public var classifierSteps: Int

        public init(m: Double = 0.5, steps: Int? = 100, lambdaS: Double = 0.5, lambdaI: Double = 0.5, classifierSteps: Int = 2000) {
            self.m = m
            self.steps = steps
            self.lambdaS = lambdaS
            self.lambdaI = lambdaI
            self.classifierSteps = classifierSteps
        }

        public func validate() throws {
            guard m.isFinite, m > 0, m <= 1 else { throw MongeError.invalidArgument(name: "m", message: "must be in (0, 1], got \(m)") }
            for (name, value) in [("lambda-s", lambdaS), ("lambda-i", lambdaI)] where !(value.isFinite && value >= 0) {
                throw MongeError.invalidArgument(name: name, message: "must be a finite number ≥ 0, got \(value)")
            }
            guard classifierSteps >= 1 else {
                throw MongeError.invalidArgument(name: "classifier steps", message: "must be ≥ 1, got \(classifierSteps)")
            }
            _ = try timesteps(schedule: try BridgesDDIB.schedule())
        }

        /// The level M of a schedule (`monge egsde`'s rounding).
        public func start(schedule: NoiseSchedule) -> Int { min(schedule.count - 1, Int((m * Double(schedule.count)).rounded())) }

        /// The decoding path from M.
        public func timesteps(schedule: NoiseSchedule) throws -> [Int] {
            try EGSDE.timesteps(start: start(schedule: schedule), steps: steps)
        }
    }

    /// EGSDE's realism expert for A → B: the time-dependent classifier (B versus A) on `a` and `b`
    /// noised with `schedule` (the target ε-model's), saved in `folder`.
    public static func classifier(a: Matrix<Double>, b: Matrix<Double>, names: (String, String), schedule: NoiseSchedule,
                                  steps: Int, seed: UInt64, folder: String, quiet: Bool) throws -> TimeClassifier<Float> {
        let pointsA: Matrix<Float> = a.converted(), pointsB: Matrix<Float> = b.converted()
        let model = ClassifierConfig(dimension: a.columns)
        let training = ClassifierTrainingConfig(steps: steps, seed: seed)
        let run = try ClassifierTraining.train(a: pointsA, b: pointsB, model: model, schedule: schedule, training: training,
                                               progress: TrainingProgress(totalSteps: steps, quiet: quiet, label: "classifier"))
        let config = ClassifierCheckpoint.Config(model: model, schedule: schedule, training: training,
                                                 domainA: .init(source: "\(names.0) n=\(a.rows)", data: pointsA),
                                                 domainB: .init(source: "\(names.1) n=\(b.rows)", data: pointsB))
        try ClassifierCheckpoint.write(run.classifier, config: config, losses: run.losses, to: folder)
        return run.classifier
    }

    /// SDEdit of `source` with the target's ε-model; returns the map (Double) and its NFE per point.
    public static func sdedit(_ source: Matrix<Double>, target: NetworkDenoiser, settings: Settings,
                              noise: RandomStream) throws -> (mapped: Matrix<Double>, evaluations: Int) {
        let output = try Sampler.sdedit(target, source.converted(to: Float.self), timesteps: try settings.timesteps(schedule: target.schedule),
                                        method: .ddpm, noise: noise)
        return (output.x.converted(), output.evaluations)
    }

    /// EGSDE of `source` with the target's ε-model and `classifier`; with the same `noise` as
    /// SDEdit the two rows share e and every step's z (a paired comparison).
    public static func egsde(_ source: Matrix<Double>, target: NetworkDenoiser, classifier: TimeClassifier<Float>,
                             settings: Settings, noise: RandomStream) throws -> (mapped: Matrix<Double>, evaluations: Int) {
        let schedule = target.schedule
        let output = try EGSDE.translate(target, classifier: classifier, source: source.converted(to: Float.self),
                                         start: settings.start(schedule: schedule), lambdaS: settings.lambdaS, lambdaI: settings.lambdaI,
                                         steps: try settings.timesteps(schedule: schedule).count, noise: noise)
        return (output.x.converted(), output.evaluations)
    }
}
