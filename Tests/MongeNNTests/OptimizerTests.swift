import Foundation
import MongeNN
import Testing

@Suite("Adam, EMA, warm-up and clipping")
struct OptimizerTests {
    /// Adam as written in Kingma & Ba (Algorithm 1), in Double, for comparison.
    func reference(_ p0: [Double], gradients: [[Double]], lr: Double, beta1: Double = 0.9, beta2: Double = 0.999,
                   eps: Double = 1e-8, weightDecay: Double = 0) -> [Double] {
        var p = p0, m = [Double](repeating: 0, count: p0.count), v = m
        for (k, g) in gradients.enumerated() {
            let t = Double(k + 1)
            for i in 0..<p.count {
                p[i] *= 1 - lr * weightDecay
                m[i] = beta1 * m[i] + (1 - beta1) * g[i]
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
                let mHat = m[i] / (1 - pow(beta1, t)), vHat = v[i] / (1 - pow(beta2, t))
                // PyTorch puts ε outside the bias-corrected square root exactly like this.
                p[i] -= lr * mHat / (vHat.squareRoot() + eps)
            }
        }
        return p
    }

    @Test func firstStepMovesEachWeightByTheLearningRate() {
        // m̂ = g, v̂ = g², so the first step is lr·g/(|g| + ε) ≈ lr·sign(g).
        var p: [Double] = [1, -2, 0.5]
        let g: [Double] = [3, -0.01, 1e-3]
        var state = AdamState<Double>(count: 3)
        state.update(&p, gradient: g, config: AdamConfig(learningRate: 0.1))
        for i in 0..<3 {
            let expected = [1, -2, 0.5][i] - 0.1 * g[i] / (abs(g[i]) + 1e-8)
            #expect(abs(p[i] - expected) < 1e-15)
        }
    }

    @Test func manyStepsMatchTheAlgorithm() {
        let rng = RandomStream(seed: 1)
        let p0 = (0..<20).map { rng.normal(UInt64($0)) }
        let gradients = (0..<30).map { k in (0..<20).map { rng.substream(UInt64(k + 1)).normal(UInt64($0)) } }
        for weightDecay in [0.0, 0.05] {
            var p = p0
            var state = AdamState<Double>(count: 20)
            for g in gradients { state.update(&p, gradient: g, config: AdamConfig(learningRate: 0.01, weightDecay: weightDecay)) }
            let expected = reference(p0, gradients: gradients, lr: 0.01, weightDecay: weightDecay)
            #expect(zip(p, expected).map { abs($0 - $1) }.max()! < 1e-13)
            #expect(state.step == 30)
        }
    }

    @Test func clippingScalesTheGradientToTheMaximumNorm() {
        // ‖g‖ = 10, clip 1: the first moment after one step is (1 − β1)·g/(10 + 1e-6).
        var p: [Double] = [0, 0]
        let g: [Double] = [6, 8]
        var state = AdamState<Double>(count: 2)
        let norm = state.update(&p, gradient: g, config: AdamConfig(learningRate: 0.1, clipNorm: 1))
        #expect(norm == 10)
        #expect(abs(state.m[0] - 0.1 * 6 / (10 + 1e-6)) < 1e-15)
        #expect(abs(state.m[1] - 0.1 * 8 / (10 + 1e-6)) < 1e-15)
        // Below the threshold nothing changes.
        var q: [Double] = [0, 0]
        var unclipped = AdamState<Double>(count: 2)
        unclipped.update(&q, gradient: g, config: AdamConfig(learningRate: 0.1, clipNorm: 11))
        #expect(abs(unclipped.m[0] - 0.6) < 1e-15 && abs(unclipped.m[1] - 0.8) < 1e-15)
    }

    @Test func warmupRampsTheLearningRateLinearly() {
        let config = AdamConfig(learningRate: 1e-3, warmupSteps: 4)
        #expect((0..<6).map { config.learningRate(atStep: $0) } == [0.25e-3, 0.5e-3, 0.75e-3, 1e-3, 1e-3, 1e-3])
        #expect(AdamConfig(learningRate: 2).learningRate(atStep: 0) == 2)
    }

    @Test func emaWarmsUpThenUsesItsDecay() {
        let ema = EMAConfig(decay: 0.99, warmup: true)
        #expect(ema.decay(atStep: 0) == 0.1)
        #expect(ema.decay(atStep: 8) == 0.5)
        #expect(ema.decay(atStep: 10_000) == 0.99)
        #expect(EMAConfig(decay: 0.99, warmup: false).decay(atStep: 0) == 0.99)
        var average: [Double] = [1, 2]
        EMAConfig(decay: 0.75, warmup: false).update(&average, toward: [5, -2], step: 3)
        #expect(average == [0.75 * 1 + 0.25 * 5, 0.75 * 2 + 0.25 * -2])
    }

    @Test func invalidSettingsAreRejectedByName() {
        #expect(throws: MongeError.self) { try AdamConfig(learningRate: 0).validate() }
        #expect(throws: MongeError.self) { try AdamConfig(beta2: 1).validate() }
        #expect(throws: MongeError.self) { try AdamConfig(clipNorm: -1).validate() }
        #expect(throws: MongeError.self) { try EMAConfig(decay: 1).validate() }
        #expect(throws: MongeError.self) { try ModelConfig(architecture: .residual, width: 30, depth: 2, groups: 4).validate() }
        #expect(throws: MongeError.self) { try ModelConfig(architecture: .mlp, width: 8, depth: 2, dropout: 0.1).validate() }
        #expect(throws: MongeError.self) { try ModelConfig(architecture: .mlp, width: 8, depth: 2, timeEmbedding: 5).validate() }
    }
}
