import Foundation
import MongePlot
import Testing

/// The script and data a figure writes, checked without running gnuplot.
@Suite("Plot documents (no gnuplot needed)")
struct DocumentTests {
    @Test func formatsComeFromTheExtension() throws {
        #expect(try ImageFormat(path: "a/b.png") == .png)
        #expect(try ImageFormat(path: "b.SVG") == .svg)
        #expect(try ImageFormat(path: "b.pdf") == .pdf)
        for bad in ["b.jpg", "b", "b.png.txt"] {
            #expect {
                _ = try ImageFormat(path: bad)
            } throws: { error in
                guard case let MongeError.invalidArgument(_, message) = error else { return false }
                return message.contains(".png") && message.contains(".svg") && message.contains(".pdf")
            }
        }
    }

    @Test func titlesCarryRunDetails() {
        #expect(FigureTitle("DDIB", n: 1000, seed: 0, steps: 50).rendered == "DDIB (n = 1000, seed = 0, steps = 50)")
        #expect(FigureTitle("DDIB", seed: 3).rendered == "DDIB (seed = 3)")
        #expect(FigureTitle("plain").rendered == "plain")
    }

    @Test func labelsAreQuotedAndEscapedForEnhancedText() {
        #expect(Gnuplot.quoted("it's") == "'it''s'")
        #expect(Gnuplot.quotedLabel("moons_to_25{g}") == "'moons\\_to\\_25\\{g\\}'")
    }

    @Test func transportMapDataHoldsEveryPointAndTheArrows() throws {
        let (source, target, mapped) = sampleMap(n: 30)
        let document = try TransportMapFigure(source: source, target: target, mapped: mapped).document()
        // Blocks: target, source, mapped, arrows — separated by two blank lines.
        let blocks = document.dataText().components(separatedBy: "\n\n\n")
        #expect(blocks.count == 4)
        let rows = blocks.map { $0.split(separator: "\n").filter { !$0.hasPrefix("#") } }
        #expect(rows.map(\.count) == [60, 30, 30, 30])
        // Arrow i starts at source i and ends at mapped i (dx, dy = T(x) − x).
        let arrow = rows[3][7].split(separator: " ").map { Double($0)! }
        #expect(arrow == [source[7, 0], source[7, 1], mapped[7, 0] - source[7, 0], mapped[7, 1] - source[7, 1]])
        let script = document.scriptText(format: .png, outputName: "m.png", dataName: "m.png.dat")
        #expect(script.contains("set size ratio -1"))
        #expect(script.contains("index 3 using 1:2:3:4 with vectors"))
        #expect(script.contains("set terminal pngcairo"))
    }

    @Test func arrowsAreThinnedWithASeededChoice() throws {
        let (source, _, mapped) = sampleMap(n: 500)
        let a = TransportMapFigure(source: source, mapped: mapped, maxArrows: 50, arrowSeed: 1)
        let b = TransportMapFigure(source: source, mapped: mapped, maxArrows: 50, arrowSeed: 1)
        let c = TransportMapFigure(source: source, mapped: mapped, maxArrows: 50, arrowSeed: 2)
        #expect(a.arrowRows.count == 50 && Set(a.arrowRows).count == 50)
        #expect(a.arrowRows == b.arrowRows && a.arrowRows != c.arrowRows)
        #expect(a.arrowRows == a.arrowRows.sorted() && a.arrowRows.allSatisfy { (0..<500).contains($0) })
        #expect(TransportMapFigure(source: source, mapped: mapped, maxArrows: 600).arrowRows == Array(0..<500))
        let blocks = try a.document().dataText().components(separatedBy: "\n\n\n")
        #expect(blocks[2].split(separator: "\n").filter { !$0.hasPrefix("#") }.count == 50)
    }

    @Test func badInputIsAClearError() {
        let (source, _, mapped) = sampleMap(n: 10)
        #expect(throws: MongeError.self) { _ = try TransportMapFigure(source: source, mapped: mapped.rows(0..<9)).document() }
        var bad = source
        bad[3, 1] = .nan
        #expect(throws: MongeError.self) { _ = try TransportMapFigure(source: bad, mapped: mapped).document() }
        #expect(throws: MongeError.self) { _ = try ScatterFigure([]).document() }
        #expect(throws: MongeError.self) {
            _ = try CurveFigure([Curve(x: [0, 2], y: [1, 1], label: "e")], logX: true).document()  // (y ≤ 0 goes to the floor)
        }
        #expect(throws: MongeError.self) { _ = try CurveFigure([Curve(x: [1, 2], y: [1], label: "e")]).document() }
    }

    @Test func sideBySideSharesRangesAndArrows() throws {
        let (source, target, mapped) = sampleMap(n: 400)
        let exact = source.map { $0 + 1 }
        let figure = try SideBySideFigure.transportComparison(source: source, target: target, mapped: mapped, exact: exact,
                                                              title: FigureTitle("compare", n: 400), maxArrows: 40)
        let document = try figure.document()
        #expect(document.panels.count == 2 && document.columns == 2)
        #expect(document.panels[0].xRange == document.panels[1].xRange && document.panels[0].xRange != nil)
        // Same arrow rows on both panels: the arrow start points agree.
        #expect(document.panels[0].series.last!.columns[0] == document.panels[1].series.last!.columns[0])
        let script = document.scriptText(format: .svg, outputName: "c.svg", dataName: "c.svg.dat")
        #expect(script.contains("set multiplot layout 1,2 title 'compare (n = 400)'"))
        #expect(script.contains("unset multiplot"))
    }
}
