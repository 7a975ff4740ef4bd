import Foundation

/// The one sampler core: every sampler (DDPM, DDIM η, DDIM inversion, Heun, SDEdit, k-diffusion's Euler,
/// ancestral Euler and DPM-Solver++(2M)) is a walk of
/// [N, D] points along an explicit path of levels, as a pure function of (model, x, path, method,
/// noise stream). There is no scheduler state; the path says where each step goes.
///
/// Parallelism and reproducibility: the rows are cut into blocks of `blockSize` at fixed offsets
/// (0, B, 2B, …); each block runs the whole path on its own (no per-step synchronisation), and the
/// blocks are spread over `Parallel`'s threads. The noise of step k for row i, coordinate d is
/// normal number i·D + d of `noise.substream(NoiseTag.step, k)`, so the result does not depend on
/// the thread count, and for row-independent models (every oracle; ε-MLPs) not on the block size.
public enum Sampler {
    /// Labels of the substreams of a sampler's noise stream.
    public enum NoiseTag: UInt64, Sendable {
        /// The initial Gaussian x_T of `sample`.
        case initial = 1
        /// The noise z of step k (together with k).
        case step = 2
        /// The noise SDEdit adds to the input before denoising.
        case sdeditStart = 3
    }

    /// Runs `method` on the rows of `x` from `path[0]` to `path.last`.
    ///
    /// - Parameters:
    ///   - path: strictly monotone levels in −1..<T; descending denoises, ascending encodes
    ///     (deterministic methods only). See `Timesteps.decodingPath` / `encodingPath`.
    ///   - noise: the source of every random number (unused by deterministic methods).
    ///   - drift: an optional additive shift of the mean at every step of a stochastic method
    ///     (DDPM or DDIM η > 0) — the hook for energy guidance (EGSDE: −w_t ∇E).
    /// - Throws: `MongeError` when x's width differs from the model's dimension, x is not finite,
    ///   the path is invalid for the method, or the model produced non-finite values.
    public static func run<M: Denoiser>(
        _ model: M, _ x: Matrix<M.Scalar>, path: [Int], method: SamplerMethod,
        noise: RandomStream = RandomStream(seed: 0), drift: Drift<M.Scalar>? = nil,
        options: SamplerOptions = SamplerOptions()
    ) throws -> SamplerOutput<M.Scalar> {
        try validate(model: model, x: x, path: path, method: method, drift: drift, options: options)
        let n = x.rows, d = x.columns, steps = path.count - 1
        let blockSize = options.blockSize
        let blockCount = (n + blockSize - 1) / blockSize
        let tally = ProgressTally(total: n * steps, callback: options.progress)
        let recorded = options.recordedRows
        let parts = Parallel.mapChunks(count: blockCount) { blocks -> [BlockResult<M.Scalar>] in
            blocks.map { b in
                let rows = (b * blockSize)..<min(n, (b + 1) * blockSize)
                return runBlock(model, x.rows(rows), rows: rows, path: path, method: method, noise: noise,
                                drift: drift, recorded: recorded, tally: tally)
            }
        }.flatMap { $0 }

        // The parts come in row order (chunks in order, blocks ascending within a chunk).
        let out = try Matrix(rows: n, columns: d, storage: parts.flatMap(\.x.storage))
        do {
            try out.checkFinite("sampler output (\(method), path \(path.first!) → \(path.last!))")
        } catch {
            throw MongeError.nonFinite("the model produced non-finite values while sampling: \(error)")
        }
        var trajectory: Trajectory<M.Scalar>?
        if !recorded.isEmpty {
            var states = [[M.Scalar]](repeating: Array(repeating: 0, count: recorded.count * d), count: path.count)
            for part in parts {
                for (position, values) in part.recorded {
                    for k in 0..<path.count {
                        for j in 0..<d { states[k][position * d + j] = values[k * d + j] }
                    }
                }
            }
            trajectory = Trajectory(levels: path, rows: recorded,
                                    states: try states.map { try Matrix(rows: recorded.count, columns: d, storage: $0) })
        }
        let evaluations = zip(path, path.dropFirst()).reduce(0) { $0 + method.evaluations(from: $1.0, to: $1.1) }
        return SamplerOutput(x: out, trajectory: trajectory, evaluations: evaluations)
    }

    /// The model is evaluated at timestep max(t, 0): at the clean level −1 (the first step of an
    /// encoding) ε comes from the model's first timestep 0, as guided-diffusion's DDIM inversion
    /// does (σ_0 = 0.01 for the linear schedule, 0.005 for DDIB's T = 4000).
    @inlinable
    public static func modelTimestep(_ t: Int) -> Int { max(t, 0) }

    // MARK: - One block

    struct BlockResult<Scalar: MatrixScalar> {
        let rows: Range<Int>
        let x: Matrix<Scalar>
        /// (position in recordedRows, the row's D values at every level, level-major).
        let recorded: [(Int, [Scalar])]
    }

    static func runBlock<M: Denoiser>(
        _ model: M, _ start: Matrix<M.Scalar>, rows: Range<Int>, path: [Int], method: SamplerMethod,
        noise: RandomStream, drift: Drift<M.Scalar>?, recorded: [Int], tally: ProgressTally
    ) -> BlockResult<M.Scalar> {
        let d = start.columns
        let mine = recorded.enumerated().filter { rows.contains($0.element) }
        var history = mine.map { ($0.offset, [M.Scalar]()) }
        func record(_ x: Matrix<M.Scalar>) {
            for (h, entry) in mine.enumerated() {
                let local = entry.element - rows.lowerBound
                history[h].1.append(contentsOf: x.storage[(local * d)..<((local + 1) * d)])
            }
        }
        var x = start
        var memory: StepMemory<M.Scalar>?
        record(x)
        for k in 0..<(path.count - 1) {
            x = step(model, x, from: path[k], to: path[k + 1], index: k, firstRow: rows.lowerBound,
                     method: method, noise: noise, drift: drift, memory: &memory)
            record(x)
            tally.add(rows.count)
        }
        return BlockResult(rows: rows, x: x, recorded: history)
    }

    /// What a multistep method keeps from the previous step: its denoised prediction D and σ.
    struct StepMemory<Scalar: MatrixScalar> {
        let denoised: Matrix<Scalar>
        let sigma: Double
    }

    /// One step of `method` from level t to level s for a block whose first row is `firstRow`.
    static func step<M: Denoiser>(
        _ model: M, _ x: Matrix<M.Scalar>, from t: Int, to s: Int, index k: Int, firstRow: Int,
        method: SamplerMethod, noise: RandomStream, drift: Drift<M.Scalar>?, memory: inout StepMemory<M.Scalar>?
    ) -> Matrix<M.Scalar> {
        let schedule = model.schedule
        let at = schedule.alphaBar(t), as_ = schedule.alphaBar(s)
        let epsilon = model.epsilon(x, timestep: modelTimestep(t))
        func normals() -> Matrix<M.Scalar> {
            ScalarKernels.normals(noise.substream(NoiseTag.step.rawValue, UInt64(k)), rows: x.rows, columns: x.columns, firstRow: firstRow)
        }
        let next: Matrix<M.Scalar>
        switch method {
        case .ddim, .ddpm, .ddpmFixedLarge:
            let c: StepCoefficients
            if case let .ddim(eta) = method {
                c = DDIM.coefficients(eta: eta, alphaBarFrom: at, alphaBarTo: as_)
            } else {
                c = DDPM.coefficients(alphaBarFrom: at, alphaBarTo: as_, variance: method == .ddpm ? .betaTilde : .beta)
            }
            next = c.apply(x, epsilon: epsilon, noise: c.noise > 0 ? normals() : nil)
        case .heun:
            return heunStep(model, x, epsilon: epsilon, from: t, to: s)
        case .euler, .eulerAncestral:
            // In x = √ᾱ y: x_s = √ᾱ_s (c_y x/√ᾱ_t + c_ε ε + c_z z).
            let c = method == .euler
                ? KDiffusionSteps.euler(sigma: schedule.sigma(t), sigmaNext: schedule.sigma(s))
                : KDiffusionSteps.eulerAncestral(sigma: schedule.sigma(t), sigmaNext: schedule.sigma(s))
            let rootT = at.squareRoot(), rootS = as_.squareRoot()
            next = StepCoefficients(x: rootS * c.y / rootT, epsilon: rootS * c.epsilon, noise: rootS * c.noise)
                .apply(x, epsilon: epsilon, noise: c.noise > 0 ? normals() : nil)
        case .dpmSolverPlusPlus2M:
            let sigmaT = schedule.sigma(t), rootT = at.squareRoot(), rootS = as_.squareRoot()
            // D = y − σ ε with y = x/√ᾱ_t.
            let denoised = StepCoefficients(x: 1 / rootT, epsilon: -sigmaT, noise: 0).apply(x, epsilon: epsilon)
            let c = KDiffusionSteps.dpmSolverPlusPlus2M(sigma: sigmaT, sigmaNext: schedule.sigma(s), sigmaPrevious: memory?.sigma)
            let storage = memory.map { ScalarKernels.combine(rootS * c.y / rootT, x.storage, rootS * c.denoised, denoised.storage,
                                                             rootS * c.previous, $0.denoised.storage) }
                ?? ScalarKernels.combine(rootS * c.y / rootT, x.storage, rootS * c.denoised, denoised.storage)
            memory = StepMemory(denoised: denoised, sigma: sigmaT)
            return try! Matrix(rows: x.rows, columns: x.columns, storage: storage)
        }
        guard let drift else { return next }
        let shift = drift(x, DriftStep(from: t, to: s, index: k, rows: firstRow..<(firstRow + x.rows)))
        precondition(shift.shape == x.shape, "the drift returned \(shift.shape) for a block of \(x.shape)")
        return try! Matrix(rows: x.rows, columns: x.columns, storage: ScalarKernels.combine(1, next.storage, 1, shift.storage))
    }

    /// Heun's method on dy/dσ = ε(√ᾱ y, t) with y = x/√ᾱ, σ = √((1 − ᾱ)/ᾱ) (DDIM §4.3; Karras et al.
    /// 2022, Alg. 1): an Euler predictor, then the trapezoid of ε at both ends.
    ///
    /// The model knows no level below 0, so a stage that would sit at level −1 (σ = 0) sits at
    /// level 0 instead, at node c = (σ_0 − σ_t)/h of the step, and the two weights are those that
    /// integrate linear functions exactly on the nodes (c₁, c₂): w₂ = (½ − c₁)/(c₂ − c₁), w₁ = 1 − w₂
    /// (the second-order Runge–Kutta family; c₁ = 0, c₂ = 1 is Heun). So the last step of a decode
    /// and the first of an encode stay second order. A step between levels 0 and −1 has both
    /// stages at level 0 and is an Euler step (error O(σ_0²), σ_0 = 0.01 for the linear schedule).
    static func heunStep<M: Denoiser>(
        _ model: M, _ x: Matrix<M.Scalar>, epsilon k1: Matrix<M.Scalar>, from t: Int, to s: Int
    ) -> Matrix<M.Scalar> {
        let schedule = model.schedule
        let rootT = schedule.alphaBar(t).squareRoot(), rootS = schedule.alphaBar(s).squareRoot()
        let sigmaT = schedule.sigma(t)
        let h = schedule.sigma(s) - sigmaT
        let first = modelTimestep(t), second = modelTimestep(s)
        guard first != second else {
            // Euler: x_s = √ᾱ_s (x_t/√ᾱ_t + h·k1).
            return StepCoefficients(x: rootS / rootT, epsilon: rootS * h, noise: 0).apply(x, epsilon: k1)
        }
        let c1 = (schedule.sigma(first) - sigmaT) / h, c2 = (schedule.sigma(second) - sigmaT) / h
        let w2 = (0.5 - c1) / (c2 - c1), w1 = 1 - w2
        // Predictor to the second stage's level: x' = √ᾱ_b (y_t + c₂ h k1).
        let rootB = schedule.alphaBar(second).squareRoot()
        let predicted = StepCoefficients(x: rootB / rootT, epsilon: rootB * c2 * h, noise: 0).apply(x, epsilon: k1)
        let k2 = model.epsilon(predicted, timestep: second)
        // x_s = √ᾱ_s (y_t + h (w₁ k1 + w₂ k2)).
        let storage = ScalarKernels.combine(rootS / rootT, x.storage, rootS * h * w1, k1.storage, rootS * h * w2, k2.storage)
        return try! Matrix(rows: x.rows, columns: x.columns, storage: storage)
    }

    // MARK: - Validation

    static func validate<M: Denoiser>(
        model: M, x: Matrix<M.Scalar>, path: [Int], method: SamplerMethod, drift: Drift<M.Scalar>?, options: SamplerOptions
    ) throws {
        guard x.columns == model.dimension else {
            if let image = model.imageShape {
                throw MongeError.shapeMismatch("the model works on \(image) images (rows of \(image.dimension) values), the input has \(x.columns) columns")
            }
            throw MongeError.shapeMismatch("the model works on points of dimension \(model.dimension), the input has \(x.columns) columns")
        }
        try x.checkFinite("sampler input")
        let descending = try Timesteps.validate(path: path, count: model.schedule.count)
        if case let .ddim(eta) = method {
            guard eta.isFinite, eta >= 0, eta <= 1 else {
                throw MongeError.invalidArgument(name: "eta", message: "DDIM's η must be in [0, 1], got \(eta)")
            }
        }
        if method.onlyDenoises && !descending {
            throw MongeError.invalidArgument(name: "timesteps", message: "\(method) only denoises: the path must descend, got \(path.prefix(4))…")
        }
        if drift != nil && !method.isStochastic {
            throw MongeError.invalidArgument(name: "drift", message: "a drift applies to DDPM, DDIM with η > 0 or ancestral Euler, not \(method)")
        }
        guard options.blockSize >= 1 else {
            throw MongeError.invalidArgument(name: "blockSize", message: "must be at least 1, got \(options.blockSize)")
        }
        if let bad = options.recordedRows.first(where: { $0 < 0 || $0 >= x.rows }) {
            throw MongeError.invalidArgument(name: "recorded rows", message: "row \(bad) is outside 0..<\(x.rows)")
        }
    }
}

/// An additive shift of a stochastic step's mean, evaluated at the current points x_t of a block.
public typealias Drift<Scalar: MatrixScalar> = @Sendable (_ x: Matrix<Scalar>, _ step: DriftStep) -> Matrix<Scalar>

/// Where a drift is evaluated: the step from level `from` to `to`, its index in the path, and the
/// global rows of the block (so a drift can look up per-row data such as EGSDE's source points).
public struct DriftStep: Equatable, Sendable {
    public let from: Int
    public let to: Int
    public let index: Int
    public let rows: Range<Int>
}

/// Options of a sampling run that do not change its result.
public struct SamplerOptions: Sendable {
    /// Rows per model call (blocks sit at fixed offsets, so the thread count never changes them).
    public var blockSize: Int
    /// Global row indices whose state is recorded at every level (for trajectory plots).
    public var recordedRows: [Int]
    /// Called after every block step, from worker threads (serialised); keep it cheap.
    public var progress: (@Sendable (SamplerProgress) -> Void)?

    public init(blockSize: Int = 1024, recordedRows: [Int] = [], progress: (@Sendable (SamplerProgress) -> Void)? = nil) {
        self.blockSize = blockSize
        self.recordedRows = recordedRows
        self.progress = progress
    }
}

/// Progress in row-steps: one row advanced by one step of the path.
public struct SamplerProgress: Equatable, Sendable {
    public let completed: Int
    public let total: Int
    public var fraction: Double { total == 0 ? 1 : Double(completed) / Double(total) }

    public init(completed: Int, total: Int) {
        self.completed = completed
        self.total = total
    }
}

/// The states of selected rows at every level of a path: `states[k]` is [rows.count, D] at `levels[k]`.
public struct Trajectory<Scalar: MatrixScalar>: Equatable, Sendable {
    public let levels: [Int]
    public let rows: [Int]
    public let states: [Matrix<Scalar>]

    public init(levels: [Int], rows: [Int], states: [Matrix<Scalar>]) {
        self.levels = levels
        self.rows = rows
        self.states = states
    }
}

/// A sampler's result: the end points, the optional trajectory, and the model evaluations per row.
public struct SamplerOutput<Scalar: MatrixScalar>: Sendable {
    public let x: Matrix<Scalar>
    public let trajectory: Trajectory<Scalar>?
    public let evaluations: Int
}

/// A thread-safe row-step counter that forwards to the progress callback.
final class ProgressTally: @unchecked Sendable {
    private let lock = NSLock()
    private var completed = 0
    let total: Int
    let callback: (@Sendable (SamplerProgress) -> Void)?

    init(total: Int, callback: (@Sendable (SamplerProgress) -> Void)?) {
        self.total = total
        self.callback = callback
    }

    func add(_ count: Int) {
        guard let callback else { return }
        lock.lock()
        defer { lock.unlock() }
        completed += count
        callback(SamplerProgress(completed: completed, total: total))
    }
}
