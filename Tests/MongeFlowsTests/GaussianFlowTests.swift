import Foundation
import MongeCore
import MongeFlows
import MongeNN
import Testing

/// Gaussian → Gaussian in 1-D, x₀ ~ N(0, 1), x₁ ~ N(m, s²): the population fields are known.
/// - independent coupling (rectified flow): v(x, t) = m + k(t)(x − tm), k = (ts² − (1 − t))/((1 − t)² + t²s²);
/// - OT coupling (x₁ = m + s·x₀): v(x, t) = m + (s − 1)(x − tm)/(1 − t + ts), whose ODE map is x ↦ m + s·x
///   with path energy W2² = m² + (s − 1)².
@Suite("Gaussian closed forms")
struct GaussianFlowTests {
    static let m = 2.0, s = 0.5

    static func samples(_ n: Int, seed: UInt64, mean: Double, std: Double) -> Matrix<Double> {
        let r = RandomStream(seed: seed)
        return Matrix(rows: n, columns: 1) { i, _ in mean + std * r.normal(UInt64(i)) }
    }

    static func independentField(_ x: Double, _ t: Double) -> Double {
        let k = (t * s * s - (1 - t)) / ((1 - t) * (1 - t) + t * t * s * s)
        return m + k * (x - t * m)
    }

    static func otField(_ x: Double, _ t: Double) -> Double { m + (s - 1) * (x - t * m) / (1 - t + t * s) }

    /// Residuals of the batch targets u from a field f: the mean, and the mean of r·(x_t − tm).
    static func residualMoments(_ method: FlowMethod, field: (Double, Double) -> Double) throws -> (mean: Double, covariance: Double, square: Double, scale: Double) {
        let source = samples(20_000, seed: 1, mean: 0, std: 1), target = samples(20_000, seed: 2, mean: m, std: s)
        let model = try VelocityNetwork(config: VelocityNetwork.defaultConfig(dimension: 1, width: 8, depth: 1), timeScale: 10)
        let config = FlowTrainingConfig(objective: try FlowObjective(method: method, sigma: 0), steps: 1, batchSize: 512, seed: 3)
        let trainer = try FlowTrainer(model: model, data: .samples(source: source, target: target), config: config)
        var sum = 0.0, cross = 0.0, square = 0.0, scale = 0.0, count = 0.0
        for step in 0..<20 {
            let (points, times, targets) = try trainer.batch(step: step)
            for i in 0..<points.count {
                let x = Double(points[i]), t = times[i], u = Double(targets[i])
                let r = u - field(x, t)
                sum += r; cross += r * (x - t * m); square += r * r; scale += u * u; count += 1
            }
        }
        return (sum / count, cross / count, square / count, scale / count)
    }

    /// The independent coupling's targets scatter around the population field: residuals have mean 0
    /// and are uncorrelated with x_t − tm (the conditional expectation is affine for Gaussians).
    @Test func independentBatchesRegressOnThePopulationField() throws {
        let r = try Self.residualMoments(.rectifiedFlow, field: Self.independentField)
        #expect(abs(r.mean) < 0.03, "mean residual \(r.mean)")
        #expect(abs(r.covariance) < 0.03, "residual covariance \(r.covariance)")
        // Against the OT field the same residuals correlate with x_t − tm: E_t[(k_ind − k_OT)·Var x_t] ≈ −0.114
        // (the test tells the couplings apart).
        let o = try Self.residualMoments(.rectifiedFlow, field: Self.otField)
        #expect(o.covariance < -0.07, "covariance against the OT field \(o.covariance)")
    }

    /// Minibatch OT in 1-D is the sorted (quantile) matching, so the targets are almost exactly the
    /// population OT field: residuals below 2 % of the targets' second moment.
    @Test func otBatchesFollowThePopulationOTField() throws {
        let r = try Self.residualMoments(.optimalTransport, field: Self.otField)
        #expect(r.square < 0.02 * r.scale, "residual \(r.square) vs \(r.scale)")
        // Against the independent field: E_t[(k_ind − k_OT)²·Var x_t] ≈ 0.215.
        let i = try Self.residualMoments(.optimalTransport, field: Self.independentField)
        #expect(i.square > 0.1, "residual against the independent field \(i.square)")
    }

    /// The OT field integrates to the Monge map m + s·x with path energy W2² = m² + (s − 1)².
    @Test func otFieldIntegratesToTheMongeMapWithEnergyW2() throws {
        let field = ClosureField(dimension: 1) { x, _, t in x.map { Self.otField($0, t) } }
        let x0 = Self.samples(500, seed: 7, mean: 0, std: 1)
        let r = try Integrator.dopri5(rtol: 1e-9, atol: 1e-9).integrate(field, from: x0)
        for i in 0..<x0.rows { #expect(abs(r.mapped[i, 0] - (Self.m + Self.s * x0[i, 0])) < 1e-6) }
        // Per row ∫‖v‖² = (T(x) − x)² (straight, constant speed); the mean → m² + (s − 1)².
        for i in 0..<x0.rows { #expect(abs(r.rowEnergies[i] - pow(Self.m + (Self.s - 1) * x0[i, 0], 2)) < 1e-6) }
        let w2 = Self.m * Self.m + (Self.s - 1) * (Self.s - 1)
        #expect(abs(r.pathEnergy - w2) < 0.1)
    }

    /// A trained 1-D rectified flow approaches the monotone (OT) map x ↦ m + s·x: in 1-D every flow
    /// map is monotone, so the population map of rectified flow is the Monge map.
    @Test func trainedRectifiedFlowLearnsTheMongeMap() throws {
        let source = Self.samples(20_000, seed: 11, mean: 0, std: 1), target = Self.samples(20_000, seed: 12, mean: Self.m, std: Self.s)
        let model = try VelocityNetwork(config: VelocityNetwork.defaultConfig(dimension: 1, width: 32, depth: 2), timeScale: 10)
        let config = FlowTrainingConfig(objective: try FlowObjective(method: .rectifiedFlow), steps: 1500, batchSize: 256, seed: 4)
        let trainer = try FlowTrainer(model: model, data: .samples(source: source, target: target), config: config)
        try trainer.train()
        let x = Matrix<Double>(rows: 9, columns: 1) { i, _ in -1.6 + 0.4 * Double(i) }
        let r = try Integrator.dopri5(rtol: 1e-5, atol: 1e-5).integrate(try FlowField(model: model, parameters: trainer.average), from: x)
        for i in 0..<9 { #expect(abs(r.mapped[i, 0] - (Self.m + Self.s * x[i, 0])) < 0.12, "x = \(x[i, 0]): T(x) = \(r.mapped[i, 0])") }
    }
}
