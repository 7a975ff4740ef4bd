import Foundation
import MongeDiffusion
import Testing
import TestSupport

@Suite("Model specs")
struct ModelSpecTests {
    @Test("Oracle specs parse with defaults, options and schedules")
    func parsing() throws {
        let g25 = try ModelSpec(parsing: "oracle:gaussians25")
        let linear = try NoiseSchedule.linear()
        #expect(g25.source == .gaussians25(std: 0.05, spacing: 2) && g25.schedule == linear && g25.isOracle)
        #expect(try ModelSpec(parsing: "oracle:gaussians8:std=0.1:radius=3").source == .gaussians8(radius: 3, std: 0.1))
        let ddib = try ModelSpec(parsing: "oracle:gaussians8:schedule=scaled-linear:T=4000")
        let scaled = try NoiseSchedule.scaledLinear(count: 4000)
        #expect(ddib.schedule == scaled)
        #expect(try ModelSpec(parsing: "oracle:gaussian:mean=0,0:std=1").source == .gaussian(mean: [0, 0], std: [1, 1], covariance: nil))
        #expect(try ModelSpec(parsing: "oracle:gaussian:mean=1,2,3").source == .gaussian(mean: [1, 2, 3], std: [1, 1, 1], covariance: nil))
        #expect(try ModelSpec(parsing: "oracle:gaussian:mean=0,0:cov=1,0.5,0.5,2:schedule=cosine").source
                == .gaussian(mean: [0, 0], std: nil, covariance: [1, 0.5, 0.5, 2]))
        #expect(try ModelSpec(parsing: "oracle:empirical:/tmp/a:b.npy:T=500").source == .empirical(path: "/tmp/a:b.npy"))
        #expect(try ModelSpec(parsing: "oracle:empirical:/tmp/a:b.npy:T=500").schedule?.count == 500)
        let checkpoint = try ModelSpec(parsing: "runs/moons")
        #expect(checkpoint.source == .checkpoint(path: "runs/moons") && !checkpoint.isOracle)
    }

    @Test("Bad specs name the problem", arguments: [
        ("oracle:unicorn", "unknown oracle"),
        ("oracle:gaussian:std=1", "needs mean"),
        ("oracle:gaussian:mean=0,0:std=1,2,3", "std has 3 values"),
        ("oracle:gaussian:mean=0,0:cov=1,0,1", "cov needs 4 values"),
        ("oracle:gaussian:mean=0,x", "comma-separated list"),
        ("oracle:gaussian:mean=0:std=1:cov=1", "not both"),
        ("oracle:gaussians25:std=-1", "≥ 0"),
        ("oracle:gaussians25:width=3", "unknown option \"width\""),
        ("oracle:gaussians25:T=0", "positive integer"),
        ("oracle:gaussians25:schedule=quadratic", "unknown schedule"),
        ("oracle:gaussians25:std", "expected key=value"),
        ("oracle:empirical:", "needs a file"),
        ("", "empty"),
    ])
    func errors(text: String, fragment: String) {
        do {
            _ = try ModelSpec(parsing: text)
            Issue.record("\(text) parsed")
        } catch {
            #expect("\(error)".contains(fragment), "\(error)")
        }
    }

    @Test("Specs resolve to denoisers with the right dimension and exact ε")
    func resolve() throws {
        let g = try ModelSpec(parsing: "oracle:gaussian:mean=1,2,3:std=0.5").denoiser(as: Float.self)
        #expect(g.dimension == 3 && g.label == "oracle:gaussian:mean=1,2,3:std=0.5")
        // At t = 999 and x = √ᾱμ, ε = 0.
        let a = Float(g.schedule.alphaBar(999).squareRoot())
        #expect(g.epsilon(Matrix([[a, 2 * a, 3 * a]]), timestep: 999).storage.allSatisfy { abs($0) < 1e-6 })
        let folder = TestSupport.temporaryFolder()
        try ArrayFile.write(Matrix<Double>([[0, 1], [2, 3], [4, 5]]), to: folder + "/p.csv")
        let e = try ModelSpec(parsing: "oracle:empirical:\(folder)/p.csv").denoiser(as: Double.self)
        #expect(e.dimension == 2)
        let near = e.epsilon(Matrix([[2.001, 3.0]]), timestep: 0)
        let s = (1 - e.schedule.alphaBar(0)).squareRoot(), r = e.schedule.alphaBar(0).squareRoot()
        #expect(abs(near[0, 0] - (2.001 - 2 * r) / s) < 1e-6)
        #expect(throws: MongeError.self) { try ModelSpec(parsing: "oracle:empirical:\(folder)/none.npy").denoiser(as: Double.self) }
        #expect(throws: MongeError.self) { try ModelSpec(parsing: "oracle:gaussian:mean=0,0:cov=1,2,2,1").denoiser(as: Double.self) }
        // A Float model behind a Double interface (and back) gives the same ε to float precision.
        let converted = AnyDenoiser<Double>(converting: g)
        let x: Matrix<Double> = RandomStream(seed: 1).normalMatrix(rows: 4, columns: 3)
        let direct = g.epsilon(x.converted(to: Float.self), timestep: 500)
        #expect(zip(converted.epsilon(x, timestep: 500).storage, direct.storage).allSatisfy { abs($0 - Double($1)) < 1e-6 })
    }
}
