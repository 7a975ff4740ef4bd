import ArgumentParser
import Foundation
import MongeCore
import MongePlot

/// `monge plot intervals FILE… --out F`: points with error bars, one colour per file.
struct PlotIntervals: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intervals",
        abstract: "Points with horizontal and vertical error bars (e.g. means over seeds with 95 % intervals), one group per file.",
        discussion: """
        Each file (.npy or .csv, one point per row) has 6 columns — x, x low, x high, y, y low, y high — or \
        2 columns x, y for points without spread (a deterministic method). A CSV header line is allowed.
        """)

    @Argument(help: "Point files (.npy or .csv), each [n, 6] or [n, 2].")
    var files: [String]

    @Option(name: .customLong("label"), help: "Legend label per file, in order (default: the file names).")
    var labels: [String] = []

    @Option(help: "The x axis label.") var xLabel: String = "x"
    @Option(help: "The y axis label.") var yLabel: String = "y"

    @OptionGroup var figure: FigureOptions

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one point file") }
        guard labels.isEmpty || labels.count == files.count else {
            throw ValidationError("give one --label per file (\(files.count)), or none")
        }
    }

    func run() throws {
        let manifest = RunManifest.begin(command: "monge plot intervals", parameters: [
            "files": .array(files.map { .string($0) }), "title": .string(figure.title)])
        var sets: [IntervalSet] = []
        for (k, file) in files.enumerated() {
            let m = try ArrayFile.readMatrix(file, as: Double.self)
            guard m.columns == 6 || m.columns == 2, m.rows > 0 else {
                throw MongeError.shapeMismatch("\(file) is \(m.rows)×\(m.columns): expected rows of 6 columns (x, x low, x high, y, y low, y high) or 2 (x, y)")
            }
            let points = (0..<m.rows).map { i in
                m.columns == 2 ? IntervalPoint(x: m[i, 0], y: m[i, 1])
                    : IntervalPoint(x: m[i, 0], xLow: m[i, 1], xHigh: m[i, 2], y: m[i, 3], yLow: m[i, 4], yHigh: m[i, 5])
            }
            sets.append(IntervalSet(points, label: labels.isEmpty ? defaultLabel(file) : labels[k]))
        }
        try figure.write(IntervalFigure(sets, title: FigureTitle(figure.title), xLabel: xLabel, yLabel: yLabel), manifest: manifest)
    }
}
