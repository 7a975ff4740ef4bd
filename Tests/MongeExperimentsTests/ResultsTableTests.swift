import Foundation
import MongeExperiments
import Testing
import TestSupport

@Suite("Results table")
struct ResultsTableTests {
    func sample() throws -> ResultsTable {
        var table = ResultsTable(columns: ["pair", "steps", "gap"])
        try table.append(["pair": .text("moons→rings"), "steps": .integer(100), "gap": .number(0.123456789)])
        try table.append(["pair": .text("a,b"), "steps": .integer(10), "gap": .number(.nan)])
        return table
    }

    @Test func csvQuotesAndKeepsFullPrecision() throws {
        #expect(try sample().csv() == "pair,steps,gap\nmoons→rings,100,0.123456789\n\"a,b\",10,\n")
    }

    @Test func markdownRoundsAndMarksMissing() throws {
        let md = try sample().markdown(significantDigits: 3)
        #expect(md.contains("| moons→rings | 100 | 0.123 |"))
        #expect(md.contains("| a,b | 10 | – |"))
    }

    @Test func jsonIsValidAndNaNIsNull() throws {
        let data = Data(try sample().json().utf8)
        let objects = try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        #expect(objects.count == 2)
        #expect(objects[0]["gap"] as? Double == 0.123456789)
        #expect(objects[1]["gap"] is NSNull)
    }

    @Test func rowsMustBeComplete() {
        var table = ResultsTable(columns: ["a", "b"])
        #expect(throws: MongeError.self) { try table.append(["a": .integer(1)]) }
        #expect(throws: MongeError.self) { try table.append(["a": .integer(1), "b": .integer(2), "c": .integer(3)]) }
        #expect(table.rows.isEmpty)
    }
}
