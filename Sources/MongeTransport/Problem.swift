import MongeCore

/// A discrete optimal transport problem: a geometry and the masses a (sources) and b (targets).
///
/// min_P ⟨P, C⟩ subject to P ≥ 0, P 1 = a, Pᵀ 1 = b (Kantorovich). The totals of a and b must
/// agree within `massTolerance` (relative); the plan then carries the total of a.
public struct TransportProblem: Sendable {
    public let geometry: Geometry
    /// Source masses a_i ≥ 0 (length n).
    public let a: [Double]
    /// Target masses b_j ≥ 0 (length m).
    public let b: [Double]
    /// Whether every a_i is equal and every b_j is equal (the default 1/n, 1/m).
    public let isUniform: Bool
    /// The relative tolerance on |Σa − Σb| accepted at construction.
    public let massTolerance: Double

    public var n: Int { geometry.sourceCount }
    public var m: Int { geometry.targetCount }
    public var totalMass: Double { a.reduce(0, +) }

    /// Whether the problem is an assignment: n = m and uniform weights.
    public var isAssignment: Bool { isUniform && n == m }

    /// Builds and validates a problem; `nil` weights mean uniform (1/n and 1/m).
    ///
    /// Throws a `MongeError` naming the field when a weight is negative, NaN or infinite, the
    /// lengths do not match the point counts, a total is not positive, or the totals differ by
    /// more than `massTolerance` relative to the larger one.
    public init(geometry: Geometry, a: [Double]? = nil, b: [Double]? = nil, massTolerance: Double = 1e-9) throws {
        let n = geometry.sourceCount, m = geometry.targetCount
        let a = a ?? [Double](repeating: 1.0 / Double(n), count: n)
        let b = b ?? [Double](repeating: 1.0 / Double(m), count: m)
        try TransportProblem.validate(a, name: "source weights", expectedCount: n)
        try TransportProblem.validate(b, name: "target weights", expectedCount: m)
        let sa = a.reduce(0, +), sb = b.reduce(0, +)
        guard abs(sa - sb) <= massTolerance * max(sa, sb) else {
            throw MongeError.invalidArgument(
                name: "weights",
                message: "source weights sum to \(sa) but target weights sum to \(sb) (relative difference \(abs(sa - sb) / max(sa, sb)) exceeds \(massTolerance))")
        }
        self.geometry = geometry
        self.a = a
        self.b = b
        self.isUniform = a.allSatisfy { $0 == a[0] } && b.allSatisfy { $0 == b[0] }
        self.massTolerance = massTolerance
    }

    /// Uniform weights on two point clouds (the common case).
    public init(x: Matrix<Double>, y: Matrix<Double>, cost: Cost = .squaredEuclidean) throws {
        try self.init(geometry: Geometry(x: x, y: y, cost: cost))
    }

    /// Throws unless the problem is an assignment (n = m, uniform weights), naming what it is.
    func requireAssignment() throws {
        guard isAssignment else {
            throw MongeError.invalidArgument(name: "problem", message: "the assignment solver needs n = m and uniform weights (got \(n)×\(m), uniform: \(isUniform))")
        }
    }

    static func validate(_ w: [Double], name: String, expectedCount: Int) throws {
        guard w.count == expectedCount else {
            throw MongeError.shapeMismatch("\(name): \(w.count) values for \(expectedCount) points")
        }
        if let k = w.firstIndex(where: { !$0.isFinite }) {
            throw MongeError.nonFinite("\(name): element \(k) is \(w[k])")
        }
        if let k = w.firstIndex(where: { $0 < 0 }) {
            throw MongeError.invalidArgument(name: name, message: "element \(k) is negative (\(w[k])); weights must be ≥ 0")
        }
        guard w.reduce(0, +) > 0 else {
            throw MongeError.invalidArgument(name: name, message: "the weights sum to 0; a positive total is required")
        }
    }
}

/// Masses as integers, so that network flows are exact: real mass = integer × `unit`.
///
/// Uniform weights become m/g and n/g (g = gcd(n, m)), which is exact. General weights are
/// rounded to multiples of total/2⁵⁰ by largest remainders, so both sides sum to the same
/// integer; the rounding moves each mass by less than 2⁻⁵⁰ of the total.
struct IntegerMasses {
    let a: [Int64]
    let b: [Int64]
    /// Real mass of one integer unit.
    let unit: Double

    init(_ problem: TransportProblem) {
        let n = problem.n, m = problem.m
        let total = problem.totalMass
        if problem.isUniform {
            let g = IntegerMasses.gcd(n, m)
            a = [Int64](repeating: Int64(m / g), count: n)
            b = [Int64](repeating: Int64(n / g), count: m)
            // a_i = (m/g)·unit exactly as given: from a_0 itself, not from Σa, whose rounding
            // (≈ 10⁻¹² relative at 10⁵ points) would put every plan entry off the marginals.
            unit = problem.a[0] / Double(m / g)
        } else {
            let scale: Int64 = 1 << 50
            a = IntegerMasses.round(problem.a, to: scale)
            b = IntegerMasses.round(problem.b, to: scale)
            unit = total / Double(scale)
        }
    }

    init(a: [Int64], b: [Int64], unit: Double) {
        self.a = a; self.b = b; self.unit = unit
    }

    static func gcd(_ u: Int, _ v: Int) -> Int { v == 0 ? u : gcd(v, u % v) }

    /// Integers proportional to `w` summing exactly to `total` (largest-remainder rounding).
    static func round(_ w: [Double], to total: Int64) -> [Int64] {
        let s = w.reduce(0, +)
        var out = [Int64](repeating: 0, count: w.count)
        var remainders: [(Double, Int)] = []
        var assigned: Int64 = 0
        for (k, v) in w.enumerated() {
            let exact = v / s * Double(total)
            let floor = exact.rounded(.down)
            out[k] = Int64(floor)
            assigned += out[k]
            remainders.append((exact - floor, k))
        }
        var missing = total - assigned
        if missing > 0 {
            remainders.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            var t = 0
            while missing > 0 {
                let k = remainders[t % remainders.count].1
                if w[k] > 0 { out[k] += 1; missing -= 1 }
                t += 1
            }
        } else if missing < 0 {
            // Rounding down cannot overshoot, but guard against FP surprises.
            var k = 0
            while missing < 0 { if out[k] > 0 { out[k] -= 1; missing += 1 }; k = (k + 1) % out.count }
        }
        return out
    }
}
