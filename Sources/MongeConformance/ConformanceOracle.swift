import Foundation
import MongeDiffusion

/// The two exact ε-models the kit's cases use, with their reference probability-flow maps:
/// a 2-D Gaussian (closed-form flow, `GaussianOracle.exactFlow`) and a 2-D mixture of three
/// Gaussians (no closed form: a fine RK4 integration of the exact ODE, `ReferenceFlow`).
public enum ConformanceOracle: String, CaseIterable, Codable, Sendable {
    case gaussian
    case mixture

    /// N(μ, Σ) with a full covariance (eigenvalues ≈ 0.22 and 1.28).
    public static let gaussianMean = [0.5, -0.3]
    public static let gaussianCovariance = [1.0, 0.4, 0.4, 0.5]
    /// Three isotropic components: means (rows), standard deviations, weights.
    public static let mixtureMeans = [[-1.5, 0.0], [1.0, 1.0], [0.5, -1.5]]
    public static let mixtureStds = [0.4, 0.3, 0.5]
    public static let mixtureWeights = [0.5, 0.3, 0.2]

    /// The oracle as a Monge denoiser on `schedule`.
    public func denoiser(schedule: NoiseSchedule) throws -> AnyDenoiser<Double> {
        switch self {
        case .gaussian:
            return AnyDenoiser(try GaussianOracle<Double>(mean: Self.gaussianMean, covariance: Self.gaussianCovariance, schedule: schedule))
        case .mixture:
            return AnyDenoiser(try mixture(schedule: schedule))
        }
    }

    func gaussian(schedule: NoiseSchedule) throws -> GaussianOracle<Double> {
        try GaussianOracle(mean: Self.gaussianMean, covariance: Self.gaussianCovariance, schedule: schedule)
    }

    func mixture(schedule: NoiseSchedule) throws -> MixtureOracle<Double> {
        let means = Matrix<Double>(rows: 3, columns: 2) { k, j in Self.mixtureMeans[k][j] }
        return try MixtureOracle(means: means, std: Self.mixtureStds, weights: Self.mixtureWeights, schedule: schedule)
    }

    /// The exact ε at noise level ᾱ.
    public func epsilon(_ x: Matrix<Double>, alphaBar: Double, schedule: NoiseSchedule) throws -> Matrix<Double> {
        switch self {
        case .gaussian: return try gaussian(schedule: schedule).epsilon(x, alphaBar: alphaBar)
        case .mixture: return try mixture(schedule: schedule).epsilon(x, alphaBar: alphaBar)
        }
    }

    /// The probability-flow map from level `from` to level `to` (−1: clean data): closed form for
    /// the Gaussian, `ReferenceFlow` for the mixture.
    public func flow(_ x: Matrix<Double>, from: Int, to: Int, schedule: NoiseSchedule) throws -> Matrix<Double> {
        switch self {
        case .gaussian:
            return try gaussian(schedule: schedule).exactFlow(x, from: from, to: to)
        case .mixture:
            let model = try mixture(schedule: schedule)
            return ReferenceFlow.integrate(x, from: schedule.alphaBar(from), to: schedule.alphaBar(to)) { model.epsilon($0, alphaBar: $1) }
        }
    }
}

/// A reference solution of the probability-flow ODE dy/dσ = ε(√ᾱ y, ᾱ), y = x/√ᾱ, ᾱ = 1/(1 + σ²),
/// by classical RK4 fine enough that its error (checked on the Gaussian against the closed form,
/// see the tests) is far below any sampler's: in u = log σ with steps of at most 0.002 while
/// σ > 0.05, and 200 steps uniform in σ over the stretch between 0.05 and σ = 0.
public enum ReferenceFlow {
    public static func integrate(_ x: Matrix<Double>, from aFrom: Double, to aTo: Double,
                                 epsilon: (Matrix<Double>, Double) -> Matrix<Double>) -> Matrix<Double> {
        func sigma(_ a: Double) -> Double { ((1 - a) / a).squareRoot() }
        let sFrom = sigma(aFrom), sTo = sigma(aTo)
        var y = x.storage.map { $0 / aFrom.squareRoot() }
        // f(σ, y) = ε(√ᾱ y, ᾱ): dy/dσ.
        func f(_ s: Double, _ y: [Double]) -> [Double] {
            let a = 1 / (1 + s * s)
            let xs = try! Matrix(rows: x.rows, columns: x.columns, storage: y.map { $0 * a.squareRoot() })
            return epsilon(xs, a).storage
        }
        func rk4(_ y: [Double], _ s: Double, _ h: Double, derivative: (Double, [Double]) -> [Double]) -> [Double] {
            let k1 = derivative(s, y)
            let k2 = derivative(s + h / 2, zip(y, k1).map { $0 + h / 2 * $1 })
            let k3 = derivative(s + h / 2, zip(y, k2).map { $0 + h / 2 * $1 })
            let k4 = derivative(s + h, zip(y, k3).map { $0 + h * $1 })
            return (0..<y.count).map { y[$0] + h / 6 * (k1[$0] + 2 * k2[$0] + 2 * k3[$0] + k4[$0]) }
        }
        // Log steps between positive levels; uniform steps in σ within [0, 0.05] when an end is 0.
        func logStretch(_ s0: Double, _ s1: Double) {
            let (u0, u1) = (log(s0), log(s1))
            let n = max(8, Int((abs(u1 - u0) / 0.002).rounded(.up)))
            let h = (u1 - u0) / Double(n)
            // dy/du = σ ε.
            for i in 0..<n { y = rk4(y, u0 + Double(i) * h, h) { u, y in f(exp(u), y).map { $0 * exp(u) } } }
        }
        func linearStretch(_ s0: Double, _ s1: Double) {
            let n = 200, h = (s1 - s0) / Double(n)
            for i in 0..<n { y = rk4(y, s0 + Double(i) * h, h, derivative: f) }
        }
        let knee = 0.05
        if sFrom > 0 && sTo > 0 {
            logStretch(sFrom, sTo)
        } else if sTo == 0 && sFrom > 0 {
            if sFrom > knee { logStretch(sFrom, knee) }
            linearStretch(min(sFrom, knee), 0)
        } else if sFrom == 0 && sTo > 0 {
            linearStretch(0, min(sTo, knee))
            if sTo > knee { logStretch(knee, sTo) }
        }
        return try! Matrix(rows: x.rows, columns: x.columns, storage: y.map { $0 * aTo.squareRoot() })
    }
}
