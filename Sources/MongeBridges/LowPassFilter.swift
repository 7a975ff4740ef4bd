import MongeCore

/// EGSDE's low-pass filter on images (Zhao et al. 2022, §3.3): average-pool down-sampling by
/// `factor` followed by nearest-neighbour up-sampling back to the full size, so LP(x) keeps the
/// coarse, domain-independent content of x (each factor × factor cell replaced by its mean).
///
/// LP is linear and an orthogonal projection (symmetric and idempotent); `adjoint` applies LPᵀ
/// by its own code (pool's and up-sampling's transposes) so that a gradient check tests it.
public struct LowPassFilter: Sendable, Equatable, Codable {
    public let image: ImageShape
    public let factor: Int

    /// Throws when `factor` is < 1 or does not divide the image's height and width.
    public init(image: ImageShape, factor: Int) throws {
        guard factor >= 1 else { throw MongeError.invalidArgument(name: "low-pass factor", message: "must be at least 1, got \(factor)") }
        guard image.height % factor == 0, image.width % factor == 0 else {
            throw MongeError.invalidArgument(name: "low-pass factor",
                                             message: "\(factor) does not divide the image size \(image.height)×\(image.width)")
        }
        self.image = image
        self.factor = factor
    }

    /// The pooled image's size.
    public var pooled: ImageShape { ImageShape(channels: image.channels, height: image.height / factor, width: image.width / factor) }

    /// Average pooling A: each factor × factor cell of each channel to its mean (N × pooled dimension).
    public func pool<S: MatrixScalar>(_ x: Matrix<S>) -> Matrix<S> {
        precondition(x.columns == image.dimension, "the filter takes \(image) images, got \(x.columns) columns")
        let p = pooled, f = factor, h = image.height, w = image.width
        var out = Matrix<S>(rows: x.rows, columns: p.dimension)
        let scale = 1 / Double(f * f)
        for i in 0..<x.rows {
            for c in 0..<image.channels {
                for py in 0..<p.height {
                    for px in 0..<p.width {
                        var sum = 0.0
                        for dy in 0..<f { for dx in 0..<f { sum += Double(x[i, (c * h + py * f + dy) * w + px * f + dx]) } }
                        out[i, (c * p.height + py) * p.width + px] = S(sum * scale)
                    }
                }
            }
        }
        return out
    }

    /// Nearest-neighbour up-sampling U of pooled images back to the full size.
    public func upsample<S: MatrixScalar>(_ y: Matrix<S>) -> Matrix<S> {
        let p = pooled, f = factor, h = image.height, w = image.width
        precondition(y.columns == p.dimension, "up-sampling takes \(p) images, got \(y.columns) columns")
        var out = Matrix<S>(rows: y.rows, columns: image.dimension)
        for i in 0..<y.rows {
            for c in 0..<image.channels { for yy in 0..<h { for xx in 0..<w {
                out[i, (c * h + yy) * w + xx] = y[i, (c * p.height + yy / f) * p.width + xx / f]
            } } }
        }
        return out
    }

    /// LP(x) = U(A(x)) for every row of x.
    public func apply<S: MatrixScalar>(_ x: Matrix<S>) -> Matrix<S> { upsample(pool(x)) }

    /// LPᵀ(g) = Aᵀ(Uᵀ(g)): Uᵀ sums each cell, Aᵀ spreads a value / factor² over its cell.
    public func adjoint<S: MatrixScalar>(_ g: Matrix<S>) -> Matrix<S> {
        precondition(g.columns == image.dimension, "the filter takes \(image) images, got \(g.columns) columns")
        let p = pooled, f = factor, h = image.height, w = image.width
        var summed = Matrix<S>(rows: g.rows, columns: p.dimension)
        for i in 0..<g.rows {
            for c in 0..<image.channels { for yy in 0..<h { for xx in 0..<w {
                summed[i, (c * p.height + yy / f) * p.width + xx / f] += g[i, (c * h + yy) * w + xx]
            } } }
        }
        var out = Matrix<S>(rows: g.rows, columns: image.dimension)
        let scale = S(1 / Double(f * f))
        for i in 0..<g.rows {
            for c in 0..<image.channels { for yy in 0..<h { for xx in 0..<w {
                out[i, (c * h + yy) * w + xx] = summed[i, (c * p.height + yy / f) * p.width + xx / f] * scale
            } } }
        }
        return out
    }
}
