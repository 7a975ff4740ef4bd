/// MUNIT's AdaIN for MLPs: each row's features are normalised to mean 0 and variance 1, then
/// scaled and shifted by per-row γ and β (computed from that row's style code):
/// y = γ ⊙ (x − μ)/√(σ² + ε) + β, with μ and σ² the mean and (biased) variance of the row's
/// features and ε = 1e-5 as `GroupNorm`.
///
/// AdaIN normalises each channel over the image's positions; an MLP row has no positions, so the
/// statistics are taken over the row's features (layer normalisation) — the layer has no
/// parameters of its own: γ and β are inputs, and backward returns their gradients.
public struct AdaptiveLayerNorm: Sendable, Equatable {
    public let features: Int
    public static let epsilon = 1e-5

    public init(features: Int) {
        precondition(features >= 1, "a normalisation needs at least one feature")
        self.features = features
    }

    /// What backward needs: the normalised features x̂ and 1/√(σ² + ε) per row.
    public struct Cache<S: NetworkScalar>: Sendable {
        public let xhat: [S]
        public let rstd: [S]
    }

    /// y = γ ⊙ x̂ + β for `rows` rows of `x`, `gamma`, `beta` (each [rows, features], row-major).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func forward<S: NetworkScalar>(rows n: Int, _ x: UnsafePointer<S>, gamma: UnsafePointer<S>, ldGamma: Int,
                                          beta: UnsafePointer<S>, ldBeta: Int, into y: UnsafeMutablePointer<S>) -> Cache<S> {
        let w = features
        var xhat = [S](repeating: 0, count: n * w)
        var rstd = [S](repeating: 0, count: n)
        for i in 0..<n {
            let row = x + i * w
            var mean = S(0)
            for j in 0..<w { mean += row[j] }
            mean /= S(w)
            var variance = S(0)
            for j in 0..<w { let d = row[j] - mean; variance += d * d }
            variance /= S(w)
            let r = 1 / (variance + S(Self.epsilon)).squareRoot()
            rstd[i] = r
            for j in 0..<w {
                let h = (row[j] - mean) * r
                xhat[i * w + j] = h
                y[i * w + j] = gamma[i * ldGamma + j] * h + beta[i * ldBeta + j]
            }
        }
        return Cache(xhat: xhat, rstd: rstd)
    }

    /// From ∂L/∂y: writes ∂L/∂x into `dx` and ∂L/∂γ, ∂L/∂β into `dGamma`, `dBeta` (overwritten).
    /// dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)) with ĝ = γ ⊙ dy, exact also with ε.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func backward<S: NetworkScalar>(rows n: Int, _ dy: UnsafePointer<S>, cache: Cache<S>, gamma: UnsafePointer<S>, ldGamma: Int,
                                           dx: UnsafeMutablePointer<S>, dGamma: UnsafeMutablePointer<S>, dBeta: UnsafeMutablePointer<S>,
                                           ldModulation: Int) {
        let w = features
        for i in 0..<n {
            var meanG = S(0), meanGX = S(0)
            for j in 0..<w {
                let k = i * w + j
                let h = cache.xhat[k]
                dGamma[i * ldModulation + j] = dy[k] * h
                dBeta[i * ldModulation + j] = dy[k]
                let g = dy[k] * gamma[i * ldGamma + j]
                meanG += g
                meanGX += g * h
            }
            meanG /= S(w)
            meanGX /= S(w)
            let r = cache.rstd[i]
            for j in 0..<w {
                let k = i * w + j
                dx[k] = r * (dy[k] * gamma[i * ldGamma + j] - meanG - cache.xhat[k] * meanGX)
            }
        }
    }
}

/// Projects each row onto the unit sphere: c = u/‖u‖ (for a 2-D code, a point of the unit circle,
/// which makes an angle-like content periodic). ‖u‖ is floored at 1e-12 so a zero row gives no NaN.
public enum UnitNormalization {
    static let floor = 1e-12

    /// The rows of `u` divided by their norms, and the norms (for backward).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func forward<S: NetworkScalar>(_ u: Matrix<S>) -> (output: Matrix<S>, norms: [S]) {
        var c = u
        var norms = [S](repeating: 0, count: u.rows)
        for i in 0..<u.rows {
            var s = S(0)
            for j in 0..<u.columns { s += u[i, j] * u[i, j] }
            let r = max(s.squareRoot(), S(floor))
            norms[i] = r
            for j in 0..<u.columns { c[i, j] = u[i, j] / r }
        }
        return (c, norms)
    }

    /// ∂L/∂u = (dc − c·(c·dc))/‖u‖ from the outputs c, the norms and ∂L/∂c.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func backward<S: NetworkScalar>(output c: Matrix<S>, norms: [S], outputGradient dc: Matrix<S>) -> Matrix<S> {
        precondition(dc.shape == c.shape, "the output gradient must be \(c.rows)×\(c.columns)")
        var du = dc
        for i in 0..<c.rows {
            var dot = S(0)
            for j in 0..<c.columns { dot += c[i, j] * dc[i, j] }
            for j in 0..<c.columns { du[i, j] = (dc[i, j] - c[i, j] * dot) / norms[i] }
        }
        return du
    }
}
