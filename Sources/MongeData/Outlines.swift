import Foundation

/// The construction shared by DDIB's ring and square sets: K outlines (circles or squares) with
/// "radii" R_k and centres (c_k, 0), each point pushed radially by a uniform jitter
/// ε ∈ [−width/2, width/2) (DDIB: `(rand − 0.5)·width`, width 0.5, i.e. ±0.25).
///
/// Point i belongs to outline k = i % K (round-robin; DDIB gives each outline N/K points in
/// blocks, so the counts are the same: equal, not proportional to length). On a circle the angle
/// is uniform; on a square the edge is (i / K) % 4 (equal counts per edge, as DDIB's N/(4K) per
/// edge) and the position along it uniform on [−1, 1]; the point is (R_k + ε)·(unit outline
/// point) + centre. Exact population moments are in `populationMoments`.
struct Outlines {
    enum Shape { case circle, square }

    let shape: Shape
    let radii: [Double]
    let centresX: [Double]
    let width: Double

    /// Raw points (before normalisation); uniforms 2i and 2i+1 of `random` drive point i.
    func generate(n: Int, random: RandomStream) -> Matrix<Double> {
        let count = radii.count
        return PointGeneration.pointwise(n) { i in
            let k = i % count
            let along = random.uniform(UInt64(2 * i))
            let rho = radii[k] + (random.uniform(UInt64(2 * i + 1)) - 0.5) * width
            let (ux, uy): (Double, Double)
            switch shape {
            case .circle:
                let theta = 2 * Double.pi * along
                (ux, uy) = (cos(theta), sin(theta))
            case .square:
                let t = 2 * along - 1
                switch (i / count) % 4 {
                case 0: (ux, uy) = (t, 1)  // top
                case 1: (ux, uy) = (1, -t)  // right
                case 2: (ux, uy) = (-t, -1)  // bottom
                default: (ux, uy) = (-1, t)  // left
                }
            }
            return (rho * ux + centresX[k], rho * uy)
        }
    }

    /// The exact scalar mean and std over all coordinates of the (equal-weight) mixture.
    ///
    /// With ρ = R_k + ε: E[ρ²] = mean(R_k²) + width²/12. The unit outline point u has E[u] = 0
    /// and E[u_x²] = E[u_y²] = 1/2 on a circle, (1/3 + 1)/2 = 2/3 on a square. Pooling the x and
    /// y coordinates: mean = mean(c_k)/2, second moment = e·E[ρ²] + mean(c_k²)/2.
    var populationMoments: (mean: Double, std: Double) {
        let k = Double(radii.count)
        let rho2 = radii.reduce(0) { $0 + $1 * $1 } / k + width * width / 12
        let unitSquare = shape == .circle ? 0.5 : 2.0 / 3
        let meanC = centresX.reduce(0, +) / k
        let meanC2 = centresX.reduce(0) { $0 + $1 * $1 } / k
        let mean = meanC / 2
        let second = unitSquare * rho2 + meanC2 / 2
        return (mean, (second - mean * mean).squareRoot())
    }

    /// x-centres (j − (K−1)/2)·spacing, j = 0..<K: symmetric about 0 (DDIB: −2.8, 0, 2.8 for rings).
    static func parallelCentres(count: Int, spacing: Double) -> [Double] {
        (0..<count).map { (Double($0) - Double(count - 1) / 2) * spacing }
    }
}
