import Foundation

/// Matrices in files, in the format the extension names: `.npy` (numpy) or `.csv` (text).
///
/// The one entry point commands use for point clouds and tables; writes are atomic.
public enum ArrayFile {
    /// The extensions (lowercase, without the dot) this reads and writes.
    public static let acceptedExtensions = ["npy", "csv"]

    /// Reads a matrix, converting its elements to `S`.
    ///
    /// `path` may end in a column selection, `points.csv:columns=x,y` or `points.npy:columns=2-3`
    /// (see `ColumnSelection`). What the reader decided on its own (a pandas index column dropped)
    /// goes to `note`, which by default prints "note: FILE: …" on stderr.
    public static func readMatrix<S: MatrixScalar>(_ path: String, as _: S.Type = S.self,
                                                   note: (String) -> Void = ArrayFile.printNote) throws -> Matrix<S> {
        let (file, columns) = try ColumnSelection.split(path)
        if file == standardInputName { return try readStandardInput(columns: columns, note: note) }
        switch try format(of: file, reading: true) {
        case "npy":
            let matrix = try NpyFile.readMatrix(file, as: S.self)
            guard let columns else { return matrix }
            guard !columns.hasNames else {
                throw MongeError.invalidFile(path: file, location: columns.description,
                                             message: "a .npy file has no column names; select columns by position (1 to \(matrix.columns))")
            }
            return try selecting(try columns.indices(columnCount: matrix.columns, names: nil, path: file), of: matrix)
        default:
            let table = try CSVFile.read(file, as: S.self, columns: columns)
            for message in table.notes { note("\(file): \(message)") }
            return table.matrix
        }
    }

    /// The path that names standard input ("-", as in `monge ot - y.npy`).
    public static let standardInputName = "-"

    /// The matrix on standard input: .npy when it starts with numpy's magic bytes, else CSV.
    /// Standard input is read once: one argument of a command may be "-".
    private static func readStandardInput<S: MatrixScalar>(columns: ColumnSelection?, note: (String) -> Void) throws -> Matrix<S> {
        let name = "standard input"
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard !data.isEmpty else {
            throw MongeError.invalidFile(path: name, location: nil, message: "empty; pipe a .npy or .csv file into it (monge ot - y.npy < x.csv)")
        }
        if data.starts(with: NpyFile.magic) {
            let matrix = try NpyFile.decodeMatrix(data, path: name, as: S.self)
            guard let columns else { return matrix }
            guard !columns.hasNames else {
                throw MongeError.invalidFile(path: name, location: columns.description,
                                             message: "a .npy file has no column names; select columns by position (1 to \(matrix.columns))")
            }
            return try selecting(try columns.indices(columnCount: matrix.columns, names: nil, path: name), of: matrix)
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw MongeError.invalidFile(path: name, location: nil, message: "neither a .npy file (no numpy magic bytes) nor UTF-8 CSV text")
        }
        let table = try CSVFile.parse(text, path: name, as: S.self, columns: columns)
        for message in table.notes { note("\(name): \(message)") }
        return table.matrix
    }

    /// Prints a reader's note on stderr.
    public static func printNote(_ message: String) {
        FileHandle.standardError.write(Data("note: \(message)\n".utf8))
    }

    private static func selecting<S: MatrixScalar>(_ indices: [Int], of matrix: Matrix<S>) throws -> Matrix<S> {
        var storage: [S] = []
        storage.reserveCapacity(matrix.rows * indices.count)
        for i in 0..<matrix.rows {
            for j in indices { storage.append(matrix[i, j]) }
        }
        return try Matrix(rows: matrix.rows, columns: indices.count, storage: storage)
    }

    /// Writes a matrix atomically. `header` names the columns of a .csv file; .npy files have no
    /// column names and ignore it.
    public static func write<S: MatrixScalar>(_ matrix: Matrix<S>, to path: String, header: [String]? = nil) throws {
        switch try format(of: path, reading: false) {
        case "npy": try NpyFile.write(matrix, to: path)
        default: try CSVFile.write(matrix, to: path, header: header)
        }
    }

    /// The accepted extensions as a user reads them: ".npy or .csv".
    public static var acceptedExtensionsText: String { acceptedExtensions.map { "." + $0 }.joined(separator: " or ") }

    /// Whether `path` names an array file: its last component's extension (any case) is accepted.
    /// The one test of an output's or a domain's extension; `write` and `readMatrix` apply the same.
    public static func isArrayFile(_ path: String) -> Bool {
        acceptedExtensions.contains(fileExtension(of: path))
    }

    /// The lowercase text after the last dot of the last path component ("" when there is none).
    static func fileExtension(of path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let dot = name.lastIndex(of: ".")
        return dot.map { String(name[name.index(after: $0)...]).lowercased() } ?? ""
    }

    /// The lowercase extension of `path` when it is accepted; otherwise an error naming it.
    static func format(of path: String, reading: Bool) throws -> String {
        let fileExtension = fileExtension(of: path)
        if acceptedExtensions.contains(fileExtension) { return fileExtension }
        let found = fileExtension.isEmpty ? "no extension" : "the extension .\(fileExtension)"
        let message = "\(found); expected one of \(acceptedExtensions.map { "." + $0 }.joined(separator: ", "))"
        if reading { throw MongeError.invalidFile(path: path, location: nil, message: message) }
        throw MongeError.writeFailed(path: path, message: message)
    }
}
