import Foundation
import MongeDiffusion

/// What `monge conformance export` writes to its directory: `cases.json` (this manifest, snake_case
/// keys) and the arrays it names under `arrays/` (.npy, float64, C order). See `ConformanceKit`.
public struct ConformanceManifest: Codable, Equatable, Sendable {
    public static let currentFormat = "monge-conformance/1"

    public var format: String
    /// How ε, levels and the arrays are defined, in words (also in the exported README.md).
    public var conventions: [String]
    public var schedules: [ScheduleEntry]
    public var oracles: [OracleEntry]
    public var methods: [MethodEntry]
    public var stepCases: [StepCase]
    public var trajectoryCases: [TrajectoryCase]

    enum CodingKeys: String, CodingKey {
        case format, conventions, schedules, oracles, methods
        case stepCases = "step_cases", trajectoryCases = "trajectory_cases"
    }

    /// A noise schedule: ᾱ_t for t in 0..<T in `alphas_cumprod` ([T]) and β_t in `betas` ([T]).
    public struct ScheduleEntry: Codable, Equatable, Sendable {
        public var name: String
        public var count: Int
        public var description: String
        public var alphasCumprod: String
        public var betas: String

        enum CodingKeys: String, CodingKey {
            case name, count, description, alphasCumprod = "alphas_cumprod", betas
        }
    }

    /// An oracle: enough to evaluate the exact ε(x, ᾱ) in any language (see `conventions`).
    public struct OracleEntry: Codable, Equatable, Sendable {
        public var name: String
        public var kind: String
        public var mean: [Double]?
        public var covariance: [Double]?
        public var means: [[Double]]?
        public var stds: [Double]?
        public var weights: [Double]?
    }

    /// A method the kit has references for: single steps (`expected` arrays) or trajectories
    /// (judged by the measured order of convergence).
    public struct MethodEntry: Codable, Equatable, Sendable {
        public var name: String
        public var kind: String
        public var description: String
        /// Absolute tolerance per element, as |output − expected| ≤ tolerance · (1 + |expected|).
        public var toleranceFloat64: Double?
        public var toleranceFloat32: Double?
        /// The order of convergence a trajectory method must show, ± `orderTolerance`.
        public var expectedOrder: Double?
        public var orderTolerance: Double?
        /// The order is judged only on families whose first steps span at most this ratio of σ's.
        public var maxFirstStepSigmaRatio: Double?
        public var reason: String

        enum CodingKeys: String, CodingKey {
            case name, kind, description, toleranceFloat64 = "tolerance_float64", toleranceFloat32 = "tolerance_float32", expectedOrder = "expected_order", orderTolerance = "order_tolerance",
                 maxFirstStepSigmaRatio = "max_first_step_sigma_ratio", reason
        }
    }

    /// The K steps of one path from fixed reference states: arrays [K, N, D] unless noted.
    public struct StepCase: Codable, Equatable, Sendable {
        public var id: String
        public var oracle: String
        public var schedule: String
        public var spacing: String
        public var steps: Int
        /// The path: K timesteps descending, then −1 (clean data, ᾱ = 1). Step k goes levels[k] → levels[k + 1].
        public var levels: [Int]
        /// x_t at levels[k] (the exact flow of one start point set), ε(x_t) at timestep max(levels[k], 0), noise z.
        public var x: String
        public var epsilon: String
        public var noise: String
        /// expected[method] for the methods of kind "step": ddim_eta0, ddim_eta1, ddpm ([K, N, D]);
        /// heun ([K − 1, N, D]: the steps that end at a level ≥ 0); inversion ([K, N, D], see below).
        public var expected: [String: String]
        /// Heun's second ε, at the Euler predictor on level levels[k + 1] (k < K − 1), [K − 1, N, D].
        public var heunEpsilon2: String
        /// Inversion step k goes up levels[k + 1] → levels[k] from x_inversion[k] (the reference at
        /// levels[k + 1]), with ε at timestep max(levels[k + 1], 0) (`inversion_epsilon`).
        public var inversionX: String
        public var inversionEpsilon: String

        enum CodingKeys: String, CodingKey {
            case id, oracle, schedule, spacing, steps, levels, x, epsilon, noise, expected, heunEpsilon2 = "heun_epsilon2", inversionX = "inversion_x", inversionEpsilon = "inversion_epsilon"
        }
    }

    /// A whole trajectory: the reference states of the exact probability flow at every level.
    public struct TrajectoryCase: Codable, Equatable, Sendable {
        public var id: String
        /// The cases of one family differ only in `steps`; orders are measured per family.
        public var family: String
        public var oracle: String
        public var schedule: String
        public var spacing: String
        public var steps: Int
        public var levels: [Int]
        /// [N, D]: the start at levels[0].
        public var xStart: String
        /// [K + 1, N, D]: the exact flow of x_start at every level (the last: clean data).
        public var states: String
        /// [K, N, D]: the exact ε at states[k], timestep max(levels[k], 0).
        public var epsilon: String
        /// Orders are judged on the max error over the states at levels ≥ this one (⌊T/10⌋ − 1),
        /// where the path is refined uniformly in log-SNR as K grows (see `ConformanceKit.conventions`).
        public var judgedFromLevel: Int
        /// σ(levels[0])/σ(levels[1]): how far the first step reaches (≈ 1.6·10³ for cosine from T − 1 at K = 20).
        public var firstStepSigmaRatio: Double

        enum CodingKeys: String, CodingKey {
            case id, family, oracle, schedule, spacing, steps, levels, xStart = "x_start", states, epsilon
            case judgedFromLevel = "judged_from_level", firstStepSigmaRatio = "first_step_sigma_ratio"
        }
    }
}

/// The conformance kit: reference cases from exact oracles, so that any sampler (a diffusers
/// scheduler, a k-diffusion sampler, a hand-written loop) can be checked against the math
/// rather than against stored numbers of itself.
public enum ConformanceKit {
    /// Linear (DDPM, T = 1000), cosine (improved DDPM, T = 1000), scaled-linear (DDIB, T = 4000).
    public static func schedules() throws -> [(name: String, schedule: NoiseSchedule, description: String)] {
        [("linear", try .linear(), "β linear 1e-4 … 0.02, T = 1000 (DDPM)"),
         ("cosine", try .cosine(), "Nichol & Dhariwal cosine, offset 0.008, β clipped at 0.999, T = 1000"),
         ("scaled_linear", try .scaledLinear(count: 4000), "DDPM's linear β rescaled to T = 4000: 2.5e-5 … 0.005 (DDIB)")]
    }

    public static let stepCounts = [20, 40, 80, 160]
    public static let singleStepCount = 10
    public static let rows = 8
    public static let seed: UInt64 = 17

    public static let conventions = [
        "Levels are integer timesteps t in 0..<T; level −1 is clean data (ᾱ = 1). x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε.",
        "Gaussian oracle N(μ, Σ): ε(x, ᾱ) = √(1 − ᾱ) C⁻¹ (x − √ᾱ μ), C = ᾱ Σ + (1 − ᾱ) I.",
        "Isotropic mixture Σ_k w_k N(μ_k, s_k² I): ε(x, ᾱ) = √(1 − ᾱ) Σ_k r_k (x − √ᾱ μ_k)/c_k, c_k = ᾱ s_k² + 1 − ᾱ, r_k ∝ w_k N(x; √ᾱ μ_k, c_k I).",
        "Every ε is evaluated at timestep max(t, 0): no model knows level −1, so a step leaving clean data uses ε at level 0.",
        "The probability flow in y = x/√ᾱ, σ = √((1 − ᾱ)/ᾱ) is dy/dσ = ε(√ᾱ y, ᾱ); Gaussian references are its closed form, mixture references RK4 (error < 1e-9).",
        "Outputs for `monge conformance check`: OUTPUTS/<method>/<case id>.npy, float64 or float32, the same shape as the case's expected array (trajectories: [K + 1, N, D], the states at every level including the start).",
        "Orders of convergence are judged on the max error over the states at levels ≥ judged_from_level = ⌊T/10⌋ − 1. Below it, spacings uniform in t take log-SNR steps that do not shrink with K (σ² ∝ t near t = 0: trailing's last steps are ½ log 2 apart whatever K), so no method shows its nominal order there; the max error over every noisy level and the clean end point's error are reported, not judged.",
        "Tolerances are per element: |output − expected| ≤ tolerance · (1 + |expected|), float32 or float64 by the output's dtype.",
    ]

    public static func methods() -> [ConformanceManifest.MethodEntry] {
        let stepReason = "float64: round-off of a few operations, amplified at most by 1/√ᾱ (≤ 2·10⁴ at cosine's top level); float32: ᾱ and β kept in float32 (diffusers) carry a cumulative-product error up to T·2⁻²⁴ ≈ 2.4e-4 relative at T = 4000"
        func step(_ name: String, _ text: String) -> ConformanceManifest.MethodEntry {
            .init(name: name, kind: "step", description: text, toleranceFloat64: 1e-9, toleranceFloat32: 1e-3,
                  expectedOrder: nil, orderTolerance: nil, maxFirstStepSigmaRatio: nil, reason: stepReason)
        }
        func trajectory(_ name: String, _ text: String, order: Double, maxRatio: Double? = nil) -> ConformanceManifest.MethodEntry {
            .init(name: name, kind: "trajectory", description: text, toleranceFloat64: nil, toleranceFloat32: nil,
                  expectedOrder: order, orderTolerance: 0.25, maxFirstStepSigmaRatio: maxRatio,
                  reason: "order = −slope of log(max error over the levels ≥ judged_from_level) against log K, K = \(stepCounts); ±0.25 covers the pre-asymptotic range at K = 20 (Monge's own samplers measure within 0.15: see the tests)")
        }
        return [
            step("ddim_eta0", "DDIM (Song et al. 2021, eq. 12), η = 0: x_s = √ᾱ_s x̂_0 + √(1 − ᾱ_s) ε, x̂_0 = (x_t − √(1 − ᾱ_t) ε)/√ᾱ_t"),
            step("ddim_eta1", "DDIM η = 1 with the given noise z: σ = √((1 − ᾱ_s)/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_s), x_s = √ᾱ_s x̂_0 + √(1 − ᾱ_s − σ²) ε + σ z"),
            step("ddpm", "DDPM posterior q(x_s | x_t, x̂_0) (Ho et al. 2020, eqs. 6–7, respaced: β = 1 − ᾱ_t/ᾱ_s) with variance β̃ = (1 − ᾱ_s)/(1 − ᾱ_t) β: mean + √β̃ z"),
            step("heun", "Heun on dy/dσ = ε (Karras et al. 2022, Alg. 1): Euler predictor to σ_s, then y_s = y_t + (σ_s − σ_t)(ε₁ + ε₂)/2 (ε₂ given); steps ending at a level ≥ 0"),
            step("inversion", "DDIM inversion (η = 0 upwards): from x at levels[k + 1] to levels[k] with ε at timestep max(levels[k + 1], 0)"),
            trajectory("ddim", "DDIM η = 0 (= Euler in (y, σ)) along the whole path", order: 1),
            trajectory("euler", "Euler on dy/dσ = ε (k-diffusion's sample_euler)", order: 1),
            trajectory("heun", "Heun (Karras et al. 2022, Alg. 1); judged only where the first step spans σ's within a factor 100: from cosine's t = T − 1 (β clipped at 0.999, σ ≈ 2·10⁴) the trapezoid over one step to σ ≈ 10 is far from asymptotic up to K = 160 (errors ≈ 10 at K = 20, apparent order 3)", order: 2, maxRatio: 100),
            trajectory("dpmpp_2m", "DPM-Solver++(2M) (Lu et al. 2022; k-diffusion's sample_dpmpp_2m)", order: 2),
        ]
    }

    /// Builds every case: the manifest and the arrays it names (relative paths → arrays).
    /// `progress` hears one line per case group (for stderr).
    public static func build(progress: (String) -> Void = { _ in }) throws -> (manifest: ConformanceManifest, arrays: [(String, NDArray)]) {
        var arrays: [(String, NDArray)] = []
        func add(_ name: String, _ shape: [Int], _ values: [Double]) throws -> String {
            let path = "arrays/\(name).npy"
            arrays.append((path, try NDArray(shape: shape, values: values)))
            return path
        }
        var scheduleEntries: [ConformanceManifest.ScheduleEntry] = []
        var stepCases: [ConformanceManifest.StepCase] = []
        var trajectoryCases: [ConformanceManifest.TrajectoryCase] = []
        let n = rows, d = 2
        for (name, schedule, text) in try schedules() {
            let T = schedule.count
            scheduleEntries.append(.init(name: name, count: T, description: text,
                                   alphasCumprod: try add("schedule__\(name)__alphas_cumprod", [T], schedule.alphaBars),
                                   betas: try add("schedule__\(name)__betas", [T], schedule.betas)))
            for oracle in ConformanceOracle.allCases {
                progress("conformance: \(oracle.rawValue) on \(name)")
                for spacing in TimestepSpacing.allCases {
                    let family = "\(oracle.rawValue)__\(name)__\(spacing.rawValue)"
                    for k in stepCounts {
                        let levels = Timesteps.decodingPath(try Timesteps.respaced(count: T, steps: k, spacing: spacing))
                        let start = startPoints()
                        let states = try referenceStates(oracle, start, levels: levels, schedule: schedule)
                        let eps = try zip(states, levels).dropLast().map { try epsilon(oracle, $0, level: $1, schedule: schedule) }
                        let id = "trajectory__\(family)__k\(k)"
                        trajectoryCases.append(.init(
                            id: id, family: family, oracle: oracle.rawValue, schedule: name, spacing: spacing.rawValue, steps: k, levels: levels,
                            xStart: try add("\(id)__x_start", [n, d], start.storage),
                            states: try add("\(id)__states", [k + 1, n, d], states.flatMap(\.storage)),
                            epsilon: try add("\(id)__epsilon", [k, n, d], eps.flatMap(\.storage)),
                            judgedFromLevel: T / 10 - 1,
                            firstStepSigmaRatio: schedule.sigma(levels[0]) / schedule.sigma(levels[1])))
                    }
                    stepCases.append(try stepCase(oracle, schedule: schedule, name: name, spacing: spacing, add: add))
                }
            }
        }
        let manifest = ConformanceManifest(
            format: ConformanceManifest.currentFormat, conventions: conventions, schedules: scheduleEntries,
            oracles: ConformanceOracle.allCases.map(\.entry), methods: methods(), stepCases: stepCases, trajectoryCases: trajectoryCases)
        return (manifest, arrays)
    }

    /// N fixed start points at the top level: seeded standard normals (the prior, up to √ᾱ μ ≈ 0).
    static func startPoints() -> Matrix<Double> {
        RandomStream(seed: seed).substream(1).normalMatrix(rows: rows, columns: 2)
    }

    /// The exact flow of `start` to every level of the path (sequentially for the mixture's RK4).
    static func referenceStates(_ oracle: ConformanceOracle, _ start: Matrix<Double>, levels: [Int], schedule: NoiseSchedule) throws -> [Matrix<Double>] {
        var states = [start]
        for (t, s) in zip(levels, levels.dropFirst()) {
            states.append(oracle == .gaussian ? try oracle.flow(start, from: levels[0], to: s, schedule: schedule)
                                              : try oracle.flow(states.last!, from: t, to: s, schedule: schedule))
        }
        return states
    }

    static func epsilon(_ oracle: ConformanceOracle, _ x: Matrix<Double>, level: Int, schedule: NoiseSchedule) throws -> Matrix<Double> {
        try oracle.epsilon(x, alphaBar: schedule.alphaBar(max(level, 0)), schedule: schedule)
    }

    /// The single-step case of one path of `singleStepCount` steps.
    static func stepCase(_ oracle: ConformanceOracle, schedule: NoiseSchedule, name: String, spacing: TimestepSpacing,
                         add: (String, [Int], [Double]) throws -> String) throws -> ConformanceManifest.StepCase {
        let k = singleStepCount, n = rows, d = 2
        let levels = Timesteps.decodingPath(try Timesteps.respaced(count: schedule.count, steps: k, spacing: spacing))
        let states = try referenceStates(oracle, startPoints(), levels: levels, schedule: schedule)
        let noiseStream = RandomStream(seed: seed).substream(2)
        var x: [Double] = [], eps: [Double] = [], noise: [Double] = []
        var ddim0: [Double] = [], ddim1: [Double] = [], ddpm: [Double] = [], heun: [Double] = [], heunEps2: [Double] = []
        var invX: [Double] = [], invEps: [Double] = [], inversion: [Double] = []
        for step in 0..<k {
            let (t, s) = (levels[step], levels[step + 1])
            let (at, as_) = (schedule.alphaBar(t), schedule.alphaBar(s))
            let xt = states[step]
            let e = try epsilon(oracle, xt, level: t, schedule: schedule)
            let z: Matrix<Double> = noiseStream.substream(UInt64(step)).normalMatrix(rows: n, columns: d)
            x += xt.storage; eps += e.storage; noise += z.storage
            ddim0 += DDIM.coefficients(eta: 0, alphaBarFrom: at, alphaBarTo: as_).apply(xt, epsilon: e).storage
            ddim1 += DDIM.coefficients(eta: 1, alphaBarFrom: at, alphaBarTo: as_).apply(xt, epsilon: e, noise: z).storage
            ddpm += DDPM.coefficients(alphaBarFrom: at, alphaBarTo: as_).apply(xt, epsilon: e, noise: z).storage
            if s >= 0 {
                // Heun in (y, σ), written out: predictor y' = y + h ε₁, then y_s = y + h (ε₁ + ε₂)/2.
                let (st, ss) = (schedule.sigma(t), schedule.sigma(s)), h = ss - st
                let y = xt.storage.map { $0 / at.squareRoot() }
                let predicted = try Matrix(rows: n, columns: d, storage: zip(y, e.storage).map { ($0 + h * $1) * as_.squareRoot() })
                let e2 = try epsilon(oracle, predicted, level: s, schedule: schedule)
                heunEps2 += e2.storage
                heun += (0..<(n * d)).map { (y[$0] + h * (e.storage[$0] + e2.storage[$0]) / 2) * as_.squareRoot() }
            }
            let xs = states[step + 1]
            let es = try epsilon(oracle, xs, level: s, schedule: schedule)
            invX += xs.storage; invEps += es.storage
            inversion += DDIM.coefficients(eta: 0, alphaBarFrom: as_, alphaBarTo: at).apply(xs, epsilon: es).storage
        }
        let id = "step__\(oracle.rawValue)__\(name)__\(spacing.rawValue)__k\(k)"
        let shape = [k, n, d], heunShape = [k - 1, n, d]
        return .init(
            id: id, oracle: oracle.rawValue, schedule: name, spacing: spacing.rawValue, steps: k, levels: levels,
            x: try add("\(id)__x", shape, x), epsilon: try add("\(id)__epsilon", shape, eps), noise: try add("\(id)__noise", shape, noise),
            expected: ["ddim_eta0": try add("\(id)__expected_ddim_eta0", shape, ddim0),
                       "ddim_eta1": try add("\(id)__expected_ddim_eta1", shape, ddim1),
                       "ddpm": try add("\(id)__expected_ddpm", shape, ddpm),
                       "heun": try add("\(id)__expected_heun", heunShape, heun),
                       "inversion": try add("\(id)__expected_inversion", shape, inversion)],
            heunEpsilon2: try add("\(id)__heun_epsilon2", heunShape, heunEps2),
            inversionX: try add("\(id)__inversion_x", shape, invX), inversionEpsilon: try add("\(id)__inversion_epsilon", shape, invEps))
    }
}

extension ConformanceOracle {
    var entry: ConformanceManifest.OracleEntry {
        switch self {
        case .gaussian:
            return .init(name: rawValue, kind: "gaussian", mean: Self.gaussianMean, covariance: Self.gaussianCovariance,
                         means: nil, stds: nil, weights: nil)
        case .mixture:
            return .init(name: rawValue, kind: "isotropic_mixture", mean: nil, covariance: nil,
                         means: Self.mixtureMeans, stds: Self.mixtureStds, weights: Self.mixtureWeights)
        }
    }
}
