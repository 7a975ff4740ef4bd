import Foundation
import MongeBridges
import Testing

/// The sampler core and DDIB in D = 64 (the dimension of 8×8 images), checked against the exact
/// flow of Gaussian oracles: DDIM/Heun encoding converges to the exact latent at orders 1 and 2,
/// decode(encode(x)) returns x, and the oracle bridge reproduces the closed-form DDIB map.
@Suite("The sampler core in 64 dimensions")
struct ImageDimensionTests {
    static let d = 64

    /// A random SPD covariance G Gᵀ/d + 0.02 I, eigenvalues roughly 0.02 … 4.
    static func covariance(seed: UInt64) -> [Double] {
        let g: Matrix<Double> = RandomStream(seed: seed).normalMatrix(rows: d, columns: d)
        let c = g.matmul(g, transposeOther: true)
        return (0..<d * d).map { k in c.storage[k] / Double(d) + (k / d == k % d ? 0.02 : 0) }
    }

    static func oracle(seed: UInt64) throws -> GaussianOracle<Double> {
        let mean = (0..<d).map { 0.5 * sin(Double($0 + Int(seed))) }
        return try GaussianOracle(mean: mean, covariance: covariance(seed: seed), schedule: .linear())
    }

    static func order(_ steps: [Int], _ errors: [Double]) -> Double {
        let xs = steps.map { log(Double($0)) }, ys = errors.map(log)
        let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
        return -zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
    }

    @Test("DDIM (order 1) and Heun (order 2) encode 64-D data onto the exact latent; decode(encode(x)) → x")
    func encodeDecode() throws {
        let model = try Self.oracle(seed: 3)
        let T = model.schedule.count
        // Data drawn from the oracle's own distribution: the exact flow of standard normal latents.
        let z: Matrix<Double> = RandomStream(seed: 9).normalMatrix(rows: 16, columns: Self.d)
        let data = model.exactFlow(z, from: T - 1, to: -1)
        let steps = [10, 20, 40, 80]
        for (method, expectedOrder) in [(SamplerMethod.ddim(eta: 0), 1.0), (.heun, 2.0)] {
            var latentErrors: [Double] = [], roundTrip: [Double] = []
            for k in steps {
                let timesteps = try Timesteps.respaced(count: T, steps: k, spacing: .trailing)
                let exactLatent = model.exactFlow(data, from: -1, to: timesteps.max()!)
                let latent = try Sampler.encode(model, data, timesteps: timesteps, method: method).x
                latentErrors.append(latent.maxAbsDifference(exactLatent))
                let back = try Sampler.decode(model, latent, timesteps: timesteps, method: method).x
                roundTrip.append(back.maxAbsDifference(data))
            }
            let measured = Self.order(steps, latentErrors)
            #expect(abs(measured - expectedOrder) < 0.3, "\(method): latent errors \(latentErrors), order \(measured)")
            #expect(zip(roundTrip, roundTrip.dropFirst()).allSatisfy { $1 < $0 }, "\(method): round trip \(roundTrip)")
            let roundTripOrder = Self.order(steps, roundTrip)
            // At least the method's order (Heun's round trip converges faster here: its errors partly cancel).
            #expect(roundTripOrder > expectedOrder - 0.35, "\(method): round trip \(roundTrip), order \(roundTripOrder)")
            print("64-D \(method): latent max errors \(latentErrors) (order \(measured)); round trip \(roundTrip) (order \(roundTripOrder))")
        }
    }

    @Test("The oracle DDIB bridge between 64-D Gaussians is the closed-form map, not the Monge map")
    func bridgeMatchesClosedForm() throws {
        let schedule = try NoiseSchedule.linear()
        let (ca, cb) = (Self.covariance(seed: 1), Self.covariance(seed: 2))
        let zero = [Double](repeating: 0, count: Self.d)
        let a = try GaussianOracle<Double>(mean: zero, covariance: ca, schedule: schedule)
        let b = try GaussianOracle<Double>(mean: zero, covariance: cb, schedule: schedule)
        let theory = try GaussianBridgeTheory(covarianceA: ca, covarianceB: cb, dimension: Self.d)
        let x = a.exactFlow(RandomStream(seed: 5).normalMatrix(rows: 12, columns: Self.d), from: schedule.count - 1, to: -1)
        let m = theory.ddibMap(sigmaT: schedule.sigma(schedule.count - 1))
        let expected = Matrix<Double>(rows: x.rows, columns: Self.d) { i, j in (0..<Self.d).reduce(0) { $0 + m[j * Self.d + $1] * x[i, $1] } }
        let coarse = try DDIBBridge(source: a, target: b, steps: 25, method: .heun).translate(x).mapped.maxAbsDifference(expected)
        let fine = try DDIBBridge(source: a, target: b, steps: 100, method: .heun).translate(x).mapped.maxAbsDifference(expected)
        #expect(fine < coarse / 4, "Heun errors \(coarse) at 25 steps, \(fine) at 100")
        #expect(fine < 1e-2)
        // Non-commuting covariances: even the exact bridge is costlier than optimal transport.
        #expect(theory.ddibGap() > 0.01, "gap \(theory.ddibGap())")
    }
}
