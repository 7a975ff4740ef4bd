import Foundation
import MongeBridges
import MongeDiffusion
import MongeEvaluation
import MongeNN

/// The measurements of an image MUNIT A → B on held-out images (issue 13):
///
/// - realism under a 10-class conv classifier: the fraction of T(x) classified as the target
///   class, and the Fréchet distance of the classifier's penultimate features of T(x) against
///   target images, beside the floor between two disjoint target samples of the same size;
/// - faithfulness: mean L2 ‖x − T(x)‖, PSNR and SSIM between x and T(x) (data range 2);
/// - multimodality: for each of the first inputs, the mean pairwise L2 between its translations
///   under k prior styles, beside the mean pairwise L2 between distinct target images (the spread
///   of the target domain itself);
/// - within-domain reconstruction L1 of the sources.
///
/// Each x gets one prior style s ~ N(0, I) (row i of a Philox stream of `seed`).
public struct ImageMUNITMetrics: Codable, Equatable, Sendable {
    public var sourceImages: Int
    public var targetImages: Int
    public var targetClass: Int
    public var targetAccuracy: Double
    /// The classifier's accuracy on the source images as their own class (how sure it is of A).
    public var sourceAccuracy: Double?
    public var frechet: Double
    public var frechetFloor: Double
    public var l2: Double
    public var psnr: Double
    public var ssim: Double
    public var styles: Int
    public var diversityInputs: Int
    public var diversity: Double
    public var targetPairwiseL2: Double
    public var reconstructionL1: Double

    /// The JSON keys: snake_case, like every output of Monge.
    enum CodingKeys: String, CodingKey {
        case sourceImages = "source_images", targetImages = "target_images", targetClass = "target_class"
        case targetAccuracy = "target_accuracy", sourceAccuracy = "source_accuracy", frechet, frechetFloor = "frechet_floor"
        case l2, psnr, ssim, styles, diversityInputs = "diversity_inputs", diversity, targetPairwiseL2 = "target_pairwise_l2"
        case reconstructionL1 = "reconstruction_l1"
    }

    /// Images in [−1, 1]: PSNR's and SSIM's data range.
    public static let dataRange = 2.0

    /// A Philox stream of prior styles ("STYLE", as `monge munit translate`).
    public static func styles(rows: Int, dimension: Int, seed: UInt64) -> Matrix<Float> {
        RandomStream(seed: seed, stream: StreamTag.munitStyles).normalMatrix(rows: rows, columns: dimension, firstRow: 0)
    }

    /// Translations of the rows of `x` under `k` styles each: row i·k + j is x_i with style j.
    public static func translations(model: ImageMUNIT<Float>, generator: [Float], from domain: MUNITDomain, _ x: Matrix<Float>,
                                    styles k: Int, seed: UInt64) -> Matrix<Float> {
        let d = x.columns
        var repeated = [Float](repeating: 0, count: x.rows * k * d)
        for i in 0..<x.rows { for j in 0..<k { for c in 0..<d { repeated[(i * k + j) * d + c] = x.storage[i * d + c] } } }
        let inputs = try! Matrix(rows: x.rows * k, columns: d, storage: repeated)
        return model.translate(from: domain, inputs, style: styles(rows: x.rows * k, dimension: model.config.style, seed: seed), generator: generator)
    }

    /// Measures A → B on `source` (A images) against `target` (held-out B images, at least two).
    /// - Returns: the metrics and, for the figure, the first `gridInputs` sources each followed by their k translations.
    public static func measure(model: ImageMUNIT<Float>, generator: [Float], source: Matrix<Float>, target: Matrix<Float>,
                               classifier: TrainedConvClassifier, targetClass: Int, sourceClass: Int?, styles k: Int,
                               diversityInputs: Int, gridInputs: Int, seed: UInt64) throws -> (metrics: ImageMUNITMetrics, grid: Matrix<Float>) {
        let shape = model.config.image
        for (name, m) in [("source", source), ("target", target)] {
            guard m.columns == shape.dimension else {
                throw MongeError.shapeMismatch("the \(name) images have \(m.columns) values, the model takes \(shape) = \(shape.dimension)")
            }
        }
        guard classifier.config.image == shape, classifier.config.classes > targetClass, !classifier.config.isTimeDependent else {
            throw MongeError.invalidArgument(name: "--classifier", message: "takes \(classifier.config.image) images with \(classifier.config.classes) classes, the MUNIT translates \(shape) images into class \(targetClass)")
        }
        guard source.rows >= 1, target.rows >= 2 else {
            throw MongeError.invalidArgument(name: "images", message: "need at least 1 source and 2 target images, got \(source.rows) and \(target.rows)")
        }
        guard k >= 2 else { throw MongeError.invalidArgument(name: "--styles", message: "diversity needs at least 2 styles, got \(k)") }
        // T(x) with one style per image; the target split in two halves of the source count (at most).
        let n = min(source.rows, target.rows / 2)
        let x = source.rows(0..<n)
        let mapped = translations(model: model, generator: generator, from: .a, x, styles: 1, seed: seed)
        try mapped.checkFinite("translated images")
        let first = target.rows(0..<n), second = target.rows(n..<(2 * n))
        let (labels, features) = try classifier.classify(mapped)
        let accuracy = Double(labels.filter { $0 == targetClass }.count) / Double(n)
        let sourceAccuracy = try sourceClass.map { c in Double(try classifier.classify(x).labels.filter { $0 == c }.count) / Double(n) }
        let firstFeatures = try classifier.classify(first).features, secondFeatures = try classifier.classify(second).features
        let frechet = try FrechetDistance.squared(features: features.converted(to: Double.self), firstFeatures.converted(to: Double.self))
        let floor = try FrechetDistance.squared(features: secondFeatures.converted(to: Double.self), firstFeatures.converted(to: Double.self))
        let xd = x.converted(to: Double.self), md = mapped.converted(to: Double.self)
        let distances = try ImageDistances.l2(xd, md)
        func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(max(v.count, 1)) }
        let ssim = try StructuralSimilarity(dataRange: dataRange).indices(xd, md, height: shape.height, width: shape.width)
        // k styles for the first inputs: mean pairwise L2 within each input's translations.
        let m = min(diversityInputs, n)
        let many = translations(model: model, generator: generator, from: .a, x.rows(0..<m), styles: k, seed: seed &+ 1).converted(to: Double.self)
        var pairs: [Double] = []
        for i in 0..<m {
            let group = many.rows((i * k)..<((i + 1) * k))
            for u in 0..<k { for v in (u + 1)..<k { pairs.append(try ImageDistances.l2(group.rows(u..<(u + 1)), group.rows(v..<(v + 1)))[0]) } }
        }
        let spreadSet = first.rows(0..<min(m + 1, n)).converted(to: Double.self)
        var spread: [Double] = []
        for u in 0..<spreadSet.rows { for v in (u + 1)..<spreadSet.rows {
            spread.append(try ImageDistances.l2(spreadSet.rows(u..<(u + 1)), spreadSet.rows(v..<(v + 1)))[0])
        } }
        let recon = model.reconstruct(.a, x, generator: generator)
        var l1 = 0.0
        for j in 0..<recon.count { l1 += abs(Double(recon.storage[j] - x.storage[j])) }
        // The figure: each of the first inputs followed by its k translations.
        let g = min(gridInputs, m)
        var grid: [Matrix<Float>] = []
        for i in 0..<g { grid.append(x.rows(i..<(i + 1))); grid.append(many.rows((i * k)..<((i + 1) * k)).converted(to: Float.self)) }
        let metrics = ImageMUNITMetrics(sourceImages: n, targetImages: 2 * n, targetClass: targetClass, targetAccuracy: accuracy,
                                        sourceAccuracy: sourceAccuracy, frechet: frechet, frechetFloor: floor, l2: mean(distances),
                                        psnr: mean(try ImageDistances.psnr(xd, md, dataRange: dataRange)), ssim: mean(ssim), styles: k,
                                        diversityInputs: m, diversity: mean(pairs), targetPairwiseL2: mean(spread),
                                        reconstructionL1: l1 / Double(max(recon.count, 1)))
        return (metrics, g > 0 ? Matrix.vstack(grid) : Matrix<Float>(rows: 0, columns: shape.dimension))
    }
}
