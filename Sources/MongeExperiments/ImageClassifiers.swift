import Foundation
import MongeData
import MongeDiffusion
import MongeNN

/// The two conv classifiers of the image path, trained (or reused from their folders) in one
/// call each:
/// - the 10-class Fashion-MNIST classifier, whose predictions give a translation's target-class
///   accuracy and whose penultimate features give the Fréchet distance (an FID analogue);
/// - a time-dependent domain classifier of two image sets (EGSDE's realism expert).
public enum ImageClassifiers {
    /// The default 10-class classifier of `image`-sized Fashion-MNIST images: the last map
    /// flattened into the feature layer (global average pooling learns Fashion-MNIST far slower:
    /// 73 % against 87 % test accuracy after 2 epochs of 12,000 images). Measured with the default
    /// training (3 epochs of the 60,000 training images, batch 128, Adam 3e-3 with cosine decay,
    /// seed 0): 92.05 % on the 10,000 test images, 160 s of CPU time (2 threads, shared machine).
    public static func fashionModel(image: ImageShape = ImageShape(channels: 1, height: 28, width: 28), width: Int = 16,
                                    features: Int = 128) -> ConvClassifierConfig {
        ConvClassifierConfig(image: image, width: width, depth: 1, groups: min(8, width), features: features, classes: 10,
                             globalPooling: false)
    }

    /// The default time-dependent domain classifier (2 classes: A = 0, B = 1) of `image`-sized images.
    public static func domainModel(image: ImageShape, width: Int = 16, features: Int = 64, timeEmbedding: Int = 32) -> ConvClassifierConfig {
        ConvClassifierConfig(image: image, width: width, depth: 1, groups: min(8, width), features: features, classes: 2,
                             timeEmbedding: timeEmbedding)
    }

    /// Fashion-MNIST images of `split` average-pooled by `factor` (1: the 28×28 images; 2: 14×14),
    /// N × C·H·W in [−1, 1], with their labels; at most `count` of them (a seeded subset in file order).
    public static func fashionImages(split: FashionMNIST.Split, factor: Int = 1, count: Int? = nil, seed: UInt64 = 0,
                                     folder: String = FashionMNIST.defaultFolder) throws -> (images: Matrix<Float>, labels: [Int]) {
        let set = try FashionMNIST.load(split: split, folder: folder)
        let rows = try set.rows(ofClasses: Array(0...9), count: count, seed: seed)
        let images = set.images.rows(at: rows)
        let labels = rows.map { set.labels[$0] }
        guard factor != 1 else { return (images, labels) }
        let filter = try LowPassFilter(image: ImageShape(channels: 1, height: FashionMNIST.side, width: FashionMNIST.side), factor: factor)
        return (filter.pool(images), labels)
    }

    /// The 10-class classifier of `folder` when it was trained with these settings, else one
    /// trained now on the training split (all of it, or `trainImages` of it) and written to
    /// `folder` with its test-split accuracy in classifier.json (`reuse` false: always train).
    ///
    /// The model's image must be 1×28×28 or 1×(28/f)×(28/f) for a pooling factor f; the images
    /// given to `classify` must be pooled the same way (`fashionImages(split:factor:)`).
    /// - Returns: the classifier, its config (with `heldOutAccuracy` on the whole test split) and whether it was trained now.
    public static func trainOrLoadFashion(folder: String, model: ConvClassifierConfig, training: ConvClassifierTrainingConfig,
                                          trainImages: Int? = nil, reuse: Bool = true, progress: TrainingProgress? = nil,
                                          dataFolder: String = FashionMNIST.defaultFolder) throws
        -> (classifier: TrainedConvClassifier, config: ConvClassifierCheckpoint.Config, trained: Bool) {
        let side = FashionMNIST.side
        guard model.image.channels == 1, model.image.height == model.image.width, model.image.height >= 4,
              side % model.image.height == 0, model.classes == 10, !model.isTimeDependent else {
            throw MongeError.invalidArgument(name: "model", message: "the Fashion-MNIST classifier takes 1×H×H images with H dividing 28 and has 10 classes and no time input; got \(model.image), \(model.classes) classes")
        }
        let factor = side / model.image.height
        let (images, labels) = try fashionImages(split: .train, factor: factor, count: trainImages, seed: training.seed, folder: dataFolder)
        let source = "fashion-mnist train" + (trainImages.map { " n=\($0) seed=\(training.seed)" } ?? "") + (factor > 1 ? " pooled ×\(factor)" : "")
        var config = ConvClassifierCheckpoint.Config(model: model, schedule: nil, training: training,
                                                     data: [.init(source: source, data: images)], classNames: FashionMNIST.classNames)
        if reuse, ConvClassifierCheckpoint.holdsConvClassifier(folder),
           let (stored, storedConfig) = try? ConvClassifierCheckpoint.read(from: folder), storedConfig.describesSameTraining(as: config) {
            progress?.note("classifier: reusing \(folder) (test accuracy \(storedConfig.heldOutAccuracy.map { String(format: "%.4f", $0) } ?? "?"))")
            return (stored, storedConfig, false)
        }
        let run = try ConvClassifierTraining.train(images: images, labels: labels, model: model, schedule: nil, training: training,
                                                   progress: progress)
        let test = try fashionImages(split: .test, factor: factor, folder: dataFolder)
        config.heldOutAccuracy = try run.classifier.accuracy(test.images, labels: test.labels)
        config.heldOutData = "fashion-mnist test (\(test.images.rows) images)" + (factor > 1 ? " pooled ×\(factor)" : "")
        try ConvClassifierCheckpoint.write(run.classifier, config: config, losses: run.losses, to: folder)
        return (run.classifier, config, true)
    }

    /// The time-dependent domain classifier of `folder` when it was trained with these settings
    /// on these images, else one trained now on noisy A (label 0) and B (label 1) images under
    /// `schedule` (the target ε-model's) and written to `folder`. The held-out accuracy (when
    /// `heldOutA`/`heldOutB` are given) is measured on clean images at t = 0 (`reuse` false: always train).
    public static func trainOrLoadDomain(folder: String, a: Matrix<Float>, sourceA: String, b: Matrix<Float>, sourceB: String,
                                         model: ConvClassifierConfig, schedule: NoiseSchedule, training: ConvClassifierTrainingConfig,
                                         heldOutA: Matrix<Float>? = nil, heldOutB: Matrix<Float>? = nil,
                                         reuse: Bool = true, progress: TrainingProgress? = nil) throws
        -> (classifier: TimeConvClassifier<Float>, config: ConvClassifierCheckpoint.Config, trained: Bool) {
        guard model.classes == 2, model.isTimeDependent else {
            throw MongeError.invalidArgument(name: "model", message: "a domain classifier has 2 classes and a time embedding")
        }
        var config = ConvClassifierCheckpoint.Config(model: model, schedule: schedule, training: training,
                                                     data: [.init(source: sourceA, data: a), .init(source: sourceB, data: b)],
                                                     classNames: [sourceA, sourceB])
        if reuse, ConvClassifierCheckpoint.holdsConvClassifier(folder),
           let (stored, storedConfig) = try? ConvClassifierCheckpoint.read(from: folder), storedConfig.describesSameTraining(as: config) {
            progress?.note("classifier: reusing \(folder)")
            return (try stored.realismExpert(), storedConfig, false)
        }
        let (images, labels) = try domainSet(a: a, b: b)
        let run = try ConvClassifierTraining.train(images: images, labels: labels, model: model, schedule: schedule, training: training,
                                                   progress: progress)
        if let heldOutA, let heldOutB {
            let (held, heldLabels) = try domainSet(a: heldOutA, b: heldOutB)
            config.heldOutAccuracy = try run.classifier.accuracy(held, labels: heldLabels, timestep: 0)
            config.heldOutData = "\(heldOutA.rows) + \(heldOutB.rows) held-out images, clean (t = 0)"
        }
        try ConvClassifierCheckpoint.write(run.classifier, config: config, losses: run.losses, to: folder)
        return (try run.classifier.realismExpert(), config, true)
    }

    /// A and B stacked, labelled 0 and 1.
    public static func domainSet(a: Matrix<Float>, b: Matrix<Float>) throws -> (images: Matrix<Float>, labels: [Int]) {
        guard a.columns == b.columns else {
            throw MongeError.shapeMismatch("domain A has \(a.columns) values per image, domain B \(b.columns)")
        }
        guard a.rows >= 1, b.rows >= 1 else { throw MongeError.invalidArgument(name: "domains", message: "each domain needs at least one image") }
        let images = try Matrix(rows: a.rows + b.rows, columns: a.columns, storage: a.storage + b.storage)
        return (images, [Int](repeating: 0, count: a.rows) + [Int](repeating: 1, count: b.rows))
    }
}
