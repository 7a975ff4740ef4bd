import Foundation

/// The sinusoidal embedding of an integer timestep (Vaswani et al. 2017; DDPM's time input):
/// temb(t) = [sin(t·f_k), cos(t·f_k)]_{k < d/2}, f_k = 10000^(−k/(d/2)) — the order of
/// `bench_diffusion.py` (guided_diffusion puts cos first; the order does not matter to a network).
///
/// Timesteps are integers in 0..<T, so the embedding is a precomputed `[T, d]` table (computed in
/// Double, rounded once) and a batch's embeddings are row copies.
public struct TimeEmbedding<S: NetworkScalar>: Sendable {
    public let dimension: Int
    public let timesteps: Int
    /// Row t is temb(t).
    public let table: [S]

    public init(dimension: Int, timesteps: Int) {
        precondition(timesteps >= 1, "need at least one timestep")
        self.init(dimension: dimension, positions: (0..<timesteps).map(Double.init))
    }

    /// A table whose row i is temb(positions[i]) at a real-valued position: continuous times
    /// (flow matching's t ∈ [0, 1], scaled) reuse the integer-timestep networks unchanged, each
    /// row's time addressed as "timestep" i of this table.
    public init(dimension: Int, positions: [Double]) {
        precondition(dimension >= 2 && dimension % 2 == 0, "time embedding dimension must be even")
        precondition(!positions.isEmpty, "need at least one timestep")
        self.dimension = dimension
        self.timesteps = positions.count
        let half = dimension / 2
        let frequencies = (0..<half).map { exp(-log(10000.0) * Double($0) / Double(half)) }
        var table = [S](repeating: 0, count: positions.count * dimension)
        for (t, position) in positions.enumerated() {
            for k in 0..<half {
                let angle = position * frequencies[k]
                table[t * dimension + k] = S(sin(angle))
                table[t * dimension + half + k] = S(cos(angle))
            }
        }
        self.table = table
    }

    /// Copies temb(timesteps[i]) into row i of `output` (leading dimension `ld`, columns from `column`).
    @inline(__always)
    func gather(rows: Int, timesteps: UnsafePointer<Int>, into output: UnsafeMutablePointer<S>, ld: Int, column: Int = 0) {
        table.withUnsafeBufferPointer { table in
            for i in 0..<rows {
                let t = timesteps[i]
                precondition(t >= 0 && t < self.timesteps, "timestep \(t) outside 0..<\(self.timesteps)")
                (output + i * ld + column).update(from: table.baseAddress! + t * dimension, count: dimension)
            }
        }
    }

    /// temb(t) as a pointer into the table, valid while `body` runs.
    @inline(__always)
    func withRow<R>(_ t: Int, _ body: (UnsafePointer<S>) -> R) -> R {
        precondition(t >= 0 && t < timesteps, "timestep \(t) outside 0..<\(timesteps)")
        return table.withUnsafeBufferPointer { body($0.baseAddress! + t * dimension) }
    }
}
