/// One of MUNIT's two domains.
public enum MUNITDomain: Int, Codable, Sendable, CaseIterable {
    case a = 0
    case b = 1

    public var other: MUNITDomain { self == .a ? .b : .a }
    public var name: String { self == .a ? "a" : "b" }
}

/// MUNIT's networks for points with hand-written backprop, and its two losses with their gradients.
///
/// The generator parameters (both domains' encoders and decoders) are one flat array
/// (`generatorLayout`, tensors named `a.content.…`, `b.decoder.…`); the two discriminators are
/// another (`discriminatorLayout`), so each side has one Adam state. Every network is row-wise:
/// a row's output does not depend on the other rows of its batch.
public struct MUNIT<S: NetworkScalar>: Sendable {
    public let config: MUNITConfig
    public let generatorLayout: ParameterLayout
    public let discriminatorLayout: ParameterLayout
    let contentEncoders: [Perceptron]
    let styleEncoders: [Perceptron]
    let decoders: [StyleDecoder]
    let discriminators: [Perceptron]

    public init(config: MUNITConfig) throws {
        try config.validate()
        self.config = config
        var g = ParameterLayout(), d = ParameterLayout()
        var content: [Perceptron] = [], style: [Perceptron] = [], decoder: [StyleDecoder] = [], disc: [Perceptron] = []
        for domain in MUNITDomain.allCases {
            content.append(try Perceptron("\(domain.name).content", config: config.contentEncoder, layout: &g))
            style.append(try Perceptron("\(domain.name).style", config: config.styleEncoder, layout: &g))
            decoder.append(try StyleDecoder("\(domain.name).decoder", config: config.decoder, layout: &g))
            disc.append(try Perceptron(domain.name, config: config.discriminator, layout: &d))
        }
        contentEncoders = content
        styleEncoders = style
        decoders = decoder
        discriminators = disc
        generatorLayout = g
        discriminatorLayout = d
    }

    /// Fresh generator and discriminator parameters (PyTorch's default initialisation) from `seed`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func initialParameters(seed: UInt64) -> (generator: [S], discriminator: [S]) {
        let root = RandomStream(seed: seed, stream: StreamTag.munitInitialisation)
        return (generatorLayout.initialValues(stream: root.substream(1)),
                discriminatorLayout.initialValues(stream: root.substream(2)))
    }

    // MARK: Inference

    /// A content-encoder pass: the unit code c and what backward needs.
    struct ContentPass: Sendable {
        let network: Perceptron.Pass<S>
        let code: Matrix<S>
        let norms: [S]
    }

    func contentPass(_ domain: MUNITDomain, _ x: Matrix<S>, _ p: UnsafePointer<S>) -> ContentPass {
        let network = contentEncoders[domain.rawValue].forward(x, parameters: p)
        let (code, norms) = UnitNormalization.forward(network.output)
        return ContentPass(network: network, code: code, norms: norms)
    }

    /// ∂L/∂x from ∂L/∂c, accumulating the content encoder's parameter gradient.
    func contentBackward(_ domain: MUNITDomain, _ pass: ContentPass, _ dc: Matrix<S>, _ p: UnsafePointer<S>, _ g: UnsafeMutablePointer<S>) -> Matrix<S> {
        let du = UnitNormalization.backward(output: pass.code, norms: pass.norms, outputGradient: dc)
        return contentEncoders[domain.rawValue].backward(pass.network, outputGradient: du, parameters: p, gradient: g)
    }

    func checkPoints(_ x: Matrix<S>) {
        precondition(x.columns == config.dimension, "MUNIT takes \(config.dimension)-D points, got \(x.columns) columns")
    }

    /// The content codes of points of `domain` ([rows, content], unit rows).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func content(_ domain: MUNITDomain, _ x: Matrix<S>, generator: [S]) -> Matrix<S> {
        checkPoints(x)
        return generator.withUnsafeBufferPointer { contentPass(domain, x, $0.baseAddress!).code }
    }

    /// The style codes of points of `domain` ([rows, style]).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func style(_ domain: MUNITDomain, _ x: Matrix<S>, generator: [S]) -> Matrix<S> {
        checkPoints(x)
        return generator.withUnsafeBufferPointer { styleEncoders[domain.rawValue].forward(x, parameters: $0.baseAddress!).output }
    }

    /// Points of `domain` decoded from content and style codes.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func decode(_ domain: MUNITDomain, content c: Matrix<S>, style s: Matrix<S>, generator: [S]) -> Matrix<S> {
        generator.withUnsafeBufferPointer { decoders[domain.rawValue].forward(content: c, style: s, parameters: $0.baseAddress!).output }
    }

    /// MUNIT's translation of points of `domain` into the other domain with the given styles:
    /// decode_other(content(x), s).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func translate(from domain: MUNITDomain, _ x: Matrix<S>, style s: Matrix<S>, generator: [S]) -> Matrix<S> {
        decode(domain.other, content: content(domain, x, generator: generator), style: s, generator: generator)
    }

    /// Within-domain reconstruction decode(content(x), style(x)).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func reconstruct(_ domain: MUNITDomain, _ x: Matrix<S>, generator: [S]) -> Matrix<S> {
        decode(domain, content: content(domain, x, generator: generator), style: style(domain, x, generator: generator), generator: generator)
    }

    /// The discriminator's outputs for points of `domain` ([rows]).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func discriminate(_ domain: MUNITDomain, _ x: Matrix<S>, discriminator: [S]) -> [S] {
        checkPoints(x)
        return discriminator.withUnsafeBufferPointer { discriminators[domain.rawValue].forward(x, parameters: $0.baseAddress!).output.storage }
    }
}

/// The terms of MUNIT's generator loss, per domain (index 0 = A, 1 = B), before weighting.
///
/// adversarial[A] = mean (D_A(x_ba) − 1)², image[A] = mean |dec_A(c_a, s_a′) − x_a|,
/// content[A] = mean |enc_c^B(x_ab) − c_a|, style[A] = mean |enc_s^A(x_ba) − s_a|,
/// cycle[A] = mean |dec_A(enc_c^B(x_ab), s_a′) − x_a| (MUNIT's names; s_a ~ N(0, I), s_a′ = enc_s^A(x_a)).
public struct MUNITGeneratorLoss: Codable, Equatable, Sendable {
    public var adversarial: [Double]
    public var image: [Double]
    public var content: [Double]
    public var style: [Double]
    public var cycle: [Double]
    /// The weighted sum that is minimised.
    public var total: Double
}

extension MUNIT {
    /// Mean absolute error and its gradient weight·sign(prediction − target)/count.
    static func l1(_ prediction: Matrix<S>, _ target: Matrix<S>, weight: Double) -> (loss: Double, gradient: Matrix<S>) {
        var gradient = prediction
        var sum = 0.0
        let scale = S(weight / Double(max(prediction.count, 1)))
        for k in 0..<prediction.count {
            let d = prediction.storage[k] - target.storage[k]
            sum += abs(Double(d))
            gradient.storage[k] = d > 0 ? scale : (d < 0 ? -scale : 0)
        }
        return (sum / Double(max(prediction.count, 1)), gradient)
    }

    /// Mean (y − label)² over the rows of a one-column output and its gradient weight·2(y − label)/rows.
    static func leastSquares(_ y: Matrix<S>, label: Double, weight: Double) -> (loss: Double, gradient: Matrix<S>) {
        var gradient = y
        var sum = 0.0
        let n = Double(max(y.count, 1))
        for k in 0..<y.count {
            let d = Double(y.storage[k]) - label
            sum += d * d
            gradient.storage[k] = S(weight * 2 * d / n)
        }
        return (sum / n, gradient)
    }

    /// MUNIT's generator loss on real batches `a`, `b` with prior styles `styleA`, `styleB` (one row
    /// per point; s_a decodes into A), and its gradient with respect to the generator parameters,
    /// accumulated into `gradient`. The discriminators are fixed (their gradient is not formed).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func generatorLoss(a xa: Matrix<S>, b xb: Matrix<S>, styleA sa: Matrix<S>, styleB sb: Matrix<S>,
                              generator: [S], discriminator: [S], gradient: inout [S]) -> MUNITGeneratorLoss {
        checkPoints(xa)
        checkPoints(xb)
        precondition(sa.shape == [xb.rows, config.style] && sb.shape == [xa.rows, config.style],
                     "one prior style per translated point: s_a for each row of b, s_b for each row of a")
        precondition(gradient.count == generatorLayout.count, "the gradient has \(gradient.count) entries, expected \(generatorLayout.count)")
        let w = config.weights
        let withCycle = w.cycle > 0
        return generator.withUnsafeBufferPointer { gp in
            discriminator.withUnsafeBufferPointer { dp in
                gradient.withUnsafeMutableBufferPointer { gg in
                    let p = gp.baseAddress!, d = dp.baseAddress!, g = gg.baseAddress!
                    let x = [xa, xb], prior = [sa, sb]
                    // Encode the real points.
                    let contentReal = MUNITDomain.allCases.map { contentPass($0, x[$0.rawValue], p) }
                    let styleReal = MUNITDomain.allCases.map { styleEncoders[$0.rawValue].forward(x[$0.rawValue], parameters: p) }
                    // Within-domain reconstruction.
                    let recon = MUNITDomain.allCases.map {
                        decoders[$0.rawValue].forward(content: contentReal[$0.rawValue].code, style: styleReal[$0.rawValue].output, parameters: p)
                    }
                    // Translations into each domain: fake[A] = x_ba = dec_A(c_b, s_a).
                    let fake = MUNITDomain.allCases.map {
                        decoders[$0.rawValue].forward(content: contentReal[$0.other.rawValue].code, style: prior[$0.rawValue], parameters: p)
                    }
                    // Re-encode the translations: contentBack[A] = enc_c^A(x_ba) ≈ c_b, styleBack[A] = enc_s^A(x_ba) ≈ s_a.
                    let contentBack = MUNITDomain.allCases.map { contentPass($0, fake[$0.rawValue].output, p) }
                    let styleBack = MUNITDomain.allCases.map { styleEncoders[$0.rawValue].forward(fake[$0.rawValue].output, parameters: p) }
                    // Cycle: cycle[A] = dec_A(enc_c^B(x_ab), s_a′).
                    let cycle = withCycle ? MUNITDomain.allCases.map {
                        decoders[$0.rawValue].forward(content: contentBack[$0.other.rawValue].code, style: styleReal[$0.rawValue].output, parameters: p)
                    } : []
                    let critic = MUNITDomain.allCases.map { discriminators[$0.rawValue].forward(fake[$0.rawValue].output, parameters: d) }

                    var loss = MUNITGeneratorLoss(adversarial: [0, 0], image: [0, 0], content: [0, 0], style: [0, 0], cycle: [0, 0], total: 0)
                    var dContentReal = contentReal.map { zeroMatrix($0.code.rows, $0.code.columns, as: S.self) }
                    var dStyleReal = styleReal.map { zeroMatrix($0.output.rows, $0.output.columns, as: S.self) }
                    var dContentBack = contentBack.map { zeroMatrix($0.code.rows, $0.code.columns, as: S.self) }
                    for domain in MUNITDomain.allCases {
                        let k = domain.rawValue, o = domain.other.rawValue
                        if withCycle {
                            let (l, dy) = Self.l1(cycle[k].output, x[k], weight: w.cycle)
                            loss.cycle[k] = l
                            let (dc, ds) = decoders[k].backward(cycle[k], outputGradient: dy, parameters: p, gradient: g)
                            addInPlace(&dContentBack[o], dc)
                            addInPlace(&dStyleReal[k], ds)
                        }
                        // content[A] compares enc_c^B(x_ab) = contentBack[B] with c_a; both sides carry gradient.
                        let (l, dc) = Self.l1(contentBack[o].code, contentReal[k].code, weight: w.content)
                        loss.content[k] = l
                        addInPlace(&dContentBack[o], dc)
                        addInPlace(&dContentReal[k], dc, scale: -1)
                    }
                    for domain in MUNITDomain.allCases {
                        let k = domain.rawValue, o = domain.other.rawValue
                        // Everything that reaches the translation fake[k] = dec_k(c_o, s_k).
                        let (adversarial, dCritic) = Self.leastSquares(critic[k].output, label: 1, weight: w.adversarial)
                        loss.adversarial[k] = adversarial
                        var dFake = discriminators[k].backward(critic[k], outputGradient: dCritic, parameters: d, gradient: nil)
                        let (styleLoss, ds) = Self.l1(styleBack[k].output, prior[k], weight: w.style)
                        loss.style[k] = styleLoss
                        addInPlace(&dFake, styleEncoders[k].backward(styleBack[k], outputGradient: ds, parameters: p, gradient: g))
                        addInPlace(&dFake, contentBackward(domain, contentBack[k], dContentBack[k], p, g))
                        let (dc, _) = decoders[k].backward(fake[k], outputGradient: dFake, parameters: p, gradient: g)
                        addInPlace(&dContentReal[o], dc)
                    }
                    for domain in MUNITDomain.allCases {
                        let k = domain.rawValue
                        let (l, dy) = Self.l1(recon[k].output, x[k], weight: w.image)
                        loss.image[k] = l
                        let (dc, ds) = decoders[k].backward(recon[k], outputGradient: dy, parameters: p, gradient: g)
                        addInPlace(&dContentReal[k], dc)
                        addInPlace(&dStyleReal[k], ds)
                        _ = contentBackward(domain, contentReal[k], dContentReal[k], p, g)
                        styleEncoders[k].backward(styleReal[k], outputGradient: dStyleReal[k], parameters: p, gradient: g)
                    }
                    loss.total = w.adversarial * loss.adversarial.reduce(0, +) + w.image * loss.image.reduce(0, +)
                        + w.content * loss.content.reduce(0, +) + w.style * loss.style.reduce(0, +) + w.cycle * loss.cycle.reduce(0, +)
                    return loss
                }
            }
        }
    }

    /// MUNIT's discriminator loss Σ_domains weight·[mean D(real)−1)² + mean D(fake)²], with fakes
    /// translated by the (fixed) generator with prior styles `styleA` (for b's rows) and `styleB`
    /// (for a's rows); returns the per-domain terms (unweighted) and accumulates the gradient with
    /// respect to the discriminator parameters.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func discriminatorLoss(a xa: Matrix<S>, b xb: Matrix<S>, styleA sa: Matrix<S>, styleB sb: Matrix<S>,
                                  generator: [S], discriminator: [S], gradient: inout [S]) -> [Double] {
        checkPoints(xa)
        checkPoints(xb)
        precondition(gradient.count == discriminatorLayout.count, "the gradient has \(gradient.count) entries, expected \(discriminatorLayout.count)")
        let x = [xa, xb]
        let fake = [translate(from: .b, xb, style: sa, generator: generator), translate(from: .a, xa, style: sb, generator: generator)]
        let weight = config.weights.adversarial
        return discriminator.withUnsafeBufferPointer { dp in
            gradient.withUnsafeMutableBufferPointer { gg in
                MUNITDomain.allCases.map { domain in
                    let k = domain.rawValue, net = discriminators[k]
                    let real = net.forward(x[k], parameters: dp.baseAddress!)
                    let generated = net.forward(fake[k], parameters: dp.baseAddress!)
                    let (lr, dr) = Self.leastSquares(real.output, label: 1, weight: weight)
                    let (lf, df) = Self.leastSquares(generated.output, label: 0, weight: weight)
                    net.backward(real, outputGradient: dr, parameters: dp.baseAddress!, gradient: gg.baseAddress!)
                    net.backward(generated, outputGradient: df, parameters: dp.baseAddress!, gradient: gg.baseAddress!)
                    return lr + lf
                }
            }
        }
    }
}
