import Foundation
import MongeCore
import TestSupport
import Testing

/// Expects `body` to throw `MongeError.invalidFile` at `location` with a message containing
/// every fragment; returns the message.
@discardableResult
func expectInvalidFile(location: String?, containing fragments: [String] = [],
                       sourceLocation: SourceLocation = #_sourceLocation,
                       _ body: () throws -> Void) -> String? {
    do {
        try body()
        Issue.record("expected MongeError.invalidFile at \(location ?? "nil"), nothing was thrown", sourceLocation: sourceLocation)
    } catch let MongeError.invalidFile(_, foundLocation, message) {
        #expect(foundLocation == location, "message: \(message)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(message.contains(fragment), "\"\(message)\" lacks \"\(fragment)\"", sourceLocation: sourceLocation)
        }
        return message
    } catch {
        Issue.record("expected MongeError.invalidFile, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Seeded values with the awkward cases of each precision: ±0, subnormals, extremes, thirds.
func awkwardDoubles(_ count: Int, seed: UInt64) -> [Double] {
    let special: [Double] = [0, -0.0, 1.0 / 3.0, 0.1, .leastNonzeroMagnitude, 2.2250738585072014e-308, .greatestFiniteMagnitude,
                             -.greatestFiniteMagnitude, 1e-300, 123456789.123456789, -2.5]
    let random = RandomStream(seed: seed)
    return (0..<count).map { i in i < special.count ? special[i] : random.normal(UInt64(i)) * 1e3 }
}

func awkwardFloats(_ count: Int, seed: UInt64) -> [Float] {
    let special: [Float] = [0, -0.0, 1.0 / 3.0, 0.1, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude,
                            -.greatestFiniteMagnitude, 16_777_215, -2.5]
    let random = RandomStream(seed: seed)
    return (0..<count).map { i in i < special.count ? special[i] : Float(random.normal(UInt64(i))) }
}

/// Element bit patterns, so that -0.0 ≠ 0.0 and NaN payloads count in comparisons.
func bits(_ array: NDArray) -> [UInt64] {
    switch array.elements {
    case let .float32(values): return values.map { UInt64($0.bitPattern) }
    case let .float64(values): return values.map(\.bitPattern)
    }
}

/// Little-endian bytes of `value`.
func littleEndianBytes<I: FixedWidthInteger>(_ value: I) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

func bigEndianBytes<I: FixedWidthInteger>(_ value: I) -> [UInt8] {
    withUnsafeBytes(of: value.bigEndian) { Array($0) }
}

/// Runs a Python snippet; the test fails with its stderr when it exits non-zero.
func runPython(_ python: String, _ script: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let result = try TestSupport.run(python, ["-c", script])
    #expect(result.status == 0, "python failed: \(result.stderr)", sourceLocation: sourceLocation)
    return result.stdout
}
