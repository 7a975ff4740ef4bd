/// The registry of 2-D distributions, by name: what `monge data` and experiment configs use.
public enum Datasets {
    /// Every registered distribution, in listing order.
    public static let all: [any Dataset2D.Type] = [
        Gaussians25.self, Gaussians8.self, Gaussian.self,
        Moons.self, Circles.self, Checkerboard.self,
        ConcentricRings.self, ConcentricSquares.self, ParallelRings.self, ParallelSquares.self,
        SwissRoll.self, Spirals.self,
    ]

    /// The registered names, in listing order.
    public static var names: [String] { all.map { $0.name } }

    /// The distribution type called `name`; an unknown name throws an error listing the known ones.
    public static func type(named name: String) throws -> any Dataset2D.Type {
        guard let type = all.first(where: { $0.name == name }) else {
            throw MongeError.invalidArgument(
                name: "dataset", message: "unknown dataset '\(name)'; known: \(names.joined(separator: ", "))")
        }
        return type
    }

    /// The distribution `name` with `parameters` (missing ones take their defaults), validated.
    public static func make(_ name: String, parameters: [String: Double] = [:]) throws -> any Dataset2D {
        try type(named: name).init(parameters: parameters)
    }

    /// A human-readable listing: each name, its summary and its parameters with defaults.
    public static func listing() -> String {
        var lines: [String] = []
        for type in all {
            lines.append("\(type.name): \(type.summary)")
            for spec in type.parameterSpecs {
                let range = "\(DatasetParameter.format(spec.range.lowerBound))...\(DatasetParameter.format(spec.range.upperBound))"
                lines.append("    \(spec.name) = \(DatasetParameter.format(spec.defaultValue))  (\(range)\(spec.isInteger ? ", whole" : "")) \(spec.summary)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
