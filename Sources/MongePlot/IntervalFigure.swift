/// One estimate in two metrics with an interval on each, e.g. a mean over seeds ± its t-interval.
public struct IntervalPoint: Sendable, Equatable {
    public var x: Double
    public var xLow: Double
    public var xHigh: Double
    public var y: Double
    public var yLow: Double
    public var yHigh: Double

    public init(x: Double, xLow: Double, xHigh: Double, y: Double, yLow: Double, yHigh: Double) {
        self.x = x
        self.xLow = xLow
        self.xHigh = xHigh
        self.y = y
        self.yLow = yLow
        self.yHigh = yHigh
    }

    /// A point without spread (a deterministic method): both intervals collapse to the point.
    public init(x: Double, y: Double) {
        self.init(x: x, xLow: x, xHigh: x, y: y, yLow: y, yHigh: y)
    }
}

/// A labelled group of interval points drawn in one colour.
public struct IntervalSet: Sendable, Equatable {
    public var points: [IntervalPoint]
    public var label: String
    /// A colour ("#RRGGBB"); nil takes the next one of `Palette.cycle`.
    public var color: String?

    public init(_ points: [IntervalPoint], label: String, color: String? = nil) {
        self.points = points
        self.label = label
        self.color = color
    }
}

/// Groups of points with horizontal and vertical error bars on shared axes — e.g. realism
/// against transport cost for several methods, each point a mean over seeds with its interval.
///
/// `IntervalFigure([IntervalSet(points, label: "SDEdit")], xLabel: "cost", yLabel: "W2").render(to: "f.png")`
public struct IntervalFigure: Figure {
    public var sets: [IntervalSet]
    public var title: FigureTitle
    public var xLabel: String
    public var yLabel: String
    /// Extra gnuplot commands run before `plot`.
    public var extraCommands: [String]
    public var width: Int
    public var height: Int

    public init(_ sets: [IntervalSet], title: FigureTitle = "", xLabel: String = "x", yLabel: String = "y",
                extraCommands: [String] = [], width: Int = 900, height: Int = 650) {
        self.sets = sets
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.extraCommands = extraCommands
        self.width = width
        self.height = height
    }

    public var panel: Panel {
        get throws {
            guard !sets.isEmpty else { throw MongeError.invalidArgument(name: "sets", message: "no point sets to plot") }
            var series: [Series] = []
            for (k, set) in sets.enumerated() {
                guard !set.points.isEmpty else {
                    throw MongeError.invalidArgument(name: "sets", message: "\(set.label): no points to plot")
                }
                for (i, p) in set.points.enumerated() where !(p.xLow <= p.x && p.x <= p.xHigh && p.yLow <= p.y && p.y <= p.yHigh) {
                    throw MongeError.invalidArgument(
                        name: "sets", message: "\(set.label), point \(i + 1): need low ≤ value ≤ high on both axes, got x \(p.xLow) ≤ \(p.x) ≤ \(p.xHigh), y \(p.yLow) ≤ \(p.y) ≤ \(p.yHigh)")
                }
                let p = set.points
                series.append(Series(columns: [p.map(\.x), p.map(\.y), p.map(\.xLow), p.map(\.xHigh), p.map(\.yLow), p.map(\.yHigh)],
                                     style: .xyErrorBars(size: 1.1), color: set.color ?? Palette.color(k), label: set.label))
            }
            let text = title.rendered
            let panel = Panel(series: series, title: text.isEmpty ? nil : text, xLabel: xLabel, yLabel: yLabel,
                              legend: .below, commands: extraCommands)
            try panel.validate("interval figure")
            return panel
        }
    }

    /// One panel; beyond eight sets, small multiples on one range (a panel per set).
    public func document() throws -> PlotDocument {
        let summary = "\(yLabel) against \(xLabel) with intervals: " + sets.map(\.label).joined(separator: ", ")
        let panel = try self.panel
        guard sets.count > Palette.cycle.count else { return PlotDocument(panels: [panel], width: width, height: height, summary: summary) }
        let panels = panel.smallMultiples()
        let columns = min(3, panels.count), rows = (panels.count + columns - 1) / columns
        return PlotDocument(panels: panels, title: panel.title, columns: columns, width: columns * 480, height: rows * 420 + 60,
                            summary: summary, sharedRanges: true)
    }
}
