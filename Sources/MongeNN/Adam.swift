import Foundation

/// Adam (Kingma & Ba 2015) with PyTorch's update formula, decoupled weight decay (AdamW,
/// Loshchilov & Hutter 2019), linear learning-rate warm-up and global gradient-norm clipping.
public struct AdamConfig: Codable, Equatable, Sendable {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    /// AdamW's decoupled decay: p ← p·(1 − lr·weightDecay) before the Adam step (0 = Adam).
    public var weightDecay: Double
    /// Steps over which the learning rate ramps linearly from lr/warmup to lr (0 = none).
    public var warmupSteps: Int
    /// Largest global L2 norm of the gradient; larger gradients are scaled down to it (nil = off).
    public var clipNorm: Double?

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0, warmupSteps: Int = 0, clipNorm: Double? = nil) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.warmupSteps = warmupSteps
        self.clipNorm = clipNorm
    }

    /// Throws `MongeError.invalidArgument` naming the first field out of range.
    public func validate() throws {
        func fail(_ name: String, _ message: String) -> MongeError { .invalidArgument(name: name, message: message) }
        guard learningRate.isFinite, learningRate > 0 else { throw fail("lr", "must be positive, got \(learningRate)") }
        guard beta1 >= 0, beta1 < 1 else { throw fail("beta1", "must be in [0, 1), got \(beta1)") }
        guard beta2 >= 0, beta2 < 1 else { throw fail("beta2", "must be in [0, 1), got \(beta2)") }
        guard epsilon.isFinite, epsilon > 0 else { throw fail("adam epsilon", "must be positive, got \(epsilon)") }
        guard weightDecay.isFinite, weightDecay >= 0 else { throw fail("weight decay", "must be ≥ 0, got \(weightDecay)") }
        guard warmupSteps >= 0 else { throw fail("warmup", "must be ≥ 0 steps, got \(warmupSteps)") }
        if let clipNorm { guard clipNorm.isFinite, clipNorm > 0 else { throw fail("clip", "must be positive, got \(clipNorm)") } }
    }

    /// The learning rate of step `step` (0-based): lr·min(1, (step + 1)/warmup).
    public func learningRate(atStep step: Int) -> Double {
        guard warmupSteps > 0 else { return learningRate }
        return learningRate * min(1, Double(step + 1) / Double(warmupSteps))
    }
}

/// Adam's moments and step count for one flat parameter array.
public struct AdamState<S: NetworkScalar>: Sendable, Equatable {
    /// First moments m.
    public var m: [S]
    /// Second moments v.
    public var v: [S]
    /// Steps taken (t in Adam's bias corrections 1 − β^t).
    public var step: Int

    public init(count: Int) {
        m = [S](repeating: 0, count: count)
        v = [S](repeating: 0, count: count)
        step = 0
    }

    public init(m: [S], v: [S], step: Int) {
        precondition(m.count == v.count, "Adam moments of different sizes")
        self.m = m
        self.v = v
        self.step = step
    }

    /// One update of `parameters` from `gradient`; returns the gradient's L2 norm before clipping.
    @discardableResult
    public mutating func update(_ parameters: inout [S], gradient: [S], config: AdamConfig) -> Double {
        precondition(parameters.count == m.count && gradient.count == m.count, "Adam: size mismatch")
        let count = parameters.count
        let norm = gradient.withUnsafeBufferPointer { g in
            (0..<AdamState.blockCount(count)).reduce(0.0) { $0 + AdamState.blockSumOfSquares(g.baseAddress!, count: count, block: $1) }
        }.squareRoot()
        let coefficients = begin(config: config, gradientNorm: norm)
        parameters.withUnsafeMutableBufferPointer { p in
            gradient.withUnsafeBufferPointer { g in
                apply(coefficients, to: p.baseAddress!, gradient: g.baseAddress!, range: 0..<count)
            }
        }
        return norm
    }

    /// The scalars of one Adam step: learning rate, bias corrections and the clipping scale.
    public struct Coefficients: Sendable {
        public let learningRate: Double
        let stepSize: Double
        let bc2sqrt: Double
        let gradientScale: Double
        let config: AdamConfig
    }

    /// The scalars of step `step + 1` for a gradient of L2 norm `gradientNorm` (clipped as
    /// `torch.nn.utils.clip_grad_norm_`: scale max_norm/(norm + 1e-6) when the norm exceeds it).
    public func coefficients(config: AdamConfig, gradientNorm norm: Double) -> Coefficients {
        var scale = 1.0
        if let clip = config.clipNorm, norm > clip { scale = clip / (norm + 1e-6) }
        let lr = config.learningRate(atStep: step)
        let t = Double(step + 1)
        return Coefficients(learningRate: lr, stepSize: lr / (1 - pow(config.beta1, t)),
                            bc2sqrt: (1 - pow(config.beta2, t)).squareRoot(), gradientScale: scale, config: config)
    }

    /// `coefficients`, then counts the step.
    public mutating func begin(config: AdamConfig, gradientNorm norm: Double) -> Coefficients {
        defer { step += 1 }
        return coefficients(config: config, gradientNorm: norm)
    }

    /// Applies a step to the parameters in `range` (elementwise: any split of the range gives the
    /// same result, so ranges may run on different threads).
    public mutating func apply(_ c: Coefficients, to p: UnsafeMutablePointer<S>, gradient g: UnsafePointer<S>, range: Range<Int>) {
        m.withUnsafeMutableBufferPointer { m in
            v.withUnsafeMutableBufferPointer { v in
                Self.apply(c, to: p, gradient: g, m: m.baseAddress!, v: v.baseAddress!, range: range)
            }
        }
    }

    /// `apply` on raw moment buffers (for callers that split the work over threads).
    public static func apply(_ c: Coefficients, to p: UnsafeMutablePointer<S>, gradient g: UnsafePointer<S>,
                             m: UnsafeMutablePointer<S>, v: UnsafeMutablePointer<S>, range: Range<Int>) {
        let o = range.lowerBound
        S.adam(count: range.count, p + o, gradient: g + o, m: m + o, v: v + o, lr: S(c.learningRate), beta1: S(c.config.beta1),
               beta2: S(c.config.beta2), epsilon: S(c.config.epsilon), step: S(c.stepSize), bc2sqrt: S(c.bc2sqrt),
               weightDecay: S(c.config.weightDecay), gradientScale: S(c.gradientScale))
    }

    /// Parameters per block of the gradient-norm sum: the norm is Σ over blocks in order of each
    /// block's sum of squares, whatever the number of threads that computed the blocks.
    public static var blockSize: Int { 32_768 }

    public static func blockCount(_ count: Int) -> Int { (count + blockSize - 1) / blockSize }

    /// Σ g² over block `block` of `count` values, accumulated in Double.
    public static func blockSumOfSquares(_ g: UnsafePointer<S>, count: Int, block: Int) -> Double {
        let start = block * blockSize
        return S.sumOfSquares(count: min(blockSize, count - start), g + start)
    }
}

/// The exponential moving average of the weights used for sampling (DDPM/DDIB: decay 0.9999).
///
/// With `warmup`, step k uses decay min(decay, (1 + k)/(10 + k)) (the TensorFlow
/// ExponentialMovingAverage `num_updates` rule): early averages forget the random init quickly,
/// which matters for short runs where 0.9999 would still be mostly the initial weights.
public struct EMAConfig: Codable, Equatable, Sendable {
    public var decay: Double
    public var warmup: Bool

    public init(decay: Double = 0.9999, warmup: Bool = true) {
        self.decay = decay
        self.warmup = warmup
    }

    public func validate() throws {
        guard decay.isFinite, decay >= 0, decay < 1 else {
            throw MongeError.invalidArgument(name: "ema", message: "decay must be in [0, 1), got \(decay)")
        }
    }

    /// The decay applied after optimiser step `step` (0-based).
    public func decay(atStep step: Int) -> Double {
        warmup ? min(decay, Double(1 + step) / Double(10 + step)) : decay
    }

    /// average ← d·average + (1 − d)·parameters with d = decay(atStep: step).
    public func update<S: NetworkScalar>(_ average: inout [S], toward parameters: [S], step: Int) {
        precondition(average.count == parameters.count, "EMA: size mismatch")
        average.withUnsafeMutableBufferPointer { a in
            parameters.withUnsafeBufferPointer { p in update(a.baseAddress!, toward: p.baseAddress!, range: 0..<a.count, step: step) }
        }
    }

    /// The update on `range` of raw buffers (elementwise: any split gives the same result).
    public func update<S: NetworkScalar>(_ average: UnsafeMutablePointer<S>, toward p: UnsafePointer<S>, range: Range<Int>, step: Int) {
        S.ema(count: range.count, average + range.lowerBound, p + range.lowerBound, decay: S(decay(atStep: step)))
    }
}
