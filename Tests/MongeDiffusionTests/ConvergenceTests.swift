import Foundation
import MongeDiffusion
import Testing

/// The exact probability-flow map of Gaussian data is affine (`GaussianOracle.exactFlow`): DDIM
/// (Euler) must converge to it at order 1 and Heun at order 2, measured as the least-squares slope
/// of log(max error) against log(steps), in Double so that round-off does not interfere.
@Suite("Convergence to the exact Gaussian flow")
struct ConvergenceTests {
    static func oracle() throws -> GaussianOracle<Double> {
        // A full covariance with eigenvalues spread over about 0.04 … 1.2.
        try GaussianOracle(mean: [1, -0.5, 0.3],
                           covariance: [1.0, 0.3, 0.0,
                                        0.3, 0.5, 0.1,
                                        0.0, 0.1, 0.05],
                           schedule: .linear())
    }

    /// −slope of the least-squares line through (log K, log error).
    static func order(_ steps: [Int], _ errors: [Double]) -> Double {
        let xs = steps.map { log(Double($0)) }, ys = errors.map(log)
        let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
        let sxy = zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let sxx = xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        return -sxy / sxx
    }

    static func maxError(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double {
        zip(a.storage, b.storage).map { abs($0 - $1) }.max() ?? 0
    }

    /// Max errors of decoding (latent at the top timestep → data) and encoding (data → latent)
    /// against the exact flow, for each step count.
    static func errors(_ method: SamplerMethod, spacing: TimestepSpacing, steps: [Int]) throws -> (decode: [Double], encode: [Double]) {
        let model = try oracle()
        let T = model.schedule.count
        let latent: Matrix<Double> = RandomStream(seed: 7).normalMatrix(rows: 32, columns: 3)
        var decode: [Double] = [], encode: [Double] = []
        for k in steps {
            let timesteps = try Timesteps.respaced(count: T, steps: k, spacing: spacing)
            let data = model.exactFlow(latent, from: timesteps.max()!, to: -1)
            let decoded = try Sampler.decode(model, latent, timesteps: timesteps, method: method).x
            decode.append(maxError(decoded, data))
            let encoded = try Sampler.encode(model, data, timesteps: timesteps, method: method).x
            encode.append(maxError(encoded, latent))
        }
        return (decode, encode)
    }

    @Test("DDIM converges at order 1 and Heun at order 2, both directions (trailing spacing)")
    func orders() throws {
        let steps = [10, 20, 40, 80, 160]
        let ddim = try Self.errors(.ddim(eta: 0), spacing: .trailing, steps: steps)
        let heun = try Self.errors(.heun, spacing: .trailing, steps: steps)
        let orders = [ddim.decode, ddim.encode, heun.decode, heun.encode].map { Self.order(steps, $0) }
        print("K = \(steps), trailing; measured orders: DDIM decode \(orders[0]), encode \(orders[1]); Heun decode \(orders[2]), encode \(orders[3])")
        print("DDIM decode max errors \(ddim.decode); Heun decode max errors \(heun.decode)")
        #expect(abs(orders[0] - 1) < 0.15)
        #expect(abs(orders[1] - 1) < 0.15)
        #expect(abs(orders[2] - 2) < 0.25)
        #expect(abs(orders[3] - 2) < 0.25)
        // Heun is also far more accurate at equal steps.
        #expect(heun.decode.last! < ddim.decode.last! / 10)
    }

    /// With linspace or leading spacing the path ends 0 → −1, an Euler step of fixed size σ_0:
    /// Heun is second order until that step's O(σ_0²) error dominates, then levels off.
    @Test("Heun with a final 0 → −1 step: order 2, then an O(σ_0²) floor", arguments: [TimestepSpacing.linspace, .leading])
    func finalEulerStep(spacing: TimestepSpacing) throws {
        let steps = [10, 20, 40, 80]
        let heun = try Self.errors(.heun, spacing: spacing, steps: steps)
        let order = Self.order(steps, heun.decode)
        print("\(spacing): Heun decode order over K = \(steps): \(order)")
        #expect(abs(order - 2) < 0.25)
        let fine = try Self.errors(.heun, spacing: spacing, steps: [640])
        #expect(fine.decode[0] < 2e-3)
    }
}
