/// The shape of a time-dependent domain classifier, saved as JSON beside its weights.
///
/// The network is EGSDE's realism expert in 2-D (Zhao et al., NeurIPS 2022, §3.2): an MLP on
/// [y, temb(t)] with `depth` hidden layers of `width` and one logit, log p(B | y_t)/p(A | y_t).
/// Its last hidden layer is the feature map F(y, t) whose cosine similarity EGSDE's energy uses.
public struct ClassifierConfig: Codable, Equatable, Sendable {
    /// The data dimension D.
    public var dimension: Int
    public var width: Int
    /// Hidden layers (≥ 1); the last one is the feature map F.
    public var depth: Int
    /// Dimension of the sinusoidal time embedding (even).
    public var timeEmbedding: Int
    public var activation: Activation
    /// LeakyReLU's slope for negative inputs (ignored by the other activations).
    public var negativeSlope: Double

    public init(dimension: Int = 2, width: Int = 64, depth: Int = 3, timeEmbedding: Int = 32,
                activation: Activation = .silu, negativeSlope: Double = 0.01) {
        self.dimension = dimension
        self.width = width
        self.depth = depth
        self.timeEmbedding = timeEmbedding
        self.activation = activation
        self.negativeSlope = negativeSlope
    }

    /// Throws `MongeError.invalidArgument` naming the first field out of range.
    public func validate() throws {
        func fail(_ name: String, _ message: String) -> MongeError { .invalidArgument(name: name, message: message) }
        guard dimension >= 1 else { throw fail("dimension", "must be at least 1, got \(dimension)") }
        guard width >= 1 else { throw fail("width", "must be at least 1, got \(width)") }
        guard depth >= 1 else { throw fail("depth", "the classifier needs at least 1 hidden layer, got \(depth)") }
        guard timeEmbedding >= 2, timeEmbedding % 2 == 0 else {
            throw fail("time embedding", "must be an even number ≥ 2, got \(timeEmbedding)")
        }
        guard negativeSlope.isFinite, negativeSlope >= 0 else {
            throw fail("negative slope", "must be finite and ≥ 0, got \(negativeSlope)")
        }
    }
}

/// A time-dependent binary domain classifier with hand-written backprop:
/// h₀ = [y, temb(t)], h_l = act(h_{l−1}·W_l + b_l) for l = 1…L, logit = h_L·w + b, F(y, t) = h_L.
///
/// Backward gives the gradient of any loss that depends on the logits and the features, with
/// respect to the parameters (training by binary cross-entropy) or to the input y (EGSDE's
/// guidance ∇_y cos(F(y, t), F(x_t, t))). Rows are independent; every kernel is row-wise, so a
/// row's result does not depend on the other rows of the batch.
public struct DomainClassifier<S: NetworkScalar>: Sendable {
    public let config: ClassifierConfig
    /// The number of timesteps T the embedding table covers.
    public let timesteps: Int
    public let layout: ParameterLayout
    let hidden: [Linear]
    let output: Linear
    let embedding: TimeEmbedding<S>

    public init(config: ClassifierConfig, timesteps: Int) throws {
        try config.validate()
        guard timesteps >= 1 else {
            throw MongeError.invalidArgument(name: "T", message: "the classifier needs at least 1 timestep, got \(timesteps)")
        }
        self.config = config
        self.timesteps = timesteps
        var layout = ParameterLayout()
        var layers: [Linear] = []
        for l in 0..<config.depth {
            let inputs = l == 0 ? config.dimension + config.timeEmbedding : config.width
            layers.append(Linear("hidden.\(l)", inputs: inputs, outputs: config.width, layout: &layout))
        }
        hidden = layers
        output = Linear("output", inputs: config.width, outputs: 1, layout: &layout)
        self.layout = layout
        embedding = TimeEmbedding(dimension: config.timeEmbedding, timesteps: timesteps)
    }

    /// The number of parameters.
    public var parameterCount: Int { layout.count }

    /// Fresh parameters (PyTorch's default initialisation, drawn from `seed`).
    public func initialParameters(seed: UInt64) -> [S] { layout.initialValues(seed: seed) }
    /// Fresh parameters drawn from `stream` (its seed and stream both count), for a network that is
    /// one of several initialised from one seeded root.
    public func initialParameters(stream: RandomStream) -> [S] { layout.initialValues(stream: stream) }

    /// A forward pass: the logits, the features F = h_L, and what backward needs.
    public struct Pass: Sendable {
        public let rows: Int
        /// logit_i = log p(B | y_i, t_i) − log p(A | y_i, t_i).
        public let logits: [S]
        /// F(y, t) = h_L, [rows, width].
        public let features: Matrix<S>
        /// h₀ … h_L (row-major) and, for SiLU, σ of each hidden pre-activation.
        let activations: [[S]]
        let aux: [[S]]
    }

    /// Runs the network on the rows of `y` at per-row `timesteps` (one per row, or a single one for all).
    public func forward(_ y: Matrix<S>, timesteps t: [Int], parameters: [S]) -> Pass {
        let n = y.rows, d = config.dimension, e = config.timeEmbedding, w = config.width
        precondition(y.columns == d, "the classifier takes \(d) columns, got \(y.columns)")
        precondition(t.count == n || t.count == 1, "give one timestep per row or one for all")
        precondition(parameters.count == layout.count, "expected \(layout.count) parameters, got \(parameters.count)")
        let act = config.activation, slope = config.negativeSlope
        var h0 = [S](repeating: 0, count: n * (d + e))
        let steps = t.count == n ? t : [Int](repeating: t[0], count: n)
        h0.withUnsafeMutableBufferPointer { h in
            y.storage.withUnsafeBufferPointer { ys in
                for i in 0..<n { (h.baseAddress! + i * (d + e)).update(from: ys.baseAddress! + i * d, count: d) }
            }
            steps.withUnsafeBufferPointer { embedding.gather(rows: n, timesteps: $0.baseAddress!, into: h.baseAddress!, ld: d + e, column: d) }
        }
        var activations = [h0]
        var aux: [[S]] = []
        var logits = [S](repeating: 0, count: n)
        parameters.withUnsafeBufferPointer { p in
            for layer in hidden {
                var z = [S](repeating: 0, count: n * w)
                var sigma = [S](repeating: 0, count: act.needsAux ? n * w : 0)
                activations.last!.withUnsafeBufferPointer { x in
                    z.withUnsafeMutableBufferPointer { z in
                        layer.multiply(rows: n, x.baseAddress!, parameters: p.baseAddress!, into: z.baseAddress!)
                        sigma.withUnsafeMutableBufferPointer { s in
                            act.apply(rows: n, columns: w, z.baseAddress!, bias: p.baseAddress! + layer.bias, slope: slope,
                                      aux: act.needsAux ? s.baseAddress! : nil)
                        }
                    }
                }
                activations.append(z)
                aux.append(sigma)
            }
            activations.last!.withUnsafeBufferPointer { x in
                logits.withUnsafeMutableBufferPointer { out in
                    output.multiply(rows: n, x.baseAddress!, parameters: p.baseAddress!, into: out.baseAddress!)
                }
            }
            let b = p[output.bias]
            for i in 0..<n { logits[i] += b }
        }
        let features = try! Matrix(rows: n, columns: w, storage: activations.last!)
        return Pass(rows: n, logits: logits, features: features, activations: activations, aux: aux)
    }

    /// Accumulates into `gradient` (length `parameterCount`) the parameter gradient of a loss
    /// whose gradients with respect to the logits and (optionally) the features are given.
    public func accumulateParameterGradient(_ pass: Pass, logitGradient: [S], featureGradient: Matrix<S>? = nil,
                                            parameters: [S], into gradient: inout [S]) {
        precondition(gradient.count == layout.count, "the gradient has \(gradient.count) entries, expected \(layout.count)")
        _ = backward(pass, logitGradient: logitGradient, featureGradient: featureGradient, parameters: parameters,
                     gradient: &gradient, wantInput: false)
    }

    /// The gradient with respect to y ([rows, D]) of a loss whose gradients with respect to the
    /// logits (nil: the loss does not depend on them) and the features (nil: nor on these) are given.
    public func inputGradient(_ pass: Pass, logitGradient: [S]?, featureGradient: Matrix<S>?, parameters: [S]) -> Matrix<S> {
        var none: [S] = []
        let dLogit = logitGradient ?? [S](repeating: 0, count: pass.rows)
        return backward(pass, logitGradient: dLogit, featureGradient: featureGradient, parameters: parameters,
                        gradient: &none, wantInput: true)!
    }

    /// Reverse mode through the layers; parameter gradients when `gradient` is non-empty, the
    /// input gradient when `wantInput`.
    func backward(_ pass: Pass, logitGradient: [S], featureGradient: Matrix<S>?, parameters: [S],
                  gradient: inout [S], wantInput: Bool) -> Matrix<S>? {
        let n = pass.rows, d = config.dimension, w = config.width
        precondition(logitGradient.count == n, "one logit gradient per row")
        precondition(featureGradient == nil || featureGradient!.shape == [n, w], "feature gradient must be \(n)×\(w)")
        let act = config.activation, slope = config.negativeSlope
        let wantParameters = !gradient.isEmpty
        var inputGradient: [S]? = wantInput ? [S](repeating: 0, count: n * d) : nil
        parameters.withUnsafeBufferPointer { p in
            gradient.withUnsafeMutableBufferPointer { g in
                // dh_L = dlogit·wᵀ + dF.
                var dh = featureGradient?.storage ?? [S](repeating: 0, count: n * w)
                dh.withUnsafeMutableBufferPointer { dh in
                    logitGradient.withUnsafeBufferPointer { dl in
                        output.inputGradient(rows: n, outputGradient: dl.baseAddress!, parameters: p.baseAddress!,
                                             into: dh.baseAddress!, accumulate: true)
                        if wantParameters {
                            pass.activations.last!.withUnsafeBufferPointer { hL in
                                output.accumulateGradient(rows: n, input: hL.baseAddress!, outputGradient: dl.baseAddress!,
                                                          gradient: g.baseAddress!)
                            }
                        }
                    }
                }
                for l in stride(from: hidden.count - 1, through: 0, by: -1) {
                    let layer = hidden[l]
                    // dz = dh ⊙ act′(z).
                    dh.withUnsafeMutableBufferPointer { dz in
                        pass.activations[l + 1].withUnsafeBufferPointer { a in
                            pass.aux[l].withUnsafeBufferPointer { s in
                                act.backward(rows: n, columns: w, dz.baseAddress!, output: a.baseAddress!,
                                             aux: act.needsAux ? s.baseAddress! : nil, slope: slope)
                            }
                        }
                    }
                    if wantParameters {
                        dh.withUnsafeBufferPointer { dz in
                            pass.activations[l].withUnsafeBufferPointer { x in
                                layer.accumulateGradient(rows: n, input: x.baseAddress!, outputGradient: dz.baseAddress!,
                                                         gradient: g.baseAddress!)
                            }
                        }
                    }
                    if l > 0 {
                        var below = [S](repeating: 0, count: n * w)
                        dh.withUnsafeBufferPointer { dz in
                            below.withUnsafeMutableBufferPointer { b in
                                layer.inputGradient(rows: n, outputGradient: dz.baseAddress!, parameters: p.baseAddress!, into: b.baseAddress!)
                            }
                        }
                        dh = below
                    } else if wantInput {
                        // dy = dz·W_yᵀ with W_y the first D rows of W₁ (the time embedding is not differentiated).
                        dh.withUnsafeBufferPointer { dz in
                            inputGradient!.withUnsafeMutableBufferPointer { dy in
                                S.gemm(transposeA: false, transposeB: true, m: n, n: d, k: w, alpha: 1, a: dz.baseAddress!, lda: w,
                                       b: p.baseAddress! + layer.weight, ldb: w, beta: 0, c: dy.baseAddress!, ldc: d)
                            }
                        }
                    }
                }
            }
        }
        return inputGradient.map { try! Matrix(rows: n, columns: d, storage: $0) }
    }
}
