import Foundation
import MongeBridges
import MongeDiffusion
import MongeNN
import Testing

/// EGSDE (Zhao et al. 2022) in 2-D: the energy's gradient against finite differences, SDEdit as
/// its λ = 0 case, the faithfulness expert pulling toward the source, reproducibility, bad input.
@Suite("EGSDE")
struct EGSDETests {
    static let schedule = try! NoiseSchedule.linear(count: 1000)

    /// A classifier with random (untrained) weights: the energy's calculus does not need training.
    static func classifier<S: NetworkScalar>(_: S.Type = S.self, seed: UInt64 = 2) -> TimeClassifier<S> {
        let network = try! DomainClassifier<S>(config: ClassifierConfig(dimension: 2, width: 12, depth: 2, timeEmbedding: 8),
                                               timesteps: schedule.count)
        let rng = RandomStream(seed: seed, stream: 5)
        let p = (0..<network.parameterCount).map { S(0.5 * rng.normal(UInt64($0))) }
        return try! TimeClassifier(network: network, parameters: p, schedule: schedule)
    }

    static func source(rows: Int) -> Matrix<Float> {
        var x: Matrix<Float> = RandomStream(seed: 11).normalMatrix(rows: rows, columns: 2)
        for i in 0..<rows { x[i, 0] = 0.5 * x[i, 0] - 3; x[i, 1] *= 0.5 }
        return x
    }

    static let modelB = try! GaussianOracle<Float>(mean: [3, 0], std: [0.5, 0.5], schedule: schedule)

    /// ∇_y E against five-point differences of E, in Double, for both experts together and alone.
    @Test(arguments: [(3.0, 0.7), (2.0, 0.0), (0.0, 1.5)])
    func energyGradientMatchesFiniteDifferences(_ lambdas: (Double, Double)) throws {
        let energy = try EGSDEEnergy(classifier: Self.classifier(Double.self), lambdaS: lambdas.0, lambdaI: lambdas.1)
        let rng = RandomStream(seed: 8)
        let y: Matrix<Double> = rng.substream(1).normalMatrix(rows: 6, columns: 2)
        let xt: Matrix<Double> = rng.substream(2).normalMatrix(rows: 6, columns: 2)
        let gradient = energy.gradient(y, source: xt, timestep: 123)
        let h = 1e-4
        var worst = 0.0
        for i in 0..<6 {
            for j in 0..<2 {
                func e(_ delta: Double) -> Double {
                    var z = y
                    z[i, j] += delta
                    return energy.energy(z, source: xt, timestep: 123)[i]
                }
                let numeric = (8 * (e(h) - e(-h)) - (e(2 * h) - e(-2 * h))) / (12 * h)
                worst = max(worst, abs(numeric - gradient[i, j]) / max(1, abs(numeric)))
            }
        }
        #expect(worst < 1e-7, "worst relative error \(worst)")
        // E itself: λ_i‖y − x_t‖² + λ_s cos, with |cos| ≤ 1.
        let values = energy.energy(y, source: xt, timestep: 123)
        for i in 0..<6 {
            let squared = (0..<2).reduce(0.0) { $0 + (y[i, $1] - xt[i, $1]) * (y[i, $1] - xt[i, $1]) }
            #expect(abs(values[i] - lambdas.1 * squared) <= lambdas.0 + 1e-12)
        }
    }

    /// For consecutive levels the weight is EGSDE's β_t/√α_t with the schedule's own β_t.
    @Test func stepWeightIsBetaOverRootAlpha() {
        for t in [1, 10, 500, 999] {
            let beta = Self.schedule.betas[t]
            let w = EGSDE.stepWeight(alphaBarFrom: Self.schedule.alphaBar(t), alphaBarTo: Self.schedule.alphaBar(t - 1))
            #expect(abs(w - beta / (1 - beta).squareRoot()) < 1e-12 * max(1, w))
        }
        #expect(abs(EGSDE.stepWeight(alphaBarFrom: 0.25, alphaBarTo: 1) - 1.5) < 1e-15)
    }

    @Test func withoutEnergyItIsSDEditBitwise() throws {
        let x = Self.source(rows: 64)
        let noise = RandomStream(seed: 21)
        let timesteps = try EGSDE.timesteps(start: 500, steps: 25)
        #expect(timesteps.first == 500 && timesteps.last == 0 && timesteps.count == 25)
        let egsde = try EGSDE.translate(Self.modelB, classifier: Self.classifier(), source: x, start: 500, lambdaS: 0, lambdaI: 0,
                                        steps: 25, noise: noise)
        let sdedit = try Sampler.sdedit(Self.modelB, x, timesteps: timesteps, method: .ddpm, noise: noise)
        #expect(egsde.x.storage.map(\.bitPattern) == sdedit.x.storage.map(\.bitPattern))
        // And the energy does change the result.
        let guided = try EGSDE.translate(Self.modelB, classifier: Self.classifier(), source: x, start: 500, lambdaS: 50, lambdaI: 0,
                                         steps: 25, noise: noise)
        #expect(guided.x != sdedit.x)
    }

    /// With B an exact Gaussian oracle, the faithfulness expert alone pulls the translation toward
    /// the source: the mean ‖T(x) − x‖ falls strictly as λ_i grows.
    @Test func faithfulnessPullsTowardTheSource() throws {
        let x = Self.source(rows: 400)
        let distances = try [0.0, 0.5, 2, 5].map { lambda -> Double in
            let y = try EGSDE.translate(Self.modelB, classifier: Self.classifier(), source: x, start: 500, lambdaS: 0, lambdaI: lambda,
                                        steps: 50, noise: RandomStream(seed: 3)).x
            return (0..<x.rows).reduce(0.0) { sum, i in
                let dx = Double(y[i, 0] - x[i, 0]), dy = Double(y[i, 1] - x[i, 1])
                return sum + (dx * dx + dy * dy).squareRoot()
            } / Double(x.rows)
        }
        #expect(zip(distances, distances.dropFirst()).allSatisfy { $0 > $1 + 0.05 }, "mean distances \(distances)")
        // SDEdit from M = T/2 lands near B (mean distance ≈ 6); the strongest pull keeps far less.
        #expect(distances[0] > 5 && distances[3] < 0.7 * distances[0], "mean distances \(distances)")
    }

    /// The realism expert lowers what it penalises: the mean cos(F(y, 0), F(x₀, 0)) of the result
    /// falls as λ_s grows (a wrong sign of the drift would raise it).
    @Test func realismExpertLowersTheFeatureSimilarity() throws {
        let x = Self.source(rows: 300)
        let c: TimeClassifier<Float> = Self.classifier()
        let similarities = try [0.0, 20, 200].map { lambda -> Double in
            let y = try EGSDE.translate(Self.modelB, classifier: c, source: x, start: 500, lambdaS: lambda, lambdaI: 0, steps: 50,
                                        noise: RandomStream(seed: 3)).x
            let energy = try EGSDEEnergy(classifier: c, lambdaS: 1, lambdaI: 0)
            return energy.energy(y, source: x, timestep: 0).reduce(0, +) / Double(x.rows)
        }
        #expect(similarities[0] > similarities[1] + 0.01 && similarities[1] > similarities[2] + 0.01, "mean cosines \(similarities)")
    }

    @Test func independentOfBlockSize() throws {
        let x = Self.source(rows: 50)
        func run(_ block: Int) throws -> Matrix<Float> {
            try EGSDE.translate(Self.modelB, classifier: Self.classifier(), source: x, start: 300, lambdaS: 20, lambdaI: 1, steps: 20,
                                noise: RandomStream(seed: 9), options: SamplerOptions(blockSize: block)).x
        }
        let whole = try run(1024)
        #expect(try run(7).storage.map(\.bitPattern) == whole.storage.map(\.bitPattern))
        #expect(try run(1).storage.map(\.bitPattern) == whole.storage.map(\.bitPattern))
    }

    /// The paper's fixed-large variance: one ancestral step t → s from a fixed point has the mean of
    /// DDPM eq. 11, μ = (x − β/√(1 − ᾱ_t) ε)/√α with α = ᾱ_t/ᾱ_s, β = 1 − α, and noise variance β
    /// (β̃ = (1 − ᾱ_s)/(1 − ᾱ_t)·β with the default); the same z scales by √(β/β̃) exactly; the step to
    /// clean data adds no noise under either.
    @Test(arguments: [(100, 20), (700, 650), (400, 399)])
    func fixedLargeVarianceIsBeta(_ levels: (Int, Int)) throws {
        let (t, s) = levels
        let model = try GaussianOracle<Double>(mean: [1, -2], std: [0.7, 0.3], schedule: Self.schedule)
        let n = 20_000
        let x = Matrix<Double>(rows: n, columns: 2) { _, j in j == 0 ? 0.4 : -0.9 }
        let at = Self.schedule.alphaBar(t), as_ = Self.schedule.alphaBar(s)
        let alpha = at / as_, beta = 1 - alpha
        let betaTilde = (1 - as_) / (1 - at) * beta
        let eps = model.epsilon(x.rows(0..<1), timestep: t)
        let mu = (0..<2).map { j in (x[0, j] - beta / (1 - at).squareRoot() * eps[0, j]) / alpha.squareRoot() }
        let noise = RandomStream(seed: 17)
        let large = try Sampler.run(model, x, path: [t, s], method: .ddpmFixedLarge, noise: noise).x
        let small = try Sampler.run(model, x, path: [t, s], method: .ddpm, noise: noise).x
        var sum = [0.0, 0.0], squares = [0.0, 0.0], worstRatio = 0.0
        for i in 0..<n {
            for j in 0..<2 {
                let d = large[i, j] - mu[j]
                sum[j] += d
                squares[j] += d * d
                worstRatio = max(worstRatio, abs(d - (beta / betaTilde).squareRoot() * (small[i, j] - mu[j])))
            }
        }
        for j in 0..<2 {
            let mean = sum[j] / Double(n), variance = squares[j] / Double(n) - mean * mean
            // Standard errors: √(β/n) for the mean, √(2/n)·β for the variance; 5 of them.
            #expect(abs(mean) < 5 * (beta / Double(n)).squareRoot(), "coordinate \(j): mean offset \(mean)")
            #expect(abs(variance / beta - 1) < 5 * (2.0 / Double(n)).squareRoot(), "coordinate \(j): variance \(variance), β = \(beta), β̃ = \(betaTilde)")
        }
        #expect(worstRatio < 1e-12 * max(1, beta.squareRoot()), "the same z scaled by √(β/β̃): worst \(worstRatio)")
        #expect(abs(DDPM.noiseVariance(.beta, alphaBarFrom: at, alphaBarTo: as_) - beta) < 1e-15)
        if s == t - 1 { #expect(abs(beta - Self.schedule.betas[t]) < 1e-12, "a consecutive step's β is the schedule's β_t") }
        // The last step to clean data is the posterior mean, noise-free, under both variances.
        let lastLarge = try Sampler.run(model, x.rows(0..<4), path: [0, -1], method: .ddpmFixedLarge, noise: noise).x
        let lastSmall = try Sampler.run(model, x.rows(0..<4), path: [0, -1], method: .ddpm, noise: noise).x
        #expect(lastLarge == lastSmall)
        #expect(DDPM.noiseVariance(.beta, alphaBarFrom: Self.schedule.alphaBar(0), alphaBarTo: 1) == 0)
    }

    /// --variance beta reaches the sampler: without energy it is SDEdit with the fixed-large steps.
    @Test func egsdeTakesTheFixedLargeVariance() throws {
        let x = Self.source(rows: 64)
        let noise = RandomStream(seed: 21)
        let timesteps = try EGSDE.timesteps(start: 300, steps: 20)
        let egsde = try EGSDE.translate(Self.modelB, classifier: Self.classifier(), source: x, start: 300, lambdaS: 0, lambdaI: 0,
                                        steps: 20, noise: noise, variance: .beta)
        let sdedit = try Sampler.sdedit(Self.modelB, x, timesteps: timesteps, method: .ddpmFixedLarge, noise: noise)
        #expect(egsde.x.storage.map(\.bitPattern) == sdedit.x.storage.map(\.bitPattern))
        let tilde = try EGSDE.translate(Self.modelB, classifier: Self.classifier(), source: x, start: 300, lambdaS: 0, lambdaI: 0,
                                        steps: 20, noise: noise)
        #expect(tilde.x != egsde.x)
    }

    @Test func badInputsGiveClearErrors() throws {
        let x = Self.source(rows: 8)
        let c: TimeClassifier<Float> = Self.classifier()
        func translate(_ source: Matrix<Float> = x, start: Int = 500, lambdaS: Double = 1, lambdaI: Double = 1, steps: Int? = 10,
                       classifier: TimeClassifier<Float>? = nil) throws {
            _ = try EGSDE.translate(Self.modelB, classifier: classifier ?? c, source: source, start: start, lambdaS: lambdaS,
                                    lambdaI: lambdaI, steps: steps, noise: RandomStream(seed: 1))
        }
        func expectError(_ fragment: String, _ body: () throws -> Void) {
            #expect { try body() } throws: { error in
                error is MongeError && "\(error)".contains(fragment)
            }
        }
        expectError("3 columns") { try translate(Matrix<Float>(rows: 4, columns: 3)) }
        expectError("0..<1000") { try translate(start: 1000) }
        expectError("0..<1000") { try translate(start: -1) }
        expectError("lambda-s") { try translate(lambdaS: -1) }
        expectError("lambda-i") { try translate(lambdaI: .nan) }
        expectError("steps") { try translate(start: 5, steps: 7) }
        var bad = x
        bad[3, 1] = .infinity
        expectError("source") { try translate(bad) }
        let network = try DomainClassifier<Float>(config: ClassifierConfig(dimension: 2, width: 4, depth: 1, timeEmbedding: 4), timesteps: 100)
        let other = try TimeClassifier(network: network, parameters: network.initialParameters(seed: 1), schedule: .linear(count: 100))
        expectError("T = 100") { try translate(classifier: other) }
    }
}
