import Foundation
import MongeDiffusion
import Testing

/// Step arithmetic against the papers' formulas, written out here independently on scalars.
@Suite("Step rules")
struct StepRuleTests {
    /// DDIM eq. 12 through x̂_0, as printed in the paper.
    static func paperDDIM(x: Double, eps: Double, z: Double, at: Double, as_: Double, eta: Double) -> Double {
        let x0 = (x - (1 - at).squareRoot() * eps) / at.squareRoot()
        let sigma = eta * ((1 - as_) / (1 - at)).squareRoot() * (1 - at / as_).squareRoot()
        return as_.squareRoot() * x0 + (1 - as_ - sigma * sigma).squareRoot() * eps + sigma * z
    }

    @Test("DDIM eq. 12 on fixed inputs, η ∈ {0, 0.5, 1}, in Double and Float")
    func ddimFixedInputs() {
        let x = [0.3, -1.2, 2.5], eps = [0.5, 0.1, -0.8], z = [0.7, -0.4, 1.1]
        for (at, as_) in [(0.25, 0.64), (0.01, 0.3), (0.9, 1.0)] {
            for eta in [0.0, 0.5, 1.0] {
                let c = DDIM.coefficients(eta: eta, alphaBarFrom: at, alphaBarTo: as_)
                let d = c.apply(Matrix([x]), epsilon: Matrix([eps]), noise: Matrix([z]))
                let f = c.apply(Matrix<Float>([x.map(Float.init)]), epsilon: Matrix([eps.map(Float.init)]), noise: Matrix([z.map(Float.init)]))
                for j in 0..<3 {
                    let expected = Self.paperDDIM(x: x[j], eps: eps[j], z: z[j], at: at, as_: as_, eta: eta)
                    #expect(abs(d[0, j] - expected) < 1e-14 * max(1, abs(expected)))
                    #expect(abs(Double(f[0, j]) - expected) < 2e-6 * max(1, abs(expected)))
                }
            }
        }
        // A golden value: ᾱ_t = 0.25, ᾱ_s = 0.64, η = 0, x = 0.3, ε = 0.5:
        // x̂_0 = (0.3 − √0.75·0.5)/0.5, x_s = 0.8 x̂_0 + 0.6·0.5 = 0.48 − 0.8√0.75 + 0.3.
        let g = DDIM.coefficients(eta: 0, alphaBarFrom: 0.25, alphaBarTo: 0.64).apply(Matrix([[0.3]]), epsilon: Matrix([[0.5]]))
        #expect(abs(g[0, 0] - (0.78 - 0.8 * 0.75.squareRoot())) < 1e-15)
    }

    @Test("Inversion: x_u = √ᾱ_u x̂_0 + √(1 − ᾱ_u) ε, and with ε fixed it undoes the step back")
    func inversion() {
        let (at, au) = (0.8, 0.2)
        let x = Matrix([[0.4, -2.0]]), eps = Matrix([[1.5, 0.3]])
        let up = DDIM.coefficients(eta: 0, alphaBarFrom: at, alphaBarTo: au).apply(x, epsilon: eps)
        for j in 0..<2 {
            let x0 = (x[0, j] - (1 - at).squareRoot() * eps[0, j]) / at.squareRoot()
            #expect(abs(up[0, j] - (au.squareRoot() * x0 + (1 - au).squareRoot() * eps[0, j])) < 1e-14)
        }
        let back = DDIM.coefficients(eta: 0, alphaBarFrom: au, alphaBarTo: at).apply(up, epsilon: eps)
        #expect(zip(back.storage, x.storage).allSatisfy { abs($0 - $1) < 1e-14 })
    }

    @Test("η = 1 is the DDPM posterior: same variance β̃ and same mean, for respaced steps")
    func etaOneIsDDPM() throws {
        let s = try NoiseSchedule.linear()
        let path = Timesteps.decodingPath(try Timesteps.respaced(count: 1000, steps: 7, spacing: .trailing))
        for (t, u) in zip(path, path.dropFirst()) {
            let at = s.alphaBar(t), au = s.alphaBar(u)
            let ddim = DDIM.coefficients(eta: 1, alphaBarFrom: at, alphaBarTo: au)
            let ddpm = DDPM.coefficients(alphaBarFrom: at, alphaBarTo: au)
            let posterior = DDPM.posterior(alphaBarFrom: at, alphaBarTo: au)
            #expect(abs(ddim.noise * ddim.noise - posterior.variance) < 1e-14)
            #expect(abs(ddim.noise - ddpm.noise) < 1e-14)
            #expect(abs(ddim.x - ddpm.x) < 1e-10 * abs(ddpm.x))
            #expect(abs(ddim.epsilon - ddpm.epsilon) < 1e-10 * max(1, abs(ddpm.epsilon)))
        }
    }

    @Test("DDPM posterior for consecutive steps matches DDPM eqs. 6–7 with the schedule's β_t")
    func ddpmConsecutive() throws {
        let s = try NoiseSchedule.linear()
        for t in [1, 10, 500, 999] {
            let beta = s.betas[t], at = s.alphaBar(t), ap = s.alphaBar(t - 1)
            let p = DDPM.posterior(alphaBarFrom: at, alphaBarTo: ap)
            #expect(abs(p.variance - (1 - ap) / (1 - at) * beta) < 1e-16)
            // (1 − ᾱ_t/ᾱ_{t−1} loses ~1e-12 relative against β_t when β_t ≈ 1e-4.)
            #expect(abs(p.meanX0 - ap.squareRoot() * beta / (1 - at)) < 1e-11)
            #expect(abs(p.meanXt - (1 - beta).squareRoot() * (1 - ap) / (1 - at)) < 1e-11)
        }
        // The last step, to clean data, is deterministic and returns x̂_0.
        let last = DDPM.posterior(alphaBarFrom: s.alphaBar(0), alphaBarTo: 1)
        #expect(last.variance == 0 && abs(last.meanX0 - 1) < 1e-15 && last.meanXt == 0)
    }

    @Test("The sampler applies eq. 12 with noise z from substream (step, k) at row-major index i·D + d")
    func samplerUsesPaperStep() throws {
        let schedule = try NoiseSchedule.linear()
        let model = ConstantDenoiser<Double>(schedule: schedule, value: [0.5, -0.25])
        let x = Matrix<Double>([[0.3, -1.2], [1.0, 0.2], [-0.7, 0.9]])
        let noise = RandomStream(seed: 99)
        let path = [700, 300, -1]
        let out = try Sampler.run(model, x, path: path, method: .ddim(eta: 0.5), noise: noise, options: SamplerOptions(blockSize: 2)).x
        var expected = x
        for k in 0..<2 {
            let z = noise.substream(Sampler.NoiseTag.step.rawValue, UInt64(k))
            for i in 0..<3 { for j in 0..<2 {
                expected[i, j] = Self.paperDDIM(x: expected[i, j], eps: model.value[j], z: z.normal(UInt64(i * 2 + j)),
                                                at: schedule.alphaBar(path[k]), as_: schedule.alphaBar(path[k + 1]), eta: 0.5)
            } }
        }
        #expect(zip(out.storage, expected.storage).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    @Test("Heun integrates ε = σ_t·v exactly, with stages at level 0 near level −1", arguments: [TimestepSpacing.trailing, .linspace])
    func heunExactOnLinear(spacing: TimestepSpacing) throws {
        let schedule = try NoiseSchedule.linear()
        let model = LinearInSigmaDenoiser(schedule: schedule, v: [1.0, -0.5])
        let timesteps = try Timesteps.respaced(count: 1000, steps: 9, spacing: spacing)
        let data = Matrix<Double>([[0.2, 0.4], [-1, 3]])
        let top = timesteps.max()!, sTop = schedule.sigma(top), bottom = timesteps.min()!
        // Exact: y_top = y_data + σ_top²/2 · v; x = √ᾱ y.
        let exact = Matrix<Double>(rows: 2, columns: 2) { i, j in
            schedule.alphaBar(top).squareRoot() * (data[i, j] + sTop * sTop / 2 * model.v[j])
        }
        let encoded = try Sampler.encode(model, data, timesteps: timesteps, method: .heun)
        let decoded = try Sampler.decode(model, exact, timesteps: timesteps, method: .heun)
        if bottom > 0 {
            // (y reaches σ_top²/2 ≈ 1.2e4 on the way: round-off ≈ 1e-12.)
            #expect(zip(encoded.x.storage, exact.storage).allSatisfy { abs($0 - $1) < 1e-10 })
            #expect(zip(decoded.x.storage, data.storage).allSatisfy { abs($0 - $1) < 1e-10 })
            #expect(decoded.evaluations == 18)
        } else {
            // The 0 ↔ −1 step is Euler: its error is σ_0²/2 · |v| exactly.
            let s0 = schedule.sigma(0)
            let error = zip(decoded.x.storage, data.storage).map { abs($0 - $1) }.max()!
            #expect(abs(error - s0 * s0 / 2 * 1.0) < 1e-10)
            #expect(decoded.evaluations == 17)
        }
    }
}
