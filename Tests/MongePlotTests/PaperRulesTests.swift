import Foundation
import MongePlot
import Testing

/// The rules every figure follows (issue 10, item 6), read off the generated gnuplot scripts and
/// data: legends outside the axes, one colour per series, small multiples beyond eight series,
/// zeros on a log axis on a marked and captioned floor, ranges fitted to the data.
@Suite("Figures fit for a paper (scripts, no gnuplot needed)")
struct PaperRulesTests {
    func script(_ document: PlotDocument) -> String {
        document.scriptText(format: .png, outputName: "f.png", dataName: "f.png.dat")
    }

    /// The `set key` lines of a script.
    func keyLines(_ script: String) -> [String] {
        script.split(separator: "\n").map(String.init).filter { $0.hasPrefix("set key") || $0.hasPrefix("unset key") }
    }

    func figures() throws -> [(String, PlotDocument)] {
        let (source, target, mapped) = sampleMap(n: 60)
        return [
            ("curve", try CurveFigure([Curve(x: [1, 2, 3], y: [3, 2, 1], label: "a"), Curve(x: [1, 2, 3], y: [1, 2, 3], label: "b")]).document()),
            ("scatter", try ScatterFigure([PointSet(source, label: "x"), PointSet(target, label: "y")]).document()),
            ("map", try TransportMapFigure(source: source, target: target, mapped: mapped).document()),
            ("side by side", try SideBySideFigure.transportComparison(source: source, target: target, mapped: mapped, exact: target.rows(0..<60)).document()),
            ("intervals", try IntervalFigure([IntervalSet([IntervalPoint(x: 1, y: 2), IntervalPoint(x: 2, xLow: 1.5, xHigh: 2.5, y: 1, yLow: 0.5, yHigh: 1.5)], label: "m")]).document()),
        ]
    }

    @Test func legendsAreOutsideThePlotArea() throws {
        for (name, document) in try figures() {
            let keys = keyLines(script(document))
            #expect(!keys.isEmpty, "\(name): no key line")
            for line in keys {
                #expect(line == "unset key" || line.hasPrefix("set key outside"), "\(name): \(line)")
            }
        }
    }

    @Test func everySeriesOfAFigureHasItsOwnColour() throws {
        for (name, document) in try figures() {
            try document.checkColours()
            // Distinct legend labels, distinct colours (transparency aside), across all panels.
            var colourOf: [String: String] = [:]
            for series in document.panels.flatMap(\.series) {
                guard let label = series.label else { continue }
                colourOf[label] = series.opaqueColor
            }
            #expect(Set(colourOf.values).count == colourOf.count, "\(name): \(colourOf)")
        }
        // The exact OT map's images are not the bridge's: another colour.
        let side = try figures()[3].1
        let mapped = side.panels.flatMap(\.series).filter { $0.label == "T(x)" || $0.label == "T*(x)" }
        #expect(Set(mapped.map(\.color)).count == 2)
        // Two things in one colour are refused.
        let clash = PlotDocument(panels: [Panel(series: [
            Series(columns: [[1], [1]], style: .points(size: 1), color: Palette.blue, label: "a"),
            Series(columns: [[2], [2]], style: .points(size: 1), color: "#800072B2", label: "b")])], summary: "clash")
        #expect(throws: MongeError.self) { try clash.checkColours() }
    }

    @Test func moreThanEightCurvesBecomeSmallMultiples() throws {
        // 13 pairs × 2 solvers: one panel per pair, the solvers' two colours the same in every panel.
        let pairs = (0..<13).map { "pair \($0)" }
        let curves = pairs.flatMap { pair in
            ["ddim", "heun"].map { Curve(x: [10, 100], y: [0.1, 0.01], label: $0, group: pair) }
        }
        let grouped = try CurveFigure(curves, logX: true, logY: true).document()
        #expect(grouped.panels.count == 13)
        #expect(grouped.panels.map(\.title) == pairs)
        try grouped.checkColours()
        let colours = Set(grouped.panels.flatMap(\.series).compactMap { series in series.label.map { "\($0) \(series.color)" } })
        #expect(colours.count == 2, "\(colours)")
        #expect(Set(grouped.panels.map(\.xRange)).count == 1 && Set(grouped.panels.map(\.yRange)).count == 1, "one range for all panels")
        // Ungrouped: a panel per curve, titled by it, no legend.
        let ten = (0..<10).map { Curve(x: [1, 2], y: [Double($0), 1], label: "c\($0)") }
        let single = try CurveFigure(ten).document()
        #expect(single.panels.count == 10 && single.panels.allSatisfy { $0.legend == .hidden && $0.title != nil })
        try single.checkColours()
        // Up to eight: one panel, eight colours.
        let eight = try CurveFigure(Array(ten.prefix(8))).document()
        #expect(eight.panels.count == 1 && Set(eight.panels[0].series.map(\.color)).count == 8)
        // Nine point sets: small multiples too.
        let sets = (0..<9).map { PointSet(sampleMap(n: 10).source.map { $0 + Double($0) }, label: "s\($0)") }
        #expect(try ScatterFigure(sets).document().panels.count == 9)
    }

    @Test func zerosOnALogAxisAreDrawnOnAMarkedFloorAndCaptioned() throws {
        let figure = CurveFigure([Curve(x: [10, 20, 50], y: [3e-3, 0, 2e-2], label: "gap")], title: "t",
                                 logX: true, logY: true)
        let document = try figure.document()
        let series = document.panels[0].series
        // The zero sits on the floor one decade below 3e-3 rounded down: 1e-4.
        #expect(series[0].columns[1] == [3e-3, 1e-4, 2e-2])
        let marks = series.filter { if case .floorMarks = $0.style { return true } else { return false } }
        #expect(marks.count == 1 && marks[0].columns[0] == [20] && marks[0].columns[1] == [1e-4])
        #expect(series.contains { $0.label == "value ≤ 0, drawn at 1e-04" })
        #expect(document.panels[0].yRange!.lowerBound < 1e-4, "the floor is inside the range")
        let text = script(document)
        #expect(text.contains("pt 11"), "floor marks")
        #expect(text.contains("dt 2"), "the dashed floor")
        #expect(text.contains("set title 't' . \"\\n\" . '▼ on the dashed floor at 1e-04"), "caption under the title: \(text)")
        // Nothing ≤ 0: no floor, no caption.
        let positive = try CurveFigure([Curve(x: [10, 20], y: [1, 2], label: "gap")], logX: true, logY: true).document()
        #expect(positive.caption == nil && positive.panels[0].series.count == 1)
        // Small multiples share one floor: the smallest positive value of any panel sets it, and a
        // panel of zeros only sits on it too (one legend entry, one colour).
        let groups = (0..<5).flatMap { g in
            ["ddim", "heun"].map { Curve(x: [10, 100], y: g == 0 ? [0, 0] : [g == 1 ? 2e-5 : 0.5, 0], label: $0, group: "p\(g)") }
        }
        let multiples = try CurveFigure(groups, logX: true, logY: true).document()
        try multiples.checkColours()
        #expect(Set(multiples.panels.flatMap(\.series).compactMap(\.label).filter { $0.hasPrefix("value ≤ 0") }) == ["value ≤ 0, drawn at 1e-06"])
        // A negative value (a rounding error below an exact zero) goes to the floor too.
        let negative = try CurveFigure([Curve(x: [10, 20], y: [-1e-17, 0.5], label: "gap")], logX: true, logY: true).document()
        #expect(negative.panels[0].series[0].columns[1] == [1e-2, 0.5])
    }

    @Test func rangesAreFittedToTheDataWithASmallMargin() throws {
        // Log x from 10 to 200: the range hugs it (no empty decade up to 1000).
        let curve = try CurveFigure([Curve(x: [10, 200], y: [1, 2], label: "a")], logX: true).document()
        let x = try #require(curve.panels[0].xRange)
        #expect(x.lowerBound < 10 && x.lowerBound > 8 && x.upperBound > 200 && x.upperBound < 250, "\(x)")
        #expect(script(curve).contains("set xrange [\(x.lowerBound):\(x.upperBound)]"))
        // A point cloud: equal aspect, each range the data's ± 4 % of its span.
        let (source, _, _) = sampleMap(n: 50)
        let scatter = try ScatterFigure([PointSet(source, label: "x")]).document()
        let panel = scatter.panels[0]
        let xs = source.column(0), ys = source.column(1)
        let spanX = xs.max()! - xs.min()!, spanY = ys.max()! - ys.min()!
        #expect(abs(panel.xRange!.lowerBound - (xs.min()! - 0.04 * spanX)) < 1e-12)
        #expect(abs(panel.yRange!.upperBound - (ys.max()! + 0.04 * spanY)) < 1e-12)
        #expect(script(scatter).contains("set size ratio -1"))
    }

    @Test func titlesCarryTheSeedGiven() throws {
        let document = try CurveFigure([Curve(x: [1, 2], y: [1, 2], label: "a")], title: FigureTitle("steps", n: 10, seed: 7)).document()
        #expect(script(document).contains("set title 'steps (n = 10, seed = 7)'"))
    }
}
