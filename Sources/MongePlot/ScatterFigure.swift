/// A labelled 2-D point set of a scatter figure.
public struct PointSet: Sendable, Equatable {
    /// [n, 2] points.
    public var points: Matrix<Double>
    public var label: String
    /// A colour ("#RRGGBB"); nil takes the next one of `Palette.cycle`.
    public var color: String?

    public init(_ points: Matrix<Double>, label: String, color: String? = nil) {
        self.points = points
        self.label = label
        self.color = color
    }
}

/// Point sizes that keep a scatter readable from a hundred to a million points.
func pointSize(forCount n: Int) -> Double {
    switch n {
    case ..<500: return 0.7
    case ..<5_000: return 0.45
    case ..<50_000: return 0.25
    default: return 0.12
    }
}

/// Checks that `points` is a non-empty finite [n, 2] matrix; `what` names it in the error.
func checkPoints(_ points: Matrix<Double>, _ what: String) throws {
    guard points.columns == 2 else {
        throw MongeError.shapeMismatch("\(what): expected [n, 2] points, got [\(points.rows), \(points.columns)]")
    }
    guard points.rows > 0 else { throw MongeError.invalidArgument(name: what, message: "no points to plot") }
    try points.checkFinite(what)
}

/// One or more 2-D point sets on equal axes, each in its own colour with a legend entry.
///
/// `ScatterFigure([PointSet(source, label: "25 Gaussians"), PointSet(target, label: "moons")],
/// title: FigureTitle("data", n: 1000, seed: 0)).render(to: "data.png")`
public struct ScatterFigure: Figure {
    public var sets: [PointSet]
    public var title: FigureTitle
    /// Extra gnuplot commands run before `plot` (e.g. "set xrange [-5:5]").
    public var extraCommands: [String]
    public var width: Int
    public var height: Int

    public init(_ sets: [PointSet], title: FigureTitle = "", extraCommands: [String] = [],
                width: Int = 800, height: Int = 860) {
        self.sets = sets
        self.title = title
        self.extraCommands = extraCommands
        self.width = width
        self.height = height
    }

    /// A single point set.
    public init(points: Matrix<Double>, label: String, title: FigureTitle = "") {
        self.init([PointSet(points, label: label)], title: title)
    }

    public var panel: Panel {
        get throws {
            guard !sets.isEmpty else { throw MongeError.invalidArgument(name: "scatter", message: "no point sets to plot") }
            var series: [Series] = []
            for (k, set) in sets.enumerated() {
                try checkPoints(set.points, set.label)
                series.append(Series(points: set.points, style: .points(size: pointSize(forCount: set.points.rows)),
                                     color: set.color ?? Palette.color(k), label: set.label))
            }
            let text = title.rendered
            return Panel(series: series, title: text.isEmpty ? nil : text, xLabel: "x₁", yLabel: "x₂",
                         equalAxes: true, legend: .below, commands: extraCommands)
        }
    }

    /// One panel; beyond eight sets, small multiples on one range (a panel per set).
    public func document() throws -> PlotDocument {
        let summary = "scatter of " + sets.map { "\($0.label) (\($0.points.rows) points)" }.joined(separator: ", ")
        let panel = try self.panel
        guard sets.count > Palette.cycle.count else { return PlotDocument(panels: [panel], width: width, height: height, summary: summary) }
        var panels = panel.smallMultiples()
        for k in panels.indices { panels[k].title = panel.series[k].label }
        let columns = min(4, panels.count), rows = (panels.count + columns - 1) / columns
        return PlotDocument(panels: panels, title: panel.title, columns: columns, width: columns * 420, height: rows * 440 + 60,
                            summary: summary, sharedRanges: true)
    }
}
