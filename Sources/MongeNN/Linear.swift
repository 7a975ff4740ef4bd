/// An affine layer y = x·W + b with W stored `[inputs, outputs]` in the flat parameter array.
///
/// Forward writes x·W (one GEMM); the bias is added by the activation kernel in the same pass
/// over y (`Activation.apply`). Backward accumulates dW += xᵀ·dy and db += Σ_rows dy, and
/// writes or accumulates dx = dy·Wᵀ.
public struct Linear: Sendable, Equatable {
    public let inputs: Int
    public let outputs: Int
    public let weight: Int
    public let bias: Int

    /// Registers `name.weight` and `name.bias` with PyTorch's default initialisation
    /// U(±1/√inputs), or zeros when `zeroInitialized` (DDIB's `zero_module`).
    public init(_ name: String, inputs: Int, outputs: Int, layout: inout ParameterLayout, zeroInitialized: Bool = false) {
        self.inputs = inputs
        self.outputs = outputs
        let bound = 1 / Double(inputs).squareRoot()
        let initialization: ParameterLayout.Initialization = zeroInitialized ? .constant(0) : .uniform(bound: bound)
        weight = layout.add("\(name).weight", shape: [inputs, outputs], initialization: initialization)
        bias = layout.add("\(name).bias", shape: [outputs], initialization: initialization)
    }

    /// y ← x·W (+ y when `accumulate`), for `rows` rows; x has leading dimension `ldx`. With
    /// `inputs`, only the first `inputs` rows of W (and columns of x) take part.
    @inline(__always)
    public func multiply<S: NetworkScalar>(rows: Int, _ x: UnsafePointer<S>, ldx: Int? = nil, parameters: UnsafePointer<S>,
                                           inputs k: Int? = nil, into y: UnsafeMutablePointer<S>, accumulate: Bool = false) {
        S.gemm(transposeA: false, transposeB: false, m: rows, n: outputs, k: k ?? inputs, alpha: 1,
               a: x, lda: ldx ?? inputs, b: parameters + weight, ldb: outputs,
               beta: accumulate ? 1 : 0, c: y, ldc: outputs)
    }

    /// dW += xᵀ·dy and db += Σ dy.
    @inline(__always)
    public func accumulateGradient<S: NetworkScalar>(rows: Int, input x: UnsafePointer<S>, ldx: Int? = nil,
                                              outputGradient dy: UnsafePointer<S>, gradient: UnsafeMutablePointer<S>) {
        S.gemm(transposeA: true, transposeB: false, m: inputs, n: outputs, k: rows, alpha: 1,
               a: x, lda: ldx ?? inputs, b: dy, ldb: outputs, beta: 1, c: gradient + weight, ldc: outputs)
        S.addColumnSums(rows: rows, columns: outputs, dy, into: gradient + bias)
    }

    /// dx ← dy·Wᵀ (+ dx when `accumulate`).
    @inline(__always)
    public func inputGradient<S: NetworkScalar>(rows: Int, outputGradient dy: UnsafePointer<S>, parameters: UnsafePointer<S>,
                                         into dx: UnsafeMutablePointer<S>, accumulate: Bool = false) {
        S.gemm(transposeA: false, transposeB: true, m: rows, n: inputs, k: outputs, alpha: 1,
               a: dy, lda: outputs, b: parameters + weight, ldb: outputs,
               beta: accumulate ? 1 : 0, c: dx, ldc: inputs)
    }
}

extension Activation {
    /// z ← act(z + bias) in place; SiLU keeps σ(z + bias) in `aux` for the backward pass.
    @inline(__always)
    public func apply<S: NetworkScalar>(rows: Int, columns: Int, _ z: UnsafeMutablePointer<S>, bias: UnsafePointer<S>?,
                                 slope: Double, aux: UnsafeMutablePointer<S>?) {
        S.biasActivation(rows: rows, columns: columns, z, bias: bias, activation: kernelCode, slope: S(slope), aux: aux)
    }

    /// d ← d ⊙ act′ given the activation's output `a` (and σ in `aux` for SiLU).
    @inline(__always)
    public func backward<S: NetworkScalar>(rows: Int, columns: Int, _ d: UnsafeMutablePointer<S>, output a: UnsafePointer<S>,
                                    aux: UnsafePointer<S>?, slope: Double) {
        S.activationBackward(rows: rows, columns: columns, d, output: a, aux: aux, activation: kernelCode, slope: S(slope))
    }
}

/// Adds `bias` to every row of z (no activation).
@inline(__always)
func addBias<S: NetworkScalar>(rows: Int, columns: Int, _ z: UnsafeMutablePointer<S>, bias: UnsafePointer<S>) {
    S.biasActivation(rows: rows, columns: columns, z, bias: bias, activation: 0, slope: 0, aux: nil)
}

/// Group normalisation with a learned per-feature scale and shift (Wu & He 2018); one group is
/// layer normalisation. ε = 1e-5 as in PyTorch.
public struct GroupNorm: Sendable, Equatable {
    public let features: Int
    public let groups: Int
    public let scale: Int
    public let shift: Int
    public static let epsilon = 1e-5

    public init(_ name: String, features: Int, groups: Int, layout: inout ParameterLayout) {
        precondition(groups >= 1 && features % groups == 0, "groups must divide the features")
        self.features = features
        self.groups = groups
        scale = layout.add("\(name).scale", shape: [features], initialization: .constant(1))
        shift = layout.add("\(name).shift", shape: [features], initialization: .constant(0))
    }

    /// y = γ ⊙ x̂ + β; keeps x̂ and 1/σ per (row, group) for the backward pass. `y` may alias `x`.
    @inline(__always)
    public func forward<S: NetworkScalar>(rows: Int, _ x: UnsafePointer<S>, parameters: UnsafePointer<S>,
                                   xhat: UnsafeMutablePointer<S>, rstd: UnsafeMutablePointer<S>, into y: UnsafeMutablePointer<S>) {
        S.groupNormForward(rows: rows, columns: features, groups: groups, x, gamma: parameters + scale,
                           beta: parameters + shift, epsilon: S(GroupNorm.epsilon), xhat: xhat, rstd: rstd, output: y)
    }

    /// dx from dy (may alias), accumulating dγ and dβ.
    @inline(__always)
    public func backward<S: NetworkScalar>(rows: Int, _ dy: UnsafePointer<S>, xhat: UnsafePointer<S>, rstd: UnsafePointer<S>,
                                    parameters: UnsafePointer<S>, gradient: UnsafeMutablePointer<S>, into dx: UnsafeMutablePointer<S>) {
        S.groupNormBackward(rows: rows, columns: features, groups: groups, dy, xhat: xhat, rstd: rstd,
                            gamma: parameters + scale, dx: dx, dgamma: gradient + scale, dbeta: gradient + shift)
    }
}
