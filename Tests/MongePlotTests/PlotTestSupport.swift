import Foundation
import MongePlot
import TestSupport

/// Whether gnuplot runs here; plot tests that need it are skipped (with this reason) otherwise.
/// `make test` installs gnuplot-nox, so in CI they run.
enum PlotEnvironment {
    static let gnuplotVersion: String? = try? Gnuplot.default.version()
    static var hasGnuplot: Bool { gnuplotVersion != nil }
    static let skipReason: Comment = "gnuplot is not installed (apt-get install gnuplot-nox, or `make setup`)"
}

/// The first bytes of each format.
enum Signature {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    static let pdf = Array("%PDF-".utf8)

    static func starts(_ path: String, with prefix: [UInt8]) -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        return Array(data.prefix(prefix.count)) == prefix
    }
}

import Testing
typealias Comment = Testing.Comment

/// A small seeded source/target/map for figures: a grid of points and a shear.
func sampleMap(n: Int = 40) -> (source: Matrix<Double>, target: Matrix<Double>, mapped: Matrix<Double>) {
    let rng = RandomStream(seed: 12)
    let source: Matrix<Double> = rng.normalMatrix(rows: n, columns: 2)
    let mapped = Matrix<Double>(rows: n, columns: 2) { i, j in
        j == 0 ? source[i, 0] + 0.8 * source[i, 1] + 3 : 0.5 * source[i, 1] + 1
    }
    let target: Matrix<Double> = rng.substream(1).normalMatrix(rows: 2 * n, columns: 2)
        .map { $0 * 0.7 }.addingRowVector([3, 1])
    return (source, target, mapped)
}
