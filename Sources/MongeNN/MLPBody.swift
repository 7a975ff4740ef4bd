/// The anchor ε-MLP of `bench_diffusion.py`: h₀ = act([x, temb(t)]·W_in + b_in),
/// h_l = act(h_{l−1}·W_l + b_l), ε̂ = h_{L−1}·W_out + b_out.
struct MLPBody: Sendable {
    let dimension: Int
    let width: Int
    let embedding: Int
    let activation: Activation
    let slope: Double
    let input: Linear
    let hidden: [Linear]
    let output: Linear

    init(config: ModelConfig, layout: inout ParameterLayout) {
        dimension = config.dimension
        width = config.width
        embedding = config.timeEmbedding
        activation = config.activation
        slope = config.negativeSlope
        input = Linear("input", inputs: dimension + embedding, outputs: width, layout: &layout)
        hidden = (1..<config.depth).map { Linear("hidden.\($0)", inputs: config.width, outputs: config.width, layout: &layout) }
        output = Linear("output", inputs: width, outputs: dimension, layout: &layout)
    }

    var depth: Int { hidden.count + 1 }

    // MARK: Training

    /// Buffers of a training pass over `rows` rows.
    struct Slots: Sendable {
        var input = 0, output = 0, gradientA = 0, gradientB = 0
        var levelEmbedding = 0, levelFeatures = 0, levelGradient = 0
        var hidden: [Int] = [], aux: [Int] = []
    }

    func slots(rows: Int, plan: inout ArenaPlan) -> Slots {
        var s = Slots()
        s.input = plan.next(rows * dimension)
        s.levelEmbedding = plan.next(rows * embedding)
        s.levelFeatures = plan.next(rows * width)
        s.levelGradient = plan.next(rows * width)
        for _ in 0..<depth {
            s.hidden.append(plan.next(rows * width))
            s.aux.append(plan.next(activation.needsAux ? rows * width : 0))
        }
        s.output = plan.next(rows * dimension)
        s.gradientA = plan.next(rows * width)
        s.gradientB = plan.next(rows * width)
        return s
    }

    /// The first layer splits as [x, temb(t)]·W_in = x·W_x + temb(t)·W_t: the second term is
    /// computed once per distinct timestep of the chunk (`TimestepLevels`) and added by row.
    func forward<S: NetworkScalar>(rows n: Int, x: UnsafePointer<S>, timesteps: UnsafePointer<Int>, parameters p: UnsafePointer<S>,
                                   embeddingTable: TimeEmbedding<S>, arena: Arena<S>, levels: TimestepLevels,
                                   slots s: Slots) -> UnsafeMutablePointer<S> {
        let x0 = arena[s.input]
        x0.update(from: x, count: n * dimension)
        levels.build(timesteps, rows: n)
        let u = levels.count
        levels.levels.withUnsafeBufferPointer {
            embeddingTable.gather(rows: u, timesteps: $0.baseAddress!, into: arena[s.levelEmbedding], ld: embedding)
        }
        let features = arena[s.levelFeatures], h0 = arena[s.hidden[0]]
        S.gemm(transposeA: false, transposeB: false, m: u, n: width, k: embedding, alpha: 1, a: arena[s.levelEmbedding],
               lda: embedding, b: p + input.weight + dimension * width, ldb: width, beta: 0, c: features, ldc: width)
        input.multiply(rows: n, x0, ldx: dimension, parameters: p, inputs: dimension, into: h0)
        levels.index.withUnsafeBufferPointer { S.addRows(rows: n, columns: width, h0, table: features, index: $0.baseAddress!) }
        activation.apply(rows: n, columns: width, h0, bias: p + input.bias, slope: slope, aux: activation.needsAux ? arena[s.aux[0]] : nil)
        for l in 1..<depth {
            let layer = hidden[l - 1]
            let h = arena[s.hidden[l]]
            layer.multiply(rows: n, arena[s.hidden[l - 1]], parameters: p, into: h)
            activation.apply(rows: n, columns: width, h, bias: p + layer.bias, slope: slope, aux: activation.needsAux ? arena[s.aux[l]] : nil)
        }
        let out = arena[s.output]
        output.multiply(rows: n, arena[s.hidden[depth - 1]], parameters: p, into: out)
        addBias(rows: n, columns: dimension, out, bias: p + output.bias)
        return out
    }

    func backward<S: NetworkScalar>(rows n: Int, outputGradient: UnsafePointer<S>, parameters p: UnsafePointer<S>,
                                    arena: Arena<S>, levels: TimestepLevels, slots s: Slots, gradient g: UnsafeMutablePointer<S>,
                                    inputGradient dx: UnsafeMutablePointer<S>?) {
        output.accumulateGradient(rows: n, input: arena[s.hidden[depth - 1]], outputGradient: outputGradient, gradient: g)
        var current = arena[s.gradientA], other = arena[s.gradientB]
        output.inputGradient(rows: n, outputGradient: outputGradient, parameters: p, into: current)
        for l in stride(from: depth - 1, through: 0, by: -1) {
            activation.backward(rows: n, columns: width, current, output: arena[s.hidden[l]],
                                aux: activation.needsAux ? arena[s.aux[l]] : nil, slope: slope)
            if l > 0 {
                let layer = hidden[l - 1]
                layer.accumulateGradient(rows: n, input: arena[s.hidden[l - 1]], outputGradient: current, gradient: g)
                layer.inputGradient(rows: n, outputGradient: current, parameters: p, into: other)
                swap(&current, &other)
            }
        }
        // First layer: dW_x += xᵀ·dz, db += Σ dz, dW_t += temb(levels)ᵀ·(dz summed per timestep).
        S.gemm(transposeA: true, transposeB: false, m: dimension, n: width, k: n, alpha: 1, a: arena[s.input], lda: dimension,
               b: current, ldb: width, beta: 1, c: g + input.weight, ldc: width)
        S.addColumnSums(rows: n, columns: width, current, into: g + input.bias)
        let u = levels.count, perLevel = arena[s.levelGradient]
        perLevel.update(repeating: 0, count: u * width)
        levels.index.withUnsafeBufferPointer { S.scatterAddRows(rows: n, columns: width, current, index: $0.baseAddress!, into: perLevel) }
        S.gemm(transposeA: true, transposeB: false, m: embedding, n: width, k: u, alpha: 1, a: arena[s.levelEmbedding], lda: embedding,
               b: perLevel, ldb: width, beta: 1, c: g + input.weight + dimension * width, ldc: width)
        if let dx {
            // dx = dz·W_xᵀ with W_x the first `dimension` rows of W_in.
            S.gemm(transposeA: false, transposeB: true, m: n, n: dimension, k: width, alpha: 1,
                   a: current, lda: width, b: p + input.weight, ldb: width, beta: 0, c: dx, ldc: dimension)
        }
    }

    // MARK: Inference at one timestep

    struct InferenceSlots: Sendable {
        var input = 0, a = 0, b = 0, output = 0, constant = 0
    }

    func inferenceSlots(rows: Int, plan: inout ArenaPlan) -> InferenceSlots {
        var s = InferenceSlots()
        s.input = plan.next(rows * dimension)
        s.a = plan.next(rows * width)
        s.b = plan.next(rows * width)
        s.output = plan.next(rows * dimension)
        s.constant = plan.next(width)
        return s
    }

    /// Prepares the timestep-only part of the first layer: c = temb(t)·W_t + b_in.
    func prepare<S: NetworkScalar>(timestep t: Int, parameters p: UnsafePointer<S>, embeddingTable: TimeEmbedding<S>,
                                   arena: Arena<S>, slots s: InferenceSlots) {
        let c = arena[s.constant]
        embeddingTable.withRow(t) { e in
            S.gemm(transposeA: false, transposeB: false, m: 1, n: width, k: embedding, alpha: 1,
                   a: e, lda: embedding, b: p + input.weight + dimension * width, ldb: width, beta: 0, c: c, ldc: width)
        }
        S.add(count: width, c, p + input.bias)
    }

    /// The weights the tile pass multiplies by: W_x (the first `dimension` rows of W_in), hidden, output.
    var packedLayers: [PackedLayer] {
        [input.forwardPacking(inputs: dimension)] + hidden.map { $0.forwardPacking() } + [output.forwardPacking()]
    }

    /// ε̂ for the `rows` rows already copied into the input slot; returns the output slot.
    func infer<S: NetworkScalar>(rows n: Int, parameters p: UnsafePointer<S>, packed: PackedParameters<S>, arena: Arena<S>,
                                 slots s: InferenceSlots) -> UnsafeMutablePointer<S> {
        var current = arena[s.a], other = arena[s.b]
        // x·W_x plus the prepared timestep row, then the activation, in one kernel.
        input.dense(rows: n, arena[s.input], inputs: dimension, packed: packed, bias: arena[s.constant],
                    activation: activation, slope: slope, into: current)
        for layer in hidden {
            layer.dense(rows: n, current, packed: packed, bias: p + layer.bias, activation: activation, slope: slope, into: other)
            swap(&current, &other)
        }
        let out = arena[s.output]
        output.dense(rows: n, current, packed: packed, bias: p + output.bias, into: out)
        return out
    }
}
