import Foundation
import MongeCore

/// A time-dependent vector field v(x, t) on rows of points: what the integrators evaluate.
public protocol VelocityField {
    var dimension: Int { get }
    /// Writes v(x_i, t) for the `rows` rows of `x` (rows × dimension, row-major) into `output`.
    func velocity(_ x: [Double], rows: Int, t: Double, into output: inout [Double])
}

/// A field given by a closure (tests, closed forms).
public struct ClosureField: VelocityField {
    public let dimension: Int
    let body: ([Double], Int, Double) -> [Double]

    public init(dimension: Int, _ body: @escaping (_ x: [Double], _ rows: Int, _ t: Double) -> [Double]) {
        self.dimension = dimension
        self.body = body
    }

    public func velocity(_ x: [Double], rows: Int, t: Double, into output: inout [Double]) {
        output = body(x, rows, t)
    }
}

/// The ODE solvers of dx/dt = v(x, t) from t = 0 to 1: fixed-step Euler, Heun (explicit trapezoid),
/// classical RK4, and adaptive Dormand–Prince 5(4) ("dopri5", Hairer, Nørsett & Wanner, Solving
/// ODEs I, §II.5, with FSAL and the standard PI-free step controller).
public enum Integrator: Equatable, Sendable, CustomStringConvertible {
    case euler(steps: Int)
    case heun(steps: Int)
    case rk4(steps: Int)
    /// Adaptive steps with error ≤ atol + rtol·|x| per component (RMS norm over the whole batch).
    case dopri5(rtol: Double, atol: Double)

    public var description: String {
        switch self {
        case let .euler(n): return "euler:\(n)"
        case let .heun(n): return "heun:\(n)"
        case let .rk4(n): return "rk4:\(n)"
        case let .dopri5(r, a): return "dopri5:rtol=\(r),atol=\(a)"
        }
    }

    /// Parses euler:N, heun:N, rk4:N, dopri5 or dopri5:RTOL[,ATOL] (atol defaults to rtol).
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        func fail(_ why: String) -> MongeError {
            .invalidArgument(name: "integrator", message: "\(why) in '\(text)'; expected euler:N, heun:N, rk4:N, dopri5 or dopri5:RTOL[,ATOL]")
        }
        switch parts.first ?? "" {
        case "euler", "heun", "rk4":
            guard parts.count == 2, let n = Int(parts[1]), n >= 1 else { throw fail("a positive step count is required") }
            self = parts[0] == "euler" ? .euler(steps: n) : parts[0] == "heun" ? .heun(steps: n) : .rk4(steps: n)
        case "dopri5":
            guard parts.count == 2 else { self = .dopri5(rtol: 1e-5, atol: 1e-5); return }
            let tolerances = parts[1].split(separator: ",").map { Double($0) }
            guard (1...2).contains(tolerances.count), let rtol = tolerances[0], let atol = tolerances.last!,
                  rtol > 0, atol > 0, rtol.isFinite, atol.isFinite else { throw fail("tolerances must be positive numbers") }
            self = .dopri5(rtol: rtol, atol: atol)
        default:
            throw fail("unknown integrator '\(parts.first ?? "")'")
        }
    }
}

/// The end of an integration: T(x) = x(1), the function evaluations used, the path energy.
public struct FlowIntegration: Sendable {
    /// x(1) for every row.
    public var mapped: Matrix<Double>
    /// Evaluations of the field, each on the whole batch (NFE).
    public var evaluations: Int
    /// Accepted steps (dopri5: and rejected ones).
    public var acceptedSteps: Int
    public var rejectedSteps: Int
    /// Per row, ∫₀¹ ‖v(x(t), t)‖² dt, integrated as an extra state e′ = ‖v‖² by the same scheme.
    public var rowEnergies: [Double]
    /// PE = mean over rows of `rowEnergies` (= W2² for the exact OT displacement).
    public var pathEnergy: Double { rowEnergies.isEmpty ? 0 : rowEnergies.reduce(0, +) / Double(rowEnergies.count) }
}

extension Integrator {
    /// Integrates dx/dt = v(x, t) from t = 0 to 1 for every row of `x0`; throws on a dimension
    /// mismatch, non-finite inputs, or (dopri5) a step size underflow or more than `maxSteps` steps.
    public func integrate(_ field: some VelocityField, from x0: Matrix<Double>, maxSteps: Int = 100_000) throws -> FlowIntegration {
        guard x0.columns == field.dimension else {
            throw MongeError.shapeMismatch("the points have \(x0.columns) columns but the flow's dimension is \(field.dimension)")
        }
        guard x0.rows >= 1 else { throw MongeError.invalidArgument(name: "points", message: "no points to map") }
        try x0.checkFinite("points to map")
        let rows = x0.rows, d = x0.columns, size = rows * d
        // The augmented state: x (rows × d), then the energies (rows).
        var state = x0.storage + [Double](repeating: 0, count: rows)
        var evaluations = 0
        var velocity = [Double](repeating: 0, count: size)
        func derivative(_ y: [Double], _ t: Double) -> [Double] {
            evaluations += 1
            field.velocity(Array(y[0..<size]), rows: rows, t: t, into: &velocity)
            var out = velocity
            out.reserveCapacity(size + rows)
            for i in 0..<rows {
                var s = 0.0
                for k in 0..<d { s += velocity[i * d + k] * velocity[i * d + k] }
                out.append(s)
            }
            return out
        }
        func axpy(_ y: [Double], _ h: Double, _ terms: [(Double, [Double])]) -> [Double] {
            var out = y
            for (c, k) in terms where c != 0 { for j in 0..<out.count { out[j] += h * c * k[j] } }
            return out
        }
        var accepted = 0, rejected = 0
        switch self {
        case let .euler(n), let .heun(n), let .rk4(n):
            guard n >= 1 else { throw MongeError.invalidArgument(name: "steps", message: "must be at least 1, got \(n)") }
            let h = 1.0 / Double(n)
            for step in 0..<n {
                let t = Double(step) * h
                switch self {
                case .euler:
                    state = axpy(state, h, [(1, derivative(state, t))])
                case .heun:
                    let k1 = derivative(state, t)
                    let k2 = derivative(axpy(state, h, [(1, k1)]), t + h)
                    state = axpy(state, h, [(0.5, k1), (0.5, k2)])
                default:
                    let k1 = derivative(state, t)
                    let k2 = derivative(axpy(state, h, [(0.5, k1)]), t + h / 2)
                    let k3 = derivative(axpy(state, h, [(0.5, k2)]), t + h / 2)
                    let k4 = derivative(axpy(state, h, [(1, k3)]), t + h)
                    state = axpy(state, h, [(1.0 / 6, k1), (1.0 / 3, k2), (1.0 / 3, k3), (1.0 / 6, k4)])
                }
                accepted += 1
            }
        case let .dopri5(rtol, atol):
            guard rtol > 0, atol > 0, rtol.isFinite, atol.isFinite else {
                throw MongeError.invalidArgument(name: "integrator", message: "dopri5 tolerances must be positive, got rtol \(rtol), atol \(atol)")
            }
            let t = try Self.dormandPrince(state: &state, rtol: rtol, atol: atol, maxSteps: maxSteps, derivative: derivative, axpy: axpy,
                                           accepted: &accepted, rejected: &rejected)
            precondition(t == 1)
        }
        let mapped = try Matrix(rows: rows, columns: d, storage: Array(state[0..<size]))
        try mapped.checkFinite("the integrated map T(x)")
        return FlowIntegration(mapped: mapped, evaluations: evaluations, acceptedSteps: accepted, rejectedSteps: rejected,
                               rowEnergies: Array(state[size...]))
    }

    // Dormand–Prince 5(4) coefficients (Hairer, Nørsett & Wanner, Table 5.2).
    static let c: [Double] = [0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1]
    static let a: [[Double]] = [
        [],
        [1.0 / 5],
        [3.0 / 40, 9.0 / 40],
        [44.0 / 45, -56.0 / 15, 32.0 / 9],
        [19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729],
        [9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656],
        [35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84],
    ]
    /// The 5th-order weights minus the embedded 4th-order ones (the local error estimate).
    static let errorWeights: [Double] = [71.0 / 57600, 0, -71.0 / 16695, 71.0 / 1920, -17253.0 / 339200, 22.0 / 525, -1.0 / 40]

    static func dormandPrince(state: inout [Double], rtol: Double, atol: Double, maxSteps: Int,
                              derivative: ([Double], Double) -> [Double],
                              axpy: ([Double], Double, [(Double, [Double])]) -> [Double],
                              accepted: inout Int, rejected: inout Int) throws -> Double {
        var t = 0.0
        var k1 = derivative(state, 0)
        func norm(_ v: [Double]) -> Double { (v.reduce(0) { $0 + $1 * $1 } / Double(max(v.count, 1))).squareRoot() }
        // Initial step (Hairer's first guess): 0.01·‖x₀‖/‖v₀‖ in the scaled norm, at most 0.1.
        let scale0 = state.map { atol + rtol * abs($0) }
        let d0 = norm(zip(state, scale0).map { $0 / $1 }), d1 = norm(zip(k1, scale0).map { $0 / $1 })
        var h = (d0 < 1e-5 || d1 < 1e-5) ? 1e-3 : min(0.1, 0.01 * d0 / d1)
        while t < 1 {
            guard accepted + rejected < maxSteps else {
                throw MongeError.numerical("dopri5 took more than \(maxSteps) steps (rtol \(rtol), atol \(atol)); the field may be stiff or not finite")
            }
            guard h > 1e-12 else { throw MongeError.numerical("dopri5 step size underflow at t = \(t) (rtol \(rtol), atol \(atol))") }
            h = min(h, 1 - t)
            var k = [k1]
            for stage in 1..<7 {
                let y = axpy(state, h, zip(a[stage], k).map { ($0, $1) })
                if stage == 6 {
                    // y is the 5th-order solution; k7 = v(y, t + h) is the next step's k1 (FSAL).
                    k.append(derivative(y, t + h))
                    var error = [Double](repeating: 0, count: state.count)
                    for j in 0..<state.count {
                        var e = 0.0
                        for s in 0..<7 { e += errorWeights[s] * k[s][j] }
                        error[j] = h * e / (atol + rtol * max(abs(state[j]), abs(y[j])))
                    }
                    let errorNorm = norm(error)
                    guard errorNorm.isFinite else {
                        throw MongeError.numerical("dopri5: the field is not finite near t = \(t)")
                    }
                    if errorNorm <= 1 {
                        t = (1 - t - h) < 1e-14 ? 1 : t + h
                        state = y
                        k1 = k[6]
                        accepted += 1
                    } else {
                        rejected += 1
                    }
                    let factor = errorNorm == 0 ? 10 : min(10, max(0.2, 0.9 * pow(errorNorm, -0.2)))
                    h *= errorNorm <= 1 ? factor : min(1, factor)
                } else {
                    k.append(derivative(y, t + c[stage] * h))
                }
            }
        }
        return t
    }
}
