import Foundation

/// The figure formats, chosen by the output file's extension.
public enum ImageFormat: String, Sendable, CaseIterable {
    /// Raster, gnuplot's `pngcairo` terminal.
    case png
    /// Vector, gnuplot's `svg` terminal.
    case svg
    /// Vector, gnuplot's `pdfcairo` terminal.
    case pdf

    /// The format of `path` by its extension (case-insensitive); any other extension throws
    /// `MongeError.invalidArgument` listing the accepted ones.
    public init(path: String) throws {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        guard let format = ImageFormat(rawValue: ext) else {
            let accepted = ImageFormat.allCases.map { ".\($0.rawValue)" }.joined(separator: ", ")
            throw MongeError.invalidArgument(
                name: "figure", message: "\(path): unknown figure format '\(ext.isEmpty ? "(no extension)" : "." + ext)'; use \(accepted)")
        }
        self = format
    }

    /// The `set terminal` line for a `width × height` pixel canvas (PDF: 100 px per inch).
    public func terminal(width: Int, height: Int) -> String {
        switch self {
        case .png:
            return "set terminal pngcairo size \(width),\(height) enhanced font 'Sans,12' background rgb 'white'"
        case .svg:
            return "set terminal svg size \(width),\(height) enhanced font 'Sans,12' background rgb 'white'"
        case .pdf:
            let w = String(format: "%.2f", Double(width) / 100), h = String(format: "%.2f", Double(height) / 100)
            return "set terminal pdfcairo size \(w)in,\(h)in enhanced font 'Sans,10'"
        }
    }
}
