import Foundation
import MongeDiffusion
import MongeNN
import Testing
import TestSupport

/// The time-dependent domain classifier (EGSDE's realism expert): training on noisy samples of
/// two domains, its accuracy where the answer is known, determinism, and its checkpoint files.
@Suite("Domain classifier training")
struct ClassifierTrainingTests {
    /// Two well-separated domains: N((−3, 0), 0.5²I) and N((3, 0), 0.5²I).
    static func domains(rows: Int = 2000, seed: UInt64 = 1) -> (a: Matrix<Float>, b: Matrix<Float>) {
        let z: Matrix<Float> = RandomStream(seed: seed).normalMatrix(rows: 2 * rows, columns: 2, firstRow: 0)
        var a = z.rows(0..<rows), b = z.rows(rows..<(2 * rows))
        for i in 0..<rows {
            a[i, 0] = 0.5 * a[i, 0] - 3; a[i, 1] *= 0.5
            b[i, 0] = 0.5 * b[i, 0] + 3; b[i, 1] *= 0.5
        }
        return (a, b)
    }

    static let model = ClassifierConfig(dimension: 2, width: 32, depth: 2, timeEmbedding: 16)

    static func train(steps: Int, seed: UInt64 = 3) throws -> ClassifierTraining.Run<Float> {
        let (a, b) = domains()
        return try ClassifierTraining.train(a: a, b: b, model: model, schedule: .linear(count: 1000),
                                            training: ClassifierTrainingConfig(steps: steps, batchSize: 128,
                                                                               adam: AdamConfig(learningRate: 3e-3), seed: seed))
    }

    /// Clean points are separable (Bayes accuracy ≈ 1); at t = T − 1 the signal √ᾱ·3 ≈ 0.02 is
    /// buried in unit noise, so no classifier beats ≈ 51 %: 40–60 % on 2 × 2000 fresh points.
    @Test func separatesCleanDomainsAndNotPureNoise() throws {
        let run = try Self.train(steps: 400)
        let (a, b) = Self.domains(seed: 99)
        let clean = run.classifier.accuracy(a: a, b: b, timestep: -1)
        let noisy = run.classifier.accuracy(a: a, b: b, timestep: 999, seed: 4)
        #expect(clean > 0.95, "clean accuracy \(clean)")
        #expect(noisy > 0.4 && noisy < 0.6, "accuracy at t = T − 1: \(noisy)")
        // The loss fell from ≈ log 2.
        let first = run.losses.prefix(20).map(\.loss).reduce(0, +) / 20
        let last = run.losses.suffix(20).map(\.loss).reduce(0, +) / 20
        #expect(first > 0.5 && last < first - 0.1, "loss \(first) → \(last)")
    }

    @Test func theSameSeedGivesIdenticalParameters() throws {
        let one = try Self.train(steps: 30), two = try Self.train(steps: 30)
        #expect(one.classifier.parameters == two.classifier.parameters)
        let other = try Self.train(steps: 30, seed: 4)
        #expect(other.classifier.parameters != one.classifier.parameters)
    }

    @Test func batchesAreAddressedBySeedAndStep() throws {
        let (a, b) = Self.domains(rows: 50)
        let schedule = try NoiseSchedule.linear(count: 100)
        let first = ClassifierTraining.Batch(seed: 1, step: 7).draw(batchSize: 16, a: a, b: b, schedule: schedule)
        let again = ClassifierTraining.Batch(seed: 1, step: 7).draw(batchSize: 16, a: a, b: b, schedule: schedule)
        let next = ClassifierTraining.Batch(seed: 1, step: 8).draw(batchSize: 16, a: a, b: b, schedule: schedule)
        #expect(first.x == again.x && first.timesteps == again.timesteps)
        #expect(first.x != next.x)
        #expect(first.labels == [Float](repeating: 0, count: 8) + [Float](repeating: 1, count: 8))
    }

    /// BCE with logits against its closed form at a few points, and its gradient against differences.
    @Test func binaryCrossEntropyMatchesItsDefinition() {
        let logits: [Double] = [-30, -1, 0, 2.5, 40]
        let labels: [Double] = [0, 1, 1, 0, 1]
        let (loss, gradient) = BinaryCrossEntropy.lossAndGradient(logits: logits, labels: labels)
        func direct(_ z: Double, _ y: Double) -> Double { -(y * log(1 / (1 + exp(-z))) + (1 - y) * log(1 - 1 / (1 + exp(-z)))) }
        let expected = (direct(-30, 0) + direct(-1, 1) + direct(0, 1) + direct(2.5, 0) + 40 * 0 + log1p(exp(-40))) / 5
        #expect(abs(loss - expected) < 1e-12)
        for i in logits.indices {
            let sigma = 1 / (1 + exp(-logits[i]))
            #expect(abs(gradient[i] - (sigma - labels[i]) / 5) < 1e-12)
        }
    }

    @Test func savesAndLoadsWithClearErrors() throws {
        let run = try Self.train(steps: 5)
        let (a, b) = Self.domains()
        let config = ClassifierCheckpoint.Config(model: Self.model, schedule: run.classifier.schedule, training: ClassifierTrainingConfig(steps: 5),
                                                 domainA: .init(source: "a", data: a), domainB: .init(source: "b", data: b))
        let folder = TestSupport.temporaryFolder()
        try ClassifierCheckpoint.write(run.classifier, config: config, losses: run.losses, to: folder)
        #expect(TestSupport.files(in: folder).sorted() == ["classifier.json", "classifier.safetensors", "loss.csv"])
        let loaded = try ClassifierCheckpoint.read(from: folder)
        #expect(loaded.parameters == run.classifier.parameters)
        #expect(loaded.network.config == Self.model)

        // A missing tensor and a mis-shaped one are named.
        let weights = folder + "/" + ClassifierCheckpoint.weightsFile
        var (tensors, metadata) = try SafeTensors.read(weights)
        let original = tensors
        tensors["hidden.1.bias"] = nil
        try SafeTensors.write(tensors: tensors, metadata: metadata, to: weights)
        #expect { try ClassifierCheckpoint.read(from: folder) } throws: { error in
            "\(error)".contains("hidden.1.bias") && "\(error)".contains("missing")
        }
        tensors = original
        tensors["output.weight"] = try NDArray(shape: [16, 2], values: [Float](repeating: 0, count: 32))
        try SafeTensors.write(tensors: tensors, metadata: metadata, to: weights)
        #expect { try ClassifierCheckpoint.read(from: folder) } throws: { error in
            "\(error)".contains("output.weight") && "\(error)".contains("[32, 1]")
        }
        metadata["format"] = "other"
        try SafeTensors.write(tensors: original, metadata: metadata, to: weights)
        #expect(throws: MongeError.self) { try ClassifierCheckpoint.read(from: folder) }
        // No config: not a classifier folder.
        #expect { try ClassifierCheckpoint.read(from: TestSupport.temporaryFolder()) } throws: { error in
            "\(error)".contains("classifier.json")
        }
    }

    /// classifier.json must be the config the weights were trained with (the seal in their metadata).
    @Test func anEditedConfigIsRefused() throws {
        let run = try Self.train(steps: 5)
        let (a, b) = Self.domains()
        let config = ClassifierCheckpoint.Config(model: Self.model, schedule: run.classifier.schedule, training: ClassifierTrainingConfig(steps: 5),
                                                 domainA: .init(source: "a", data: a), domainB: .init(source: "b", data: b))
        let folder = TestSupport.temporaryFolder()
        try ClassifierCheckpoint.write(run.classifier, config: config, losses: run.losses, to: folder)
        let file = folder + "/" + ClassifierCheckpoint.configFile
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let edited = text.replacingOccurrences(of: "\"activation\" : \"silu\"", with: "\"activation\" : \"relu\"")
        #expect(edited != text)
        try edited.write(toFile: file, atomically: true, encoding: .utf8)
        #expect { try ClassifierCheckpoint.read(from: folder) } throws: { error in
            "\(error)".contains("classifier.json") && "\(error)".contains("does not match the weights") && "\(error)".contains("model.activation")
        }
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        var notes: [String] = []
        #expect(try ClassifierCheckpoint.read(from: folder) { notes.append($0) }.parameters == run.classifier.parameters)
        #expect(notes.isEmpty)
    }

    @Test func rejectsBadInputs() throws {
        let (a, b) = Self.domains(rows: 10)
        let schedule = try NoiseSchedule.linear(count: 100)
        let empty = Matrix<Float>(rows: 0, columns: 2)
        #expect(throws: MongeError.self) {
            try ClassifierTraining.train(a: empty, b: b, model: Self.model, schedule: schedule, training: .init(steps: 1))
        }
        let wide = Matrix<Float>(rows: 3, columns: 3)
        #expect(throws: MongeError.self) {
            try ClassifierTraining.train(a: a, b: wide, model: Self.model, schedule: schedule, training: .init(steps: 1))
        }
        var bad = a
        bad[2, 1] = .nan
        #expect(throws: MongeError.self) {
            try ClassifierTraining.train(a: bad, b: b, model: Self.model, schedule: schedule, training: .init(steps: 1))
        }
        #expect(throws: MongeError.self) {
            try ClassifierTraining.train(a: a, b: b, model: Self.model, schedule: schedule, training: .init(steps: 1, batchSize: 1))
        }
    }
}
