/// DDIB's official 2-D ε-model (Su et al. 2023, the `SyntheticModel` of `guided_diffusion`): a
/// U-shaped MLP of the residual blocks of `ResidualBody`.
///
///     e   = act(Linear_t1(act(Linear_t0(temb(t)))))                 time features
///     h   = Linear_in(x)
///     h_k = block_k(h_{k−1})                 in-blocks k = 0 ..< depth, then 2 middle blocks
///     h   = block_j([h, h_{depth−1−j}])      out-blocks j = 0 ..< depth (skip concatenation, 2W)
///     ε̂   = Linear_out(act(norm(h)))
///
/// A block (`ResidualBlock`) maps X (C = W or 2W channels) to skip(X) + Linear₂(drop(act(norm₂(
/// Linear₁(act(norm₁(X))) + Linear_t(e))))), with skip the identity (C = W) or Linear(2W → W)
/// (guided-diffusion's ResBlock with a channel change). Linear₂ and Linear_out start at zero
/// (DDIB's `zero_module`).
struct DDIBUNetBody: Sendable {
    /// Residual blocks between the in- and out-blocks (DDIB: 2).
    static let middleBlocks = 2

    let dimension: Int
    let width: Int
    let embedding: Int
    let groups: Int
    let activation: Activation
    let slope: Double
    let dropout: Double
    /// In-blocks (= out-blocks).
    let depth: Int
    let time: TimeFeatures
    let input: Linear
    let blocks: [ResidualBlock]
    let outputNorm: GroupNorm?
    let output: Linear

    init(config: ModelConfig, layout: inout ParameterLayout) {
        dimension = config.dimension
        width = config.width
        embedding = config.timeEmbedding
        activation = config.activation
        slope = config.negativeSlope
        dropout = config.dropout
        depth = config.depth
        let groups = config.normGroups
        self.groups = config.normalization == .none ? 1 : groups
        let width = config.width
        func norm(_ name: String, _ features: Int, _ layout: inout ParameterLayout) -> GroupNorm? {
            config.normalization == .none ? nil : GroupNorm(name, features: features, groups: groups, layout: &layout)
        }
        time = TimeFeatures(embedding: config.timeEmbedding, width: width, layout: &layout)
        input = Linear("input", inputs: config.dimension, outputs: width, layout: &layout)
        var blocks: [ResidualBlock] = []
        let names = (0..<depth).map { "in.\($0)" } + (0..<Self.middleBlocks).map { "middle.\($0)" } + (0..<depth).map { "out.\($0)" }
        for (k, prefix) in names.enumerated() {
            let c = k >= depth + Self.middleBlocks ? 2 * width : width
            blocks.append(ResidualBlock(prefix, inputs: c, width: width, norm: norm, layout: &layout))
        }
        self.blocks = blocks
        outputNorm = norm("output.norm", width, &layout)
        output = Linear("output", inputs: width, outputs: config.dimension, layout: &layout, zeroInitialized: true)
    }

    /// The in-block whose output block `k` concatenates, or nil for in- and middle blocks.
    func skipSource(ofBlock k: Int) -> Int? {
        let j = k - depth - Self.middleBlocks
        return j >= 0 ? depth - 1 - j : nil
    }

    // MARK: Helpers

    /// y = [a, b] row by row (a and b are n × W, y is n × 2W).
    @inline(__always)
    private func concatenate<S>(rows n: Int, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, into y: UnsafeMutablePointer<S>) {
        for r in 0..<n {
            (y + 2 * r * width).update(from: a + r * width, count: width)
            (y + (2 * r + 1) * width).update(from: b + r * width, count: width)
        }
    }

    // MARK: Training

    /// Training buffers; time features have one row per distinct timestep (`TimestepLevels`).
    struct Slots: Sendable {
        var x = 0, embedding = 0, t1 = 0, t1aux = 0, e = 0, eaux = 0, h = 0, z = 0, timeRows = 0
        var xhat = 0, rstd = 0, a = 0, s = 0, output = 0, dh = 0, scratch1 = 0, scratch2 = 0, de = 0, levelGradient = 0
        var blocks: [ResidualBlock.Slots] = []
    }

    func slots(rows n: Int, plan: inout ArenaPlan) -> Slots {
        let aux = activation.needsAux
        var s = Slots()
        s.x = plan.next(n * dimension)
        s.embedding = plan.next(n * embedding)
        s.t1 = plan.next(n * width); s.t1aux = plan.next(aux ? n * width : 0)
        s.e = plan.next(n * width); s.eaux = plan.next(aux ? n * width : 0)
        s.h = plan.next(n * width)
        s.z = plan.next(n * width)
        s.timeRows = plan.next(n * width)
        for (k, block) in blocks.enumerated() {
            let c = block.inputs
            var b = ResidualBlock.Slots()
            b.input = plan.next(block.skip == nil ? 0 : n * c)
            block.planActivations(rows: n, groups: groups, needsAux: aux, dropout: dropout, plan: &plan, into: &b)
            b.output = plan.next(n * width)
            b.skipGradient = plan.next(k < depth ? n * width : 0)
            s.blocks.append(b)
        }
        s.xhat = plan.next(n * width); s.rstd = plan.next(n * groups)
        s.a = plan.next(n * width); s.s = plan.next(aux ? n * width : 0)
        s.output = plan.next(n * dimension)
        s.dh = plan.next(n * width)
        s.scratch1 = plan.next(n * width)
        s.scratch2 = plan.next(n * 2 * width)
        s.de = plan.next(n * width)
        s.levelGradient = plan.next(n * width)
        return s
    }

    /// The input of block k during the training pass.
    private func blockInput<S>(_ k: Int, arena m: Arena<S>, slots s: Slots) -> UnsafeMutablePointer<S> {
        if blocks[k].skip != nil { return m[s.blocks[k].input] }
        return k == 0 ? m[s.h] : m[s.blocks[k - 1].output]
    }

    func forward<S: NetworkScalar>(rows n: Int, x: UnsafePointer<S>, timesteps: UnsafePointer<Int>, parameters p: UnsafePointer<S>,
                                   embeddingTable: TimeEmbedding<S>, arena m: Arena<S>, levels: TimestepLevels, slots s: Slots,
                                   dropout noise: DropoutNoise?, firstRow: Int) -> UnsafeMutablePointer<S> {
        let aux = activation.needsAux
        m[s.x].update(from: x, count: n * dimension)
        levels.build(timesteps, rows: n)
        let u = levels.count
        levels.levels.withUnsafeBufferPointer {
            embeddingTable.gather(rows: u, timesteps: $0.baseAddress!, into: m[s.embedding], ld: embedding)
        }
        time.forward(rows: u, embedding: m[s.embedding], hidden: m[s.t1], hiddenAux: aux ? m[s.t1aux] : nil, into: m[s.e],
                     aux: aux ? m[s.eaux] : nil, parameters: p, activation: activation, slope: slope)
        let z = m[s.z], timeRows = m[s.timeRows]
        input.multiply(rows: n, m[s.x], parameters: p, into: m[s.h])
        addBias(rows: n, columns: width, m[s.h], bias: p + input.bias)
        var h = m[s.h]
        for (k, block) in blocks.enumerated() {
            let b = s.blocks[k]
            if let source = skipSource(ofBlock: k) { concatenate(rows: n, h, m[s.blocks[source].output], into: m[b.input]) }
            let out = m[b.output]
            block.forward(rows: n, layer: k, blockInput(k, arena: m, slots: s), into: out, timeFeatures: m[s.e], levels: levels,
                          timeRows: timeRows, z: z, parameters: p, arena: m, slots: b, activation: activation, slope: slope,
                          dropout: dropout, noise: noise, firstRow: firstRow)
            h = out
        }
        ResidualBlock.normForward(outputNorm, rows: n, features: width, h, parameters: p, xhat: m[s.xhat], rstd: m[s.rstd], into: m[s.a])
        activation.apply(rows: n, columns: width, m[s.a], bias: nil, slope: slope, aux: aux ? m[s.s] : nil)
        let out = m[s.output]
        output.multiply(rows: n, m[s.a], parameters: p, into: out)
        addBias(rows: n, columns: dimension, out, bias: p + output.bias)
        return out
    }

    func backward<S: NetworkScalar>(rows n: Int, outputGradient dOut: UnsafePointer<S>, parameters p: UnsafePointer<S>,
                                    arena m: Arena<S>, levels: TimestepLevels, slots s: Slots, gradient g: UnsafeMutablePointer<S>,
                                    inputGradient dx: UnsafeMutablePointer<S>?) {
        let aux = activation.needsAux
        let u = levels.count
        let dh = m[s.dh], t1 = m[s.scratch1], t2 = m[s.scratch2], de = m[s.de], perLevel = m[s.levelGradient]
        output.accumulateGradient(rows: n, input: m[s.a], outputGradient: dOut, gradient: g)
        output.inputGradient(rows: n, outputGradient: dOut, parameters: p, into: dh)
        activation.backward(rows: n, columns: width, dh, output: m[s.a], aux: aux ? m[s.s] : nil, slope: slope)
        if let outputNorm {
            outputNorm.backward(rows: n, dh, xhat: m[s.xhat], rstd: m[s.rstd], parameters: p, gradient: g, into: dh)
        }
        de.update(repeating: 0, count: u * width)
        for k in stride(from: blocks.count - 1, through: 0, by: -1) {
            let block = blocks[k], b = s.blocks[k]
            // dh = ∂L/∂(output of block k): from the next block, plus the out-block that concatenates it.
            if k < depth { S.add(count: n * width, dh, m[b.skipGradient]) }
            block.backward(rows: n, outputGradient: dh, timeFeatures: m[s.e], levels: levels, timeGradient: de, parameters: p, arena: m,
                           slots: b, gradient: g, scratch: t1, perLevel: perLevel, into: t2, activation: activation, slope: slope,
                           dropout: dropout)
            if let skip = block.skip, let source = skipSource(ofBlock: k) {
                let input = m[b.input]
                skip.accumulateGradient(rows: n, input: input, outputGradient: dh, gradient: g)
                skip.inputGradient(rows: n, outputGradient: dh, parameters: p, into: t2, accumulate: true)
                // Split ∂L/∂[h, h_source] into the previous block's and the source's share.
                let toSource = m[s.blocks[source].skipGradient]
                for r in 0..<n {
                    (dh + r * width).update(from: t2 + 2 * r * width, count: width)
                    (toSource + r * width).update(from: t2 + (2 * r + 1) * width, count: width)
                }
            } else {
                S.add(count: n * width, dh, t2)
            }
        }
        input.accumulateGradient(rows: n, input: m[s.x], outputGradient: dh, gradient: g)
        if let dx { input.inputGradient(rows: n, outputGradient: dh, parameters: p, into: dx) }
        time.backward(rows: u, featureGradient: de, embedding: m[s.embedding], hidden: m[s.t1], hiddenAux: aux ? m[s.t1aux] : nil,
                      features: m[s.e], aux: aux ? m[s.eaux] : nil, parameters: p, gradient: g, scratch: t2,
                      activation: activation, slope: slope)
    }

    // MARK: Inference at one timestep

    struct InferenceSlots: Sendable {
        var input = 0, h = 0, concatenated = 0, u = 0, xhat = 0, rstd = 0, z = 0, output = 0, e = 0, t = 0, constants = 0
        var outputs: [Int] = []
    }

    func inferenceSlots(rows n: Int, plan: inout ArenaPlan) -> InferenceSlots {
        var s = InferenceSlots()
        s.input = plan.next(n * dimension)
        s.h = plan.next(n * width)
        s.concatenated = plan.next(n * 2 * width)
        s.u = plan.next(n * 2 * width)
        s.xhat = plan.next(n * 2 * width)
        s.rstd = plan.next(n * groups)
        s.z = plan.next(n * width)
        s.output = plan.next(n * dimension)
        s.e = plan.next(width)
        s.t = plan.next(width)
        s.constants = plan.next(max(blocks.count, 1) * width)
        s.outputs = blocks.map { _ in plan.next(n * width) }
        return s
    }

    /// The timestep-only part: e = time features of t, and per block c_b = e·W_t + b_t + b₁.
    func prepare<S: NetworkScalar>(timestep t: Int, parameters p: UnsafePointer<S>, embeddingTable: TimeEmbedding<S>,
                                   arena m: Arena<S>, slots s: InferenceSlots) {
        time.prepare(timestep: t, embeddingTable: embeddingTable, parameters: p, hidden: m[s.t], into: m[s.e],
                     activation: activation, slope: slope)
        for (k, block) in blocks.enumerated() {
            block.prepare(timeFeatures: m[s.e], parameters: p, into: m[s.constants] + k * width)
        }
    }

    /// The weights the tile pass multiplies by.
    var packedLayers: [PackedLayer] {
        [input.forwardPacking()] + blocks.flatMap(\.packedLayers) + [output.forwardPacking()]
    }

    func infer<S: NetworkScalar>(rows n: Int, parameters p: UnsafePointer<S>, packed: PackedParameters<S>, arena m: Arena<S>,
                                 slots s: InferenceSlots) -> UnsafeMutablePointer<S> {
        let u = m[s.u], z = m[s.z]
        input.dense(rows: n, m[s.input], packed: packed, bias: p + input.bias, into: m[s.h])
        var h = m[s.h]
        for (k, block) in blocks.enumerated() {
            var x = h
            if let source = skipSource(ofBlock: k) {
                concatenate(rows: n, h, m[s.outputs[source]], into: m[s.concatenated])
                x = m[s.concatenated]
            }
            let out = m[s.outputs[k]]
            block.infer(rows: n, x, into: out, constant: m[s.constants] + k * width, parameters: p, packed: packed, u: u, z: z,
                        xhat: m[s.xhat], rstd: m[s.rstd], activation: activation, slope: slope)
            h = out
        }
        ResidualBlock.normForward(outputNorm, rows: n, features: width, h, parameters: p, xhat: m[s.xhat], rstd: m[s.rstd], into: u)
        activation.apply(rows: n, columns: width, u, bias: nil, slope: slope, aux: nil)
        let out = m[s.output]
        output.dense(rows: n, u, packed: packed, bias: p + output.bias, into: out)
        return out
    }
}
