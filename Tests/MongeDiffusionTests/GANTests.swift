import Foundation
import MongeDiffusion
import MongeNN
import Testing

/// Diffusion-GAN's adaptive T and timestep law, the mode-coverage metrics, and the GAN loop.
@Suite("GAN and Diffusion-GAN")
struct GANTests {
    /// Feeds `interval` minibatches whose real logits have mean sign `rd` (over 10 logits each).
    static func feed(_ diffusion: inout AdaptiveDiffusion, rd: Double) throws -> [Double?] {
        // 10 logits with k positive and 10 − k negative have mean sign (2k − 10)/10.
        let k = Int(((rd * 10 + 10) / 2).rounded())
        let logits: [Float] = (0..<10).map { $0 < k ? 0.3 : -0.7 }
        return try (0..<diffusion.config.interval).map { _ in try diffusion.record(realLogits: logits) }
    }

    /// batch 512, interval 4: p moves by 512·4/100000 = 0.02048 per adjustment; T = 10 + round(990 p).
    @Test func adaptiveLengthFollowsTheRule() throws {
        var diffusion = try AdaptiveDiffusion(batchSize: 512)
        #expect(diffusion.stepSize == 0.02048)
        #expect(diffusion.p == 0 && diffusion.T == 10)
        // r_d below the target at p = 0: clipped at 0.
        var out = try Self.feed(&diffusion, rd: 0.2)
        #expect(out[0] == nil && out[1] == nil && out[2] == nil && out[3] == 0.2)
        #expect(diffusion.p == 0 && diffusion.T == 10)
        // Up: 0.02048 → T = 10 + round(20.2752) = 30; up again: 0.04096 → 10 + round(40.5504) = 51.
        out = try Self.feed(&diffusion, rd: 1.0)
        #expect(out[3] == 1.0)
        #expect(abs(diffusion.p - 0.02048) < 1e-15 && diffusion.T == 30)
        _ = try Self.feed(&diffusion, rd: 0.8)
        #expect(abs(diffusion.p - 0.04096) < 1e-15 && diffusion.T == 51)
        // r_d exactly at the target: sign 0, no change.
        _ = try Self.feed(&diffusion, rd: 0.6)
        #expect(abs(diffusion.p - 0.04096) < 1e-15 && diffusion.T == 51)
        // Down once: back to 30.
        _ = try Self.feed(&diffusion, rd: -1)
        #expect(abs(diffusion.p - 0.02048) < 1e-15 && diffusion.T == 30)
        // 49 ups from 0.02048 pass 1 and clip: T = t_max.
        for _ in 0..<49 { _ = try Self.feed(&diffusion, rd: 1) }
        #expect(diffusion.p == 1 && diffusion.T == 1000)
        #expect(diffusion.schedule.count == 1000 && diffusion.alphaBar(0) == 1)
        // r_d is the mean over the whole interval, not the last minibatch: +1, +1, −1, −1 → 0 < 0.6 → down.
        var mixed = try AdaptiveDiffusion(config: AdaptiveDiffusionConfig(initialP: 0.5), batchSize: 25)
        #expect(mixed.T == 10 + 495)
        for z: Float in [1, 1, -1, -1] { try mixed.record(realLogits: [z, z]) }
        #expect(mixed.p == 0.5 - 25.0 * 4 / 100_000)
    }

    /// The schedule re-spaced for T: β linear 1e-4 … 0.02 over T steps, ᾱ_t = ∏_{s ≤ t}(1 − β_s), ᾱ_0 = 1.
    @Test func alphaBarIsTheRespacedLinearSchedule() throws {
        let diffusion = try AdaptiveDiffusion(batchSize: 64)  // T = 10
        var product = 1.0
        for t in 1...10 {
            product *= 1 - (1e-4 + (0.02 - 1e-4) * Double(t - 1) / 9)
            #expect(abs(diffusion.alphaBar(t) - product) < 1e-15)
        }
    }

    /// T = 3: P = (1/2, 1/12, 2/12, 3/12); the inverse CDF splits a grid of 12000 midpoints exactly.
    @Test func timestepLawIsHalfZeroHalfProportionalToT() {
        let probabilities = AdaptiveDiffusion.timestepProbabilities(T: 3)
        let expected = [0.5, 1.0 / 12, 2.0 / 12, 3.0 / 12]
        #expect(zip(probabilities, expected).allSatisfy { abs($0 - $1) < 1e-15 })
        var counts = [0, 0, 0, 0]
        for j in 0..<12000 { counts[AdaptiveDiffusion.timestep(uniform: (Double(j) + 0.5) / 12000, T: 3)] += 1 }
        #expect(counts == [6000, 1000, 2000, 3000])
        // Larger T: every t gets exactly its share of a grid of T(T + 1)·2·8 midpoints.
        for T in [1, 7, 50] {
            let m = T * (T + 1) * 2 * 8
            var c = [Int](repeating: 0, count: T + 1)
            for j in 0..<m { c[AdaptiveDiffusion.timestep(uniform: (Double(j) + 0.5) / Double(m), T: T)] += 1 }
            #expect(c[0] == m / 2)
            #expect((1...T).allSatisfy { c[$0] == 16 * $0 }, "T = \(T): \(c)")
        }
        #expect(AdaptiveDiffusion.timestep(uniform: 0.999_999_999_9, T: 1000) == 1000)
        #expect(AdaptiveDiffusion.timestep(uniform: 0.5, T: 1000) == 1)
    }

    /// The paper-setting flags: d_target 0.2, T starting at 110, t_max 510, batch 64, through a
    /// scripted sequence of r_d. p moves by 64·4/100000 = 0.00256 per adjustment, T = 10 + round(500 p).
    @Test func adaptiveLengthWithTargetInitialAndMaximumT() throws {
        let config = try AdaptiveDiffusionConfig(tMax: 510, target: 0.2).startingAt(T: 110)
        #expect(config.initialP == 0.2)
        var diffusion = try AdaptiveDiffusion(config: config, batchSize: 64)
        #expect(diffusion.T == 110 && diffusion.stepSize == 0.00256)
        // r_d: above, below, at the target (sign 0), then up ×3 and down once.
        let script: [(rd: Double, p: Double, T: Int)] = [
            (0.4, 0.20256, 111), (0.0, 0.2, 110), (0.2, 0.2, 110), (1.0, 0.20256, 111),
            (1.0, 0.20512, 113), (0.8, 0.20768, 114), (-1.0, 0.20512, 113),
        ]
        for (k, step) in script.enumerated() {
            let out = try Self.feed(&diffusion, rd: step.rd)
            #expect(abs(out[3]! - step.rd) < 1e-15, "step \(k)")
            #expect(abs(diffusion.p - step.p) < 1e-12 && diffusion.T == step.T, "step \(k): p \(diffusion.p), T \(diffusion.T)")
            #expect(diffusion.schedule.count == step.T)
        }
        // 0.20512 / 0.00256 = 80.125: 80 downs leave T = 10 + round(0.16) = 10 with p > 0, the 81st clips p to 0.
        for _ in 0..<80 { _ = try Self.feed(&diffusion, rd: -0.5) }
        #expect(diffusion.T == 10 && diffusion.p > 0)
        _ = try Self.feed(&diffusion, rd: -0.5)
        #expect(diffusion.p == 0 && diffusion.T == 10)
        // 391 ups pass p = 1 (390.6 steps) and clip: T = t_max = 510.
        for _ in 0..<391 { _ = try Self.feed(&diffusion, rd: 0.3) }
        #expect(diffusion.p == 1 && diffusion.T == 510)
    }

    /// `startingAt(T:)` starts exactly at every T in t_min…t_max and rejects anything outside.
    @Test func initialTIsExact() throws {
        for tMax in [10, 11, 510, 1000] {
            for T in 10...tMax {
                let config = try AdaptiveDiffusionConfig(tMax: tMax).startingAt(T: T)
                #expect(try AdaptiveDiffusion(config: config, batchSize: 8).T == T, "t_max \(tMax), T \(T)")
            }
            #expect(throws: MongeError.self) { try AdaptiveDiffusionConfig(tMax: tMax).startingAt(T: 9) }
            #expect(throws: MongeError.self) { try AdaptiveDiffusionConfig(tMax: tMax).startingAt(T: tMax + 1) }
        }
        #expect(throws: MongeError.self) { try AdaptiveDiffusion(config: AdaptiveDiffusionConfig(noiseSD: 0), batchSize: 8) }
    }

    /// Diffused samples at fixed T = 40: given t, y = √ᾱ_t x + √(1 − ᾱ_t) σ ε exactly in law, so the
    /// standardised residuals (y − √ᾱ_t x)/(σ√(1 − ᾱ_t)) have mean 0 and variance 1; rows with t = 0 are x;
    /// and over t, E[y] = x Σ_t P(t)√ᾱ_t and, for x = 0, E[‖y‖²] = 2σ² Σ_t P(t)(1 − ᾱ_t) (closed forms).
    @Test(arguments: [(0.05, AdaptiveDiffusionConfig.TimestepLaw.priority), (1.0, .priority), (0.05, .uniform)])
    func diffusedSamplesHaveTheScaledNoise(_ sigma: Double, _ law: AdaptiveDiffusionConfig.TimestepLaw) throws {
        let diffusion = try AdaptiveDiffusion(config: AdaptiveDiffusionConfig(tMin: 40, tMax: 40, noiseSD: sigma, timestepLaw: law),
                                              batchSize: 1)
        let n = 200_000
        let probabilities = AdaptiveDiffusion.timestepProbabilities(T: 40, law: law)
        let meanScale = (0...40).reduce(0.0) { $0 + probabilities[$1] * diffusion.alphaBar($1).squareRoot() }
        let meanNoise = (0...40).reduce(0.0) { $0 + probabilities[$1] * (1 - diffusion.alphaBar($1)) }
        let x0 = [1.5, -0.5]
        let x = Matrix<Double>(rows: n, columns: 2) { _, j in x0[j] }
        let (y, timesteps, scale) = diffusion.diffuse(x, time: RandomStream(seed: 5, stream: 1), noise: RandomStream(seed: 5, stream: 2))
        var residualSum = 0.0, residualSquares = 0.0, diffused = 0
        var ySum = [0.0, 0.0]
        for i in 0..<n {
            let t = timesteps[i], ab = diffusion.alphaBar(t)
            #expect(scale[i] == ab.squareRoot())
            for j in 0..<2 {
                ySum[j] += y[i, j]
                if t == 0 {
                    #expect(y[i, j] == x0[j])
                } else {
                    let r = (y[i, j] - ab.squareRoot() * x0[j]) / (sigma * (1 - ab).squareRoot())
                    residualSum += r
                    residualSquares += r * r
                    diffused += 1
                }
            }
        }
        let m = Double(diffused)
        #expect(abs(residualSum / m) < 5 / m.squareRoot(), "residual mean \(residualSum / m)")
        #expect(abs(residualSquares / m - 1) < 5 * (2 / m).squareRoot(), "residual variance \(residualSquares / m)")
        for j in 0..<2 {
            // |y − E y| ≤ |x|·(1 − √ᾱ_T) + σ|ε|: a loose but sufficient 5-standard-error band.
            #expect(abs(ySum[j] / Double(n) - x0[j] * meanScale) < 5 * (abs(x0[j]) * 0.3 + sigma) / Double(n).squareRoot())
        }
        let zero = Matrix<Double>(rows: n, columns: 2)
        let (z, _, _) = diffusion.diffuse(zero, time: RandomStream(seed: 6, stream: 1), noise: RandomStream(seed: 6, stream: 2))
        let power = z.storage.reduce(0) { $0 + $1 * $1 } / Double(n)
        let expected = 2 * sigma * sigma * meanNoise
        // ‖y‖² = σ²(1 − ᾱ_t)χ²₂ has variance ≤ E[(σ²χ²₂)²] = 8σ⁴: a 5-standard-error band.
        #expect(abs(power - expected) < 5 * (8 * pow(sigma, 4) / Double(n)).squareRoot(), "E‖y‖² \(power) vs \(expected)")
    }

    /// Uniform t: P = (1/2, 1/(2T), …); the inverse CDF gives every t ≥ 1 exactly 8 of 16T grid midpoints.
    @Test func uniformTimestepLaw() {
        let probabilities = AdaptiveDiffusion.timestepProbabilities(T: 4, law: .uniform)
        #expect(probabilities == [0.5, 0.125, 0.125, 0.125, 0.125])
        for T in [1, 7, 50, 1000] {
            let m = 16 * T
            var c = [Int](repeating: 0, count: T + 1)
            for j in 0..<m { c[AdaptiveDiffusion.timestep(uniform: (Double(j) + 0.5) / Double(m), T: T, law: .uniform)] += 1 }
            #expect(c[0] == m / 2 && (1...T).allSatisfy { c[$0] == 8 }, "T = \(T)")
            #expect(abs(AdaptiveDiffusion.timestepProbabilities(T: T, law: .uniform).reduce(0, +) - 1) < 1e-12)
        }
        #expect(AdaptiveDiffusion.timestep(uniform: 0.999_999_999_9, T: 1000, law: .uniform) == 1000)
        #expect(AdaptiveDiffusion.timestep(uniform: 0.5, T: 1000, law: .uniform) == 1)
    }

    static var grid: Matrix<Double> {
        Matrix(rows: 25, columns: 2) { k, j in 2.0 * Double((j == 0 ? k / 5 : k % 5) - 2) }
    }

    static func tiny(_ mode: GANConfig.Mode, steps: Int, seed: UInt64 = 3) -> GANConfig {
        GANConfig(mode: mode, steps: steps, batchSize: 64, seed: seed,
                  generator: GeneratorConfig(width: 32),
                  discriminator: ClassifierConfig(dimension: 2, width: 32, depth: 2, timeEmbedding: 8,
                                                  activation: .leakyReLU, negativeSlope: 0.2),
                  generatorAdam: AdamConfig(learningRate: 2e-3, beta1: 0.5),
                  discriminatorAdam: AdamConfig(learningRate: 2e-3, beta1: 0.5))
    }

    /// A single tight cluster at (3, −2): both modes must move G's samples (initially near 0) onto it,
    /// which fails if the loss's sign, D's input gradient or the √ᾱ_t chain factor is wrong.
    @Test(arguments: GANConfig.Mode.allCases)
    func generatorMovesToASingleCluster(_ mode: GANConfig.Mode) throws {
        let data = Matrix<Float>(rows: 500, columns: 2) { i, j in
            (j == 0 ? 3 : -2) + 0.05 * Float(RandomStream(seed: 1).normal(UInt64(2 * i + j)))
        }
        func mean(_ x: Matrix<Float>) -> [Double] { (0..<2).map { j in (0..<x.rows).map { Double(x[$0, j]) }.reduce(0, +) / Double(x.rows) } }
        let untrained: GANRun<Float> = try GANTraining.train(data: data, config: Self.tiny(mode, steps: 0))
        let before = mean(untrained.sample(count: 400, seed: 9))
        #expect(abs(before[0] - 3) > 2 && abs(before[1] + 2) > 1.5, "untrained mean \(before)")
        let run: GANRun<Float> = try GANTraining.train(data: data, config: Self.tiny(mode, steps: 600))
        let after = mean(run.sample(count: 400, seed: 9))
        #expect(abs(after[0] - 3) < 0.5 && abs(after[1] + 2) < 0.5, "\(mode): mean \(after)")
        if mode == .diffusion {
            #expect(run.diffusion != nil && run.records.last!.T >= 10)
        } else {
            #expect(run.diffusion == nil && run.records.allSatisfy { $0.T == 0 })
        }
    }

    /// Untrained runs of two seeds start from different networks (a former bug drew the initial
    /// weights from the stream tag alone, so every seed of a GAN grid shared them).
    @Test(arguments: GANConfig.Mode.allCases)
    func initialNetworksDependOnTheSeed(_ mode: GANConfig.Mode) throws {
        let data = Matrix<Float>(rows: 25, columns: 2) { k, j in Float(Self.grid[k, j]) }
        let a: GANRun<Float> = try GANTraining.train(data: data, config: Self.tiny(mode, steps: 0, seed: 3))
        let b: GANRun<Float> = try GANTraining.train(data: data, config: Self.tiny(mode, steps: 0, seed: 4))
        #expect(a.generatorParameters != b.generatorParameters)
        #expect(a.discriminatorParameters != b.discriminatorParameters)
    }

    @Test func sameSeedGivesIdenticalParameters() throws {
        let data = Matrix<Float>(rows: 100, columns: 2) { i, j in Float(RandomStream(seed: 2).normal(UInt64(2 * i + j))) }
        let a: GANRun<Float> = try GANTraining.train(data: data, config: Self.tiny(.diffusion, steps: 30))
        let b: GANRun<Float> = try GANTraining.train(data: data, config: Self.tiny(.diffusion, steps: 30))
        let c: GANRun<Float> = try GANTraining.train(data: data, config: Self.tiny(.diffusion, steps: 30, seed: 4))
        #expect(a.generatorParameters == b.generatorParameters && a.discriminatorParameters == b.discriminatorParameters)
        #expect(a.records == b.records)
        #expect(a.generatorParameters != c.generatorParameters)
        #expect(throws: MongeError.self) {
            let _: GANRun<Float> = try GANTraining.train(data: Matrix<Float>(rows: 0, columns: 2), config: Self.tiny(.vanilla, steps: 1))
        }
        #expect(throws: MongeError.self) {
            let _: GANRun<Float> = try GANTraining.train(data: Matrix<Float>(rows: 4, columns: 3), config: Self.tiny(.vanilla, steps: 1))
        }
    }
}
