import Foundation

/// Shared building blocks of the generators: per-point filling, scalar normalisation, shuffling.
enum PointGeneration {
    /// An [n, 2] matrix whose row i is `point(i)`, filled in parallel chunks. `point` must be a
    /// pure function of i (its randomness addressed by i), so the chunking cannot matter.
    static func pointwise(_ n: Int, _ point: (Int) -> (Double, Double)) -> Matrix<Double> {
        var m = Matrix<Double>(rows: n, columns: 2)
        m.storage.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            Parallel.forEachChunk(count: n, minimumChunk: 16_384) { range in
                for i in range {
                    let p = point(i)
                    base[2 * i] = p.0
                    base[2 * i + 1] = p.1
                }
            }
        }
        return m
    }

    /// Rows of `points` in the order of a uniform permutation drawn from `random`.
    static func shuffled(_ points: Matrix<Double>, random: RandomStream) -> Matrix<Double> {
        points.rows(at: random.permutation(points.rows))
    }

    /// The mean and the population standard deviation (numpy's `std`, ddof 0) of all the
    /// coordinates pooled together: ONE scalar each, as DDIB's `normalize`.
    static func scalarMoments(_ points: Matrix<Double>) -> (mean: Double, std: Double) {
        let count = Double(points.count)
        let mean = points.storage.reduce(0, +) / count
        let variance = points.storage.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / count
        return (mean, variance.squareRoot())
    }

    /// (x − mean) / std on every coordinate.
    static func standardized(_ points: Matrix<Double>, mean: Double, std: Double) -> Matrix<Double> {
        points.map { ($0 - mean) / std }
    }
}

/// How a DDIB-style set is rescaled: by one scalar mean and one scalar standard deviation over
/// all coordinates (not per axis), as the official DDIB code does, so shapes are not distorted.
public enum Normalization: Int, Sendable {
    /// The raw construction (radii 1, 2, 3 …).
    case none = 0
    /// By the sample's own mean and std: exactly mean 0, std 1; DDIB's recipe. Rows then depend
    /// on n (the statistics are those of the whole sample).
    case sample = 1
    /// By the distribution's exact (closed-form) mean and std: mean ≈ 0, std ≈ 1 up to sampling
    /// error, and row i does not depend on n.
    case exact = 2

    /// The parameter spec shared by the DDIB sets (`normalize`, default 1 = DDIB's recipe).
    static func spec(allowsExact: Bool = true, default value: Normalization = .sample) -> DatasetParameter {
        DatasetParameter(
            "normalize", default: Double(value.rawValue),
            allowsExact ? "0 raw, 1 by the sample's scalar mean/std (DDIB), 2 by the exact population mean/std"
                        : "0 raw, 1 by the sample's scalar mean/std (as DDIB)",
            range: 0...(allowsExact ? 2 : 1), integer: true)
    }

    init(parameter value: Double) { self = Normalization(rawValue: Int(value)) ?? .none }

    /// Applies this normalisation; `exact` gives the population (mean, std) for `.exact`.
    func apply(to points: Matrix<Double>, dataset: String,
               exact: () -> (mean: Double, std: Double)) throws -> Matrix<Double> {
        switch self {
        case .none:
            return points
        case .sample:
            let (mean, std) = PointGeneration.scalarMoments(points)
            guard std > 0, std.isFinite else {
                throw MongeError.invalidArgument(
                    name: "normalize", message: "\(dataset): the sample has no spread (std \(std)) to normalise by; use normalize=0 or 2")
            }
            return PointGeneration.standardized(points, mean: mean, std: std)
        case .exact:
            let (mean, std) = exact()
            guard std > 0, std.isFinite else {
                throw MongeError.invalidArgument(
                    name: "normalize", message: "\(dataset): the distribution has no spread (std \(std)) to normalise by; use normalize=0")
            }
            return PointGeneration.standardized(points, mean: mean, std: std)
        }
    }
}
