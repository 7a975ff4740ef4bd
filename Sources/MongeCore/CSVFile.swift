import Foundation

/// Numeric matrices as comma-separated text: one row per line, an optional header line of
/// column names.
///
/// Reading is strict, so that a file is read as written or refused — never misread:
/// - Numbers are decimal: an optional sign, digits with an optional point, an optional exponent
///   (`-1.5`, `+2`, `.5`, `3.`, `1e-05`, `2.5E+300`), or `nan`, `inf`, `infinity` in any case with
///   an optional sign, as numpy, pandas and Python's `float()` write and read them. Hexadecimal
///   (`0x10`, `0x1p3`), NaN payloads, digit separators, other spaces and control characters (a NUL
///   byte) are refused, as is a finite number beyond the type's range (`1e400` for Double).
/// - With `header: .automatic` the first line is the header when it holds no number. A first line
///   that mixes names and numbers (`abc,2`: a typo in the first point?) is an error, as is a first
///   line `0,1,…` above decimal data (pandas' labels of an unnamed DataFrame, not a point).
/// - pandas' `df.to_csv()` writes its index as an unnamed first column (header `,x,y`, rows
///   `0,…`, `1,…`). That column is dropped and the table's `notes` say so. A first column holding
///   0, 1, 2, … as integers beside decimal data, with no header to tell, is an error asking for a
///   `ColumnSelection`; a selection reads exactly the columns it names and parses no other.
/// - Spaces and tabs around fields, a UTF-8 byte order mark, "\r\n" line ends and blank lines at
///   the end are ignored; a leading "#" of the header (as `np.savetxt` writes) is dropped.
/// Every refusal names the line, the column and the text found.
///
/// Writing prints each number with Swift's `description`, the shortest decimal that reads back
/// to the same value, so a write–read round trip is exact (a NaN is written `nan` or `-nan`: its
/// sign is kept, its payload is not).
public enum CSVFile {
    /// Whether the first line holds column names.
    public enum HeaderMode: Sendable {
        /// The first line is the header when it holds no number, or when its first field is empty
        /// (pandas' unnamed index column); a first line mixing names and numbers is an error.
        case automatic
        case present
        case absent
    }

    /// A matrix with the column names of its header line, if it had one.
    public struct Table<Scalar: MatrixScalar>: Equatable, Sendable {
        public var columnNames: [String]?
        public var matrix: Matrix<Scalar>
        /// What the reader decided that the file does not say outright (an index column dropped),
        /// one sentence each, for the caller to show the user.
        public var notes: [String]

        public init(columnNames: [String]?, matrix: Matrix<Scalar>, notes: [String] = []) {
            self.columnNames = columnNames
            self.matrix = matrix
            self.notes = notes
        }
    }

    // MARK: Reading

    /// Reads the matrix and its column names (of the selected columns, when `columns` is given).
    public static func read<S: MatrixScalar>(_ path: String, as _: S.Type = S.self, header: HeaderMode = .automatic,
                                             columns: ColumnSelection? = nil) throws -> Table<S> {
        let data = try BinaryFile.read(path)
        guard let text = String(validating: data, as: UTF8.self) else {
            throw MongeError.invalidFile(path: path, location: nil, message: "expected UTF-8 text, found invalid UTF-8 bytes")
        }
        return try parse(text, path: path, as: S.self, header: header, columns: columns)
    }

    /// Reads the matrix, dropping the column names.
    public static func readMatrix<S: MatrixScalar>(_ path: String, as _: S.Type = S.self) throws -> Matrix<S> {
        try read(path, as: S.self).matrix
    }

    /// Parses CSV text; `path` names the source in errors.
    public static func parse<S: MatrixScalar>(_ text: String, path: String, as _: S.Type = S.self,
                                              header: HeaderMode = .automatic, columns: ColumnSelection? = nil) throws -> Table<S> {
        var text = text
        return try text.withUTF8 { bytes in
            try CSVParser(bytes: bytes, path: path).table(as: S.self, header: header, columns: columns)
        }
    }

    /// Whether `text` is a number this reader accepts (see the type's documentation).
    public static func isNumber(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { CSVNumber.spelling($0[...]) != nil }
    }

    // MARK: Writing

    /// Writes the matrix atomically, with a header line when `header` is given (one name per
    /// column; names must be non-empty and hold no number, comma, line break, control character or
    /// surrounding space, or the reader would not read them back as these names).
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
            for name in header where name.isEmpty || name.unicodeScalars.contains(where: { $0 == "," || $0.value < 0x20 || $0.value == 0x7F })
                || name != name.trimmingCharacters(in: .whitespaces) {
                throw MongeError.invalidArgument(name: "header", message: "column name \"\(name)\" is empty or contains a comma, a line break, a control character or surrounding spaces")
            }
            if let number = header.first(where: isNumber) {
                throw MongeError.invalidArgument(name: "header", message: "column name \"\(number)\" is a number; the reader would take the header for data")
            }
            if header.first?.hasPrefix("#") == true {
                throw MongeError.invalidArgument(name: "header", message: "column name \"\(header[0])\" starts with \"#\", which the reader drops (numpy's comment mark)")
            }
            text += header.joined(separator: ",") + "\n"
        }
        text.reserveCapacity(text.utf8.count + matrix.count * 12)
        for i in 0..<matrix.rows {
            for j in 0..<matrix.columns {
                if j > 0 { text += "," }
                let value = matrix[i, j]
                // `description` drops a NaN's sign; "-nan" keeps it (payloads are not kept).
                text += value.isNaN ? (value.sign == .minus ? "-nan" : "nan") : value.description
            }
            text += "\n"
        }
        return text
    }
}

/// The strict number grammar of `CSVFile`, over UTF-8 bytes.
enum CSVNumber {
    /// How a valid number is written: an integer's digits only (what an index column holds),
    /// a decimal (a point or an exponent), or a special value (nan, inf).
    enum Spelling { case integer, decimal, special }

    /// The spelling of `field`, or nil when it is not a number of the grammar.
    static func spelling(_ field: Slice<UnsafeBufferPointer<UInt8>>) -> Spelling? {
        var i = field.startIndex
        let end = field.endIndex
        if i < end, field[i] == UInt8(ascii: "+") || field[i] == UInt8(ascii: "-") { i += 1 }
        if i < end, isLetter(field[i]) {
            let word = String(decoding: field[i..<end], as: UTF8.self).lowercased()
            return ["nan", "inf", "infinity"].contains(word) ? .special : nil
        }
        func digits() -> Int {
            let start = i
            while i < end, field[i] >= UInt8(ascii: "0"), field[i] <= UInt8(ascii: "9") { i += 1 }
            return i - start
        }
        var mantissaDigits = digits()
        var spelling = Spelling.integer
        if i < end, field[i] == UInt8(ascii: ".") {
            i += 1
            mantissaDigits += digits()
            spelling = .decimal
        }
        guard mantissaDigits > 0 else { return nil }
        if i < end, field[i] == UInt8(ascii: "e") || field[i] == UInt8(ascii: "E") {
            i += 1
            if i < end, field[i] == UInt8(ascii: "+") || field[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return nil }
            spelling = .decimal
        }
        return i == end ? spelling : nil
    }

    /// The value of a field of a valid `spelling`; nil when a finite number overflows `S`.
    static func value<S: MatrixScalar>(_ field: Slice<UnsafeBufferPointer<UInt8>>, _ spelling: Spelling) -> S? {
        let negative = field.first == UInt8(ascii: "-")
        if spelling == .special {
            let unsigned = field.drop { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }
            let isNaN = unsigned.first.map { $0 | 0x20 } == UInt8(ascii: "n")
            let magnitude: S = isNaN ? .nan : .infinity
            return negative ? -magnitude : magnitude
        }
        guard let value = S(String(decoding: field, as: UTF8.self)), value.isFinite else { return nil }
        return value
    }

    /// The value of a non-negative integer spelling without leading zeros ("0", "17"), else nil.
    static func index(_ field: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
        guard let first = field.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9"),
              first != UInt8(ascii: "0") || field.count == 1, field.count <= 18 else { return nil }
        var value = 0
        for byte in field {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
    }
}

/// One pass over the bytes of a CSV text: lines, fields, the header decision and the numbers.
private struct CSVParser {
    typealias Field = Slice<UnsafeBufferPointer<UInt8>>

    let bytes: UnsafeBufferPointer<UInt8>
    let path: String
    /// Byte ranges of the lines without their "\n"; blank lines at the end dropped.
    let lines: [Range<Int>]

    init(bytes: UnsafeBufferPointer<UInt8>, path: String) {
        self.bytes = bytes
        self.path = path
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var lines: [Range<Int>] = []
        for i in start..<bytes.count where bytes[i] == UInt8(ascii: "\n") {
            lines.append(start..<i)
            start = i + 1
        }
        if start < bytes.count { lines.append(start..<bytes.count) }
        while let last = lines.last, bytes[last].allSatisfy(CSVParser.isSpace) { lines.removeLast() }
        self.lines = lines
    }

    func error(line: Int, column: Int? = nil, _ message: String) -> MongeError {
        .invalidFile(path: path, location: "line \(line)" + (column.map { ", column \($0)" } ?? ""), message: message)
    }

    func table<S: MatrixScalar>(as _: S.Type, header: CSVFile.HeaderMode, columns: ColumnSelection?) throws -> CSVFile.Table<S> {
        guard !lines.isEmpty else { return CSVFile.Table(columnNames: nil, matrix: Matrix(rows: 0, columns: 0)) }
        let first = fields(of: lines[0])
        guard !first.isEmpty else { throw error(line: 1, "expected a header or a row of numbers, found an empty line") }
        let width = first.count
        // Positions can be resolved before the header is known; names need the header.
        var selected = try columns.flatMap { $0.hasNames ? nil : try $0.indices(columnCount: width, names: nil, path: path) }

        let hasHeader: Bool
        switch header {
        case .present: hasHeader = true
        case .absent: hasHeader = false
        case .automatic:
            if width >= 2 && first[0].isEmpty {
                hasHeader = true
            } else {
                let considered = selected ?? Array(0..<width)
                let numbers = considered.filter { CSVNumber.spelling(first[$0]) != nil }
                if numbers.isEmpty {
                    hasHeader = true
                } else if numbers.count == considered.count {
                    hasHeader = false
                } else {
                    let name = considered.first { CSVNumber.spelling(first[$0]) == nil }!
                    throw error(line: 1, column: name + 1, "expected a number, found \(quoted(first[name])); a header line holds " +
                                "no numbers, and this line mixes names with numbers such as \(quoted(first[numbers[0]]))")
                }
            }
        }

        var names: [String]?
        if hasHeader {
            for (j, field) in first.enumerated() where field.contains(where: { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F }) {
                throw error(line: 1, column: j + 1, "expected a column name, found \(quoted(field)) with a control character")
            }
            var header = first.map { String(decoding: $0, as: UTF8.self) }
            if header[0].hasPrefix("#") { header[0] = String(header[0].dropFirst()).trimmingCharacters(in: .whitespaces) }
            names = header
        }
        if let columns, columns.hasNames { selected = try columns.indices(columnCount: width, names: names, path: path) }
        var notes: [String] = []
        if columns == nil, let names, width >= 2, names[0].isEmpty || names[0] == "Unnamed: 0" {
            selected = Array(1..<width)
            let label = names[0].isEmpty ? "has no name in the header" : "is named \"Unnamed: 0\""
            notes.append("column 1 \(label), as the index pandas' df.to_csv() writes: dropped, reading the \(width - 1) " +
                         "other columns (choose them yourself with \(path)\(ColumnSelection.suffix)…)")
        }
        let kept = selected ?? Array(0..<width)

        let firstDataLine = hasHeader ? 1 : 0
        let rows = lines.count - firstDataLine
        var storage: [S] = []
        storage.reserveCapacity(rows * kept.count)
        // Evidence for the two layouts a file cannot state: an index column, pandas' labels 0, 1, ….
        var indexLike = columns == nil && selected == nil && width >= 2 && rows >= 2
        var decimalBesideIndex = false
        var decimalBelowLine1 = false
        for lineIndex in firstDataLine..<lines.count {
            let lineNumber = lineIndex + 1
            let row = lineIndex == 0 ? first : fields(of: lines[lineIndex])
            guard row.count == width else {
                let found = row.isEmpty ? "an empty line" : "\(row.count) columns"
                throw error(line: lineNumber, "expected \(width) columns (as on line 1), found \(found)")
            }
            if indexLike { indexLike = CSVNumber.index(row[0]) == lineIndex - firstDataLine }
            for j in kept {
                let field = row[j]
                guard let spelling = CSVNumber.spelling(field) else {
                    throw error(line: lineNumber, column: j + 1, "expected a decimal number, found \(quoted(field))\(hint(field))")
                }
                guard let value: S = CSVNumber.value(field, spelling) else {
                    throw error(line: lineNumber, column: j + 1, "\(quoted(field)) is beyond the range of \(S.self) (largest finite \(S.greatestFiniteMagnitude))")
                }
                if spelling != .integer {
                    if j > 0 { decimalBesideIndex = true }
                    if lineIndex > 0 { decimalBelowLine1 = true }
                }
                storage.append(value)
            }
        }
        if indexLike && decimalBesideIndex {
            throw MongeError.invalidFile(path: path, location: "column 1", message:
                "holds 0, 1, …, \(rows - 1) as integers beside decimal data, like the index column pandas writes (df.to_csv()); " +
                "the file cannot say whether it is a coordinate. Choose the columns after the file name: " +
                "\(path)\(ColumnSelection.suffix)2-\(width) drops it, \(path)\(ColumnSelection.suffix)1-\(width) keeps it")
        }
        if !hasHeader && header == .automatic && width >= 2 && decimalBelowLine1
            && first.enumerated().allSatisfy({ CSVNumber.index($0.element) == $0.offset }) {
            throw error(line: 1, "reads \(quoted(bytes[lines[0]])), the column labels pandas writes for an unnamed DataFrame " +
                        "(df.to_csv(index=False)), above decimal data; a header holds no numbers, so it would be read as a point. " +
                        "Name the columns, or write the point with decimals (0.0,1.0)")
        }
        let matrix = try Matrix(rows: rows, columns: kept.count, storage: storage)
        return CSVFile.Table(columnNames: names.map { names in kept.map { names[$0] } }, matrix: matrix, notes: notes)
    }

    /// The fields of a line, spaces and tabs around them trimmed; none for a blank line.
    private func fields(of line: Range<Int>) -> [Field] {
        let text = bytes[line]
        if text.allSatisfy(CSVParser.isSpace) { return [] }
        return text.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map { field in
            var field = field
            while let c = field.first, CSVParser.isSpace(c) { field.removeFirst() }
            while let c = field.last, CSVParser.isSpace(c) { field.removeLast() }
            return field
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    /// The field in quotes for a message: control characters escaped, at most 40 characters.
    private func quoted(_ field: Field) -> String {
        if field.isEmpty { return "an empty field" }
        var text = ""
        for scalar in String(decoding: field, as: UTF8.self).unicodeScalars.prefix(40) {
            text += scalar.value < 0x20 || scalar.value == 0x7F ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }
        return "\"\(text)\"" + (field.count > 40 ? "…" : "")
    }

    /// Why a number-like field is refused, when it looks like a known other notation.
    private func hint(_ field: Field) -> String {
        let text = String(decoding: field, as: UTF8.self).lowercased()
        if field.contains(0) { return " (a NUL byte: binary data, or a cut number?)" }
        if text.contains("nan(") { return " (NaN payloads are not accepted; write nan)" }
        if text.contains("0x") { return " (hexadecimal is not accepted)" }
        if field.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return " (a control character)" }
        return ""
    }
}
