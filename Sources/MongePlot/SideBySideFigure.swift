/// Several panels in one row (gnuplot multiplot), e.g. a bridge's arrows next to the exact OT
/// map's arrows on the same points. With `sharedAxes` every panel gets the same x and y ranges
/// (the union of their extents, padded by `Panel.margin`), so lengths compare across panels.
public struct SideBySideFigure: Figure {
    public var panels: [Panel]
    public var title: FigureTitle
    public var sharedAxes: Bool
    public var panelWidth: Int
    public var height: Int

    public init(panels: [Panel], title: FigureTitle = "", sharedAxes: Bool = true,
                panelWidth: Int = 760, height: Int = 820) {
        self.panels = panels
        self.title = title
        self.sharedAxes = sharedAxes
        self.panelWidth = panelWidth
        self.height = height
    }

    /// Two transport maps of the same source points — e.g. `mapped` by a diffusion bridge and
    /// `exact` by the optimal transport plan — with the same arrows drawn in both.
    public static func transportComparison(
        source: Matrix<Double>, target: Matrix<Double>? = nil,
        mapped: Matrix<Double>, mappedTitle: String = "bridge map",
        exact: Matrix<Double>, exactTitle: String = "exact OT map",
        title: FigureTitle = "", maxArrows: Int = 300, arrowSeed: UInt64 = 0
    ) throws -> SideBySideFigure {
        let left = TransportMapFigure(source: source, target: target, mapped: mapped, title: FigureTitle(mappedTitle),
                                      maxArrows: maxArrows, arrowSeed: arrowSeed)
        var right = TransportMapFigure(source: source, target: target, mapped: exact, title: FigureTitle(exactTitle),
                                       maxArrows: maxArrows, arrowSeed: arrowSeed)
        right.mappedLabel = "T*(x)"
        right.mappedColor = Palette.green  // another thing than the bridge's T(x): another colour
        return SideBySideFigure(panels: [try left.panel, try right.panel], title: title)
    }

    public func document() throws -> PlotDocument {
        guard !panels.isEmpty else { throw MongeError.invalidArgument(name: "panels", message: "no panels to plot") }
        let panels = self.panels
        for (k, panel) in panels.enumerated() { try panel.validate("panel \(k + 1)") }
        let text = title.rendered
        var document = PlotDocument(panels: panels, title: text.isEmpty ? nil : text, columns: panels.count,
                                    width: panelWidth * panels.count, height: height,
                                    summary: "\(panels.count) panels side by side: " + panels.map { $0.title ?? "untitled" }.joined(separator: " | "),
                                    sharedRanges: sharedAxes)
        // Equal axes on shared ranges: a canvas of the data's aspect (no bands of empty space).
        if sharedAxes, document.panels.allSatisfy(\.equalAxes), let x = document.panels[0].xRange, let y = document.panels[0].yRange {
            let aspect = (y.upperBound - y.lowerBound) / max(x.upperBound - x.lowerBound, 1e-12)
            document.height = min(height, max(360, Int(Double(panelWidth - 120) * aspect) + 240))
        }
        return document
    }
}
