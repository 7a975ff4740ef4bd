/// The shape of a GAN generator: an MLP from a latent code z to a data point x.
///
/// The Diffusion-GAN toy (Wang et al., ICLR 2023, 25-Gaussians) uses two hidden layers of 128
/// with LeakyReLU; the slope 0.2 is the usual GAN choice (the paper does not state it).
public struct GeneratorConfig: Codable, Equatable, Sendable {
    /// The latent dimension of z ~ N(0, I).
    public var latent: Int
    /// The data dimension D.
    public var dimension: Int
    public var width: Int
    /// Hidden layers (≥ 1).
    public var depth: Int
    public var activation: Activation
    /// LeakyReLU's slope for negative inputs (ignored by the other activations).
    public var negativeSlope: Double

    public init(latent: Int = 2, dimension: Int = 2, width: Int = 128, depth: Int = 2,
                activation: Activation = .leakyReLU, negativeSlope: Double = 0.2) {
        self.latent = latent
        self.dimension = dimension
        self.width = width
        self.depth = depth
        self.activation = activation
        self.negativeSlope = negativeSlope
    }

    /// Throws `MongeError.invalidArgument` naming the first field out of range.
    public func validate() throws {
        func fail(_ name: String, _ message: String) -> MongeError { .invalidArgument(name: name, message: message) }
        guard latent >= 1 else { throw fail("latent", "must be at least 1, got \(latent)") }
        guard dimension >= 1 else { throw fail("dimension", "must be at least 1, got \(dimension)") }
        guard width >= 1 else { throw fail("width", "must be at least 1, got \(width)") }
        guard depth >= 1 else { throw fail("depth", "the generator needs at least 1 hidden layer, got \(depth)") }
        guard negativeSlope.isFinite, negativeSlope >= 0 else {
            throw fail("negative slope", "must be finite and ≥ 0, got \(negativeSlope)")
        }
    }
}

/// A GAN generator with hand-written backprop: h₀ = z, h_l = act(h_{l−1}·W_l + b_l) for
/// l = 1…L, x = h_L·W_out + b_out (linear output).
///
/// Backward takes ∂L/∂x — in a GAN, the discriminator's input gradient — and accumulates the
/// parameter gradient. Every kernel is row-wise, so a row's output does not depend on the batch.
public struct Generator<S: NetworkScalar>: Sendable {
    public let config: GeneratorConfig
    public let layout: ParameterLayout
    let hidden: [Linear]
    let output: Linear

    public init(config: GeneratorConfig) throws {
        try config.validate()
        self.config = config
        var layout = ParameterLayout()
        var layers: [Linear] = []
        for l in 0..<config.depth {
            let inputs = l == 0 ? config.latent : config.width
            layers.append(Linear("hidden.\(l)", inputs: inputs, outputs: config.width, layout: &layout))
        }
        hidden = layers
        output = Linear("output", inputs: config.width, outputs: config.dimension, layout: &layout)
        self.layout = layout
    }

    /// The number of parameters.
    public var parameterCount: Int { layout.count }

    /// Fresh parameters (PyTorch's default initialisation, drawn from `seed`).
    public func initialParameters(seed: UInt64) -> [S] { layout.initialValues(seed: seed) }
    /// Fresh parameters drawn from `stream` (its seed and stream both count), for a network that is
    /// one of several initialised from one seeded root.
    public func initialParameters(stream: RandomStream) -> [S] { layout.initialValues(stream: stream) }

    /// A forward pass: the generated points and what backward needs.
    public struct Pass: Sendable {
        public let rows: Int
        /// x = G(z), [rows, D].
        public let output: Matrix<S>
        /// h₀ = z … h_L (row-major) and, for SiLU, σ of each hidden pre-activation.
        let activations: [[S]]
        let aux: [[S]]
    }

    /// G(z) for the rows of `z` ([rows, latent]).
    public func forward(_ z: Matrix<S>, parameters: [S]) -> Pass {
        let n = z.rows, w = config.width, d = config.dimension
        precondition(z.columns == config.latent, "the generator takes \(config.latent) latent columns, got \(z.columns)")
        precondition(parameters.count == layout.count, "expected \(layout.count) parameters, got \(parameters.count)")
        let act = config.activation, slope = config.negativeSlope
        var activations = [z.storage]
        var aux: [[S]] = []
        var x = [S](repeating: 0, count: n * d)
        parameters.withUnsafeBufferPointer { p in
            for layer in hidden {
                var h = [S](repeating: 0, count: n * w)
                var sigma = [S](repeating: 0, count: act.needsAux ? n * w : 0)
                activations.last!.withUnsafeBufferPointer { below in
                    h.withUnsafeMutableBufferPointer { h in
                        layer.multiply(rows: n, below.baseAddress!, parameters: p.baseAddress!, into: h.baseAddress!)
                        sigma.withUnsafeMutableBufferPointer { s in
                            act.apply(rows: n, columns: w, h.baseAddress!, bias: p.baseAddress! + layer.bias, slope: slope,
                                      aux: act.needsAux ? s.baseAddress! : nil)
                        }
                    }
                }
                activations.append(h)
                aux.append(sigma)
            }
            activations.last!.withUnsafeBufferPointer { hL in
                x.withUnsafeMutableBufferPointer { x in
                    output.multiply(rows: n, hL.baseAddress!, parameters: p.baseAddress!, into: x.baseAddress!)
                }
            }
            for i in 0..<n { for j in 0..<d { x[i * d + j] += p[output.bias + j] } }
        }
        return Pass(rows: n, output: try! Matrix(rows: n, columns: d, storage: x), activations: activations, aux: aux)
    }

    /// Accumulates into `gradient` (length `parameterCount`) the parameter gradient of a loss
    /// whose gradient with respect to the generated points x is `outputGradient` ([rows, D]).
    public func accumulateParameterGradient(_ pass: Pass, outputGradient: Matrix<S>, parameters: [S], into gradient: inout [S]) {
        let n = pass.rows, w = config.width
        precondition(outputGradient.shape == [n, config.dimension], "the output gradient must be \(n)×\(config.dimension)")
        precondition(gradient.count == layout.count, "the gradient has \(gradient.count) entries, expected \(layout.count)")
        let act = config.activation, slope = config.negativeSlope
        parameters.withUnsafeBufferPointer { p in
            gradient.withUnsafeMutableBufferPointer { g in
                // dh_L = dx·W_outᵀ; dW_out += h_Lᵀ·dx.
                var dh = [S](repeating: 0, count: n * w)
                outputGradient.storage.withUnsafeBufferPointer { dx in
                    pass.activations.last!.withUnsafeBufferPointer { hL in
                        output.accumulateGradient(rows: n, input: hL.baseAddress!, outputGradient: dx.baseAddress!, gradient: g.baseAddress!)
                    }
                    dh.withUnsafeMutableBufferPointer { dh in
                        output.inputGradient(rows: n, outputGradient: dx.baseAddress!, parameters: p.baseAddress!, into: dh.baseAddress!)
                    }
                }
                for l in stride(from: hidden.count - 1, through: 0, by: -1) {
                    let layer = hidden[l]
                    dh.withUnsafeMutableBufferPointer { dz in
                        pass.activations[l + 1].withUnsafeBufferPointer { a in
                            pass.aux[l].withUnsafeBufferPointer { s in
                                act.backward(rows: n, columns: w, dz.baseAddress!, output: a.baseAddress!,
                                             aux: act.needsAux ? s.baseAddress! : nil, slope: slope)
                            }
                        }
                    }
                    dh.withUnsafeBufferPointer { dz in
                        pass.activations[l].withUnsafeBufferPointer { x in
                            layer.accumulateGradient(rows: n, input: x.baseAddress!, outputGradient: dz.baseAddress!, gradient: g.baseAddress!)
                        }
                    }
                    guard l > 0 else { break }
                    var below = [S](repeating: 0, count: n * w)
                    dh.withUnsafeBufferPointer { dz in
                        below.withUnsafeMutableBufferPointer { b in
                            layer.inputGradient(rows: n, outputGradient: dz.baseAddress!, parameters: p.baseAddress!, into: b.baseAddress!)
                        }
                    }
                    dh = below
                }
            }
        }
    }
}
