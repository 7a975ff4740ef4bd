/// The randomness of dropout for one training step: element (r, j) of layer `layer` is kept when
/// its 32-bit Philox word exceeds rate·2³², and kept values are scaled by 1/(1 − rate).
///
/// Row r is the sample's index in the whole batch (`firstRow + local row`), so the mask of a
/// sample does not depend on how the batch is split into chunks.
public struct DropoutNoise: Sendable {
    public let stream: RandomStream
    public let rate: Double

    public init(stream: RandomStream, rate: Double) {
        precondition(rate >= 0 && rate < 1, "dropout rate must be in [0, 1)")
        self.stream = stream
        self.rate = rate
    }

    /// Writes the scaled keep-mask (0 or 1/(1 − rate)) of `layer` for rows firstRow ..< firstRow + rows.
    public func fillMask<S: NetworkScalar>(layer: Int, firstRow: Int, rows: Int, columns: Int, into mask: UnsafeMutablePointer<S>) {
        let layerStream = stream.substream(UInt64(layer))
        let threshold = UInt32(min(rate * 4_294_967_296.0, 4_294_967_295.0))
        let keep = S(1 / (1 - rate))
        let start = firstRow * columns
        let total = rows * columns
        var k = 0
        while k < total {
            let global = start + k
            let words = layerStream.words(UInt64(global / 4))
            let lane = global % 4
            var l = lane
            while l < 4 && k < total {
                let word: UInt32
                switch l {
                case 0: word = words.0
                case 1: word = words.1
                case 2: word = words.2
                default: word = words.3
                }
                mask[k] = word >= threshold ? keep : 0
                l += 1
                k += 1
            }
        }
    }
}
