import Foundation
import MongeDiffusion
import MongeNN
import Testing

@Suite("Training loop")
struct TrainingTests {
    @Test func batchesFollowTheForwardProcessAndIgnoreChunking() throws {
        let schedule = try NoiseSchedule.linear(count: 100)
        let data: Matrix<Float> = RandomStream(seed: 1).normalMatrix(rows: 50, columns: 3)
        let batch = TrainingBatch(seed: 9, step: 4)
        func fill(_ range: Range<Int>) -> (x: [Float], t: [Int], e: [Float]) {
            var x = [Float](repeating: 0, count: range.count * 3), e = x, t = [Int](repeating: 0, count: range.count)
            x.withUnsafeMutableBufferPointer { xp in
                e.withUnsafeMutableBufferPointer { ep in
                    t.withUnsafeMutableBufferPointer { tp in
                        batch.fill(rows: range, data: data, alphaBars: schedule.alphaBars, noisy: xp.baseAddress!,
                                   timesteps: tp.baseAddress!, noise: ep.baseAddress!)
                    }
                }
            }
            return (x, t, e)
        }
        let whole = fill(0..<200)
        let part = fill(70..<131)
        #expect(part.x == Array(whole.x[210..<393]) && part.t == Array(whole.t[70..<131]) && part.e == Array(whole.e[210..<393]))
        // x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε for the drawn data row.
        for i in [0, 17, 199] {
            let index = batch.dataIndex(i, count: 50), t = whole.t[i]
            #expect(t == batch.timestep(i, count: 100))
            for j in 0..<3 {
                let expected = schedule.alphaBar(t).squareRoot() * Double(data[index, j])
                    + (1 - schedule.alphaBar(t)).squareRoot() * Double(whole.e[i * 3 + j])
                #expect(abs(Double(whole.x[i * 3 + j]) - expected) < 1e-5)
            }
        }
        // Another step draws other numbers.
        var other = [Int](repeating: 0, count: 200)
        let next = TrainingBatch(seed: 9, step: 5)
        for i in 0..<200 { other[i] = next.timestep(i, count: 100) }
        #expect(other != whole.t)
    }

    /// For data N(μ, s²I) the best ε-predictor is linear, ε*(x, t) = √(1 − ᾱ_t)(x − √ᾱ_t μ)/(ᾱ_t s² + 1 − ᾱ_t),
    /// and a network's excess loss is E‖ε̂ − ε*‖²/D. Training must drive it close to 0.
    @Test func trainingApproachesTheBayesOptimalPredictorOfGaussianData() throws {
        let schedule = try NoiseSchedule.linear(count: 1000)
        let mu: [Float] = [1.5, -0.5], s: Float = 0.5
        var data: Matrix<Float> = RandomStream(seed: 2).normalMatrix(rows: 20_000, columns: 2)
        for i in 0..<data.rows { for j in 0..<2 { data[i, j] = mu[j] + s * data[i, j] } }
        let model = ModelConfig(architecture: .mlp, dimension: 2, width: 64, depth: 3, timeEmbedding: 32)
        let network = try EpsilonNetwork<Float>(config: model, timesteps: 1000)
        let config = TrainingConfig(steps: 1500, batchSize: 512, seed: 3, optimizer: AdamConfig(learningRate: 2e-3, warmupSteps: 100),
                                    ema: EMAConfig(decay: 0.995), chunks: 2)
        let trainer = try DiffusionTrainer(network: network, schedule: schedule, data: data, config: config)

        // Evaluation triples (x_0 fresh from the distribution, t, ε), and the excess loss of weights p.
        let n = 20_000
        let rng = RandomStream(seed: 99)
        let eval: Matrix<Float> = rng.normalMatrix(rows: n, columns: 2)
        let noise: Matrix<Float> = rng.substream(1).normalMatrix(rows: n, columns: 2)
        let t = (0..<n).map { rng.substream(2).integer(UInt64($0), below: 1000) }
        var x = Matrix<Float>(rows: n, columns: 2), optimal = Matrix<Float>(rows: n, columns: 2)
        for i in 0..<n {
            let a = schedule.alphaBar(t[i])
            for j in 0..<2 {
                let x0 = Double(mu[j]) + Double(s) * Double(eval[i, j])
                let xt = a.squareRoot() * x0 + (1 - a).squareRoot() * Double(noise[i, j])
                x[i, j] = Float(xt)
                optimal[i, j] = Float((1 - a).squareRoot() * (xt - a.squareRoot() * Double(mu[j])) / (a * Double(s * s) + 1 - a))
            }
        }
        func excess(_ p: [Float]) -> Double {
            let predicted = network.forward(x, timesteps: t, parameters: p)
            return zip(predicted.storage, optimal.storage).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(2 * n)
        }
        let before = excess(trainer.state.ema)
        var losses: [Double] = []
        for _ in 0..<config.steps { losses.append(trainer.step().loss) }
        let after = excess(trainer.state.ema)
        // The minimum achievable loss, E_t[ᾱ_t s²/(ᾱ_t s² + 1 − ᾱ_t)], for reference.
        var bayes = 0.0
        for t in 0..<1000 {
            let a = schedule.alphaBar(t)
            bayes += a * 0.25 / (a * 0.25 + 1 - a) / 1000
        }
        let late = losses.suffix(300).reduce(0, +) / 300
        #expect(before > 0.1, "the untrained network is far from ε* (excess \(before))")
        #expect(after < 0.01, "excess loss \(after) after training (before \(before)); Bayes loss \(bayes)")
        #expect(abs(late - bayes) < 0.03, "training loss \(late) vs Bayes loss \(bayes)")
    }

    @Test func stepsAreReproducibleAndIndependentOfThreads() throws {
        // Two trainers from the same seed agree bitwise; chunks are processed in a fixed order.
        let schedule = try NoiseSchedule.cosine(count: 200)
        let data: Matrix<Float> = RandomStream(seed: 4).normalMatrix(rows: 300, columns: 2)
        let network = try EpsilonNetwork<Float>(config: ModelConfig(architecture: .residual, dimension: 2, width: 16, depth: 2,
                                                                     timeEmbedding: 8, groups: 4, dropout: 0.1), timesteps: 200)
        let config = TrainingConfig(steps: 20, batchSize: 100, seed: 5, optimizer: AdamConfig(learningRate: 1e-3, clipNorm: 1),
                                    ema: EMAConfig(decay: 0.9), chunks: 3)
        let a = try DiffusionTrainer(network: network, schedule: schedule, data: data, config: config)
        let b = try DiffusionTrainer(network: network, schedule: schedule, data: data, config: config)
        var recordsA: [StepRecord] = [], recordsB: [StepRecord] = []
        for _ in 0..<20 { recordsA.append(a.step()) }
        for _ in 0..<20 { recordsB.append(b.step()) }
        #expect(recordsA == recordsB)
        #expect(a.state == b.state)
        // Restarting from a copy of the state at step 8 reproduces the rest.
        let c = try DiffusionTrainer(network: network, schedule: schedule, data: data, config: config)
        for _ in 0..<8 { c.step() }
        let d = try DiffusionTrainer(network: network, schedule: schedule, data: data, config: config, state: c.state)
        var recordsD: [StepRecord] = []
        for _ in 8..<20 { recordsD.append(d.step()) }
        #expect(recordsD == Array(recordsA[8...]))
        #expect(d.state == a.state)
        // A different chunk count is the same computation up to rounding.
        var rechunked = config
        rechunked.chunks = 1
        let e = try DiffusionTrainer(network: network, schedule: schedule, data: data, config: rechunked)
        let first = e.step()
        #expect(abs(first.loss - recordsA[0].loss) < 1e-6 * recordsA[0].loss)
    }

    @Test func badInputIsRejectedWithClearErrors() throws {
        let schedule = try NoiseSchedule.linear(count: 100)
        let network = try EpsilonNetwork<Float>(config: .anchorMLP(width: 8), timesteps: 100)
        let config = TrainingConfig(steps: 1, batchSize: 4)
        let threeColumns = Matrix<Float>(rows: 5, columns: 3)
        #expect(throws: MongeError.shapeMismatch("the data has 3 columns but the model's dimension is 2")) {
            _ = try DiffusionTrainer(network: network, schedule: schedule, data: threeColumns, config: config)
        }
        var nan = Matrix<Float>(rows: 5, columns: 2)
        nan[3, 1] = .nan
        #expect(throws: MongeError.nonFinite("training data: element (3, 1) is nan")) {
            _ = try DiffusionTrainer(network: network, schedule: schedule, data: nan, config: config)
        }
        #expect(throws: MongeError.self) {
            _ = try DiffusionTrainer(network: network, schedule: try .linear(count: 50), data: Matrix(rows: 5, columns: 2), config: config)
        }
        #expect(throws: MongeError.self) {
            _ = try DiffusionTrainer(network: network, schedule: schedule, data: Matrix(rows: 5, columns: 2),
                                     config: TrainingConfig(steps: 1, batchSize: 2, chunks: 3))
        }
    }
}
