/// DDIB's official 2-D ε-model (Su et al. 2023, the `SyntheticModel` of `guided_diffusion`): a
/// U-shaped MLP of the residual blocks of `ResidualBody`.
///
///     e   = act(Linear_t1(act(Linear_t0(temb(t)))))                 time features
///     h   = Linear_in(x)
///     h_k = block_k(h_{k−1})                 in-blocks k = 0 ..< depth, then 2 middle blocks
///     h   = block_j([h, h_{depth−1−j}])      out-blocks j = 0 ..< depth (skip concatenation, 2W)
///     ε̂   = Linear_out(act(norm(h)))
///
/// A block maps X (C = W or 2W channels) to skip(X) + Linear₂(drop(act(norm₂(Linear₁(act(norm₁(X)))
/// + Linear_t(e))))), with skip the identity (C = W) or Linear(2W → W) (guided-diffusion's ResBlock
/// with a channel change). Linear₂ and Linear_out start at zero (DDIB's `zero_module`).
struct DDIBUNetBody: Sendable {
    struct Block: Sendable {
        /// Channels in: W, or 2W for an out-block.
        let inputs: Int
        let norm1: GroupNorm?
        let linear1: Linear
        let time: Linear
        let norm2: GroupNorm?
        let linear2: Linear
        /// Linear(2W → W) of an out-block's skip path; nil for the identity.
        let skip: Linear?
    }

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
    let time0: Linear
    let time1: Linear
    let input: Linear
    let blocks: [Block]
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
        time0 = Linear("time.0", inputs: config.timeEmbedding, outputs: width, layout: &layout)
        time1 = Linear("time.1", inputs: width, outputs: width, layout: &layout)
        input = Linear("input", inputs: config.dimension, outputs: width, layout: &layout)
        var blocks: [Block] = []
        let names = (0..<depth).map { "in.\($0)" } + (0..<Self.middleBlocks).map { "middle.\($0)" } + (0..<depth).map { "out.\($0)" }
        for (k, prefix) in names.enumerated() {
            let c = k >= depth + Self.middleBlocks ? 2 * width : width
            let norm1 = norm("\(prefix).norm1", c, &layout)
            let linear1 = Linear("\(prefix).linear1", inputs: c, outputs: width, layout: &layout)
            let time = Linear("\(prefix).time", inputs: width, outputs: width, layout: &layout)
            let norm2 = norm("\(prefix).norm2", width, &layout)
            let linear2 = Linear("\(prefix).linear2", inputs: width, outputs: width, layout: &layout, zeroInitialized: true)
            let skip = c == width ? nil : Linear("\(prefix).skip", inputs: c, outputs: width, layout: &layout)
            blocks.append(Block(inputs: c, norm1: norm1, linear1: linear1, time: time, norm2: norm2, linear2: linear2, skip: skip))
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

    @inline(__always)
    private func normForward<S: NetworkScalar>(_ norm: GroupNorm?, rows n: Int, features c: Int, _ x: UnsafePointer<S>,
                                               parameters p: UnsafePointer<S>, xhat: UnsafeMutablePointer<S>,
                                               rstd: UnsafeMutablePointer<S>, into y: UnsafeMutablePointer<S>) {
        if let norm {
            norm.forward(rows: n, x, parameters: p, xhat: xhat, rstd: rstd, into: y)
        } else if UnsafePointer(y) != x {
            y.update(from: x, count: n * c)
        }
    }

    /// y = [a, b] row by row (a and b are n × W, y is n × 2W).
    @inline(__always)
    private func concatenate<S>(rows n: Int, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, into y: UnsafeMutablePointer<S>) {
        for r in 0..<n {
            (y + 2 * r * width).update(from: a + r * width, count: width)
            (y + (2 * r + 1) * width).update(from: b + r * width, count: width)
        }
    }

    // MARK: Training

    struct BlockSlots: Sendable {
        var input = 0, xhat1 = 0, rstd1 = 0, a1 = 0, s1 = 0, xhat2 = 0, rstd2 = 0, a2 = 0, s2 = 0, mask = 0, d2 = 0
        var output = 0, skipGradient = 0
    }

    /// Training buffers; time features have one row per distinct timestep (`TimestepLevels`).
    struct Slots: Sendable {
        var x = 0, embedding = 0, t1 = 0, t1aux = 0, e = 0, eaux = 0, h = 0, z = 0, timeRows = 0
        var xhat = 0, rstd = 0, a = 0, s = 0, output = 0, dh = 0, scratch1 = 0, scratch2 = 0, de = 0, levelGradient = 0
        var blocks: [BlockSlots] = []
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
            var b = BlockSlots()
            b.input = plan.next(block.skip == nil ? 0 : n * c)
            b.xhat1 = plan.next(n * c); b.rstd1 = plan.next(n * groups)
            b.a1 = plan.next(n * c); b.s1 = plan.next(aux ? n * c : 0)
            b.xhat2 = plan.next(n * width); b.rstd2 = plan.next(n * groups)
            b.a2 = plan.next(n * width); b.s2 = plan.next(aux ? n * width : 0)
            b.mask = plan.next(dropout > 0 ? n * width : 0)
            b.d2 = plan.next(dropout > 0 ? n * width : 0)
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
        time0.multiply(rows: u, m[s.embedding], parameters: p, into: m[s.t1])
        activation.apply(rows: u, columns: width, m[s.t1], bias: p + time0.bias, slope: slope, aux: aux ? m[s.t1aux] : nil)
        time1.multiply(rows: u, m[s.t1], parameters: p, into: m[s.e])
        activation.apply(rows: u, columns: width, m[s.e], bias: p + time1.bias, slope: slope, aux: aux ? m[s.eaux] : nil)
        let z = m[s.z], timeRows = m[s.timeRows]
        input.multiply(rows: n, m[s.x], parameters: p, into: m[s.h])
        addBias(rows: n, columns: width, m[s.h], bias: p + input.bias)
        var h = m[s.h]
        for (k, block) in blocks.enumerated() {
            let b = s.blocks[k], c = block.inputs
            if let source = skipSource(ofBlock: k) { concatenate(rows: n, h, m[s.blocks[source].output], into: m[b.input]) }
            let input = blockInput(k, arena: m, slots: s)
            normForward(block.norm1, rows: n, features: c, input, parameters: p, xhat: m[b.xhat1], rstd: m[b.rstd1], into: m[b.a1])
            activation.apply(rows: n, columns: c, m[b.a1], bias: nil, slope: slope, aux: aux ? m[b.s1] : nil)
            // z = a1·W₁ + (e·W_t + b_t + b₁)[timestep of the row].
            block.time.multiply(rows: u, m[s.e], parameters: p, into: timeRows)
            addBias(rows: u, columns: width, timeRows, bias: p + block.time.bias)
            addBias(rows: u, columns: width, timeRows, bias: p + block.linear1.bias)
            block.linear1.multiply(rows: n, m[b.a1], parameters: p, into: z)
            levels.index.withUnsafeBufferPointer { S.addRows(rows: n, columns: width, z, table: timeRows, index: $0.baseAddress!) }
            normForward(block.norm2, rows: n, features: width, z, parameters: p, xhat: m[b.xhat2], rstd: m[b.rstd2], into: m[b.a2])
            activation.apply(rows: n, columns: width, m[b.a2], bias: nil, slope: slope, aux: aux ? m[b.s2] : nil)
            var dropped = m[b.a2]
            if dropout > 0 {
                dropped = m[b.d2]
                dropped.update(from: m[b.a2], count: n * width)
                if let noise {
                    noise.fillMask(layer: k, firstRow: firstRow, rows: n, columns: width, into: m[b.mask])
                    S.multiply(count: n * width, dropped, m[b.mask])
                } else {
                    // Evaluation mode: no mask; the backward pass sees a mask of ones.
                    m[b.mask].update(repeating: 1, count: n * width)
                }
            }
            let out = m[b.output]
            if let skip = block.skip {
                skip.multiply(rows: n, input, parameters: p, into: out)
                addBias(rows: n, columns: width, out, bias: p + skip.bias)
            } else {
                out.update(from: input, count: n * width)
            }
            block.linear2.multiply(rows: n, dropped, parameters: p, into: out, accumulate: true)
            addBias(rows: n, columns: width, out, bias: p + block.linear2.bias)
            h = out
        }
        normForward(outputNorm, rows: n, features: width, h, parameters: p, xhat: m[s.xhat], rstd: m[s.rstd], into: m[s.a])
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
            let block = blocks[k], b = s.blocks[k], c = block.inputs
            // dh = ∂L/∂(output of block k): from the next block, plus the out-block that concatenates it.
            if k < depth { S.add(count: n * width, dh, m[b.skipGradient]) }
            block.linear2.accumulateGradient(rows: n, input: dropout > 0 ? m[b.d2] : m[b.a2], outputGradient: dh, gradient: g)
            block.linear2.inputGradient(rows: n, outputGradient: dh, parameters: p, into: t1)
            if dropout > 0 { S.multiply(count: n * width, t1, m[b.mask]) }
            activation.backward(rows: n, columns: width, t1, output: m[b.a2], aux: aux ? m[b.s2] : nil, slope: slope)
            block.norm2?.backward(rows: n, t1, xhat: m[b.xhat2], rstd: m[b.rstd2], parameters: p, gradient: g, into: t1)
            block.linear1.accumulateGradient(rows: n, input: m[b.a1], outputGradient: t1, gradient: g)
            perLevel.update(repeating: 0, count: u * width)
            levels.index.withUnsafeBufferPointer { S.scatterAddRows(rows: n, columns: width, t1, index: $0.baseAddress!, into: perLevel) }
            block.time.accumulateGradient(rows: u, input: m[s.e], outputGradient: perLevel, gradient: g)
            block.time.inputGradient(rows: u, outputGradient: perLevel, parameters: p, into: de, accumulate: true)
            block.linear1.inputGradient(rows: n, outputGradient: t1, parameters: p, into: t2)
            activation.backward(rows: n, columns: c, t2, output: m[b.a1], aux: aux ? m[b.s1] : nil, slope: slope)
            block.norm1?.backward(rows: n, t2, xhat: m[b.xhat1], rstd: m[b.rstd1], parameters: p, gradient: g, into: t2)
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
        activation.backward(rows: u, columns: width, de, output: m[s.e], aux: aux ? m[s.eaux] : nil, slope: slope)
        time1.accumulateGradient(rows: u, input: m[s.t1], outputGradient: de, gradient: g)
        time1.inputGradient(rows: u, outputGradient: de, parameters: p, into: t2)
        activation.backward(rows: u, columns: width, t2, output: m[s.t1], aux: aux ? m[s.t1aux] : nil, slope: slope)
        time0.accumulateGradient(rows: u, input: m[s.embedding], outputGradient: t2, gradient: g)
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
        embeddingTable.withRow(t) { row in time0.multiply(rows: 1, row, parameters: p, into: m[s.t]) }
        activation.apply(rows: 1, columns: width, m[s.t], bias: p + time0.bias, slope: slope, aux: nil)
        time1.multiply(rows: 1, m[s.t], parameters: p, into: m[s.e])
        activation.apply(rows: 1, columns: width, m[s.e], bias: p + time1.bias, slope: slope, aux: nil)
        for (k, block) in blocks.enumerated() {
            let c = m[s.constants] + k * width
            block.time.multiply(rows: 1, m[s.e], parameters: p, into: c)
            S.add(count: width, c, p + block.time.bias)
            S.add(count: width, c, p + block.linear1.bias)
        }
    }

    /// The weights the tile pass multiplies by.
    var packedLayers: [PackedLayer] {
        [input.forwardPacking()]
            + blocks.flatMap { [$0.linear1.forwardPacking(), $0.linear2.forwardPacking()] + ($0.skip.map { [$0.forwardPacking()] } ?? []) }
            + [output.forwardPacking()]
    }

    func infer<S: NetworkScalar>(rows n: Int, parameters p: UnsafePointer<S>, packed: PackedParameters<S>, arena m: Arena<S>,
                                 slots s: InferenceSlots) -> UnsafeMutablePointer<S> {
        let u = m[s.u], z = m[s.z]
        input.dense(rows: n, m[s.input], packed: packed, bias: p + input.bias, into: m[s.h])
        var h = m[s.h]
        for (k, block) in blocks.enumerated() {
            let c = block.inputs
            var x = h
            if let source = skipSource(ofBlock: k) {
                concatenate(rows: n, h, m[s.outputs[source]], into: m[s.concatenated])
                x = m[s.concatenated]
            }
            normForward(block.norm1, rows: n, features: c, x, parameters: p, xhat: m[s.xhat], rstd: m[s.rstd], into: u)
            activation.apply(rows: n, columns: c, u, bias: nil, slope: slope, aux: nil)
            block.linear1.dense(rows: n, u, packed: packed, bias: m[s.constants] + k * width, into: z)
            normForward(block.norm2, rows: n, features: width, z, parameters: p, xhat: m[s.xhat], rstd: m[s.rstd], into: u)
            activation.apply(rows: n, columns: width, u, bias: nil, slope: slope, aux: nil)
            let out = m[s.outputs[k]]
            if let skip = block.skip {
                skip.dense(rows: n, x, packed: packed, bias: p + skip.bias, into: out)
            } else {
                out.update(from: x, count: n * width)
            }
            block.linear2.dense(rows: n, u, packed: packed, bias: p + block.linear2.bias, accumulate: true, into: out)
            h = out
        }
        normForward(outputNorm, rows: n, features: width, h, parameters: p, xhat: m[s.xhat], rstd: m[s.rstd], into: u)
        activation.apply(rows: n, columns: width, u, bias: nil, slope: slope, aux: nil)
        let out = m[s.output]
        output.dense(rows: n, u, packed: packed, bias: p + output.bias, into: out)
        return out
    }
}
