/// Matrices in files, in the format the extension names: `.npy` (numpy) or `.csv` (text).
///
/// The one entry point commands use for point clouds and tables; writes are atomic.
public enum ArrayFile {
    /// The extensions (lowercase, without the dot) this reads and writes.
    public static let acceptedExtensions = ["npy", "csv"]

    /// Reads a matrix, converting its elements to `S`.
    public static func readMatrix<S: MatrixScalar>(_ path: String, as _: S.Type = S.self) throws -> Matrix<S> {
        switch try format(of: path, reading: true) {
        case "npy": return try NpyFile.readMatrix(path, as: S.self)
        default: return try CSVFile.readMatrix(path, as: S.self)
        }
    }

    /// Writes a matrix atomically. `header` names the columns of a .csv file; .npy files have no
    /// column names and ignore it.
    public static func write<S: MatrixScalar>(_ matrix: Matrix<S>, to path: String, header: [String]? = nil) throws {
        switch try format(of: path, reading: false) {
        case "npy": try NpyFile.write(matrix, to: path)
        default: try CSVFile.write(matrix, to: path, header: header)
        }
    }

    /// The lowercase extension of `path` when it is accepted; otherwise an error naming it.
    private static func format(of path: String, reading: Bool) throws -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let dot = name.lastIndex(of: ".")
        let fileExtension = dot.map { String(name[name.index(after: $0)...]).lowercased() } ?? ""
        if acceptedExtensions.contains(fileExtension) { return fileExtension }
        let found = fileExtension.isEmpty ? "no extension" : "the extension .\(fileExtension)"
        let message = "\(found); expected one of \(acceptedExtensions.map { "." + $0 }.joined(separator: ", "))"
        if reading { throw MongeError.invalidFile(path: path, location: nil, message: message) }
        throw MongeError.writeFailed(path: path, message: message)
    }
}
