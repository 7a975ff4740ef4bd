/// One labelled curve y(x) of a line plot.
public struct Curve: Sendable, Equatable {
    public var x: [Double]
    public var y: [Double]
    public var label: String
    /// A colour ("#RRGGBB"); nil takes the next one of `Palette.cycle`.
    public var color: String?
    /// The panel of a small-multiples figure (e.g. a pair, with its solvers as the curves); nil
    /// for none.
    public var group: String?

    public init(x: [Double], y: [Double], label: String, color: String? = nil, group: String? = nil) {
        self.x = x
        self.y = y
        self.label = label
        self.color = color
        self.group = group
    }
}

/// Curves y(x) with markers, optionally on log axes — e.g. error against sampler steps.
///
/// Up to eight curves share one panel, each in its own colour, labelled "group (label)" when
/// grouped. Beyond eight, the figure becomes small multiples with one range: a panel per group
/// with the labels' colours the same in every panel, or (ungrouped, or more than eight labels) a
/// panel per curve. Values ≤ 0 on a log y axis are drawn on a marked floor (`Panel`).
///
/// `CurveFigure([Curve(x: steps, y: errors, label: "DDIM")], xLabel: "steps", yLabel: "error",
/// logX: true, logY: true).render(to: "convergence.pdf")`
public struct CurveFigure: Figure {
    public var curves: [Curve]
    public var title: FigureTitle
    public var xLabel: String
    public var yLabel: String
    public var logX: Bool
    public var logY: Bool
    /// Extra gnuplot commands run before `plot`.
    public var extraCommands: [String]
    public var width: Int
    public var height: Int

    public init(_ curves: [Curve], title: FigureTitle = "", xLabel: String = "x", yLabel: String = "y",
                logX: Bool = false, logY: Bool = false, extraCommands: [String] = [],
                width: Int = 900, height: Int = 650) {
        self.curves = curves
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.logX = logX
        self.logY = logY
        self.extraCommands = extraCommands
        self.width = width
        self.height = height
    }

    /// The single panel of up to eight curves.
    public var panel: Panel {
        get throws {
            try checkCurves()
            guard curves.count <= Palette.cycle.count else {
                throw MongeError.invalidArgument(name: "curves", message: "\(curves.count) curves do not fit one panel (\(Palette.cycle.count) colours); use document(), which draws small multiples")
            }
            let series = curves.enumerated().map { k, curve in
                Series(columns: [curve.x, curve.y], style: .linesPoints(width: 1.5, size: 0.8), color: curve.color ?? Palette.color(k),
                       label: curve.group.map { "\($0) (\(curve.label))" } ?? curve.label)
            }
            return try panel(series, title: title.rendered)
        }
    }

    func panel(_ series: [Series], title: String) throws -> Panel {
        var panel = Panel(series: series, title: title.isEmpty ? nil : title, xLabel: xLabel, yLabel: yLabel,
                          logX: logX, logY: logY, legend: .below, commands: extraCommands)
        // A log x axis over a few values (step counts): a tick at each, so that none is unlabelled.
        let xs = Set(curves.flatMap(\.x)).sorted()
        if logX, xs.count <= 12 { panel.xTicks = xs }
        try panel.validate("curve figure")
        return panel
    }

    func checkCurves() throws {
        guard !curves.isEmpty else { throw MongeError.invalidArgument(name: "curves", message: "no curves to plot") }
        for curve in curves where curve.x.count != curve.y.count || curve.x.isEmpty {
            throw MongeError.shapeMismatch("curve \(curve.label): \(curve.x.count) x values for \(curve.y.count) y values (need equal, non-zero counts)")
        }
    }

    /// The panels: one, or small multiples beyond eight curves.
    public var panels: [Panel] {
        get throws {
            if curves.count <= Palette.cycle.count { return [try panel] }
            try checkCurves()
            var labels: [String] = [], groups: [String] = []
            for curve in curves {
                if !labels.contains(curve.label) { labels.append(curve.label) }
                if let group = curve.group, !groups.contains(group) { groups.append(group) }
            }
            if curves.allSatisfy({ $0.group != nil }), labels.count <= Palette.cycle.count {
                return try groups.map { group in
                    let series = curves.filter { $0.group == group }.map { curve in
                        Series(columns: [curve.x, curve.y], style: .linesPoints(width: 1.5, size: 0.8),
                               color: Palette.color(labels.firstIndex(of: curve.label)!), label: curve.label)
                    }
                    return try panel(series, title: group)
                }
            }
            let all = curves.map { curve in
                Series(columns: [curve.x, curve.y], style: .linesPoints(width: 1.5, size: 0.8), color: Palette.color(0),
                       label: curve.group.map { "\($0) (\(curve.label))" } ?? curve.label)
            }
            return try panel(all, title: "").smallMultiples()
        }
    }

    public func document() throws -> PlotDocument {
        let panels = try self.panels
        let summary = "\(yLabel) against \(xLabel): " + curves.map { $0.group.map { g in "\(g) " } ?? "" }.enumerated()
            .map { $1 + curves[$0].label }.joined(separator: ", ")
        guard panels.count > 1 else {
            return PlotDocument(panels: panels, width: width, height: height, summary: summary)
        }
        let columns = min(3, panels.count), rows = (panels.count + columns - 1) / columns
        let text = title.rendered
        return PlotDocument(panels: panels, title: text.isEmpty ? nil : text, columns: columns,
                            width: max(width, columns * 480), height: rows * 420 + 60, summary: summary, sharedRanges: true)
    }
}
