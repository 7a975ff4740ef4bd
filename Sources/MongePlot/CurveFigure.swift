/// One labelled curve y(x) of a line plot.
public struct Curve: Sendable, Equatable {
    public var x: [Double]
    public var y: [Double]
    public var label: String
    /// A colour ("#RRGGBB"); nil takes the next one of `Palette.cycle`.
    public var color: String?

    public init(x: [Double], y: [Double], label: String, color: String? = nil) {
        self.x = x
        self.y = y
        self.label = label
        self.color = color
    }
}

/// Curves y(x) with markers, optionally on log axes — e.g. error against sampler steps.
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

    public var panel: Panel {
        get throws {
            guard !curves.isEmpty else { throw MongeError.invalidArgument(name: "curves", message: "no curves to plot") }
            var series: [Series] = []
            for (k, curve) in curves.enumerated() {
                guard curve.x.count == curve.y.count, !curve.x.isEmpty else {
                    throw MongeError.shapeMismatch("curve \(curve.label): \(curve.x.count) x values for \(curve.y.count) y values (need equal, non-zero counts)")
                }
                series.append(Series(columns: [curve.x, curve.y], style: .linesPoints(width: 1.5, size: 0.8),
                                     color: curve.color ?? Palette.color(k), label: curve.label))
            }
            let text = title.rendered
            let panel = Panel(series: series, title: text.isEmpty ? nil : text, xLabel: xLabel, yLabel: yLabel,
                              logX: logX, logY: logY, keyPlacement: "top right", commands: extraCommands)
            try panel.validate("curve figure")
            return panel
        }
    }

    public func document() throws -> PlotDocument {
        PlotDocument(panels: [try panel], width: width, height: height,
                     summary: "\(yLabel) against \(xLabel): " + curves.map(\.label).joined(separator: ", "))
    }
}
