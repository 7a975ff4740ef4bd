import Foundation

/// Checks, before a run starts, that the arrays its size options ask for fit in memory.
///
/// A size option (`--n`, `--width`, `--batch`, …) multiplies into a byte count; a count beyond the
/// machine's memory fails minutes later with "failed to allocate", and one beyond 2⁶³ traps. Each
/// `Need` computes its bytes with overflow checks, and `check` refuses a run that cannot fit,
/// naming the options, their values, the bytes and the limit.
public struct MemoryBudget: Sendable, Equatable {
    /// The most bytes a run may ask for.
    public let limit: Int
    /// What the limit is, for messages ("physical memory").
    public let source: String

    public init(limit: Int, source: String) {
        self.limit = max(0, limit)
        self.source = source
    }

    /// This machine's physical memory.
    public static func physicalMemory() -> MemoryBudget {
        let bytes = ProcessInfo.processInfo.physicalMemory
        return MemoryBudget(limit: bytes > UInt64(Int.max) ? Int.max : Int(bytes), source: "physical memory")
    }

    /// Memory one part of a run needs: the product of `factors` (counts and the element size in
    /// bytes), attributed to the options that set them.
    public struct Need: Sendable, Equatable {
        /// What the bytes hold, e.g. "100000000000 samples × 2 coordinates × 8 bytes".
        public let what: String
        /// The options and values responsible, e.g. "--n 100000000000".
        public let options: String
        /// The byte count; `nil` when it does not fit in 63 bits.
        public let bytes: Int?

        public init(_ what: String, options: String, factors: [Int]) {
            self.what = what
            self.options = options
            self.bytes = MemoryBudget.product(factors)
        }

        public init(_ what: String, options: String, bytes: Int?) {
            self.what = what
            self.options = options
            self.bytes = bytes
        }
    }

    /// The product of non-negative factors, or `nil` when it overflows `Int`. A negative factor
    /// counts as 0 (range errors are reported by the option checks, not here).
    public static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for factor in factors {
            let (value, overflow) = result.multipliedReportingOverflow(by: max(0, factor))
            if overflow { return nil }
            result = value
        }
        return result
    }

    /// The sum of byte counts, or `nil` when one is `nil` or the sum overflows.
    public static func sum(_ values: [Int?]) -> Int? {
        var result = 0
        for value in values {
            guard let value else { return nil }
            let (total, overflow) = result.addingReportingOverflow(value)
            if overflow { return nil }
            result = total
        }
        return result
    }

    /// Throws `MongeError.invalidArgument`, naming the options, when one need or their sum
    /// exceeds the limit (or overflows).
    public func check(_ needs: [Need]) throws {
        for need in needs {
            guard let bytes = need.bytes else {
                throw MongeError.invalidArgument(name: need.options, message:
                    "\(need.what) would need more than \(Self.format(Int.max)) (the byte count overflows 64 bits); "
                    + "the limit is \(Self.format(limit)) of \(source)")
            }
            guard bytes <= limit else {
                throw MongeError.invalidArgument(name: need.options, message:
                    "\(need.what) need at least \(Self.format(bytes)) (\(bytes) bytes), more than the \(Self.format(limit)) of \(source)")
            }
        }
        guard needs.count > 1 else { return }
        let total = Self.sum(needs.map(\.bytes))
        guard let total, total <= limit else {
            var options: [String] = []
            for need in needs where !options.contains(need.options) { options.append(need.options) }
            let parts = needs.map { "\($0.what): \(Self.format($0.bytes ?? Int.max))" }.joined(separator: "; ")
            throw MongeError.invalidArgument(name: options.joined(separator: ", "), message:
                "together need at least \(total.map(Self.format) ?? "more than " + Self.format(Int.max)) (\(parts)), "
                + "more than the \(Self.format(limit)) of \(source)")
        }
    }

    /// Bytes in decimal units with three significant digits: "1.6 TB", "512 B".
    public static func format(_ bytes: Int) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes), unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        let digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
        return String(format: "%.\(digits)f %@", value, units[unit])
    }
}
