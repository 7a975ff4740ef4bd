import Foundation
import MongePlot
import TestSupport
import Testing

/// Figures rendered by gnuplot: the file exists with its format's signature, the script and
/// data are beside it, and every failure leaves no figure.
@Suite("Rendering through gnuplot", .enabled(if: PlotEnvironment.hasGnuplot, PlotEnvironment.skipReason))
struct RenderTests {
    @Test func transportMapPNG() throws {
        let folder = TestSupport.temporaryFolder("monge-plot")
        let (source, target, mapped) = sampleMap()
        let path = folder + "/map.png"
        let files = try TransportMapFigure(source: source, target: target, mapped: mapped,
                                           title: FigureTitle("shear map", n: 40, seed: 12)).render(to: path)
        #expect(Signature.starts(path, with: Signature.png))
        #expect(FileManager.default.fileExists(atPath: path + ".gp"))
        #expect(FileManager.default.fileExists(atPath: path + ".dat"))
        #expect(files.script == path + ".gp" && files.data == path + ".dat")
        // Nothing else is left behind (no temporary files).
        #expect(TestSupport.files(in: folder) == ["map.png", "map.png.dat", "map.png.gp"])
        // The script re-runs on its own from the figure's folder.
        try FileManager.default.removeItem(atPath: path)
        let rerun = try TestSupport.run("/usr/bin/env", ["gnuplot", "map.png.gp"], currentDirectory: folder)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(Signature.starts(path, with: Signature.png))
    }

    /// The paper rules' gnuplot: a caption under the title, floor marks, small multiples with a
    /// multiplot title, keys outside — gnuplot accepts them all.
    @Test func floorsAndSmallMultiplesRender() throws {
        let folder = TestSupport.temporaryFolder("monge-plot")
        let curves = (0..<5).flatMap { pair in
            ["ddim", "heun"].map { Curve(x: [10, 100, 1000], y: [0.1, pair == 2 ? 0 : 0.01, 0.001], label: $0, group: "pair \(pair)") }
        }
        try CurveFigure(curves, title: FigureTitle("gap", n: 10, seed: 3), logX: true, logY: true).render(to: folder + "/multi.png")
        #expect(Signature.starts(folder + "/multi.png", with: Signature.png))
        try CurveFigure([Curve(x: [10, 100], y: [0, 0.5], label: "one")], title: "single", logX: true, logY: true).render(to: folder + "/one.png")
        #expect(Signature.starts(folder + "/one.png", with: Signature.png))
    }

    @Test func svgAndPDF() throws {
        let folder = TestSupport.temporaryFolder("monge-plot")
        let (source, target, mapped) = sampleMap()
        try TransportMapFigure(source: source, target: target, mapped: mapped).render(to: folder + "/map.svg")
        let svg = try String(contentsOfFile: folder + "/map.svg", encoding: .utf8)
        #expect(svg.contains("<svg"))
        try ScatterFigure([PointSet(source, label: "source"), PointSet(target, label: "target")]).render(to: folder + "/s.pdf")
        #expect(Signature.starts(folder + "/s.pdf", with: Signature.pdf))
        #expect(FileManager.default.fileExists(atPath: folder + "/s.pdf.gp"))
    }

    @Test func curvesAndSideBySide() throws {
        let folder = TestSupport.temporaryFolder("monge-plot")
        let steps: [Double] = [10, 20, 50, 100, 200]
        try CurveFigure([Curve(x: steps, y: steps.map { 1 / $0 }, label: "Euler"),
                         Curve(x: steps, y: steps.map { 1 / ($0 * $0) }, label: "Heun")],
                        title: "error vs steps", xLabel: "steps", yLabel: "error", logX: true, logY: true)
            .render(to: folder + "/curves.png")
        #expect(Signature.starts(folder + "/curves.png", with: Signature.png))
        let (source, target, mapped) = sampleMap(n: 200)
        try SideBySideFigure.transportComparison(source: source, target: target, mapped: mapped,
                                                 exact: source.map { $0 * 0.5 + 2 }, maxArrows: 60)
            .render(to: folder + "/compare.png")
        #expect(Signature.starts(folder + "/compare.png", with: Signature.png))
    }

    @Test func invalidExtensionWritesNothing() throws {
        let folder = TestSupport.temporaryFolder("monge-plot")
        let (source, _, mapped) = sampleMap()
        #expect(throws: MongeError.self) {
            try TransportMapFigure(source: source, mapped: mapped).render(to: folder + "/map.jpg")
        }
        #expect(TestSupport.files(in: folder).isEmpty)
    }

    @Test func brokenScriptIsAnErrorAndLeavesNoFigure() throws {
        let folder = TestSupport.temporaryFolder("monge-plot")
        let (source, _, mapped) = sampleMap()
        let broken = TransportMapFigure(source: source, mapped: mapped, extraCommands: ["set xrange [1:nosuchfunction(2)]"])
        #expect {
            try broken.render(to: folder + "/map.png")
        } throws: { error in
            guard case let MongeError.externalTool(name, message) = error else { return false }
            return name == "gnuplot" && message.contains("nosuchfunction")
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/map.png"))
        // No temporary figure is left; the script and data stay for debugging.
        #expect(TestSupport.files(in: folder) == ["map.png.dat", "map.png.gp"])
    }

    @Test func aScriptThatProducesNoOutputIsAnError() throws {
        let folder = TestSupport.temporaryFolder("monge-plot")
        let (source, _, mapped) = sampleMap()
        // Redirecting the output elsewhere leaves the expected file empty.
        let figure = TransportMapFigure(source: source, mapped: mapped, extraCommands: ["set output '/dev/null'"])
        #expect(throws: MongeError.self) { try figure.render(to: folder + "/map.png") }
        #expect(!FileManager.default.fileExists(atPath: folder + "/map.png"))
    }

    @Test func missingGnuplotIsAnExternalToolError() throws {
        let folder = TestSupport.temporaryFolder("monge-plot")
        let (source, _, mapped) = sampleMap()
        let missing = Gnuplot(executable: folder + "/no-such-gnuplot")
        #expect {
            try TransportMapFigure(source: source, mapped: mapped).render(to: folder + "/map.png", gnuplot: missing)
        } throws: { error in
            guard case let MongeError.externalTool(name, _) = error else { return false }
            return name == "gnuplot"
        }
        #expect(TestSupport.files(in: folder).isEmpty)
        // The bridge itself reports a missing executable (not only the version check).
        let script = folder + "/x.gp"
        try "print 1\n".write(toFile: script, atomically: true, encoding: .utf8)
        #expect(throws: MongeError.self) { try missing.run(scriptAt: script) }
    }

    @Test func pathsWithQuotesAndSpacesWork() throws {
        let folder = TestSupport.temporaryFolder("monge-plot") + "/it's a folder"
        let (source, _, mapped) = sampleMap()
        try TransportMapFigure(source: source, mapped: mapped, title: "O'Brien's map_1").render(to: folder + "/m a p.png")
        #expect(Signature.starts(folder + "/m a p.png", with: Signature.png))
    }

    @Test func concurrentRendersDoNotInterfere() throws {
        let folder = TestSupport.temporaryFolder("monge-plot")
        let (source, _, mapped) = sampleMap()
        let failures = Parallel.mapChunks(count: 4) { range -> Int in
            var failed = 0
            for k in range {
                do { try TransportMapFigure(source: source, mapped: mapped).render(to: folder + "/m\(k).png") } catch { failed += 1 }
            }
            return failed
        }
        #expect(failures.reduce(0, +) == 0)
        #expect(TestSupport.files(in: folder).filter { $0.hasSuffix(".png") }.count == 4)
    }
}
