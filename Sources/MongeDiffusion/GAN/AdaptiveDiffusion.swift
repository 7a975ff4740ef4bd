import Foundation
import MongeNN

/// The settings of Diffusion-GAN's adaptive forward diffusion (Wang et al., ICLR 2023).
///
/// Defaults are the paper's official code (`diffusion-stylegan2/training/diffusion.py`): T between
/// t_min = 10 and t_max = 1000 starting at t_min, target r_d = 0.6, an adjustment every 4
/// minibatches with step batch·4/(100·1000) (ADA's 100 kimg ramp), β linear 1e-4 … 0.02 re-spaced
/// over the current T, diffusion noise of std σ = `noise_std` = 0.05, t drawn by "priority".
public struct AdaptiveDiffusionConfig: Codable, Equatable, Sendable {
    /// How t ∈ {1, …, T} is drawn for the diffused half of the rows (the other half gets t = 0).
    public enum TimestepLaw: String, Codable, Sendable, CaseIterable {
        /// P(t) ∝ t. (The official code weights t by t − 1, so t = 1 is never drawn; the
        /// difference is a shift by one step, negligible for T ≥ 10.)
        case priority
        /// P(t) = 1/T.
        case uniform
    }

    public var tMin: Int
    public var tMax: Int
    /// The target of r_d, the mean sign of D on real data.
    public var target: Double
    /// Minibatches between adjustments of p.
    public var interval: Int
    /// Images over which p can move by 1 (100 kimg = 100·1000).
    public var rampImages: Int
    public var betaStart: Double
    public var betaEnd: Double
    /// p at the start (0: T = t_min); see `startingAt(T:)`.
    public var initialP: Double
    /// σ, the standard deviation of the diffusion noise: y = √ᾱ_t x + √(1 − ᾱ_t) σ ε.
    public var noiseSD: Double
    public var timestepLaw: TimestepLaw

    public init(tMin: Int = 10, tMax: Int = 1000, target: Double = 0.6, interval: Int = 4, rampImages: Int = 100 * 1000,
                betaStart: Double = 1e-4, betaEnd: Double = 0.02, initialP: Double = 0, noiseSD: Double = 0.05,
                timestepLaw: TimestepLaw = .priority) {
        self.tMin = tMin
        self.tMax = tMax
        self.target = target
        self.interval = interval
        self.rampImages = rampImages
        self.betaStart = betaStart
        self.betaEnd = betaEnd
        self.initialP = initialP
        self.noiseSD = noiseSD
        self.timestepLaw = timestepLaw
    }

    /// This configuration with the initial p set so that the diffusion starts at T = `initialT`:
    /// p = (T − t_min)/(t_max − t_min).
    ///
    /// - Throws: `MongeError.invalidArgument` when `initialT` is outside t_min…t_max.
    public func startingAt(T initialT: Int) throws -> AdaptiveDiffusionConfig {
        guard initialT >= tMin, initialT <= tMax else {
            throw MongeError.invalidArgument(name: "initial T", message: "must be in t_min…t_max = \(tMin)…\(tMax), got \(initialT)")
        }
        var config = self
        config.initialP = tMax == tMin ? 0 : Double(initialT - tMin) / Double(tMax - tMin)
        return config
    }

    /// Throws `MongeError.invalidArgument` naming the first field out of range.
    public func validate() throws {
        func fail(_ name: String, _ message: String) -> MongeError { .invalidArgument(name: name, message: message) }
        guard tMin >= 1, tMax >= tMin else { throw fail("t-min/t-max", "need 1 ≤ t_min ≤ t_max, got \(tMin) and \(tMax)") }
        guard target.isFinite, target > -1, target < 1 else { throw fail("target", "r_d's target must be in (−1, 1), got \(target)") }
        guard interval >= 1 else { throw fail("interval", "must be at least 1 minibatch, got \(interval)") }
        guard rampImages >= 1 else { throw fail("ramp", "must be at least 1 image, got \(rampImages)") }
        guard betaStart > 0, betaEnd < 1, betaStart <= betaEnd else {
            throw fail("beta", "need 0 < start ≤ end < 1, got \(betaStart) … \(betaEnd)")
        }
        guard initialP >= 0, initialP <= 1 else { throw fail("initial p", "must be in [0, 1], got \(initialP)") }
        guard noiseSD.isFinite, noiseSD > 0 else { throw fail("noise sd", "must be positive, got \(noiseSD)") }
    }
}

/// Diffusion-GAN's adaptive diffusion length T and its timestep distribution (Wang et al., ICLR
/// 2023, as summarised in design/papers.md "Diffusion-GAN"):
///
/// - every `interval` (4) minibatches, r_d = mean of sign(D(real)) over those minibatches and
///   p ← clip(p + sign(r_d − 0.6)·(batch·4)/(100·1000), 0, 1); T = t_min + round(p·(t_max − t_min));
/// - y = √ᾱ_t x + √(1 − ᾱ_t) σ ε with ᾱ_t = ∏_{s=1…t} (1 − β_s), β linear 1e-4 … 0.02 over the
///   current T (so ᾱ_0 = 1: t = 0 is the clean sample) and σ = `noiseSD` (the official code's
///   `noise_std`, default 0.05: it scales ε, not the signal);
/// - t ∈ {0, …, T}: half at t = 0, the other half by `timestepLaw` — priority: P(0) = 1/2 and
///   P(t) = t / (T(T + 1)) for t = 1…T; uniform: P(t) = 1/(2T). (The official code draws a pool
///   of 64 such t at each T update and samples the batch from it; here each row draws from the
///   law itself, which is the pool's expectation.)
///
/// A value type: the training loop owns it and feeds it each minibatch's real logits.
public struct AdaptiveDiffusion: Sendable, Equatable {
    public let config: AdaptiveDiffusionConfig
    /// The batch size, which sets the step of p.
    public let batchSize: Int
    public private(set) var p: Double
    /// The current diffusion length T.
    public private(set) var T: Int
    /// The linear schedule over the current T (β_1 … β_T stored as `betas[0 ..< T]`).
    public private(set) var schedule: NoiseSchedule
    /// Σ sign(D(real)) and the number of logits since the last adjustment.
    private var signSum = 0.0
    private var signCount = 0
    private var batches = 0

    public init(config: AdaptiveDiffusionConfig = AdaptiveDiffusionConfig(), batchSize: Int) throws {
        try config.validate()
        guard batchSize >= 1 else { throw MongeError.invalidArgument(name: "batch", message: "must be at least 1, got \(batchSize)") }
        self.config = config
        self.batchSize = batchSize
        p = config.initialP
        T = AdaptiveDiffusion.length(p: p, config: config)
        schedule = try .linear(count: T, start: config.betaStart, end: config.betaEnd)
    }

    /// The change of p per adjustment: batch·interval / rampImages.
    public var stepSize: Double { Double(batchSize * config.interval) / Double(config.rampImages) }

    /// T = t_min + round(p·(t_max − t_min)) (halves round away from zero).
    public static func length(p: Double, config: AdaptiveDiffusionConfig) -> Int {
        config.tMin + Int((p * Double(config.tMax - config.tMin)).rounded())
    }

    /// p ← clip(p + sign(r_d − target)·step, 0, 1); sign(0) = 0 leaves p unchanged.
    public static func adjusted(p: Double, rd: Double, target: Double, step: Double) -> Double {
        let sign: Double = rd > target ? 1 : (rd < target ? -1 : 0)
        return min(max(p + sign * step, 0), 1)
    }

    /// Records one minibatch's logits of D on (diffused) real data; after every `interval`-th
    /// minibatch adjusts p and T from r_d of the interval. Returns r_d when it adjusted.
    @discardableResult
    public mutating func record<S: BinaryFloatingPoint>(realLogits: [S]) throws -> Double? {
        for z in realLogits { signSum += z > 0 ? 1 : (z < 0 ? -1 : 0) }
        signCount += realLogits.count
        batches += 1
        guard batches == config.interval else { return nil }
        let rd = signSum / Double(max(signCount, 1))
        signSum = 0
        signCount = 0
        batches = 0
        p = AdaptiveDiffusion.adjusted(p: p, rd: rd, target: config.target, step: stepSize)
        let length = AdaptiveDiffusion.length(p: p, config: config)
        if length != T {
            T = length
            schedule = try .linear(count: T, start: config.betaStart, end: config.betaEnd)
        }
        return rd
    }

    /// ᾱ_t for t ∈ 0…T under the current schedule (ᾱ_0 = 1).
    public func alphaBar(_ t: Int) -> Double {
        precondition(t >= 0 && t <= T, "timestep \(t) outside 0…\(T)")
        return schedule.alphaBar(t - 1)
    }

    /// P(t) for t = 0…T: 1/2 at t = 0; for t ≥ 1, t/(T(T + 1)) (priority) or 1/(2T) (uniform).
    public static func timestepProbabilities(T: Int, law: AdaptiveDiffusionConfig.TimestepLaw = .priority) -> [Double] {
        precondition(T >= 1, "T must be at least 1")
        switch law {
        case .priority:
            let total = Double(T) * Double(T + 1)
            return [0.5] + (1...T).map { Double($0) / total }
        case .uniform:
            return [0.5] + [Double](repeating: 0.5 / Double(T), count: T)
        }
    }

    /// The timestep of a uniform u ∈ [0, 1) by inverting the CDF of `timestepProbabilities`:
    /// u < 1/2 ↦ 0; otherwise v = 2u − 1 ∈ [0, 1) ↦ for priority the smallest t ≥ 1 with
    /// t(t + 1) > v·T(T + 1), for uniform t = 1 + ⌊v·T⌋.
    public static func timestep(uniform u: Double, T: Int, law: AdaptiveDiffusionConfig.TimestepLaw = .priority) -> Int {
        precondition(T >= 1, "T must be at least 1")
        guard u >= 0.5 else { return 0 }
        let v = 2 * u - 1
        switch law {
        case .uniform:
            return min(T, 1 + Int(v * Double(T)))
        case .priority:
            let target = v * Double(T) * Double(T + 1)
            // The root of t² + t = target, then exact integer corrections against rounding.
            var t = max(1, min(T, Int(((1 + 4 * target).squareRoot() - 1) / 2)))
            while t > 1 && Double(t - 1) * Double(t) > target { t -= 1 }
            while t < T && Double(t) * Double(t + 1) <= target { t += 1 }
            return t
        }
    }

    /// Diffuses the rows of `x` under the current T: row i gets t_i from `time.uniform(i)` through
    /// `timestep(uniform:T:law:)` and y_i = √ᾱ_{t_i} x_i + √(1 − ᾱ_{t_i}) σ ε_i with ε the rows of
    /// `noise.normalMatrix`. Returns y, the timesteps and the per-row √ᾱ_t (= ∂y/∂x).
    public func diffuse<S: NetworkScalar>(_ x: Matrix<S>, time: RandomStream, noise: RandomStream)
        -> (y: Matrix<S>, timesteps: [Int], scale: [S]) {
        let n = x.rows, d = x.columns
        let epsilon: Matrix<S> = noise.normalMatrix(rows: n, columns: d, firstRow: 0)
        var y = x
        var timesteps = [Int](repeating: 0, count: n)
        var scale = [S](repeating: 1, count: n)
        for i in 0..<n {
            let t = AdaptiveDiffusion.timestep(uniform: time.uniform(UInt64(i)), T: T, law: config.timestepLaw)
            timesteps[i] = t
            let c = NoiseSchedule.forwardCoefficients(alphaBar: alphaBar(t), noiseScale: config.noiseSD, as: S.self)
            scale[i] = c.x0
            x.storage.withUnsafeBufferPointer { xp in
                epsilon.storage.withUnsafeBufferPointer { ep in
                    y.storage.withUnsafeMutableBufferPointer { yp in
                        NoiseSchedule.noise(xp.baseAddress! + i * d, epsilon: ep.baseAddress! + i * d, into: yp.baseAddress! + i * d,
                                            count: d, coefficients: c)
                    }
                }
            }
        }
        return (y, timesteps, scale)
    }
}
