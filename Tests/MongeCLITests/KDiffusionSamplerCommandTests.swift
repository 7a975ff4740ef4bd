import Foundation
import MongeCore
import MongeDiffusion
import Testing
import TestSupport

/// The k-diffusion samplers on the command line: the library's result bit for bit, the closed-form
/// probability flow of a Gaussian oracle at the expected order, and encode's refusal of denoise-only samplers.
@Suite("monge sample / decode / encode with euler, euler-ancestral, dpmpp-2m")
struct KDiffusionSamplerCommandTests {
    static let model = "oracle:gaussian:mean=1,-1:std=0.5"

    @Test func sampleWithDPMSolverIsTheLibrarysResultBitForBit() throws {
        let folder = TestSupport.temporaryFolder()
        let r = try TestSupport.monge(["sample", Self.model, "--n", "200", "--steps", "20", "--sampler", "dpmpp-2m", "--seed", "7",
                                       "--out", folder + "/s.npy", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let cli = try ArrayFile.readMatrix(folder + "/s.npy", as: Double.self)
        let denoiser = try ModelSpec(parsing: Self.model).denoiser(as: Double.self)
        let timesteps = try Timesteps.respaced(count: denoiser.schedule.count, steps: 20, spacing: .standard)
        let library = try Sampler.sample(denoiser, count: 200, timesteps: timesteps, method: .dpmSolverPlusPlus2M, noise: RandomStream(seed: 7)).x
        #expect(cli.storage == library.storage)
        let manifest = try RunManifest.read(folder + "/s.npy.manifest.json")
        #expect(manifest.parameters["sampler"] == "dpmpp-2m")
    }

    /// max |decode(z) − exact flow(z)| for the Gaussian N(μ, s² I): x_0 = μ + s (z − √ᾱ μ)/√(ᾱ s² + 1 − ᾱ), ᾱ at T − 1.
    static func decodeError(_ sampler: String, steps: Int, spacing: String = "linspace") throws -> Double {
        let folder = TestSupport.temporaryFolder()
        let z: Matrix<Double> = RandomStream(seed: 21).normalMatrix(rows: 64, columns: 2)
        try ArrayFile.write(z, to: folder + "/z.npy")
        let r = try TestSupport.monge(["decode", model, folder + "/z.npy", "--steps", "\(steps)", "--spacing", spacing, "--sampler", sampler,
                                       "--out", folder + "/x.npy", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let x = try ArrayFile.readMatrix(folder + "/x.npy", as: Double.self)
        let a = try NoiseSchedule.linear().alphaBar(999), mu = [1.0, -1.0], s = 0.5
        let scale: Double = s / (a * s * s + 1 - a).squareRoot()
        var worst = 0.0
        for i in 0..<z.rows {
            for j in 0..<2 {
                let exact: Double = mu[j] + scale * (z[i, j] - a.squareRoot() * mu[j])
                worst = max(worst, abs(x[i, j] - exact))
            }
        }
        return worst
    }

    @Test func decodeConvergesToTheExactFlowAtTheExpectedOrder() throws {
        let (p50, p100) = (try Self.decodeError("dpmpp-2m", steps: 50), try Self.decodeError("dpmpp-2m", steps: 100))
        let (e50, e100) = (try Self.decodeError("euler", steps: 50), try Self.decodeError("euler", steps: 100))
        #expect(log2(p50 / p100) > 1.7 && log2(p50 / p100) < 2.3, "DPM-Solver++(2M): \(p50) → \(p100)")
        #expect(log2(e50 / e100) > 0.8 && log2(e50 / e100) < 1.2, "Euler: \(e50) → \(e100)")
        #expect(p100 < 0.025)
        // Karras σ spacing: second order reaches 1e-2 at 50 steps.
        #expect(try Self.decodeError("dpmpp-2m", steps: 50, spacing: "karras") < 0.015)
    }

    @Test func encodeRefusesSamplersThatOnlyDenoiseNamingTheAllowedOnes() throws {
        let folder = TestSupport.temporaryFolder()
        try ArrayFile.write(Matrix<Double>(rows: 4, columns: 2, repeating: 0.5), to: folder + "/x.npy")
        for sampler in ["dpmpp-2m", "euler-ancestral", "ddpm"] {
            let r = try TestSupport.monge(["encode", Self.model, folder + "/x.npy", "--steps", "10", "--sampler", sampler, "--out", folder + "/z.npy"])
            #expect(r.status != 0)
            #expect(r.stderr.contains("--sampler \(sampler)") && r.stderr.contains("ddim, heun, euler"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: folder + "/z.npy"))
        }
        let euler = try TestSupport.monge(["encode", Self.model, folder + "/x.npy", "--steps", "10", "--sampler", "euler", "--out", folder + "/z.npy", "--quiet"])
        #expect(euler.status == 0, "\(euler.stderr)")
    }
}
