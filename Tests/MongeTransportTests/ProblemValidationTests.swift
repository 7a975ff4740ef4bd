import MongeCore
import MongeTransport
import Testing

@Suite("Geometry and problem validation")
struct ProblemValidationTests {
    let x = Fixtures.points(4, 2, seed: 1)
    let y = Fixtures.points(5, 2, seed: 2)

    /// The error's description, for checking that it names the field.
    func message(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch { return "\(error)" }
    }

    @Test func negativeWeightIsRejectedByName() throws {
        let geometry = try Geometry(x: x, y: y)
        let text = message { _ = try TransportProblem(geometry: geometry, a: [0.5, 0.5, 0.2, -0.2]) }
        #expect(text?.contains("source weights") == true)
        #expect(text?.contains("negative") == true)
    }

    @Test func nonFiniteWeightsAreRejected() throws {
        let geometry = try Geometry(x: x, y: y)
        #expect(message { _ = try TransportProblem(geometry: geometry, b: [0.2, 0.2, .nan, 0.2, 0.2]) }?.contains("target weights") == true)
        #expect(message { _ = try TransportProblem(geometry: geometry, a: [.infinity, 0, 0, 0]) }?.contains("non-finite") == true)
    }

    @Test func totalsThatDifferAreRejected() throws {
        let geometry = try Geometry(x: x, y: y)
        let text = message { _ = try TransportProblem(geometry: geometry, a: [0.25, 0.25, 0.25, 0.26]) }
        #expect(text?.contains("sum to") == true)
        // Within tolerance is accepted.
        _ = try TransportProblem(geometry: geometry, a: [0.25, 0.25, 0.25, 0.25 + 1e-12])
    }

    @Test func zeroTotalAndWrongLengthAreRejected() throws {
        let geometry = try Geometry(x: x, y: y)
        #expect(message { _ = try TransportProblem(geometry: geometry, a: [0, 0, 0, 0]) }?.contains("sum to 0") == true)
        #expect(message { _ = try TransportProblem(geometry: geometry, a: [0.5, 0.5]) }?.contains("2 values for 4 points") == true)
    }

    @Test func nanCoordinatesEmptySetsAndDimensionsAreRejected() throws {
        var bad = x
        bad[2, 1] = .nan
        #expect(message { _ = try Geometry(x: bad, y: y) }?.contains("source points: element (2, 1)") == true)
        #expect(message { _ = try Geometry(x: Matrix(rows: 0, columns: 2), y: y) }?.contains("empty") == true)
        #expect(message { _ = try Geometry(x: x, y: Fixtures.points(3, 3, seed: 4)) }?.contains("2-dimensional") == true)
        #expect(message { _ = try Geometry(costMatrix: Matrix([[1, .nan]])) }?.contains("cost matrix") == true)
        #expect(message { _ = try Geometry(x: x, y: y, cost: .pNormPower(0.5)) }?.contains("≥ 1") == true)
        #expect(message { _ = try Cost(name: "cosine") }?.contains("sqeuclidean") == true)
    }

    @Test func costsMatchTheirDefinitions() throws {
        let p = Matrix<Double>([[0, 0], [1, 2]]), q = Matrix<Double>([[3, 4]])
        #expect(try Geometry(x: p, y: q).cost(0, 0) == 25)
        #expect(try Geometry(x: p, y: q, cost: .euclidean).cost(0, 0) == 5)
        #expect(abs(try Geometry(x: p, y: q, cost: .pNormPower(3)).cost(1, 0) - 16) < 1e-12)
        #expect(try Geometry(costMatrix: Matrix([[1, 2], [3, 4]])).cost(1, 0) == 3)
        #expect(try Cost(name: "pnorm:1.5") == .pNormPower(1.5))
    }
}

/// Issue 9: at 1e-300 the costs underflowed to 0 and a plan costing 3.15× the optimum was
/// certified; at 1e155 they overflowed. Inside the accepted range the plan is scale-invariant.
@Suite("Cost range")
struct CostRangeTests {
    static func scaled(_ m: Matrix<Double>, _ factor: Double) -> Matrix<Double> {
        var m = m
        for k in m.storage.indices { m.storage[k] *= factor }
        return m
    }

    @Test func costsOutsideTheRangeAreRefusedWithAHint() throws {
        let (x, y) = Fixtures.gaussiansToMoons(40, seed: 5)
        for factor in [1e-300, 1e-150, 1e155, 1e200] {
            #expect {
                _ = try Geometry(x: Self.scaled(x, factor), y: Self.scaled(y, factor))
            } throws: { error in
                let text = "\(error)"
                return text.contains("points") && text.contains("Multiply all points by one factor")
            }
        }
        #expect(throws: MongeError.self) { _ = try Geometry(costMatrix: Matrix([[1e-300, 0], [0, 2e-300]])) }
        #expect(throws: MongeError.self) { _ = try Geometry(costMatrix: Matrix([[1e300, 0], [0, 1]])) }
        // Identical points (all costs 0) and an all-zero cost matrix stay valid.
        let same = Matrix<Double>([[1e-300, 2e-300], [1e-300, 2e-300]])
        _ = try Geometry(x: same, y: same)
        _ = try Geometry(costMatrix: Matrix([[0, 0], [0, 0]]))
    }

    @Test func thePlanIsScaleInvariantInsideTheRange() throws {
        let (x, y) = Fixtures.gaussiansToMoons(60, seed: 6)
        let reference = try OptimalTransport(.simplex).solve(TransportProblem(geometry: Geometry(x: x, y: y)))
        #expect(reference.status == .optimal)
        for factor in [0x1p-460, 0x1p460, 1e-140, 1e140] {
            let geometry = try Geometry(x: Self.scaled(x, factor), y: Self.scaled(y, factor))
            for method in [OTSolver.simplex, .assignment] {
                let r = try OptimalTransport(method).solve(TransportProblem(geometry: geometry))
                #expect(r.status == .optimal, "factor \(factor), \(method)")
                #expect(abs(r.cost / (factor * factor) - reference.cost) <= 1e-12 * reference.cost, "factor \(factor), \(method)")
            }
        }
    }
}
