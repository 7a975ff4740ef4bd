import Foundation
import MongeConformance
import MongeDiffusion
import Testing

/// The kit's references against closed forms computed here, independently of the library's step
/// rules and oracles: Tweedie's E[x_0 | x_t] and the joint-Gaussian E[x_s | x_t] of a 2-D Gaussian
/// by explicit 2×2 algebra, and the RK4 reference flow against the closed-form Gaussian flow.
@Suite("Conformance kit references")
struct KitReferenceTests {
    static let built = try! ConformanceKit.build()
    static func array(_ path: String) -> [Double] { built.arrays.first { $0.0 == path }!.1.values(as: Double.self) }

    /// 2×2 helpers on row-major [a, b, c, d].
    static func inverse(_ m: [Double]) -> [Double] {
        let det = m[0] * m[3] - m[1] * m[2]
        return [m[3] / det, -m[1] / det, -m[2] / det, m[0] / det]
    }
    static func times(_ m: [Double], _ v: [Double]) -> [Double] { [m[0] * v[0] + m[1] * v[1], m[2] * v[0] + m[3] * v[1]] }

    /// Tweedie: E[x_0 | x_t] = μ + √ᾱ Σ C⁻¹ (x − √ᾱ μ), C = ᾱ Σ + (1 − ᾱ) I.
    static func tweedie(_ x: [Double], alphaBar a: Double) -> [Double] {
        let mu = ConformanceOracle.gaussianMean, s = ConformanceOracle.gaussianCovariance
        let c = [a * s[0] + 1 - a, a * s[1], a * s[2], a * s[3] + 1 - a]
        let r = times(inverse(c), [x[0] - a.squareRoot() * mu[0], x[1] - a.squareRoot() * mu[1]])
        let sr = times(s, r)
        return [mu[0] + a.squareRoot() * sr[0], mu[1] + a.squareRoot() * sr[1]]
    }

    /// E[x_s | x_t] of the joint Gaussian: √ᾱ_s μ + K C_t⁻¹ (x − √ᾱ_t μ), K = Cov(x_s, x_t) = √(ᾱ_sᾱ_t) Σ + √(ᾱ_t/ᾱ_s)(1 − ᾱ_s) I.
    static func conditionalMean(_ x: [Double], from at: Double, to as_: Double) -> [Double] {
        let mu = ConformanceOracle.gaussianMean, s = ConformanceOracle.gaussianCovariance
        let c = [at * s[0] + 1 - at, at * s[1], at * s[2], at * s[3] + 1 - at]
        let shared = (as_ * at).squareRoot(), own = (at / as_).squareRoot() * (1 - as_)
        let k = [shared * s[0] + own, shared * s[1], shared * s[2], shared * s[3] + own]
        let v = times(k, times(inverse(c), [x[0] - at.squareRoot() * mu[0], x[1] - at.squareRoot() * mu[1]]))
        return [as_.squareRoot() * mu[0] + v[0], as_.squareRoot() * mu[1] + v[1]]
    }

    static func schedule(_ name: String) throws -> NoiseSchedule {
        try ConformanceKit.schedules().first { $0.name == name }!.schedule
    }

    @Test("Gaussian single steps: DDIM η = 0 from Tweedie's x̂_0; DDPM's mean is E[x_s | x_t]; DDIM η = 1 is DDPM; inversion")
    func gaussianSteps() throws {
        var worst = 0.0
        for c in Self.built.manifest.stepCases where c.oracle == "gaussian" {
            let schedule = try Self.schedule(c.schedule)
            let x = Self.array(c.x), noise = Self.array(c.noise)
            let ddim0 = Self.array(c.expected["ddim_eta0"]!), ddim1 = Self.array(c.expected["ddim_eta1"]!)
            let ddpm = Self.array(c.expected["ddpm"]!), inversion = Self.array(c.expected["inversion"]!)
            let invX = Self.array(c.inversionX)
            for k in 0..<c.steps {
                let (t, s) = (c.levels[k], c.levels[k + 1])
                let (at, as_) = (schedule.alphaBar(t), schedule.alphaBar(s))
                let variance = (1 - as_) / (1 - at) * (1 - at / as_)
                for i in 0..<ConformanceKit.rows {
                    let o = (k * ConformanceKit.rows + i) * 2
                    let xt = Array(x[o..<(o + 2)])
                    let x0 = Self.tweedie(xt, alphaBar: at)
                    let mean = Self.conditionalMean(xt, from: at, to: as_)
                    for j in 0..<2 {
                        let eps = (xt[j] - at.squareRoot() * x0[j]) / (1 - at).squareRoot()
                        let errors = [
                            abs(ddim0[o + j] - (as_.squareRoot() * x0[j] + (1 - as_).squareRoot() * eps)),
                            abs(ddpm[o + j] - (mean[j] + variance.squareRoot() * noise[o + j])),
                            abs(ddim1[o + j] - ddpm[o + j]),
                        ]
                        worst = max(worst, errors.max()! / (1 + abs(ddim0[o + j])))
                    }
                    // Inversion s → t with ε at level max(s, 0): x̂_0 from that level's Tweedie (exact data at −1).
                    let xs = Array(invX[o..<(o + 2)])
                    let a0 = schedule.alphaBar(max(s, 0))
                    let x0s = Self.tweedie(xs, alphaBar: a0)
                    for j in 0..<2 {
                        // ε at (x_s, level max(s, 0)), then x_t = √ᾱ_t x̂_0 + √(1 − ᾱ_t) ε with x̂_0 = (x_s − √(1 − ᾱ_s) ε)/√ᾱ_s.
                        let eps = (xs[j] - a0.squareRoot() * x0s[j]) / (1 - a0).squareRoot()
                        let hat = (xs[j] - (1 - as_).squareRoot() * eps) / as_.squareRoot()
                        worst = max(worst, abs(inversion[o + j] - (at.squareRoot() * hat + (1 - at).squareRoot() * eps)) / (1 + abs(inversion[o + j])))
                    }
                }
            }
        }
        print("worst scaled difference of the Gaussian single-step references from the closed forms: \(worst)")
        #expect(worst < 1e-10)
    }

    @Test("Gaussian Heun steps: Euler predictor and trapezoid in (y, σ) with Tweedie's ε at both ends")
    func gaussianHeun() throws {
        var worst = 0.0
        for c in Self.built.manifest.stepCases where c.oracle == "gaussian" {
            let schedule = try Self.schedule(c.schedule)
            let x = Self.array(c.x), heun = Self.array(c.expected["heun"]!)
            func epsilon(_ x: [Double], _ a: Double) -> [Double] {
                let x0 = Self.tweedie(x, alphaBar: a)
                return (0..<2).map { (x[$0] - a.squareRoot() * x0[$0]) / (1 - a).squareRoot() }
            }
            for k in 0..<(c.steps - 1) {
                let (at, as_) = (schedule.alphaBar(c.levels[k]), schedule.alphaBar(c.levels[k + 1]))
                let h = ((1 - as_) / as_).squareRoot() - ((1 - at) / at).squareRoot()
                for i in 0..<ConformanceKit.rows {
                    let o = (k * ConformanceKit.rows + i) * 2
                    let xt = Array(x[o..<(o + 2)]), y = xt.map { $0 / at.squareRoot() }
                    let e1 = epsilon(xt, at)
                    let e2 = epsilon((0..<2).map { (y[$0] + h * e1[$0]) * as_.squareRoot() }, as_)
                    for j in 0..<2 {
                        let expected = (y[j] + h * (e1[j] + e2[j]) / 2) * as_.squareRoot()
                        worst = max(worst, abs(heun[o + j] - expected) / (1 + abs(expected)))
                    }
                }
            }
        }
        print("worst scaled difference of the Gaussian Heun references from the closed form: \(worst)")
        // Round-off amplified by cosine's top level (σ ≈ 2·10⁴): within the kit's float64 tolerance.
        #expect(worst < 1e-9)
    }

    @Test("The trajectory references: the closed-form flow for the Gaussian; RK4 agrees with it to 1e-9")
    func trajectories() throws {
        for (name, schedule, _) in try ConformanceKit.schedules() {
            let gaussian = try GaussianOracle<Double>(mean: ConformanceOracle.gaussianMean, covariance: ConformanceOracle.gaussianCovariance, schedule: schedule)
            let x: Matrix<Double> = RandomStream(seed: 3).normalMatrix(rows: 6, columns: 2)
            let levels = Timesteps.decodingPath(try Timesteps.respaced(count: schedule.count, steps: 10, spacing: .trailing))
            var state = x, worst = 0.0
            for (t, s) in zip(levels, levels.dropFirst()) {
                state = ReferenceFlow.integrate(state, from: schedule.alphaBar(t), to: schedule.alphaBar(s)) { gaussian.epsilon($0, alphaBar: $1) }
                let exact = gaussian.exactFlow(x, from: levels[0], to: s)
                worst = max(worst, zip(state.storage, exact.storage).map { abs($0 - $1) }.max()!)
            }
            // And upwards from clean data.
            let up = ReferenceFlow.integrate(state, from: 1, to: schedule.alphaBar(levels[0])) { gaussian.epsilon($0, alphaBar: $1) }
            worst = max(worst, zip(up.storage, x.storage).map { abs($0 - $1) }.max()!)
            print("\(name): RK4 reference vs closed-form flow, max error \(worst)")
            #expect(worst < 1e-9)
        }
        // The kit's Gaussian trajectory states are the closed form.
        for c in Self.built.manifest.trajectoryCases where c.oracle == "gaussian" && c.steps == 10 {
            let schedule = try Self.schedule(c.schedule)
            let gaussian = try GaussianOracle<Double>(mean: ConformanceOracle.gaussianMean, covariance: ConformanceOracle.gaussianCovariance, schedule: schedule)
            let start = try Matrix(rows: ConformanceKit.rows, columns: 2, storage: Self.array(c.xStart))
            let states = Self.array(c.states)
            let last = gaussian.exactFlow(start, from: c.levels[0], to: -1).storage
            #expect(zip(states.suffix(last.count), last).allSatisfy { abs($0 - $1) < 1e-12 })
        }
    }

    @Test("The mixture's ε arrays are the mixture formula (written out here)")
    func mixtureEpsilon() throws {
        for c in Self.built.manifest.trajectoryCases where c.oracle == "mixture" && c.steps == 10 {
            let schedule = try Self.schedule(c.schedule)
            let states = Self.array(c.states), eps = Self.array(c.epsilon)
            for k in 0..<c.steps {
                let a = schedule.alphaBar(max(c.levels[k], 0))
                for i in 0..<ConformanceKit.rows {
                    let o = (k * ConformanceKit.rows + i) * 2
                    let x = [states[o], states[o + 1]]
                    var weights: [Double] = [], terms: [[Double]] = []
                    for (m, (mu, s)) in zip(ConformanceOracle.mixtureMeans, ConformanceOracle.mixtureStds).enumerated() {
                        let cvar = a * s * s + 1 - a
                        let r = [x[0] - a.squareRoot() * mu[0], x[1] - a.squareRoot() * mu[1]]
                        weights.append(ConformanceOracle.mixtureWeights[m] / cvar * exp(-(r[0] * r[0] + r[1] * r[1]) / (2 * cvar)))
                        terms.append([r[0] / cvar, r[1] / cvar])
                    }
                    let total = weights.reduce(0, +)
                    for j in 0..<2 {
                        let expected = (1 - a).squareRoot() * zip(weights, terms).reduce(0) { $0 + $1.0 * $1.1[j] } / total
                        #expect(abs(eps[o + j] - expected) < 1e-9 * (1 + abs(expected)), "\(c.id) step \(k) row \(i)")
                    }
                }
            }
        }
    }
}
