/// Pure transforms of flattened C×H×W images (the rows of an [N, C·H·W] matrix): the horizontal
/// flip of data augmentation, average pooling (the smaller images of quick runs) and centre crops
/// (the tiny images of tests).
public enum ImageTransforms {
    /// Writes the mirror image (columns reversed, every channel) of the image at `source` to
    /// `destination`; the two may not overlap. Exact: a flip only moves values.
    @inlinable
    public static func flipHorizontally<S>(_ source: UnsafePointer<S>, to destination: UnsafeMutablePointer<S>, shape: ImageShape) {
        let w = shape.width
        for row in 0..<(shape.channels * shape.height) {
            let offset = row * w
            for j in 0..<w { destination[offset + j] = source[offset + w - 1 - j] }
        }
    }

    /// Every row of `images` mirrored left–right.
    public static func flippedHorizontally<S: MatrixScalar>(_ images: Matrix<S>, shape: ImageShape) throws -> Matrix<S> {
        try check(images, shape)
        var out = Matrix<S>(rows: images.rows, columns: images.columns)
        images.storage.withUnsafeBufferPointer { x in
            out.storage.withUnsafeMutableBufferPointer { y in
                for i in 0..<images.rows {
                    flipHorizontally(x.baseAddress! + i * shape.dimension, to: y.baseAddress! + i * shape.dimension, shape: shape)
                }
            }
        }
        return out
    }

    /// Means over non-overlapping `factor` × `factor` blocks (PyTorch's `avg_pool2d(x, factor)`):
    /// H and W must be multiples of `factor`. Returns the pooled rows and their shape.
    public static func averagePooled<S: MatrixScalar>(_ images: Matrix<S>, shape: ImageShape, factor: Int) throws -> (Matrix<S>, ImageShape) {
        try check(images, shape)
        guard factor >= 1, shape.height % factor == 0, shape.width % factor == 0 else {
            throw MongeError.invalidArgument(name: "pooling factor", message: "\(factor) must be ≥ 1 and divide the image's height and width (\(shape))")
        }
        let pooled = ImageShape(channels: shape.channels, height: shape.height / factor, width: shape.width / factor)
        var out = Matrix<S>(rows: images.rows, columns: pooled.dimension)
        let scale = 1 / Double(factor * factor)
        for i in 0..<images.rows {
            for c in 0..<shape.channels {
                for y in 0..<pooled.height {
                    for x in 0..<pooled.width {
                        var sum = 0.0
                        for dy in 0..<factor {
                            for dx in 0..<factor {
                                sum += Double(images[i, (c * shape.height + y * factor + dy) * shape.width + x * factor + dx])
                            }
                        }
                        out[i, (c * pooled.height + y) * pooled.width + x] = S(sum * scale)
                    }
                }
            }
        }
        return (out, pooled)
    }

    /// The centre `size` × `size` crop of every image (offset ⌊(H − size)/2⌋, ⌊(W − size)/2⌋).
    public static func centreCropped<S: MatrixScalar>(_ images: Matrix<S>, shape: ImageShape, size: Int) throws -> (Matrix<S>, ImageShape) {
        try check(images, shape)
        guard size >= 1, size <= shape.height, size <= shape.width else {
            throw MongeError.invalidArgument(name: "crop", message: "\(size) must be in 1…min(height, width) of \(shape)")
        }
        let cropped = ImageShape(channels: shape.channels, height: size, width: size)
        let top = (shape.height - size) / 2, left = (shape.width - size) / 2
        var out = Matrix<S>(rows: images.rows, columns: cropped.dimension)
        for i in 0..<images.rows {
            for c in 0..<shape.channels {
                for y in 0..<size {
                    for x in 0..<size {
                        out[i, (c * size + y) * size + x] = images[i, (c * shape.height + top + y) * shape.width + left + x]
                    }
                }
            }
        }
        return (out, cropped)
    }

    static func check<S: MatrixScalar>(_ images: Matrix<S>, _ shape: ImageShape) throws {
        guard images.columns == shape.dimension else {
            throw MongeError.shapeMismatch("\(shape) images have \(shape.dimension) values per row, the matrix has \(images.columns) columns")
        }
    }
}
