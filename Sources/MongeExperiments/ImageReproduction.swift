import Foundation
import MongeBridges
import MongeData
import MongeEvaluation
import MongeNN
import MongePlot


/// `monge reproduce ddib-images`: per-class U-Nets trained (or reused) on Fashion-MNIST's train
/// split, held-out test images translated both ways across each pair by every method of the plan,
/// and each map measured (`ImageMapMetrics`) against the exact OT between test images of the two
/// classes — a `GridExperiment` of class models and directions × seeds × methods, run whole or in
/// shards by `ExperimentGrid`.
///
/// Layout of `folder`: plan.json, results.{csv,md,json}, manifest.json (every file below with its
/// digest), models/class-<c>/ (the checkpoints, loss.csv with the held-out loss), models/munit/<a>__<b>/seed_<s>/
/// (the MUNIT method's image MUNIT of a pair and seed; maps/<a>__<b>/munit/seed_<s>/metrics.json its diversity),
/// maps/<a>__<b>/<method>.npy and <method>_cycled.npy (T(x) and T_BA(T_AB(x)) of the first seed), figures/translations_<a>__<b>.png
/// (source | each method | exact-OT target), figures/cycles_<a>__<b>.png, figures/loss_<c>.png.
public struct ImageReproduction: GridExperiment {
    public static let experimentName = "ddib-images"
    /// The plan's seeds are an axis of its own units (the table's seed column); its first names it.
    public static func seed(of plan: ImagePlan) -> UInt64 { plan.seeds[0] }

    public let plan: ImagePlan
    public let folder: String
    public let log: @Sendable (String) -> Void
    public var showTrainingProgress = true
    /// What this process loaded, trained or computed once for several units (data, models, contexts).
    let cache = UnitCache()
    private let targetFeatures = TargetFeatureCache()

    public init(plan: ImagePlan, folder: String, log: @escaping @Sendable (String) -> Void) throws {
        try plan.validate()
        self.plan = plan
        self.folder = folder
        self.log = log
    }

    public struct Summary {
        public let results: ResultsTable
        public let files: [String]
        /// The 10-class classifier's accuracy on the whole test split (at the plan's image size).
        public let classifierAccuracy: Double
        /// The domain classifiers' accuracy on clean held-out test images, per pair ("7-9").
        public let domainAccuracy: [String: Double]
    }

    /// The images of `classes` of `split` at the plan's size ([n, H·W] in [−1, 1]).
    public func images(_ data: FashionMNIST, classes: [Int], count: Int?, seed: UInt64) throws -> Matrix<Float> {
        try resize(try data.images(ofClasses: classes, count: count, seed: seed))
    }

    /// 28 × 28 rows average-pooled, padded with the background and cropped to the plan's shape.
    public func resize(_ images: Matrix<Float>) throws -> Matrix<Float> {
        var x = images, shape = ImageShape(channels: 1, height: FashionMNIST.side, width: FashionMNIST.side)
        if plan.pooling > 1 {
            let filter = try LowPassFilter(image: shape, factor: plan.pooling)
            (x, shape) = (filter.pool(x), filter.pooled)
        }
        if let pad = plan.pad, pad > shape.height { (x, shape) = try ImageTransforms.padded(x, shape: shape, size: pad, value: -1) }
        if let crop = plan.crop { (x, shape) = try ImageTransforms.centreCropped(x, shape: shape, size: crop) }
        return x
    }

    /// A description of the resizing, for data sources.
    var resizing: String {
        ["pooled ×\(plan.pooling)", plan.pad.map { "padded to \($0)" }, plan.crop.map { "cropped to \($0)" }].compactMap { $0 }.joined(separator: ", ")
    }

    /// The 10-class classifier in models/classifier: reused when it was trained with the plan's
    /// settings on the same images, else trained on the train split and its test accuracy recorded.
    public func fashionClassifier(train: FashionMNIST, test: FashionMNIST) throws -> (classifier: TrainedConvClassifier, accuracy: Double) {
        let modelFolder = folder + "/models/classifier"
        let rows = try train.rows(ofClasses: Array(0...9), count: plan.classifierImages, seed: plan.classifierTraining.seed)
        let images = try resize(train.images.rows(at: rows)), labels = rows.map { train.labels[$0] }
        var config = ConvClassifierCheckpoint.Config(
            model: plan.classifier, schedule: nil, training: plan.classifierTraining,
            data: [.init(source: "fashion-mnist train, \(images.rows) images, \(resizing)", data: images)], classNames: FashionMNIST.classNames)
        if ConvClassifierCheckpoint.holdsConvClassifier(modelFolder),
           let (stored, storedConfig) = try? ConvClassifierCheckpoint.read(from: modelFolder), storedConfig.describesSameTraining(as: config),
           let accuracy = storedConfig.heldOutAccuracy {
            log(String(format: "classifier: reusing %@ (test accuracy %.4f)", modelFolder, accuracy))
            return (stored, accuracy)
        }
        let steps = plan.classifierTraining.steps(images: images.rows)
        log("[classifier] 10 classes, \(images.rows) train images \(plan.imageShape), \(plan.classifierTraining.epochs) epochs (\(steps) steps of \(plan.classifierTraining.batchSize))")
        let run = try ConvClassifierTraining.train(images: images, labels: labels, model: plan.classifier, schedule: nil,
                                                   training: plan.classifierTraining,
                                                   progress: TrainingProgress(totalSteps: steps, quiet: !showTrainingProgress, label: "classifier"))
        let testImages = try resize(test.images)
        let accuracy = try run.classifier.accuracy(testImages, labels: test.labels)
        config.heldOutAccuracy = accuracy
        config.heldOutData = "fashion-mnist test (\(testImages.rows) images), \(resizing)"
        try ConvClassifierCheckpoint.write(run.classifier, config: config, losses: run.losses, to: modelFolder)
        log(String(format: "  classifier test accuracy %.4f (%d images)", accuracy, testImages.rows))
        return (run.classifier, accuracy)
    }

    /// EGSDE's time-dependent domain classifier of pair [a, b] (a = 0, b = 1) in models/domain-<a>-<b>,
    /// trained on noisy train images of both classes under the ε-models' schedule, or reused.
    public func domainClassifier(_ pair: [Int], train: FashionMNIST, test: FashionMNIST) throws -> (classifier: TimeConvClassifier<Float>, accuracy: Double) {
        let (a, b) = (pair[0], pair[1])
        let modelFolder = "\(folder)/models/domain-\(a)-\(b)"
        let seed = plan.domainTraining.seed
        let imagesA = try images(train, classes: [a], count: plan.domainImages, seed: seed)
        let imagesB = try images(train, classes: [b], count: plan.domainImages, seed: seed)
        let heldA = try images(test, classes: [a], count: 200, seed: seed &+ 3), heldB = try images(test, classes: [b], count: 200, seed: seed &+ 3)
        let steps = plan.domainTraining.steps(images: imagesA.rows + imagesB.rows)
        log("[domain classifier] \(FashionMNIST.classNames[a]) vs \(FashionMNIST.classNames[b]): \(imagesA.rows) + \(imagesB.rows) noisy train images, \(steps) steps")
        let result = try ImageClassifiers.trainOrLoadDomain(
            folder: modelFolder, a: imagesA, sourceA: "fashion-mnist train class \(a), \(resizing)", b: imagesB,
            sourceB: "fashion-mnist train class \(b), \(resizing)", model: plan.domainClassifier, schedule: plan.schedule,
            training: plan.domainTraining, heldOutA: heldA, heldOutB: heldB,
            progress: TrainingProgress(totalSteps: steps, quiet: !showTrainingProgress, label: "domain \(a)-\(b)"))
        let accuracy = result.config.heldOutAccuracy ?? .nan
        log(String(format: "  domain classifier %@: clean held-out accuracy %.4f", result.trained ? "trained" : "reused", accuracy))
        return (result.classifier, accuracy)
    }

    /// Trains (or reuses) class `c`'s model in models/class-<c>, under a claim so that shards
    /// sharing the folder never train it twice at once; returns it and its loss record.
    func model(_ c: Int) throws -> (model: NetworkDenoiser, losses: [StepRecord]) {
        try cache.value("model-\(c)") { () throws -> (model: NetworkDenoiser, losses: [StepRecord]) in
            let modelFolder = classModelFolder(c)
            return try FolderClaim.holding(modelFolder, waiting: { holder in log("  waiting for \(holder) to finish training \(modelFolder)") }) {
                try trainModel(c)
            }
        }
    }

    /// Class `c`'s U-Net folder: models/class-<c> for training seed 0, models/class-<c>-training-seed-<S>
    /// for another seed S (so that no seed's run replaces another's model).
    func classModelFolder(_ c: Int) -> String {
        "\(folder)/models/class-\(c)" + (plan.training.seed == 0 ? "" : "-training-seed-\(plan.training.seed)")
    }

    /// The training seed of class `c`'s U-Net under the plan's seed S: S·1,000,003 + c, which is
    /// c for S = 0 (the seeds every earlier run used) and keeps different (S, c) apart.
    static func trainingSeed(_ s: UInt64, class c: Int) -> UInt64 { s &* 1_000_003 &+ UInt64(c) }

    func trainModel(_ c: Int) throws -> (model: NetworkDenoiser, losses: [StepRecord]) {
        let (train, test) = try data()
        let k = plan.classes.firstIndex(of: c) ?? 0
        let data = try images(train, classes: [c], count: plan.trainingImages, seed: plan.seeds[0])
        let heldOut = try images(test, classes: [c], count: plan.heldOutImages, seed: plan.seeds[0] &+ 1)
        var training = plan.training
        training.seed = Self.trainingSeed(plan.training.seed, class: c)
        training.horizontalFlip = plan.flipWhereValid && FashionMNIST.flipIsValid(class: c) ? true : nil
        let size = plan.crop.map { "crop \($0)" } ?? ""
        let source = "data:fashion:\(c):split=train pooled \(plan.pooling) \(size)".trimmingCharacters(in: .whitespaces)
        let config = TrainingCheckpoint.Config(
            model: plan.model, schedule: plan.schedule, training: training, data: .init(source: source, data: data),
            evaluation: .init(heldOut: .init(source: "data:fashion:\(c):split=test:n=\(plan.heldOutImages)", data: heldOut),
                              seed: training.seed, every: plan.evaluationEvery))
        let modelFolder = classModelFolder(c)
        log("[train \(k + 1)/\(plan.classes.count)] \(FashionMNIST.classNames[c]) (\(c)): \(data.rows) images \(plan.imageShape), "
            + "\(training.steps) steps of \(training.batchSize), U-Net width \(plan.model.width), flips \(training.flipsImages ? "on" : "off (the class faces one way)")")
        let trained = try TrainingRun.trainedModel(
            folder: modelFolder, data: data, config: config, heldOut: heldOut,
            progress: TrainingProgress(totalSteps: training.steps, quiet: !showTrainingProgress, label: FashionMNIST.classNames[c]), log: log)
        if trained.reused { log("  reusing the sealed checkpoint of the same config in \(modelFolder)") }
        let losses = try TrainingCheckpoint.read(from: modelFolder).losses ?? []
        if let last = losses.last(where: { $0.heldOutLoss != nil }), let heldOutLoss = last.heldOutLoss, let trainLoss = last.trainingEvalLoss {
            log(String(format: "  step %d: held-out loss %.4f, the same on training images %.4f (ratio %.3f)",
                       last.step, heldOutLoss, trainLoss, heldOutLoss / trainLoss))
        }
        return (trained.denoiser, losses)
    }

    /// Fashion-MNIST's train and test splits, read once per process.
    func data() throws -> (train: FashionMNIST, test: FashionMNIST) {
        try cache.value("data") { (try FashionMNIST.load(split: .train), try FashionMNIST.load(split: .test)) }
    }

    /// The 10-class classifier (trained once per run folder, under a claim) as the realism columns use it.
    func judge() throws -> (judge: FashionJudge, accuracy: Double) {
        try cache.value("classifier") { () throws -> (judge: FashionJudge, accuracy: Double) in
            let (train, test) = try data()
            let modelFolder = folder + "/models/classifier"
            let (classifier, accuracy) = try FolderClaim.holding(modelFolder, waiting: { holder in log("  waiting for \(holder) to finish training \(modelFolder)") }) {
                try fashionClassifier(train: train, test: test)
            }
            return (FashionJudge(classifier: classifier), accuracy)
        }
    }

    /// EGSDE's domain classifier of the unordered pair of `direction` (trained once per run folder, under a claim).
    func domain(_ direction: ImageDirection) throws -> (classifier: TimeConvClassifier<Float>, accuracy: Double) {
        guard let pair = plan.pairs.first(where: { Set($0) == [direction.source, direction.target] }) else {
            throw MongeError.invalidArgument(name: "egsde", message: "no domain classifier for \(direction)")
        }
        return try cache.value("domain-\(pair[0])-\(pair[1])") { () throws -> (classifier: TimeConvClassifier<Float>, accuracy: Double) in
            let (train, test) = try data()
            let modelFolder = "\(folder)/models/domain-\(pair[0])-\(pair[1])"
            return try FolderClaim.holding(modelFolder, waiting: { holder in log("  waiting for \(holder) to finish training \(modelFolder)") }) {
                try domainClassifier(pair, train: train, test: test)
            }
        }
    }

    /// What the cells of one (direction, seed) share.
    struct PairContext {
        let direction: ImageDirection
        /// The translated test images x of the source class (the first `translated` of `sources`).
        let x: Matrix<Float>
        let sources: Matrix<Double>
        let targets: Matrix<Double>
        /// Target-class training images, as many as x: the Fréchet floor's second sample.
        let secondTargets: Matrix<Float>
        let exact: ExactCoupling
    }

    /// The test images a direction translates with a seed (the first `translated` of the exact-OT sample).
    func sources(_ direction: ImageDirection, seed: UInt64) throws -> Matrix<Float> {
        try images(try data().test, classes: [direction.source], count: plan.transportImages, seed: seed)
    }

    /// The context of (direction, seed): the last one is kept, as units of one context run in a row.
    func context(_ direction: ImageDirection, seed: UInt64) throws -> PairContext {
        if case let (key, context)? = cache.last as? (String, PairContext), key == "\(direction.stem)-\(seed)" { return context }
        let (train, test) = try data()
        let sources = try self.sources(direction, seed: seed)
        let targets = try images(test, classes: [direction.target], count: plan.transportImages, seed: seed)
        let exact = try ExactCoupling(sources.converted(), targets.converted())
        log(String(format: "%@ (seed %llu): exact W2²(A, B) = %.3f between %d and %d test images (%@, %.1f s, certified)",
                   direction.description, seed, exact.cost, sources.rows, targets.rows, exact.solver, exact.seconds))
        let context = PairContext(direction: direction, x: sources.rows(0..<plan.translated), sources: sources.converted(),
                                  targets: targets.converted(),
                                  secondTargets: try images(train, classes: [direction.target], count: plan.translated, seed: seed &+ 2),
                                  exact: exact)
        cache.last = ("\(direction.stem)-\(seed)", context)
        return context
    }

    /// One unit: a class's model (trained or reused; its loss figure), or one map (direction ×
    /// method × seed) measured against exact OT.
    public enum Unit: Hashable, Codable, Sendable {
        case model(classLabel: Int)
        case map(direction: ImageDirection, method: ImageMethod, seed: UInt64)
    }

    /// The class models (when a method uses them), then directions × seeds × methods (the order
    /// of the table's rows; MUNIT's model of a pair and seed is trained by the first of its two
    /// directions' units to run, under a claim).
    public var units: [Unit] {
        (plan.methods.contains { $0.usesClassModels } ? plan.classes.map { Unit.model(classLabel: $0) } : [])
            + plan.directions.flatMap { d in plan.seeds.flatMap { s in plan.methods.map { Unit.map(direction: d, method: $0, seed: s) } } }
    }

    public func name(of unit: Unit) -> String {
        switch unit {
        case .model(let c): return "model of \(FashionMNIST.classNames[c]) (\(c))"
        case .map(let direction, let method, let seed): return "seed \(seed) \(direction) \(method.rawValue)"
        }
    }

    /// The table's columns: the keys, the metrics, the seconds of the translation.
    static let columns = ["pair", "cell", "seed"] + ImageMapMetrics.columns + ["seconds"]

    public func run(_ unit: Unit, into output: String, position: (Int, Int)) throws -> GridUnitOutput<Unit> {
        switch unit {
        case .model(let c):
            let losses = try model(c).losses
            guard losses.count >= 2 else { return GridUnitOutput(unit: unit, name: name(of: unit)) }
            let evaluated = losses.filter { $0.heldOutLoss != nil && $0.trainingEvalLoss != nil }
            var curves = [Curve(x: losses.map { Double($0.step) }, y: losses.map(\.loss), label: "batch loss")]
            if evaluated.count >= 1 {
                curves.append(Curve(x: evaluated.map { Double($0.step) }, y: evaluated.map { $0.heldOutLoss! }, label: "held-out test images (fixed t, ε)"))
                curves.append(Curve(x: evaluated.map { Double($0.step) }, y: evaluated.map { $0.trainingEvalLoss! }, label: "training images (same t, ε)"))
            }
            let figure = CurveFigure(curves, title: FigureTitle("\(FashionMNIST.classNames[c]): denoising loss", seed: plan.seeds[0]),
                                     xLabel: "step", yLabel: "mean squared ε error", logY: true)
            return GridUnitOutput(unit: unit, name: name(of: unit), files: try renderUnitFigure(figure, "figures/loss_\(c).png", in: output))
        case .map(let direction, let method, let seed):
            let context = try self.context(direction, seed: seed)
            let (judge, _) = try self.judge()
            let models = method.usesClassModels
                ? try Dictionary(uniqueKeysWithValues: [direction.source, direction.target].map { ($0, try model($0).model) }) : [:]
            let expert = method == .egsde ? try domain(direction).classifier : nil
            let munit = method == .munit ? try self.munit(direction, seed: seed) : nil
            let start = Date()
            let (mapped, cycled) = try translate(context, method: method, seed: seed, models: models, domain: expert, munit: munit)
            let seconds = Date().timeIntervalSince(start)
            let realism: ImageMapMetrics.Realism? = try realismOf(mapped, context: context, judge: judge, cache: targetFeatures, seed: seed)
            let ssim = try StructuralSimilarity(dataRange: ImageMapMetrics.dataRange, sigma: plan.ssimSigma)
            let m = try ImageMapMetrics.measure(source: context.x.converted(), mapped: mapped.converted(), cycled: cycled.converted(),
                                                exactW2Squared: context.exact.cost, shape: plan.imageShape, ssim: ssim, realism: realism)
            log(String(format: "[%d/%d] %@ %@ seed %llu: c(T) %.2f vs W2² %.2f, optimality %.3f, L2 %.2f, PSNR %.1f dB, SSIM %.3f, cycle PSNR %.1f dB%@ (%.1f s)",
                       position.0, position.1, direction.description, method.rawValue, seed, m.transportCost, m.exactW2Squared, m.optimalityGap, m.l2, m.psnr,
                       m.ssim, m.cyclePSNR, realism.map { String(format: ", accuracy %.3f, Fréchet %.3f (floor %.3f)", $0.accuracy, $0.frechet, $0.floor) } ?? "",
                       seconds))
            var row = m.row
            row["seconds"] = .number(seconds)
            row["pair"] = .text(direction.description)
            row["cell"] = .text(method.rawValue)
            row["seed"] = .integer(Int(seed))
            var files: [String] = []
            if let munit { files.append(try munitDiversity(context, seed: seed, munit: munit, into: output)) }
            if seed == plan.seeds[0] {
                // The first seed's maps: kept, and drawn by `assemble` (here or after a merge).
                for (file, matrix) in [(mapFile(direction, method), mapped), (cycleFile(direction, method), cycled)] {
                    try AtomicFile.write(to: output + "/" + file) { try NpyFile.write(matrix, to: $0) }
                    files.append(file)
                }
            }
            return GridUnitOutput(unit: unit, name: name(of: unit), row: row, files: files)
        }
    }

    /// The first seed's T(x) of a method, and T_BA(T_AB(x)) (relative to the run folder).
    func mapFile(_ direction: ImageDirection, _ method: ImageMethod) -> String { "maps/\(direction.stem)/\(method.rawValue).npy" }
    func cycleFile(_ direction: ImageDirection, _ method: ImageMethod) -> String { "maps/\(direction.stem)/\(method.rawValue)_cycled.npy" }

    /// plan.json, the results table and the figures of the first seed's maps, written together
    /// (`OutputSet`: a failure leaves the folder's results as they were).
    public func assemble(_ outputs: [GridUnitOutput<Unit>]) throws -> Summary {
        let byUnit = try indexed(outputs)
        var table = ResultsTable(columns: Self.columns)
        var files: [String] = []
        for unit in units {
            let output = byUnit[unit]!
            files += output.files.map { folder + "/" + $0 }
            if case .map = unit { try table.append(output.row) }
        }
        var set = OutputSet()
        try set.add(Data(try Self.json(plan).utf8), to: folder + "/plan.json")
        for (stem, text) in [("csv", table.csv()), ("md", table.markdown()), ("json", table.json())] {
            try set.add(Data(text.utf8), to: "\(folder)/results.\(stem)")
        }
        let count = min(plan.figureColumns, plan.translated, plan.cycleImages ?? plan.translated), shape = plan.imageShape
        for direction in plan.directions {
            let x: Matrix<Double> = try sources(direction, seed: plan.seeds[0]).rows(0..<plan.translated).converted()
            var mapped: [ImageMethod: Matrix<Double>] = [:], cycled: [ImageMethod: Matrix<Double>] = [:]
            for method in plan.methods {
                mapped[method] = try ArrayFile.readMatrix(folder + "/" + mapFile(direction, method), as: Double.self)
                cycled[method] = try ArrayFile.readMatrix(folder + "/" + cycleFile(direction, method), as: Double.self)
            }
            let rows: [(label: String, images: Matrix<Double>)] = [("source", x)]
                + plan.methods.map { ($0 == .exactOT ? "exact-OT target" : $0.label, mapped[$0]!) }
            try ImageGridFigure.rows(rows, count: count,
                                     title: FigureTitle("\(direction): held-out test images", n: plan.translated, seed: plan.seeds[0]),
                                     imageWidth: shape.width, imageHeight: shape.height)
                .stage(to: "\(folder)/figures/translations_\(direction.stem).png", in: &set)
            let cycles = plan.methods.filter { $0 != .exactOT }.flatMap { method -> [(label: String, images: Matrix<Double>)] in
                [(method.label + " →", mapped[method]!), ("← back", cycled[method]!)]
            }
            // The first `count` images of each row (the cycle maps back only the first rows).
            try ImageGridFigure.rows(([("source", x)] + cycles).map { ($0.label, $0.images.rows(0..<count)) }, count: count,
                                     title: FigureTitle("\(direction) and back: cycle consistency", n: plan.translated, seed: plan.seeds[0]),
                                     imageWidth: shape.width, imageHeight: shape.height)
                .stage(to: "\(folder)/figures/cycles_\(direction.stem).png", in: &set)
        }
        try set.commit()
        // The classifiers' accuracies, as their checkpoints recorded them.
        let classifierAccuracy = (try? ConvClassifierCheckpoint.readConfig(from: folder + "/models/classifier"))?.heldOutAccuracy ?? .nan
        var domainAccuracy: [String: Double] = [:]
        if plan.methods.contains(.egsde) {
            for pair in plan.pairs {
                domainAccuracy["\(pair[0])-\(pair[1])"] = (try? ConvClassifierCheckpoint.readConfig(from: "\(folder)/models/domain-\(pair[0])-\(pair[1])"))?.heldOutAccuracy ?? .nan
            }
        }
        return Summary(results: table, files: set.paths + files, classifierAccuracy: classifierAccuracy, domainAccuracy: domainAccuracy)
    }

    /// T(x) and T_BA(T_AB(x)) of one method.
    func translate(_ context: PairContext, method: ImageMethod, seed: UInt64,
                   models: [Int: NetworkDenoiser], domain: TimeConvClassifier<Float>?,
                   munit: TrainedImageMUNIT? = nil) throws -> (Matrix<Float>, Matrix<Float>) {
        let (a, b) = (context.direction.source, context.direction.target)
        let x = context.x
        // The rows mapped back (the first `cycleImages`).
        let back = { (mapped: Matrix<Float>) in mapped.rows(0..<min(plan.cycleImages ?? mapped.rows, mapped.rows)) }
        switch method {
        case .ddibDDIM, .ddibHeun:
            let ode = plan.ddibSolver(method)
            let bridge = try DDIBBridge(source: models[a]!, target: models[b]!, steps: ode.steps, spacing: ode.spacing, method: ode.solver)
            let mapped = try bridge.translate(x).mapped
            return (mapped, try bridge.reversed().translate(back(mapped)).mapped)
        case .sdedit:
            let path = try EGSDE.timesteps(start: plan.editStart, steps: plan.editSteps)
            let noise = RandomStream(seed: seed, stream: StreamTag.imageSDEdit).substream(UInt64(a), UInt64(b))
            let mapped = try Sampler.sdedit(models[b]!, x, timesteps: path, method: .ddpmFixedLarge, noise: noise.substream(1)).x
            return (mapped, try Sampler.sdedit(models[a]!, back(mapped), timesteps: path, method: .ddpmFixedLarge, noise: noise.substream(2)).x)
        case .egsde:
            guard let domain else { throw MongeError.invalidArgument(name: "egsde", message: "no domain classifier for \(context.direction)") }
            let lowPass = try LowPassFilter(image: plan.imageShape, factor: plan.lowPassFactor)
            let noise = RandomStream(seed: seed, stream: StreamTag.imageEGSDE).substream(UInt64(a), UInt64(b))
            func edit(_ images: Matrix<Float>, to model: NetworkDenoiser, _ stream: RandomStream) throws -> Matrix<Float> {
                try EGSDE.translate(model, expert: domain, lowPass: lowPass, source: images, start: plan.editStart,
                                    lambdaS: plan.lambdaS, lambdaI: plan.lambdaI, steps: plan.editSteps, noise: stream, variance: .beta).x
            }
            let mapped = try edit(x, to: models[b]!, noise.substream(1))
            return (mapped, try edit(back(mapped), to: models[a]!, noise.substream(2)))
        case .exactOT:
            // y_σ(i); the inverse assignment maps it back to x_i exactly.
            let mapped: Matrix<Float> = context.targets.rows(at: Array(context.exact.permutation.prefix(x.rows))).converted()
            return (mapped, back(x))
        case .munit:
            guard let munit else { throw MongeError.invalidArgument(name: "munit", message: "no MUNIT for \(context.direction)") }
            let (mapped, cycled) = munitTranslate(x, direction: context.direction, seed: seed, munit: munit)
            return (mapped, back(cycled))
        }
    }

    /// Accuracy and Fréchet distance of T#A under the classifier, beside the two-sample floor.
    func realismOf(_ mapped: Matrix<Float>, context: PairContext, judge: FashionJudge, cache: TargetFeatureCache,
                   seed: UInt64) throws -> ImageMapMetrics.Realism {
        let key = "\(context.direction.target)-\(seed)"
        let reference = try cache.value(key) {
            let targets = try judge.judge(context.targets.converted()).features
            let second = try judge.judge(context.secondTargets).features
            return (targets, try FrechetDistance.squared(features: second, targets))
        }
        let judged = try judge.judge(mapped)
        let correct = judged.classes.filter { $0 == context.direction.target }.count
        return .init(accuracy: Double(correct) / Double(mapped.rows),
                     frechet: try FrechetDistance.squared(features: judged.features, reference.features), floor: reference.floor)
    }


    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}

/// The 10-class classifier as the realism columns use it: predicted classes and penultimate features.
struct FashionJudge {
    let classifier: TrainedConvClassifier

    func judge(_ images: Matrix<Float>) throws -> (classes: [Int], features: Matrix<Float>) {
        let result = try classifier.classify(images)
        return (result.labels, result.features)
    }
}

extension ImageDirection {
    /// The unordered pair's key ("7-9" for 7 → 9 and 9 → 7).
    var pairKey: String { "\(min(source, target))-\(max(source, target))" }
}

/// Values a process computes once and shares between units (thread-safe), and the last pair context.
final class UnitCache: @unchecked Sendable {
    private var values: [String: Any] = [:]
    private let lock = NSRecursiveLock()
    var last: Any? {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); defer { lock.unlock() }; stored = newValue }
    }
    private var stored: Any?

    func value<T>(_ key: String, _ make: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        if let value = values[key] as? T { return value }
        let value = try make()
        values[key] = value
        return value
    }
}

/// The classifier features of each target sample and its Fréchet floor, computed once per (class, seed).
final class TargetFeatureCache {
    private var values: [String: (features: Matrix<Float>, floor: Double)] = [:]

    func value(_ key: String, _ make: () throws -> (Matrix<Float>, Double)) throws -> (features: Matrix<Float>, floor: Double) {
        if let v = values[key] { return v }
        let v = try make()
        values[key] = (v.0, v.1)
        return (v.0, v.1)
    }
}
