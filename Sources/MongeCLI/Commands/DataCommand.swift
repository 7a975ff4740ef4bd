import ArgumentParser
import Foundation
import MongeCore
import MongeData
import MongePlot

/// `monge data NAME --n N --seed S --out FILE`: a 2-D sample as .npy or .csv (and optionally its scatter plot).
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Draw n points of a 2-D distribution into a .npy or .csv file.",
        discussion: """
        The sample is a pure function of (name, n, seed, parameters): the same command writes the \
        same bytes. `monge data --list` shows every distribution with its parameters and defaults.
        Example: monge data moons --n 1000 --seed 0 --out moons.npy --param noise=0.1 --plot moons.png
        `monge data digits --classes 3 --out three.npy` exports the 8×8 handwritten digits of the given \
        classes (all by default; --n keeps the first n) as [N, 64] points in [−1, 1], read from \
        data/generated (`make setup`; or $MONGE_DATA_DIR); --plot draws them as a grid of images.
        `monge data fashion --classes 7,9 --split test --n 1000 --out f.npy` exports Fashion-MNIST's 28×28 images \
        of those classes (by id 0–9 or name: t-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, \
        bag, ankle-boot; all by default) as [N, 784] points in [−1, 1], read from Debian's \
        dataset-fashion-mnist (`make setup`; or $MONGE_FASHION_DIR); --n takes a subset drawn with --seed.
        """)

    @Argument(help: "The distribution, e.g. gaussians25, moons, concentric-rings (see --list).")
    var name: String?

    @Option(help: "Number of points (positive).")
    var n: Int?

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    @Option(help: "Output file: .npy or .csv (by extension).")
    var out: String?

    @Option(name: .customLong("param"), help: "A parameter as key=value (repeatable), e.g. --param std=0.1.")
    var parameters: [String] = []

    @Option(help: "Also draw a scatter plot of the sample: .png, .svg or .pdf.")
    var plot: String?

    @Option(help: "digits and fashion: the classes to export, e.g. 3 or 0,6 (fashion also by name, e.g. sneaker). [all]")
    var classes: String?

    @Option(help: "fashion only: train or test. [train]")
    var split: String?

    @Flag(help: "No \"wrote …\" line on stderr.")
    var quiet = false

    @Flag(help: "List the distributions, their parameters and defaults, and exit.")
    var list = false

    func validate() throws {
        if list { return }
        guard name != nil else { throw ValidationError("give a distribution name (see `monge data --list`)") }
        let isImageSet = name == "digits" || name == "fashion"
        if isImageSet {
            if let n, n < 1 { throw ValidationError("--n must be positive, got \(n)") }
        } else if classes != nil {
            throw ValidationError("--classes is for digits and fashion only")
        }
        if split != nil, name != "fashion" { throw ValidationError("--split is for fashion only") }
        guard let n = n ?? (isImageSet ? 1 : nil) else { throw ValidationError("give the number of points with --n") }
        guard n > 0 else { throw ValidationError("--n must be positive, got \(n)") }
        try Check.range(n, "--n", 1...Check.maximumPoints)
        // The sample (Double) and the file's bytes.
        try Check.memory([MemoryBudget.Need("\(n) points × 2 coordinates × 8 bytes × 2 (sample, file)", options: "--n \(n)",
                                            factors: [n, 2, 8, 2])])
        guard let out else { throw ValidationError("give the output file with --out (.npy or .csv)") }
        try Check.arrayFile(out, "--out")
    }

    func run() throws {
        if list {
            print(Datasets.listing())
            return
        }
        guard let name, let out else { return }
        if name == "digits" { return try exportDigits(out: out) }
        if name == "fashion" { return try exportFashion(out: out) }
        guard let n else { return }
        let dataset = try Datasets.make(name, parameters: try Self.parse(parameters))
        var manifest = RunManifest.begin(
            command: "monge data", seed: seed,
            parameters: ["dataset": .string(name), "n": .integer(n),
                         "dataset_parameters": .object(dataset.parameterValues.mapValues { .number($0) })])
        let figureFormat = try plot.map { try ImageFormat(path: $0) }
        if figureFormat != nil { _ = try Gnuplot.default.version() }  // fail before writing anything
        let points = try dataset.sample(n: n, seed: seed)
        var outputs = OutputSet()
        try outputs.add(points, to: out, header: ["x1", "x2"])
        if let plot {
            try ScatterFigure(points: points, label: name, title: FigureTitle(name, n: n, seed: seed)).stage(to: plot, in: &outputs)
        }
        manifest.finish(outputs: [out] + (plot.map { [$0, $0 + ".gp", $0 + ".dat"] } ?? []))
        try outputs.commit(manifest: manifest, beside: [out])
        if !quiet { FileHandle.standardError.write(Data("wrote \(out) (\(n) × 2, \(name), seed \(seed))\n".utf8)) }
    }

    /// The digit images of `--classes` (the first `--n` of them if given) as an [N, 64] array.
    func exportDigits(out: String) throws {
        guard parameters.isEmpty else {
            throw MongeError.invalidArgument(name: "param", message: "digits take no parameters (use --classes)")
        }
        let classes = try classes.map { try DigitImages.parseClasses($0) } ?? Array(0...9)
        let figureFormat = try plot.map { try ImageFormat(path: $0) }
        if figureFormat != nil { _ = try Gnuplot.default.version() }
        var images = try DigitImages.load().images(ofClasses: classes)
        if let n {
            guard n <= images.rows else {
                throw MongeError.invalidArgument(name: "n", message: "asked for \(n) images, digit(s) \(classes.map(String.init).joined(separator: ",")) have \(images.rows)")
            }
            images = images.rows(0..<n)
        }
        var manifest = RunManifest.begin(command: "monge data", seed: 0, parameters: [
            "dataset": .string("digits"), "classes": .array(classes.map { .integer($0) }), "n": .integer(images.rows)])
        var outputs = OutputSet()
        try outputs.add(images, to: out, header: (0..<DigitImages.pixelCount).map { "p\($0)" })
        if let plot {
            let shown = images.rows(0..<min(images.rows, 100)).converted(to: Double.self)
            try ImageGridFigure(images: shown, columns: min(10, shown.rows),
                                title: FigureTitle("digits \(classes.map(String.init).joined(separator: ",")): first \(shown.rows) of \(images.rows)"))
                .stage(to: plot, in: &outputs)
        }
        manifest.finish(outputs: [out] + (plot.map { [$0, $0 + ".gp", $0 + ".dat"] } ?? []))
        try outputs.commit(manifest: manifest, beside: [out])
        if !quiet { FileHandle.standardError.write(Data("wrote \(out) (\(images.rows) × \(DigitImages.pixelCount), digits \(classes.map(String.init).joined(separator: ",")))\n".utf8)) }
    }

    /// The Fashion-MNIST images of `--classes` in `--split` (a seeded subset of `--n` if given) as [N, 784].
    func exportFashion(out: String) throws {
        guard parameters.isEmpty else {
            throw MongeError.invalidArgument(name: "param", message: "fashion takes no parameters (use --classes, --split, --n, --seed)")
        }
        let spec = FashionMNIST.Spec(classes: try classes.map { try FashionMNIST.parseClasses($0) } ?? Array(0...9),
                                     split: try split.map { try FashionMNIST.Split(parsing: $0) } ?? .train, count: n, seed: seed)
        let figureFormat = try plot.map { try ImageFormat(path: $0) }
        if figureFormat != nil { _ = try Gnuplot.default.version() }
        let images = try FashionMNIST.load(split: spec.split).images(ofClasses: spec.classes, count: spec.count, seed: spec.seed)
        let described = "\(FashionMNIST.describe(spec.classes)), \(spec.split.rawValue) split"
        var manifest = RunManifest.begin(command: "monge data", seed: seed, parameters: [
            "dataset": .string("fashion"), "spec": .string(spec.text), "classes": .array(spec.classes.map { .integer($0) }),
            "split": .string(spec.split.rawValue), "n": .integer(images.rows), "folder": .string(FashionMNIST.defaultFolder)])
        try ArrayFile.write(images, to: out, header: (0..<FashionMNIST.pixelCount).map { "p\($0)" })
        if let plot {
            let shown = images.rows(0..<min(images.rows, 100)).converted(to: Double.self)
            try ImageGridFigure(images: shown, imageWidth: FashionMNIST.side, imageHeight: FashionMNIST.side, columns: min(10, shown.rows),
                                title: FigureTitle("Fashion-MNIST \(described): first \(shown.rows) of \(images.rows)"))
                .render(to: plot)
        }
        manifest.finish(outputs: [out] + (plot.map { [$0, $0 + ".gp", $0 + ".dat"] } ?? []))
        try manifest.write(beside: out)
        if !quiet { FileHandle.standardError.write(Data("wrote \(out) (\(images.rows) × \(FashionMNIST.pixelCount), \(described))\n".utf8)) }
    }

    /// "key=value" strings as a dictionary; a malformed entry or repeated key is an error.
    static func parse(_ entries: [String]) throws -> [String: Double] {
        var values: [String: Double] = [:]
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw MongeError.invalidArgument(name: "param", message: "'\(entry)' is not key=value")
            }
            guard let value = Double(parts[1]) else {
                throw MongeError.invalidArgument(name: parts[0], message: "'\(parts[1])' is not a number")
            }
            guard values.updateValue(value, forKey: parts[0]) == nil else {
                throw MongeError.invalidArgument(name: parts[0], message: "given twice")
            }
        }
        return values
    }
}
