import Foundation
import MongeCore
import MongeFlows
import Testing

@Suite("ODE integrators")
struct IntegratorTests {
    /// y′ = y: y(1) = e·y₀ and ∫₀¹ ‖y′‖² dt = y₀²(e² − 1)/2.
    static let growth = ClosureField(dimension: 1) { x, _, _ in x }
    /// y′ = 2t·y: y(1) = e·y₀ (a field that depends on t).
    static let timed = ClosureField(dimension: 1) { x, _, t in x.map { 2 * t * $0 } }

    static func error(_ integrator: Integrator, _ field: ClosureField) throws -> Double {
        let x0 = Matrix<Double>([[1.0], [-0.5]])
        let r = try integrator.integrate(field, from: x0)
        return max(abs(r.mapped[0, 0] - M_E), abs(r.mapped[1, 0] + 0.5 * M_E))
    }

    /// Halving the step divides the error by 2^p: Euler p = 1, Heun p = 2, RK4 p = 4.
    @Test func fixedStepMethodsConvergeAtTheirOrders() throws {
        for field in [Self.growth, Self.timed] {
            for (order, make) in [(1.0, { Integrator.euler(steps: $0) }), (2.0, { Integrator.heun(steps: $0) }),
                                  (4.0, { Integrator.rk4(steps: $0) })] as [(Double, (Int) -> Integrator)] {
                let coarse = try Self.error(make(16), field), fine = try Self.error(make(32), field)
                let observed = log2(coarse / fine)
                #expect(abs(observed - order) < 0.15, "\(make(16)): observed order \(observed)")
            }
        }
    }

    @Test func evaluationsAreCounted() throws {
        let x0 = Matrix<Double>([[1.0]])
        #expect(try Integrator.euler(steps: 7).integrate(Self.growth, from: x0).evaluations == 7)
        #expect(try Integrator.heun(steps: 7).integrate(Self.growth, from: x0).evaluations == 14)
        #expect(try Integrator.rk4(steps: 7).integrate(Self.growth, from: x0).evaluations == 28)
        let d = try Integrator.dopri5(rtol: 1e-6, atol: 1e-6).integrate(Self.growth, from: x0)
        // One evaluation at t = 0, then six per attempted step (FSAL).
        #expect(d.evaluations == 1 + 6 * (d.acceptedSteps + d.rejectedSteps))
    }

    /// dopri5 meets its tolerance on known solutions, and tighter tolerances cost more evaluations.
    @Test func dopri5ErrorIsWithinTolerance() throws {
        var previous = 0
        for tolerance in [1e-4, 1e-7, 1e-10] {
            for field in [Self.growth, Self.timed] {
                let e = try Self.error(.dopri5(rtol: tolerance, atol: tolerance), field)
                #expect(e < 30 * tolerance, "tolerance \(tolerance): error \(e)")
            }
            let nfe = try Integrator.dopri5(rtol: tolerance, atol: tolerance).integrate(Self.growth, from: Matrix([[1.0]])).evaluations
            #expect(nfe > previous)
            previous = nfe
        }
        // A rotation x′ = 2π·J x: one full turn returns every point to itself.
        let rotation = ClosureField(dimension: 2) { x, rows, _ in
            var v = x
            for i in 0..<rows { v[2 * i] = -2 * Double.pi * x[2 * i + 1]; v[2 * i + 1] = 2 * Double.pi * x[2 * i] }
            return v
        }
        let x0 = Matrix<Double>([[1, 0], [0.3, -2]])
        let r = try Integrator.dopri5(rtol: 1e-9, atol: 1e-9).integrate(rotation, from: x0)
        for i in 0..<2 { for k in 0..<2 { #expect(abs(r.mapped[i, k] - x0[i, k]) < 1e-7) } }
        // Path energy of a rotation: ‖v‖² = (2π‖x‖)² constant along the orbit.
        #expect(abs(r.rowEnergies[0] - 4 * Double.pi * Double.pi) < 1e-6)
        #expect(abs(r.rowEnergies[1] - 4 * Double.pi * Double.pi * (0.09 + 4)) < 1e-5)
    }

    /// PE = ∫₀¹ ‖v‖² dt: for y′ = y from y₀, y₀²(e² − 1)/2, at every method's order.
    @Test func pathEnergyMatchesTheClosedForm() throws {
        let exact = (M_E * M_E - 1) / 2
        let x0 = Matrix<Double>([[1.0], [2.0]])
        let rows = [exact, 4 * exact]
        for (integrator, tolerance) in [(Integrator.rk4(steps: 200), 1e-8), (.dopri5(rtol: 1e-9, atol: 1e-9), 1e-7),
                                        (.heun(steps: 1000), 1e-5), (.euler(steps: 10000), 1e-3)] {
            let r = try integrator.integrate(Self.growth, from: x0)
            for i in 0..<2 { #expect(abs(r.rowEnergies[i] - rows[i]) < tolerance * rows[i], "\(integrator) row \(i)") }
            #expect(abs(r.pathEnergy - 2.5 * exact) < tolerance * 4 * exact)
        }
    }

    @Test func badInputIsRefused() throws {
        #expect { try Integrator.rk4(steps: 4).integrate(Self.growth, from: Matrix([[1.0, 2.0]])) } throws: {
            "\($0)".contains("2 columns but the flow's dimension is 1")
        }
        #expect { try Integrator.rk4(steps: 4).integrate(Self.growth, from: Matrix([[Double.nan]])) } throws: { "\($0)".contains("not finite") || "\($0)".contains("nan") }
        #expect { try Integrator.heun(steps: 2).integrate(Self.growth, from: Matrix<Double>(rows: 0, columns: 1)) } throws: {
            "\($0)".contains("no points to map")
        }
        for text in ["rk4", "rk4:0", "euler:x", "midpoint:4", "dopri5:-1", "dopri5:1e-3,0"] {
            #expect(throws: MongeError.self, "\(text)") { try Integrator(parsing: text) }
        }
        #expect(try Integrator(parsing: "dopri5:1e-3,1e-6") == .dopri5(rtol: 1e-3, atol: 1e-6))
        #expect(try Integrator(parsing: "heun:8") == .heun(steps: 8))
        // A field that blows up: dopri5 stops with a clear error instead of returning NaN.
        let blowUp = ClosureField(dimension: 1) { x, _, _ in x.map { $0 * $0 * 1e3 } }
        #expect(throws: MongeError.self) { try Integrator.dopri5(rtol: 1e-6, atol: 1e-6).integrate(blowUp, from: Matrix([[10.0]]), maxSteps: 2000) }
    }
}
