import MongeCore
import MongeTransport

/// Seeded fixtures for the transport tests.
enum Fixtures {
    /// n points in d dimensions, standard normal, from `seed`.
    static func points(_ n: Int, _ d: Int = 2, seed: UInt64, shift: Double = 0) -> Matrix<Double> {
        let p: Matrix<Double> = RandomStream(seed: seed).normalMatrix(rows: n, columns: d)
        return p.map { $0 + shift }
    }

    /// Positive weights summing to 1 (uniform draws in [0.1, 1.1), normalised).
    static func weights(_ n: Int, seed: UInt64) -> [Double] {
        let rng = RandomStream(seed: seed, stream: 7)
        let w = (0..<n).map { 0.1 + rng.uniform(UInt64($0)) }
        let s = w.reduce(0, +)
        return w.map { $0 / s }
    }

    /// A small version of the benchmark data: 25 Gaussians (std 0.05) → a two-moons-like set.
    static func gaussiansToMoons(_ n: Int, seed: UInt64) -> (Matrix<Double>, Matrix<Double>) {
        let rng = RandomStream(seed: seed)
        let grid: [Double] = [-4, -2, 0, 2, 4]
        let x = Matrix<Double>(rows: n, columns: 2) { i, k in
            let mode = i % 25
            let mean = k == 0 ? grid[mode / 5] : grid[mode % 5]
            return mean + 0.05 * rng.normal(UInt64(2 * i + k))
        }
        let moons = rng.substream(1)
        let y = Matrix<Double>(rows: n, columns: 2) { i, k in
            let t = Double.pi * moons.uniform(UInt64(i))
            let upper = i % 2 == 0
            let px = upper ? _cos(t) : 1 - _cos(t)
            let py = upper ? _sin(t) : 0.5 - _sin(t)
            let noise = 0.05 * moons.substream(2).normal(UInt64(2 * i + k))
            return 3 * ((k == 0 ? px : py) + noise - (k == 0 ? 0.5 : 0.25))
        }
        return (x, y)
    }

    /// The minimum of Σ_i C_iσ(i) over all permutations σ (Heap's algorithm; n ≤ 8), and σ.
    static func bruteForceAssignment(_ geometry: Geometry) -> (Double, [Int]) {
        let n = geometry.sourceCount
        precondition(n == geometry.targetCount && n <= 9)
        var c = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n { for j in 0..<n { c[i][j] = geometry.cost(i, j) } }
        var p = Array(0..<n)
        var best = Double.infinity, bestP = p
        func evaluate() {
            var s = 0.0
            for i in 0..<n { s += c[i][p[i]] }
            if s < best { best = s; bestP = p }
        }
        var counters = [Int](repeating: 0, count: n)
        evaluate()
        var i = 0
        while i < n {
            if counters[i] < i {
                if i % 2 == 0 { p.swapAt(0, i) } else { p.swapAt(counters[i], i) }
                evaluate()
                counters[i] += 1
                i = 0
            } else {
                counters[i] = 0
                i += 1
            }
        }
        return (best, bestP)
    }

    /// |u − v| / max(|u|, |v|, tiny).
    static func relative(_ u: Double, _ v: Double) -> Double {
        abs(u - v) / max(abs(u), abs(v), 1e-300)
    }
}

#if canImport(Glibc)
import Glibc
func _cos(_ x: Double) -> Double { Glibc.cos(x) }
func _sin(_ x: Double) -> Double { Glibc.sin(x) }
#else
import Darwin
func _cos(_ x: Double) -> Double { Darwin.cos(x) }
func _sin(_ x: Double) -> Double { Darwin.sin(x) }
#endif
