import Foundation

/// One set of axes: its series, labels, scales, and any extra gnuplot commands.
///
/// The rules that make a figure fit for a paper live here and in `PlotDocument`, so that every
/// figure follows them: the legend sits outside the axes (`Legend`), axis ranges are fitted to
/// the data with a small margin (`fitted()`), and zeros on a log axis are drawn on a marked floor
/// that the title's caption explains (`flooringLogZeros()`).
public struct Panel: Sendable, Equatable {
    /// Where the legend goes: always outside the plot area, so it never covers data.
    public enum Legend: Sendable, Equatable {
        /// Under the axes, entries side by side (wide labels, 2-D point clouds).
        case below
        /// Right of the axes, one entry per line.
        case right
        /// No legend (unlabelled series, or small multiples titled by their series).
        case hidden

        var command: String {
            switch self {
            case .below: return "set key outside below center horizontal nobox samplen 2 spacing 1.1"  // (a box would overlap the x label)
            case .right: return "set key outside right top vertical box opaque samplen 2 spacing 1.1"
            case .hidden: return "unset key"
            }
        }
    }

    public var series: [Series]
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?
    /// One unit on x has the length of one unit on y (`set size ratio -1`): for 2-D point sets.
    public var equalAxes: Bool
    public var logX: Bool
    public var logY: Bool
    /// Axis ranges; nil fits them to the data (`fitted()`).
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    public var legend: Legend
    /// Extra gnuplot commands run just before `plot` (restyling, labels…).
    public var commands: [String]
    /// Tick positions on x (e.g. the step counts of a convergence plot); nil lets gnuplot choose.
    public var xTicks: [Double]?
    /// A sentence saying how to read something drawn that the data does not show as is (the log
    /// floor); the document appends it to its title.
    public var caption: String?

    public init(series: [Series], title: String? = nil, xLabel: String? = nil, yLabel: String? = nil,
                equalAxes: Bool = false, logX: Bool = false, logY: Bool = false,
                xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
                legend: Legend = .below, commands: [String] = [], caption: String? = nil) {
        self.series = series
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.equalAxes = equalAxes
        self.logX = logX
        self.logY = logY
        self.xRange = xRange
        self.yRange = yRange
        self.legend = legend
        self.commands = commands
        self.caption = caption
    }

    /// The union of the series' extents.
    public var bounds: (x: ClosedRange<Double>, y: ClosedRange<Double>)? {
        series.compactMap(\.bounds).reduce(nil) { union, b in
            guard let union else { return b }
            return (min(union.x.lowerBound, b.x.lowerBound)...max(union.x.upperBound, b.x.upperBound),
                    min(union.y.lowerBound, b.y.lowerBound)...max(union.y.upperBound, b.y.upperBound))
        }
    }

    /// The fraction of an axis's span added on each side when a range is fitted to the data.
    public static let margin = 0.04

    /// `range` widened by `margin` of its span on each side — multiplicatively on a log axis — and
    /// opened up when it is a single value.
    public static func padded(_ range: ClosedRange<Double>, log: Bool, margin: Double = Panel.margin) -> ClosedRange<Double> {
        if log {
            let (a, b) = (Foundation.log10(range.lowerBound), Foundation.log10(range.upperBound))
            let pad = b > a ? (b - a) * margin : 0.5
            return pow(10, a - pad)...pow(10, b + pad)
        }
        let span = range.upperBound - range.lowerBound
        let pad = span > 0 ? span * margin : max(abs(range.lowerBound) * 0.1, 0.5)
        return (range.lowerBound - pad)...(range.upperBound + pad)
    }

    /// This panel with every range it does not set fitted to the data, padded by `margin`.
    public func fitted() -> Panel {
        var panel = self
        guard let b = bounds else { return panel }
        if panel.xRange == nil { panel.xRange = Self.padded(b.x, log: logX) }
        if panel.yRange == nil { panel.yRange = Self.padded(b.y, log: logY) }
        return panel
    }

    /// On a log y axis, the values ≤ 0 (which a log axis cannot show) moved onto a floor one decade
    /// below the smallest positive value (rounded down to a power of ten), each marked with a
    /// down-pointing triangle in its series' colour, a dashed line along the floor in the legend,
    /// and `caption` saying so. Unchanged when there is nothing to floor.
    /// `floor` given (one for all the panels of a figure: `PlotDocument`) replaces that choice.
    public func flooringLogZeros(at given: Double? = nil) -> Panel {
        guard logY else { return self }
        let plotted = series.indices.filter { series[$0].columns.count >= 2 && series[$0].style.isCurveLike }
        let ys = plotted.flatMap { series[$0].columns[1] }
        guard ys.contains(where: { $0 <= 0 }) else { return self }
        let floor = given ?? Self.logFloor(below: ys)
        var panel = self
        var marks: [Series] = []
        for k in plotted {
            let column = panel.series[k].columns[1]
            let rows = column.indices.filter { column[$0] <= 0 }
            guard !rows.isEmpty else { continue }
            panel.series[k].columns[1] = column.map { $0 <= 0 ? floor : $0 }
            marks.append(Series(columns: [rows.map { panel.series[k].columns[0][$0] }, rows.map { _ in floor }],
                                style: .floorMarks(size: 1.3), color: panel.series[k].color, label: nil))
        }
        let xs = plotted.flatMap { series[$0].columns[0] }
        let text = Self.powerOfTen(floor)
        panel.series.append(Series(columns: [[xs.min()!, xs.max()!], [floor, floor]], style: .dashedLine(width: 1),
                                   color: Palette.grey, label: "value ≤ 0, drawn at \(text)"))
        panel.series += marks
        panel.caption = "▼ on the dashed floor at \(text): a value ≤ 0, which a log axis cannot show"
        return panel
    }

    /// One decade below the smallest positive value of `values`, rounded down to a power of ten
    /// (1 when none is positive).
    public static func logFloor(below values: [Double]) -> Double {
        values.filter { $0 > 0 }.min().map { pow(10, Foundation.log10($0).rounded(.down) - 1) } ?? 1
    }

    /// The y values a log floor applies to (those of points and lines).
    var curveValues: [Double] {
        series.filter { $0.columns.count >= 2 && $0.style.isCurveLike }.flatMap { $0.columns[1] }
    }

    /// 10^k as text, e.g. "1e-06".
    static func powerOfTen(_ value: Double) -> String {
        String(format: "%.0e", value)
    }

    /// Throws when a value is not finite or, on a log x axis, not positive; or columns are ragged.
    /// (Values ≤ 0 on a log y axis are drawn on a floor: `flooringLogZeros()`.)
    func validate(_ what: String) throws {
        for s in series {
            let name = "\(what): \(s.label ?? "series")"
            guard s.columns.allSatisfy({ $0.count == s.rowCount }) else {
                throw MongeError.shapeMismatch("\(name): columns of different lengths")
            }
            for (c, column) in s.columns.enumerated() {
                if let i = column.firstIndex(where: { !$0.isFinite }) {
                    throw MongeError.nonFinite("\(name): row \(i), column \(c) is \(column[i])")
                }
            }
            if logX, let i = s.columns[0].firstIndex(where: { $0 <= 0 }) {
                throw MongeError.invalidArgument(name: "x", message: "\(name): row \(i) has x = \(s.columns[0][i]), not positive on a log axis")
            }
            if logY, !s.style.isCurveLike, s.columns.count > 1, let i = s.columns[1].firstIndex(where: { $0 <= 0 }) {
                throw MongeError.invalidArgument(name: "y", message: "\(name): row \(i) has y = \(s.columns[1][i]), not positive on a log axis")
            }
        }
    }

    /// One panel per series, titled by its label, all in the first palette colour: small multiples, for more series than `Palette.cycle` has distinct colours.
    /// (`PlotDocument(sharedRanges: true)` gives them one set of ranges.)
    public func smallMultiples() -> [Panel] {
        series.map { s in
            var one = s
            one.color = Palette.color(0)
            one.label = nil
            return Panel(series: [one], title: s.label, xLabel: xLabel, yLabel: yLabel, equalAxes: equalAxes,
                         logX: logX, logY: logY, xRange: xRange, yRange: yRange, legend: .hidden, commands: commands)
        }
    }
}
