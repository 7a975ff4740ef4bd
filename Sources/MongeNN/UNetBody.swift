/// The DDPM/ADM-style convolutional ε-model of `bench_unet.py` (parameter names as its PyTorch
/// state dict), on channels-last images (`Conv2D`):
///
///     e  = Linear(SiLU(Linear(temb(t))))                         "temb.0", "temb.2"
///     h  = Conv3×3(x)                                             "inp"; skips = [h]
///     per level l (channels width·mult[l]): depth × Res          "down.k"; push each output
///         then, but at the last level, Conv3×3 stride 2          "downs.l"; push
///     2 × Res                                                     "mid.0", "mid.1"
///     per level l, deepest first: (depth + 1) × Res(concat(h, pop()))   "up.k"
///         then, but at the top level, Conv3×3(up-sample×2(h))    "ups.u"
///     ε̂  = Conv3×3(SiLU(GroupNorm(h)))                           "out.0", "out.2"
///
///     Res(x) = skip(x) + Conv3×3₂(drop(SiLU(GN₂(Conv3×3₁(SiLU(GN₁(x))) + Linear_t(e)))))
///
/// with skip a 1×1 convolution when the channels change. The up-sampling is read by the
/// following convolution's im2col (no up-sampled copy), GroupNorm and SiLU are one pass, and
/// bias, time projection and residual add ride in the convolution product's epilogue.
///
/// A pass runs over a chunk of images one image at a time (products of a group of images where
/// that lengthens the reduction of a weight gradient), so an image's output never depends on
/// the other images of its chunk.
struct UNetBody: Sendable {
    /// A residual block at one resolution.
    struct Res: Sendable {
        let inputs: Int, outputs: Int, height: Int, width: Int
        let norm1: ImageGroupNorm
        let conv1: Conv2D
        let time: Linear
        let norm2: ImageGroupNorm
        let conv2: Conv2D
        let skip: Conv2D?
        var pixels: Int { height * width }
    }

    /// An activation: `pixels` × `channels` per image.
    struct Tensor: Sendable {
        let pixels: Int, channels: Int
        var size: Int { pixels * channels }
    }

    /// One operation of the network, reading and writing tensors by index.
    enum Step: Sendable {
        /// A convolution; (height, width) is the input size as the convolution sees it.
        case conv(Conv2D, input: Int, output: Int, height: Int, width: Int)
        case res(Int, input: Int, output: Int)
        case concat(first: Int, second: Int, output: Int)
        /// GroupNorm + SiLU (the output head's).
        case normActivation(ImageGroupNorm, input: Int, output: Int)
    }

    let image: ImageShape
    let width: Int
    let embedding: Int
    let hidden: Int
    let dropout: Double
    let time0: Linear
    let time1: Linear
    let blocks: [Res]
    let tensors: [Tensor]
    let steps: [Step]
    /// Every convolution, for packing.
    let convolutions: [Conv2D]

    init(config: ModelConfig, layout: inout ParameterLayout) {
        let image = config.image!, multipliers = config.channelMultipliers!
        self.image = image
        width = config.width
        embedding = config.timeEmbedding
        hidden = 4 * config.width
        dropout = config.dropout
        let groups = config.groups, depth = config.depth
        time0 = Linear("temb.0", inputs: config.timeEmbedding, outputs: hidden, layout: &layout)
        time1 = Linear("temb.2", inputs: hidden, outputs: hidden, layout: &layout)

        var tensors: [Tensor] = [Tensor(pixels: image.pixels, channels: image.channels)]
        var steps: [Step] = []
        var convolutions: [Conv2D] = []
        var blocks: [Res] = []
        func tensor(_ pixels: Int, _ channels: Int) -> Int {
            tensors.append(Tensor(pixels: pixels, channels: channels))
            return tensors.count - 1
        }
        func res(_ name: String, _ input: Int, _ inputs: Int, _ outputs: Int, _ h: Int, _ w: Int,
                 _ layout: inout ParameterLayout) -> Int {
            let norm1 = ImageGroupNorm("\(name).n1", channels: inputs, groups: groups, layout: &layout)
            let conv1 = Conv2D("\(name).c1", inputs: inputs, outputs: outputs, layout: &layout)
            let time = Linear("\(name).t", inputs: 4 * config.width, outputs: outputs, layout: &layout)
            let norm2 = ImageGroupNorm("\(name).n2", channels: outputs, groups: groups, layout: &layout)
            let conv2 = Conv2D("\(name).c2", inputs: outputs, outputs: outputs, layout: &layout)
            let skip = inputs == outputs ? nil : Conv2D("\(name).skip", inputs: inputs, outputs: outputs, kernel: 1, layout: &layout)
            blocks.append(Res(inputs: inputs, outputs: outputs, height: h, width: w, norm1: norm1, conv1: conv1, time: time,
                              norm2: norm2, conv2: conv2, skip: skip))
            convolutions += [conv1, conv2] + (skip.map { [$0] } ?? [])
            let output = tensor(h * w, outputs)
            steps.append(.res(blocks.count - 1, input: input, output: output))
            return output
        }

        var h = image.height, w = image.width
        let input = Conv2D("inp", inputs: image.channels, outputs: config.width, layout: &layout)
        convolutions.append(input)
        var current = tensor(h * w, config.width)
        steps.append(.conv(input, input: 0, output: current, height: h, width: w))
        var c = config.width
        var skips: [(tensor: Int, channels: Int)] = [(current, c)]
        var k = 0
        let channels = multipliers.map { config.width * $0 }
        for (level, co) in channels.enumerated() {
            for _ in 0..<depth {
                current = res("down.\(k)", current, c, co, h, w, &layout)
                k += 1
                c = co
                skips.append((current, c))
            }
            if level < channels.count - 1 {
                let down = Conv2D("downs.\(level)", inputs: c, outputs: c, stride: 2, layout: &layout)
                convolutions.append(down)
                let (ho, wo) = down.outputSize(height: h, width: w)
                let output = tensor(ho * wo, c)
                steps.append(.conv(down, input: current, output: output, height: h, width: w))
                current = output
                h = ho; w = wo
                skips.append((current, c))
            }
        }
        current = res("mid.0", current, c, c, h, w, &layout)
        current = res("mid.1", current, c, c, h, w, &layout)
        k = 0
        var u = 0
        for level in stride(from: channels.count - 1, through: 0, by: -1) {
            let co = channels[level]
            for _ in 0..<(depth + 1) {
                let skip = skips.removeLast()
                let joined = tensor(h * w, c + skip.channels)
                steps.append(.concat(first: current, second: skip.tensor, output: joined))
                current = res("up.\(k)", joined, c + skip.channels, co, h, w, &layout)
                k += 1
                c = co
            }
            if level > 0 {
                let up = Conv2D("ups.\(u)", inputs: c, outputs: c, upsampled: true, layout: &layout)
                convolutions.append(up)
                u += 1
                h *= 2; w *= 2
                let output = tensor(h * w, c)
                steps.append(.conv(up, input: current, output: output, height: h, width: w))
                current = output
            }
        }
        let outNorm = ImageGroupNorm("out.0", channels: c, groups: groups, layout: &layout)
        let normed = tensor(h * w, c)
        steps.append(.normActivation(outNorm, input: current, output: normed))
        let output = Conv2D("out.2", inputs: c, outputs: image.channels, layout: &layout)
        convolutions.append(output)
        let result = tensor(h * w, image.channels)
        steps.append(.conv(output, input: normed, output: result, height: h, width: w))
        precondition(skips.isEmpty && h == image.height && w == image.width, "unbalanced U-Net")
        self.tensors = tensors
        self.steps = steps
        self.blocks = blocks
        self.convolutions = convolutions
    }

    var dimension: Int { image.dimension }
    var outputTensor: Int { tensors.count - 1 }
    var packedLayers: [PackedLayer] { convolutions.map(\.packing) }

    /// Images per inference tile (the activations of a few images stay in the last-level cache).
    static let inferenceImages = 4

    /// Images per product in a weight-gradient pass at `pixels` output pixels (≈ 1024 rows).
    static func groupImages(pixels: Int, images: Int) -> Int { max(1, min(images, 1024 / max(pixels, 1))) }

    // MARK: Buffers

    struct BlockSlots: Sendable {
        var a1 = 0, mean1 = 0, rstd1 = 0, h = 0, mean2 = 0, rstd2 = 0, a2 = 0, mask = 0, dropped = 0, bias = 0
    }

    /// The buffers of a pass over up to `images` images; gradient buffers only for training.
    struct Slots: Sendable {
        var images = 0
        var values: [Int] = [], gradients: [Int] = []
        var blocks: [BlockSlots] = []
        var outMean = 0, outRstd = 0
        var embedding = 0, e1 = 0, e1aux = 0, e = 0, de = 0, de1 = 0, perLevel = 0
        var column = 0, scratchA = 0, scratchB = 0, output = 0
        var training = false
        let levels: TimestepLevels
    }

    func slots(images n: Int, timesteps: Int, training: Bool, plan: inout ArenaPlan) -> Slots {
        var s = Slots(levels: TimestepLevels(rows: n, timesteps: timesteps))
        s.images = n
        s.training = training
        s.values = tensors.map { plan.next(n * $0.size) }
        if training { s.gradients = tensors.map { plan.next(n * $0.size) } }
        let groups = blocks.first?.norm1.groups ?? 1
        var scratch = 0
        for block in blocks {
            var b = BlockSlots()
            let p = block.pixels
            b.a1 = plan.next(n * p * block.inputs)
            b.mean1 = plan.next(n * groups); b.rstd1 = plan.next(n * groups)
            b.h = plan.next(n * p * block.outputs)
            b.mean2 = plan.next(n * groups); b.rstd2 = plan.next(n * groups)
            b.a2 = plan.next(n * p * block.outputs)
            b.mask = plan.next(dropout > 0 ? n * p * block.outputs : 0)
            b.dropped = plan.next(dropout > 0 ? n * p * block.outputs : 0)
            b.bias = plan.next(n * block.outputs)
            s.blocks.append(b)
            scratch = max(scratch, p * max(block.inputs, block.outputs))
        }
        s.outMean = plan.next(n * groups); s.outRstd = plan.next(n * groups)
        s.embedding = plan.next(n * embedding)
        s.e1 = plan.next(n * hidden); s.e1aux = plan.next(n * hidden)
        s.e = plan.next(n * hidden)
        s.de = plan.next(training ? n * hidden : 0)
        s.de1 = plan.next(training ? n * hidden : 0)
        s.perLevel = plan.next(training ? n * (blocks.map(\.outputs).max() ?? 1) : 0)
        // im2col: one image forward; a group of images backward.
        var column = 0
        for step in steps {
            guard case let .conv(conv, _, _, h, w) = step else { continue }
            let (ho, wo) = conv.outputSize(height: h, width: w)
            // (A stride-1 convolution's input gradient takes im2col of dy: 9·outputs per pixel.)
            let patch = conv.kernel == 1 ? 0 : 9 * max(conv.inputs, conv.outputs)
            column = max(column, h * w * patch * (training ? UNetBody.groupImages(pixels: ho * wo, images: n) : 1))
        }
        for block in blocks {
            let g = training ? UNetBody.groupImages(pixels: block.pixels, images: n) : 1
            column = max(column, g * block.pixels * 9 * max(block.inputs, block.outputs))
        }
        s.column = plan.next(column)
        s.scratchA = plan.next(training ? n * scratch : 0)
        s.scratchB = plan.next(training ? n * scratch : 0)
        s.output = plan.next(image.channels > 1 ? n * image.dimension : 0)
        return s
    }

    // MARK: Layout conversion (C×H×W rows ↔ channels last)

    @inline(__always)
    func toChannelsLast<S: NetworkScalar>(images n: Int, _ x: UnsafePointer<S>, into y: UnsafeMutablePointer<S>) {
        let c = image.channels, p = image.pixels
        if c == 1 { y.update(from: x, count: n * p); return }
        for i in 0..<n {
            for ch in 0..<c { for q in 0..<p { y[i * p * c + q * c + ch] = x[i * p * c + ch * p + q] } }
        }
    }

    @inline(__always)
    func toChannelsFirst<S: NetworkScalar>(images n: Int, _ x: UnsafePointer<S>, into y: UnsafeMutablePointer<S>) {
        let c = image.channels, p = image.pixels
        if c == 1 { y.update(from: x, count: n * p); return }
        for i in 0..<n {
            for ch in 0..<c { for q in 0..<p { y[i * p * c + ch * p + q] = x[i * p * c + q * c + ch] } }
        }
    }

    // MARK: Forward

    /// ε̂ for `n` images (rows of C·H·W) with per-image timesteps; keeps what the backward pass
    /// needs. Returns ε̂ (n × C·H·W), valid until the arena is used again.
    func forward<S: NetworkScalar>(rows n: Int, x: UnsafePointer<S>, timesteps: UnsafePointer<Int>, parameters p: UnsafePointer<S>,
                                   packed: PackedParameters<S>, embeddingTable: TimeEmbedding<S>, arena m: Arena<S>, slots s: Slots,
                                   dropout noise: DropoutNoise?, firstRow: Int) -> UnsafeMutablePointer<S> {
        precondition(n <= s.images, "workspace holds \(s.images) images, asked for \(n)")
        toChannelsLast(images: n, x, into: m[s.values[0]])
        // The time path, once per distinct timestep, and each block's per-timestep bias
        // conv₁.bias + e·W_t + b_t.
        let levels = s.levels
        levels.build(timesteps, rows: n)
        let u = levels.count
        levels.levels.withUnsafeBufferPointer {
            embeddingTable.gather(rows: u, timesteps: $0.baseAddress!, into: m[s.embedding], ld: embedding)
        }
        time0.multiply(rows: u, m[s.embedding], parameters: p, into: m[s.e1])
        Activation.silu.apply(rows: u, columns: hidden, m[s.e1], bias: p + time0.bias, slope: 0, aux: m[s.e1aux])
        time1.multiply(rows: u, m[s.e1], parameters: p, into: m[s.e])
        addBias(rows: u, columns: hidden, m[s.e], bias: p + time1.bias)
        for (k, block) in blocks.enumerated() {
            let table = m[s.blocks[k].bias]
            block.time.multiply(rows: u, m[s.e], parameters: p, into: table)
            addBias(rows: u, columns: block.outputs, table, bias: p + block.time.bias)
            addBias(rows: u, columns: block.outputs, table, bias: p + block.conv1.bias)
        }
        let column = m[s.column]
        levels.index.withUnsafeBufferPointer { index in
            for step in steps {
                switch step {
                case let .conv(conv, input, output, h, w):
                    conv.forward(images: n, height: h, width: w, m[s.values[input]], packed: packed.panels(conv.weight),
                                 bias: { _ in p + conv.bias }, accumulate: false, into: m[s.values[output]], column: column)
                case let .res(k, input, output):
                    resForward(blocks[k], slots: s.blocks[k], layer: k, images: n, m[s.values[input]], into: m[s.values[output]],
                               parameters: p, packed: packed, arena: m, column: column, index: index.baseAddress!,
                               noise: noise, firstRow: firstRow)
                case let .concat(first, second, output):
                    let a = tensors[first], b = tensors[second], rows = n * a.pixels
                    S.copyRows(rows: rows, columns: a.channels, m[s.values[first]], ldx: a.channels, into: m[s.values[output]],
                               ldy: a.channels + b.channels, accumulate: false)
                    S.copyRows(rows: rows, columns: b.channels, m[s.values[second]], ldx: b.channels,
                               into: m[s.values[output]] + a.channels, ldy: a.channels + b.channels, accumulate: false)
                case let .normActivation(norm, input, output):
                    norm.forward(images: n, pixels: tensors[input].pixels, m[s.values[input]], parameters: p, silu: true,
                                 mean: m[s.outMean], rstd: m[s.outRstd], into: m[s.values[output]])
                }
            }
        }
        let result = m[s.values[outputTensor]]
        guard image.channels > 1 else { return result }
        toChannelsFirst(images: n, result, into: m[s.output])
        return m[s.output]
    }

    @inline(__always)
    private func resForward<S: NetworkScalar>(_ r: Res, slots b: BlockSlots, layer: Int, images n: Int, _ x: UnsafeMutablePointer<S>,
                                              into out: UnsafeMutablePointer<S>, parameters p: UnsafePointer<S>,
                                              packed: PackedParameters<S>, arena m: Arena<S>, column: UnsafeMutablePointer<S>,
                                              index: UnsafePointer<Int64>, noise: DropoutNoise?, firstRow: Int) {
        let pixels = r.pixels, size = pixels * r.outputs
        r.norm1.forward(images: n, pixels: pixels, x, parameters: p, silu: true, mean: m[b.mean1], rstd: m[b.rstd1], into: m[b.a1])
        let table = UnsafePointer(m[b.bias]), outputs = r.outputs
        r.conv1.forward(images: n, height: r.height, width: r.width, m[b.a1], packed: packed.panels(r.conv1.weight),
                        bias: { table + Int(index[$0]) * outputs }, accumulate: false, into: m[b.h], column: column)
        r.norm2.forward(images: n, pixels: pixels, m[b.h], parameters: p, silu: true, mean: m[b.mean2], rstd: m[b.rstd2], into: m[b.a2])
        var input = m[b.a2]
        if dropout > 0 {
            if let noise {
                noise.fillMask(layer: layer, firstRow: firstRow, rows: n, columns: size, into: m[b.mask])
            } else {
                m[b.mask].update(repeating: 1, count: n * size)  // evaluation: keep everything
            }
            input = m[b.dropped]
            input.update(from: m[b.a2], count: n * size)
            S.multiply(count: n * size, input, m[b.mask])
        }
        if let skip = r.skip {
            skip.forward(images: n, height: r.height, width: r.width, x, packed: packed.panels(skip.weight), bias: { _ in p + skip.bias },
                         accumulate: false, into: out, column: column)
        } else {
            out.update(from: x, count: n * size)
        }
        r.conv2.forward(images: n, height: r.height, width: r.width, input, packed: packed.panels(r.conv2.weight),
                        bias: { _ in p + r.conv2.bias }, accumulate: true, into: out, column: column)
    }

    // MARK: Backward

    /// Backpropagates ∂L/∂ε̂ (n × C·H·W) through the last forward pass on these slots: adds ∂L/∂θ
    /// into `gradient` and, when given, writes ∂L/∂x.
    func backward<S: NetworkScalar>(rows n: Int, outputGradient dOut: UnsafePointer<S>, parameters p: UnsafePointer<S>,
                                    arena m: Arena<S>, slots s: Slots, gradient g: UnsafeMutablePointer<S>,
                                    inputGradient dx: UnsafeMutablePointer<S>?) {
        precondition(s.training, "backward needs a training workspace")
        for (t, tensor) in tensors.enumerated() { m[s.gradients[t]].update(repeating: 0, count: n * tensor.size) }
        toChannelsLast(images: n, dOut, into: m[s.gradients[outputTensor]])
        let levels = s.levels, u = levels.count
        m[s.de].update(repeating: 0, count: u * hidden)
        let column = m[s.column]
        levels.index.withUnsafeBufferPointer { index in
            for step in steps.reversed() {
                switch step {
                case let .conv(conv, input, output, h, w):
                    let (ho, wo) = conv.outputSize(height: h, width: w)
                    conv.backward(images: n, height: h, width: w, m[s.values[input]], outputGradient: m[s.gradients[output]],
                                  parameters: p, gradient: g, inputGradient: input == 0 && dx == nil ? nil : m[s.gradients[input]],
                                  column: column, groupImages: UNetBody.groupImages(pixels: ho * wo, images: n))
                case let .res(k, input, output):
                    resBackward(blocks[k], slots: s.blocks[k], images: n, x: m[s.values[input]], outputGradient: m[s.gradients[output]],
                                inputGradient: m[s.gradients[input]], parameters: p, arena: m, s: s, gradient: g,
                                index: index.baseAddress!, levels: u)
                case let .concat(first, second, output):
                    let a = tensors[first], b = tensors[second], rows = n * a.pixels, ld = a.channels + b.channels
                    S.copyRows(rows: rows, columns: a.channels, m[s.gradients[output]], ldx: ld, into: m[s.gradients[first]],
                               ldy: a.channels, accumulate: true)
                    S.copyRows(rows: rows, columns: b.channels, m[s.gradients[output]] + a.channels, ldx: ld,
                               into: m[s.gradients[second]], ldy: b.channels, accumulate: true)
                case let .normActivation(norm, input, output):
                    norm.backward(images: n, pixels: tensors[input].pixels, m[s.gradients[output]], x: m[s.values[input]],
                                  mean: m[s.outMean], rstd: m[s.outRstd], parameters: p, silu: true, accumulate: true, gradient: g,
                                  into: m[s.gradients[input]])
                }
            }
        }
        if let dx { toChannelsFirst(images: n, m[s.gradients[0]], into: dx) }
        // The time MLP.
        let de = m[s.de], de1 = m[s.de1]
        time1.accumulateGradient(rows: u, input: m[s.e1], outputGradient: de, gradient: g)
        time1.inputGradient(rows: u, outputGradient: de, parameters: p, into: de1)
        Activation.silu.backward(rows: u, columns: hidden, de1, output: m[s.e1], aux: m[s.e1aux], slope: 0)
        time0.accumulateGradient(rows: u, input: m[s.embedding], outputGradient: de1, gradient: g)
    }

    @inline(__always)
    private func resBackward<S: NetworkScalar>(_ r: Res, slots b: BlockSlots, images n: Int, x: UnsafePointer<S>,
                                               outputGradient dOut: UnsafePointer<S>, inputGradient dx: UnsafeMutablePointer<S>,
                                               parameters p: UnsafePointer<S>, arena m: Arena<S>, s: Slots,
                                               gradient g: UnsafeMutablePointer<S>, index: UnsafePointer<Int64>, levels u: Int) {
        let pixels = r.pixels, size = pixels * r.outputs
        let group = UNetBody.groupImages(pixels: pixels, images: n)
        let column = m[s.column], dA = m[s.scratchA], dH = m[s.scratchB]
        // conv₂ (its input: the dropped-out activation when dropout is on).
        dA.update(repeating: 0, count: n * size)
        r.conv2.backward(images: n, height: r.height, width: r.width, dropout > 0 ? m[b.dropped] : m[b.a2], outputGradient: dOut,
                         parameters: p, gradient: g, inputGradient: dA, column: column, groupImages: group)
        if dropout > 0 { S.multiply(count: n * size, dA, m[b.mask]) }
        r.norm2.backward(images: n, pixels: pixels, dA, x: m[b.h], mean: m[b.mean2], rstd: m[b.rstd2], parameters: p, silu: true,
                         accumulate: false, gradient: g, into: dH)
        // The time projection saw one row per timestep: sum dh per image, then per timestep.
        let perLevel = m[s.perLevel]
        perLevel.update(repeating: 0, count: u * r.outputs)
        for i in 0..<n {
            S.addColumnSums(rows: pixels, columns: r.outputs, dH + i * size, into: perLevel + Int(index[i]) * r.outputs)
        }
        r.time.accumulateGradient(rows: u, input: m[s.e], outputGradient: perLevel, gradient: g)
        r.time.inputGradient(rows: u, outputGradient: perLevel, parameters: p, into: m[s.de], accumulate: true)
        // conv₁ (its bias gradient is Σ dh, added by its backward).
        dA.update(repeating: 0, count: n * pixels * r.inputs)
        r.conv1.backward(images: n, height: r.height, width: r.width, m[b.a1], outputGradient: dH, parameters: p, gradient: g,
                         inputGradient: dA, column: column, groupImages: group)
        r.norm1.backward(images: n, pixels: pixels, dA, x: x, mean: m[b.mean1], rstd: m[b.rstd1], parameters: p, silu: true,
                         accumulate: true, gradient: g, into: dx)
        if let skip = r.skip {
            skip.backward(images: n, height: r.height, width: r.width, x, outputGradient: dOut, parameters: p, gradient: g,
                          inputGradient: dx, column: column, groupImages: group)
        } else {
            S.add(count: n * size, dx, dOut)
        }
    }
}
