import MongeCore

/// MUNIT for images with hand-written backprop: both domains' content encoders, style encoders,
/// AdaIN decoders (`generatorLayout`, tensors `a.content.…`, `b.decoder.…`) and patch
/// discriminators (`discriminatorLayout`), and the two losses with their gradients.
///
/// Images are rows of C·H·W values (channels first, as in a Matrix). Every image is computed on
/// its own (instance norms and losses are per image), the images of a batch in parallel with one
/// gradient buffer each, summed in image order: results do not depend on the thread count.
public struct ImageMUNIT<S: NetworkScalar>: Sendable {
    public let config: ImageMUNITConfig
    public let generatorLayout: ParameterLayout
    public let discriminatorLayout: ParameterLayout
    let nets: [ImageMUNITDomainNets]

    public init(config: ImageMUNITConfig) throws {
        try config.validate()
        guard config.weights.cycle == 0 else {
            throw MongeError.invalidArgument(name: "cycle weight", message: "the image MUNIT has no cycle term (MUNIT's default 0), got \(config.weights.cycle)")
        }
        self.config = config
        var g = ParameterLayout(), d = ParameterLayout()
        nets = try MUNITDomain.allCases.map { try ImageMUNITDomainNets($0.name, config: config, generator: &g, discriminator: &d) }
        generatorLayout = g
        discriminatorLayout = d
    }

    /// Values per image, C·H·W.
    public var dimension: Int { config.image.dimension }
    /// Values of one content code (channels-last C′×H′×W′).
    public var contentCount: Int { nets[0].content.outputCount }
    /// Scores per image of a discriminator (its patches).
    public var patches: Int { nets[0].discriminator.outputCount }

    /// Fresh generator and discriminator parameters (PyTorch's default initialisation) from `seed`.
    public func initialParameters(seed: UInt64) -> (generator: [S], discriminator: [S]) {
        let root = RandomStream(seed: seed, stream: StreamTag.imageMUNITInitialisation)
        return (generatorLayout.initialValues(stream: root.substream(1)), discriminatorLayout.initialValues(stream: root.substream(2)))
    }

    var columnCount: Int { nets.map(\.columnCount).max()! }
    func packedGenerator(_ p: UnsafePointer<S>) -> PackedParameters<S> { PackedParameters(layers: nets.flatMap(\.generatorPacking), parameters: p) }
    func packedDiscriminator(_ p: UnsafePointer<S>) -> PackedParameters<S> { PackedParameters(layers: nets.flatMap(\.discriminatorPacking), parameters: p) }

    func checkImages(_ x: Matrix<S>) {
        precondition(x.columns == dimension, "the image MUNIT takes \(config.image) images = \(dimension) values, got \(x.columns) columns")
    }

    // MARK: Layout conversion (one image)

    func channelsLast(_ x: UnsafePointer<S>) -> [S] {
        let c = config.image.channels, q = config.image.pixels
        var y = [S](repeating: 0, count: c * q)
        for ch in 0..<c { for k in 0..<q { y[k * c + ch] = x[ch * q + k] } }
        return y
    }

    func channelsFirst(_ y: [S], into x: UnsafeMutablePointer<S>) {
        let c = config.image.channels, q = config.image.pixels
        for ch in 0..<c { for k in 0..<q { x[ch * q + k] = y[k * c + ch] } }
    }

    // MARK: Inference

    /// Runs `body(row, column buffer)` for every row in parallel and stacks its outputs (width values each).
    func rowwise(_ rows: Int, width: Int, _ body: (Int, UnsafeMutablePointer<S>) -> [S]) -> Matrix<S> {
        var out = [S](repeating: 0, count: rows * width)
        let columns = columnCount
        out.withUnsafeMutableBufferPointer { os in
            let o = os.baseAddress!
            Parallel.forEachChunk(count: rows) { range in
                let column = UnsafeMutablePointer<S>.allocate(capacity: columns)
                defer { column.deallocate() }
                for i in range {
                    let y = body(i, column)
                    precondition(y.count == width)
                    (o + i * width).update(from: y, count: width)
                }
            }
        }
        return try! Matrix(rows: rows, columns: width, storage: out)
    }

    /// The content codes of images of `domain` ([rows, contentCount], channels last).
    public func content(_ domain: MUNITDomain, _ x: Matrix<S>, generator: [S]) -> Matrix<S> {
        checkImages(x)
        return generator.withUnsafeBufferPointer { gp in
            let p = gp.baseAddress!, packed = packedGenerator(p), net = nets[domain.rawValue].content
            return x.storage.withUnsafeBufferPointer { xs in
                rowwise(x.rows, width: contentCount) { i, column in
                    net.forward(channelsLast(xs.baseAddress! + i * dimension), parameters: p, packed: packed, column: column).output
                }
            }
        }
    }

    /// The style codes of images of `domain` ([rows, style]).
    public func style(_ domain: MUNITDomain, _ x: Matrix<S>, generator: [S]) -> Matrix<S> {
        checkImages(x)
        return generator.withUnsafeBufferPointer { gp in
            let p = gp.baseAddress!, packed = packedGenerator(p), net = nets[domain.rawValue].style
            return x.storage.withUnsafeBufferPointer { xs in
                rowwise(x.rows, width: config.style) { i, column in
                    net.forward(channelsLast(xs.baseAddress! + i * dimension), parameters: p, packed: packed, column: column).code
                }
            }
        }
    }

    /// Images of `domain` decoded from content codes ([rows, contentCount]) and style codes ([rows, style]).
    public func decode(_ domain: MUNITDomain, content c: Matrix<S>, style s: Matrix<S>, generator: [S]) -> Matrix<S> {
        precondition(c.columns == contentCount && s.columns == config.style && c.rows == s.rows,
                     "the decoder takes \(contentCount) content and \(config.style) style values, one style per row")
        return generator.withUnsafeBufferPointer { gp in
            let p = gp.baseAddress!, packed = packedGenerator(p), net = nets[domain.rawValue].decoder
            return rowwise(c.rows, width: dimension) { i, column in
                let y = net.forward(content: Array(c.storage[(i * contentCount)..<((i + 1) * contentCount)]),
                                    style: Array(s.storage[(i * config.style)..<((i + 1) * config.style)]),
                                    parameters: p, packed: packed, column: column).output
                var row = [S](repeating: 0, count: dimension)
                row.withUnsafeMutableBufferPointer { channelsFirst(y, into: $0.baseAddress!) }
                return row
            }
        }
    }

    /// MUNIT's translation of images of `domain` into the other domain with the given styles
    /// (one row per image): decode_other(content(x), s).
    public func translate(from domain: MUNITDomain, _ x: Matrix<S>, style s: Matrix<S>, generator: [S]) -> Matrix<S> {
        decode(domain.other, content: content(domain, x, generator: generator), style: s, generator: generator)
    }

    /// Within-domain reconstruction decode(content(x), style(x)).
    public func reconstruct(_ domain: MUNITDomain, _ x: Matrix<S>, generator: [S]) -> Matrix<S> {
        decode(domain, content: content(domain, x, generator: generator), style: style(domain, x, generator: generator), generator: generator)
    }

    /// The discriminator's patch scores for images of `domain` ([rows, patches]).
    public func discriminate(_ domain: MUNITDomain, _ x: Matrix<S>, discriminator: [S]) -> Matrix<S> {
        checkImages(x)
        return discriminator.withUnsafeBufferPointer { dp in
            let p = dp.baseAddress!, packed = packedDiscriminator(p), net = nets[domain.rawValue].discriminator
            return x.storage.withUnsafeBufferPointer { xs in
                rowwise(x.rows, width: patches) { i, column in
                    net.forward(channelsLast(xs.baseAddress! + i * dimension), parameters: p, packed: packed, column: column).output
                }
            }
        }
    }
}

// MARK: Losses

extension ImageMUNIT {
    /// mean |y − t| over the values of one image, scaled by `scale`, and its gradient scale·weight·sign(y − t)/count.
    static func l1(_ y: [S], _ t: [S], weight: Double, scale: Double) -> (loss: Double, gradient: [S]) {
        var gradient = y, sum = 0.0
        let step = S(weight * scale / Double(y.count))
        for k in 0..<y.count {
            let d = y[k] - t[k]
            sum += abs(Double(d))
            gradient[k] = d > 0 ? step : (d < 0 ? -step : 0)
        }
        return (sum / Double(y.count), gradient)
    }

    /// mean (y − label)² over one image's patch scores and its gradient scale·weight·2(y − label)/count.
    static func leastSquares(_ y: [S], label: Double, weight: Double, scale: Double) -> (loss: Double, gradient: [S]) {
        var gradient = y, sum = 0.0
        for k in 0..<y.count {
            let d = Double(y[k]) - label
            sum += d * d
            gradient[k] = S(weight * scale * 2 * d / Double(y.count))
        }
        return (sum / Double(y.count), gradient)
    }

    static func add(_ a: inout [S], _ b: [S]) { for k in 0..<a.count { a[k] += b[k] } }

    /// Per-image gradients of a batch in parallel, summed in image order into `gradient`;
    /// returns the per-image results.
    func batched<T>(_ n: Int, gradientCount: Int, gradient: inout [S], _ body: (Int, UnsafeMutablePointer<S>, UnsafeMutablePointer<S>) -> T) -> [T] {
        var perImage = [S](repeating: 0, count: n * gradientCount)
        var results = [T?](repeating: nil, count: n)
        let columns = columnCount
        perImage.withUnsafeMutableBufferPointer { gs in
            let g = gs.baseAddress!
            results.withUnsafeMutableBufferPointer { rs in
                let r = rs.baseAddress!
                Parallel.forEachChunk(count: n) { range in
                    let column = UnsafeMutablePointer<S>.allocate(capacity: columns)
                    defer { column.deallocate() }
                    for i in range { r[i] = body(i, g + i * gradientCount, column) }
                }
            }
        }
        for i in 0..<n { for k in 0..<gradientCount { gradient[k] += perImage[i * gradientCount + k] } }
        return results.map { $0! }
    }

    /// MUNIT's generator loss on real batches `a`, `b` with prior styles `styleA` (decoded into A
    /// with b's content, one row per row of b) and `styleB` (one per row of a); accumulates its
    /// gradient with respect to the generator parameters into `gradient` (the discriminators are fixed).
    ///
    /// adversarial[A] = mean (D_A(x_ba) − 1)², image[A] = mean |dec_A(c_a, s_a′) − x_a|,
    /// content[A] = mean |enc_c^B(x_ab) − c_a|, style[A] = mean |enc_s^A(x_ba) − s_a| (means over
    /// the batch and the values), as the 2-D `MUNIT`; no cycle term.
    public func generatorLoss(a xa: Matrix<S>, b xb: Matrix<S>, styleA sa: Matrix<S>, styleB sb: Matrix<S>,
                              generator: [S], discriminator: [S], gradient: inout [S]) -> MUNITGeneratorLoss {
        checkImages(xa)
        checkImages(xb)
        let n = xa.rows, st = config.style
        precondition(xb.rows == n, "one image of B per image of A")
        precondition(sa.shape == [n, st] && sb.shape == [n, st], "one prior style per image: \(n)×\(st)")
        precondition(gradient.count == generatorLayout.count, "the gradient has \(gradient.count) entries, expected \(generatorLayout.count)")
        let w = config.weights, scale = 1 / Double(n), dCount = discriminatorLayout.count
        let terms: [[Double]] = generator.withUnsafeBufferPointer { gp in
            discriminator.withUnsafeBufferPointer { dp in
                let p = gp.baseAddress!, d = dp.baseAddress!
                let packed = packedGenerator(p), packedD = packedDiscriminator(d)
                return xa.storage.withUnsafeBufferPointer { xas in
                    xb.storage.withUnsafeBufferPointer { xbs in
                        batched(n, gradientCount: generatorLayout.count, gradient: &gradient) { i, g, column -> [Double] in
                            var discard = [S](repeating: 0, count: dCount)
                            let x = [channelsLast(xas.baseAddress! + i * dimension), channelsLast(xbs.baseAddress! + i * dimension)]
                            let prior = [Array(sa.storage[(i * st)..<((i + 1) * st)]), Array(sb.storage[(i * st)..<((i + 1) * st)])]
                            let contentReal = (0..<2).map { nets[$0].content.forward(x[$0], parameters: p, packed: packed, column: column) }
                            let styleReal = (0..<2).map { nets[$0].style.forward(x[$0], parameters: p, packed: packed, column: column) }
                            let recon = (0..<2).map {
                                nets[$0].decoder.forward(content: contentReal[$0].output, style: styleReal[$0].code, parameters: p, packed: packed, column: column)
                            }
                            // fake[k] = dec_k(c_o, s_k), re-encoded by domain k's encoders and judged by D_k.
                            let fake = (0..<2).map {
                                nets[$0].decoder.forward(content: contentReal[1 - $0].output, style: prior[$0], parameters: p, packed: packed, column: column)
                            }
                            let contentBack = (0..<2).map { nets[$0].content.forward(fake[$0].output, parameters: p, packed: packed, column: column) }
                            let styleBack = (0..<2).map { nets[$0].style.forward(fake[$0].output, parameters: p, packed: packed, column: column) }
                            var loss = [Double](repeating: 0, count: 8)  // adversarial, image, content, style × (A, B)
                            var dContentReal = contentReal.map { [S](repeating: 0, count: $0.output.count) }
                            var dStyleReal = [[S](repeating: 0, count: st), [S](repeating: 0, count: st)]
                            discard.withUnsafeMutableBufferPointer { dg in
                                for k in 0..<2 {
                                    let o = 1 - k
                                    let critic = nets[k].discriminator.forward(fake[k].output, parameters: d, packed: packedD, column: column)
                                    let (adversarial, dCritic) = Self.leastSquares(critic.output, label: 1, weight: w.adversarial, scale: scale)
                                    loss[k] = adversarial
                                    var none: [S] = []
                                    var dFake = nets[k].discriminator.backward(critic, outputGradient: dCritic, modulationGradient: &none, parameters: d,
                                                                               gradient: dg.baseAddress!, column: column)
                                    let (styleLoss, ds) = Self.l1(styleBack[k].code, prior[k], weight: w.style, scale: scale)
                                    loss[6 + k] = styleLoss
                                    Self.add(&dFake, nets[k].style.backward(styleBack[k], codeGradient: ds, parameters: p, gradient: g, column: column, inputGradient: true))
                                    // content[o] = |enc_c^k(fake_k) − c_o|: both sides carry gradient.
                                    let (contentLoss, dc) = Self.l1(contentBack[k].output, contentReal[o].output, weight: w.content, scale: scale)
                                    loss[4 + o] = contentLoss
                                    Self.add(&dFake, nets[k].content.backward(contentBack[k], outputGradient: dc, modulationGradient: &none, parameters: p,
                                                                             gradient: g, column: column))
                                    for j in 0..<dc.count { dContentReal[o][j] -= dc[j] }
                                    let (dContent, _) = nets[k].decoder.backward(fake[k], outputGradient: dFake, parameters: p, gradient: g, column: column)
                                    Self.add(&dContentReal[o], dContent)
                                }
                            }
                            for k in 0..<2 {
                                let (imageLoss, dy) = Self.l1(recon[k].output, x[k], weight: w.image, scale: scale)
                                loss[2 + k] = imageLoss
                                let (dc, ds) = nets[k].decoder.backward(recon[k], outputGradient: dy, parameters: p, gradient: g, column: column)
                                Self.add(&dContentReal[k], dc)
                                Self.add(&dStyleReal[k], ds)
                                var none: [S] = []
                                _ = nets[k].content.backward(contentReal[k], outputGradient: dContentReal[k], modulationGradient: &none, parameters: p,
                                                             gradient: g, column: column, inputGradient: false)
                                _ = nets[k].style.backward(styleReal[k], codeGradient: dStyleReal[k], parameters: p, gradient: g, column: column,
                                                           inputGradient: false)
                            }
                            return loss
                        }
                    }
                }
            }
        }
        var mean = [Double](repeating: 0, count: 8)
        for t in terms { for j in 0..<8 { mean[j] += t[j] * scale } }
        var loss = MUNITGeneratorLoss(adversarial: [mean[0], mean[1]], image: [mean[2], mean[3]], content: [mean[4], mean[5]],
                                      style: [mean[6], mean[7]], cycle: [0, 0], total: 0)
        loss.total = w.adversarial * (mean[0] + mean[1]) + w.image * (mean[2] + mean[3]) + w.content * (mean[4] + mean[5])
            + w.style * (mean[6] + mean[7])
        return loss
    }

    /// MUNIT's discriminator loss Σ_domains weight·[mean (D(real) − 1)² + mean D(fake)²], the fakes
    /// translated by the fixed generator with prior styles `styleA` (for b's rows) and `styleB`
    /// (for a's rows); returns the per-domain terms (unweighted) and accumulates the gradient with
    /// respect to the discriminator parameters.
    public func discriminatorLoss(a xa: Matrix<S>, b xb: Matrix<S>, styleA sa: Matrix<S>, styleB sb: Matrix<S>,
                                  generator: [S], discriminator: [S], gradient: inout [S]) -> [Double] {
        checkImages(xa)
        checkImages(xb)
        let n = xa.rows, st = config.style
        precondition(xb.rows == n && sa.shape == [n, st] && sb.shape == [n, st], "one image of B and one prior style per image of A")
        precondition(gradient.count == discriminatorLayout.count, "the gradient has \(gradient.count) entries, expected \(discriminatorLayout.count)")
        let weight = config.weights.adversarial, scale = 1 / Double(n)
        let terms: [[Double]] = generator.withUnsafeBufferPointer { gp in
            discriminator.withUnsafeBufferPointer { dp in
                let p = gp.baseAddress!, d = dp.baseAddress!
                let packed = packedGenerator(p), packedD = packedDiscriminator(d)
                return xa.storage.withUnsafeBufferPointer { xas in
                    xb.storage.withUnsafeBufferPointer { xbs in
                        batched(n, gradientCount: discriminatorLayout.count, gradient: &gradient) { i, g, column -> [Double] in
                            let x = [channelsLast(xas.baseAddress! + i * dimension), channelsLast(xbs.baseAddress! + i * dimension)]
                            let prior = [Array(sa.storage[(i * st)..<((i + 1) * st)]), Array(sb.storage[(i * st)..<((i + 1) * st)])]
                            return (0..<2).map { k in
                                let c = nets[1 - k].content.forward(x[1 - k], parameters: p, packed: packed, column: column).output
                                let fake = nets[k].decoder.forward(content: c, style: prior[k], parameters: p, packed: packed, column: column).output
                                let net = nets[k].discriminator
                                var none: [S] = []
                                let real = net.forward(x[k], parameters: d, packed: packedD, column: column)
                                let (lr, dr) = Self.leastSquares(real.output, label: 1, weight: weight, scale: scale)
                                _ = net.backward(real, outputGradient: dr, modulationGradient: &none, parameters: d, gradient: g, column: column, inputGradient: false)
                                let generated = net.forward(fake, parameters: d, packed: packedD, column: column)
                                let (lf, df) = Self.leastSquares(generated.output, label: 0, weight: weight, scale: scale)
                                _ = net.backward(generated, outputGradient: df, modulationGradient: &none, parameters: d, gradient: g, column: column,
                                                 inputGradient: false)
                                return lr + lf
                            }
                        }
                    }
                }
            }
        }
        var total = [0.0, 0.0]
        for t in terms { total[0] += t[0] * scale; total[1] += t[1] * scale }
        return total
    }
}
