/// A transport map x ↦ T(x) on 2-D points: the source points, their images T(x), optionally the
/// target sample, and an arrow from each x to T(x) — thinned to at most `maxArrows` arrows,
/// chosen uniformly at random with `arrowSeed` (the same seed and n give the same arrows, so
/// two maps of the same points can be compared arrow by arrow).
///
/// `TransportMapFigure(source: x, target: y, mapped: tx, title: "DDIB").render(to: "map.png")`
public struct TransportMapFigure: Figure {
    /// [n, 2] source points x.
    public var source: Matrix<Double>
    /// [m, 2] target sample, drawn underneath in grey; nil to leave it out.
    public var target: Matrix<Double>?
    /// [n, 2] images T(x); row i is the image of source row i.
    public var mapped: Matrix<Double>
    public var title: FigureTitle
    public var maxArrows: Int
    public var arrowSeed: UInt64
    public var sourceLabel: String
    public var mappedLabel: String
    public var targetLabel: String
    /// The colour of the images T(x) (another for an exact OT map beside a bridge's).
    public var mappedColor: String = Palette.vermillion
    /// Extra gnuplot commands run before `plot`.
    public var extraCommands: [String]
    public var width: Int
    public var height: Int

    public init(source: Matrix<Double>, target: Matrix<Double>? = nil, mapped: Matrix<Double>,
                title: FigureTitle = "", maxArrows: Int = 300, arrowSeed: UInt64 = 0,
                sourceLabel: String = "source x", mappedLabel: String = "T(x)", targetLabel: String = "target sample",
                extraCommands: [String] = [], width: Int = 800, height: Int = 860) {
        self.source = source
        self.target = target
        self.mapped = mapped
        self.title = title
        self.maxArrows = maxArrows
        self.arrowSeed = arrowSeed
        self.sourceLabel = sourceLabel
        self.mappedLabel = mappedLabel
        self.targetLabel = targetLabel
        self.extraCommands = extraCommands
        self.width = width
        self.height = height
    }

    /// The source rows that get an arrow: all of them when n ≤ maxArrows, else `maxArrows` rows
    /// of a uniform random permutation of 0..<n (seeded by `arrowSeed`), in increasing order.
    public var arrowRows: [Int] {
        let n = source.rows
        guard n > maxArrows else { return Array(0..<n) }
        let permutation = RandomStream(seed: arrowSeed).substream(StreamTag.Label.figureArrows).permutation(n)
        return Array(permutation.prefix(max(0, maxArrows))).sorted()
    }

    public var panel: Panel {
        get throws {
            try checkPoints(source, sourceLabel)
            try checkPoints(mapped, mappedLabel)
            guard mapped.rows == source.rows else {
                throw MongeError.shapeMismatch("\(mappedLabel) has \(mapped.rows) rows for \(source.rows) source points: row i must be the image of source row i")
            }
            guard maxArrows >= 0 else { throw MongeError.invalidArgument(name: "maxArrows", message: "must be ≥ 0, got \(maxArrows)") }
            var series: [Series] = []
            if let target {
                try checkPoints(target, targetLabel)
                series.append(Series(points: target, style: .points(size: pointSize(forCount: target.rows)),
                                     color: Palette.grey, label: targetLabel))
            }
            let size = pointSize(forCount: source.rows)
            series.append(Series(points: source, style: .points(size: size), color: Palette.blue, label: sourceLabel))
            series.append(Series(points: mapped, style: .points(size: size), color: mappedColor, label: mappedLabel))
            let rows = arrowRows
            if !rows.isEmpty {
                let x = rows.map { source[$0, 0] }, y = rows.map { source[$0, 1] }
                let dx = rows.map { mapped[$0, 0] - source[$0, 0] }, dy = rows.map { mapped[$0, 1] - source[$0, 1] }
                let label = rows.count < source.rows ? "x → T(x) (\(rows.count) of \(source.rows))" : "x → T(x)"
                series.append(Series(columns: [x, y, dx, dy], style: .arrows(width: 0.8), color: "#80000000", label: label))
            }
            let text = title.rendered
            return Panel(series: series, title: text.isEmpty ? nil : text, xLabel: "x₁", yLabel: "x₂",
                         equalAxes: true, legend: .below, commands: extraCommands)
        }
    }

    public func document() throws -> PlotDocument {
        PlotDocument(panels: [try panel], width: width, height: height,
                     summary: "transport map of \(source.rows) points (\(sourceLabel) → \(mappedLabel))")
    }
}
