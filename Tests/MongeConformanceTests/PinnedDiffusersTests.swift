import Foundation
import MongeConformance
import Testing
import TestSupport

/// Stored outputs of diffusers' schedulers on a few of the kit's cases (pinned/, written by
/// Benchmarks/conformance/diffusers_report.py --pin, diffusers 0.42.1), checked without network:
/// where each agrees with the exact references and where its conventions differ.
@Suite("diffusers outputs through the kit (pinned)", .serialized)
struct PinnedDiffusersTests {
    static func report(_ config: String) throws -> ConformanceReport {
        try ConformanceCheck.check(kit: KitCheckTests.kit, outputs: TestSupport.packageRoot + "/Tests/MongeConformanceTests/pinned/" + config)
    }

    static func step(_ report: ConformanceReport, _ method: String, _ spacing: String) -> ConformanceReport.CaseResult? {
        report.cases.first { $0.method == method && $0.caseID == "step__gaussian__linear__\(spacing)__k10" }
    }

    @Test("DDIMScheduler: exact on leading and trailing spacing; on linspace its prev_timestep = t − T/K leaves the path at the first step")
    func ddim() throws {
        let r = try Self.report("ddim")
        let leading = try #require(Self.step(r, "ddim_eta0", "leading"))
        #expect(leading.passed == true && leading.dtype == "float64" && leading.scaledError! < 1e-12)
        let eta1 = try #require(Self.step(r, "ddim_eta1", "trailing"))
        #expect(eta1.passed == true && eta1.scaledError! < 1e-12)
        let linspace = try #require(Self.step(r, "ddim_eta0", "linspace"))
        #expect(linspace.passed == false && linspace.firstFailingStep == 0 && linspace.scaledError! > 1e-3)
    }

    @Test("set_alpha_to_one = False: every step exact but the last, which stops at ᾱ_0 instead of clean data")
    func alphaFinal() throws {
        let r = try Self.report("ddim_alpha_final_0")
        let c = try #require(Self.step(r, "ddim_eta0", "leading"))
        #expect(c.passed == false && c.firstFailingStep == 9)
    }

    @Test("DDIMInverseScheduler, DDPMScheduler (fixed_small): exact; Euler and Heun: within the float32 tolerance")
    func agreeing() throws {
        let inverse = try #require(Self.step(try Self.report("ddim_inverse"), "inversion", "leading"))
        #expect(inverse.passed == true && inverse.scaledError! < 1e-12)
        let ddpm = try #require(Self.step(try Self.report("ddpm"), "ddpm", "linspace"))
        #expect(ddpm.passed == true && ddpm.scaledError! < 1e-9)
        for (config, method) in [("euler", "ddim_eta0"), ("heun", "heun")] {
            let c = try #require(Self.step(try Self.report(config), method, "trailing"))
            #expect(c.passed == true && c.dtype == "float32" && c.scaledError! < 1e-5, "\(config)")
        }
    }

    @Test("DPMSolverMultistepScheduler (dpmsolver++, order 2) on trailing spacing: order ≈ 2 against the exact flow")
    func dpmSolver() throws {
        let r = try Self.report("dpmpp_2m")
        let order = try #require(r.orders.first)
        print("diffusers DPM-Solver++(2M), gaussian/linear/trailing: order \(order.measuredOrder), errors \(order.errors)")
        #expect(order.steps == [20, 40, 80, 160] && order.passed == true)
        #expect(abs(order.measuredOrder - 2) < 0.25)
    }
}
