import Foundation
import MongeBridges
import MongeCore
import MongeDiffusion
import MongeNN
import Testing
import TestSupport

/// The image MUNIT's training loop and checkpoint: determinism, a single-batch overfit, and the
/// errors for images of the wrong shape and checkpoints of another architecture.
@Suite("Image MUNIT training")
struct ImageMUNITTrainingTests {
    static let shape = ImageShape(channels: 1, height: 8, width: 8)
    static let config = ImageMUNITConfig(image: shape, channels: 4, downsamplings: 1, residualBlocks: 1, style: 2, mlpWidth: 8, mlpDepth: 1,
                                         discriminatorChannels: 4, discriminatorDownsamplings: 2)

    /// Smooth blobs in [−1, 1]: domain A bright on the left, B on the right.
    static func images(_ n: Int, right: Bool, seed: UInt64) -> Matrix<Float> {
        let rng = RandomStream(seed: seed, stream: 5)
        return Matrix(rows: n, columns: 64) { i, k in
            let (y, x) = (Double(k / 8), Double(k % 8))
            let cx = (right ? 5.0 : 2.0) + rng.normal(UInt64(2 * i)) * 0.5, cy = 3.5 + rng.normal(UInt64(2 * i + 1)) * 0.8
            return Float(2 * exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / 4) - 1)
        }
    }

    static func training(steps: Int, batch: Int = 4, seed: UInt64 = 1, lr: Double = 1e-4) -> MUNITTrainingConfig {
        let adam = AdamConfig(learningRate: lr, beta1: 0.5, beta2: 0.999)
        return MUNITTrainingConfig(steps: steps, batchSize: batch, seed: seed, generatorAdam: adam, discriminatorAdam: adam)
    }

    @Test func sameSeedSameBytes() throws {
        let a = Self.images(10, right: false, seed: 1), b = Self.images(10, right: true, seed: 2)
        let one = try ImageMUNITTraining.train(a: a, b: b, model: Self.config, training: Self.training(steps: 3))
        let two = try ImageMUNITTraining.train(a: a, b: b, model: Self.config, training: Self.training(steps: 3))
        #expect(one.generator == two.generator && one.discriminator == two.discriminator)
        #expect(one.records == two.records)
        let other = try ImageMUNITTraining.train(a: a, b: b, model: Self.config, training: Self.training(steps: 3, seed: 2))
        #expect(other.generator != one.generator)
        // The checkpoint: written twice, the same bytes; read back, the same parameters.
        let folder = TestSupport.temporaryFolder("monge-image-munit")
        let description = ImageMUNITCheckpoint.Config(model: Self.config, training: Self.training(steps: 3),
                                                      domainA: .init(source: "a", data: a), domainB: .init(source: "b", data: b))
        try ImageMUNITCheckpoint.write(one, config: description, to: folder + "/one")
        try ImageMUNITCheckpoint.write(two, config: description, to: folder + "/two")
        let bytes = { (name: String) in FileManager.default.contents(atPath: "\(folder)/\(name)/model.safetensors") }
        #expect(bytes("one") != nil && bytes("one") == bytes("two"))
        let read = try ImageMUNITCheckpoint.read(from: folder + "/one")
        #expect(read.generator == one.generator && read.discriminator == one.discriminator && read.config == description)
        #expect(try ImageMUNITCheckpoint.isImageModel(folder + "/one"))
    }

    @Test func aSingleBatchIsOverfitted() throws {
        // Two images per domain, every step the same batch (batch = the whole set drawn with
        // replacement): the L1 reconstruction falls well below its start.
        let a = Self.images(2, right: false, seed: 3), b = Self.images(2, right: true, seed: 4)
        let run = try ImageMUNITTraining.train(a: a, b: b, model: Self.config, training: Self.training(steps: 150, batch: 2, lr: 2e-3))
        let image = run.records.map { ($0.generator.image[0] + $0.generator.image[1]) / 2 }
        let start = image.prefix(5).reduce(0, +) / 5, end = image.suffix(5).reduce(0, +) / 5
        #expect(end < 0.4 * start, "image L1 from \(start) to \(end)")
        let recon = run.model.reconstruct(.a, a, generator: run.generator)
        let l1 = zip(recon.storage, a.storage).map { abs(Double($0 - $1)) }.reduce(0, +) / Double(a.count)
        #expect(l1 < 0.4 * start, "reconstruction L1 \(l1)")
    }

    @Test func badInputGivesClearErrors() throws {
        let a = Self.images(4, right: false, seed: 5), b = Self.images(4, right: true, seed: 6)
        let points = Matrix<Float>(rows: 4, columns: 2) { i, j in Float(i + j) }
        // 2-D points to an image MUNIT.
        #expect(throws: MongeError.self) { try ImageMUNITTraining.train(a: points, b: b, model: Self.config, training: Self.training(steps: 1)) }
        do {
            _ = try ImageMUNITTraining.train(a: a, b: points, model: Self.config, training: Self.training(steps: 1))
        } catch let error as MongeError {
            #expect(error.description.contains("domain B") && error.description.contains("1×8×8"), "\(error)")
        }
        var bad = a
        bad[1, 3] = .nan
        #expect(throws: MongeError.self) { try ImageMUNITTraining.train(a: bad, b: b, model: Self.config, training: Self.training(steps: 1)) }
        // A checkpoint of another architecture: the config says 2 residual blocks, the weights hold 1.
        let folder = TestSupport.temporaryFolder("monge-image-munit-bad")
        let run = try ImageMUNITTraining.train(a: a, b: b, model: Self.config, training: Self.training(steps: 1))
        var description = ImageMUNITCheckpoint.Config(model: Self.config, training: Self.training(steps: 1),
                                                      domainA: .init(source: "a", data: a), domainB: .init(source: "b", data: b))
        try ImageMUNITCheckpoint.write(run, config: description, to: folder)
        description.model.residualBlocks = 2
        let encoder = JSONEncoder()
        try AtomicFile.write(encoder.encode(description), to: folder + "/config.json")
        do {
            _ = try ImageMUNITCheckpoint.read(from: folder)
            Issue.record("a checkpoint of another architecture was read")
        } catch let error as MongeError {
            #expect(error.description.contains("another architecture"), "\(error)")
        }
        // A 2-D MUNIT's folder is not an image MUNIT, and an image MUNIT's is not a 2-D one.
        let points2D = Matrix<Float>(rows: 8, columns: 2) { i, j in Float(i) * 0.1 + Float(j) }
        let flat = try MUNITTraining.train(a: points2D, b: points2D, model: MUNITConfig(width: 4, styleMLPWidth: 4, discriminatorWidth: 4),
                                           training: Self.training(steps: 1))
        let flatConfig = MUNITCheckpoint.Config(model: flat.model.config, training: Self.training(steps: 1),
                                                domainA: .init(source: "p", data: points2D), domainB: .init(source: "p", data: points2D))
        try MUNITCheckpoint.write(flat, config: flatConfig, to: folder + "/flat")
        #expect(try ImageMUNITCheckpoint.isImageModel(folder + "/flat") == false)
        #expect(throws: MongeError.self) { try ImageMUNITCheckpoint.read(from: folder + "/flat") }
        description.model.residualBlocks = 1
        try ImageMUNITCheckpoint.write(run, config: description, to: folder + "/image")
        #expect(throws: MongeError.self) { try MUNITCheckpoint.read(from: folder + "/image") }
    }
}
