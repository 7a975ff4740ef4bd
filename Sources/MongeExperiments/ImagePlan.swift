import Foundation
import MongeBridges
import MongeData
import MongeNN

/// A translation method of the image reproduction: one cell of its grid.
public enum ImageMethod: String, Codable, CaseIterable, Sendable {
    /// DDIB with the deterministic DDIM (Euler) ODE solver, as the paper.
    case ddibDDIM = "ddib_ddim"
    /// DDIB with Heun's second-order solver.
    case ddibHeun = "ddib_heun"
    /// SDEdit: noise the source to level M, denoise with the target model (DDPM, fixed-large variance).
    case sdedit
    /// EGSDE: SDEdit with the energy guidance of a domain classifier and a low-pass filter.
    case egsde
    /// The exact optimal transport assignment onto the target test images (the reference map).
    case exactOT = "exact_ot"
    /// MUNIT (Huang et al. 2018): one image MUNIT per pair and seed, a prior style per image.
    case munit

    /// The label of a figure row.
    public var label: String {
        switch self {
        case .ddibDDIM: return "DDIB (DDIM)"
        case .ddibHeun: return "DDIB (Heun)"
        case .sdedit: return "SDEdit"
        case .egsde: return "EGSDE"
        case .exactOT: return "exact OT"
        case .munit: return "MUNIT"
        }
    }

    /// Whether the method translates with the per-class ε-models (the grid trains them only then).
    public var usesClassModels: Bool { self != .exactOT && self != .munit }
}

/// MUNIT's settings in the image reproduction (the `munit` method): the image MUNIT's networks
/// at the plan's image size (`ImageMUNITConfig` defaults) and its training (`MUNITTrainingConfig`
/// defaults — Adam 1e-4, β (0.5, 0.999) — at batch 4).
public struct ImageMUNITCell: Codable, Equatable, Sendable {
    public var model: ImageMUNITConfig
    public var training: MUNITTrainingConfig

    public init(image: ImageShape, steps: Int, batchSize: Int = 4) {
        model = ImageMUNITConfig(image: image)
        training = MUNITTrainingConfig(steps: steps, batchSize: batchSize)
    }

    /// The cell of a mode: 2000 training steps in quick, 10,000 in full.
    public static func standard(image: ImageShape, quick: Bool) -> ImageMUNITCell {
        ImageMUNITCell(image: image, steps: quick ? 2000 : 10_000)
    }
}

/// What `monge reproduce ddib-images` runs, written to plan.json beside the results: Fashion-MNIST
/// class pairs translated both ways by every method, on held-out test images, measured against the
/// exact OT between test images of the two classes.
public struct ImagePlan: Codable, Equatable, Sendable {
    public var seeds: [UInt64]
    /// Class pairs [a, b]; each is translated a → b and b → a.
    public var pairs: [[Int]]
    /// Average pooling of the 28 × 28 images by this factor (2: 14 × 14).
    public var pooling: Int
    /// Pad the pooled images with the background (−1) to this side, or nil (14 → 16: a size that
    /// halves twice, as the U-Net's and the classifiers' down-samplings need).
    public var pad: Int?
    /// A centre crop (side in pixels) after pooling and padding, or nil (the tests' tiny images).
    public var crop: Int?
    /// The per-class ε-model (its image shape must be the plan's).
    public var model: ModelConfig
    public var schedule: NoiseSchedule
    public var training: TrainingConfig
    /// Train-split images per class (a seeded subset), nil for all 6000.
    public var trainingImages: Int?
    /// Flip training images where the class allows it (`FashionMNIST.flipIsValid`).
    public var flipWhereValid: Bool
    /// Test images per class whose fixed denoising loss is logged beside the training loss.
    public var heldOutImages: Int
    /// The held-out loss is evaluated every this many steps.
    public var evaluationEvery: Int
    /// Test images of the source class translated per direction.
    public var translated: Int
    /// The first this many translated images are mapped back for the cycle columns; nil: all of
    /// them. The rows' noise is indexed by row, so these are the first rows of the full cycle, bit
    /// for bit; the mapping back is half of every method's cost.
    public var cycleImages: Int? = nil
    /// Test images per class in the exact OT of W2²(A, B) (≥ `translated`; Fashion-MNIST has 1000).
    public var transportImages: Int
    /// ODE steps of each DDIB half with DDIM (and with Heun unless `heunSteps` is set).
    public var ddibSteps: Int
    /// How DDIM's steps are placed among the T levels; nil: the standard linspace, as the paper.
    /// (The optional fields are absent from plan.json when nil, so earlier plans read back unchanged.)
    public var ddibSpacing: SpacingName? = nil
    /// ODE steps of each DDIB half with Heun; nil: `ddibSteps`.
    public var heunSteps: Int? = nil
    /// How Heun's steps are placed; nil: `ddibSpacing`. Karras et al.'s σ spacing is what a
    /// second-order solver needs on images: uniform-in-t steps leave one step from σ ≈ 0.4 to 0.
    public var heunSpacing: SpacingName? = nil
    /// SDEdit's (and EGSDE's) start level M as a fraction of T (the papers: 0.5).
    public var editStrength: Double
    /// SDEdit's DDPM steps from M to 0.
    public var editSteps: Int
    /// The grid's cells.
    public var methods: [ImageMethod]
    /// σ of SSIM's Gaussian window (1.5, the standard; smaller for tiny images).
    public var ssimSigma: Double
    /// Images per row of the figures.
    public var figureColumns: Int

    /// The 10-class classifier of the realism columns (target-class accuracy, Fréchet features),
    /// trained on the train split at the plan's image size.
    public var classifier: ConvClassifierConfig
    public var classifierTraining: ConvClassifierTrainingConfig
    /// Train-split images (all classes, a seeded subset) for the classifier, nil for all 60000.
    public var classifierImages: Int?
    /// EGSDE's time-dependent domain classifier (one per pair, on noisy images of both classes).
    public var domainClassifier: ConvClassifierConfig
    public var domainTraining: ConvClassifierTrainingConfig
    /// Train-split images per class for the domain classifier, nil for all 6000.
    public var domainImages: Int?
    /// EGSDE's weights: λ_s (realism: cosine of the domain classifier's features) and λ_i
    /// (faithfulness: ‖LP(y) − LP(x_t)‖², LP the average-pool-by-`lowPassFactor` low-pass filter).
    public var lambdaS: Double
    public var lambdaI: Double
    public var lowPassFactor: Int
    /// The MUNIT method's networks and training; nil (and absent from plan.json) without it.
    public var munit: ImageMUNITCell? = nil

    /// The images the models see.
    public var imageShape: ImageShape {
        var side = FashionMNIST.side / max(pooling, 1)
        if let pad { side = max(side, pad) }
        if let crop { side = min(side, crop) }
        return ImageShape(channels: 1, height: side, width: side)
    }

    /// EGSDE's realism weight λ_s = 500 (the paper's, on 3 × 256 × 256 images) rescaled to `image` by
    /// √(D / 196,608): the cosine energy's gradient spreads over D pixels, so its per-pixel size
    /// falls as 1/√D while the faithfulness term's (2 λ_i (L y − L x_t)) does not; the rescale keeps
    /// the paper's balance (18.0 at 16 × 16, 31.6 at 28 × 28). The paper's 500 saturates 16 × 16
    /// images (the README's λ sweep).
    public static func paperRealismWeight(_ image: ImageShape) -> Double {
        500 * (Double(image.channels * image.height * image.width) / (3 * 256 * 256)).squareRoot()
    }

    /// DDIB's ODE settings for `.ddibDDIM` or `.ddibHeun`: steps per half, their spacing, the solver.
    public func ddibSolver(_ method: ImageMethod) -> (steps: Int, spacing: SpacingName, solver: SamplerMethod) {
        let ddim = (ddibSteps, ddibSpacing ?? .standard)
        guard method == .ddibHeun else { return (ddim.0, ddim.1, .ddim(eta: 0)) }
        return (heunSteps ?? ddim.0, heunSpacing ?? ddim.1, .heun)
    }

    /// The classes that get a model, in order of first appearance.
    public var classes: [Int] {
        var seen: [Int] = []
        for c in pairs.flatMap({ $0 }) where !seen.contains(c) { seen.append(c) }
        return seen
    }

    /// The translation directions: a → b and b → a for every pair.
    public var directions: [ImageDirection] {
        pairs.flatMap { [ImageDirection(source: $0[0], target: $0[1]), ImageDirection(source: $0[1], target: $0[0])] }
    }

    /// SDEdit's start level M.
    public var editStart: Int { min(schedule.count - 1, max(0, Int((editStrength * Double(schedule.count)).rounded()) - 1)) }

    /// ≤ 15 minutes on two free cores including training (estimated from CPU time: the machine of
    /// this project was shared when it was written): 14 × 14 images (average-pooled) padded to
    /// 16 × 16, a two-level U-Net of width 32 (1000 steps of 64 per class), 500 translated test
    /// images per direction (the first 200 mapped back for the cycle) against exact OT on 1000 + 1000, DDIB with 10 DDIM steps per half
    /// (linspace, as the paper) and 20 Heun steps per half at Karras et al.'s σ's, SDEdit and EGSDE with 25 DDPM steps from M = T/2, an image MUNIT (2000 steps of 4, ≈ 3 minutes);
    /// 7 ↔ 9 only.
    public static func quick(seeds: [UInt64] = [0]) throws -> ImagePlan {
        let image = ImageShape(channels: 1, height: 16, width: 16)
        var training = TrainingConfig(steps: 1000, batchSize: 64, seed: 0)
        training.optimizer.learningRate = 1e-3
        training.optimizer.warmupSteps = 100
        training.ema = EMAConfig(decay: 0.999, warmup: true)
        training.logEvery = 25
        return ImagePlan(seeds: seeds, pairs: [[7, 9]], pooling: 2, pad: 16, crop: nil,
                         model: .anchorUNet(width: 32, image: image, multipliers: [1, 2], depth: 1),
                         schedule: try .linear(count: 1000), training: training, trainingImages: nil, flipWhereValid: true,
                         heldOutImages: 256, evaluationEvery: 250, translated: 500, cycleImages: 200, transportImages: 1000,
                         ddibSteps: 10, heunSteps: 20, heunSpacing: .karras, editStrength: 0.5, editSteps: 25, methods: ImageMethod.allCases,
                         ssimSigma: 1.5, figureColumns: 12,
                         // `monge classifier fashion`'s network (the last map flattened before the feature
                         // layer) and schedule, on all 60,000 training images: ≥ 90 % test accuracy at
                         // 16 × 16, where global average pooling on 20,000 images reached 81.5 %.
                         classifier: ImageClassifiers.fashionModel(image: image),
                         classifierTraining: ConvClassifierTrainingConfig(epochs: 3, batchSize: 128, adam: AdamConfig(learningRate: 3e-3)),
                         classifierImages: nil,
                         domainClassifier: ConvClassifierConfig(image: image, width: 16, depth: 1, groups: 8, features: 64, classes: 2, timeEmbedding: 32),
                         domainTraining: ConvClassifierTrainingConfig(epochs: 2, batchSize: 128, adam: AdamConfig(learningRate: 2e-3)),
                         domainImages: 3000, lambdaS: paperRealismWeight(image), lambdaI: 2, lowPassFactor: 4,
                         munit: .standard(image: image, quick: true))
    }

    /// The full reproduction: 28 × 28, the bench_unet.py U-Net at width 32, three pairs (hours).
    /// Each class's U-Net trains for 3000 steps of 64 at lr 10⁻³ (≈ 20 minutes on two cores,
    /// 32 epochs of its 6000 images; measured to generalise: held-out loss within 4 % of the
    /// training images'); DDPM's own budget (`--training-steps 20000 --batch 128 --lr 2e-4`)
    /// would take ≈ 4.5 hours per class at the ≈ 160 training images/s measured here (estimated, not run).
    public static func full(seeds: [UInt64] = [0]) throws -> ImagePlan {
        var plan = try quick(seeds: seeds)
        plan.pooling = 1
        plan.pad = nil
        plan.pairs = [[7, 9], [5, 7], [0, 6]]
        let image = ImageShape(channels: 1, height: 28, width: 28)
        plan.model = .anchorUNet(width: 32, image: image, multipliers: [1, 2, 2], depth: 2)
        // The quick plan's classifier at 28 × 28: 92 % test accuracy, where the width-32 network
        // with global pooling reached 88.6 % (5 epochs at lr 2·10⁻³) and the width-16 one 86.3 %.
        plan.classifier = ImageClassifiers.fashionModel(image: image)
        plan.domainClassifier.image = image
        plan.domainTraining.epochs = 5
        plan.domainImages = nil
        plan.lambdaS = paperRealismWeight(image)
        plan.training.steps = 3000
        plan.training.batchSize = 64
        plan.training.ema.decay = 0.9999
        plan.training.logEvery = 100
        plan.training.checkpointEvery = 1000
        plan.evaluationEvery = 1000
        plan.translated = 1000
        plan.cycleImages = nil
        plan.ddibSteps = 50
        plan.heunSteps = 50
        plan.editSteps = 100
        plan.munit = .standard(image: image, quick: false)
        return plan
    }

    /// Throws `MongeError.invalidArgument` naming the first field out of range.
    public func validate() throws {
        func fail(_ name: String, _ message: String) -> MongeError { .invalidArgument(name: name, message: message) }
        guard !seeds.isEmpty else { throw fail("seeds", "need at least one seed") }
        guard !pairs.isEmpty else { throw fail("pairs", "no class pairs to translate") }
        for pair in pairs {
            guard pair.count == 2, pair.allSatisfy({ (0...9).contains($0) }), pair[0] != pair[1] else {
                throw fail("pairs", "\(pair) is not two different Fashion-MNIST class ids 0…9")
            }
        }
        guard pooling >= 1, FashionMNIST.side % pooling == 0 else { throw fail("pooling", "must divide 28, got \(pooling)") }
        if let crop { guard crop >= 1, crop <= FashionMNIST.side / pooling else { throw fail("crop", "must be in 1…\(FashionMNIST.side / pooling), got \(crop)") } }
        guard model.image == imageShape else {
            throw fail("model.image", "the model works on \(model.image.map { "\($0)" } ?? "points") but the plan's images are \(imageShape)")
        }
        try model.validate()
        try training.validate()
        if let trainingImages { guard trainingImages >= 1, trainingImages <= FashionMNIST.Split.train.imagesPerClass else {
            throw fail("training images", "must be in 1…6000, got \(trainingImages)") } }
        let testImages = FashionMNIST.Split.test.imagesPerClass
        guard heldOutImages >= 1, heldOutImages <= testImages else { throw fail("held-out images", "must be in 1…\(testImages), got \(heldOutImages)") }
        guard evaluationEvery >= 1 else { throw fail("evaluation interval", "must be ≥ 1, got \(evaluationEvery)") }
        guard translated >= 2, translated <= transportImages else {
            throw fail("translated", "must be in 2…\(transportImages) (the exact-OT sample), got \(translated)")
        }
        if let cycleImages { guard cycleImages >= 1, cycleImages <= translated else { throw fail("cycle images", "must be in 1…\(translated) (the translated images), got \(cycleImages)") } }
        guard transportImages <= testImages else { throw fail("transport images", "must be ≤ \(testImages) (test images per class), got \(transportImages)") }
        guard ddibSteps >= 1, ddibSteps <= schedule.count else { throw fail("ddib steps", "must be in 1…T = \(schedule.count), got \(ddibSteps)") }
        guard editStrength > 0, editStrength <= 1 else { throw fail("edit strength", "must be in (0, 1], got \(editStrength)") }
        guard editSteps >= 1, editSteps <= editStart + 1 else { throw fail("edit steps", "must be in 1…M + 1 = \(editStart + 1), got \(editSteps)") }
        for method in [ImageMethod.ddibDDIM, .ddibHeun] where methods.contains(method) {
            let (steps, spacing, _) = ddibSolver(method)
            let name = method == .ddibHeun ? "heun" : "ddib"
            guard steps >= 1, steps <= schedule.count else { throw fail("\(name) steps", "must be in 1…T = \(schedule.count), got \(steps)") }
            do { _ = try spacing.timesteps(for: schedule, steps: steps) } catch {
                throw fail("\(name) steps", "\(steps) steps at \(spacing) spacing do not fall on distinct levels of T = \(schedule.count): give fewer (--\(name)-steps) or another --\(name)-spacing")
            }
        }
        guard !methods.isEmpty, Set(methods).count == methods.count else { throw fail("methods", "need distinct methods, got \(methods)") }
        let window = 2 * Int(3.5 * ssimSigma + 0.5) + 1
        guard ssimSigma > 0, window <= imageShape.height else {
            throw fail("ssim sigma", "SSIM's \(window)-pixel window (σ = \(ssimSigma)) must fit in the \(imageShape) images")
        }
        guard figureColumns >= 1 else { throw fail("figure columns", "must be ≥ 1, got \(figureColumns)") }
        if let pad { guard pad >= FashionMNIST.side / pooling else { throw fail("pad", "must be ≥ the pooled side \(FashionMNIST.side / pooling), got \(pad)") } }
        for (name, config) in [("classifier", classifier), ("domain classifier", domainClassifier)] {
            guard config.image == imageShape else {
                throw fail(name, "works on \(config.image) images but the plan's images are \(imageShape)")
            }
            do { try config.validate() } catch let error as MongeError { throw fail(name, error.description) }
        }
        guard classifier.classes == 10, !classifier.isTimeDependent else { throw fail("classifier", "must have 10 classes and no time input") }
        guard domainClassifier.classes == 2, domainClassifier.isTimeDependent else { throw fail("domain classifier", "must have 2 classes and a time embedding") }
        try classifierTraining.validate()
        try domainTraining.validate()
        guard lambdaS.isFinite, lambdaS >= 0, lambdaI.isFinite, lambdaI >= 0 else { throw fail("lambda", "λ_s and λ_i must be finite and ≥ 0") }
        guard lowPassFactor >= 1, imageShape.height % lowPassFactor == 0 else {
            throw fail("low-pass factor", "\(lowPassFactor) must divide the image side \(imageShape.height)")
        }
        if methods.contains(.munit) {
            guard let munit else { throw fail("munit", "the munit method needs MUNIT's settings (plan.munit)") }
            guard munit.model.image == imageShape else {
                throw fail("munit", "the MUNIT works on \(munit.model.image) images but the plan's images are \(imageShape)")
            }
            do {
                try munit.model.validate()
                try munit.training.validate()
            } catch let error as MongeError { throw fail("munit", error.description) }
            guard munit.training.steps >= 1 else { throw fail("munit", "needs at least 1 training step, got \(munit.training.steps)") }
        }
    }
}

/// One direction of a pair: translate test images of `source` to class `target`.
public struct ImageDirection: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var source: Int
    public var target: Int

    public init(source: Int, target: Int) {
        self.source = source
        self.target = target
    }

    public var description: String { "\(FashionMNIST.classNames[source]) → \(FashionMNIST.classNames[target])" }
    /// A file-name form, e.g. "7__9".
    public var stem: String { "\(source)__\(target)" }
}
