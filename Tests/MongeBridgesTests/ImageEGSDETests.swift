import Foundation
import MongeBridges
import MongeDiffusion
import MongeNN
import Testing

/// EGSDE's experts on images: the low-pass filter against its closed forms, the energy's
/// gradient (conv realism features + low-pass faithfulness) against finite differences, and the
/// image translation through the existing sampler.
@Suite("EGSDE on images")
struct ImageEGSDETests {
    static let schedule = try! NoiseSchedule.linear(count: 200)
    static let image = ImageShape(channels: 1, height: 8, width: 8)

    /// A time-dependent conv classifier with random weights (the calculus does not need training).
    static func expert<S: NetworkScalar>(_: S.Type = S.self, image: ImageShape = image) -> TimeConvClassifier<S> {
        let config = ConvClassifierConfig(image: image, width: 4, depth: 1, groups: 2, features: 6, classes: 2, timeEmbedding: 8)
        let network = try! ConvClassifier<S>(config: config, timesteps: schedule.count)
        var p = network.initialParameters(seed: 4)
        let rng = RandomStream(seed: 4, stream: 5)
        for entry in network.layout.entries where entry.name.contains("norm") {
            for i in entry.range { p[i] += S(0.3 * rng.normal(UInt64(i))) }
        }
        return try! TimeConvClassifier(network: network, parameters: p, schedule: schedule)
    }

    static func dot(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double { zip(a.storage, b.storage).reduce(0) { $0 + $1.0 * $1.1 } }

    @Test("Low-pass: cell means up-sampled, idempotent, adjoint ⟨LP x, g⟩ = ⟨x, LPᵀ g⟩, errors for a factor that does not divide")
    func lowPassClosedForms() throws {
        let shape = ImageShape(channels: 2, height: 4, width: 6)
        let filter = try LowPassFilter(image: shape, factor: 2)
        let x: Matrix<Double> = RandomStream(seed: 1).normalMatrix(rows: 3, columns: shape.dimension)
        let g: Matrix<Double> = RandomStream(seed: 2).normalMatrix(rows: 3, columns: shape.dimension)
        let lp = filter.apply(x)
        // Pixel (c = 1, y = 3, x = 4) of image 2 is the mean of its 2×2 cell (rows 2–3, columns 4–5).
        let cell = [(2, 4), (2, 5), (3, 4), (3, 5)].map { x[2, (1 * 4 + $0.0) * 6 + $0.1] }.reduce(0, +) / 4
        #expect(abs(lp[2, (1 * 4 + 3) * 6 + 4] - cell) < 1e-14)
        #expect(filter.apply(lp).maxAbsDifference(lp) < 1e-14)
        #expect(abs(Self.dot(lp, g) - Self.dot(x, filter.adjoint(g))) < 1e-12)
        #expect(filter.adjoint(g).maxAbsDifference(filter.apply(g)) < 1e-14)  // LP is symmetric
        #expect(filter.pool(x).columns == 2 * 2 * 3)
        #expect(throws: MongeError.self) { try LowPassFilter(image: shape, factor: 4) }
        do { _ = try LowPassFilter(image: shape, factor: 4) } catch { #expect("\(error)".contains("does not divide the image size 4×6")) }
    }

    /// ∇_y E against five-point differences of E in Double (conv realism features and the low-pass expert).
    @Test(arguments: [(3.0, 0.7), (2.0, 0.0), (0.0, 1.5)])
    func energyGradientMatchesFiniteDifferences(_ lambdas: (Double, Double)) throws {
        let energy = try EGSDEEnergy(expert: Self.expert(Double.self), lowPass: LowPassFilter(image: Self.image, factor: 2),
                                     lambdaS: lambdas.0, lambdaI: lambdas.1)
        let d = Self.image.dimension
        let y: Matrix<Double> = RandomStream(seed: 8).substream(1).normalMatrix(rows: 3, columns: d)
        let xt: Matrix<Double> = RandomStream(seed: 8).substream(2).normalMatrix(rows: 3, columns: d)
        let gradient = energy.gradient(y, source: xt, timestep: 57)
        let h = 1e-4
        let scale = gradient.storage.map(abs).max()!
        var worst = 0.0
        for i in 0..<3 {
            for j in 0..<d {
                func e(_ delta: Double) -> Double {
                    var z = y
                    z[i, j] += delta
                    return energy.energy(z, source: xt, timestep: 57)[i]
                }
                let numeric = (8 * (e(h) - e(-h)) - (e(2 * h) - e(-2 * h))) / (12 * h)
                worst = max(worst, abs(numeric - gradient[i, j]) / max(abs(numeric), 1e-2 * scale))
            }
        }
        #expect(worst < 1e-6, "λ = \(lambdas): worst relative error \(worst)")
        #expect(scale > 1e-3)
    }

    @Test("EGSDE on 8×8 images runs through the sampler: λ = 0 is SDEdit bitwise; a large λ_i keeps the low-pass content")
    func translation() throws {
        let d = Self.image.dimension
        let mean = (0..<d).map { 0.5 * sin(Double($0)) }
        let model = try GaussianOracle<Float>(mean: mean, std: [Double](repeating: 0.4, count: d), schedule: Self.schedule)
        let x: Matrix<Float> = RandomStream(seed: 3).normalMatrix(rows: 5, columns: d)
        let filter = try LowPassFilter(image: Self.image, factor: 4)
        let noise = RandomStream(seed: 6)
        let expert = Self.expert(Float.self)
        let sdedit = try Sampler.sdedit(model, x, timesteps: EGSDE.timesteps(start: 100, steps: 20), method: .ddpm, noise: noise).x
        let plain = try EGSDE.translate(model, expert: expert, lowPass: filter, source: x, start: 100, lambdaS: 0, lambdaI: 0, steps: 20,
                                        noise: noise).x
        #expect(plain.storage == sdedit.storage)
        var distances: [Double] = []
        for lambda in [0.0, 3.0] {
            let y = try EGSDE.translate(model, expert: expert, lowPass: filter, source: x, start: 100, lambdaS: 5, lambdaI: lambda, steps: 20,
                                        noise: noise).x
            #expect(y.storage.allSatisfy { $0.isFinite })
            let r = filter.apply(y).converted(to: Double.self), s = filter.apply(x).converted(to: Double.self)
            distances.append(zip(r.storage, s.storage).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) })
        }
        #expect(distances[1] < 0.5 * distances[0], "low-pass distance to the source: \(distances)")
        // A filter for other images is refused.
        #expect(throws: MongeError.self) {
            try EGSDE.translate(model, expert: expert, lowPass: LowPassFilter(image: ImageShape(channels: 1, height: 4, width: 16), factor: 2),
                                source: x, start: 100, lambdaS: 1, lambdaI: 1, noise: noise)
        }
    }
}
