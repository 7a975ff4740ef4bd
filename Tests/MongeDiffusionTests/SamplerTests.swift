import Foundation
import MongeDiffusion
import MongeNN
import Testing

/// The sampler core: reproducibility, independence of blocks and threads, statistics of the
/// samples against the known data distribution, trajectories, progress, drift and bad input.
@Suite("Samplers")
struct SamplerTests {
    static let schedule = try! NoiseSchedule.linear()
    static func gaussians8() -> MixtureOracle<Float> { try! Oracles.gaussians8(schedule: schedule) }

    static let methods: [SamplerMethod] = [.ddpm, .ddim(eta: 0), .ddim(eta: 0.5), .heun, .eulerAncestral, .dpmSolverPlusPlus2M]

    @Test("Same seed → byte-identical samples; another seed → different samples", arguments: methods)
    func sameSeed(method: SamplerMethod) throws {
        let model = Self.gaussians8()
        let t = try Timesteps.respaced(count: 1000, steps: 20, spacing: .trailing)
        let a = try Sampler.sample(model, count: 200, timesteps: t, method: method, noise: RandomStream(seed: 5)).x
        let b = try Sampler.sample(model, count: 200, timesteps: t, method: method, noise: RandomStream(seed: 5)).x
        let c = try Sampler.sample(model, count: 200, timesteps: t, method: method, noise: RandomStream(seed: 6)).x
        #expect(a.bits == b.bits)
        #expect(a.bits != c.bits)
    }

    @Test("Results do not depend on the block size (and so on how blocks spread over threads)", arguments: methods)
    func blockSizes(method: SamplerMethod) throws {
        let model = Self.gaussians8()
        let t = try Timesteps.respaced(count: 1000, steps: 15, spacing: .linspace)
        let runs = try [1, 7, 64, 1000].map { size in
            try Sampler.sample(model, count: 150, timesteps: t, method: method, noise: RandomStream(seed: 2),
                               options: SamplerOptions(blockSize: size)).x
        }
        for r in runs.dropFirst() { #expect(r.bits == runs[0].bits) }
        // SDEdit too (its start noise is addressed by row).
        let data: Matrix<Float> = RandomStream(seed: 8).normalMatrix(rows: 50, columns: 2)
        let sdedit = try [3, 50].map { size in
            try Sampler.sdedit(model, data, timesteps: Array(t.suffix(8)), method: method, noise: RandomStream(seed: 4),
                               options: SamplerOptions(blockSize: size)).x
        }
        #expect(sdedit[0].bits == sdedit[1].bits)
    }

    @Test("The first n samples do not depend on how many are drawn")
    func prefixStable() throws {
        let model = Self.gaussians8()
        let t = try Timesteps.respaced(count: 1000, steps: 10, spacing: .trailing)
        let small = try Sampler.sample(model, count: 10, timesteps: t, method: .ddpm, noise: RandomStream(seed: 1)).x
        let large = try Sampler.sample(model, count: 25, timesteps: t, method: .ddpm, noise: RandomStream(seed: 1)).x
        #expect(small.bits == large.rows(0..<10).bits)
    }

    /// Sample mean and covariance of 2-D points.
    static func moments(_ x: Matrix<Double>) -> (mean: [Double], cov: [Double]) {
        let n = Double(x.rows), m = x.columnMeans()
        var c = [0.0, 0, 0, 0]
        for i in 0..<x.rows {
            let d0 = x[i, 0] - m[0], d1 = x[i, 1] - m[1]
            c[0] += d0 * d0 / n; c[1] += d0 * d1 / n; c[3] += d1 * d1 / n
        }
        c[2] = c[1]
        return (m, c)
    }

    /// The exact law of a sampler's output for Gaussian data N(μ, Σ), in closed form from the
    /// papers' formulas (not the library's step coefficients): with the exact ε every step is
    /// affine plus Gaussian noise, x_s = A x_t + b + σ z, so mean and covariance propagate as
    /// m ← A m + b, P ← A P Aᵀ + σ² I. Per step, with C_t = ᾱ_t Σ + (1 − ᾱ_t) I:
    /// Tweedie's x̂_0 = μ + √ᾱ_t Σ C_t⁻¹ (x − √ᾱ_t μ) and ε̂ = (x − √ᾱ_t x̂_0)/√(1 − ᾱ_t);
    /// DDIM (eqs. 12, 16) x_s = √ᾱ_s x̂_0 + √(1 − ᾱ_s − σ²) ε̂ + σ z, σ² = η² (1 − ᾱ_s)/(1 − ᾱ_t) (1 − ᾱ_t/ᾱ_s);
    /// DDPM x_s = E[x_s | x_t] + √β̃ z, the joint-Gaussian mean √ᾱ_s μ + K C_t⁻¹ (x − √ᾱ_t μ) with
    /// K = Cov(x_s, x_t) = √(ᾱ_s ᾱ_t) Σ + √(ᾱ_t/ᾱ_s) (1 − ᾱ_s) I and β̃ = (1 − ᾱ_s)/(1 − ᾱ_t) (1 − ᾱ_t/ᾱ_s).
    /// Euler and ancestral Euler are DDIM with η = 0 and 1 in other variables. Heun and
    /// DPM-Solver++(2M) have no short per-step closed form: their law is predicted by the exact
    /// flow's (an affine map), which both match to O(h²), far below the sampling error here.
    static func predictedMoments(_ model: GaussianOracle<Double>, path: [Int], method: SamplerMethod,
                                 mean: [Double], cov: [Double]) throws -> (mean: [Double], cov: [Double]) {
        typealias M2 = [Double]  // 2×2 row-major
        func mul(_ a: M2, _ b: M2) -> M2 {
            [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3]]
        }
        func apply(_ a: M2, _ v: [Double]) -> [Double] { [a[0] * v[0] + a[1] * v[1], a[2] * v[0] + a[3] * v[1]] }
        func inverse(_ m: M2) -> M2 { let d = m[0] * m[3] - m[1] * m[2]; return [m[3] / d, -m[1] / d, -m[2] / d, m[0] / d] }
        func transpose(_ m: M2) -> M2 { [m[0], m[2], m[1], m[3]] }
        func plus(_ a: M2, _ b: M2, _ s: Double = 1) -> M2 { zip(a, b).map { $0 + s * $1 } }
        let identity: M2 = [1, 0, 0, 1]
        let mu = model.mean, sigma = model.covariance
        var (m, p) = (mean, cov)
        func push(_ a: M2, _ b: [Double], variance: Double) {
            m = zip(apply(a, m), b).map { $0 + $1 }
            p = plus(mul(mul(a, p), transpose(a)), identity, variance)
        }
        if method == .heun || method == .dpmSolverPlusPlus2M {
            let basis = Matrix<Double>([[0, 0], [1, 0], [0, 1]])
            let images = model.exactFlow(basis, from: path.first!, to: path.last!)
            let b = images.row(0)
            push([images[1, 0] - b[0], images[2, 0] - b[0], images[1, 1] - b[1], images[2, 1] - b[1]], b, variance: 0)
            return (m, p)
        }
        for (t, s) in zip(path, path.dropFirst()) {
            let at = model.schedule.alphaBar(t), as_ = model.schedule.alphaBar(s)
            let rootT = at.squareRoot(), rootS = as_.squareRoot()
            let cInverse = inverse(plus(sigma.map { at * $0 }, identity, 1 - at))
            let shift = mu.map { rootT * $0 }  // x − √ᾱ_t μ = x − shift
            let posteriorVariance = (1 - as_) / (1 - at) * (1 - at / as_)
            let eta: Double?
            switch method {
            case let .ddim(e): eta = e
            case .euler: eta = 0
            case .eulerAncestral: eta = 1
            default: eta = nil
            }
            if let eta {
                // x̂_0 = μ + T (x − shift), T = √ᾱ_t Σ C⁻¹; ε̂ = (x − √ᾱ_t x̂_0)/√(1 − ᾱ_t).
                let tw = mul(sigma, cInverse).map { rootT * $0 }
                let x0A = tw, x0b = zip(mu, apply(tw, shift)).map { $0 - $1 }
                let epsA = plus(identity, x0A, -rootT).map { $0 / (1 - at).squareRoot() }
                let epsB = x0b.map { -rootT * $0 / (1 - at).squareRoot() }
                let variance = eta * eta * posteriorVariance
                let direction = max(0, 1 - as_ - variance).squareRoot()
                push(plus(x0A.map { rootS * $0 }, epsA, direction), zip(x0b, epsB).map { rootS * $0 + direction * $1 }, variance: variance)
            } else {
                let shared = (as_ * at).squareRoot(), own = (at / as_).squareRoot() * (1 - as_)
                let a = mul(plus(sigma.map { shared * $0 }, identity, own), cInverse)
                let b = zip(mu.map { rootS * $0 }, apply(a, shift)).map { $0 - $1 }
                push(a, b, variance: posteriorVariance)
            }
        }
        return (m, p)
    }

    /// Sample moments within 4.5 standard errors of the predicted law (n points).
    static func expectMoments(_ x: Matrix<Double>, _ predicted: (mean: [Double], cov: [Double]), _ label: String) {
        let n = Double(x.rows), (m, c) = moments(x), p = predicted.cov
        for j in 0..<2 { #expect(abs(m[j] - predicted.mean[j]) < 4.5 * (p[j * 3] / n).squareRoot(), "\(label) mean \(j)") }
        let se = [p[0] * (2 / n).squareRoot(), ((p[0] * p[3] + p[1] * p[1]) / n).squareRoot(), 0, p[3] * (2 / n).squareRoot()]
        for k in [0, 1, 3] { #expect(abs(c[k] - p[k]) < 4.5 * se[k], "\(label) covariance \(k): \(c[k]) vs \(p[k])") }
    }

    @Test("Samples of the Gaussian oracle have the exact law of the discrete chain, close to N(μ, Σ)", arguments: methods)
    func gaussianMoments(method: SamplerMethod) throws {
        let mean = [1.0, -2.0], cov = [0.5, 0.2, 0.2, 0.3]
        let model = try GaussianOracle<Double>(mean: mean, covariance: cov, schedule: Self.schedule)
        let t = try Timesteps.respaced(count: 1000, steps: 100, spacing: .trailing)
        let n = 4000
        let out = try Sampler.sample(model, count: n, timesteps: t, method: method, noise: RandomStream(seed: 21)).x
        let path = Timesteps.decodingPath(t)
        let predicted = try Self.predictedMoments(model, path: path, method: method, mean: [0, 0], cov: [1, 0, 0, 1])
        Self.expectMoments(out, predicted, "\(method) sample")
        // The discrete chain itself is close to the data law (DDPM's β̃ — and ancestral Euler's,
        // which is DDIM η = 1 with the same variance — underestimates the variance with 100 steps by
        // ≈ 10 %, the known cost of the "small" posterior variance).
        for k in 0..<4 { #expect(abs(predicted.cov[k] - cov[k]) < ([.ddpm, .eulerAncestral].contains(method) ? 0.06 : 0.03)) }
        for j in 0..<2 { #expect(abs(predicted.mean[j] - mean[j]) < 0.01) }

        // SDEdit from exact data samples: noised to t0 = 499 the law is N(√ᾱμ, ᾱΣ + (1 − ᾱ)I).
        let z: Matrix<Double> = RandomStream(seed: 22).normalMatrix(rows: n, columns: 2)
        let l0 = cov[0].squareRoot(), l1 = cov[1] / l0, l2 = (cov[3] - l1 * l1).squareRoot()
        let data = Matrix<Double>(rows: n, columns: 2) { i, j in
            j == 0 ? mean[0] + l0 * z[i, 0] : mean[1] + l1 * z[i, 0] + l2 * z[i, 1]
        }
        let short = t.filter { $0 <= 500 }
        let edited = try Sampler.sdedit(model, data, timesteps: short, method: method, noise: RandomStream(seed: 23)).x
        let a = Self.schedule.alphaBar(short.max()!)
        let start = (mean.map { a.squareRoot() * $0 }, [a * cov[0] + 1 - a, a * cov[1], a * cov[2], a * cov[3] + 1 - a])
        let predictedEdit = try Self.predictedMoments(model, path: Timesteps.decodingPath(short), method: method, mean: start.0, cov: start.1)
        Self.expectMoments(edited, predictedEdit, "\(method) SDEdit")
    }

    @Test("DDPM's variance deficit shrinks like 1/K: about 10 % at K = 100, 1 % at K = T = 1000")
    func ddpmAllSteps() throws {
        let cov = [0.5, 0.2, 0.2, 0.3]
        let model = try GaussianOracle<Double>(mean: [1, -2], covariance: cov, schedule: Self.schedule)
        let deficits = try [100, 1000].map { k in
            let path = Timesteps.decodingPath(try Timesteps.respaced(count: 1000, steps: k, spacing: .trailing))
            let predicted = try Self.predictedMoments(model, path: path, method: .ddpm, mean: [0, 0], cov: [1, 0, 0, 1])
            return (0..<4).map { abs(predicted.cov[$0] - cov[$0]) }.max()!
        }
        #expect(deficits[1] < 0.01 && deficits[0] / deficits[1] > 7)
    }

    @Test("DDPM from the 25-Gaussians oracle covers all 25 modes with ≥ 90 % high-quality samples")
    func gaussians25Modes() throws {
        let model: MixtureOracle<Float> = try Oracles.gaussians25(schedule: Self.schedule)
        let t = try Timesteps.respaced(count: 1000, steps: 100, spacing: .trailing)
        let out = try Sampler.sample(model, count: 2500, timesteps: t, method: .ddpm, noise: RandomStream(seed: 3)).x
        var counts = [Int](repeating: 0, count: 25), good = 0
        for i in 0..<out.rows {
            let gx = (Double(out[i, 0]) / 2).rounded(), gy = (Double(out[i, 1]) / 2).rounded()
            let dx = Double(out[i, 0]) - 2 * gx, dy = Double(out[i, 1]) - 2 * gy
            if abs(gx) <= 2, abs(gy) <= 2, (dx * dx + dy * dy).squareRoot() < 3 * 0.05 {
                good += 1
                counts[Int(gx + 2) * 5 + Int(gy + 2)] += 1
            }
        }
        #expect(Double(good) / 2500 > 0.9)
        #expect(counts.allSatisfy { $0 > 40 })  // ≈ 100 expected each
    }

    @Test("DDIM and Heun encode → decode returns the input, with an error that falls as steps grow")
    func roundTrip() throws {
        let model: MixtureOracle<Double> = try Oracles.gaussians8(std: 0.1, schedule: Self.schedule)
        // Data: points near the eight centres.
        let z: Matrix<Double> = RandomStream(seed: 31).normalMatrix(rows: 64, columns: 2)
        let data = Matrix<Double>(rows: 64, columns: 2) { i, j in model.means[i % 8, j] + 0.1 * z[i, j] }
        var errors: [SamplerMethod: [Double]] = [:]
        for method in [SamplerMethod.ddim(eta: 0), .heun] {
            for k in [20, 50, 100, 200, 400] {
                let t = try Timesteps.respaced(count: 1000, steps: k, spacing: .trailing)
                let latent = try Sampler.encode(model, data, timesteps: t, method: method).x
                let back = try Sampler.decode(model, latent, timesteps: t, method: method).x
                let rms = (zip(back.storage, data.storage).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(data.count)).squareRoot()
                errors[method, default: []].append(rms)
            }
        }
        let ddim = errors[.ddim(eta: 0)]!, heun = errors[.heun]!
        print("encode→decode RMS error, K = 20, 50, 100, 200, 400: DDIM \(ddim); Heun \(heun)")
        #expect(zip(ddim, ddim.dropFirst()).allSatisfy { $1 < $0 })
        #expect(zip(heun, heun.dropFirst()).allSatisfy { $1 < $0 })
        #expect(ddim.last! < 0.01 && heun.last! < 1e-4)
    }

    @Test("Trajectories record the chosen rows at every level")
    func trajectory() throws {
        let model = Self.gaussians8()
        let t = try Timesteps.respaced(count: 1000, steps: 6, spacing: .trailing)
        let rows = [37, 0, 12]
        let run = try Sampler.sample(model, count: 40, timesteps: t, method: .ddim(eta: 0.3), noise: RandomStream(seed: 9),
                                     options: SamplerOptions(blockSize: 8, recordedRows: rows))
        let traj = try #require(run.trajectory)
        #expect(traj.levels == Timesteps.decodingPath(t) && traj.rows == rows && traj.states.count == 7)
        let start: Matrix<Float> = Sampler.initialNoise(count: 40, dimension: 2, noise: RandomStream(seed: 9))
        #expect(traj.states.first!.bits == start.rows(at: rows).bits)
        #expect(traj.states.last!.bits == run.x.rows(at: rows).bits)
        // An intermediate state is the result of running the shorter path.
        let partial = try Sampler.run(model, start, path: Array(traj.levels.prefix(4)), method: .ddim(eta: 0.3), noise: RandomStream(seed: 9))
        #expect(traj.states[3].bits == partial.x.rows(at: rows).bits)
    }

    @Test("Progress reaches the total, monotonically")
    func progress() throws {
        final class Log: @unchecked Sendable {
            let lock = NSLock(); var values: [SamplerProgress] = []
            func add(_ p: SamplerProgress) { lock.lock(); values.append(p); lock.unlock() }
        }
        let log = Log()
        let t = try Timesteps.respaced(count: 1000, steps: 5, spacing: .trailing)
        _ = try Sampler.sample(Self.gaussians8(), count: 30, timesteps: t, method: .heun, noise: RandomStream(seed: 1),
                               options: SamplerOptions(blockSize: 4, progress: { log.add($0) }))
        #expect(log.values.count == 8 * 5)
        #expect(log.values.last == SamplerProgress(completed: 150, total: 150))
        #expect(zip(log.values, log.values.dropFirst()).allSatisfy { $0.completed < $1.completed })
    }

    @Test("A drift shifts the mean of each stochastic step and sees the block's global rows")
    func drift() throws {
        let model = Self.gaussians8()
        let x: Matrix<Float> = RandomStream(seed: 12).normalMatrix(rows: 11, columns: 2)
        // One step to clean data: no noise, so the drift's effect is exact.
        let plain = try Sampler.run(model, x, path: [400, -1], method: .ddpm)
        let shifted = try Sampler.run(model, x, path: [400, -1], method: .ddpm, drift: { x, step in
            precondition(step.from == 400 && step.to == -1 && step.index == 0)
            return Matrix(rows: x.rows, columns: 2) { i, j in j == 0 ? Float(step.rows.lowerBound + i) : 0.5 }
        }, options: SamplerOptions(blockSize: 3))
        for i in 0..<11 {
            #expect(shifted.x[i, 0] == plain.x[i, 0] + Float(i))
            #expect(shifted.x[i, 1] == plain.x[i, 1] + 0.5)
        }
        #expect(throws: MongeError.self) {
            try Sampler.run(model, x, path: [400, -1], method: .heun, drift: { x, _ in x })
        }
    }

    @Test("Bad input gets a clear MongeError")
    func badInput() throws {
        let model = Self.gaussians8()
        let t = try Timesteps.respaced(count: 1000, steps: 5, spacing: .trailing)
        let wide = Matrix<Float>(rows: 4, columns: 3)
        #expect(throws: MongeError.shapeMismatch("the model works on points of dimension 2, the input has 3 columns")) {
            try Sampler.decode(model, wide, timesteps: t)
        }
        var bad = Matrix<Float>(rows: 4, columns: 2)
        bad[2, 1] = .nan
        #expect(throws: MongeError.nonFinite("sampler input: element (2, 1) is nan")) { try Sampler.encode(model, bad, timesteps: t) }
        #expect(throws: MongeError.self) { try Sampler.sdedit(model, bad, timesteps: t, noise: RandomStream(seed: 0)) }
        let x = Matrix<Float>(rows: 4, columns: 2)
        #expect(throws: MongeError.self) { try Sampler.run(model, x, path: [-1, 500], method: .ddpm) }
        #expect(throws: MongeError.self) { try Sampler.encode(model, x, timesteps: t, method: .ddim(eta: 0.5)) }
        #expect(throws: MongeError.self) { try Sampler.run(model, x, path: [500, -1], method: .ddim(eta: 1.5)) }
        #expect(throws: MongeError.self) { try Sampler.run(model, x, path: [500, 600, -1], method: .ddim(eta: 0)) }
        #expect(throws: MongeError.self) { try Sampler.run(model, x, path: [1000, -1], method: .ddim(eta: 0)) }
        #expect(throws: MongeError.self) { try Sampler.run(model, x, path: [500, -1], method: .ddpm, options: SamplerOptions(recordedRows: [4])) }
        #expect(throws: MongeError.self) { try Sampler.run(model, x, path: [500, -1], method: .ddpm, options: SamplerOptions(blockSize: 0)) }
        // A model that breaks mid-way is reported, not passed on as NaN.
        let broken = NaNDenoiser(schedule: Self.schedule, badTimestep: 666)
        #expect(throws: MongeError.self) { try Sampler.decode(broken, x, timesteps: [999, 666, 332]) }
        #expect(try Sampler.decode(broken, x, timesteps: [999, 332]).x.isFinite)
    }
}

/// The sampler with MongeNN's network: results bitwise independent of the block size.
@Suite("Samplers with a network")
struct NetworkSamplerTests {
    @Test("A randomly initialised ε-MLP samples byte-identically for block sizes 7, 64, 1000", arguments: [SamplerMethod.ddpm, .heun])
    func blocks(method: SamplerMethod) throws {
        let schedule = try NoiseSchedule.linear()
        let network = try EpsilonNetwork<Float>(config: .anchorMLP(width: 32), timesteps: 1000)
        let model = try NetworkDenoiser(network: network, parameters: network.initialParameters(seed: 1), schedule: schedule)
        let t = try Timesteps.respaced(count: 1000, steps: 8, spacing: .trailing)
        let runs = try [7, 64, 1000].map { size in
            try Sampler.sample(model, count: 300, timesteps: t, method: method, noise: RandomStream(seed: 4),
                               options: SamplerOptions(blockSize: size)).x
        }
        #expect(runs[0].isFinite)
        #expect(runs[0].bits == runs[1].bits && runs[1].bits == runs[2].bits)
    }
}
