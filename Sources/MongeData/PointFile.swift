import Foundation

/// A user's 2-D point cloud as a domain of a reproduction (`monge reproduce ddib-2d --pairs
/// A.csv:B.csv`): the file (.csv or .npy, N × 2, read by `ArrayFile`), its content hash, and a
/// seeded split of its rows into a training part (the domain's ε-model) and a held-out part (the
/// points that are translated and compared with exact OT).
///
/// The split: the rows are permuted with `RandomStream(seed:, stream: "PTSPLIT")`; the first
/// `heldOut` rows of the permutation are held out, the rest train. Samples of the held-out part
/// are prefixes of a permutation seeded by the sample's seed, so two samples drawn together
/// (`samplePair`) never share a row.
public struct PointFile: Codable, Equatable, Sendable {
    /// The path as given.
    public var path: String
    /// FNV-1a (64 bit) of the file's bytes: shards and checkpoints of different contents never mix.
    public var contentHash: String
    /// Data rows in the file.
    public var rows: Int
    /// Rows held out for translation and exact OT (the rest train the ε-model).
    public var heldOut: Int

    /// The fewest rows a domain file may have (half train, half are held out).
    public static let minimumRows = 16

    /// The domain's name in tables, folders and figures: the file's base name (`A.csv`).
    public var name: String { Self.name(of: path) }

    public static func name(of path: String) -> String {
        URL(fileURLWithPath: path).lastPathComponent
    }

    /// Whether `token` names a point file rather than a dataset (its extension is .csv or .npy).
    public static func isFileName(_ token: String) -> Bool {
        ArrayFile.isArrayFile(token)
    }

    /// Throws unless every entry of `points` (read from `path`) is finite: `MongeError.invalidFile`
    /// naming the file and the 1-based data row and column of the first NaN or ±∞ ("row 2, column 1:
    /// nan is not a finite number"). The one finiteness check of loaded points (domain files here,
    /// the CLI's DATA and input files).
    public static func checkFinite<S: MatrixScalar>(_ points: Matrix<S>, path: String) throws {
        guard let (i, j, value) = points.firstNonFinite else { return }
        throw MongeError.invalidFile(path: path, location: "row \(i + 1), column \(j + 1)", message: "\(value) is not a finite number")
    }

    /// Reads and checks `path`, and holds out up to `heldOut` rows (at most half of them).
    ///
    /// - Throws: `MongeError.invalidFile` naming the file (and the row and column) when it cannot be
    ///   read, has other than 2 columns, holds a NaN or ±∞, or has fewer than `minimumRows` rows.
    public static func load(_ path: String, heldOut wanted: Int) throws -> (file: PointFile, points: Matrix<Double>) {
        if path.contains(":") {
            throw MongeError.invalidFile(path: path, location: nil, message: "a domain file's path may not contain ':' (it separates the two domains of a pair); rename or link the file")
        }
        let points = try ArrayFile.readMatrix(path, as: Double.self)
        guard points.columns == 2 else {
            throw MongeError.invalidFile(path: path, location: "row 1", message: "has \(points.columns) column\(points.columns == 1 ? "" : "s"); a 2-D domain needs exactly 2 (x, y)")
        }
        try checkFinite(points, path: path)
        guard points.rows >= minimumRows else {
            throw MongeError.invalidFile(path: path, location: nil,
                                         message: "has \(points.rows) rows; a domain needs at least \(minimumRows) (half train its ε-model, half are held out for translation and exact OT)")
        }
        let hash = try FNV1a64.digest(ofFile: path).hex
        let file = PointFile(path: path, contentHash: hash, rows: points.rows, heldOut: max(2, min(wanted, points.rows / 2)))
        return (file, points)
    }

    /// Reads the file again and checks that it is the one this value describes.
    public func read() throws -> Matrix<Double> {
        let (again, points) = try Self.load(path, heldOut: heldOut)
        guard again.contentHash == contentHash, again.rows == rows else {
            throw MongeError.invalidFile(path: path, location: nil,
                                         message: "changed since the run was planned (content hash \(again.contentHash), planned \(contentHash)); restore it or start a new run folder")
        }
        return points
    }

    /// The (training, held-out) rows of `points` for a run with `seed`.
    public func split(_ points: Matrix<Double>, seed: UInt64) -> (training: Matrix<Double>, heldOut: Matrix<Double>) {
        let order = RandomStream(seed: seed, stream: StreamTag.pointFileSplit).permutation(points.rows)
        return (points.rows(at: Array(order[heldOut...])), points.rows(at: Array(order[..<heldOut])))
    }

    /// `count` rows of `heldOut` followed by `count` more (two disjoint samples), in the order of a
    /// permutation seeded by `seed`.
    public static func samplePair(_ heldOut: Matrix<Double>, count: Int, seed: UInt64) throws -> (Matrix<Double>, Matrix<Double>) {
        let order = RandomStream(seed: seed, stream: StreamTag.pointFileDraws).permutation(heldOut.rows)
        guard 2 * count <= order.count else {
            throw MongeError.invalidArgument(name: "n", message: "two disjoint samples of \(count) points need \(2 * count) held-out rows, have \(order.count)")
        }
        return (heldOut.rows(at: Array(order[..<count])), heldOut.rows(at: Array(order[count..<(2 * count)])))
    }

    /// `count` rows of `heldOut`: the first of the two samples of `samplePair` with the same seed.
    public static func sample(_ heldOut: Matrix<Double>, count: Int, seed: UInt64) throws -> Matrix<Double> {
        let order = RandomStream(seed: seed, stream: StreamTag.pointFileDraws).permutation(heldOut.rows)
        guard count <= order.count else {
            throw MongeError.invalidArgument(name: "n", message: "a sample of \(count) points needs \(count) held-out rows, have \(order.count)")
        }
        return heldOut.rows(at: Array(order[..<count]))
    }
}
