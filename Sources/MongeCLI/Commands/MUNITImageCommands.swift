import ArgumentParser
import Foundation
import MongeBridges
import MongeCore
import MongeData
import MongeDiffusion
import MongeExperiments
import MongeNN
import MongePlot

/// Which MUNIT `monge munit train` builds.
enum MUNITArchitecture: String, ExpressibleByArgument, CaseIterable {
    case auto, points, image
}

/// The side H of rows of H×H values (H ≥ 4), nil otherwise.
private func squareSide(_ columns: Int) -> Int? {
    let side = Int(Double(columns).squareRoot().rounded())
    return side >= 4 && side * side == columns ? side : nil
}

/// Pools rows of `from`-shaped single-channel images to `shape` when they are larger by a whole factor.
private func pooled(_ images: Matrix<Float>, to shape: ImageShape, what: String) throws -> Matrix<Float> {
    if images.columns == shape.dimension { return images }
    guard shape.channels == 1, let side = squareSide(images.columns), side % shape.height == 0, side / shape.height > 1, shape.height == shape.width else {
        throw MongeError.shapeMismatch("\(what) has \(images.columns) values per row; the image MUNIT takes \(shape) images = \(shape.dimension) values (or larger square images it can average-pool to that size)")
    }
    return try LowPassFilter(image: ImageShape(channels: 1, height: side, width: side), factor: side / shape.height).pool(images)
}

// MARK: train

extension MUNITTrainCommand {
    func validateImageOptions() throws {
        guard [1, 2, 4].contains(pool) else { throw ValidationError("--pool must be 1, 2 or 4, got \(pool)") }
        guard (1...256).contains(channels) else { throw ValidationError("--channels must be 1…256, got \(channels)") }
        guard (1...16).contains(residualBlocks) else { throw ValidationError("--residual-blocks must be 1…16, got \(residualBlocks)") }
        guard (0...3).contains(downsamplings) else { throw ValidationError("--downsamplings must be 0…3, got \(downsamplings)") }
    }

    /// Whether these data train the image MUNIT: --arch, or for auto, rows of H×H values with H ≥ 4.
    func usesImageModel(_ a: Matrix<Float>, _ b: Matrix<Float>) throws -> Bool {
        switch arch {
        case .points: return false
        case .image:
            for (name, m) in [("A", a), ("B", b)] where squareSide(m.columns) == nil {
                throw MongeError.shapeMismatch("--arch image: domain \(name) has \(m.columns) values per row, not a square single-channel image of at least 4×4 (2-D points train with --arch points)")
            }
            return true
        case .auto:
            // Image sets, or rows of at least 8×8 values (fewer are more likely points).
            return (ImageSets.isSpec(self.a) && ImageSets.isSpec(self.b))
                || ((squareSide(a.columns) ?? 0) >= 8 && (squareSide(b.columns) ?? 0) >= 8)
        }
    }

    /// Trains the image MUNIT on images pooled by --pool; writes the folder as the 2-D path does.
    func runImage(a rawA: Matrix<Float>, sourceA: String, b rawB: Matrix<Float>, sourceB: String) throws {
        guard rawA.columns == rawB.columns, let side = squareSide(rawA.columns) else {
            throw MongeError.shapeMismatch("A has \(rawA.columns) values per row and B \(rawB.columns): both domains need square images of one size")
        }
        guard side % pool == 0 else { throw MongeError.invalidArgument(name: "--pool", message: "\(pool) does not divide the image side \(side)") }
        let filter = try LowPassFilter(image: ImageShape(channels: 1, height: side, width: side), factor: pool)
        let (imagesA, imagesB) = pool > 1 ? (filter.pool(rawA), filter.pool(rawB)) : (rawA, rawB)
        let shape = filter.pooled
        let weights = MUNITLossWeights(adversarial: 1, image: imageWeight, content: contentWeight, style: styleWeight, cycle: cycleWeight)
        let model = ImageMUNITConfig(image: shape, channels: channels, downsamplings: downsamplings, residualBlocks: residualBlocks,
                                     mlpWidth: width, discriminatorChannels: discriminatorWidth, weights: weights)
        let munit: ImageMUNIT<Float>
        do { munit = try ImageMUNIT<Float>(config: model) } catch let error as MongeError {
            throw MongeError.invalidArgument(name: "image MUNIT", message: "\(error.description) (from --pool \(pool), --downsamplings \(downsamplings), --cycle-weight)")
        }
        let adam = AdamConfig(learningRate: lr, beta1: 0.5, beta2: 0.999)
        let batch = self.batch ?? 8
        let training = MUNITTrainingConfig(steps: steps, batchSize: batch, seed: seed, generatorAdam: adam, discriminatorAdam: adam)
        let poolNote = pool > 1 ? " pooled ×\(pool)" : ""
        var manifest = RunManifest.begin(command: "monge munit train", seed: seed,
                                         parameters: ["a": .string(sourceA), "b": .string(sourceB), "arch": .string("image"), "pool": .integer(pool)])
        let progress = TrainingProgress(totalSteps: steps, quiet: quiet, label: "munit")
        progress.note("munit: image MUNIT on \(shape) images, \(munit.generatorLayout.count) generator and \(munit.discriminatorLayout.count) "
                      + "discriminator parameters, \(imagesA.rows) + \(imagesB.rows) images, batch \(batch)")
        let started = Date(), clock0 = clock()
        let run = try ImageMUNITTraining.train(a: imagesA, b: imagesB, model: model, training: training, progress: progress)
        let seconds = Date().timeIntervalSince(started)
        let cpuSeconds = Double(clock() - clock0) / Double(CLOCKS_PER_SEC)
        let config = ImageMUNITCheckpoint.Config(model: model, training: training, domainA: .init(source: sourceA + poolNote, data: imagesA),
                                                 domainB: .init(source: sourceB + poolNote, data: imagesB))
        try ImageMUNITCheckpoint.write(run, config: config, logEvery: logEvery, to: out)
        let tail = run.records.suffix(100)
        func mean(_ f: (MUNITStepRecord) -> Double) -> Double { tail.map(f).reduce(0, +) / Double(max(tail.count, 1)) }
        let weightsPath = URL(fileURLWithPath: out).appendingPathComponent(MUNITCheckpoint.weightsFile).path
        manifest.finish(outputs: [MUNITCheckpoint.weightsFile, MUNITCheckpoint.configFile, MUNITCheckpoint.lossFile],
                        results: ["steps": .integer(steps), "training_seconds": .number(seconds), "cpu_seconds": .number(cpuSeconds),
                                  "generator_loss_last100": .number(mean { $0.generator.total }),
                                  "image_l1_last100": .number(mean { ($0.generator.image[0] + $0.generator.image[1]) / 2 }),
                                  "discriminator_loss_last100": .number(mean(\.discriminator))])
        try manifest.write(beside: weightsPath)
        print(String(format: "munit: image MUNIT %@, %d steps in %.1f s (%.1f s CPU); generator loss (last 100) %.4f, image L1 %.4f, discriminator %.4f; saved in %@",
                     shape.description, steps, seconds, cpuSeconds, mean { $0.generator.total },
                     mean { ($0.generator.image[0] + $0.generator.image[1]) / 2 }, mean(\.discriminator), out))
    }
}

// MARK: translate

extension MUNITTranslateCommand {
    /// Translates images (pooled to the model's size when larger) with sampled or given styles.
    func runImage() throws {
        let (_, munit, generator, _) = try ImageMUNITCheckpoint.read(from: model)
        let (raw, _) = try loadPoints(input, dataPoints: dataPoints, dataSeed: dataSeed)
        let x = try pooled(raw, to: munit.config.image, what: input)
        let n = x.rows, k = styles, s = munit.config.style
        let from: MUNITDomain = direction == .ab ? .a : .b
        let mapped: Matrix<Float>
        if style == "sampled" {
            let all = ImageMUNITMetrics.translations(model: munit, generator: generator, from: from, x, styles: k, seed: seed)
            mapped = all
        } else {
            let fixed = try fixedStyle()
            guard fixed.count == s else {
                throw MongeError.invalidArgument(name: "--style", message: "the model's style code has \(s) numbers, got \(fixed.count)")
            }
            mapped = munit.translate(from: from, x, style: Matrix(rows: n, columns: s) { _, j in fixed[j] }, generator: generator)
        }
        try mapped.checkFinite("translated images")
        try ArrayFile.write(mapped, to: out)
        print("munit: translated \(n) \(munit.config.image) images × \(k) style\(k == 1 ? "" : "s") (\(direction.rawValue)) into \(out)")
    }
}

// MARK: evaluate

extension MUNITEvaluateCommand {
    /// The test-split spec of a training domain's Fashion-MNIST source description.
    static func testSpec(_ description: TrainingCheckpoint.DataDescription, domain: String) throws -> String {
        let spec = description.source.split(separator: " ").first.map(String.init) ?? ""
        guard FashionMNIST.isSpec(spec) else {
            throw MongeError.invalidArgument(name: "--\(domain == "A" ? "source" : "target")",
                                             message: "domain \(domain) was trained on \(description.source); give its held-out images")
        }
        var parsed = try FashionMNIST.Spec(parsing: spec)
        parsed.split = .test
        parsed.count = nil
        return parsed.text
    }

    func runImage() throws {
        let (config, munit, generator, _) = try ImageMUNITCheckpoint.read(from: model)
        guard let classifierFolder = classifier else {
            throw MongeError.invalidArgument(name: "--classifier", message: "an image MUNIT is evaluated under a 10-class conv classifier: give a `monge classifier fashion` folder")
        }
        let (trained, _) = try ConvClassifierCheckpoint.read(from: classifierFolder)
        let sourceSpec = try source ?? Self.testSpec(config.domainA, domain: "A")
        let targetSpec = try target ?? Self.testSpec(config.domainB, domain: "B")
        let shape = munit.config.image
        let (rawSource, _) = try loadPoints(sourceSpec, dataPoints: n, dataSeed: dataSeed)
        let (rawTarget, _) = try loadPoints(targetSpec, dataPoints: n, dataSeed: dataSeed)
        let x = try pooled(rawSource, to: shape, what: sourceSpec), y = try pooled(rawTarget, to: shape, what: targetSpec)
        func onlyClass(_ spec: String, _ flag: String) throws -> Int? {
            guard FashionMNIST.isSpec(spec) else { return nil }
            let classes = try FashionMNIST.Spec(parsing: spec).classes
            return classes.count == 1 ? classes[0] : nil
        }
        guard let targetClass = try targetClassOption ?? onlyClass(targetSpec, "--target") else {
            throw MongeError.invalidArgument(name: "--target-class", message: "\(targetSpec) is not one Fashion-MNIST class; give the class the translations should have")
        }
        let (result, grid) = try ImageMUNITMetrics.measure(model: munit, generator: generator, source: x.rows(0..<min(n, x.rows)), target: y,
                                                           classifier: trained, targetClass: targetClass, sourceClass: try onlyClass(sourceSpec, "--source"),
                                                           styles: styles, diversityInputs: 100, gridInputs: 8, seed: seed)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(result) + Data("\n".utf8), to: out)
        if let figure {
            try ImageGridFigure(images: grid.converted(to: Double.self), imageWidth: shape.width, imageHeight: shape.height, columns: styles + 1,
                                title: FigureTitle("MUNIT \(sourceSpec) → class \(targetClass): source | \(styles) sampled styles"))
                .render(to: figure)
        }
        print(String(format: "munit %@: target-class accuracy %.3f (sources as their class %@); Fréchet %.2f (floor %.2f); L2 %.3f, PSNR %.2f dB, SSIM %.3f; diversity over %d styles %.3f (target images' pairwise L2 %.3f); recon L1 %.4f",
                     model, result.targetAccuracy, result.sourceAccuracy.map { String(format: "%.3f", $0) } ?? "–", result.frechet,
                     result.frechetFloor, result.l2, result.psnr, result.ssim, result.styles, result.diversity, result.targetPairwiseL2,
                     result.reconstructionL1))
    }
}
