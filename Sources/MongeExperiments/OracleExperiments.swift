import Foundation
import MongeData

/// A pair of domains with their two models and samplers of their data, type-erased so that
/// experiments can list pairs of different model types (oracles, trained networks) together.
public struct DomainPair: Sendable {
    public typealias Sampler = @Sendable (_ n: Int, _ seed: UInt64) throws -> Matrix<Double>
    public typealias Runner = @Sendable (_ evaluation: BridgeEvaluation, _ x: Matrix<Double>, _ y: Matrix<Double>,
                                         _ y2: Matrix<Double>, _ recordedRows: [Int]) throws -> BridgeEvaluation.Outcome
    /// e.g. "moons → checkerboard".
    public let name: String
    /// "trained" or "oracle".
    public let kind: String
    public let sampleSource: Sampler
    public let sampleTarget: Sampler
    /// Two target samples of n points with one seed: `sampleTarget(n, seed)` and a second,
    /// independent one (the sampling floor's); a finite domain (a user's file) draws them disjoint.
    public let sampleTargets: @Sendable (_ n: Int, _ seed: UInt64) throws -> (Matrix<Double>, Matrix<Double>)
    /// The population transport gap of the exact bridge when known in closed form.
    public let closedFormGap: Double?
    let runner: Runner

    public init<A: Denoiser, B: Denoiser>(name: String, kind: String, source: A, target: B,
                                          sampleSource: @escaping Sampler, sampleTarget: @escaping Sampler,
                                          sampleTargets: (@Sendable (Int, UInt64) throws -> (Matrix<Double>, Matrix<Double>))? = nil,
                                          closedFormGap: Double? = nil) where A.Scalar == B.Scalar {
        self.name = name
        self.kind = kind
        self.sampleSource = sampleSource
        self.sampleTarget = sampleTarget
        self.sampleTargets = sampleTargets ?? { n, seed in (try sampleTarget(n, seed), try sampleTarget(n, seed + 1)) }
        self.closedFormGap = closedFormGap
        self.runner = { evaluation, x, y, y2, recordedRows in
            let bridge = try DDIBBridge(source: source, target: target, steps: evaluation.steps, method: evaluation.method)
            return try evaluation.run(bridge, source: x, target: y, secondTarget: y2, recordedRows: recordedRows)
        }
    }

    /// Runs the bridge at `steps` with `method` on fresh samples: the source sample with seed
    /// `seed`, the target and second target samples by `sampleTargets(n, seed + 1)` (for a
    /// generator, seeds `seed + 1` and `seed + 2`).
    public func evaluate(n: Int, steps: Int, method: SamplerMethod, seed: UInt64,
                         recordedRows: [Int] = []) throws -> (BridgeEvaluation, BridgeEvaluation.Outcome) {
        let x = try sampleSource(n, seed)
        let (y, y2) = try sampleTargets(n, seed + 1)
        let evaluation = BridgeEvaluation(pair: name, kind: kind, steps: steps, method: method, seed: seed)
        return (evaluation, try runner(evaluation, x, y, y2, recordedRows))
    }
}

/// Bridges whose models are exact (oracle ε), so that what remains is the bridge's own distance
/// from optimal transport plus ODE discretisation — no learning error.
public enum OracleExperiments {
    /// 25-Gaussians → 8-Gaussians with mixture oracles matching MongeData's defaults.
    public static func gaussians25To8(schedule: NoiseSchedule) throws -> DomainPair {
        DomainPair(name: "gaussians25 → gaussians8", kind: "oracle",
                   source: try Oracles.gaussians25(schedule: schedule, as: Double.self),
                   target: try Oracles.gaussians8(schedule: schedule, as: Double.self),
                   sampleSource: { n, seed in try Datasets.make("gaussians25").sample(n: n, seed: seed) },
                   sampleTarget: { n, seed in try Datasets.make("gaussians8").sample(n: n, seed: seed) })
    }

    /// N(0, diag(4, ¼)) → the same Gaussian rotated by `angle`: DDIB's exact map is not the Monge
    /// map, and its population gap is known in closed form (`GaussianBridgeTheory`).
    public static func rotatedGaussians(schedule: NoiseSchedule, angle: Double = .pi / 4) throws -> DomainPair {
        let a = [4.0, 0, 0, 0.25]
        let b = GaussianBridgeTheory.rotatedCovariance(variances: (4, 0.25), angle: angle)
        let theory = try GaussianBridgeTheory(covarianceA: a, covarianceB: b, dimension: 2)
        return DomainPair(
            name: String(format: "gaussian → gaussian rotated %.0f°", angle * 180 / .pi), kind: "oracle",
            source: try GaussianOracle<Double>(mean: [0, 0], covariance: a, schedule: schedule),
            target: try GaussianOracle<Double>(mean: [0, 0], covariance: b, schedule: schedule),
            sampleSource: try gaussianSampler(covariance: a, label: 1),
            sampleTarget: try gaussianSampler(covariance: b, label: 2),
            closedFormGap: theory.ddibGap(sigmaT: schedule.sigma(schedule.count - 1)))
    }

    /// Samples N(0, Σ) as Σ^½ z with seeded standard normals z.
    static func gaussianSampler(covariance: [Double], label: UInt64) throws -> DomainPair.Sampler {
        let root = try SymmetricEigen(symmetric: covariance, dimension: 2).function { $0.squareRoot() }
        return { n, seed in
            let z: Matrix<Double> = RandomStream(seed: seed).substream(label).normalMatrix(rows: n, columns: 2)
            return Matrix(rows: n, columns: 2) { i, j in root[j * 2] * z[i, 0] + root[j * 2 + 1] * z[i, 1] }
        }
    }
}
