/// The shape of MUNIT's decoder in 2-D: an MLP from a content code whose hidden layers are
/// normalised and modulated by the style code.
public struct StyleDecoderConfig: Codable, Equatable, Sendable {
    public var content: Int
    public var style: Int
    /// The data dimension D.
    public var outputs: Int
    public var width: Int
    /// Modulated hidden layers (≥ 1).
    public var depth: Int
    /// The style MLP s ↦ (γ, β) of every modulated layer (MUNIT's "MLP" of the AdaIN parameters).
    public var styleWidth: Int
    public var styleDepth: Int
    public var activation: Activation
    public var negativeSlope: Double

    public init(content: Int = 2, style: Int = 2, outputs: Int = 2, width: Int = 64, depth: Int = 3,
                styleWidth: Int = 64, styleDepth: Int = 2, activation: Activation = .relu, negativeSlope: Double = 0.2) {
        self.content = content
        self.style = style
        self.outputs = outputs
        self.width = width
        self.depth = depth
        self.styleWidth = styleWidth
        self.styleDepth = styleDepth
        self.activation = activation
        self.negativeSlope = negativeSlope
    }

    /// The style MLP: s → 2·depth·width modulation values per row.
    var styleNetwork: PerceptronConfig {
        PerceptronConfig(inputs: style, outputs: 2 * depth * width, width: styleWidth, depth: styleDepth,
                         activation: activation, negativeSlope: negativeSlope)
    }

    public func validate(_ name: String) throws {
        func fail(_ field: String, _ message: String) -> MongeError { .invalidArgument(name: "\(name) \(field)", message: message) }
        guard content >= 1 else { throw fail("content", "must be at least 1, got \(content)") }
        guard outputs >= 1 else { throw fail("outputs", "must be at least 1, got \(outputs)") }
        guard width >= 2 else { throw fail("width", "must be at least 2 (the layer is normalised over its features), got \(width)") }
        guard depth >= 1 else { throw fail("depth", "needs at least 1 modulated layer, got \(depth)") }
        try styleNetwork.validate("\(name) style MLP")
    }
}

/// MUNIT's decoder for points: h₀ = c, z_l = h_{l−1}·W_l + b_l,
/// h_l = act(γ_l(s) ⊙ norm(z_l) + β_l(s)) for l = 1…L, y = h_L·W + b, where
/// [γ_l − 1, β_l]_{l=1…L} = MLP(s) (`AdaptiveLayerNorm`).
///
/// γ is parametrised as 1 + MLP output (the FiLM convention) so that an untrained style MLP leaves
/// the normalised features as they are; MUNIT's code uses the MLP output as γ directly.
public struct StyleDecoder: Sendable, Equatable {
    public let config: StyleDecoderConfig
    let layers: [Linear]
    let output: Linear
    let styleNetwork: Perceptron
    let norm: AdaptiveLayerNorm

    public init(_ name: String, config: StyleDecoderConfig, layout: inout ParameterLayout) throws {
        try config.validate(name)
        self.config = config
        layers = (0..<config.depth).map { l in
            Linear("\(name).layer.\(l)", inputs: l == 0 ? config.content : config.width, outputs: config.width, layout: &layout)
        }
        output = Linear("\(name).output", inputs: config.width, outputs: config.outputs, layout: &layout)
        styleNetwork = try Perceptron("\(name).style", config: config.styleNetwork, layout: &layout)
        norm = AdaptiveLayerNorm(features: config.width)
    }

    public struct Pass<S: NetworkScalar>: Sendable {
        public let output: Matrix<S>
        let style: Perceptron.Pass<S>
        /// γ_l for every layer, [rows, L·width] (1 + the style MLP's γ columns).
        let gammas: [[S]]
        /// h₀ = c … h_L.
        let activations: [[S]]
        let caches: [AdaptiveLayerNorm.Cache<S>]
        let aux: [[S]]
        public var rows: Int { output.rows }
    }

    /// y for content codes `c` ([rows, content]) and style codes `s` ([rows, style]).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func forward<S: NetworkScalar>(content c: Matrix<S>, style s: Matrix<S>, parameters p: UnsafePointer<S>) -> Pass<S> {
        precondition(c.columns == config.content && s.columns == config.style && c.rows == s.rows,
                     "the decoder takes \(config.content) content and \(config.style) style columns, one style per row")
        let n = c.rows, w = config.width, m = 2 * w * config.depth
        let act = config.activation, slope = config.negativeSlope
        let style = styleNetwork.forward(s, parameters: p)
        var gammas: [[S]] = []
        var activations = [c.storage]
        var caches: [AdaptiveLayerNorm.Cache<S>] = []
        var aux: [[S]] = []
        style.output.storage.withUnsafeBufferPointer { mod in
            for (l, layer) in layers.enumerated() {
                var gamma = [S](repeating: 0, count: n * w)
                for i in 0..<n { for j in 0..<w { gamma[i * w + j] = 1 + mod[i * m + 2 * l * w + j] } }
                var z = [S](repeating: 0, count: n * w)
                var h = [S](repeating: 0, count: n * w)
                var sigma = [S](repeating: 0, count: act.needsAux ? n * w : 0)
                activations.last!.withUnsafeBufferPointer { below in
                    z.withUnsafeMutableBufferPointer { z in
                        layer.multiply(rows: n, below.baseAddress!, parameters: p, into: z.baseAddress!)
                        addBias(rows: n, columns: w, z.baseAddress!, bias: p + layer.bias)
                    }
                }
                let cache = gamma.withUnsafeBufferPointer { g in
                    h.withUnsafeMutableBufferPointer { h in
                        norm.forward(rows: n, z, gamma: g.baseAddress!, ldGamma: w, beta: mod.baseAddress! + (2 * l + 1) * w, ldBeta: m,
                                     into: h.baseAddress!)
                    }
                }
                h.withUnsafeMutableBufferPointer { h in
                    sigma.withUnsafeMutableBufferPointer { sg in
                        act.apply(rows: n, columns: w, h.baseAddress!, bias: nil, slope: slope, aux: act.needsAux ? sg.baseAddress! : nil)
                    }
                }
                gammas.append(gamma)
                activations.append(h)
                caches.append(cache)
                aux.append(sigma)
            }
        }
        var y = zeroMatrix(n, config.outputs, as: S.self)
        activations.last!.withUnsafeBufferPointer { hL in
            y.storage.withUnsafeMutableBufferPointer { y in
                output.multiply(rows: n, hL.baseAddress!, parameters: p, into: y.baseAddress!)
                addBias(rows: n, columns: config.outputs, y.baseAddress!, bias: p + output.bias)
            }
        }
        return Pass(output: y, style: style, gammas: gammas, activations: activations, caches: caches, aux: aux)
    }

    /// Backward from ∂L/∂y: accumulates the parameter gradient (when `gradient` is given) and
    /// returns ∂L/∂c and ∂L/∂s.
    @discardableResult
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func backward<S: NetworkScalar>(_ pass: Pass<S>, outputGradient: Matrix<S>, parameters p: UnsafePointer<S>,
                                           gradient g: UnsafeMutablePointer<S>?) -> (content: Matrix<S>, style: Matrix<S>) {
        let n = pass.rows, w = config.width, m = 2 * w * config.depth
        let act = config.activation, slope = config.negativeSlope
        precondition(outputGradient.shape == [n, config.outputs], "the output gradient must be \(n)×\(config.outputs)")
        var dMod = zeroMatrix(n, m, as: S.self)
        var dh = [S](repeating: 0, count: n * w)
        outputGradient.storage.withUnsafeBufferPointer { dy in
            if let g {
                pass.activations.last!.withUnsafeBufferPointer { hL in
                    output.accumulateGradient(rows: n, input: hL.baseAddress!, outputGradient: dy.baseAddress!, gradient: g)
                }
            }
            dh.withUnsafeMutableBufferPointer { output.inputGradient(rows: n, outputGradient: dy.baseAddress!, parameters: p, into: $0.baseAddress!) }
        }
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[l]
            // Through the activation, then the modulated normalisation.
            dh.withUnsafeMutableBufferPointer { du in
                pass.activations[l + 1].withUnsafeBufferPointer { a in
                    pass.aux[l].withUnsafeBufferPointer { s in
                        act.backward(rows: n, columns: w, du.baseAddress!, output: a.baseAddress!, aux: act.needsAux ? s.baseAddress! : nil, slope: slope)
                    }
                }
            }
            var dz = [S](repeating: 0, count: n * w)
            dh.withUnsafeBufferPointer { du in
                pass.gammas[l].withUnsafeBufferPointer { gamma in
                    dz.withUnsafeMutableBufferPointer { dz in
                        dMod.storage.withUnsafeMutableBufferPointer { dm in
                            norm.backward(rows: n, du.baseAddress!, cache: pass.caches[l], gamma: gamma.baseAddress!, ldGamma: w,
                                          dx: dz.baseAddress!, dGamma: dm.baseAddress! + 2 * l * w, dBeta: dm.baseAddress! + (2 * l + 1) * w,
                                          ldModulation: m)
                        }
                    }
                }
            }
            if let g {
                dz.withUnsafeBufferPointer { dz in
                    pass.activations[l].withUnsafeBufferPointer { x in
                        layer.accumulateGradient(rows: n, input: x.baseAddress!, outputGradient: dz.baseAddress!, gradient: g)
                    }
                }
            }
            var below = [S](repeating: 0, count: n * layer.inputs)
            dz.withUnsafeBufferPointer { dz in
                below.withUnsafeMutableBufferPointer { layer.inputGradient(rows: n, outputGradient: dz.baseAddress!, parameters: p, into: $0.baseAddress!) }
            }
            dh = below
        }
        let ds = styleNetwork.backward(pass.style, outputGradient: dMod, parameters: p, gradient: g)
        return (try! Matrix(rows: n, columns: config.content, storage: dh), ds)
    }
}
