/// The shape of the images a model works on: `channels` × `height` × `width`, flattened in that
/// order (PyTorch's C×H×W) into the rows of an [N, C·H·W] matrix.
public struct ImageShape: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// C·H·W, the dimension of a flattened image.
    public var dimension: Int { channels * height * width }
    public var pixels: Int { height * width }
    public var description: String { "\(channels)×\(height)×\(width)" }
}
