import ArgumentParser
import Foundation
import MongeData
import MongeExperiments

/// The options only `reproduce ddib-images` takes (overrides of the quick or full plan; the
/// tests use them to run the whole pipeline on tiny images in seconds).
struct ImageReproductionOptions: ParsableArguments {
    @Option(name: .customLong("transport-images"), help: "ddib-images: test images per class in the exact OT of W2²(A, B). [1000]")
    var transportImages: Int?
    @Option(help: "ddib-images: centre-crop the (pooled, padded) images to this side. [none]") var crop: Int?
    @Option(help: "ddib-images: pad the pooled images with the background to this side. [16 quick, none full]") var pad: Int?
    @Option(name: .customLong("classifier-images"), help: "ddib-images: train images (all classes) of the 10-class classifier. [all 60000]")
    var classifierImages: Int?
    @Option(name: .customLong("domain-images"), help: "ddib-images: train images per class of EGSDE's domain classifier. [3000 quick, all full]")
    var domainImages: Int?
    @Option(name: .customLong("lambda-s"), help: "ddib-images: EGSDE's realism weight λ_s. [the paper's 500 × √(D / 196,608): 18.0 quick, 31.6 full]") var lambdaS: Double?
    @Option(name: .customLong("lambda-i"), help: "ddib-images: EGSDE's faithfulness weight λ_i. [2]") var lambdaI: Double?
    @Option(name: .customLong("low-pass"), help: "ddib-images: EGSDE's low-pass filter factor (average-pool down, up again). [4]") var lowPass: Int?
    @Option(help: "ddib-images: average-pool the 28 × 28 images by this factor (1, 2, 4, 7). [2 quick, 1 full]") var pooling: Int?
    @Option(help: "ddib-images: U-Net width. [32]") var width: Int?
    @Option(name: .customLong("T"), help: "ddib-images: diffusion timesteps T. [1000]") var timesteps: Int?
    @Option(name: .customLong("batch"), help: "ddib-images: training batch. [64]") var batch: Int?
    @Option(name: .customLong("lr"), help: "ddib-images: the U-Nets' Adam learning rate. [1e-3]") var learningRate: Double?
    @Option(name: .customLong("ema"), help: "ddib-images: the U-Nets' EMA decay (with the warm-up rule). [0.999 quick, 0.9999 full]") var emaDecay: Double?
    @Option(name: .customLong("ddib-steps"), help: "ddib-images: ODE steps of each DDIB half with DDIM. [10 quick, 50 full]") var ddibSteps: Int?
    @Option(name: .customLong("ddib-spacing"), help: "ddib-images: how DDIM's steps are placed: linspace, leading, trailing or karras. [linspace]")
    var ddibSpacing: SpacingName?
    @Option(name: .customLong("heun-steps"), help: "ddib-images: ODE steps of each DDIB half with Heun. [20 quick, 50 full]") var heunSteps: Int?
    @Option(name: .customLong("heun-spacing"), help: "ddib-images: how Heun's steps are placed (as --ddib-spacing). [karras]")
    var heunSpacing: SpacingName?
    @Option(name: .customLong("cycle-images"), help: "ddib-images: the first this many translated images are mapped back for the cycle columns. [200 quick, all full]")
    var cycleImages: Int?
    @Option(name: .customLong("edit-steps"), help: "ddib-images: SDEdit's and EGSDE's DDPM steps from M = T/2. [25 quick, 100 full]") var editSteps: Int?
    @Option(name: .customLong("held-out"), help: "ddib-images: test images per class of the held-out loss. [256]") var heldOut: Int?
    @Option(name: .customLong("training-images"), help: "ddib-images: train-split images per class (a seeded subset). [all 6000]") var trainingImages: Int?
    @Option(name: .customLong("training-seed"),
            help: "ddib-images: seed of the class U-Nets' training (initialisation, batches, noise); a seed S ≠ 0 trains them in models/class-<c>-training-seed-S, so models of several seeds can share a folder (give each seed its own --out for its results). [0]")
    var trainingSeed: UInt64?

    /// The options given, by their flag (to refuse them for the other experiments).
    var given: [String] {
        let integers: [(String, Int?)] = [
            ("--transport-images", transportImages), ("--crop", crop), ("--pooling", pooling), ("--width", width), ("--T", timesteps),
            ("--batch", batch), ("--ddib-steps", ddibSteps), ("--heun-steps", heunSteps), ("--cycle-images", cycleImages), ("--edit-steps", editSteps), ("--held-out", heldOut),
            ("--training-images", trainingImages), ("--pad", pad), ("--classifier-images", classifierImages),
            ("--domain-images", domainImages), ("--low-pass", lowPass),
        ]
        let numbers: [(String, Double?)] = [("--lambda-s", lambdaS), ("--lambda-i", lambdaI), ("--lr", learningRate), ("--ema", emaDecay)]
        return integers.filter { $0.1 != nil }.map(\.0) + numbers.filter { $0.1 != nil }.map(\.0) + (trainingSeed == nil ? [] : ["--training-seed"])
            + [("--ddib-spacing", ddibSpacing), ("--heun-spacing", heunSpacing)].filter { $0.1 != nil }.map(\.0)
    }
}

extension ReproduceCommand {
    func validateImages() throws {
        if trainingPoints != nil || oracleCells != nil {
            throw ValidationError("--training-points and --oracle-cells are for ddib-2d and ddib-digits")
        }
        if seeds != nil && seed != nil { throw ValidationError("give --seed or --seeds, not both") }
        try Check.range(n, "--n", 2...FashionMNIST.Split.test.imagesPerClass)
        try Check.range(trainingSteps, "--training-steps", 1...Int.max)
        try Check.range(images.transportImages, "--transport-images", 2...FashionMNIST.Split.test.imagesPerClass)
        try Check.range(images.width, "--width", 1...Check.maximumWidth)
        try Check.range(images.timesteps, "--T", 2...Check.maximumTimesteps)
        try Check.range(images.batch, "--batch", 1...Int.max)
        try Check.range(images.ddibSteps, "--ddib-steps", 1...Check.maximumTimesteps)
        try Check.range(images.heunSteps, "--heun-steps", 1...Check.maximumTimesteps)
        try Check.range(images.cycleImages, "--cycle-images", 1...FashionMNIST.Split.test.imagesPerClass)
        try Check.range(images.editSteps, "--edit-steps", 1...Check.maximumTimesteps)
        try Check.range(images.heldOut, "--held-out", 1...FashionMNIST.Split.test.imagesPerClass)
        try Check.range(images.trainingImages, "--training-images", 1...FashionMNIST.Split.train.imagesPerClass)
        try Check.range(images.classifierImages, "--classifier-images", 2...60_000)
        try Check.range(images.domainImages, "--domain-images", 1...FashionMNIST.Split.train.imagesPerClass)
        try Check.nonNegative(images.lambdaS, "--lambda-s")
        try Check.nonNegative(images.lambdaI, "--lambda-i")
        try Check.positive(images.learningRate, "--lr")
        if let ema = images.emaDecay, !(ema >= 0 && ema < 1) { throw ValidationError("--ema must be in [0, 1), got \(ema)") }
        try Check.range(images.lowPass, "--low-pass", 1...28)
        try Check.range(images.pad, "--pad", 1...1024)
        if let pooling = images.pooling, ![1, 2, 4, 7].contains(pooling) { throw ValidationError("--pooling must divide 28 (1, 2, 4 or 7), got \(pooling)") }
        try Check.validation { try makeImagePlan().validate() }
    }

    /// The quick or full plan with the overrides given.
    func makeImagePlan() throws -> ImagePlan {
        let seedList = seeds?.seeds ?? [seed ?? 0]
        var plan = quick ? try ImagePlan.quick(seeds: seedList) : try ImagePlan.full(seeds: seedList)
        if let pairs {
            plan.pairs = try pairs.split(separator: ",").map { item in
                let parts = item.split(separator: ":", omittingEmptySubsequences: false)
                let ids = try parts.map { try FashionMNIST.parseClass(String($0)) }
                guard ids.count == 2 else { throw ValidationError("--pairs: expected A:B class ids or names, e.g. 7:9 or sneaker:ankle-boot, got '\(item)'") }
                return ids
            }
        }
        if let pooling = images.pooling { plan.pooling = pooling }
        plan.crop = images.crop
        if let pad = images.pad { plan.pad = pad }
        if let c = images.classifierImages { plan.classifierImages = c }
        if let d = images.domainImages { plan.domainImages = d }
        if let l = images.lambdaS { plan.lambdaS = l }  // else λ_s follows the image size (below)
        if let l = images.lambdaI { plan.lambdaI = l }
        if let f = images.lowPass { plan.lowPassFactor = f }
        if let n { plan.translated = n }
        // The cycle's images: as given, else the plan's (200 in quick) capped at the translated ones.
        plan.cycleImages = images.cycleImages ?? plan.cycleImages.map { min($0, plan.translated) }
        if let t = images.transportImages { plan.transportImages = t }
        if n != nil && images.transportImages == nil { plan.transportImages = max(plan.transportImages, plan.translated) }
        if let trainingSteps { plan.training.steps = trainingSteps }
        if let s = images.trainingSeed { plan.training.seed = s }
        if let batch = images.batch { plan.training.batchSize = batch }
        if let rate = images.learningRate { plan.training.optimizer.learningRate = rate }
        if let decay = images.emaDecay { plan.training.ema.decay = decay }
        if let ddibSteps = images.ddibSteps { plan.ddibSteps = ddibSteps }
        if let spacing = images.ddibSpacing { plan.ddibSpacing = spacing }
        if let steps = images.heunSteps { plan.heunSteps = steps }
        if let spacing = images.heunSpacing { plan.heunSpacing = spacing }
        if let editSteps = images.editSteps { plan.editSteps = editSteps }
        if let heldOut = images.heldOut { plan.heldOutImages = heldOut }
        plan.trainingImages = images.trainingImages ?? plan.trainingImages
        if let timesteps = images.timesteps { plan.schedule = try .linear(count: timesteps) }
        if let cells { (plan.methods, plan.munit) = try Self.parseImageMethods(cells, munit: plan.munit) }
        // The model follows the image size: one level per halving the side allows (at most the plan's).
        let shape = plan.imageShape
        var multipliers = plan.model.channelMultipliers ?? [1]
        while multipliers.count > 1 && (shape.height % (1 << (multipliers.count - 1)) != 0 || shape.height >> (multipliers.count - 1) < 4) {
            multipliers.removeLast()
        }
        plan.model = .anchorUNet(width: images.width ?? plan.model.width, image: shape, multipliers: multipliers, depth: plan.model.depth)
        plan.model.groups = min(8, plan.model.width)
        plan.classifier.image = shape
        plan.domainClassifier.image = shape
        plan.munit?.model.image = shape
        if images.lambdaS == nil { plan.lambdaS = ImagePlan.paperRealismWeight(shape) }
        // The largest standard SSIM window that fits the images.
        plan.ssimSigma = [1.5, 1.0, 0.8, 0.5].first { 2 * Int(3.5 * $0 + 0.5) + 1 <= shape.height } ?? 0.5
        plan.evaluationEvery = min(plan.evaluationEvery, max(plan.training.logEvery, plan.training.steps / 4 / plan.training.logEvery * plan.training.logEvery))
        return plan
    }

    /// The methods of `--cells` for ddib-images (e.g. munit,exact_ot or munit:500): the plan's
    /// MUNIT settings with `munit:STEPS`'s training steps, nil without munit.
    static func parseImageMethods(_ text: String, munit: ImageMUNITCell?) throws -> ([ImageMethod], ImageMUNITCell?) {
        var methods: [ImageMethod] = [], munit = munit
        for item in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            if item.hasPrefix("munit:") {
                guard let steps = Int(item.dropFirst(6)), steps >= 1 else {
                    throw ValidationError("--cells: expected munit or munit:STEPS (MUNIT's training steps, ≥ 1), got '\(item)'")
                }
                munit?.training.steps = steps
                methods.append(.munit)
            } else if let method = ImageMethod(rawValue: item) {
                methods.append(method)
            } else {
                throw ValidationError("--cells: unknown ddib-images method '\(item)'; available: \(ImageMethod.allCases.map(\.rawValue).joined(separator: ", ")) (and munit:STEPS)")
            }
        }
        guard Set(methods).count == methods.count else { throw ValidationError("--cells: a method is given twice in '\(text)'") }
        return (methods, methods.contains(.munit) ? munit : nil)
    }

    /// `monge reproduce ddib-images`.
    func runImages() throws {
        let out = self.out ?? "runs/ddib-images"
        let plan = try makeImagePlan()
        let start = Date()
        let load = ProcessInfo.processInfo.loadAverage
        try runGrid(ImageReproduction.self, plans: [plan], out: out, seeded: false)
        if shard != nil { return }
        let seconds = Date().timeIntervalSince(start)
        FileHandle.standardError.write(Data(String(format: "reproduce: wrote %@/results.{csv,md,json}, figures/, maps/ and manifest.json in %.0f s (load average %@ at the start, %@ at the end)\n",
                                                   out, seconds, load, ProcessInfo.processInfo.loadAverage).utf8))
    }
}

extension ProcessInfo {
    /// The 1-minute load average as text ("?" when /proc/loadavg cannot be read).
    var loadAverage: String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)).flatMap { $0.split(separator: " ").first.map(String.init) } ?? "?"
    }
}
