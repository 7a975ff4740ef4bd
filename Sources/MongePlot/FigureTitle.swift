/// A figure title that carries the run's n, seed and step count when they are given, e.g.
/// "DDIB moons → 25 Gaussians (n = 1000, seed = 0, steps = 100)".
public struct FigureTitle: Sendable, Equatable, ExpressibleByStringLiteral {
    public var text: String
    public var n: Int?
    public var seed: UInt64?
    public var steps: Int?

    public init(_ text: String, n: Int? = nil, seed: UInt64? = nil, steps: Int? = nil) {
        self.text = text
        self.n = n
        self.seed = seed
        self.steps = steps
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// The text followed by the details in parentheses, or just the text.
    public var rendered: String {
        var details: [String] = []
        if let n { details.append("n = \(n)") }
        if let seed { details.append("seed = \(seed)") }
        if let steps { details.append("steps = \(steps)") }
        if details.isEmpty { return text }
        let joined = details.joined(separator: ", ")
        return text.isEmpty ? joined : "\(text) (\(joined))"
    }
}
