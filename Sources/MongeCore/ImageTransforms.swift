/// Pure transforms of flattened C×H×W images (the rows of an [N, C·H·W] matrix): the horizontal
/// flip of data augmentation, padding (pooled images to a size that halves) and centre crops (the
/// tiny images of tests). Average pooling is `LowPassFilter.pool` (MongeBridges).
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

    /// Every image padded to `size` × `size` with `value` around it (⌊(size − H)/2⌋ rows above,
    /// ⌊(size − W)/2⌋ columns to the left): e.g. Fashion-MNIST pooled to 14 × 14 padded with the
    /// background −1 to 16 × 16, which halves twice.
    public static func padded<S: MatrixScalar>(_ images: Matrix<S>, shape: ImageShape, size: Int, value: S) throws -> (Matrix<S>, ImageShape) {
        try check(images, shape)
        guard size >= shape.height, size >= shape.width else {
            throw MongeError.invalidArgument(name: "pad", message: "\(size) must be at least the image's height and width (\(shape))")
        }
        let out = ImageShape(channels: shape.channels, height: size, width: size)
        let top = (size - shape.height) / 2, left = (size - shape.width) / 2
        var result = Matrix<S>(rows: images.rows, columns: out.dimension, repeating: value)
        for i in 0..<images.rows {
            for c in 0..<shape.channels {
                for y in 0..<shape.height {
                    for x in 0..<shape.width {
                        result[i, (c * size + top + y) * size + left + x] = images[i, (c * shape.height + y) * shape.width + x]
                    }
                }
            }
        }
        return (result, out)
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
