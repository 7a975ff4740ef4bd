import ArgumentParser
import Foundation
import MongeExperiments
import MongeCore
import MongeData
import MongeDiffusion
import MongeNN

/// The classifier's network: an MLP on vectors or a conv net on images.
enum ClassifierArchitecture: String, ExpressibleByArgument, CaseIterable {
    case mlp
    case conv
}

/// What a conv classifier's feature layer reads: the global average of the last map, or all of it.
enum ClassifierPooling: String, ExpressibleByArgument, CaseIterable {
    case average
    case flatten
}

/// `monge classifier fashion` and `monge classifier A B --arch conv`: the conv classifiers of the image path.
extension ClassifierCommand {
    func validateConv() throws {
        let fashion = a == "fashion"
        if fashion {
            guard b == nil else { throw ValidationError("`monge classifier fashion` takes no second data set, got \(b!)") }
        } else {
            guard let b else { throw ValidationError("give the images of domain B") }
            if n != nil { throw ValidationError("--n applies to `monge classifier fashion`; choose domain images with data:fashion:CLASSES:n=N") }
            for spec in [a, b] where !ImageSets.isSpec(spec) {
                throw ValidationError("--arch conv trains on image sets (data:fashion:CLASSES, data:digits:CLASSES), got \(spec)")
            }
        }
        if steps != nil { throw ValidationError("--steps applies to --arch mlp; a conv classifier trains for --epochs") }
        try Check.range(width, "--width", 1...Check.maximumWidth)
        try Check.range(groups, "--groups", 1...Check.maximumWidth)
        try Check.range(features, "--features", 1...Check.maximumFeatures)
        try Check.range(epochs, "--epochs", 0...100_000)
        try Check.range(batch, "--batch", 2...1_000_000)
        try Check.range(n, "--n", 1...Check.maximumPoints)
        try Check.range(pool, "--pool", 1...7)
        try Check.positive(lr, "--lr")
        try Check.range(timesteps, "--T", 1...Check.maximumTimesteps)
        try Check.range(timeEmbedding, "--time-embedding", 2...Check.maximumFeatures)
        guard timeEmbedding % 2 == 0 else { throw ValidationError("--time-embedding must be even, got \(timeEmbedding)") }
        let width = self.width ?? 16
        guard width % (groups ?? min(8, width)) == 0 else {
            throw ValidationError("--groups \(groups ?? min(8, width)) must divide --width \(width)")
        }
        guard FashionMNIST.side % pool == 0, FashionMNIST.side / pool >= 4 else {
            throw ValidationError("--pool \(pool) must divide 28 and leave images of at least 4×4: use 1 (28×28), 2 (14×14) or 4 (7×7)")
        }
    }

    /// The images of an image-set spec, average-pooled by --pool, with their shape.
    func convImages(_ spec: String) throws -> (images: Matrix<Float>, shape: ImageShape, source: String) {
        let (images, source) = try ImageSets.images(spec: spec)
        let side = Int(Double(images.columns).squareRoot())
        let shape = ImageShape(channels: 1, height: side, width: side)
        guard pool > 1 else { return (images, shape, source) }
        let filter = try LowPassFilter(image: shape, factor: pool)
        return (filter.pool(images), filter.pooled, source + " pooled ×\(pool)")
    }

    func runConv() throws {
        let fashion = a == "fashion"
        let width = self.width ?? 16
        let training = ConvClassifierTrainingConfig(epochs: epochs, batchSize: batch ?? 128, adam: AdamConfig(learningRate: lr ?? 3e-3),
                                                    cosineDecay: true, chunks: 2, flips: flips, seed: seed)
        var manifest = RunManifest.begin(command: "monge classifier", seed: seed,
                                         parameters: ["a": .string(a), "b": b.map { .string($0) } ?? .null, "arch": .string("conv")])
        let weights = URL(fileURLWithPath: out).appendingPathComponent(ConvClassifierCheckpoint.weightsFile).path
        let started = Date()
        let network: ConvClassifier<Float>
        let config: ConvClassifierCheckpoint.Config
        var results: [String: JSONValue] = [:]
        // The old manifest goes before the files it describes change; the new one comes last.
        try RunManifest.remove(at: RunManifest.path(beside: weights))
        if fashion {
            let side = FashionMNIST.side / pool
            let model = ConvClassifierConfig(image: ImageShape(channels: 1, height: side, width: side), width: width, depth: 1,
                                             groups: groups ?? min(8, width), features: features, classes: 10,
                                             globalPooling: (pooling ?? .flatten) == .average)
            let images = n ?? 60_000
            let progress = TrainingProgress(totalSteps: training.steps(images: images), quiet: quiet, label: "classifier")
            let result = try ImageClassifiers.trainOrLoadFashion(folder: out, model: model, training: training, trainImages: n, reuse: false,
                                                                 progress: progress)
            network = result.classifier.network
            config = result.config
        } else {
            let (imagesA, shape, sourceA) = try convImages(a)
            let (imagesB, shapeB, sourceB) = try convImages(b!)
            guard shape == shapeB else { throw MongeError.shapeMismatch("domain A holds \(shape) images, domain B \(shapeB)") }
            let model = ConvClassifierConfig(image: shape, width: width, depth: 1, groups: groups ?? min(8, width), features: features,
                                             classes: 2, timeEmbedding: timeEmbedding, globalPooling: (pooling ?? .average) == .average)
            let (heldA, heldB) = try (heldOut(a), heldOut(b!))
            let progress = TrainingProgress(totalSteps: training.steps(images: imagesA.rows + imagesB.rows), quiet: quiet, label: "classifier")
            let result = try ImageClassifiers.trainOrLoadDomain(folder: out, a: imagesA, sourceA: sourceA, b: imagesB, sourceB: sourceB,
                                                                model: model, schedule: try makeSchedule(), training: training,
                                                                heldOutA: heldA, heldOutB: heldB, reuse: false, progress: progress)
            network = result.classifier.network
            config = result.config
        }
        let seconds = Date().timeIntervalSince(started)
        results["parameters"] = .integer(network.parameterCount)
        results["seconds"] = .number(seconds)
        if let accuracy = config.heldOutAccuracy { results["held_out_accuracy"] = .number(accuracy) }
        let files = [ConvClassifierCheckpoint.weightsFile, ConvClassifierCheckpoint.configFile, ConvClassifierCheckpoint.lossFile]
        manifest.finish(outputs: files, results: results)
        try manifest.write(beside: weights, describing: files.map { URL(fileURLWithPath: out).appendingPathComponent($0).path })
        let accuracy = config.heldOutAccuracy.map { String(format: "%.4f", $0) } ?? "not measured"
        print("classifier: \(network.config.image) conv net, \(network.parameterCount) parameters, \(epochs) epochs in "
              + String(format: "%.1f s", seconds) + "; accuracy \(accuracy) on \(config.heldOutData ?? "no held-out images"); saved in \(out)")
    }

    /// The test-split images of a Fashion-MNIST spec's classes (nil for other sets), pooled as the training images.
    func heldOut(_ spec: String) throws -> Matrix<Float>? {
        guard FashionMNIST.isSpec(spec) else { return nil }
        var parsed = try FashionMNIST.Spec(parsing: spec)
        guard parsed.split == .train else { return nil }
        parsed.split = .test
        parsed.count = nil
        return try convImages(parsed.text).images
    }
}
