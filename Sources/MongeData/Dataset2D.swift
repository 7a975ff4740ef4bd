import Foundation

/// A 2-D distribution that draws `n` points as a pure function of (n, seed, parameters).
///
/// Each conforming type is a value with typed parameters (e.g. `Moons(noise: 0)`) and also
/// accepts the uniform `[String: Double]` dictionary used by the command line
/// (`init(parameters:)`), validated against `parameterSpecs`. Point i draws its randomness from
/// counters derived from i only (see `RandomStream`), so results do not depend on threads.
public protocol Dataset2D: Sendable {
    /// The registry name, e.g. "gaussians25" (used by `monge data NAME`).
    static var name: String { get }
    /// One line saying what the distribution is and where it comes from.
    static var summary: String { get }
    /// The accepted parameters with their defaults and valid ranges.
    static var parameterSpecs: [DatasetParameter] { get }
    /// Whether `sample(n: m, …)` is the first m rows of `sample(n: n, …)` for m < n with the
    /// parameters as they are (false when rows depend on n: linspace curves, shuffling,
    /// normalisation by the sample's own statistics).
    var isPrefixStable: Bool { get }

    /// Builds the distribution from a complete dictionary already checked by `resolve`.
    init(validated values: [String: Double])
    /// The current parameter values, one per spec (written into run manifests).
    var parameterValues: [String: Double] { get }
    /// Draws the points; called by `sample(n:seed:)` after validation, with the dataset's own
    /// stream of `seed`. Implementations may assume `n > 0` and valid parameters.
    func generate(n: Int, random: RandomStream) throws -> Matrix<Double>
}

/// One named real parameter of a dataset, with its default and accepted range.
public struct DatasetParameter: Sendable, Equatable {
    public let name: String
    public let defaultValue: Double
    public let summary: String
    public let range: ClosedRange<Double>
    /// Whether only whole numbers are accepted (counts, switches).
    public let isInteger: Bool

    public init(_ name: String, default defaultValue: Double, _ summary: String,
                range: ClosedRange<Double>, integer: Bool = false) {
        self.name = name
        self.defaultValue = defaultValue
        self.summary = summary
        self.range = range
        self.isInteger = integer
    }

    /// Throws `MongeError.invalidArgument` naming this parameter when `value` is not accepted.
    public func check(_ value: Double, dataset: String) throws {
        guard value.isFinite, range.contains(value) else {
            throw MongeError.invalidArgument(
                name: name, message: "\(dataset) accepts \(name) in \(DatasetParameter.format(range.lowerBound))...\(DatasetParameter.format(range.upperBound)), got \(value)")
        }
        if isInteger, value.rounded() != value {
            throw MongeError.invalidArgument(name: name, message: "\(dataset) needs a whole number for \(name), got \(value)")
        }
    }

    /// Compact number formatting for messages and listings: 2 not 2.0, 0.05 not 5e-02.
    public static func format(_ value: Double) -> String {
        if value.rounded() == value, abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }
}

/// The largest sample a generator accepts (16 bytes a point: 1.6 GB).
public let maximumSampleCount = 100_000_000

extension Dataset2D {
    /// Builds the distribution from a partial dictionary: missing names take their defaults;
    /// an unknown name or an out-of-range value throws `MongeError.invalidArgument`.
    public init(parameters: [String: Double]) throws {
        self.init(validated: try Self.resolve(parameters))
    }

    /// The defaults overridden by `parameters`, every value checked.
    public static func resolve(_ parameters: [String: Double]) throws -> [String: Double] {
        let accepted = parameterSpecs.map(\.name)
        for key in parameters.keys.sorted() where !accepted.contains(key) {
            let list = accepted.isEmpty ? "it takes no parameters" : "accepted: \(accepted.joined(separator: ", "))"
            throw MongeError.invalidArgument(name: "parameter", message: "'\(key)' is not a parameter of \(name); \(list)")
        }
        var values: [String: Double] = [:]
        for spec in parameterSpecs {
            let value = parameters[spec.name] ?? spec.defaultValue
            try spec.check(value, dataset: name)
            values[spec.name] = value
        }
        return values
    }

    /// `n` points as a `Matrix<Double>` of shape [n, 2]: a pure function of (n, seed, parameters).
    ///
    /// Throws `MongeError.invalidArgument(name: "n", …)` when n ≤ 0 or n is above
    /// `maximumSampleCount`, and names the parameter when one is out of range.
    public func sample(n: Int, seed: UInt64) throws -> Matrix<Double> {
        guard n > 0 else {
            throw MongeError.invalidArgument(name: "n", message: "the number of points must be positive, got \(n)")
        }
        guard n <= maximumSampleCount else {
            throw MongeError.invalidArgument(name: "n", message: "at most \(maximumSampleCount) points, got \(n)")
        }
        _ = try Self.resolve(parameterValues)
        let points = try generate(n: n, random: RandomStream(seed: seed).substream(Self.streamLabel))
        try points.checkFinite("\(Self.name) sample")
        return points
    }

    /// The label of this dataset's substream (FNV-1a of its name): two datasets drawn with the
    /// same seed use independent numbers, so a source and a target never share their noise.
    public static var streamLabel: UInt64 {
        FNV1a64.value(of: name.utf8)
    }

    public var name: String { Self.name }
}
