import Foundation
import MongeConformance
import MongeDiffusion
import Testing
import TestSupport

/// `ConformanceCheck` on outputs written here: Monge's own samplers pass the kit with their
/// orders; a step function with one coefficient off by 1 % fails it.
@Suite("Conformance kit check", .serialized)
struct KitCheckTests {
    /// One exported kit for the suite (about 500 small files).
    static let kit: String = {
        let folder = TestSupport.temporaryFolder("conformance-kit")
        _ = try! ConformanceKit.export(to: folder)
        return folder
    }()

    static func write(_ values: [Double], shape: [Int], method: String, id: String, in outputs: String) throws {
        let folder = outputs + "/" + method
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try NpyFile.write(try NDArray(shape: shape, values: values), to: folder + "/" + id + ".npy")
    }

    static func read(_ relative: String) throws -> [Double] { try NpyFile.read(kit + "/" + relative).values(as: Double.self) }

    static func schedule(_ name: String) throws -> NoiseSchedule { try ConformanceKit.schedules().first { $0.name == name }!.schedule }

    /// A user's DDIM η = 0 step, x_s = √ᾱ_s x̂_0 + √(1 − ᾱ_s) ε, with the ε coefficient scaled by `skew`.
    static func userDDIM(_ x: Double, _ eps: Double, _ at: Double, _ as_: Double, skew: Double = 1) -> Double {
        let x0 = (x - (1 - at).squareRoot() * eps) / at.squareRoot()
        return as_.squareRoot() * x0 + skew * (1 - as_).squareRoot() * eps
    }

    /// Runs `userDDIM` over every single-step case into OUTPUTS/ddim_eta0.
    static func singleSteps(skew: Double, into outputs: String) throws {
        let manifest = try ConformanceCheck.manifest(in: kit)
        for c in manifest.stepCases {
            let schedule = try schedule(c.schedule)
            let x = try read(c.x), eps = try read(c.epsilon)
            let per = ConformanceKit.rows * 2
            let out = (0..<x.count).map { i in
                let k = i / per
                return userDDIM(x[i], eps[i], schedule.alphaBar(c.levels[k]), schedule.alphaBar(c.levels[k + 1]), skew: skew)
            }
            try write(out, shape: [c.steps, ConformanceKit.rows, 2], method: "ddim_eta0", id: c.id, in: outputs)
        }
    }

    @Test("A correct DDIM step passes every single-step case; one with its ε coefficient 1 % off fails")
    func singleStepMutation() throws {
        let good = TestSupport.temporaryFolder("conformance-good"), bad = TestSupport.temporaryFolder("conformance-bad")
        try Self.singleSteps(skew: 1, into: good)
        try Self.singleSteps(skew: 1.01, into: bad)
        let passed = try ConformanceCheck.check(kit: Self.kit, outputs: good)
        #expect(passed.passed)
        #expect(passed.cases.count == 18)
        print("correct user DDIM: worst scaled error \(passed.cases.map { $0.scaledError! }.max()!)")
        let failed = try ConformanceCheck.check(kit: Self.kit, outputs: bad)
        #expect(!failed.passed)
        #expect(failed.cases.allSatisfy { $0.passed == false && $0.firstFailingStep == 0 })
    }

    /// Monge's sampler along every trajectory case, the states at every level, into OUTPUTS/name.
    static func trajectories(_ method: SamplerMethod, name: String, into outputs: String) throws {
        let manifest = try ConformanceCheck.manifest(in: kit)
        for c in manifest.trajectoryCases {
            let model = try ConformanceOracle(rawValue: c.oracle)!.denoiser(schedule: try schedule(c.schedule))
            let start = try Matrix(rows: ConformanceKit.rows, columns: 2, storage: try read(c.xStart))
            let run = try Sampler.run(model, start, path: c.levels, method: method,
                                      options: SamplerOptions(recordedRows: Array(0..<ConformanceKit.rows)))
            try write(run.trajectory!.states.flatMap(\.storage), shape: [c.steps + 1, ConformanceKit.rows, 2], method: name, id: c.id, in: outputs)
        }
    }

    @Test("Monge's DDIM, Euler, Heun and DPM-Solver++(2M) pass every trajectory family with their orders",
          .timeLimit(.minutes(5)))
    func mongeSamplers() throws {
        let outputs = TestSupport.temporaryFolder("conformance-monge")
        for (method, name) in [(SamplerMethod.ddim(eta: 0), "ddim"), (.euler, "euler"), (.heun, "heun"), (.dpmSolverPlusPlus2M, "dpmpp_2m")] {
            try Self.trajectories(method, name: name, into: outputs)
        }
        let report = try ConformanceCheck.check(kit: Self.kit, outputs: outputs)
        for o in report.orders {
            print(String(format: "%@ %@: order %.2f (end point %.2f), errors %@", o.method, o.family, o.measuredOrder, o.endpointOrder,
                         o.errors.map { String(format: "%.1e", $0) }.joined(separator: " ")))
        }
        #expect(report.orders.count == 4 * 18)
        #expect(report.passed, "failing: \(report.failures)")
        // Every family is judged except Heun's four from cosine's t = T − 1 (σ ≈ 2·10⁴).
        let unjudged = report.orders.filter { $0.passed == nil }
        print("not judged: \(unjudged.map { "\($0.method)/\($0.family): \($0.note ?? "")" })")
        #expect(unjudged.count == 4 && unjudged.allSatisfy { $0.method == "heun" && $0.family.contains("cosine") && !$0.family.contains("leading") })
    }

    @Test("A trajectory by a DDIM step 1 % off fails its order (no convergence)")
    func trajectoryMutation() throws {
        let outputs = TestSupport.temporaryFolder("conformance-skewed")
        let manifest = try ConformanceCheck.manifest(in: Self.kit)
        for c in manifest.trajectoryCases where c.family == "gaussian__linear__trailing" {
            let schedule = try Self.schedule(c.schedule)
            let oracle = ConformanceOracle.gaussian
            var x = try Matrix(rows: ConformanceKit.rows, columns: 2, storage: try Self.read(c.xStart))
            var states = x.storage
            for (t, s) in zip(c.levels, c.levels.dropFirst()) {
                let eps = try oracle.epsilon(x, alphaBar: schedule.alphaBar(max(t, 0)), schedule: schedule)
                x = try Matrix(rows: x.rows, columns: 2, storage: zip(x.storage, eps.storage).map {
                    Self.userDDIM($0, $1, schedule.alphaBar(t), schedule.alphaBar(s), skew: 1.01)
                })
                states += x.storage
            }
            try Self.write(states, shape: [c.steps + 1, ConformanceKit.rows, 2], method: "ddim", id: c.id, in: outputs)
        }
        let report = try ConformanceCheck.check(kit: Self.kit, outputs: outputs)
        print("skewed DDIM: order \(report.orders[0].measuredOrder), errors \(report.orders[0].errors)")
        #expect(report.orders.count == 1 && report.orders[0].passed == false)
        #expect(!report.passed)
    }

    @Test("Bad outputs: a wrong shape names the file and the expected shape; an unknown method, an empty folder")
    func badOutputs() throws {
        let manifest = try ConformanceCheck.manifest(in: Self.kit)
        let outputs = TestSupport.temporaryFolder("conformance-bad-shape")
        try Self.write([1, 2, 3], shape: [3], method: "ddim_eta0", id: manifest.stepCases[0].id, in: outputs)
        #expect { try ConformanceCheck.check(kit: Self.kit, outputs: outputs) } throws: { error in
            "\(error)".contains("expected shape (10, 8, 2)") && "\(error)".contains(manifest.stepCases[0].id)
        }
        let unknown = TestSupport.temporaryFolder("conformance-unknown")
        try Self.write([Double](repeating: 0, count: 160), shape: [10, 8, 2], method: "mystery", id: manifest.stepCases[0].id, in: unknown)
        #expect { try ConformanceCheck.check(kit: Self.kit, outputs: unknown) } throws: { "\($0)".contains("mystery") }
        #expect(throws: MongeError.self) { try ConformanceCheck.check(kit: Self.kit, outputs: TestSupport.temporaryFolder("conformance-empty")) }
        #expect(throws: MongeError.self) { try ConformanceCheck.check(kit: TestSupport.temporaryFolder("no-kit"), outputs: outputs) }
    }
}
