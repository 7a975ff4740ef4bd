/// A check of JSON text (RFC 8259) that says where it fails and what was expected there, and
/// finds where a value sits: Foundation's `JSONDecoder` reports a syntax error as "not valid
/// JSON" without a dependable position, and a wrong field by its coding path only.
///
/// Positions are 1-based lines and columns (columns count characters, not bytes). Nesting is
/// limited to `maximumDepth` levels, so hostile input cannot exhaust the stack, and numbers to
/// the range of a Double, as Foundation's decoder requires.
public enum JSONSyntax {
    public static let maximumDepth = 512

    /// Where a text stops being JSON.
    public struct Failure: Error, Equatable, Sendable {
        /// 0-based byte offset of the first byte that does not fit.
        public let offset: Int
        public let line: Int
        public let column: Int
        /// What was expected and what was found, e.g. "expected ',' or '}' after a member, found 'x'".
        public let message: String

        public var location: String { "line \(line), column \(column)" }
    }

    /// One step of a path into a JSON value: an object member or an array element.
    public enum PathComponent: Equatable, Sendable {
        case key(String)
        case index(Int)
    }

    /// The first syntax error of `bytes`, or nil for one valid JSON value (with optional
    /// surrounding whitespace).
    public static func check<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Failure? {
        var scanner = Scanner(Array(bytes), target: nil)
        return scanner.run()
    }

    /// The line and column where the value at `path` starts, when the text is valid JSON that
    /// holds one (an empty path is the top-level value).
    public static func position<Bytes: Collection<UInt8>>(of path: [PathComponent], in bytes: Bytes) -> (line: Int, column: Int)? {
        var scanner = Scanner(Array(bytes), target: path)
        guard scanner.run() == nil, let offset = scanner.found else { return nil }
        return scanner.lineAndColumn(offset)
    }

    /// A recursive-descent recogniser over UTF-8 bytes.
    private struct Scanner {
        let bytes: [UInt8]
        let target: [PathComponent]?
        var index = 0
        /// The byte offset of the value at `target`, once seen.
        var found: Int?

        init(_ bytes: [UInt8], target: [PathComponent]?) {
            self.bytes = bytes
            self.target = target
        }

        struct Stop: Error { let offset: Int; let message: String }

        mutating func run() -> Failure? {
            if let invalid = Scanner.firstInvalidUTF8(bytes) {
                return failure(Stop(offset: invalid, message: "expected UTF-8 text, found the invalid byte \(Scanner.hex(bytes[invalid]))"))
            }
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
            do {
                skipWhitespace()
                try value(depth: 0, matched: target.map { _ in 0 })
                skipWhitespace()
                guard index == bytes.count else {
                    throw Stop(offset: index, message: "expected the end of the text after the JSON value, found \(foundText())")
                }
                return nil
            } catch let stop as Stop {
                return failure(stop)
            } catch {
                return failure(Stop(offset: index, message: "\(error)"))
            }
        }

        func failure(_ stop: Stop) -> Failure {
            let (line, column) = lineAndColumn(stop.offset)
            return Failure(offset: stop.offset, line: line, column: column, message: stop.message)
        }

        func lineAndColumn(_ offset: Int) -> (line: Int, column: Int) {
            var line = 1, column = 1
            for byte in bytes[..<min(offset, bytes.count)] {
                if byte == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else if byte & 0xC0 != 0x80 {  // not a UTF-8 continuation byte
                    column += 1
                }
            }
            return (line, column)
        }

        /// `matched`: how many components of `target` the path to this value matches, or nil
        /// when it has left the target's path.
        mutating func value(depth: Int, matched: Int?) throws {
            guard depth < maximumDepth else {
                throw Stop(offset: index, message: "expected at most \(maximumDepth) levels of nested arrays and objects")
            }
            if let matched, let target, matched == target.count { found = index }
            guard index < bytes.count else { throw Stop(offset: index, message: "expected a value, found the end of the text") }
            switch bytes[index] {
            case UInt8(ascii: "{"): try object(depth: depth, matched: matched)
            case UInt8(ascii: "["): try array(depth: depth, matched: matched)
            case UInt8(ascii: "\""): _ = try string()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default:
                throw Stop(offset: index, message: "expected a value (an object, array, string, number, true, false or null), found \(foundText())")
            }
        }

        mutating func object(depth: Int, matched: Int?) throws {
            index += 1
            skipWhitespace()
            if peek(UInt8(ascii: "}")) { index += 1; return }
            while true {
                guard peek(UInt8(ascii: "\"")) else {
                    throw Stop(offset: index, message: "expected a member name in double quotes, found \(foundText())")
                }
                let key = try string()
                skipWhitespace()
                guard peek(UInt8(ascii: ":")) else {
                    throw Stop(offset: index, message: "expected ':' after the member name \"\(key)\", found \(foundText())")
                }
                index += 1
                skipWhitespace()
                try value(depth: depth + 1, matched: descend(matched, .key(key)))
                skipWhitespace()
                if peek(UInt8(ascii: ",")) {
                    index += 1
                    skipWhitespace()
                } else if peek(UInt8(ascii: "}")) {
                    index += 1
                    return
                } else {
                    throw Stop(offset: index, message: "expected ',' or '}' after the member \"\(key)\", found \(foundText())")
                }
            }
        }

        mutating func array(depth: Int, matched: Int?) throws {
            index += 1
            skipWhitespace()
            if peek(UInt8(ascii: "]")) { index += 1; return }
            var element = 0
            while true {
                try value(depth: depth + 1, matched: descend(matched, .index(element)))
                skipWhitespace()
                if peek(UInt8(ascii: ",")) {
                    index += 1
                    skipWhitespace()
                    element += 1
                } else if peek(UInt8(ascii: "]")) {
                    index += 1
                    return
                } else {
                    throw Stop(offset: index, message: "expected ',' or ']' after an array element, found \(foundText())")
                }
            }
        }

        func descend(_ matched: Int?, _ component: PathComponent) -> Int? {
            guard let matched, let target, matched < target.count, target[matched] == component else { return nil }
            return matched + 1
        }

        /// A string literal; returns its text (escapes decoded) for member names.
        mutating func string() throws -> String {
            let start = index
            index += 1
            var scalars = String.UnicodeScalarView()
            var run = index  // start of the current run of plain bytes
            func flush(_ end: Int) { scalars.append(contentsOf: String(decoding: bytes[run..<end], as: UTF8.self).unicodeScalars) }
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    flush(index)
                    index += 1
                    return String(scalars)
                }
                if byte < 0x20 {
                    throw Stop(offset: index, message: "expected '\"' to end the string, found the control character \(Scanner.hex(byte)) (escape it)")
                }
                if byte == UInt8(ascii: "\\") {
                    flush(index)
                    try escape(into: &scalars)
                    run = index
                    continue
                }
                index += 1
            }
            throw Stop(offset: start, message: "expected '\"' to end the string that starts here, found the end of the text")
        }

        mutating func escape(into scalars: inout String.UnicodeScalarView) throws {
            let start = index
            index += 1
            guard index < bytes.count else { throw Stop(offset: start, message: "expected an escape after '\\', found the end of the text") }
            let simple: [UInt8: Unicode.Scalar] = [UInt8(ascii: "\""): "\"", UInt8(ascii: "\\"): "\\", UInt8(ascii: "/"): "/",
                                                   UInt8(ascii: "b"): "\u{08}", UInt8(ascii: "f"): "\u{0C}", UInt8(ascii: "n"): "\n",
                                                   UInt8(ascii: "r"): "\r", UInt8(ascii: "t"): "\t"]
            if let scalar = simple[bytes[index]] {
                scalars.append(scalar)
                index += 1
                return
            }
            guard bytes[index] == UInt8(ascii: "u") else {
                throw Stop(offset: start, message: "expected an escape \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX, found \\\(foundText())")
            }
            index += 1
            let code = try hexQuad(escapeStart: start)
            var scalar = Unicode.Scalar(code)
            if (0xD800..<0xDC00).contains(code) {
                // A high surrogate must be followed by its low half: "\ud83d\ude00".
                let second = index
                guard bytes[index...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) else {
                    throw Stop(offset: start, message: "expected a low surrogate escape \\uDC00-\\uDFFF after the high surrogate \(text(start..<index)), found \(foundText())")
                }
                index += 2
                let low = try hexQuad(escapeStart: second)
                guard (0xDC00..<0xE000).contains(low) else {
                    throw Stop(offset: second, message: "expected a low surrogate escape \\uDC00-\\uDFFF after the high surrogate \(text(start..<second)), found \(text(second..<index))")
                }
                scalar = Unicode.Scalar(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
            }
            guard let scalar else {
                throw Stop(offset: start, message: "expected a character escape, found the lone low surrogate \(text(start..<index))")
            }
            scalars.append(scalar)
        }

        mutating func hexQuad(escapeStart: Int) throws -> UInt32 {
            var code: UInt32 = 0
            for _ in 0..<4 {
                guard index < bytes.count, let digit = Scanner.hexValue(bytes[index]) else {
                    throw Stop(offset: escapeStart, message: "expected four hexadecimal digits after \\u, found \(foundText())")
                }
                code = code << 4 | digit
                index += 1
            }
            return code
        }

        /// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
        mutating func number() throws {
            let start = index
            func digits() -> Int {
                let from = index
                while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
                return index - from
            }
            if peek(UInt8(ascii: "-")) { index += 1 }
            let integerStart = index
            let integerDigits = digits()
            guard integerDigits > 0 else { throw Stop(offset: index, message: "expected a digit in the number, found \(foundText())") }
            if integerDigits > 1 && bytes[integerStart] == UInt8(ascii: "0") {
                throw Stop(offset: start, message: "expected a number without leading zeros, found '\(text(start..<index))'")
            }
            if peek(UInt8(ascii: ".")) {
                index += 1
                guard digits() > 0 else { throw Stop(offset: index, message: "expected a digit after the decimal point, found \(foundText())") }
            }
            if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
                index += 1
                if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { index += 1 }
                guard digits() > 0 else { throw Stop(offset: index, message: "expected a digit in the exponent, found \(foundText())") }
            }
            // Foundation decodes every number as a Double (or an integer) and refuses one beyond its range.
            guard Double(String(decoding: bytes[start..<index], as: UTF8.self))?.isFinite == true else {
                throw Stop(offset: start, message: "expected a number within the range of a Double (±1.8e308), found '\(text(start..<index))'")
            }
        }

        mutating func literal(_ word: String) throws {
            let start = index
            for expected in word.utf8 {
                guard index < bytes.count, bytes[index] == expected else {
                    throw Stop(offset: start, message: "expected \(word), found \(foundText(at: start))")
                }
                index += 1
            }
        }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        func peek(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }

        /// What is found at `offset`, for a message: "'x'", "\"tru\"…" or "the end of the text".
        func foundText(at offset: Int? = nil) -> String {
            let offset = offset ?? index
            guard offset < bytes.count else { return "the end of the text" }
            var end = offset
            while end < bytes.count, end - offset < 12, ![0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")].contains(bytes[end]) {
                end += 1
            }
            end = max(end, offset + 1)
            while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }  // whole characters
            return "'" + text(offset..<end) + "'"
        }

        func text(_ range: Range<Int>) -> String {
            var result = ""
            for scalar in String(decoding: bytes[range], as: UTF8.self).unicodeScalars {
                result += scalar.value < 0x20 || scalar.value == 0x7F ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
            }
            return result
        }

        static func hex(_ byte: UInt8) -> String {
            "0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
        }

        static func hexValue(_ byte: UInt8) -> UInt32? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
        }

        /// The offset of the first byte that does not belong to valid UTF-8, or nil.
        static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
            var iterator = bytes.makeIterator()
            var parser = Unicode.UTF8.ForwardParser()
            var offset = 0
            while true {
                switch parser.parseScalar(from: &iterator) {
                case let .valid(encoded): offset += encoded.count
                case .error: return offset
                case .emptyInput: return nil
                }
            }
        }
    }
}
