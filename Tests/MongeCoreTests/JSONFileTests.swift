import Foundation
import MongeCore
import TestSupport
import Testing

@Suite("JSONFile")
struct JSONFileTests {
    struct Inner: Codable, Equatable { var rate: Double; var layers: [Int] }
    struct Config: Codable, Equatable { var name: String; var inner: Inner }

    private func decode(_ text: String) throws -> Config {
        try JSONFile.decode(Config.self, from: Data(text.utf8), path: "config.json", what: "a test config")
    }

    @Test func malformedTextIsNamedByLineAndColumnWithWhatWasExpected() throws {
        let cases: [(String, String, [String])] = [
            ("{\"name\": \"a\",, }", "line 1, column 14", ["expected a member name", "found ','"]),
            ("{\n  \"name\": \"a\"\n  \"inner\": {}\n}", "line 3, column 3", ["expected ',' or '}' after the member \"name\"", "found '\"inner\":'"]),
            ("{\"name\": tru}", "line 1, column 10", ["expected true", "found 'tru'"]),
            ("{\"name\": \"é\", \"inner\": {\"rate\": 01}}", "line 1, column 33", ["leading zeros"]),
            ("{\"name\": \"a\"} x", "line 1, column 15", ["expected the end of the text", "found 'x'"]),
            ("{\"name\": \"a", "line 1, column 10", ["to end the string"]),
            ("{\"name\": \"a\tb\"}", "line 1, column 12", ["control character 0x09"]),
            ("{\"name\": 1.}", "line 1, column 12", ["digit after the decimal point", "found '}'"]),
            ("{\"name\": \"\\x\"}", "line 1, column 11", ["expected an escape"]),
            ("", "line 1, column 1", ["expected a value", "the end of the text"]),
            ("\u{0}\u{1}garbage", "line 1, column 1", ["expected a value", "'\\u{0}\\u{1}garbage'"]),
            (String(repeating: "[", count: 600), "line 1, column 513", ["at most 512 levels"]),
            // Found by the fuzzer: valid syntax, but Foundation refuses a number beyond a Double.
            ("{\"name\": \"a\",\n \"inner\": {\"rate\": -1.5e987}}", "line 2, column 20", ["range of a Double", "'-1.5e987'"]),
        ]
        for (text, location, fragments) in cases {
            expectInvalidFile(location: location, containing: ["not a test config"] + fragments) { _ = try decode(text) }
        }
        let invalidUTF8 = Data([0x7B, 0x22, 0x61, 0xFF, 0x22, 0x3A, 0x31, 0x7D])
        expectInvalidFile(location: "line 1, column 4", containing: ["invalid byte 0xFF"]) {
            _ = try JSONFile.decode(Config.self, from: invalidUTF8, path: "config.json", what: "a test config")
        }
    }

    @Test func wrongFieldsAreNamedByPathAndPosition() throws {
        let good = "{\"name\": \"a\",\n \"inner\": {\"rate\": 0.5, \"layers\": [1, 2]}}"
        #expect(try decode(good) == Config(name: "a", inner: Inner(rate: 0.5, layers: [1, 2])))
        expectInvalidFile(location: "inner.rate (line 2, column 20)", containing: ["Double"]) {
            _ = try decode("{\"name\": \"a\",\n \"inner\": {\"rate\": \"fast\", \"layers\": []}}")
        }
        expectInvalidFile(location: "inner.layers[1] (line 1, column 50)", containing: ["Int"]) {
            _ = try decode("{\"name\": \"a\", \"inner\": {\"rate\": 1, \"layers\": [1, \"2\"]}}")
        }
        // Foundation names no field for a number that does not fit; the message says what kind of fault it is.
        expectInvalidFile(location: nil, containing: ["does not fit its field"]) {
            _ = try decode("{\"name\": \"a\", \"inner\": {\"rate\": 1, \"layers\": [1, 2.5]}}")
        }
        expectInvalidFile(location: "inner (line 1, column 24)", containing: ["missing field \"inner.layers\""]) {
            _ = try decode("{\"name\": \"a\", \"inner\": {\"rate\": 1}}")
        }
        expectInvalidFile(location: "line 1, column 1", containing: ["missing field \"name\""]) { _ = try decode("{}") }
    }

    @Test func aGarbageFileIsNamedWithItsPosition() throws {
        let file = TestSupport.temporaryFolder("json") + "/config.json"
        try "{\"name\": \"a\",\n    garbage\n}".write(toFile: file, atomically: false, encoding: .utf8)
        do {
            _ = try JSONFile.read(Config.self, from: file, what: "a test config")
            Issue.record("garbage was decoded")
        } catch let error as MongeError {
            #expect(error.description == "\(file): line 2, column 5: not a test config: expected a member name in double quotes, found 'garbage'")
        }
    }

    /// The syntax check agrees with Foundation's JSON parser (an independent implementation) on
    /// what is JSON, over valid texts and their single-byte corruptions.
    @Test func syntaxAgreesWithFoundation() throws {
        let samples = [
            "{\"a\": [1, -2.5e+3, 0, -0.0, 1E2, true, false, null, \"x\\\"y\\\\\\n\\u00e9\\ud83d\\ude00\"], \"b\": {}}",
            " [ ] ", "\"text\"", "12", "-0.5e-7", "{\"k\":{\"k\":[[[]]]}}", "[1,2,3]",
        ]
        var texts = samples
        for sample in samples {
            let bytes = Array(sample.utf8)
            for position in bytes.indices {
                for replacement in [UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "\""), UInt8(ascii: "0"), UInt8(ascii: "e"), UInt8(ascii: " ")] {
                    var corrupted = bytes
                    corrupted[position] = replacement
                    if let text = String(bytes: corrupted, encoding: .utf8) { texts.append(text) }
                }
                var shortened = bytes
                shortened.remove(at: position)
                if let text = String(bytes: shortened, encoding: .utf8) { texts.append(text) }
            }
        }
        var disagreements: [String] = []
        for text in texts {
            let ours = JSONSyntax.check(Data(text.utf8)) == nil
            let foundation = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) != nil
            // Foundation also takes a trailing comma ("[1,2,]"), which RFC 8259 (and Python's json) refuse.
            let trailingComma = text.range(of: #",\s*[\]}]"#, options: .regularExpression) != nil
            if ours != foundation && !(foundation && trailingComma) { disagreements.append("\(text): ours \(ours), Foundation \(foundation)") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")
        #expect(texts.count > 500)
        #expect(JSONSyntax.check(Data("[1,2,]".utf8))?.message.contains("expected a value") == true)
        #expect(JSONSyntax.check(Data("\"\\ud83d\"".utf8))?.message.contains("low surrogate") == true)
        #expect(JSONSyntax.check(Data("\"\\ude00\"".utf8))?.message.contains("lone low surrogate") == true)
    }

    @Test func positionsFindValuesByPath() throws {
        let text = Data("{\"a\": [10, {\"b\": \"x\"}],\n\"c\": null}".utf8)
        #expect(JSONSyntax.position(of: [], in: text)! == (1, 1))
        #expect(JSONSyntax.position(of: [.key("a"), .index(1), .key("b")], in: text)! == (1, 18))
        #expect(JSONSyntax.position(of: [.key("c")], in: text)! == (2, 6))
        #expect(JSONSyntax.position(of: [.key("d")], in: text) == nil)
    }
}
