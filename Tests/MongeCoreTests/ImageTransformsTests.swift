import MongeCore
import Testing
import TestSupport

/// Flip, average pooling and crop of flattened images, against values written out by hand.
@Suite("Image transforms")
struct ImageTransformsTests {
    /// Two 2×3×4 images whose pixel (c, y, x) of image i holds 1000·i + 100·c + 10·y + x.
    static let shape = ImageShape(channels: 2, height: 3, width: 4)
    static let images = Matrix<Double>(rows: 2, columns: 24) { i, k in
        let c = k / 12, y = (k % 12) / 4, x = k % 4
        return Double(1000 * i + 100 * c + 10 * y + x)
    }

    @Test("A horizontal flip reverses every row of every channel, exactly; twice is the identity")
    func flip() throws {
        let flipped = try ImageTransforms.flippedHorizontally(Self.images, shape: Self.shape)
        for i in 0..<2 {
            for k in 0..<24 {
                let c = k / 12, y = (k % 12) / 4, x = k % 4
                #expect(flipped[i, k] == Double(1000 * i + 100 * c + 10 * y + (3 - x)))
            }
        }
        #expect(try ImageTransforms.flippedHorizontally(flipped, shape: Self.shape) == Self.images)
        #expect(throws: MongeError.self) { _ = try ImageTransforms.flippedHorizontally(Self.images, shape: ImageShape(channels: 1, height: 4, width: 4)) }
    }

    @Test("Padding surrounds the image with the value; a crop keeps the centre")
    func padAndCrop() throws {
        let square = ImageShape(channels: 1, height: 4, width: 4)
        let x = Matrix<Double>(rows: 1, columns: 16) { _, k in Double(k) }  // pixel (y, x) = 4y + x
        let (padded, shape) = try ImageTransforms.padded(x, shape: square, size: 6, value: -1)
        #expect(shape == ImageShape(channels: 1, height: 6, width: 6))
        for y in 0..<6 {
            for c in 0..<6 {
                let inside = (1...4).contains(y) && (1...4).contains(c)
                #expect(padded[0, y * 6 + c] == (inside ? Double(4 * (y - 1) + c - 1) : -1))
            }
        }
        let (cropped, cropShape) = try ImageTransforms.centreCropped(x, shape: square, size: 2)
        #expect(cropShape.height == 2 && cropped.storage == [5, 6, 9, 10])
        #expect(try ImageTransforms.centreCropped(padded, shape: shape, size: 4).0 == x)
        #expect(throws: MongeError.self) { _ = try ImageTransforms.padded(x, shape: square, size: 3, value: 0) }
        #expect(throws: MongeError.self) { _ = try ImageTransforms.centreCropped(x, shape: square, size: 5) }
    }
}
