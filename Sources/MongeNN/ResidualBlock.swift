/// The residual block of DDIB's 2-D ε-models (guided-diffusion's `ResBlock` on vectors), shared
/// by `ResidualBody` and `DDIBUNetBody`: it maps X (C = `inputs` channels) to
///
///     skip(X) + Linear₂(drop(act(norm₂(Linear₁(act(norm₁(X))) + Linear_t(e)))))
///
/// with skip the identity (C = W) or Linear(C → W) (an out-block of the U-net, C = 2W), and
/// Linear₂ starting at zero (DDIB's `zero_module`). The time term is added per distinct timestep
/// (`TimestepLevels`): c = e·W_t + b_t + b₁ once per level, then gathered into the rows.
struct ResidualBlock: Sendable {
    /// Channels in: W, or 2W for an out-block.
    let inputs: Int
    /// Channels out (W).
    let width: Int
    let norm1: GroupNorm?
    let linear1: Linear
    let time: Linear
    let norm2: GroupNorm?
    let linear2: Linear
    /// Linear(C → W) of the skip path; nil for the identity.
    let skip: Linear?

    /// The parameters `prefix.norm1`, `.linear1`, `.time`, `.norm2`, `.linear2` (and `.skip` when
    /// C ≠ W), in this order; `norm` makes a group norm of a name and feature count, or nil.
    init(_ prefix: String, inputs c: Int, width: Int, norm: (String, Int, inout ParameterLayout) -> GroupNorm?,
         layout: inout ParameterLayout) {
        inputs = c
        self.width = width
        norm1 = norm("\(prefix).norm1", c, &layout)
        linear1 = Linear("\(prefix).linear1", inputs: c, outputs: width, layout: &layout)
        time = Linear("\(prefix).time", inputs: width, outputs: width, layout: &layout)
        norm2 = norm("\(prefix).norm2", width, &layout)
        linear2 = Linear("\(prefix).linear2", inputs: width, outputs: width, layout: &layout, zeroInitialized: true)
        skip = c == width ? nil : Linear("\(prefix).skip", inputs: c, outputs: width, layout: &layout)
    }

    /// y = norm(x) over `features` columns, or a copy of x without a norm (none when y is x).
    @inline(__always)
    static func normForward<S: NetworkScalar>(_ norm: GroupNorm?, rows n: Int, features c: Int, _ x: UnsafePointer<S>,
                                              parameters p: UnsafePointer<S>, xhat: UnsafeMutablePointer<S>,
                                              rstd: UnsafeMutablePointer<S>, into y: UnsafeMutablePointer<S>) {
        if let norm {
            norm.forward(rows: n, x, parameters: p, xhat: xhat, rstd: rstd, into: y)
        } else if UnsafePointer(y) != x {
            y.update(from: x, count: n * c)
        }
    }

    // MARK: Training

    /// A block's training buffers (arena slots); `input`, `output` and `skipGradient` are the
    /// U-net's (its concatenated input, its output kept for a skip, the gradient a skip sends back).
    struct Slots: Sendable {
        var input = 0, xhat1 = 0, rstd1 = 0, a1 = 0, s1 = 0, xhat2 = 0, rstd2 = 0, a2 = 0, s2 = 0, mask = 0, d2 = 0
        var output = 0, skipGradient = 0
    }

    /// Plans the activations the backward pass needs, in the order xhat1, rstd1, a1, s1, xhat2,
    /// rstd2, a2, s2, mask, d2.
    func planActivations(rows n: Int, groups: Int, needsAux aux: Bool, dropout: Double, plan: inout ArenaPlan, into b: inout Slots) {
        let c = inputs
        b.xhat1 = plan.next(n * c); b.rstd1 = plan.next(n * groups)
        b.a1 = plan.next(n * c); b.s1 = plan.next(aux ? n * c : 0)
        b.xhat2 = plan.next(n * width); b.rstd2 = plan.next(n * groups)
        b.a2 = plan.next(n * width); b.s2 = plan.next(aux ? n * width : 0)
        b.mask = plan.next(dropout > 0 ? n * width : 0)
        b.d2 = plan.next(dropout > 0 ? n * width : 0)
    }

    /// out = skip(x) + Linear₂(…) for the rows of a chunk; `e` holds the time features of the
    /// `levels`, `timeRows` and `z` are scratch of n·W. `out` may be `x` (identity skip, in place).
    func forward<S: NetworkScalar>(rows n: Int, layer k: Int, _ x: UnsafePointer<S>, into out: UnsafeMutablePointer<S>,
                                   timeFeatures e: UnsafePointer<S>, levels: TimestepLevels, timeRows: UnsafeMutablePointer<S>,
                                   z: UnsafeMutablePointer<S>, parameters p: UnsafePointer<S>, arena m: Arena<S>, slots b: Slots,
                                   activation: Activation, slope: Double, dropout: Double, noise: DropoutNoise?, firstRow: Int) {
        let aux = activation.needsAux, c = inputs, u = levels.count
        Self.normForward(norm1, rows: n, features: c, x, parameters: p, xhat: m[b.xhat1], rstd: m[b.rstd1], into: m[b.a1])
        activation.apply(rows: n, columns: c, m[b.a1], bias: nil, slope: slope, aux: aux ? m[b.s1] : nil)
        // z = a1·W₁ + (e·W_t + b_t + b₁)[timestep of the row].
        time.multiply(rows: u, e, parameters: p, into: timeRows)
        addBias(rows: u, columns: width, timeRows, bias: p + time.bias)
        addBias(rows: u, columns: width, timeRows, bias: p + linear1.bias)
        linear1.multiply(rows: n, m[b.a1], parameters: p, into: z)
        levels.index.withUnsafeBufferPointer { S.addRows(rows: n, columns: width, z, table: timeRows, index: $0.baseAddress!) }
        Self.normForward(norm2, rows: n, features: width, z, parameters: p, xhat: m[b.xhat2], rstd: m[b.rstd2], into: m[b.a2])
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
        if let skip {
            skip.multiply(rows: n, x, parameters: p, into: out)
            addBias(rows: n, columns: width, out, bias: p + skip.bias)
        } else if UnsafePointer(out) != x {
            out.update(from: x, count: n * width)
        }
        linear2.multiply(rows: n, dropped, parameters: p, into: out, accumulate: true)
        addBias(rows: n, columns: width, out, bias: p + linear2.bias)
    }

    /// The backward pass of the residual branch: from dh = ∂L/∂out it accumulates the block's
    /// parameter gradients (all but the skip's) and the time features' gradient into `de`, and
    /// leaves ∂L/∂x through the branch in `dx` (n × C); the caller adds the skip path's share.
    /// `t1` (n·W) and `perLevel` (levels·W) are scratch.
    func backward<S: NetworkScalar>(rows n: Int, outputGradient dh: UnsafePointer<S>, timeFeatures e: UnsafePointer<S>,
                                    levels: TimestepLevels, timeGradient de: UnsafeMutablePointer<S>,
                                    parameters p: UnsafePointer<S>, arena m: Arena<S>, slots b: Slots, gradient g: UnsafeMutablePointer<S>,
                                    scratch t1: UnsafeMutablePointer<S>, perLevel: UnsafeMutablePointer<S>, into dx: UnsafeMutablePointer<S>,
                                    activation: Activation, slope: Double, dropout: Double) {
        let aux = activation.needsAux, u = levels.count
        linear2.accumulateGradient(rows: n, input: dropout > 0 ? m[b.d2] : m[b.a2], outputGradient: dh, gradient: g)
        linear2.inputGradient(rows: n, outputGradient: dh, parameters: p, into: t1)
        if dropout > 0 { S.multiply(count: n * width, t1, m[b.mask]) }
        activation.backward(rows: n, columns: width, t1, output: m[b.a2], aux: aux ? m[b.s2] : nil, slope: slope)
        norm2?.backward(rows: n, t1, xhat: m[b.xhat2], rstd: m[b.rstd2], parameters: p, gradient: g, into: t1)
        linear1.accumulateGradient(rows: n, input: m[b.a1], outputGradient: t1, gradient: g)
        // The time projection saw one row per timestep: sum dz per timestep first.
        perLevel.update(repeating: 0, count: u * width)
        levels.index.withUnsafeBufferPointer { S.scatterAddRows(rows: n, columns: width, t1, index: $0.baseAddress!, into: perLevel) }
        time.accumulateGradient(rows: u, input: e, outputGradient: perLevel, gradient: g)
        time.inputGradient(rows: u, outputGradient: perLevel, parameters: p, into: de, accumulate: true)
        linear1.inputGradient(rows: n, outputGradient: t1, parameters: p, into: dx)
        activation.backward(rows: n, columns: inputs, dx, output: m[b.a1], aux: aux ? m[b.s1] : nil, slope: slope)
        norm1?.backward(rows: n, dx, xhat: m[b.xhat1], rstd: m[b.rstd1], parameters: p, gradient: g, into: dx)
    }

    // MARK: Inference at one timestep

    /// The timestep-only part: c = e·W_t + b_t + b₁ (one row).
    func prepare<S: NetworkScalar>(timeFeatures e: UnsafePointer<S>, parameters p: UnsafePointer<S>, into c: UnsafeMutablePointer<S>) {
        time.multiply(rows: 1, e, parameters: p, into: c)
        S.add(count: width, c, p + time.bias)
        S.add(count: width, c, p + linear1.bias)
    }

    /// The weights the tile pass multiplies by.
    var packedLayers: [PackedLayer] {
        [linear1.forwardPacking(), linear2.forwardPacking()] + (skip.map { [$0.forwardPacking()] } ?? [])
    }

    /// out = skip(x) + Linear₂(…) at one timestep, `constant` from `prepare`. Scratch: `u` (n·C),
    /// `z` (n·W), `xhat` and `rstd` of the norms; `z` may be `xhat` (norm₂ then works in place),
    /// and `out` may be `x` (identity skip, in place).
    func infer<S: NetworkScalar>(rows n: Int, _ x: UnsafePointer<S>, into out: UnsafeMutablePointer<S>, constant: UnsafePointer<S>,
                                 parameters p: UnsafePointer<S>, packed: PackedParameters<S>, u: UnsafeMutablePointer<S>,
                                 z: UnsafeMutablePointer<S>, xhat: UnsafeMutablePointer<S>, rstd: UnsafeMutablePointer<S>,
                                 activation: Activation, slope: Double) {
        Self.normForward(norm1, rows: n, features: inputs, x, parameters: p, xhat: xhat, rstd: rstd, into: u)
        activation.apply(rows: n, columns: inputs, u, bias: nil, slope: slope, aux: nil)
        linear1.dense(rows: n, u, packed: packed, bias: constant, into: z)
        Self.normForward(norm2, rows: n, features: width, z, parameters: p, xhat: xhat, rstd: rstd, into: u)
        activation.apply(rows: n, columns: width, u, bias: nil, slope: slope, aux: nil)
        if let skip {
            skip.dense(rows: n, x, packed: packed, bias: p + skip.bias, into: out)
        } else if UnsafePointer(out) != x {
            out.update(from: x, count: n * width)
        }
        linear2.dense(rows: n, u, packed: packed, bias: p + linear2.bias, accumulate: true, into: out)
    }
}

/// The time features of the residual ε-models: e = act(Linear_t1(act(Linear_t0(temb(t))))), with
/// parameters `time.0` and `time.1`; computed once per distinct timestep of a chunk.
struct TimeFeatures: Sendable {
    let time0: Linear
    let time1: Linear
    let width: Int

    init(embedding: Int, width: Int, layout: inout ParameterLayout) {
        time0 = Linear("time.0", inputs: embedding, outputs: width, layout: &layout)
        time1 = Linear("time.1", inputs: width, outputs: width, layout: &layout)
        self.width = width
    }

    /// e (u × W) of `u` embedding rows; `t1` keeps the hidden layer, the aux buffers what the
    /// activation's backward pass needs (nil when it needs none).
    func forward<S: NetworkScalar>(rows u: Int, embedding: UnsafePointer<S>, hidden t1: UnsafeMutablePointer<S>,
                                   hiddenAux: UnsafeMutablePointer<S>?, into e: UnsafeMutablePointer<S>, aux: UnsafeMutablePointer<S>?,
                                   parameters p: UnsafePointer<S>, activation: Activation, slope: Double) {
        time0.multiply(rows: u, embedding, parameters: p, into: t1)
        activation.apply(rows: u, columns: width, t1, bias: p + time0.bias, slope: slope, aux: hiddenAux)
        time1.multiply(rows: u, t1, parameters: p, into: e)
        activation.apply(rows: u, columns: width, e, bias: p + time1.bias, slope: slope, aux: aux)
    }

    /// Accumulates the parameter gradients from de = ∂L/∂e (overwritten); `scratch` holds u × W.
    func backward<S: NetworkScalar>(rows u: Int, featureGradient de: UnsafeMutablePointer<S>, embedding: UnsafePointer<S>,
                                    hidden t1: UnsafePointer<S>, hiddenAux: UnsafePointer<S>?, features e: UnsafePointer<S>,
                                    aux: UnsafePointer<S>?, parameters p: UnsafePointer<S>, gradient g: UnsafeMutablePointer<S>,
                                    scratch t2: UnsafeMutablePointer<S>, activation: Activation, slope: Double) {
        activation.backward(rows: u, columns: width, de, output: e, aux: aux, slope: slope)
        time1.accumulateGradient(rows: u, input: t1, outputGradient: de, gradient: g)
        time1.inputGradient(rows: u, outputGradient: de, parameters: p, into: t2)
        activation.backward(rows: u, columns: width, t2, output: t1, aux: hiddenAux, slope: slope)
        time0.accumulateGradient(rows: u, input: embedding, outputGradient: t2, gradient: g)
    }

    /// e of one timestep `t` (inference); `t1` is scratch of W.
    func prepare<S: NetworkScalar>(timestep t: Int, embeddingTable: TimeEmbedding<S>, parameters p: UnsafePointer<S>,
                                   hidden t1: UnsafeMutablePointer<S>, into e: UnsafeMutablePointer<S>, activation: Activation, slope: Double) {
        embeddingTable.withRow(t) { row in time0.multiply(rows: 1, row, parameters: p, into: t1) }
        activation.apply(rows: 1, columns: width, t1, bias: p + time0.bias, slope: slope, aux: nil)
        time1.multiply(rows: 1, t1, parameters: p, into: e)
        activation.apply(rows: 1, columns: width, e, bias: p + time1.bias, slope: slope, aux: nil)
    }
}
