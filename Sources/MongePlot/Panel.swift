/// One set of axes: its series, labels, scales, and any extra gnuplot commands.
public struct Panel: Sendable, Equatable {
    public var series: [Series]
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?
    /// One unit on x has the length of one unit on y (`set size ratio -1`): for 2-D point sets.
    public var equalAxes: Bool
    public var logX: Bool
    public var logY: Bool
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    /// gnuplot `set key` placement, e.g. "top right", "outside right top", "bottom left".
    public var keyPlacement: String
    /// Extra gnuplot commands run just before `plot` (restyling, ranges, labels…).
    public var commands: [String]

    public init(series: [Series], title: String? = nil, xLabel: String? = nil, yLabel: String? = nil,
                equalAxes: Bool = false, logX: Bool = false, logY: Bool = false,
                xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
                keyPlacement: String = "top right", commands: [String] = []) {
        self.series = series
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.equalAxes = equalAxes
        self.logX = logX
        self.logY = logY
        self.xRange = xRange
        self.yRange = yRange
        self.keyPlacement = keyPlacement
        self.commands = commands
    }

    /// The union of the series' extents.
    public var bounds: (x: ClosedRange<Double>, y: ClosedRange<Double>)? {
        series.compactMap(\.bounds).reduce(nil) { union, b in
            guard let union else { return b }
            return (min(union.x.lowerBound, b.x.lowerBound)...max(union.x.upperBound, b.x.upperBound),
                    min(union.y.lowerBound, b.y.lowerBound)...max(union.y.upperBound, b.y.upperBound))
        }
    }

    /// Throws when a value is not finite or, on a log axis, not positive; or columns are ragged.
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
            if logY, s.columns.count > 1, let i = s.columns[1].firstIndex(where: { $0 <= 0 }) {
                throw MongeError.invalidArgument(name: "y", message: "\(name): row \(i) has y = \(s.columns[1][i]), not positive on a log axis")
            }
        }
    }
}
