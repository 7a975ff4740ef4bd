/// Instance normalisation of one channels-last image: every channel is normalised over the
/// image's pixels, y = γ_c·(x − μ_c)/√(σ²_c + ε) + β_c (biased variance, ε = 1e-5).
///
/// With γ = 1, β = 0 this is MUNIT's instance norm (PyTorch's InstanceNorm2d, affine off) of the
/// content encoder; with per-image γ, β from the style MLP it is MUNIT's AdaIN. It runs the
/// image path's GroupNorm kernel with one group per channel.
public struct InstanceNorm: Sendable, Equatable {
    public let channels: Int
    public static let epsilon = 1e-5

    public init(channels: Int) {
        precondition(channels >= 1, "instance norm needs at least one channel")
        self.channels = channels
    }

    /// μ_c and 1/√(σ²_c + ε) of one image, what backward needs.
    public struct Cache<S: NetworkScalar>: Sendable {
        public var mean: [S]
        public var rstd: [S]
    }

    /// y for one image of `pixels` pixels; `gamma`, `beta` (length channels) nil for 1 and 0.
    @inline(__always)
    public func forward<S: NetworkScalar>(pixels: Int, _ x: UnsafePointer<S>, gamma: UnsafePointer<S>?, beta: UnsafePointer<S>?,
                                          into y: UnsafeMutablePointer<S>) -> Cache<S> {
        var cache = Cache(mean: [S](repeating: 0, count: channels), rstd: [S](repeating: 0, count: channels))
        let ones = gamma == nil ? [S](repeating: 1, count: channels) : [], zeros = beta == nil ? [S](repeating: 0, count: channels) : []
        ones.withUnsafeBufferPointer { one in
            zeros.withUnsafeBufferPointer { zero in
                cache.mean.withUnsafeMutableBufferPointer { m in
                    cache.rstd.withUnsafeMutableBufferPointer { r in
                        S.groupNormActivationForward(pixels: pixels, channels: channels, groups: channels, x, gamma: gamma ?? one.baseAddress!,
                                                     beta: beta ?? zero.baseAddress!, epsilon: S(Self.epsilon), silu: false,
                                                     mean: m.baseAddress!, rstd: r.baseAddress!, into: y)
                    }
                }
            }
        }
        return cache
    }

    /// dx (written, or added when `accumulate`) from dy and the forward input x; adds ∂L/∂γ and
    /// ∂L/∂β into `dGamma`, `dBeta` when given (AdaIN's modulation gradients).
    @inline(__always)
    public func backward<S: NetworkScalar>(pixels: Int, _ dy: UnsafePointer<S>, x: UnsafePointer<S>, cache: Cache<S>, gamma: UnsafePointer<S>?,
                                           accumulate: Bool, into dx: UnsafeMutablePointer<S>,
                                           dGamma: UnsafeMutablePointer<S>? = nil, dBeta: UnsafeMutablePointer<S>? = nil) {
        let ones = gamma == nil ? [S](repeating: 1, count: channels) : []
        var discard = [S](repeating: 0, count: dGamma == nil || dBeta == nil ? 2 * channels : 0)
        ones.withUnsafeBufferPointer { one in
            discard.withUnsafeMutableBufferPointer { scratch in
                cache.mean.withUnsafeBufferPointer { m in
                    cache.rstd.withUnsafeBufferPointer { r in
                        // β enters the kernel's backward only through SiLU (off here): γ stands in for it.
                        let g = gamma ?? one.baseAddress!
                        S.groupNormActivationBackward(pixels: pixels, channels: channels, groups: channels, dy, x: x, mean: m.baseAddress!,
                                                      rstd: r.baseAddress!, gamma: g, beta: g, silu: false, accumulate: accumulate,
                                                      into: dx, dgamma: dGamma ?? scratch.baseAddress!,
                                                      dbeta: dBeta ?? scratch.baseAddress! + channels)
                    }
                }
            }
        }
    }
}

/// Global average pooling of one channels-last image: p_c = mean over the pixels of x_{·c}
/// (MUNIT's style encoder pools its last map into one vector).
public enum GlobalAveragePooling {
    /// p (length channels) from x (pixels × channels).
    @inline(__always)
    public static func forward<S: NetworkScalar>(pixels: Int, channels: Int, _ x: UnsafePointer<S>, into p: UnsafeMutablePointer<S>) {
        p.update(repeating: 0, count: channels)
        S.addColumnSums(rows: pixels, columns: channels, x, into: p)
        let scale = S(1 / Double(pixels))
        for c in 0..<channels { p[c] *= scale }
    }

    /// dx_{qc} = dp_c / pixels, written or added when `accumulate`.
    @inline(__always)
    public static func backward<S: NetworkScalar>(pixels: Int, channels: Int, _ dp: UnsafePointer<S>, accumulate: Bool,
                                                  into dx: UnsafeMutablePointer<S>) {
        let scale = S(1 / Double(pixels))
        for q in 0..<pixels {
            for c in 0..<channels {
                let v = dp[c] * scale
                dx[q * channels + c] = accumulate ? dx[q * channels + c] + v : v
            }
        }
    }
}
