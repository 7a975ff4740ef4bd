import Foundation

/// Numeric matrices as comma-separated text: one row per line, an optional header line of
/// column names.
///
/// Reading: spaces around fields are ignored, as are a UTF-8 byte order mark, "\r\n" line ends
/// and empty lines at the end of the file. With `header: .automatic` a first line that is not
/// all numbers is the header (a leading "#", as `np.savetxt` writes, is dropped from it). Every
/// field must parse as a number of the requested type (`nan` and `inf` included, as numpy writes
/// them); anything else is an error naming the line, the column and the text found.
///
/// Writing prints each number with Swift's `description`, the shortest decimal that reads back
/// to the same value, so a write–read round trip is exact.
public enum CSVFile {
    /// Whether the first line holds column names.
    public enum HeaderMode: Sendable {
        /// A first line with any field that is not a number is the header.
        case automatic
        case present
        case absent
    }

    /// A matrix with the column names of its header line, if it had one.
    public struct Table<Scalar: MatrixScalar>: Equatable, Sendable {
        public var columnNames: [String]?
        public var matrix: Matrix<Scalar>

        public init(columnNames: [String]?, matrix: Matrix<Scalar>) {
            self.columnNames = columnNames
            self.matrix = matrix
        }
    }

    // MARK: Reading

    /// Reads the matrix and its column names.
    public static func read<S: MatrixScalar>(_ path: String, as _: S.Type = S.self,
                                             header: HeaderMode = .automatic) throws -> Table<S> {
        let data = try BinaryFile.read(path)
        guard let text = String(validating: data, as: UTF8.self) else {
            throw MongeError.invalidFile(path: path, location: nil, message: "expected UTF-8 text, found invalid UTF-8 bytes")
        }
        return try parse(text, path: path, as: S.self, header: header)
    }

    /// Reads the matrix, dropping the column names.
    public static func readMatrix<S: MatrixScalar>(_ path: String, as _: S.Type = S.self) throws -> Matrix<S> {
        try read(path, as: S.self).matrix
    }

    /// Parses CSV text; `path` names the source in errors.
    public static func parse<S: MatrixScalar>(_ text: String, path: String, as _: S.Type = S.self,
                                              header: HeaderMode = .automatic) throws -> Table<S> {
        // "\r\n" is one Character in Swift, so it is a separator of its own.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        while let last = lines.last, isBlank(last) { lines.removeLast() }
        guard !lines.isEmpty else { return Table(columnNames: nil, matrix: Matrix(rows: 0, columns: 0)) }

        var firstFields = fields(of: lines[0])
        if let first = firstFields.first, first.hasPrefix("\u{FEFF}") { firstFields[0] = trimmed(first.dropFirst()) }
        let hasHeader: Bool
        switch header {
        case .present: hasHeader = true
        case .absent: hasHeader = false
        case .automatic: hasHeader = !firstFields.allSatisfy { S(String($0)) != nil }
        }
        var columnNames: [String]?
        if hasHeader {
            var names = firstFields.map(String.init)
            if let first = names.first, first.hasPrefix("#") {
                names[0] = String(trimmed(first.dropFirst()))
            }
            columnNames = names
        }
        let columns = firstFields.count
        let firstDataLine = hasHeader ? 1 : 0
        var storage: [S] = []
        storage.reserveCapacity((lines.count - firstDataLine) * columns)
        for lineIndex in firstDataLine..<lines.count {
            let lineNumber = lineIndex + 1
            let row = lineIndex == 0 ? firstFields : fields(of: lines[lineIndex])
            guard row.count == columns else {
                let found = isBlank(lines[lineIndex]) ? "an empty line" : "\(row.count) columns"
                throw MongeError.invalidFile(path: path, location: "line \(lineNumber)",
                                             message: "expected \(columns) columns (as on line 1), found \(found)")
            }
            for (columnIndex, field) in row.enumerated() {
                guard let value = S(String(field)) else {
                    let found = field.isEmpty ? "an empty field" : "\"\(field)\""
                    throw MongeError.invalidFile(path: path, location: "line \(lineNumber), column \(columnIndex + 1)",
                                                 message: "expected a number, found \(found)")
                }
                storage.append(value)
            }
        }
        let matrix = try Matrix(rows: lines.count - firstDataLine, columns: columns, storage: storage)
        return Table(columnNames: columnNames, matrix: matrix)
    }

    private static func isBlank(_ line: Substring) -> Bool {
        line.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" }
    }

    private static func fields(of line: Substring) -> [Substring] {
        if isBlank(line) { return [] }
        return line.split(separator: ",", omittingEmptySubsequences: false).map(trimmed)
    }

    private static func trimmed(_ field: Substring) -> Substring {
        var field = field
        while let c = field.first, c == " " || c == "\t" || c == "\r" { field.removeFirst() }
        while let c = field.last, c == " " || c == "\t" || c == "\r" { field.removeLast() }
        return field
    }

    // MARK: Writing

    /// Writes the matrix atomically, with a header line when `header` is given (one name per
    /// column; names may not contain commas or line breaks, and not all of them may be numbers,
    /// or the reader would take the header for data).
    public static func write<S: MatrixScalar>(_ matrix: Matrix<S>, to path: String, header: [String]? = nil) throws {
        try AtomicFile.write(format(matrix, header: header), to: path)
    }

    /// The CSV text of the matrix.
    public static func format<S: MatrixScalar>(_ matrix: Matrix<S>, header: [String]? = nil) throws -> String {
        var text = ""
        if let header {
            guard header.count == matrix.columns else {
                throw MongeError.invalidArgument(name: "header", message: "expected \(matrix.columns) column names, found \(header.count)")
            }
            for name in header where name.contains(where: { $0 == "," || $0 == "\n" || $0 == "\r" }) || name != name.trimmingCharacters(in: .whitespaces) {
                throw MongeError.invalidArgument(name: "header", message: "column name \"\(name)\" contains a comma, a line break or surrounding spaces")
            }
            if header.allSatisfy({ S($0) != nil }) {
                throw MongeError.invalidArgument(name: "header", message: "column names \(header) are all numbers; the reader would take them for data")
            }
            text += header.joined(separator: ",") + "\n"
        }
        text.reserveCapacity(text.utf8.count + matrix.count * 12)
        for i in 0..<matrix.rows {
            for j in 0..<matrix.columns {
                if j > 0 { text += "," }
                text += matrix[i, j].description
            }
            text += "\n"
        }
        return text
    }
}
