import Foundation

/// The settings of Diffusion-GAN's adaptive forward diffusion (Wang et al., ICLR 2023).
///
/// Defaults are the paper's: T between t_min = 10 and t_max = 1000, target r_d = 0.6, an
/// adjustment every 4 minibatches with step batch·4/(100·1000) (ADA's 100 kimg ramp), β linear
/// 1e-4 … 0.02 re-spaced over the current T.
public struct AdaptiveDiffusionConfig: Codable, Equatable, Sendable {
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
    /// p at the start (0: T = t_min).
    public var initialP: Double

    public init(tMin: Int = 10, tMax: Int = 1000, target: Double = 0.6, interval: Int = 4, rampImages: Int = 100 * 1000,
                betaStart: Double = 1e-4, betaEnd: Double = 0.02, initialP: Double = 0) {
        self.tMin = tMin
        self.tMax = tMax
        self.target = target
        self.interval = interval
        self.rampImages = rampImages
        self.betaStart = betaStart
        self.betaEnd = betaEnd
        self.initialP = initialP
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
    }
}

/// Diffusion-GAN's adaptive diffusion length T and its timestep distribution (Wang et al., ICLR
/// 2023, as summarised in design/papers.md "Diffusion-GAN"):
///
/// - every `interval` (4) minibatches, r_d = mean of sign(D(real)) over those minibatches and
///   p ← clip(p + sign(r_d − 0.6)·(batch·4)/(100·1000), 0, 1); T = t_min + round(p·(t_max − t_min));
/// - y = √ᾱ_t x + √(1 − ᾱ_t) ε with ᾱ_t = ∏_{s=1…t} (1 − β_s), β linear 1e-4 … 0.02 over the
///   current T (so ᾱ_0 = 1: t = 0 is the clean sample);
/// - t ∈ {0, …, T}: half the pool at t = 0, the other half with weight ∝ t, i.e.
///   P(0) = 1/2 and P(t) = t / (T(T + 1)) for t = 1…T.
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

    /// P(t) for t = 0…T: 1/2 at t = 0, t/(T(T + 1)) for t ≥ 1.
    public static func timestepProbabilities(T: Int) -> [Double] {
        precondition(T >= 1, "T must be at least 1")
        let total = Double(T) * Double(T + 1)
        return [0.5] + (1...T).map { Double($0) / total }
    }

    /// The timestep of a uniform u ∈ [0, 1) by inverting the CDF of `timestepProbabilities`:
    /// u < 1/2 ↦ 0; otherwise v = 2u − 1 ∈ [0, 1) ↦ the smallest t ≥ 1 with t(t + 1) > v·T(T + 1).
    public static func timestep(uniform u: Double, T: Int) -> Int {
        precondition(T >= 1, "T must be at least 1")
        guard u >= 0.5 else { return 0 }
        let target = (2 * u - 1) * Double(T) * Double(T + 1)
        // The root of t² + t = target, then exact integer corrections against rounding.
        var t = max(1, min(T, Int(((1 + 4 * target).squareRoot() - 1) / 2)))
        while t > 1 && Double(t - 1) * Double(t) > target { t -= 1 }
        while t < T && Double(t) * Double(t + 1) <= target { t += 1 }
        return t
    }
}
