import Foundation
import MongeDiffusion
import MongeNN
import Testing
import TestSupport

/// The held-out denoising loss logged beside the training loss, and horizontal flips as augmentation.
@Suite("Held-out loss and flips")
struct HeldOutLossTests {
    static let image = ImageShape(channels: 1, height: 8, width: 8)

    /// `count` 8×8 images: a bright blob at a random place on a dark ground, plus a little noise
    /// (one distribution, so a model that generalises denoises unseen ones as well as its own).
    static func blobs(count: Int, seed: UInt64) -> Matrix<Float> {
        let stream = RandomStream(seed: seed, stream: 0x424C_4F42)
        return Matrix<Float>(rows: count, columns: 64) { i, k in
            let cy = 2 + 4 * stream.uniform(UInt64(4 * i)), cx = 2 + 4 * stream.uniform(UInt64(4 * i + 1))
            let y = Double(k / 8), x = Double(k % 8)
            let d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx)
            return Float(2 * exp(-d2 / 3) - 1 + 0.05 * stream.normal(UInt64(1000 + 64 * i + k)))
        }
    }

    @Test("The fixed loss is mean ‖ε − ε̂(√ᾱ_t x + √(1 − ᾱ_t) ε, t)‖²/D, whatever the blocks and threads")
    func fixedLossFormula() throws {
        let schedule = try NoiseSchedule.linear(count: 100)
        let network = try EpsilonNetwork<Float>(config: .anchorUNet(width: 8, image: Self.image, multipliers: [1, 2], depth: 1), timesteps: 100)
        let p = network.initialParameters(seed: 4)
        let x = Self.blobs(count: 70, seed: 1)  // two blocks of 64 rows, the second partial
        let fixed = try FixedDenoisingLoss(images: x, schedule: schedule, seed: 9)
        for i in [0, 33, 69] {
            let t = fixed.timesteps[i], ab = schedule.alphaBar(t)
            for j in [0, 31, 63] {
                let expected = Float(ab.squareRoot()) * x[i, j] + Float((1 - ab).squareRoot()) * fixed.noise[i, j]
                #expect(fixed.noisy[i, j] == expected)
            }
        }
        // Direct: one forward of all rows, the mean squared error in Double.
        let y = network.forward(fixed.noisy, timesteps: fixed.timesteps, parameters: p)
        var sum = 0.0
        for k in 0..<y.storage.count { let e = Double(y.storage[k]) - Double(fixed.noise.storage[k]); sum += e * e }
        let loss = fixed.loss(network: network, parameters: p)
        #expect(abs(loss - sum / Double(y.storage.count)) <= 1e-9 * loss, "\(loss) vs \(sum / Double(y.storage.count))")
        // Same seed, same draws; another seed, other draws.
        #expect(try FixedDenoisingLoss(images: x, schedule: schedule, seed: 9).noise == fixed.noise)
        #expect(try FixedDenoisingLoss(images: x, schedule: schedule, seed: 10).timesteps != fixed.timesteps)
    }

    @Test("A small U-Net trained on 2000 images: its held-out loss is within 20 % of its training loss, logged in loss.csv and the checkpoint")
    func heldOutWithinTwentyPercent() throws {
        let folder = TestSupport.temporaryFolder("monge-heldout")
        let train = Self.blobs(count: 2000, seed: 1), heldOut = Self.blobs(count: 256, seed: 2)
        let schedule = try NoiseSchedule.linear(count: 100)
        let training = TrainingConfig(steps: 300, batchSize: 32, seed: 5, optimizer: AdamConfig(learningRate: 2e-3),
                                      ema: EMAConfig(decay: 0.99), chunks: 2, logEvery: 10)
        let config = TrainingCheckpoint.Config(
            model: .anchorUNet(width: 8, image: Self.image, multipliers: [1, 2], depth: 1), schedule: schedule, training: training,
            data: .init(source: "blobs", data: train),
            evaluation: .init(heldOut: .init(source: "blobs 2", data: heldOut), seed: 3, every: 100))
        var run = try TrainingRun(folder: folder, data: train, config: config, resume: false, heldOut: heldOut)
        try run.run()
        let evaluated = run.losses.filter { $0.heldOutLoss != nil }
        #expect(evaluated.map(\.step) == [0, 100, 200, 299])
        let last = try #require(evaluated.last)
        let heldOutLoss = try #require(last.heldOutLoss), trainLoss = try #require(last.trainingEvalLoss)
        #expect(heldOutLoss < 0.5 * evaluated[0].heldOutLoss!, "the model learnt: \(evaluated[0].heldOutLoss!) → \(heldOutLoss)")
        #expect(abs(heldOutLoss / trainLoss - 1) <= 0.2, "held-out \(heldOutLoss) vs training \(trainLoss)")
        // The columns in loss.csv, empty on the rows not evaluated, and the same rows in the checkpoint.
        let csv = try String(contentsOfFile: folder + "/loss.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv[0] == "step,loss,grad_norm,lr,held_out_loss,train_eval_loss")
        #expect(csv[2].hasSuffix(",,") && csv[1].split(separator: ",").count == 6)
        let saved = try TrainingCheckpoint.read(from: folder)
        #expect(saved.losses == run.losses)
        #expect(try TrainingCheckpoint.readLosses(from: folder, before: 1000) == run.losses)
    }

    @Test("A flipped batch row is x_0 mirrored exactly; about half the rows flip; points cannot be flipped")
    func flips() throws {
        let x = Self.blobs(count: 50, seed: 3)
        let alphaBars = try NoiseSchedule.linear(count: 100).alphaBars
        let batch = TrainingBatch(seed: 2, step: 7)
        let rows = 0..<200
        var plain = [Float](repeating: 0, count: 200 * 64), flipped = plain, noise = plain, noise2 = plain
        var t = [Int](repeating: 0, count: 200), t2 = t
        batch.fill(rows: rows, data: x, alphaBars: alphaBars, noisy: &plain, timesteps: &t, noise: &noise)
        batch.fill(rows: rows, data: x, alphaBars: alphaBars, noisy: &flipped, timesteps: &t2, noise: &noise2, flip: Self.image)
        #expect(t == t2 && noise == noise2)
        var flips = 0
        for i in rows {
            let a = Float(alphaBars[t[i]].squareRoot()), b = Float((1 - alphaBars[t[i]]).squareRoot())
            let index = batch.dataIndex(i, count: x.rows)
            let mirrored = batch.isFlipped(i)
            flips += mirrored ? 1 : 0
            for y in 0..<8 {
                for c in 0..<8 {
                    let source = x[index, y * 8 + (mirrored ? 7 - c : c)]
                    #expect(flipped[i * 64 + y * 8 + c] == a * source + b * noise[i * 64 + y * 8 + c])
                }
            }
        }
        #expect(flips > 70 && flips < 130, "\(flips) of 200 rows flipped")
        let points = try EpsilonNetwork<Float>(config: .anchorMLP(width: 8, dimension: 64), timesteps: 100)
        var config = TrainingConfig(steps: 1, batchSize: 4)
        config.horizontalFlip = true
        do {
            _ = try DiffusionTrainer(network: points, schedule: try .linear(count: 100), data: x, config: config)
            Issue.record("a point model accepted --flip")
        } catch let error as MongeError {
            #expect(error.description.contains("--flip") && error.description.contains("no image shape"), "\(error)")
        }
    }
}
