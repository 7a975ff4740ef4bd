import Foundation
@_exported import MongeCore

/// A results table — named columns, rows of numbers or text — written as CSV, Markdown and JSON.
///
/// The reproduction writes one table in all three forms: CSV for notebooks and spreadsheets,
/// Markdown for the README, JSON for scripts. Numbers keep full precision in CSV and JSON and
/// are rounded to `significantDigits` only in Markdown.
public struct ResultsTable: Equatable, Sendable {
    /// One cell: a number (NaN allowed for "not measured"), an integer, or text.
    public enum Cell: Equatable, Sendable, CustomStringConvertible {
        case number(Double)
        case integer(Int)
        case text(String)

        public var description: String {
            switch self {
            case let .number(x): return x.isNaN ? "" : "\(x)"
            case let .integer(i): return "\(i)"
            case let .text(s): return s
            }
        }
    }

    public let columns: [String]
    public private(set) var rows: [[Cell]] = []

    public init(columns: [String]) {
        precondition(Set(columns).count == columns.count, "duplicate column names")
        self.columns = columns
    }

    /// Appends a row given as column name → cell; every column must be present.
    public mutating func append(_ row: [String: Cell]) throws {
        let missing = columns.filter { row[$0] == nil }
        guard missing.isEmpty else {
            throw MongeError.invalidArgument(name: "results row", message: "missing columns \(missing.joined(separator: ", "))")
        }
        let unknown = row.keys.filter { !columns.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw MongeError.invalidArgument(name: "results row", message: "unknown columns \(unknown.joined(separator: ", "))")
        }
        rows.append(columns.map { row[$0]! })
    }

    /// The cells of column `name`, top to bottom.
    public func column(_ name: String) -> [Cell] {
        guard let j = columns.firstIndex(of: name) else { return [] }
        return rows.map { $0[j] }
    }

    /// RFC 4180 CSV with a header line.
    public func csv() -> String {
        func quote(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var lines = [columns.map(quote).joined(separator: ",")]
        for row in rows { lines.append(row.map { quote($0.description) }.joined(separator: ",")) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A GitHub-flavoured Markdown table; numbers rounded to `significantDigits`.
    public func markdown(significantDigits: Int = 4) -> String {
        func format(_ cell: Cell) -> String {
            switch cell {
            case let .number(x):
                if x.isNaN { return "–" }
                if x == 0 { return "0" }
                let magnitude = abs(x)
                if magnitude >= 1e-3 && magnitude < 1e5 {
                    let decimals = max(0, significantDigits - 1 - Int(floor(log10(magnitude))))
                    return String(format: "%.\(decimals)f", x)
                }
                return String(format: "%.\(max(significantDigits - 1, 0))e", x)
            case let .integer(i): return "\(i)"
            case let .text(s): return s.replacingOccurrences(of: "|", with: "\\|")
            }
        }
        var lines = ["| " + columns.joined(separator: " | ") + " |",
                     "|" + columns.map { _ in "---" }.joined(separator: "|") + "|"]
        for row in rows { lines.append("| " + row.map(format).joined(separator: " | ") + " |") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A JSON array of objects, one per row, keys in column order; NaN becomes null.
    public func json() -> String {
        func encode(_ cell: Cell) -> String {
            switch cell {
            case let .number(x): return x.isFinite ? "\(x)" : "null"
            case let .integer(i): return "\(i)"
            case let .text(s):
                let data = try! JSONEncoder().encode(s)
                return String(decoding: data, as: UTF8.self)
            }
        }
        let objects = rows.map { row in
            "  {" + zip(columns, row).map { name, cell in
                String(decoding: try! JSONEncoder().encode(name), as: UTF8.self) + ": " + encode(cell)
            }.joined(separator: ", ") + "}"
        }
        return "[\n" + objects.joined(separator: ",\n") + "\n]\n"
    }

    /// Writes `<stem>.csv`, `<stem>.md` and `<stem>.json` atomically; returns the paths.
    @discardableResult
    public func write(stem: String) throws -> [String] {
        let paths = [stem + ".csv", stem + ".md", stem + ".json"]
        try AtomicFile.write(csv(), to: paths[0])
        try AtomicFile.write(markdown(), to: paths[1])
        try AtomicFile.write(json(), to: paths[2])
        return paths
    }
}

extension ResultsTable.Cell: Codable {
    /// `{"number": "0.1"}` (the shortest text that reads back to the same bits; "nan" for not
    /// measured), `{"integer": 3}` or `{"text": "moons"}`: exact, so that tables assembled from
    /// stored rows (shards) equal the tables of one process byte for byte.
    private enum Key: String, CodingKey { case number, integer, text }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        if let text = try container.decodeIfPresent(String.self, forKey: .number) {
            guard let x = Double(text) else {
                throw DecodingError.dataCorruptedError(forKey: .number, in: container, debugDescription: "expected a number, got '\(text)'")
            }
            self = .number(x)
        } else if let i = try container.decodeIfPresent(Int.self, forKey: .integer) {
            self = .integer(i)
        } else {
            self = .text(try container.decode(String.self, forKey: .text))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch self {
        case let .number(x): try container.encode(x.isNaN ? "nan" : "\(x)", forKey: .number)
        case let .integer(i): try container.encode(i, forKey: .integer)
        case let .text(s): try container.encode(s, forKey: .text)
        }
    }
}
