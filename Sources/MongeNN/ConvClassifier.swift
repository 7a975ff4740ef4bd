/// A convolutional image classifier with hand-written backprop, on the U-Net's layers
/// (`Conv2D`, `ImageGroupNorm`, channels last inside):
///
///     h = Conv3×3(x)                                                   "stem"
///     per resolution r = 0, 1, 2 (channels w, 2w, 4w; r > 0 begins with a stride-2 block):
///         depth × h = Conv3×3(SiLU(GN(h))) + Linear_t(e)               "block.k" (".norm", ".conv", ".time")
///     p = mean over pixels of SiLU(GN(h)), or the whole map flattened  "out.norm"  (`globalPooling`)
///     F = SiLU(Linear(p))                                              "features"   (penultimate features)
///     logits = Linear(F)                                               "head"
///
/// with e = SiLU(Linear(temb(t))) ("temb") for a time-dependent network, whose projection is added
/// to every convolution's output (the stem's too) as the U-Net adds its time projection.
///
/// Every image is computed on its own (per-image convolutions, norms and row-wise products of the
/// packed dense kernel), so an image's logits and features never depend on the other images of
/// a call, and batched results do not depend on the number of threads.
public struct ConvClassifier<S: NetworkScalar>: Sendable {
    /// One 3×3 convolution, preceded by GroupNorm + SiLU except for the stem; (height, width) is its input size.
    struct Block: Sendable {
        let norm: ImageGroupNorm?
        let conv: Conv2D
        let time: Linear?
        let height: Int, width: Int
        var inputPixels: Int { height * width }
        var output: (height: Int, width: Int) { conv.outputSize(height: height, width: width) }
        var outputPixels: Int { output.height * output.width }
    }

    public let config: ConvClassifierConfig
    public let layout: ParameterLayout
    /// The timesteps the embedding covers (0 for a network without time input).
    public let timesteps: Int
    let embedding: TimeEmbedding<S>?
    let time0: Linear?
    let hidden: Int
    let blocks: [Block]
    let outNorm: ImageGroupNorm
    let feature: Linear
    let head: Linear

    /// A classifier of `config`'s images; `timesteps` (T ≥ 1) is required by a time-dependent config and must be 0 otherwise.
    public init(config: ConvClassifierConfig, timesteps: Int = 0) throws {
        try config.validate()
        if config.isTimeDependent {
            guard timesteps >= 1 else {
                throw MongeError.invalidArgument(name: "T", message: "a time-dependent classifier needs at least 1 timestep, got \(timesteps)")
            }
        } else {
            guard timesteps == 0 else {
                throw MongeError.invalidArgument(name: "T", message: "a classifier without time embedding takes no timesteps, got \(timesteps)")
            }
        }
        self.config = config
        self.timesteps = timesteps
        var layout = ParameterLayout()
        let w = config.width, g = config.groups
        hidden = 4 * w
        if let e = config.timeEmbedding {
            embedding = TimeEmbedding(dimension: e, timesteps: timesteps)
            time0 = Linear("temb", inputs: e, outputs: hidden, layout: &layout)
        } else {
            embedding = nil
            time0 = nil
        }
        let timed = config.isTimeDependent, hidden = self.hidden
        var blocks: [Block] = []
        var h = config.image.height, wd = config.image.width
        func add(_ name: String, inputs: Int, outputs: Int, stride: Int, normed: Bool, _ layout: inout ParameterLayout) {
            let norm = normed ? ImageGroupNorm("\(name).norm", channels: inputs, groups: g, layout: &layout) : nil
            let conv = Conv2D("\(name).conv", inputs: inputs, outputs: outputs, stride: stride, layout: &layout)
            let time = timed ? Linear("\(name).time", inputs: hidden, outputs: outputs, layout: &layout) : nil
            let block = Block(norm: norm, conv: conv, time: time, height: h, width: wd)
            blocks.append(block)
            (h, wd) = block.output
        }
        add("stem", inputs: config.image.channels, outputs: w, stride: 1, normed: false, &layout)
        var c = w, k = 0
        for (r, co) in [w, 2 * w, 4 * w].enumerated() {
            for d in 0..<config.depth {
                add("block.\(k)", inputs: c, outputs: co, stride: r > 0 && d == 0 ? 2 : 1, normed: true, &layout)
                c = co
                k += 1
            }
        }
        self.blocks = blocks
        outNorm = ImageGroupNorm("out.norm", channels: c, groups: g, layout: &layout)
        feature = Linear("features", inputs: config.globalPooling ? c : c * blocks.last!.outputPixels, outputs: config.features, layout: &layout)
        head = Linear("head", inputs: config.features, outputs: config.classes, layout: &layout)
        self.layout = layout
    }

    /// The number of parameters.
    public var parameterCount: Int { layout.count }
    /// C·H·W, the length of an image row.
    public var dimension: Int { config.image.dimension }
    /// Channels of the last convolution (the pooled vector's length).
    var lastChannels: Int { blocks.last!.conv.outputs }
    var lastPixels: Int { blocks.last!.outputPixels }

    /// Fresh parameters (PyTorch's default initialisation, drawn from `seed`).
    public func initialParameters(seed: UInt64) -> [S] { layout.initialValues(seed: seed) }

    var packedLayers: [PackedLayer] {
        blocks.flatMap { b in [b.conv.packing] + (b.time.map { [$0.forwardPacking()] } ?? []) }
            + [feature.forwardPacking(), head.forwardPacking()] + (time0.map { [$0.forwardPacking()] } ?? [])
    }

    /// Buffers for passes over up to `images` images (with gradient buffers when `training`;
    /// input gradients need them too). One workspace per thread.
    public func makeWorkspace(images: Int, training: Bool) -> ConvClassifierWorkspace<S> {
        ConvClassifierWorkspace(network: self, images: images, training: training)
    }

    // MARK: Forward

    /// Runs `n` images (rows of C·H·W, channels first, as in a Matrix) at per-image `timesteps`
    /// (nil for a network without time input) and keeps what backward needs in `workspace`.
    /// The logits and features are then `workspace.logits` and `workspace.features`.
    public func forward(images n: Int, _ x: UnsafePointer<S>, timesteps: UnsafePointer<Int>?, parameters p: UnsafePointer<S>,
                        workspace ws: ConvClassifierWorkspace<S>) {
        precondition(n <= ws.capacity, "the workspace holds \(ws.capacity) images, asked for \(n)")
        precondition(config.isTimeDependent == (timesteps != nil), config.isTimeDependent ? "give a timestep per image" : "this classifier takes no timesteps")
        ws.usedImages = n
        let m = ws.arena, s = ws.slots, packed = ws.packed
        packed.update(from: p)
        toChannelsLast(images: n, x, into: m[s.values[0]])
        // Time features e = SiLU(Linear(temb(t))), then each block's per-image bias.
        if let embedding, let time0, let timesteps {
            let e = embedding.dimension
            embedding.gather(rows: n, timesteps: timesteps, into: m[s.temb], ld: e)
            time0.dense(rows: n, m[s.temb], packed: packed, bias: p + time0.bias, activation: .silu, into: m[s.e1], aux: m[s.e1aux])
            for (b, block) in blocks.enumerated() {
                let time = block.time!
                time.dense(rows: n, m[s.e1], packed: packed, bias: p + time.bias, into: m[s.biasTable[b]])
                addBias(rows: n, columns: time.outputs, m[s.biasTable[b]], bias: p + block.conv.bias)
            }
        }
        let column = m[s.column]
        for (b, block) in blocks.enumerated() {
            var input = UnsafePointer(m[s.values[b]])
            if let norm = block.norm {
                norm.forward(images: n, pixels: block.inputPixels, input, parameters: p, silu: true, mean: m[s.mean[b]],
                             rstd: m[s.rstd[b]], into: m[s.normed[b]])
                input = UnsafePointer(m[s.normed[b]])
            }
            let conv = block.conv
            if config.isTimeDependent {
                let table = UnsafePointer(m[s.biasTable[b]]), outputs = conv.outputs
                conv.forward(images: n, height: block.height, width: block.width, input, packed: packed.panels(conv.weight),
                             bias: { table + $0 * outputs }, accumulate: false, into: m[s.values[b + 1]], column: column)
            } else {
                conv.forward(images: n, height: block.height, width: block.width, input, packed: packed.panels(conv.weight),
                             bias: { _ in p + conv.bias }, accumulate: false, into: m[s.values[b + 1]], column: column)
            }
        }
        // SiLU(GN(h)), its average over the pixels, the features and the logits.
        let pixels = lastPixels, c = lastChannels
        outNorm.forward(images: n, pixels: pixels, m[s.values[blocks.count]], parameters: p, silu: true, mean: m[s.outMean],
                        rstd: m[s.outRstd], into: m[s.outNormed])
        var pooled = m[s.outNormed]
        if config.globalPooling {
            pooled = m[s.pooled]
            pooled.update(repeating: 0, count: n * c)
            let scale = S(1 / Double(pixels))
            for i in 0..<n {
                S.addColumnSums(rows: pixels, columns: c, m[s.outNormed] + i * pixels * c, into: pooled + i * c)
                for j in 0..<c { pooled[i * c + j] *= scale }
            }
        }
        feature.dense(rows: n, pooled, packed: packed, bias: p + feature.bias, activation: .silu, into: m[s.features],
                      aux: m[s.featuresAux])
        head.dense(rows: n, m[s.features], packed: packed, bias: p + head.bias, into: m[s.logits])
    }

    // MARK: Backward

    /// Backpropagates through the last `forward` on `workspace` a loss whose gradients with
    /// respect to the logits (n × classes, nil: none) and the features (n × features, nil: none)
    /// are given: adds ∂L/∂θ into `gradient` when given, writes ∂L/∂x (n × C·H·W, channels
    /// first) into `inputGradient` when given. The time embedding is not differentiated.
    public func backward(logitGradient dLogits: UnsafePointer<S>?, featureGradient dF: UnsafePointer<S>?,
                         parameters p: UnsafePointer<S>, workspace ws: ConvClassifierWorkspace<S>,
                         gradient: UnsafeMutablePointer<S>?, inputGradient dx: UnsafeMutablePointer<S>?) {
        precondition(ws.training, "backward needs a workspace made with training: true")
        let n = ws.usedImages, m = ws.arena, s = ws.slots
        let g: UnsafeMutablePointer<S>
        if let gradient {
            g = gradient
        } else {
            g = m[s.discard]
            g.update(repeating: 0, count: parameterCount)
        }
        let f = config.features, k = config.classes, c = lastChannels, pixels = lastPixels
        // dF = dlogits·Wᵀ (+ the given dF), then through SiLU and the feature layer.
        let dFeat = m[s.dFeatures]
        if let dF { dFeat.update(from: dF, count: n * f) } else { dFeat.update(repeating: 0, count: n * f) }
        if let dLogits {
            head.accumulateGradient(rows: n, input: m[s.features], outputGradient: dLogits, gradient: g)
            for i in 0..<n {
                head.inputGradient(rows: 1, outputGradient: dLogits + i * k, parameters: p, into: dFeat + i * f, accumulate: true)
            }
        }
        Activation.silu.backward(rows: n, columns: f, dFeat, output: m[s.features], aux: m[s.featuresAux], slope: 0)
        var dCurrent = m[s.gradientA], dOther = m[s.gradientB]
        if config.globalPooling {
            feature.accumulateGradient(rows: n, input: m[s.pooled], outputGradient: dFeat, gradient: g)
            let dPooled = m[s.dPooled]
            for i in 0..<n { feature.inputGradient(rows: 1, outputGradient: dFeat + i * f, parameters: p, into: dPooled + i * c) }
            // The average over pixels spreads dp/P to every pixel.
            let scale = S(1 / Double(pixels))
            for i in 0..<n {
                for q in 0..<pixels {
                    for j in 0..<c { dOther[(i * pixels + q) * c + j] = dPooled[i * c + j] * scale }
                }
            }
        } else {
            let size = pixels * c
            feature.accumulateGradient(rows: n, input: m[s.outNormed], outputGradient: dFeat, gradient: g)
            for i in 0..<n { feature.inputGradient(rows: 1, outputGradient: dFeat + i * f, parameters: p, into: dOther + i * size) }
        }
        outNorm.backward(images: n, pixels: pixels, dOther, x: m[s.values[blocks.count]], mean: m[s.outMean], rstd: m[s.outRstd],
                         parameters: p, silu: true, accumulate: false, gradient: g, into: dCurrent)
        let column = m[s.column], dNormed = m[s.dNormed]
        if config.isTimeDependent { m[s.dE1].update(repeating: 0, count: n * hidden) }
        for (b, block) in blocks.enumerated().reversed() {
            let conv = block.conv, outPixels = block.outputPixels
            if let time = block.time {
                // The projection is one bias per image: its gradient is Σ over the pixels of dy.
                let perImage = m[s.perImage]
                perImage.update(repeating: 0, count: n * conv.outputs)
                for i in 0..<n {
                    S.addColumnSums(rows: outPixels, columns: conv.outputs, dCurrent + i * outPixels * conv.outputs,
                                    into: perImage + i * conv.outputs)
                }
                time.accumulateGradient(rows: n, input: m[s.e1], outputGradient: perImage, gradient: g)
                for i in 0..<n {
                    time.inputGradient(rows: 1, outputGradient: perImage + i * conv.outputs, parameters: p,
                                       into: m[s.dE1] + i * hidden, accumulate: true)
                }
            }
            let group = ConvClassifier.groupImages(pixels: outPixels, images: n)
            if let norm = block.norm {
                dNormed.update(repeating: 0, count: n * block.inputPixels * conv.inputs)
                conv.backward(images: n, height: block.height, width: block.width, m[s.normed[b]], outputGradient: dCurrent,
                              parameters: p, gradient: g, inputGradient: dNormed, column: column, groupImages: group)
                norm.backward(images: n, pixels: block.inputPixels, dNormed, x: m[s.values[b]], mean: m[s.mean[b]], rstd: m[s.rstd[b]],
                              parameters: p, silu: true, accumulate: false, gradient: g, into: dOther)
                swap(&dCurrent, &dOther)
            } else {
                if dx != nil { dNormed.update(repeating: 0, count: n * block.inputPixels * conv.inputs) }
                conv.backward(images: n, height: block.height, width: block.width, m[s.values[b]], outputGradient: dCurrent,
                              parameters: p, gradient: g, inputGradient: dx == nil ? nil : dNormed, column: column, groupImages: group)
                if let dx { toChannelsFirst(images: n, dNormed, into: dx) }
            }
        }
        if let time0 {
            let dE1 = m[s.dE1]
            Activation.silu.backward(rows: n, columns: hidden, dE1, output: m[s.e1], aux: m[s.e1aux], slope: 0)
            time0.accumulateGradient(rows: n, input: m[s.temb], outputGradient: dE1, gradient: g)
        }
    }

    /// Images per product in a weight-gradient pass at `pixels` output pixels (≈ 1024 rows), as the U-Net.
    static func groupImages(pixels: Int, images: Int) -> Int { max(1, min(images, 1024 / max(pixels, 1))) }

    // MARK: Layout conversion (C×H×W rows ↔ channels last)

    func toChannelsLast(images n: Int, _ x: UnsafePointer<S>, into y: UnsafeMutablePointer<S>) {
        let c = config.image.channels, q = config.image.pixels
        if c == 1 { y.update(from: x, count: n * q); return }
        for i in 0..<n { for ch in 0..<c { for k in 0..<q { y[(i * q + k) * c + ch] = x[(i * c + ch) * q + k] } } }
    }

    func toChannelsFirst(images n: Int, _ x: UnsafePointer<S>, into y: UnsafeMutablePointer<S>) {
        let c = config.image.channels, q = config.image.pixels
        if c == 1 { y.update(from: x, count: n * q); return }
        for i in 0..<n { for ch in 0..<c { for k in 0..<q { y[(i * c + ch) * q + k] = x[(i * q + k) * c + ch] } } }
    }
}

/// The buffers of `ConvClassifier` passes over up to `capacity` images; not thread-safe (one per thread).
public final class ConvClassifierWorkspace<S: NetworkScalar>: @unchecked Sendable {
    struct Slots: Sendable {
        var values: [Int] = [], normed: [Int] = [], mean: [Int] = [], rstd: [Int] = [], biasTable: [Int] = []
        var outNormed = 0, outMean = 0, outRstd = 0, pooled = 0, features = 0, featuresAux = 0, logits = 0
        var temb = 0, e1 = 0, e1aux = 0, column = 0
        var gradientA = 0, gradientB = 0, dNormed = 0, dPooled = 0, dFeatures = 0, dE1 = 0, perImage = 0, discard = 0
    }

    /// The most images a pass may take.
    public let capacity: Int
    let training: Bool
    let arena: Arena<S>
    let slots: Slots
    let packed: PackedParameters<S>
    let features: Int, classes: Int
    var usedImages = 0

    init(network: ConvClassifier<S>, images n: Int, training: Bool) {
        precondition(n >= 1, "a workspace needs room for at least 1 image")
        capacity = n
        self.training = training
        features = network.config.features
        classes = network.config.classes
        var plan = ArenaPlan()
        var s = Slots()
        let blocks = network.blocks, groups = network.config.groups
        s.values = [plan.next(n * network.dimension)] + blocks.map { plan.next(n * $0.outputPixels * $0.conv.outputs) }
        for b in blocks {
            let normed = b.norm != nil
            s.normed.append(plan.next(normed ? n * b.inputPixels * b.conv.inputs : 0))
            s.mean.append(plan.next(normed ? n * groups : 0))
            s.rstd.append(plan.next(normed ? n * groups : 0))
            s.biasTable.append(plan.next(b.time != nil ? n * b.conv.outputs : 0))
        }
        let c = network.lastChannels, pixels = network.lastPixels, timed = network.config.isTimeDependent
        s.outNormed = plan.next(n * pixels * c)
        s.outMean = plan.next(n * groups); s.outRstd = plan.next(n * groups)
        s.pooled = plan.next(n * c)
        s.features = plan.next(n * features); s.featuresAux = plan.next(n * features)
        s.logits = plan.next(n * classes)
        s.temb = plan.next(timed ? n * network.config.timeEmbedding! : 0)
        s.e1 = plan.next(timed ? n * network.hidden : 0); s.e1aux = plan.next(timed ? n * network.hidden : 0)
        // im2col: an image's blocks forward; a group of images' matrices backward (and the
        // transposed convolution's im2col of dy, 9·outputs per input pixel).
        var column = 0
        for b in blocks {
            let patch = 9 * max(b.conv.inputs, b.conv.outputs)
            let group = training ? ConvClassifier<S>.groupImages(pixels: b.outputPixels, images: n) : 1
            column = max(column, b.inputPixels * patch * group)
        }
        s.column = plan.next(column)
        if training {
            let largest = blocks.map { max($0.inputPixels * $0.conv.inputs, $0.outputPixels * $0.conv.outputs) }.max()!
            s.gradientA = plan.next(n * largest); s.gradientB = plan.next(n * largest)
            s.dNormed = plan.next(n * largest)
            s.dPooled = plan.next(n * c)
            s.dFeatures = plan.next(n * features)
            s.dE1 = plan.next(timed ? n * network.hidden : 0)
            s.perImage = plan.next(n * (blocks.map(\.conv.outputs).max()!))
            s.discard = plan.next(network.parameterCount)
        }
        slots = s
        arena = Arena(sizes: plan.sizes)
        packed = PackedParameters(layers: network.packedLayers)
    }

    /// The logits of the last forward pass (usedImages × classes), valid until the workspace is used again.
    public var logits: UnsafePointer<S> { UnsafePointer(arena[slots.logits]) }
    /// The penultimate features of the last forward pass (usedImages × features).
    public var featureValues: UnsafePointer<S> { UnsafePointer(arena[slots.features]) }
}
