import Foundation
import MongePlot
import TestSupport
import Testing

/// Grids of small images: where each pixel lands in the data, the script's `with image` and row
/// labels, the render through gnuplot, and bad input writing nothing.
@Suite("Image grids")
struct ImageGridTests {
    /// k 8×8 images; image t has one lit pixel (value 1) at row t % 8, column (3t) % 8, the rest −1.
    static func images(_ k: Int) -> Matrix<Double> {
        Matrix(rows: k, columns: 64) { t, p in p == (t % 8) * 8 + (3 * t) % 8 ? 1 : -1 }
    }

    @Test("Pixel (i, j) of tile t sits at x = 9·col + j, y = −(9·row + i); values are clamped")
    func layout() throws {
        var images = Self.images(5)
        images[4, 0] = 7  // clamped to 1
        let document = try ImageGridFigure(images: images, columns: 3).document()
        let panel = try #require(document.panels.first)
        #expect(panel.series.count == 5)
        for t in 0..<5 {
            let (row, col) = (t / 3, t % 3)
            let series = panel.series[t]
            #expect(series.style == .image && series.rowCount == 64)
            let lit = try #require(series.columns[2].lastIndex(of: 1))
            #expect(series.columns[0][lit] == Double(9 * col + (3 * t) % 8))
            #expect(series.columns[1][lit] == -Double(9 * row + t % 8))
        }
        #expect(panel.series[4].columns[2][0] == 1)
        #expect(panel.xRange == -0.5...25.5 && panel.yRange == -16.5...0.5)
        let script = document.scriptText(format: .png, outputName: "g.png", dataName: "g.png.dat")
        #expect(script.contains("using 1:2:3 with image pixels"))
        #expect(script.contains("set palette gray negative") && script.contains("set cbrange [-1.0:1.0]"))
    }

    @Test("Source → DDIB → exact OT rows line up image j of each set, labelled")
    func comparisonRows() throws {
        let x = Self.images(6), y = Self.images(6).map { -$0 }, z = Self.images(6).map { $0 * 0.5 }
        let figure = try ImageGridFigure.translationComparison(source: x, mapped: y, exact: z, count: 4)
        #expect(figure.columns == 4 && figure.gridRows == 3 && figure.images.rows == 12)
        #expect(figure.images.row(4) == y.row(0) && figure.images.row(9) == z.row(1))
        let script = try figure.document().scriptText(format: .png, outputName: "c.png", dataName: "c.png.dat")
        for label in ["source", "DDIB", "exact OT"] { #expect(script.contains("'\(label)'") || script.contains("\"\(label)\"")) }
        #expect(throws: MongeError.self) {
            try ImageGridFigure.translationComparison(source: x, mapped: y.rows(0..<5), exact: z, count: 4)
        }
    }

    @Test("Bad shapes and values are errors before anything is written")
    func invalidInput() throws {
        let folder = TestSupport.temporaryFolder("monge-plot")
        #expect(throws: MongeError.self) { try ImageGridFigure(images: Matrix(rows: 2, columns: 63), columns: 2).render(to: folder + "/a.png") }
        #expect(throws: MongeError.self) { try ImageGridFigure(images: Self.images(2), columns: 0).render(to: folder + "/b.png") }
        #expect(throws: MongeError.self) { try ImageGridFigure(images: Self.images(4), columns: 2, rowLabels: ["one"]).render(to: folder + "/c.png") }
        var nan = Self.images(2)
        nan[1, 3] = .nan
        #expect(throws: MongeError.self) { try ImageGridFigure(images: nan, columns: 2).render(to: folder + "/d.png") }
        #expect(TestSupport.files(in: folder).isEmpty)
    }

    @Test("Renders a PNG with its script and data beside it", .enabled(if: PlotEnvironment.hasGnuplot, PlotEnvironment.skipReason))
    func render() throws {
        let folder = TestSupport.temporaryFolder("monge-plot")
        let x = Self.images(8)
        let files = try ImageGridFigure.rows([("source", x), ("mapped", x.map { -$0 })], count: 8,
                                             title: FigureTitle("grid", n: 8, seed: 1)).render(to: folder + "/grid.png")
        #expect(Signature.starts(files.figure, with: Signature.png))
        #expect(TestSupport.files(in: folder) == ["grid.png", "grid.png.dat", "grid.png.gp"])
        let data = try String(contentsOfFile: files.data, encoding: .utf8)
        #expect(data.components(separatedBy: "(x y value)").count - 1 == 16)
    }
}
