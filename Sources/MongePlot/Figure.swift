import Foundation

/// Anything that can be drawn: it describes itself as a `PlotDocument` and renders through gnuplot.
public protocol Figure: Sendable {
    /// The panels, series and settings; throws on data that cannot be plotted (NaN, bad shapes).
    func document() throws -> PlotDocument
}

/// The three files a render leaves: the figure, and the script and data that redraw it.
public struct RenderedFigure: Sendable, Equatable {
    public let figure: String
    public let script: String
    public let data: String
}

extension Figure {
    /// Draws the figure into `path` (.png, .svg or .pdf by extension) and writes the script
    /// (`path + ".gp"`) and data (`path + ".dat"`) beside it.
    ///
    /// Order: the format is checked first (a bad extension writes nothing), then the data and its
    /// colours (`PlotDocument.checkColours()`), then
    /// that gnuplot runs; gnuplot renders into a temporary file beside `path` which is renamed
    /// onto `path` only when gnuplot reported no error and the file is non-empty. Failures throw
    /// `MongeError.externalTool(name: "gnuplot", …)` and leave no figure (the script and data
    /// stay, to debug or re-run).
    @discardableResult
    public func render(to path: String, gnuplot: Gnuplot = .default) throws -> RenderedFigure {
        let format = try ImageFormat(path: path)
        let document = try document()
        try document.checkColours()
        _ = try gnuplot.version()
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let name = url.lastPathComponent
        let files = RenderedFigure(figure: url.path, script: url.path + ".gp", data: url.path + ".dat")
        try AtomicFile.write(document.dataText(), to: files.data)
        try AtomicFile.write(document.scriptText(format: format, outputName: name, dataName: name + ".dat"), to: files.script)
        try AtomicFile.write(to: files.figure) { temporary in
            try gnuplot.run(scriptAt: files.script,
                            preamble: "outfile = \(Gnuplot.quoted(temporary)); datafile = \(Gnuplot.quoted(files.data))")
            let size = (try? FileManager.default.attributesOfItem(atPath: temporary)[.size] as? Int) ?? nil
            guard let size, size > 0 else {
                throw MongeError.externalTool(
                    name: "gnuplot", message: "\(files.script) ran without error but produced \(size == nil ? "no file" : "an empty file") for \(files.figure)")
            }
        }
        return files
    }

    /// Adds the figure at `path`, its script and its data to `outputs` (`OutputSet`): the format,
    /// the data and gnuplot are checked now; gnuplot draws into temporary files when the set is
    /// committed, so a failure anywhere leaves all three files (and the other outputs) as they were.
    @discardableResult
    public func stage(to path: String, in outputs: inout OutputSet, gnuplot: Gnuplot = .default) throws -> RenderedFigure {
        let format = try ImageFormat(path: path)
        let document = try document()
        try document.checkColours()
        _ = try gnuplot.version()
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let name = url.lastPathComponent
        let files = RenderedFigure(figure: url.path, script: url.path + ".gp", data: url.path + ".dat")
        try outputs.add([files.figure, files.script, files.data]) { temporaries in
            let (figure, script, data) = (temporaries[0], temporaries[1], temporaries[2])
            try AtomicFile.write(document.dataText(), to: data)
            try AtomicFile.write(document.scriptText(format: format, outputName: name, dataName: name + ".dat"), to: script)
            try gnuplot.run(scriptAt: script, preamble: "outfile = \(Gnuplot.quoted(figure)); datafile = \(Gnuplot.quoted(data))")
            let size = (try? FileManager.default.attributesOfItem(atPath: figure)[.size] as? Int) ?? nil
            guard let size, size > 0 else {
                throw MongeError.externalTool(
                    name: "gnuplot", message: "\(files.script) ran without error but produced \(size == nil ? "no file" : "an empty file") for \(files.figure)")
            }
        }
        return files
    }
}
