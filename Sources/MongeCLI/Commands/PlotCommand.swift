import ArgumentParser
import Foundation
import MongeCore
import MongePlot

/// `monge plot …`: figures of users' own point files (.npy or .csv, [n, 2]).
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw figures of 2-D point files (.png, .svg or .pdf; the gnuplot script, data and manifest are kept beside).",
        subcommands: [PlotScatter.self, PlotMap.self, PlotIntervals.self]
    )
}

/// Options every plot subcommand shares.
struct FigureOptions: ParsableArguments {
    @Option(help: "The figure: .png, .svg or .pdf (by extension).")
    var out: String

    @Option(help: "The figure's title.")
    var title: String = ""

    @Flag(help: "No \"wrote …\" line on stderr.")
    var quiet = false

    func validate() throws {
        do { _ = try ImageFormat(path: out) } catch { throw ValidationError("--out: \(error)") }
    }

    /// Draws `figure` to `out` with its script and data, and `<out>.manifest.json` beside it,
    /// all together (`OutputSet`); `manifest` was begun when the command started.
    func write(_ figure: some Figure, manifest: RunManifest) throws {
        var outputs = OutputSet()
        try figure.stage(to: out, in: &outputs)
        var manifest = manifest
        let written = [out, out + ".gp", out + ".dat"]
        manifest.finish(outputs: written)
        try outputs.commit(manifest: manifest, beside: [out])
        if !quiet { FileHandle.standardError.write(Data("wrote \(out) and \(RunManifest.path(beside: out))\n".utf8)) }
    }
}

/// The file's base name without its extension, as a default label.
func defaultLabel(_ path: String) -> String {
    URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
}

struct PlotScatter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scatter", abstract: "Scatter plot of one or more point files on equal axes.")

    @Argument(help: "Point files (.npy or .csv), each [n, 2].")
    var files: [String]

    @Option(name: .customLong("label"), help: "Legend label per file, in order (default: the file names).")
    var labels: [String] = []

    @OptionGroup var figure: FigureOptions

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one point file") }
        guard labels.isEmpty || labels.count == files.count else {
            throw ValidationError("give one --label per file (\(files.count)), or none")
        }
    }

    func run() throws {
        let manifest = RunManifest.begin(command: "monge plot scatter", parameters: [
            "files": .array(files.map { .string($0) }), "title": .string(figure.title)])
        var sets: [PointSet] = []
        for (k, file) in files.enumerated() {
            let points = try ArrayFile.readMatrix(file, as: Double.self)
            sets.append(PointSet(points, label: labels.isEmpty ? defaultLabel(file) : labels[k]))
        }
        try figure.write(ScatterFigure(sets, title: FigureTitle(figure.title)), manifest: manifest)
    }
}

struct PlotMap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map", abstract: "Transport map: arrows from each source point to its image (row i to row i).")

    @Argument(help: "Source points x (.npy or .csv, [n, 2]).")
    var source: String

    @Argument(help: "Mapped points T(x) (.npy or .csv, [n, 2]); row i is the image of source row i.")
    var mapped: String

    @Option(help: "A target sample to draw underneath (.npy or .csv, [m, 2]).")
    var target: String?

    @Option(help: "At most this many arrows (a seeded random subset when n is larger).")
    var maxArrows: Int = 300

    @Option(help: "Seed of the arrow subset.")
    var arrowSeed: UInt64 = 0

    @OptionGroup var figure: FigureOptions

    func validate() throws {
        guard maxArrows >= 0 else { throw ValidationError("--max-arrows must be ≥ 0") }
    }

    func run() throws {
        var parameters: [String: JSONValue] = [
            "source": .string(source), "mapped": .string(mapped), "max_arrows": .integer(maxArrows),
            "arrow_seed": .integer(Int(arrowSeed)), "title": .string(figure.title)]
        if let target { parameters["target"] = .string(target) }
        let manifest = RunManifest.begin(command: "monge plot map", seed: arrowSeed, parameters: parameters)
        let x = try ArrayFile.readMatrix(source, as: Double.self)
        let tx = try ArrayFile.readMatrix(mapped, as: Double.self)
        let y = try target.map { try ArrayFile.readMatrix($0, as: Double.self) }
        try figure.write(TransportMapFigure(source: x, target: y, mapped: tx, title: FigureTitle(figure.title),
                                            maxArrows: maxArrows, arrowSeed: arrowSeed), manifest: manifest)
    }
}
