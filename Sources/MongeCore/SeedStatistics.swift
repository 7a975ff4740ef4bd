import Foundation

/// A metric's statistics over independent seeds: mean, sample standard deviation and the
/// Student-t confidence interval of the mean, mean ± t_{(1+c)/2, n−1} · s/√n.
///
/// The t-interval assumes the per-seed values are independent draws of a roughly normal
/// quantity; with 5 seeds t_{0.975, 4} = 2.776, so the interval is wide — that is the point.
/// With one seed the standard deviation and interval are undefined and reported as NaN.
public struct SeedSummary: Equatable, Sendable {
    /// The number of seeds (values).
    public let count: Int
    public let mean: Double
    /// The sample standard deviation (divisor n − 1); NaN for one value.
    public let standardDeviation: Double
    /// The interval's confidence level, e.g. 0.95.
    public let confidence: Double
    /// t_{(1+c)/2, n−1} · s/√n; NaN for one value.
    public let halfWidth: Double
    public let minimum: Double
    public let maximum: Double

    public var lower: Double { mean - halfWidth }
    public var upper: Double { mean + halfWidth }

    /// Summarises `values` (one per seed).
    ///
    /// - Throws: `MongeError.invalidArgument` for no values or a confidence outside (0, 1),
    ///   `MongeError.nonFinite` naming `name` and the position of a NaN or infinite value.
    public init(_ values: [Double], confidence: Double = 0.95, name: String = "values") throws {
        guard !values.isEmpty else { throw MongeError.invalidArgument(name: name, message: "no seeds to summarise") }
        guard confidence > 0, confidence < 1 else {
            throw MongeError.invalidArgument(name: "confidence", message: "must be in (0, 1), got \(confidence)")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw MongeError.nonFinite("\(name): value \(bad + 1) of \(values.count) is \(values[bad])")
        }
        let n = values.count
        let mean = values.reduce(0, +) / Double(n)
        count = n
        self.mean = mean
        self.confidence = confidence
        minimum = values.min()!
        maximum = values.max()!
        if n == 1 {
            standardDeviation = .nan
            halfWidth = .nan
        } else {
            // Two passes: the squared deviations from the computed mean.
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
            standardDeviation = variance.squareRoot()
            let t = StudentT.quantile((1 + confidence) / 2, degreesOfFreedom: Double(n - 1))
            halfWidth = t * standardDeviation / Double(n).squareRoot()
        }
    }
}

/// The seeds of a `--seeds` option: a comma-separated list of non-negative integers and inclusive
/// ranges `a-b`, e.g. `0,1,2`, `0-4` or `0-2,7,10-11`, in the order written.
public struct SeedList: Equatable, Sendable {
    /// More seeds than this is a typo, not an experiment.
    public static let maximumCount = 10_000

    public let seeds: [UInt64]

    /// Parses `text`.
    ///
    /// - Throws: `MongeError.invalidArgument` (named "seed list") for an empty list or item, a
    ///   negative or non-integer seed, a descending range, a seed listed twice or more than
    ///   `maximumCount` seeds.
    public init(parsing text: String) throws {
        func fail(_ message: String) -> MongeError { .invalidArgument(name: "seed list", message: message) }
        let expected = "expected non-negative integers and ranges a-b separated by commas, e.g. 0,1,2 or 0-4"
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail("no seeds given; \(expected)") }
        var seeds: [UInt64] = []
        var seen: [UInt64: String] = [:]
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = raw.trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty else { throw fail("empty item in '\(text)'; \(expected)") }
            if item.hasPrefix("-") { throw fail("seeds must be non-negative, got '\(item)'") }
            func number(_ s: Substring) throws -> UInt64 {
                guard !s.isEmpty, s.allSatisfy(\.isASCII), s.allSatisfy(\.isNumber) else {
                    if s.hasPrefix("-") { throw fail("seeds must be non-negative, got '\(item)'") }
                    throw fail("'\(item)' is not a seed or a range; \(expected)")
                }
                guard let value = UInt64(s) else { throw fail("seed '\(s)' exceeds \(UInt64.max)") }
                return value
            }
            let parts = item.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            let first = try number(parts[0])
            let last = parts.count == 2 ? try number(parts[1]) : first
            guard first <= last else { throw fail("range '\(item)' is descending; write \(last)-\(first)") }
            guard last - first < UInt64(SeedList.maximumCount - seeds.count) else {
                throw fail("more than \(SeedList.maximumCount) seeds in '\(text)'")
            }
            for seed in first...last {
                if let earlier = seen[seed] {
                    throw fail("seed \(seed) is listed twice ('\(earlier)' and '\(item)')")
                }
                seen[seed] = item
                seeds.append(seed)
            }
        }
        self.seeds = seeds
    }
}
