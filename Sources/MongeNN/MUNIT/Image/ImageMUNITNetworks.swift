/// MUNIT's style encoder for images: a `ConvStack` without normalisation, global average pooling of
/// its last map and a linear map to the style code.
public struct StyleEncoderNet: Sendable, Equatable {
    public let stack: ConvStack
    public let output: Linear

    public struct Pass<S: NetworkScalar>: Sendable {
        let stack: ConvStack.Pass<S>
        let pooled: [S]
        public let code: [S]
    }

    func forward<S: NetworkScalar>(_ x: [S], parameters p: UnsafePointer<S>, packed: PackedParameters<S>, column: UnsafeMutablePointer<S>) -> Pass<S> {
        let pass = stack.forward(x, parameters: p, packed: packed, column: column)
        let c = stack.last.conv.outputs
        var pooled = [S](repeating: 0, count: c), code = [S](repeating: 0, count: output.outputs)
        pass.output.withUnsafeBufferPointer { h in
            pooled.withUnsafeMutableBufferPointer { GlobalAveragePooling.forward(pixels: stack.last.outputPixels, channels: c, h.baseAddress!, into: $0.baseAddress!) }
        }
        pooled.withUnsafeBufferPointer { ps in
            code.withUnsafeMutableBufferPointer { cs in
                output.multiply(rows: 1, ps.baseAddress!, parameters: p, into: cs.baseAddress!)
                addBias(rows: 1, columns: output.outputs, cs.baseAddress!, bias: p + output.bias)
            }
        }
        return Pass(stack: pass, pooled: pooled, code: code)
    }

    func backward<S: NetworkScalar>(_ pass: Pass<S>, codeGradient dy: [S], parameters p: UnsafePointer<S>, gradient g: UnsafeMutablePointer<S>,
                                    column: UnsafeMutablePointer<S>, inputGradient: Bool) -> [S] {
        let c = stack.last.conv.outputs
        var dp = [S](repeating: 0, count: c), dh = [S](repeating: 0, count: stack.outputCount)
        dy.withUnsafeBufferPointer { d in
            pass.pooled.withUnsafeBufferPointer { output.accumulateGradient(rows: 1, input: $0.baseAddress!, outputGradient: d.baseAddress!, gradient: g) }
            dp.withUnsafeMutableBufferPointer { output.inputGradient(rows: 1, outputGradient: d.baseAddress!, parameters: p, into: $0.baseAddress!) }
        }
        dp.withUnsafeBufferPointer { d in
            dh.withUnsafeMutableBufferPointer {
                GlobalAveragePooling.backward(pixels: stack.last.outputPixels, channels: c, d.baseAddress!, accumulate: false, into: $0.baseAddress!)
            }
        }
        var none: [S] = []
        return stack.backward(pass.stack, outputGradient: dh, modulationGradient: &none, parameters: p, gradient: g, column: column,
                              inputGradient: inputGradient)
    }
}

/// MUNIT's decoder for images: AdaIN residual blocks (γ, β from an MLP of the style code),
/// up-sampling units and an output convolution with tanh, as one `ConvStack`.
public struct AdaINDecoder: Sendable, Equatable {
    public let stack: ConvStack
    public let mlp: Perceptron

    public struct Pass<S: NetworkScalar>: Sendable {
        let mlp: Perceptron.Pass<S>
        let stack: ConvStack.Pass<S>
        public var output: [S] { stack.output }
    }

    func forward<S: NetworkScalar>(content c: [S], style s: [S], parameters p: UnsafePointer<S>, packed: PackedParameters<S>,
                                   column: UnsafeMutablePointer<S>) -> Pass<S> {
        let mlpPass = mlp.forward(try! Matrix(rows: 1, columns: s.count, storage: s), parameters: p)
        return Pass(mlp: mlpPass, stack: stack.forward(c, modulation: mlpPass.output.storage, parameters: p, packed: packed, column: column))
    }

    /// ∂L/∂content and ∂L/∂style from ∂L/∂y, accumulating the parameter gradient.
    func backward<S: NetworkScalar>(_ pass: Pass<S>, outputGradient dy: [S], parameters p: UnsafePointer<S>, gradient g: UnsafeMutablePointer<S>,
                                    column: UnsafeMutablePointer<S>) -> (content: [S], style: [S]) {
        var dm = [S](repeating: 0, count: stack.modulationCount)
        let dc = stack.backward(pass.stack, outputGradient: dy, modulationGradient: &dm, parameters: p, gradient: g, column: column)
        let ds = mlp.backward(pass.mlp, outputGradient: try! Matrix(rows: 1, columns: dm.count, storage: dm), parameters: p, gradient: g)
        return (dc, ds.storage)
    }
}

/// The networks of one MUNIT domain for images.
struct ImageMUNITDomainNets: Sendable {
    let content: ConvStack
    let style: StyleEncoderNet
    let decoder: AdaINDecoder
    let discriminator: ConvStack

    init(_ name: String, config: ImageMUNITConfig, generator g: inout ParameterLayout, discriminator d: inout ParameterLayout) throws {
        let image = config.image
        var h = image.height, w = image.width
        // Content encoder: stem, down-samplings, residual blocks (instance norm, ReLU).
        var head = [ConvUnit("\(name).content.stem", inputs: image.channels, outputs: config.channels, norm: .instance, activation: .relu,
                             height: h, width: w, layout: &g)]
        var c = config.channels
        for k in 0..<config.downsamplings {
            head.append(ConvUnit("\(name).content.down.\(k)", inputs: c, outputs: 2 * c, stride: 2, norm: .instance, activation: .relu,
                                 height: h, width: w, layout: &g))
            (h, w) = head.last!.output
            c *= 2
        }
        let blocks = (0..<config.residualBlocks).map { k in
            ResidualPair(first: ConvUnit("\(name).content.res.\(k).0", inputs: c, outputs: c, norm: .instance, activation: .relu, height: h, width: w, layout: &g),
                         second: ConvUnit("\(name).content.res.\(k).1", inputs: c, outputs: c, norm: .instance, activation: .none, height: h, width: w, layout: &g))
        }
        content = ConvStack(head: head, blocks: blocks)
        // Style encoder: convolutions without norm, one more down-sampling, pooling, linear.
        var sh = image.height, sw = image.width, sc = config.channels
        var styleUnits = [ConvUnit("\(name).style.stem", inputs: image.channels, outputs: sc, norm: .none, activation: .relu,
                                   height: sh, width: sw, layout: &g)]
        for k in 0...config.downsamplings {
            let out = min(2 * sc, config.contentChannels)
            styleUnits.append(ConvUnit("\(name).style.down.\(k)", inputs: sc, outputs: out, stride: 2, norm: .none, activation: .relu,
                                       height: sh, width: sw, layout: &g))
            (sh, sw) = styleUnits.last!.output
            sc = out
        }
        style = StyleEncoderNet(stack: ConvStack(head: styleUnits), output: Linear("\(name).style.output", inputs: sc, outputs: config.style, layout: &g))
        // Decoder: AdaIN residual blocks, up-sampling with layer norm, output convolution and tanh.
        let adaptive = (0..<config.residualBlocks).map { k in
            ResidualPair(first: ConvUnit("\(name).decoder.res.\(k).0", inputs: c, outputs: c, norm: .adaptive, activation: .relu, height: h, width: w, layout: &g),
                         second: ConvUnit("\(name).decoder.res.\(k).1", inputs: c, outputs: c, norm: .adaptive, activation: .none, height: h, width: w, layout: &g))
        }
        var tail: [ConvUnit] = []
        for k in 0..<config.downsamplings {
            (h, w) = (2 * h, 2 * w)
            tail.append(ConvUnit("\(name).decoder.up.\(k)", inputs: c, outputs: c / 2, upsampled: true, norm: .layer, activation: .relu,
                                 height: h, width: w, layout: &g))
            c /= 2
        }
        tail.append(ConvUnit("\(name).decoder.output", inputs: c, outputs: image.channels, norm: .none, activation: .tanh, height: h, width: w, layout: &g))
        let stack = ConvStack(head: [], blocks: adaptive, tail: tail)
        let mlp = try Perceptron("\(name).decoder.mlp", config: PerceptronConfig(inputs: config.style, outputs: stack.modulationCount,
                                                                                  width: config.mlpWidth, depth: config.mlpDepth), layout: &g)
        decoder = AdaINDecoder(stack: stack, mlp: mlp)
        // Patch discriminator: stride-2 convolutions with LeakyReLU 0.2, a 1×1 convolution to one score per patch.
        var dh = image.height, dw = image.width, dc = image.channels
        var units: [ConvUnit] = []
        for k in 0..<config.discriminatorDownsamplings {
            let out = config.discriminatorChannels << k
            units.append(ConvUnit("\(name).conv.\(k)", inputs: dc, outputs: out, stride: 2, norm: .none, activation: .leakyReLU,
                                  height: dh, width: dw, layout: &d))
            (dh, dw) = units.last!.output
            dc = out
        }
        units.append(ConvUnit("\(name).score", inputs: dc, outputs: 1, kernel: 1, norm: .none, activation: .none, height: dh, width: dw, layout: &d))
        discriminator = ConvStack(head: units)
    }

    var generatorPacking: [PackedLayer] { content.packing + style.stack.packing + decoder.stack.packing }
    var discriminatorPacking: [PackedLayer] { discriminator.packing }
    var columnCount: Int { [content.columnCount, style.stack.columnCount, decoder.stack.columnCount, discriminator.columnCount].max()! }
}
