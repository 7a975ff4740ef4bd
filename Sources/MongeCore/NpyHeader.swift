/// The dictionary at the start of a .npy file: `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }`.
///
/// The header is a Python literal (numpy's format.py, "NPY format"); this parses exactly the
/// literals numpy writes (strings, booleans, integers, tuples, lists, dicts) — never evaluates code.
struct NpyHeader: Equatable {
    var descriptor: String
    var fortranOrder: Bool
    var shape: [Int]

    /// The header text numpy writes for this dictionary before padding: keys sorted, each
    /// followed by ", ", then the spare spaces numpy leaves for growing the first axis in place.
    var dictionaryText: String {
        var text = "{'descr': '\(descriptor)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(NDArray.describe(shape)), }"
        if let first = shape.first {
            // numpy.lib.format.GROWTH_AXIS_MAX_DIGITS = 21.
            text += String(repeating: " ", count: max(0, 21 - String(first).count))
        }
        return text
    }

    /// Parses the header text; throws a message saying what was expected where.
    static func parse(_ text: String) throws(HeaderError) -> NpyHeader {
        var parser = PythonLiteralParser(text)
        let literal = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.atEnd else {
            throw HeaderError("expected the end of the header after the dictionary, found \(parser.remainderPreview)")
        }
        guard case let .dictionary(entries) = literal else {
            throw HeaderError("expected a dictionary {'descr': …, 'fortran_order': …, 'shape': …}, found \(literal.kindName)")
        }
        let keys = entries.map(\.0)
        guard Set(keys) == ["descr", "fortran_order", "shape"], keys.count == 3 else {
            throw HeaderError("expected exactly the keys 'descr', 'fortran_order' and 'shape', found \(keys.map { "'\($0)'" }.joined(separator: ", "))")
        }
        let values = Dictionary(entries, uniquingKeysWith: { first, _ in first })
        guard case let .string(descriptor) = values["descr"]! else {
            throw HeaderError("unsupported dtype: 'descr' is \(values["descr"]!.kindName) (a structured dtype?); expected a string such as '<f8'")
        }
        guard case let .boolean(fortranOrder) = values["fortran_order"]! else {
            throw HeaderError("expected 'fortran_order' to be True or False, found \(values["fortran_order"]!.kindName)")
        }
        guard case let .tuple(items) = values["shape"]! else {
            throw HeaderError("expected 'shape' to be a tuple of integers, found \(values["shape"]!.kindName)")
        }
        var shape: [Int] = []
        for item in items {
            guard case let .integer(extent) = item, extent >= 0 else {
                throw HeaderError("expected 'shape' to hold non-negative integers, found \(item.kindName)")
            }
            shape.append(extent)
        }
        return NpyHeader(descriptor: descriptor, fortranOrder: fortranOrder, shape: shape)
    }

    struct HeaderError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }
}

/// The subset of Python literals that appears in .npy headers.
private indirect enum PythonLiteral {
    case string(String)
    case boolean(Bool)
    case integer(Int)
    case none
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case dictionary([(String, PythonLiteral)])

    var kindName: String {
        switch self {
        case let .string(s): return "the string '\(s)'"
        case let .boolean(b): return b ? "True" : "False"
        case let .integer(i): return "the integer \(i)"
        case .none: return "None"
        case .tuple: return "a tuple"
        case .list: return "a list"
        case .dictionary: return "a dictionary"
        }
    }
}

/// A recursive-descent parser over Unicode scalars.
private struct PythonLiteralParser {
    private let scalars: [Unicode.Scalar]
    private var index = 0

    init(_ text: String) { scalars = Array(text.unicodeScalars) }

    var atEnd: Bool { index == scalars.count }

    var remainderPreview: String {
        let rest = String(String.UnicodeScalarView(scalars[index...].prefix(24)))
        return rest.isEmpty ? "the end of the header" : "\"\(rest)\" at character \(index)"
    }

    mutating func skipWhitespace() {
        while index < scalars.count, scalars[index].properties.isWhitespace { index += 1 }
    }

    mutating func parseValue() throws(NpyHeader.HeaderError) -> PythonLiteral {
        skipWhitespace()
        guard index < scalars.count else {
            throw NpyHeader.HeaderError("expected a value, found the end of the header (truncated dictionary?)")
        }
        switch scalars[index] {
        case "'", "\"": return .string(try parseString())
        case "{": return try parseDictionary()
        case "(":
            let (items, sawComma) = try parseSequence(closing: ")")
            // Python: "(3)" is the integer 3; "(3,)" and "()" are tuples.
            if items.count == 1, !sawComma { return items[0] }
            return .tuple(items)
        case "[": return .list(try parseSequence(closing: "]").items)
        case "-", "0"..."9": return .integer(try parseInteger())
        default:
            for (word, literal) in [("True", PythonLiteral.boolean(true)), ("False", .boolean(false)), ("None", .none)]
            where matches(word) {
                index += word.unicodeScalars.count
                return literal
            }
            throw NpyHeader.HeaderError("expected a Python literal, found \(remainderPreview)")
        }
    }

    private func matches(_ word: String) -> Bool {
        let wordScalars = Array(word.unicodeScalars)
        guard index + wordScalars.count <= scalars.count else { return false }
        return Array(scalars[index..<(index + wordScalars.count)]) == wordScalars
    }

    private mutating func parseString() throws(NpyHeader.HeaderError) -> String {
        let quote = scalars[index]
        index += 1
        var result = String.UnicodeScalarView()
        while index < scalars.count {
            let c = scalars[index]
            index += 1
            if c == quote { return String(result) }
            if c == "\\", index < scalars.count {
                let escaped = scalars[index]
                index += 1
                switch escaped {
                case "n": result.append("\n")
                case "t": result.append("\t")
                default: result.append(escaped)
                }
            } else {
                result.append(c)
            }
        }
        throw NpyHeader.HeaderError("expected a closing \(quote) for a string, found the end of the header")
    }

    private mutating func parseInteger() throws(NpyHeader.HeaderError) -> Int {
        let start = index
        if scalars[index] == "-" { index += 1 }
        while index < scalars.count, ("0"..."9").contains(scalars[index]) { index += 1 }
        let digits = String(String.UnicodeScalarView(scalars[start..<index]))
        // Python 2 numpy wrote long integers with an "L" suffix.
        if index < scalars.count, scalars[index] == "L" || scalars[index] == "l" { index += 1 }
        guard let value = Int(digits) else {
            throw NpyHeader.HeaderError("expected an integer, found \"\(digits)\" at character \(start)")
        }
        return value
    }

    /// Items up to `closing`, separated by commas, with an optional trailing comma.
    private mutating func parseSequence(closing: Unicode.Scalar) throws(NpyHeader.HeaderError) -> (items: [PythonLiteral], sawComma: Bool) {
        index += 1
        var items: [PythonLiteral] = []
        var sawComma = false
        while true {
            skipWhitespace()
            if index < scalars.count, scalars[index] == closing { index += 1; return (items, sawComma) }
            items.append(try parseValue())
            skipWhitespace()
            guard index < scalars.count else {
                throw NpyHeader.HeaderError("expected ',' or '\(closing)', found the end of the header")
            }
            if scalars[index] == "," { index += 1; sawComma = true; continue }
            if scalars[index] == closing { index += 1; return (items, sawComma) }
            throw NpyHeader.HeaderError("expected ',' or '\(closing)', found \(remainderPreview)")
        }
    }

    private mutating func parseDictionary() throws(NpyHeader.HeaderError) -> PythonLiteral {
        index += 1
        var entries: [(String, PythonLiteral)] = []
        while true {
            skipWhitespace()
            guard index < scalars.count else {
                throw NpyHeader.HeaderError("expected a key or '}', found the end of the header (truncated dictionary?)")
            }
            if scalars[index] == "}" { index += 1; return .dictionary(entries) }
            guard scalars[index] == "'" || scalars[index] == "\"" else {
                throw NpyHeader.HeaderError("expected a string key, found \(remainderPreview)")
            }
            let key = try parseString()
            skipWhitespace()
            guard index < scalars.count, scalars[index] == ":" else {
                throw NpyHeader.HeaderError("expected ':' after the key '\(key)', found \(remainderPreview)")
            }
            index += 1
            entries.append((key, try parseValue()))
            skipWhitespace()
            guard index < scalars.count else {
                throw NpyHeader.HeaderError("expected ',' or '}', found the end of the header (truncated dictionary?)")
            }
            if scalars[index] == "," { index += 1; continue }
            if scalars[index] == "}" { index += 1; return .dictionary(entries) }
            throw NpyHeader.HeaderError("expected ',' or '}', found \(remainderPreview)")
        }
    }
}
