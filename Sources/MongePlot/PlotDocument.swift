import Foundation

/// A whole figure as gnuplot sees it: panels in a grid, an overall title, a canvas size. It
/// writes the two files kept beside every figure — the data (one block per series, separated by
/// two blank lines and selected with `index`) and the script that draws them.
public struct PlotDocument: Sendable, Equatable {
    public var panels: [Panel]
    /// The overall title of a multi-panel figure (single panels use their own title).
    public var title: String?
    /// Panels per row.
    public var columns: Int
    /// Canvas size in pixels (PDF: 100 px per inch).
    public var width: Int
    public var height: Int
    /// One line saying what the figure shows, written at the top of the script.
    public var summary: String

    /// What the figure draws differently from the data (the log floor), one sentence per kind,
    /// shown under the title.
    public var caption: String?

    /// The panels as drawn: values ≤ 0 on a log y axis moved onto a marked floor, every range not
    /// set fitted to the data with a small margin, and with `sharedRanges` one x and one y range
    /// for all panels (the union), so that small multiples compare.
    public init(panels: [Panel], title: String? = nil, columns: Int = 1, width: Int = 900, height: Int = 800,
                summary: String, sharedRanges: Bool = false) {
        // One floor for every log panel, so that small multiples share it (and its legend entry).
        let floor = Panel.logFloor(below: panels.filter(\.logY).flatMap(\.curveValues))
        var prepared = panels.map { $0.flooringLogZeros(at: floor).fitted() }
        if sharedRanges, prepared.count > 1 {
            let xs = prepared.compactMap(\.xRange), ys = prepared.compactMap(\.yRange)
            if let x = xs.first, let y = ys.first {
                let x = xs.reduce(x) { min($0.lowerBound, $1.lowerBound)...max($0.upperBound, $1.upperBound) }
                let y = ys.reduce(y) { min($0.lowerBound, $1.lowerBound)...max($0.upperBound, $1.upperBound) }
                for k in prepared.indices {
                    prepared[k].xRange = x
                    prepared[k].yRange = y
                }
            }
        }
        var captions: [String] = []
        for caption in prepared.compactMap(\.caption) where !captions.contains(caption) { captions.append(caption) }
        self.panels = prepared
        self.title = title
        self.columns = max(1, columns)
        self.width = width
        self.height = height
        self.summary = summary
        self.caption = captions.isEmpty ? nil : captions.joined(separator: "; ")
    }

    /// Checks that no colour stands for two things: every labelled series' colour (its
    /// transparency aside) belongs to one legend label, and every label has one colour, across
    /// all panels. `Figure.render` and `stage` refuse a figure that breaks it.
    public func checkColours() throws {
        var labelOf: [String: String] = [:], colourOf: [String: String] = [:]
        for series in panels.flatMap(\.series) {
            guard let label = series.label else { continue }
            let colour = series.opaqueColor
            if let other = labelOf[colour], other != label {
                throw MongeError.invalidArgument(name: "colors", message: "'\(other)' and '\(label)' are both drawn in \(colour); every series of a figure needs its own colour (Palette.cycle has \(Palette.cycle.count); beyond that, small multiples)")
            }
            if let other = colourOf[label], other != colour {
                throw MongeError.invalidArgument(name: "colors", message: "'\(label)' is drawn in both \(other) and \(colour); one series, one colour")
            }
            labelOf[colour] = label
            colourOf[label] = colour
        }
    }

    /// A title as a gnuplot string expression, with the caption as its second line.
    static func titleExpression(_ text: String?, caption: String?) -> String? {
        switch (text, caption) {
        case let (text?, caption?): return Gnuplot.quotedLabel(text) + " . \"\\n\" . " + Gnuplot.quotedLabel(caption)
        case let (text?, nil): return Gnuplot.quotedLabel(text)
        case let (nil, caption?): return Gnuplot.quotedLabel(caption)
        case (nil, nil): return nil
        }
    }

    /// The data file's text.
    public func dataText() -> String {
        var text = "# Monge figure data: \(summary)\n"
        var block = 0
        for (p, panel) in panels.enumerated() {
            for series in panel.series {
                if block > 0 { text += "\n\n" }
                var header = "x y"
                if case .arrows = series.style { header = "x y dx dy" }
                if case .image = series.style { header = "x y value" }
                if case .xyErrorBars = series.style { header = "x y xlow xhigh ylow yhigh" }
                text += "# block \(block): panel \(p + 1), \(series.label ?? "unlabelled") (\(header))\n"
                text.reserveCapacity(text.utf8.count + series.rowCount * 24 * series.columns.count)
                for i in 0..<series.rowCount {
                    for c in 0..<series.columns.count {
                        if c > 0 { text += " " }
                        text += series.columns[c][i].description
                    }
                    text += "\n"
                }
                block += 1
            }
        }
        return text
    }

    /// The script's text; `outputName` and `dataName` are the defaults of the `outfile` and
    /// `datafile` variables (relative to the folder the script is run from).
    public func scriptText(format: ImageFormat, outputName: String, dataName: String) -> String {
        var lines = [
            "# Monge figure: \(summary)",
            "# Re-run from this folder: gnuplot \(outputName).gp   (edit freely; data in \(dataName))",
            "if (!exists(\"outfile\")) outfile = \(Gnuplot.quoted(outputName))",
            "if (!exists(\"datafile\")) datafile = \(Gnuplot.quoted(dataName))",
            format.terminal(width: width, height: height),
            "set encoding utf8",
            "set output outfile",
        ]
        let multi = panels.count > 1
        if multi {
            let rows = (panels.count + columns - 1) / columns
            var line = "set multiplot layout \(rows),\(columns)"
            if let title = Self.titleExpression(title, caption: caption) { line += " title \(title) font ',14'" }
            lines.append(line)
        }
        var block = 0
        for (p, panel) in panels.enumerated() {
            lines.append("")
            lines.append("# panel \(p + 1)")
            let panelTitle = Self.titleExpression(panel.title ?? (multi ? nil : title), caption: multi ? nil : caption)
            lines.append(panelTitle.map { "set title \($0)" } ?? "unset title")
            lines.append(panel.xLabel.map { "set xlabel \(Gnuplot.quotedLabel($0))" } ?? "unset xlabel")
            lines.append(panel.yLabel.map { "set ylabel \(Gnuplot.quotedLabel($0))" } ?? "unset ylabel")
            lines.append(panel.equalAxes ? "set size ratio -1" : "set size noratio")
            lines.append("unset logscale")
            if let ticks = panel.xTicks {
                if panel.logX { lines.append("set logscale x") }
                lines.append("set format x '% h'")
                lines.append("set xtics (" + ticks.map { $0.rounded() == $0 && abs($0) < 1e15 ? String(Int($0)) : "\($0)" }.joined(separator: ", ") + ")")
            } else {
                lines.append("set xtics autofreq")
                if panel.logX { lines.append("set logscale x"); lines.append("set format x '10^{%L}'") } else { lines.append("set format x '% h'") }
            }
            if panel.logY { lines.append("set logscale y"); lines.append("set format y '10^{%L}'") } else { lines.append("set format y '% h'") }
            lines.append(panel.xRange.map { "set xrange [\($0.lowerBound):\($0.upperBound)]" } ?? "set autoscale x")
            lines.append(panel.yRange.map { "set yrange [\($0.lowerBound):\($0.upperBound)]" } ?? "set autoscale y")
            lines.append(panel.legend.command)
            lines.append("set grid lc rgb '#E0E0E0'")
            lines.append("set border lc rgb '#404040'")
            lines.append(contentsOf: panel.commands)
            var clauses: [String] = []
            for series in panel.series {
                let title = series.label.map { "title \(Gnuplot.quotedLabel($0))" } ?? "notitle"
                clauses.append("datafile index \(block) \(series.usingClause) \(series.withClause) \(title)")
                block += 1
            }
            if clauses.isEmpty {
                lines.append("plot NaN notitle")
            } else {
                lines.append("plot " + clauses.joined(separator: ", \\\n     "))
            }
        }
        if multi { lines.append("unset multiplot") }
        lines.append("unset output")
        return lines.joined(separator: "\n") + "\n"
    }
}
