import Foundation

/// How K sampling timesteps are chosen among the T training timesteps (Lin et al. 2024, "Common
/// diffusion noise schedules and sample steps are flawed", Table 2; diffusers' `timestep_spacing`).
public enum TimestepSpacing: String, Codable, CaseIterable, Sendable {
    /// round(linspace(0, T − 1, K)): both ends included (T = 1000, K = 10: 999, 888, …, 111, 0).
    case linspace
    /// i·⌊T/K⌋ + offset for i < K (T = 1000, K = 10: 900, 800, …, 0). DDIM's original "uniform" skip.
    case leading
    /// round(T − i·T/K) − 1 for i < K (T = 1000, K = 10: 999, 899, …, 99): always starts at T − 1.
    case trailing

    /// The one default of every sampler entry point (sample, encode, decode, translate, DDIB):
    /// both ends included, so encode followed by decode is the DDIB translation, bit for bit.
    public static let standard = TimestepSpacing.linspace
}

/// Respaced timestep arrays and the level paths that samplers walk along.
///
/// A *path* is an explicit, strictly monotone array of levels in −1..<T; level −1 is clean data
/// (ᾱ = 1). Decoding walks a descending path ending in −1, encoding the mirror ascending path
/// starting at −1. Samplers never infer a neighbouring timestep by arithmetic: they read it here.
public enum Timesteps {
    /// K distinct timesteps in 0..<T, descending (diffusers' order), chosen by `spacing`.
    ///
    /// Computed in exact integer arithmetic, rounding halves to even as numpy does. This matches
    /// diffusers' arrays except where numpy's floating-point arithmetic misses an exact half
    /// (e.g. linspace, T = 1000, K = 27: 499.5 is computed as 499.49999999999994) or where
    /// `np.arange(T, 0, −T/K)` yields K + 1 values (trailing, T = 1000, K = 61, ending at −1):
    /// here every step count gives exactly K valid timesteps, whether or not K divides T.
    /// `offset` is diffusers' `steps_offset`, added to leading spacing only.
    public static func respaced(count: Int, steps: Int, spacing: TimestepSpacing, offset: Int = 0) throws -> [Int] {
        let T = count, K = steps
        guard T >= 1 else {
            throw MongeError.invalidArgument(name: "T", message: "the number of training timesteps must be at least 1, got \(T)")
        }
        guard K >= 1, K <= T else {
            throw MongeError.invalidArgument(name: "steps", message: "need 1 ≤ steps ≤ T = \(T), got \(K)")
        }
        guard offset == 0 || spacing == .leading else {
            throw MongeError.invalidArgument(name: "offset", message: "a steps offset applies to leading spacing only")
        }
        let ascending: [Int]
        switch spacing {
        case .linspace:
            ascending = K == 1 ? [0] : (0..<K).map { roundHalfToEven(numerator: $0 * (T - 1), denominator: K - 1) }
        case .leading:
            let ratio = T / K
            ascending = (0..<K).map { $0 * ratio + offset }
        case .trailing:
            ascending = (0..<K).reversed().map { roundHalfToEven(numerator: T * (K - $0), denominator: K) - 1 }
        }
        guard let first = ascending.first, let last = ascending.last, first >= 0, last < T,
              zip(ascending, ascending.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw MongeError.invalidArgument(
                name: "offset", message: "steps offset \(offset) puts the timesteps \(ascending.first ?? 0)…\(ascending.last ?? 0) outside 0..<\(T)")
        }
        return ascending.reversed()
    }

    /// K distinct timesteps, descending, at Karras et al.'s (2022, eq. 5) noise levels
    /// σ_i = (σ_max^(1/ρ) + i/(K − 1) (σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ between σ_max = σ(T − 1) and
    /// σ_min = σ(0), each rounded to the level of nearest log σ (the models know integer levels only;
    /// diffusers and k-diffusion interpolate a fractional timestep instead).
    /// - Throws: `MongeError` when two σ's round to the same level (too many steps for T).
    public static func karras(schedule: NoiseSchedule, steps: Int, rho: Double = 7) throws -> [Int] {
        let T = schedule.count, K = steps
        guard K >= 2, K <= T else {
            throw MongeError.invalidArgument(name: "steps", message: "Karras spacing needs 2 ≤ steps ≤ T = \(T), got \(K)")
        }
        guard rho.isFinite, rho > 0 else {
            throw MongeError.invalidArgument(name: "rho", message: "must be a positive number, got \(rho)")
        }
        let logSigmas = (0..<T).map { log(schedule.sigma($0)) }
        let low = pow(schedule.sigma(0), 1 / rho), high = pow(schedule.sigma(T - 1), 1 / rho)
        let levels = (0..<K).map { i -> Int in
            let target = log(pow(high + Double(i) / Double(K - 1) * (low - high), rho))
            // log σ_t increases with t: the first level at or above the target, or the one below it.
            var lo = 0, hi = T - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if logSigmas[mid] < target { lo = mid + 1 } else { hi = mid }
            }
            return lo > 0 && target - logSigmas[lo - 1] < logSigmas[lo] - target ? lo - 1 : lo
        }
        guard zip(levels, levels.dropFirst()).allSatisfy({ $0 > $1 }) else {
            throw MongeError.invalidArgument(
                name: "steps", message: "\(K) Karras noise levels do not fall on \(K) distinct timesteps of T = \(T); use fewer steps")
        }
        return levels
    }

    /// The decoding path through `timesteps`: descending, then −1 (clean data).
    public static func decodingPath(_ timesteps: [Int]) -> [Int] {
        timesteps.sorted(by: >) + [-1]
    }

    /// The encoding path through `timesteps`: −1 (data), then ascending; the mirror of `decodingPath`.
    public static func encodingPath(_ timesteps: [Int]) -> [Int] {
        [-1] + timesteps.sorted()
    }

    /// Checks that `path` has at least two levels, all in −1..<T, strictly monotone; returns
    /// whether it descends (denoising) rather than ascends (encoding).
    @discardableResult
    public static func validate(path: [Int], count: Int) throws -> Bool {
        guard path.count >= 2 else {
            throw MongeError.invalidArgument(name: "timesteps", message: "a path needs at least two levels, got \(path)")
        }
        if let bad = path.firstIndex(where: { $0 < -1 || $0 >= count }) {
            throw MongeError.invalidArgument(
                name: "timesteps", message: "level \(path[bad]) at position \(bad) is outside −1..<\(count)")
        }
        let descending = path[0] > path[1]
        for k in 1..<path.count where descending ? path[k] >= path[k - 1] : path[k] <= path[k - 1] {
            throw MongeError.invalidArgument(
                name: "timesteps",
                message: "the path must be strictly \(descending ? "descending" : "ascending"); position \(k) has \(path[k]) after \(path[k - 1])")
        }
        return descending
    }

    /// round(n/d) for n ≥ 0, d > 0, halves to the even neighbour (numpy's `round`).
    static func roundHalfToEven(numerator n: Int, denominator d: Int) -> Int {
        let q = n / d, r = n % d
        if 2 * r > d { return q + 1 }
        if 2 * r == d { return q + (q & 1) }
        return q
    }
}
