import Foundation
import MongeDiffusion
import MongeNN
import Testing

/// Training the conv classifier (clean and time-dependent) on a synthetic task it must learn,
/// reproducibility, and its checkpoint: round trip, seal, and clear errors for the wrong
/// checkpoint or image shape.
@Suite("Conv classifier training")
struct ConvClassifierTrainingTests {
    static let image = ImageShape(channels: 1, height: 8, width: 8)

    /// Class 0: the left half brighter; class 1: the right half; both under unit noise (rows alternate classes).
    static func task(count: Int, seed: UInt64) -> (images: Matrix<Float>, labels: [Int]) {
        var x: Matrix<Float> = RandomStream(seed: seed).normalMatrix(rows: count, columns: 64)
        let labels = (0..<count).map { $0 % 2 }
        for i in 0..<count {
            for y in 0..<8 { for c in 0..<8 where (c < 4) == (labels[i] == 0) { x[i, y * 8 + c] += 1 } }
        }
        return (x, labels)
    }

    static let model = ConvClassifierConfig(image: image, width: 4, depth: 1, groups: 2, features: 8, classes: 2)
    static let training = ConvClassifierTrainingConfig(epochs: 4, batchSize: 32, adam: AdamConfig(learningRate: 1e-2), seed: 3)

    @Test("Training learns the task (held-out accuracy ≥ 95 %, loss falls) and a second run gives the same bytes")
    func learnsAndRepeats() throws {
        let (x, y) = Self.task(count: 512, seed: 1)
        let run = try ConvClassifierTraining.train(images: x, labels: y, model: Self.model, schedule: nil, training: Self.training)
        #expect(run.losses.count == 4 * 16)
        let first = run.losses.prefix(8).map(\.loss).reduce(0, +) / 8, last = run.losses.suffix(8).map(\.loss).reduce(0, +) / 8
        #expect(last < 0.5 * first, "loss \(first) → \(last)")
        let (hx, hy) = Self.task(count: 400, seed: 2)
        let accuracy = try run.classifier.accuracy(hx, labels: hy)
        #expect(accuracy >= 0.95, "held-out accuracy \(accuracy)")
        let again = try ConvClassifierTraining.train(images: x, labels: y, model: Self.model, schedule: nil, training: Self.training)
        #expect(again.classifier.parameters == run.classifier.parameters)
    }

    @Test("A time-dependent classifier learns the task from noisy images and tells them apart at small t")
    func timeDependent() throws {
        let schedule = try NoiseSchedule.linear(count: 100)
        var model = Self.model
        model.timeEmbedding = 8
        let (x, y) = Self.task(count: 512, seed: 1)
        var training = Self.training
        training.epochs = 8
        let run = try ConvClassifierTraining.train(images: x, labels: y, model: model, schedule: schedule, training: training)
        let (hx, hy) = Self.task(count: 400, seed: 2)
        let accuracy = try run.classifier.accuracy(hx, labels: hy, timestep: 0)
        #expect(accuracy >= 0.9, "held-out accuracy at t = 0: \(accuracy)")
        let expert = try run.classifier.realismExpert()
        #expect(expert.features(hx, timestep: 10).columns == 8)
        #expect(throws: MongeError.self) { try run.classifier.accuracy(hx, labels: hy) }  // no timestep
    }

    @Test("Bad training input: images of another size, labels out of range, a batch larger than the data")
    func badInput() throws {
        let (x, y) = Self.task(count: 64, seed: 1)
        #expect(throws: MongeError.self) {
            try ConvClassifierTraining.train(images: x, labels: y.map { $0 + 1 }, model: Self.model, schedule: nil,
                                             training: Self.training)
        }
        var wide = Self.model
        wide.image = ImageShape(channels: 1, height: 12, width: 12)
        do {
            _ = try ConvClassifierTraining.train(images: x, labels: y, model: wide, schedule: nil, training: Self.training)
            Issue.record("images of the wrong size were accepted")
        } catch {
            #expect("\(error)".contains("64 values per row") && "\(error)".contains("1×12×12"))
        }
        var big = Self.training
        big.batchSize = 128
        #expect(throws: MongeError.self) { try ConvClassifierTraining.train(images: x, labels: y, model: Self.model, schedule: nil, training: big) }
        var timed = Self.model
        timed.timeEmbedding = 8
        #expect(throws: MongeError.self) { try ConvClassifierTraining.train(images: x, labels: y, model: timed, schedule: nil, training: big) }
    }

    @Test("Checkpoint: round trip, sealed config, clear errors for an edited config, the MLP classifier's folder and wrong images")
    func checkpoint() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("conv-classifier-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var training = Self.training
        training.epochs = 1
        let (x, y) = Self.task(count: 64, seed: 1)
        let run = try ConvClassifierTraining.train(images: x, labels: y, model: Self.model, schedule: nil, training: training)
        let config = ConvClassifierCheckpoint.Config(model: Self.model, schedule: nil, training: training,
                                                     data: [.init(source: "task", data: x)], classNames: ["left", "right"],
                                                     heldOutAccuracy: 0.5, heldOutData: "none")
        try ConvClassifierCheckpoint.write(run.classifier, config: config, losses: run.losses, to: folder)
        let (loaded, loadedConfig) = try ConvClassifierCheckpoint.read(from: folder)
        #expect(loaded.parameters == run.classifier.parameters && loadedConfig == config)
        #expect(try loaded.classify(x).labels == run.classifier.classify(x).labels)
        // Wrong images: another size.
        do {
            _ = try loaded.classify(Matrix<Float>(rows: 2, columns: 784))
            Issue.record("784-value rows were accepted by an 8×8 classifier")
        } catch {
            #expect("\(error)".contains("784 values per row") && "\(error)".contains("1×8×8"))
        }
        // The 2-D classifier's reader refuses the folder, naming what it holds.
        do {
            _ = try ClassifierCheckpoint.read(from: folder)
            Issue.record("the MLP reader accepted a conv classifier")
        } catch {
            #expect("\(error)".contains("conv classifier"))
        }
        // An edited config (another width) is refused by its seal.
        let file = folder + "/" + ConvClassifierCheckpoint.configFile
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "\"width\" : 4", with: "\"width\" : 6").write(toFile: file, atomically: true, encoding: .utf8)
        do {
            _ = try ConvClassifierCheckpoint.read(from: folder)
            Issue.record("an edited config was accepted")
        } catch {
            #expect("\(error)".contains("model.width"), "\(error)")
        }
        // A 2-D MLP classifier's folder is refused by the conv reader, naming it.
        let mlpFolder = folder + "-mlp"
        defer { try? FileManager.default.removeItem(atPath: mlpFolder) }
        let points: Matrix<Float> = RandomStream(seed: 1).normalMatrix(rows: 16, columns: 2)
        let schedule = try NoiseSchedule.linear(count: 10)
        let mlp = try ClassifierTraining.train(a: points, b: points, model: ClassifierConfig(width: 4, depth: 1, timeEmbedding: 4),
                                               schedule: schedule, training: ClassifierTrainingConfig(steps: 1, batchSize: 4))
        try ClassifierCheckpoint.write(mlp.classifier, config: .init(model: ClassifierConfig(width: 4, depth: 1, timeEmbedding: 4), schedule: schedule,
                                                                     training: ClassifierTrainingConfig(steps: 1, batchSize: 4),
                                                                     domainA: .init(source: "a", data: points), domainB: .init(source: "b", data: points)),
                                       losses: mlp.losses, to: mlpFolder)
        do {
            _ = try ConvClassifierCheckpoint.read(from: mlpFolder)
            Issue.record("the conv reader accepted an MLP classifier")
        } catch {
            #expect("\(error)".contains("MLP domain classifier"), "\(error)")
        }
        #expect(!ConvClassifierCheckpoint.holdsConvClassifier(mlpFolder) && ConvClassifierCheckpoint.holdsConvClassifier(folder))
    }
}
