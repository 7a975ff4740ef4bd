/// The DDIB-style residual ε-MLP (Su et al. 2023, `guided_diffusion/synthetic.py`, without the
/// U-shaped skip concatenation):
///
///     e  = act(Linear_t1(act(Linear_t0(temb(t)))))                 time features
///     h  = Linear_in(x)
///     h ← h + Linear₂(drop(act(norm₂(Linear₁(act(norm₁(h))) + Linear_t(e)))))   per block
///     ε̂  = Linear_out(act(norm(h)))
///
/// Linear₂ of every block and Linear_out start at zero (DDIB's `zero_module`), so an untrained
/// model is the identity stack with output 0. The blocks are `ResidualBlock`s (identity skip,
/// updated in place).
struct ResidualBody: Sendable {
    let dimension: Int
    let width: Int
    let embedding: Int
    let groups: Int
    let activation: Activation
    let slope: Double
    let dropout: Double
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
        let groups = config.normGroups
        self.groups = config.normalization == .none ? 1 : groups
        let width = config.width
        func norm(_ name: String, _ features: Int, _ layout: inout ParameterLayout) -> GroupNorm? {
            config.normalization == .none ? nil : GroupNorm(name, features: features, groups: groups, layout: &layout)
        }
        time = TimeFeatures(embedding: config.timeEmbedding, width: width, layout: &layout)
        input = Linear("input", inputs: config.dimension, outputs: width, layout: &layout)
        var blocks: [ResidualBlock] = []
        for b in 0..<config.depth {
            blocks.append(ResidualBlock("blocks.\(b)", inputs: width, width: width, norm: norm, layout: &layout))
        }
        self.blocks = blocks
        outputNorm = norm("output.norm", width, &layout)
        output = Linear("output", inputs: width, outputs: config.dimension, layout: &layout, zeroInitialized: true)
    }

    // MARK: Training

    /// Training buffers. Time features (embedding, t1, e, and their gradients) have one row per
    /// distinct timestep of the chunk (`TimestepLevels`), at most `rows`.
    struct Slots: Sendable {
        var x = 0, embedding = 0, t1 = 0, t1aux = 0, e = 0, eaux = 0, h = 0, z = 0, timeRows = 0
        var xhat = 0, rstd = 0, a = 0, s = 0, output = 0, dh = 0, scratch1 = 0, scratch2 = 0, de = 0, levelGradient = 0
        var blocks: [ResidualBlock.Slots] = []
    }

    func slots(rows n: Int, plan: inout ArenaPlan) -> Slots {
        let aux = activation.needsAux ? n * width : 0
        let normed = n * width, stats = n * groups
        var s = Slots()
        s.x = plan.next(n * dimension)
        s.embedding = plan.next(n * embedding)
        s.t1 = plan.next(n * width); s.t1aux = plan.next(aux)
        s.e = plan.next(n * width); s.eaux = plan.next(aux)
        s.h = plan.next(n * width)
        s.z = plan.next(n * width)
        s.timeRows = plan.next(n * width)
        for block in blocks {
            var b = ResidualBlock.Slots()
            block.planActivations(rows: n, groups: groups, needsAux: activation.needsAux, dropout: dropout, plan: &plan, into: &b)
            s.blocks.append(b)
        }
        s.xhat = plan.next(normed); s.rstd = plan.next(stats)
        s.a = plan.next(n * width); s.s = plan.next(aux)
        s.output = plan.next(n * dimension)
        s.dh = plan.next(n * width)
        s.scratch1 = plan.next(n * width)
        s.scratch2 = plan.next(n * width)
        s.de = plan.next(n * width)
        s.levelGradient = plan.next(n * width)
        return s
    }

    func forward<S: NetworkScalar>(rows n: Int, x: UnsafePointer<S>, timesteps: UnsafePointer<Int>, parameters p: UnsafePointer<S>,
                                   embeddingTable: TimeEmbedding<S>, arena m: Arena<S>, levels: TimestepLevels, slots s: Slots,
                                   dropout noise: DropoutNoise?, firstRow: Int) -> UnsafeMutablePointer<S> {
        let aux = activation.needsAux
        m[s.x].update(from: x, count: n * dimension)
        // The time path, once per distinct timestep.
        levels.build(timesteps, rows: n)
        let u = levels.count
        levels.levels.withUnsafeBufferPointer {
            embeddingTable.gather(rows: u, timesteps: $0.baseAddress!, into: m[s.embedding], ld: embedding)
        }
        time.forward(rows: u, embedding: m[s.embedding], hidden: m[s.t1], hiddenAux: aux ? m[s.t1aux] : nil, into: m[s.e],
                     aux: aux ? m[s.eaux] : nil, parameters: p, activation: activation, slope: slope)
        let h = m[s.h], z = m[s.z], timeRows = m[s.timeRows]
        input.multiply(rows: n, m[s.x], parameters: p, into: h)
        addBias(rows: n, columns: width, h, bias: p + input.bias)
        for (k, block) in blocks.enumerated() {
            block.forward(rows: n, layer: k, h, into: h, timeFeatures: m[s.e], levels: levels, timeRows: timeRows, z: z, parameters: p,
                          arena: m, slots: s.blocks[k], activation: activation, slope: slope, dropout: dropout, noise: noise, firstRow: firstRow)
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
        outputNorm?.backward(rows: n, dh, xhat: m[s.xhat], rstd: m[s.rstd], parameters: p, gradient: g, into: dh)
        de.update(repeating: 0, count: u * width)
        for k in stride(from: blocks.count - 1, through: 0, by: -1) {
            // h_out = h_in + o: the gradient of o is dh, and h_in gets dh plus the branch's.
            blocks[k].backward(rows: n, outputGradient: dh, timeFeatures: m[s.e], levels: levels, timeGradient: de, parameters: p, arena: m,
                               slots: s.blocks[k], gradient: g, scratch: t1, perLevel: perLevel, into: t2,
                               activation: activation, slope: slope, dropout: dropout)
            S.add(count: n * width, dh, t2)
        }
        input.accumulateGradient(rows: n, input: m[s.x], outputGradient: dh, gradient: g)
        if let dx { input.inputGradient(rows: n, outputGradient: dh, parameters: p, into: dx) }
        time.backward(rows: u, featureGradient: de, embedding: m[s.embedding], hidden: m[s.t1], hiddenAux: aux ? m[s.t1aux] : nil,
                      features: m[s.e], aux: aux ? m[s.eaux] : nil, parameters: p, gradient: g, scratch: t2,
                      activation: activation, slope: slope)
    }

    // MARK: Inference at one timestep

    struct InferenceSlots: Sendable {
        var input = 0, h = 0, u = 0, xhat = 0, rstd = 0, output = 0, e = 0, t = 0, constants = 0
    }

    func inferenceSlots(rows n: Int, plan: inout ArenaPlan) -> InferenceSlots {
        var s = InferenceSlots()
        s.input = plan.next(n * dimension)
        s.h = plan.next(n * width)
        s.u = plan.next(n * width)
        s.xhat = plan.next(n * width)
        s.rstd = plan.next(n * groups)
        s.output = plan.next(n * dimension)
        s.e = plan.next(width)
        s.t = plan.next(width)
        s.constants = plan.next(max(blocks.count, 1) * width)
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
        let h = m[s.h], u = m[s.u]
        input.dense(rows: n, m[s.input], packed: packed, bias: p + input.bias, into: h)
        for (k, block) in blocks.enumerated() {
            // The x̂ scratch holds z; norm₂ then overwrites it with x̂ in place.
            block.infer(rows: n, h, into: h, constant: m[s.constants] + k * width, parameters: p, packed: packed, u: u,
                        z: m[s.xhat], xhat: m[s.xhat], rstd: m[s.rstd], activation: activation, slope: slope)
        }
        ResidualBlock.normForward(outputNorm, rows: n, features: width, h, parameters: p, xhat: m[s.xhat], rstd: m[s.rstd], into: u)
        activation.apply(rows: n, columns: width, u, bias: nil, slope: slope, aux: nil)
        let out = m[s.output]
        output.dense(rows: n, u, packed: packed, bias: p + output.bias, into: out)
        return out
    }
}
