import Foundation
import MongePlot
import TestSupport
import Testing

/// Points with error bars: the data columns gnuplot's xyerrorbars reads, the ranges they span,
/// bad intervals as errors, and a rendered PNG.
@Suite("Interval figure")
struct IntervalFigureTests {
    static let sets = [
        IntervalSet([IntervalPoint(x: 1, xLow: 0.5, xHigh: 1.5, y: 2, yLow: 1.8, yHigh: 2.4),
                     IntervalPoint(x: 3, xLow: 2.9, xHigh: 3.2, y: 0.5, yLow: 0.1, yHigh: 0.9)], label: "EGSDE"),
        IntervalSet([IntervalPoint(x: 4, y: 0.2)], label: "DDIB"),
    ]

    @Test func dataHoldsValueAndBothIntervals() throws {
        let document = try IntervalFigure(Self.sets, xLabel: "cost", yLabel: "W2").document()
        let data = document.dataText()
        // Columns x, y, x low, x high, y low, y high — the order of `using 1:2:3:4:5:6`.
        #expect(data.contains("1.0 2.0 0.5 1.5 1.8 2.4\n3.0 0.5 2.9 3.2 0.1 0.9\n"), "\(data)")
        #expect(data.contains("4.0 0.2 4.0 4.0 0.2 0.2\n"), "\(data)")
        let script = document.scriptText(format: .png, outputName: "f.png", dataName: "f.png.dat")
        #expect(script.contains("using 1:2:3:4:5:6 with xyerrorbars"), "\(script)")
        // The panel's extent covers the bars, not only the points.
        let bounds = try #require(try IntervalFigure(Self.sets).panel.bounds)
        #expect(bounds.x == 0.5...4 && bounds.y == 0.1...2.4)
    }

    @Test func badIntervalsAreErrors() {
        let flipped = IntervalSet([IntervalPoint(x: 1, xLow: 1.5, xHigh: 0.5, y: 0, yLow: 0, yHigh: 0)], label: "flipped")
        #expect { try IntervalFigure([flipped]).document() } throws: { "\($0)".contains("flipped, point 1") }
        let nan = IntervalSet([IntervalPoint(x: .nan, y: 1)], label: "nan")
        #expect(throws: MongeError.self) { try IntervalFigure([nan]).document() }
        #expect(throws: MongeError.self) { try IntervalFigure([IntervalSet([], label: "empty")]).document() }
        #expect(throws: MongeError.self) { try IntervalFigure([]).document() }
    }

    @Test(.enabled(if: PlotEnvironment.hasGnuplot, PlotEnvironment.skipReason))
    func rendersAPNG() throws {
        let folder = TestSupport.temporaryFolder("monge-plot")
        try IntervalFigure(Self.sets, title: "realism against cost", xLabel: "cost", yLabel: "W2").render(to: folder + "/i.png")
        #expect(Signature.starts(folder + "/i.png", with: Signature.png))
        #expect(TestSupport.files(in: folder) == ["i.png", "i.png.dat", "i.png.gp"])
    }
}
