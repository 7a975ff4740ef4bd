import Foundation
import MongeDiffusion
import Testing

/// k-diffusion's samplers in Monge (Euler, ancestral Euler, DPM-Solver++(2M)) and Karras spacing,
/// checked against identities of the math (Euler in (y, σ) is DDIM η = 0; ancestral Euler is DDIM
/// η = 1) and against the exact Gaussian flow (orders of convergence).
@Suite("k-diffusion samplers")
struct KDiffusionSamplerTests {
    static func oracle() throws -> GaussianOracle<Double> { try ConvergenceTests.oracle() }

    @Test("Euler in (y, σ) equals DDIM η = 0, decoding and encoding")
    func eulerIsDDIM() throws {
        let model = try Self.oracle()
        let x: Matrix<Double> = RandomStream(seed: 3).normalMatrix(rows: 16, columns: 3)
        let t = try Timesteps.respaced(count: 1000, steps: 12, spacing: .linspace)
        for path in [Timesteps.decodingPath(t), Timesteps.encodingPath(t)] {
            let euler = try Sampler.run(model, x, path: path, method: .euler).x
            let ddim = try Sampler.run(model, x, path: path, method: .ddim(eta: 0)).x
            #expect(ConvergenceTests.maxError(euler, ddim) < 1e-11)
        }
    }

    @Test("Ancestral Euler equals DDIM η = 1 with the same noise (σ_up² = σ_s²(σ_t² − σ_s²)/σ_t²)")
    func ancestralIsDDIMOne() throws {
        let model = try Self.oracle()
        let x: Matrix<Double> = RandomStream(seed: 4).normalMatrix(rows: 16, columns: 3)
        let path = Timesteps.decodingPath(try Timesteps.respaced(count: 1000, steps: 9, spacing: .trailing))
        let ancestral = try Sampler.run(model, x, path: path, method: .eulerAncestral, noise: RandomStream(seed: 9)).x
        let ddim = try Sampler.run(model, x, path: path, method: .ddim(eta: 1), noise: RandomStream(seed: 9)).x
        #expect(ConvergenceTests.maxError(ancestral, ddim) < 1e-11)
        let other = try Sampler.run(model, x, path: path, method: .eulerAncestral, noise: RandomStream(seed: 10)).x
        #expect(ConvergenceTests.maxError(ancestral, other) > 1e-3)
    }

    @Test("DPM-Solver++(2M)'s first step, and its step to σ = 0, are DDIM η = 0")
    func dpmFirstOrderSteps() throws {
        let model = try Self.oracle()
        let x: Matrix<Double> = RandomStream(seed: 5).normalMatrix(rows: 8, columns: 3)
        for path in [[700, 400], [30, -1]] {
            let dpm = try Sampler.run(model, x, path: path, method: .dpmSolverPlusPlus2M).x
            let ddim = try Sampler.run(model, x, path: path, method: .ddim(eta: 0)).x
            #expect(ConvergenceTests.maxError(dpm, ddim) < 1e-11)
        }
        // The second step uses the first one's prediction: it differs from DDIM by O(h²), not zero.
        let two = try Sampler.run(model, x, path: [700, 400, 200], method: .dpmSolverPlusPlus2M).x
        let ddim = try Sampler.run(model, x, path: [700, 400, 200], method: .ddim(eta: 0)).x
        #expect(ConvergenceTests.maxError(two, ddim) > 1e-6)
    }

    /// Max error of each method at the end of its path against the exact flow: linspace-like paths
    /// 999 → 99 (uniform in t; below t ≈ T/10 such paths take log-SNR steps that do not shrink with
    /// K, σ² ∝ t, which caps DPM-Solver's order), or Karras levels down to level 0.
    static func errors(_ method: SamplerMethod, steps: [Int], karras: Bool) throws -> [Double] {
        let model = try oracle()
        let latent: Matrix<Double> = RandomStream(seed: 7).normalMatrix(rows: 32, columns: 3)
        return try steps.map { k in
            let path = karras ? try Timesteps.karras(schedule: model.schedule, steps: k + 1)
                              : (0...k).map { Int((999 - 900 * Double($0) / Double(k)).rounded()) }
            let exact = model.exactFlow(latent, from: path[0], to: path.last!)
            return ConvergenceTests.maxError(try Sampler.run(model, latent, path: path, method: method).x, exact)
        }
    }

    @Test("Orders against the exact Gaussian flow: Euler ≈ 1, DPM-Solver++(2M) ≈ 2 (uniform levels to 99; Karras levels to 0)")
    func orders() throws {
        for (karras, steps) in [(false, [20, 40, 80, 160]), (true, [10, 20, 40, 60])] {
            let euler = try Self.errors(.euler, steps: steps, karras: karras)
            let dpm = try Self.errors(.dpmSolverPlusPlus2M, steps: steps, karras: karras)
            let (eulerOrder, dpmOrder) = (ConvergenceTests.order(steps, euler), ConvergenceTests.order(steps, dpm))
            print("karras \(karras), K = \(steps): Euler order \(eulerOrder) errors \(euler); DPM-Solver++(2M) order \(dpmOrder) errors \(dpm)")
            #expect(abs(eulerOrder - 1) < 0.15)
            #expect(abs(dpmOrder - 2) < 0.25)
            #expect(dpm.last! < euler.last! / 10)
        }
    }

    @Test("Karras levels: both ends, descending, each the nearest level in log σ to σ_i of eq. 5")
    func karrasLevels() throws {
        let schedule = try NoiseSchedule.linear()
        let levels = try Timesteps.karras(schedule: schedule, steps: 10)
        #expect(levels.count == 10 && levels.first == 999 && levels.last == 0)
        let rho = 7.0
        let low = pow(schedule.sigma(0), 1 / rho), high = pow(schedule.sigma(999), 1 / rho)
        for (i, t) in levels.enumerated() {
            let target = log(pow(high + Double(i) / 9 * (low - high), rho))
            let best = (0..<1000).min { abs(log(schedule.sigma($0)) - target) < abs(log(schedule.sigma($1)) - target) }!
            #expect(t == best, "σ_\(i): level \(t), nearest \(best)")
        }
        #expect(throws: MongeError.self) { try Timesteps.karras(schedule: schedule, steps: 900) }
        #expect(throws: MongeError.self) { try Timesteps.karras(schedule: schedule, steps: 1) }
    }

    @Test("DPM-Solver++(2M) and ancestral Euler refuse to encode")
    func refuseEncoding() throws {
        let model = try Self.oracle()
        let x: Matrix<Double> = RandomStream(seed: 1).normalMatrix(rows: 2, columns: 3)
        for method in [SamplerMethod.dpmSolverPlusPlus2M, .eulerAncestral] {
            #expect(throws: MongeError.self) { try Sampler.run(model, x, path: [-1, 10, 20], method: method) }
        }
    }
}
