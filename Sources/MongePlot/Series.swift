/// One plotted data set of a panel: its columns, how it is drawn, its colour and legend entry.
public struct Series: Sendable, Equatable {
    public enum Style: Sendable, Equatable {
        /// Filled circles of gnuplot point size `size`; columns x, y.
        case points(size: Double)
        /// Lines of width `width`; columns x, y.
        case lines(width: Double)
        /// Lines with a filled circle at each point; columns x, y.
        case linesPoints(width: Double, size: Double)
        /// Arrows from (x, y) by (dx, dy) with a small filled head; columns x, y, dx, dy.
        case arrows(width: Double)
        /// Points of gnuplot point size `size` with horizontal and vertical error bars; columns
        /// x, y, x low, x high, y low, y high.
        case xyErrorBars(size: Double)
        /// Down-pointing filled triangles of gnuplot point size `size`: values drawn on a log
        /// axis's floor (`Panel.flooringLogZeros()`); columns x, y.
        case floorMarks(size: Double)
        /// A dashed line of width `width` (a floor or a reference level); columns x, y.
        case dashedLine(width: Double)
        /// Pixels of one grey image (gnuplot `with image`, coloured by the panel's palette);
        /// columns x, y, value on a regular grid.
        case image
    }

    /// Column-major data: `columns[c][i]` is value c of row i; all columns have one length.
    public var columns: [[Double]]
    public var style: Style
    /// "#RRGGBB", or "#AARRGGBB" with AA the transparency (00 opaque, FF invisible).
    public var color: String
    /// The legend entry; nil leaves the series out of the legend.
    public var label: String?

    public init(columns: [[Double]], style: Style, color: String, label: String?) {
        self.columns = columns
        self.style = style
        self.color = color
        self.label = label
    }

    /// x, y columns of an [n, 2] matrix.
    public init(points: Matrix<Double>, style: Style, color: String, label: String?) {
        self.init(columns: [points.column(0), points.column(1)], style: style, color: color, label: label)
    }

    public var rowCount: Int { columns.first?.count ?? 0 }

    /// The colour without its transparency, lowercased ("#80000000" → "#000000"): what the eye
    /// compares.
    public var opaqueColor: String {
        let hex = color.lowercased()
        return hex.count == 9 ? "#" + hex.suffix(6) : hex
    }

    /// The `with …` clause of gnuplot's plot command.
    var withClause: String {
        switch style {
        case let .points(size):
            return "with points pt 7 ps \(size) lc rgb '\(color)'"
        case let .lines(width):
            return "with lines lw \(width) lc rgb '\(color)'"
        case let .linesPoints(width, size):
            return "with linespoints lw \(width) pt 7 ps \(size) lc rgb '\(color)'"
        case let .arrows(width):
            return "with vectors head filled size screen 0.006,20 lw \(width) lc rgb '\(color)'"
        case let .xyErrorBars(size):
            return "with xyerrorbars pt 7 ps \(size) lw 1.5 lc rgb '\(color)'"
        case let .floorMarks(size):
            return "with points pt 11 ps \(size) lc rgb '\(color)'"
        case let .dashedLine(width):
            return "with lines lw \(width) dt 2 lc rgb '\(color)'"
        case .image:
            return "with image pixels"
        }
    }

    var usingClause: String {
        switch style {
        case .arrows: return "using 1:2:3:4"
        case .image: return "using 1:2:3"
        case .xyErrorBars: return "using 1:2:3:4:5:6"
        default: return "using 1:2"
        }
    }

    /// The extent of what is drawn: points, both ends of each arrow, or the ends of error bars.
    var bounds: (x: ClosedRange<Double>, y: ClosedRange<Double>)? {
        guard rowCount > 0, columns.count >= 2 else { return nil }
        var xs = columns[0], ys = columns[1]
        if case .xyErrorBars = style, columns.count >= 6 {
            xs += columns[2] + columns[3]
            ys += columns[4] + columns[5]
        }
        if case .arrows = style, columns.count >= 4 {
            xs += zip(columns[0], columns[2]).map { $0 + $1 }
            ys += zip(columns[1], columns[3]).map { $0 + $1 }
        }
        return (xs.min()!...xs.max()!, ys.min()!...ys.max()!)
    }
}

/// Colour-blind-safe colours (Okabe & Ito 2008), in the order point sets take them: eight
/// distinguishable colours, and grey for backgrounds (a target sample, a floor). A figure never
/// gives two series the same colour (`PlotDocument.checkColours()`); beyond eight series it becomes
/// small multiples (`Panel.smallMultiples()`).
public enum Palette {
    public static let blue = "#0072B2"
    public static let vermillion = "#D55E00"
    public static let green = "#009E73"
    public static let orange = "#E69F00"
    public static let skyBlue = "#56B4E9"
    public static let purple = "#CC79A7"
    public static let yellow = "#F0E442"
    public static let black = "#000000"
    public static let grey = "#9A9A9A"

    public static let cycle = [blue, vermillion, green, orange, purple, skyBlue, yellow, black]

    /// Colour k of the cycle (wrapping; figures never need more than `cycle.count`).
    public static func color(_ k: Int) -> String { cycle[k % cycle.count] }
}

extension Series.Style {
    /// Points or lines at (x, y): the styles whose values ≤ 0 a log y axis draws on its floor.
    var isCurveLike: Bool {
        switch self {
        case .points, .lines, .linesPoints, .floorMarks, .dashedLine: return true
        case .arrows, .xyErrorBars, .image: return false
        }
    }
}
