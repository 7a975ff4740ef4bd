import MongeNN

/// The random draws of training step `step` (DDPM Algorithm 1): for batch row i, a data index
/// uniform in 0..<N, a timestep uniform in 0..<T and noise ε ~ N(0, I_D), giving
/// x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε (DDPM eq. 4).
///
/// Every number is addressed by (seed, step, purpose, row), so a row's draws do not depend on
/// the batch being split into chunks, and step k of a resumed run sees exactly the batch of an
/// uninterrupted one.
public struct TrainingBatch: Sendable {
    public let seed: UInt64
    public let step: Int

    public init(seed: UInt64, step: Int) {
        self.seed = seed
        self.step = step
    }

    var root: RandomStream { RandomStream(seed: seed, stream: StreamTag.diffusionTraining).substream(UInt64(step)) }
    var indexStream: RandomStream { root.substream(1) }
    var timestepStream: RandomStream { root.substream(2) }
    var noiseStream: RandomStream { root.substream(3) }
    /// The dropout noise of this step.
    public var dropoutStream: RandomStream { root.substream(4) }
    var flipStream: RandomStream { root.substream(5) }

    /// Whether batch row i is mirrored (probability ½) when training flips images.
    public func isFlipped(_ i: Int) -> Bool { flipStream.uniform(UInt64(i)) < 0.5 }

    /// The data index of batch row i.
    public func dataIndex(_ i: Int, count: Int) -> Int { indexStream.integer(UInt64(i), below: count) }

    /// The timestep of batch row i.
    public func timestep(_ i: Int, count: Int) -> Int { timestepStream.integer(UInt64(i), below: count) }

    /// Fills rows `range` of the batch: noisy inputs x_t, timesteps and the noise ε (the target),
    /// each buffer holding `range.count` rows. With `flip` (the images' shape), row i's clean
    /// image x_0 is mirrored left–right when `isFlipped(i)`.
    public func fill<S: NetworkScalar>(rows range: Range<Int>, data: Matrix<S>, alphaBars: [Double],
                                       noisy: UnsafeMutablePointer<S>, timesteps: UnsafeMutablePointer<Int>,
                                       noise: UnsafeMutablePointer<S>, flip: ImageShape? = nil) {
        let d = data.columns
        // Normals range.lowerBound·D ..< range.upperBound·D of the noise stream.
        noiseStream.fillNormal(UnsafeMutableBufferPointer(start: noise, count: range.count * d), start: UInt64(range.lowerBound * d))
        // The streams once per call (deriving a substream per row cost as much as the draws).
        let indices = indexStream, times = timestepStream
        var mirrored = [S](repeating: 0, count: flip == nil ? 0 : d)
        data.storage.withUnsafeBufferPointer { x0 in
            mirrored.withUnsafeMutableBufferPointer { mirrored in
                for (k, i) in range.enumerated() {
                    let index = indices.integer(UInt64(i), below: data.rows)
                    let t = times.integer(UInt64(i), below: alphaBars.count)
                    timesteps[k] = t
                    var clean = x0.baseAddress! + index * d
                    if let flip, isFlipped(i) {
                        ImageTransforms.flipHorizontally(clean, to: mirrored.baseAddress!, shape: flip)
                        clean = UnsafePointer(mirrored.baseAddress!)
                    }
                    NoiseSchedule.noise(clean, epsilon: noise + k * d, into: noisy + k * d, count: d,
                                        coefficients: NoiseSchedule.forwardCoefficients(alphaBar: alphaBars[t]))
                }
            }
        }
    }
}
