import Foundation
@_exported import MongeCore

/// A discrete DDPM noise schedule: betas β_0 … β_{T−1} and their products ᾱ_t = ∏_{s≤t} (1 − β_s).
///
/// Timestep t ∈ 0..<T is the integer index of the papers' noise level; x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε
/// (DDPM eq. 4). `alphaBar(-1) == 1` stands for clean data, the end point of every sampler.
public struct NoiseSchedule: Codable, Equatable, Sendable {
    /// How the betas were made, so that a schedule round-trips through a checkpoint's config.
    public enum Kind: Codable, Equatable, Sendable {
        /// β linear from `start` to `end` over T steps (DDPM: 1e-4 … 0.02, T = 1000).
        case linear(start: Double, end: Double)
        /// DDPM's linear schedule rescaled to T steps, β from 1e-4·1000/T to 0.02·1000/T
        /// (DDIB's 2-D models: T = 4000 gives 2.5e-5 … 0.005).
        case scaledLinear
        /// Nichol & Dhariwal's cosine schedule, ᾱ(t) = f(t)/f(0), f(t) = cos²(((t/T) + s)/(1 + s) · π/2),
        /// β clipped at 0.999.
        case cosine(offset: Double)
    }

    public let kind: Kind
    /// The number of training timesteps T.
    public let count: Int
    /// β_t for t in 0..<T.
    public let betas: [Double]
    /// ᾱ_t = ∏_{s≤t} (1 − β_s) for t in 0..<T, computed in Double.
    public let alphaBars: [Double]

    public init(kind: Kind, count: Int) throws {
        guard count >= 1 else {
            throw MongeError.invalidArgument(name: "T", message: "the number of timesteps must be at least 1, got \(count)")
        }
        let betas: [Double]
        switch kind {
        case let .linear(start, end):
            guard start > 0, end < 1, start <= end else {
                throw MongeError.invalidArgument(name: "beta", message: "need 0 < start ≤ end < 1, got \(start) … \(end)")
            }
            betas = NoiseSchedule.linspace(start, end, count)
        case .scaledLinear:
            let scale = 1000.0 / Double(count)
            betas = NoiseSchedule.linspace(scale * 1e-4, min(scale * 0.02, 0.999), count)
        case let .cosine(offset):
            guard offset >= 0 else {
                throw MongeError.invalidArgument(name: "cosine offset", message: "must be ≥ 0, got \(offset)")
            }
            func f(_ t: Double) -> Double {
                let c = cos((t / Double(count) + offset) / (1 + offset) * Double.pi / 2)
                return c * c
            }
            betas = (0..<count).map { t in min(1 - f(Double(t + 1)) / f(Double(t)), 0.999) }
        }
        self.kind = kind
        self.count = count
        self.betas = betas
        var product = 1.0
        self.alphaBars = betas.map { beta in product *= (1 - beta); return product }
    }

    /// DDPM's linear schedule, β 1e-4 … 0.02, T = 1000.
    public static func linear(count: Int = 1000, start: Double = 1e-4, end: Double = 0.02) throws -> NoiseSchedule {
        try NoiseSchedule(kind: .linear(start: start, end: end), count: count)
    }

    /// The improved-DDPM cosine schedule with offset s = 0.008.
    public static func cosine(count: Int = 1000, offset: Double = 0.008) throws -> NoiseSchedule {
        try NoiseSchedule(kind: .cosine(offset: offset), count: count)
    }

    /// DDIB's rescaled linear schedule for any T (T = 4000: β 2.5e-5 … 0.005).
    public static func scaledLinear(count: Int) throws -> NoiseSchedule {
        try NoiseSchedule(kind: .scaledLinear, count: count)
    }

    /// ᾱ_t, with ᾱ_{−1} = 1 (clean data).
    @inlinable
    public func alphaBar(_ t: Int) -> Double {
        precondition(t >= -1 && t < count, "timestep \(t) outside −1..<\(count)")
        return t < 0 ? 1 : alphaBars[t]
    }

    /// The DDIM ODE's noise level σ_t = √((1 − ᾱ_t)/ᾱ_t) (the time variable of DDIM's eq. 14).
    @inlinable
    public func sigma(_ t: Int) -> Double {
        let a = alphaBar(t)
        return ((1 - a) / a).squareRoot()
    }

    static func linspace(_ a: Double, _ b: Double, _ n: Int) -> [Double] {
        if n == 1 { return [a] }
        return (0..<n).map { a + (b - a) * Double($0) / Double(n - 1) }
    }

    // Codable: betas and ᾱ are recomputed from (kind, count), so a config cannot disagree with itself.
    enum CodingKeys: String, CodingKey { case kind, count }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(kind: container.decode(Kind.self, forKey: .kind), count: container.decode(Int.self, forKey: .count))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(count, forKey: .count)
    }

    public static func == (lhs: NoiseSchedule, rhs: NoiseSchedule) -> Bool {
        lhs.kind == rhs.kind && lhs.count == rhs.count
    }
}

/// The forward process q(x_t | x_0) of DDPM eq. 4, x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε: the one place
/// where training, classifiers, SDEdit, EGSDE and the adaptive GAN noise clean points.
extension NoiseSchedule {
    /// The coefficients (√ᾱ, σ √(1 − ᾱ)) of x_0 and ε for a level ᾱ, rounded to `S` before any
    /// product (σ = `noiseScale`: 1 for the schedule's own process, the noise SD of Diffusion-GAN).
    @inlinable
    public static func forwardCoefficients<S: BinaryFloatingPoint>(alphaBar ab: Double, noiseScale: Double = 1,
                                                                  as _: S.Type = S.self) -> (x0: S, epsilon: S) {
        (S(ab.squareRoot()), S(noiseScale * (1 - ab).squareRoot()))
    }

    /// The coefficients of x_0 and ε at timestep t (ᾱ_{−1} = 1: the clean points).
    @inlinable
    public func forwardCoefficients<S: BinaryFloatingPoint>(_ t: Int, as _: S.Type = S.self) -> (x0: S, epsilon: S) {
        Self.forwardCoefficients(alphaBar: alphaBar(t))
    }

    /// out[j] = c.x0 · x0[j] + c.epsilon · ε[j] for j < count, in `S` (out may be x0 or ε itself).
    @inlinable
    public static func noise<S: BinaryFloatingPoint>(_ x0: UnsafePointer<S>, epsilon: UnsafePointer<S>,
                                                     into out: UnsafeMutablePointer<S>, count: Int,
                                                     coefficients c: (x0: S, epsilon: S)) {
        for j in 0..<count { out[j] = c.x0 * x0[j] + c.epsilon * epsilon[j] }
    }

    /// x_t for every row of `x0` at one timestep t, with the noise ε of the same shape.
    public func noised<S: MatrixScalar>(_ x0: Matrix<S>, epsilon: Matrix<S>, timestep t: Int) -> Matrix<S> {
        let ab = alphaBar(t)
        // The specialised elementwise kernel; its a·x + b·ε rounds the coefficients to S first, as above.
        return StepCoefficients(x: ab.squareRoot(), epsilon: (1 - ab).squareRoot(), noise: 0).apply(x0, epsilon: epsilon)
    }

    /// x_t row by row, row i at `timesteps[i]`, with the noise ε of the same shape.
    public func noised<S: MatrixScalar>(_ x0: Matrix<S>, epsilon: Matrix<S>, timesteps: [Int]) -> Matrix<S> {
        precondition(x0.shape == epsilon.shape && timesteps.count == x0.rows,
                     "noised: x0 \(x0.shape), ε \(epsilon.shape), \(timesteps.count) timesteps")
        var out = Matrix<S>(rows: x0.rows, columns: x0.columns)
        let d = x0.columns
        x0.storage.withUnsafeBufferPointer { x in
            epsilon.storage.withUnsafeBufferPointer { e in
                out.storage.withUnsafeMutableBufferPointer { o in
                    for i in 0..<x0.rows {
                        NoiseSchedule.noise(x.baseAddress! + i * d, epsilon: e.baseAddress! + i * d, into: o.baseAddress! + i * d,
                                            count: d, coefficients: forwardCoefficients(timesteps[i], as: S.self))
                    }
                }
            }
        }
        return out
    }
}
