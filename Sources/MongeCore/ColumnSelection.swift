import Foundation

/// Which columns of a table file to read, as written after the file name: `points.csv:columns=x,y`.
///
/// Items are separated by commas: a 1-based position (`2`), a range of positions (`2-4`), or a
/// column name of the CSV header (anything that is not a position). Columns are read in the order
/// given; a column may be selected once. The selection is how a user settles what the reader
/// cannot decide on its own (is column 1 an index or a coordinate?) and how a table with
/// non-numeric columns (labels, ids) is read at all: unselected columns are never parsed.
public struct ColumnSelection: Equatable, Sendable, CustomStringConvertible {
    public enum Item: Equatable, Sendable {
        /// Positions `lower...upper`, 1-based (a single position has `lower == upper`).
        case positions(ClosedRange<Int>)
        case name(String)
    }

    /// The suffix that introduces a selection after a file name.
    public static let suffix = ":columns="

    public let items: [Item]
    /// The text the selection was parsed from, e.g. "2-3" or "x,y".
    public let text: String

    public var description: String { "columns=\(text)" }

    /// Whether an item names a header column (and so requires a header).
    public var hasNames: Bool {
        items.contains { if case .name = $0 { return true } else { return false } }
    }

    /// Parses "2,3", "2-4", "x,y" or a mix; throws an error naming the bad item.
    public init(parsing text: String) throws {
        func error(_ message: String) -> MongeError {
            .invalidArgument(name: "columns=\(text)", message: message)
        }
        guard !text.isEmpty else { throw error("expected column names or 1-based positions, e.g. columns=2,3 or columns=x,y") }
        var items: [Item] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = String(part)
            guard !item.isEmpty else { throw error("an empty item; expected names or positions separated by single commas") }
            if let position = ColumnSelection.position(item) {
                items.append(.positions(position...position))
            } else if let dash = item.firstIndex(of: "-"), let lower = ColumnSelection.position(String(item[..<dash])),
                      let upper = ColumnSelection.position(String(item[item.index(after: dash)...])) {
                guard lower <= upper else { throw error("range \(item) runs backwards; expected LOW-HIGH") }
                items.append(.positions(lower...upper))
            } else if item.allSatisfy({ $0.isNumber || $0 == "-" || $0 == "+" }) {
                throw error("\"\(item)\" is not a position; positions start at 1")
            } else {
                items.append(.name(item))
            }
        }
        self.items = items
        self.text = text
    }

    /// Splits `path:columns=…` into the file and its selection; a path without the suffix is
    /// returned whole with no selection.
    public static func split(_ path: String) throws -> (file: String, selection: ColumnSelection?) {
        guard let range = path.range(of: suffix, options: .backwards) else { return (path, nil) }
        let file = String(path[..<range.lowerBound])
        return (file, try ColumnSelection(parsing: String(path[range.upperBound...])))
    }

    /// The 0-based indices this selects among `count` columns named `names` (nil: no header);
    /// errors name `path` and the item that does not fit.
    public func indices(columnCount count: Int, names: [String]?, path: String) throws -> [Int] {
        func error(_ message: String) -> MongeError {
            .invalidFile(path: path, location: description, message: message)
        }
        var result: [Int] = []
        for item in items {
            switch item {
            case let .positions(range):
                guard range.upperBound <= count else {
                    throw error("position \(range.upperBound) is beyond the file's \(count) columns")
                }
                result += range.map { $0 - 1 }
            case let .name(name):
                guard let names else {
                    throw error("\"\(name)\" is a column name but the file has no header line; select by position (1 to \(count))")
                }
                let matches = names.indices.filter { names[$0] == name }
                guard matches.count == 1 else {
                    let problem = matches.isEmpty ? "no column is named \"\(name)\"" : "\(matches.count) columns are named \"\(name)\""
                    throw error("\(problem); the header names \(names.map { "\"\($0)\"" }.joined(separator: ", "))")
                }
                result.append(matches[0])
            }
        }
        var seen = Set<Int>()
        for index in result where !seen.insert(index).inserted {
            throw error("column \(index + 1) is selected twice")
        }
        return result
    }

    /// A position: decimal digits only, at least 1.
    private static func position(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = Int(text), value >= 1 else { return nil }
        return value
    }
}
