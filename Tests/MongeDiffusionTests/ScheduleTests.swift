import Foundation
import MongeDiffusion
import Testing

/// Noise schedules against their definitions; golden ᾱ values from numpy's cumprod.
@Suite("Noise schedules")
struct ScheduleTests {
    @Test("Linear: β 1e-4 … 0.02 over T = 1000, ᾱ the running product")
    func linear() throws {
        let s = try NoiseSchedule.linear()
        #expect(s.count == 1000 && s.betas.count == 1000)
        #expect(abs(s.betas[0] - 1e-4) < 1e-18 && abs(s.betas[999] - 0.02) < 1e-17)
        #expect(abs(s.betas[500] - (1e-4 + (0.02 - 1e-4) * 500 / 999)) < 1e-17)
        // numpy: np.cumprod(1 - np.linspace(1e-4, 0.02, 1000))
        #expect(abs(s.alphaBar(999) / 4.035829765375676e-05 - 1) < 1e-10)
        #expect(abs(s.alphaBar(499) / 0.07858724288177824 - 1) < 1e-12)
        #expect(s.alphaBar(0) == 0.9999)
        #expect(s.alphaBar(-1) == 1 && s.sigma(-1) == 0)
        #expect(abs(s.sigma(0) - (1e-4 / 0.9999).squareRoot()) < 1e-15)
    }

    @Test("DDIB's rescaled linear: T = 4000 gives β 2.5e-5 … 0.005; T = 1000 is DDPM's")
    func scaledLinear() throws {
        let s = try NoiseSchedule.scaledLinear(count: 4000)
        #expect(abs(s.betas[0] - 2.5e-5) < 1e-18 && abs(s.betas[3999] - 0.005) < 1e-17)
        #expect(abs(s.alphaBar(3999) / 4.246652275802249e-05 - 1) < 1e-9)
        #expect(abs(s.alphaBar(1999) / 0.07894487332460011 - 1) < 1e-11)
        let thousand = try NoiseSchedule.scaledLinear(count: 1000), linear = try NoiseSchedule.linear()
        #expect(zip(thousand.betas, linear.betas).allSatisfy { abs($0 - $1) < 1e-17 })
    }

    @Test("Cosine: ᾱ_t = f(t + 1)/f(0) with β clipped at 0.999")
    func cosine() throws {
        let s = try NoiseSchedule.cosine()
        func f(_ t: Double) -> Double { let c = cos((t / 1000 + 0.008) / 1.008 * Double.pi / 2); return c * c }
        for t in [0, 1, 10, 250, 499, 900, 990] {
            #expect(abs(s.alphaBar(t) / (f(Double(t + 1)) / f(0)) - 1) < 1e-10)
        }
        #expect(s.betas[999] == 0.999)
        #expect(abs(s.alphaBar(499) / 0.4938435904406382 - 1) < 1e-12)
        #expect(abs(s.alphaBar(999) / 2.4287669070348567e-09 - 1) < 1e-8)
    }

    @Test("A schedule round-trips through JSON; bad parameters throw")
    func codableAndErrors() throws {
        for s in [try NoiseSchedule.linear(), try .cosine(count: 50), try .scaledLinear(count: 4000)] {
            let back = try JSONDecoder().decode(NoiseSchedule.self, from: JSONEncoder().encode(s))
            #expect(back == s && back.alphaBars == s.alphaBars)
        }
        #expect(throws: MongeError.self) { try NoiseSchedule.linear(count: 0) }
        #expect(throws: MongeError.self) { try NoiseSchedule.linear(start: 0.02, end: 1e-4) }
        #expect(throws: MongeError.self) { try NoiseSchedule.cosine(offset: -1) }
    }
}
