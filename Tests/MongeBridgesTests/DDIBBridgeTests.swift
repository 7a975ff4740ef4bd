import Foundation
import MongeBridges
import Testing

/// DDIB between two 1-D Gaussians with exact oracles: the composed ODE flows are affine, known in
/// closed form, and tend to the Monge map x ↦ μ_B + (s_B/s_A)(x − μ_A) as σ_T grows.
@Suite("DDIB bridge with Gaussian oracles")
struct DDIBBridgeTests {
    let schedule = try! NoiseSchedule.linear()
    let muA = 1.5, sA = 0.5, muB = -2.0, sB = 1.25

    func oracles() throws -> (GaussianOracle<Double>, GaussianOracle<Double>) {
        (try GaussianOracle(mean: [muA], std: [sA], schedule: schedule),
         try GaussianOracle(mean: [muB], std: [sB], schedule: schedule))
    }

    func points() -> Matrix<Double> {
        Matrix(rows: 64, columns: 1) { i, _ in 1.5 + 0.5 * (-2.5 + 5 * Double(i) / 63) }
    }

    /// The exact bridge: A's exact flow from data (−1) to the top timestep, B's exact flow back.
    func exactBridge(_ x: Matrix<Double>, top: Int) throws -> Matrix<Double> {
        let (a, b) = try oracles()
        return b.exactFlow(a.exactFlow(x, from: -1, to: top), from: top, to: -1)
    }

    func error(steps: Int, method: SamplerMethod, spacing: SpacingName = .standard) throws -> Double {
        let (a, b) = try oracles()
        let bridge = try DDIBBridge(source: a, target: b, steps: steps, spacing: spacing, method: method)
        let x = points()
        let mapped = try bridge.translate(x).mapped
        return mapped.maxAbsDifference(try exactBridge(x, top: schedule.count - 1))
    }

    /// Least-squares slope of log(error) against log(steps).
    func order(_ steps: [Int], _ errors: [Double]) -> Double {
        let xs = steps.map { log(Double($0)) }, ys = errors.map { -log($0) }
        let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
        let num = zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let den = xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        return num / den
    }

    @Test func ddimConvergesToTheExactBridgeAtFirstOrder() throws {
        let steps = [10, 20, 40, 80]
        let errors = try steps.map { try error(steps: $0, method: .ddim(eta: 0)) }
        #expect(zip(errors, errors.dropFirst()).allSatisfy { $0 > $1 }, "errors \(errors)")
        let p = order(steps, errors)
        #expect(p > 0.8 && p < 1.4, "DDIM bridge order \(p), errors \(errors)")
    }

    @Test func heunConvergesFaster() throws {
        let steps = [10, 20, 40, 80]
        let heun = try steps.map { try error(steps: $0, method: .heun) }
        let ddim = try steps.map { try error(steps: $0, method: .ddim(eta: 0)) }
        let p = order(steps, heun)
        #expect(p > 1.6, "Heun bridge order \(p), errors \(heun)")
        #expect(zip(heun, ddim).allSatisfy { $0 < $1 })
    }

    /// At Karras et al.'s σ's the bridge walks exactly `Timesteps.karras` and Heun keeps its second
    /// order (the levels are rounded to integers, but every step still ends on a level the exact
    /// flow knows).
    @Test func karrasSpacingWalksKarrasLevelsAtSecondOrder() throws {
        let (a, b) = try oracles()
        let bridge = try DDIBBridge(source: a, target: b, steps: 12, spacing: .karras, method: .heun)
        #expect(try bridge.sourceTimesteps() == Timesteps.karras(schedule: schedule, steps: 12))
        #expect(try bridge.reversed().spacing == .karras)
        let steps = [5, 10, 20, 40]
        let heun = try steps.map { try error(steps: $0, method: .heun, spacing: .karras) }
        #expect(zip(heun, heun.dropFirst()).allSatisfy { $0 > $1 }, "errors \(heun)")
        #expect(order(steps, heun) > 1.6, "Heun (Karras) bridge order \(order(steps, heun)), errors \(heun)")
        #expect(throws: MongeError.self) { try DDIBBridge(source: a, target: b, steps: 1, spacing: .karras) }
    }

    /// The exact bridge is within O(1/σ_T) of the Monge map; with 200 steps DDIB is close to it.
    @Test func ddibApproachesTheMongeMapIn1D() throws {
        let (a, b) = try oracles()
        let x = points()
        let monge = x.map { muB + (sB / sA) * ($0 - muA) }
        let exact = try exactBridge(x, top: schedule.count - 1)
        let sigmaT = schedule.sigma(schedule.count - 1)
        #expect(exact.maxAbsDifference(monge) < 2 * abs(muA - muB) * sB / sigmaT)
        let mapped = try DDIBBridge(source: a, target: b, steps: 200, method: .heun).translate(x).mapped
        #expect(mapped.maxAbsDifference(monge) < 0.05)
    }

    @Test func cycleErrorFallsWithStepsAndFasterWithHeun() throws {
        let (a, b) = try oracles()
        let x = points()
        func cycleError(_ steps: Int, _ method: SamplerMethod) throws -> Double {
            try DDIBBridge(source: a, target: b, steps: steps, method: method).cycle(x).maxError
        }
        let ddim = try [10, 40, 160].map { try cycleError($0, .ddim(eta: 0)) }
        let heun = try [10, 40, 160].map { try cycleError($0, .heun) }
        #expect(ddim[0] > ddim[1] && ddim[1] > ddim[2], "DDIM cycle errors \(ddim)")
        #expect(heun[0] > heun[1] && heun[1] > heun[2], "Heun cycle errors \(heun)")
        #expect(zip(heun, ddim).allSatisfy { $0 < $1 })
    }

    @Test func recordsTrajectoriesAndRejectsBadInput() throws {
        let (a, b) = try oracles()
        let bridge = try DDIBBridge(source: a, target: b, steps: 5)
        let t = try bridge.translate(points(), recordedRows: [0, 3])
        #expect(t.encoding?.states.count == 6 && t.decoding?.states.count == 6)
        #expect(t.encoding?.states.last == t.latent.rows(at: [0, 3]))
        #expect(throws: MongeError.self) { try bridge.translate(Matrix<Double>(rows: 3, columns: 2)) }
        #expect(throws: MongeError.self) { try bridge.translate(Matrix<Double>([[Double.nan]])) }
        #expect(throws: MongeError.self) { try DDIBBridge(source: a, target: b, steps: 1001) }
        #expect(throws: MongeError.self) { try DDIBBridge(source: a, target: b, steps: 10, method: .ddpm) }
    }
}
