/// h + second(first(h)): a residual block of two `ConvUnit`s at one resolution.
public struct ResidualPair: Sendable, Equatable {
    public let first: ConvUnit
    public let second: ConvUnit

    public init(first: ConvUnit, second: ConvUnit) {
        precondition(first.conv.inputs == second.conv.outputs && first.outputCount == second.inputCount && second.outputCount == first.inputCount,
                     "a residual block maps an image to one of the same shape")
        self.first = first
        self.second = second
    }
}

/// A chain of `ConvUnit`s on one channels-last image: `head` units, residual blocks, `tail`
/// units. When the blocks use AdaIN, each pass takes a modulation vector [γ₀ − 1, β₀, γ₁ − 1, β₁, …]
/// (one (γ − 1, β) pair of length channels per AdaIN layer, block by block, first then second;
/// γ = 1 + the MLP output, so that an untrained MLP leaves the normalised features as they are).
public struct ConvStack: Sendable, Equatable {
    public let head: [ConvUnit]
    public let blocks: [ResidualPair]
    public let tail: [ConvUnit]

    public init(head: [ConvUnit], blocks: [ResidualPair] = [], tail: [ConvUnit] = []) {
        precondition(!(head + tail).isEmpty || !blocks.isEmpty, "a stack needs at least one unit")
        self.head = head
        self.blocks = blocks
        self.tail = tail
    }

    var units: [ConvUnit] { head + blocks.flatMap { [$0.first, $0.second] } + tail }
    var first: ConvUnit { units.first! }
    var last: ConvUnit { units.last! }
    /// Values of one input and one output image.
    public var inputCount: Int { first.inputCount }
    public var outputCount: Int { last.outputCount }
    /// Scalars of the im2col buffer a pass needs.
    public var columnCount: Int { units.map(\.columnCount).max()! }
    /// Length of the modulation vector (0 without AdaIN).
    public var modulationCount: Int {
        blocks.reduce(0) { sum, b in
            sum + [b.first, b.second].reduce(0) { $0 + ($1.norm == .adaptive ? 2 * $1.conv.outputs : 0) }
        }
    }
    var packing: [PackedLayer] { units.map(\.conv.packing) }

    /// The stack's convolution weights packed for its forward passes (repack after every update).
    public func packedParameters<S: NetworkScalar>(_ p: UnsafePointer<S>) -> PackedParameters<S> { PackedParameters(layers: packing, parameters: p) }

    public struct Pass<S: NetworkScalar>: Sendable {
        let head: [ConvUnit.Pass<S>]
        let blocks: [(ConvUnit.Pass<S>, ConvUnit.Pass<S>)]
        let tail: [ConvUnit.Pass<S>]
        /// γ of every AdaIN layer, concatenated.
        let gammas: [S]
        public let output: [S]
    }

    /// (offset of γ − 1 in the modulation, offset in `gammas`) of each AdaIN unit, in block order.
    private func adaptiveOffsets() -> [[Int?]] {
        var offset = 0
        return blocks.map { b in
            [b.first, b.second].map { u -> Int? in
                guard u.norm == .adaptive else { return nil }
                defer { offset += 2 * u.conv.outputs }
                return offset
            }
        }
    }

    public func forward<S: NetworkScalar>(_ x: [S], modulation: [S]? = nil, parameters p: UnsafePointer<S>, packed: PackedParameters<S>,
                                          column: UnsafeMutablePointer<S>) -> Pass<S> {
        precondition((modulation?.count ?? 0) == modulationCount, "the stack takes \(modulationCount) modulation values")
        var gammas = [S](repeating: 0, count: modulationCount / 2)
        var h = x
        var headPasses: [ConvUnit.Pass<S>] = [], tailPasses: [ConvUnit.Pass<S>] = []
        var blockPasses: [(ConvUnit.Pass<S>, ConvUnit.Pass<S>)] = []
        for u in head {
            let pass = u.forward(h, parameters: p, packed: packed, column: column)
            h = pass.output
            headPasses.append(pass)
        }
        let offsets = adaptiveOffsets()
        for (k, b) in blocks.enumerated() {
            var passes: [ConvUnit.Pass<S>] = []
            var input = h
            for (j, u) in [b.first, b.second].enumerated() {
                if let o = offsets[k][j], let m = modulation {
                    let c = u.conv.outputs
                    for i in 0..<c { gammas[o / 2 + i] = 1 + m[o + i] }
                    let pass = gammas.withUnsafeBufferPointer { gs in
                        m.withUnsafeBufferPointer { ms in
                            u.forward(input, gamma: gs.baseAddress! + o / 2, beta: ms.baseAddress! + o + c, parameters: p, packed: packed, column: column)
                        }
                    }
                    passes.append(pass)
                } else {
                    passes.append(u.forward(input, parameters: p, packed: packed, column: column))
                }
                input = passes.last!.output
            }
            for i in 0..<h.count { h[i] += input[i] }
            blockPasses.append((passes[0], passes[1]))
        }
        for u in tail {
            let pass = u.forward(h, parameters: p, packed: packed, column: column)
            h = pass.output
            tailPasses.append(pass)
        }
        return Pass(head: headPasses, blocks: blockPasses, tail: tailPasses, gammas: gammas, output: h)
    }

    /// Backward from ∂L/∂y: accumulates the parameter gradient, writes ∂L/∂modulation into
    /// `modulationGradient` (when the stack has AdaIN) and returns ∂L/∂x (empty unless `inputGradient`).
    public func backward<S: NetworkScalar>(_ pass: Pass<S>, outputGradient dy: [S], modulationGradient: inout [S],
                                           parameters p: UnsafePointer<S>, gradient g: UnsafeMutablePointer<S>,
                                           column: UnsafeMutablePointer<S>, inputGradient: Bool = true) -> [S] {
        precondition(modulationGradient.count == modulationCount, "the modulation gradient needs \(modulationCount) values")
        var d = dy
        for (u, up) in zip(tail, pass.tail).reversed() {
            d = u.backward(up, outputGradient: d, parameters: p, gradient: g, column: column)
        }
        let offsets = adaptiveOffsets()
        for (k, b) in blocks.enumerated().reversed() {
            let (firstPass, secondPass) = pass.blocks[k]
            var inner = d
            for (j, (u, up)) in [(b.second, secondPass), (b.first, firstPass)].enumerated() {
                let isLast = k == 0 && j == 1 && head.isEmpty && !inputGradient
                if let o = offsets[k][1 - j] {
                    let c = u.conv.outputs
                    inner = pass.gammas.withUnsafeBufferPointer { gs in
                        modulationGradient.withUnsafeMutableBufferPointer { dm in
                            u.backward(up, outputGradient: inner, gamma: gs.baseAddress! + o / 2, dGamma: dm.baseAddress! + o,
                                       dBeta: dm.baseAddress! + o + c, parameters: p, gradient: g, column: column, inputGradient: !isLast)
                        }
                    }
                } else {
                    inner = u.backward(up, outputGradient: inner, parameters: p, gradient: g, column: column, inputGradient: !isLast)
                }
            }
            if !inner.isEmpty { for i in 0..<d.count { d[i] += inner[i] } }
        }
        for (i, (u, up)) in zip(head, pass.head).enumerated().reversed() {
            d = u.backward(up, outputGradient: d, parameters: p, gradient: g, column: column, inputGradient: i > 0 || inputGradient)
        }
        return inputGradient ? d : []
    }
}
