/// One part of a deterministically split grid: `--shard K/N` runs the K-th of N parts (K from 1).
///
/// Unit `i` of the grid (counted from 0 in the grid's fixed order) belongs to shard
/// `i mod N + 1`, so the parts are balanced whatever the grid's shape and a unit's shard depends
/// only on its index and N — the same on every machine and in every run.
public struct ShardSpec: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// 1…count.
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1 else {
            throw MongeError.invalidArgument(name: "--shard", message: "the number of shards must be at least 1, got \(count)")
        }
        guard (1...count).contains(index) else {
            throw MongeError.invalidArgument(
                name: "--shard", message: "shard \(index) of \(count) does not exist: shards are numbered 1…\(count)" + (index == 0 ? " (from 1, not 0)" : ""))
        }
        self.index = index
        self.count = count
    }

    /// Parses `K/N`, e.g. `2/4`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw MongeError.invalidArgument(name: "--shard", message: "expected K/N with whole numbers 1 ≤ K ≤ N (e.g. 2/4), got '\(text)'")
        }
        try self.init(index: k, count: n)
    }

    /// The whole grid as one shard.
    public static let whole = try! ShardSpec(index: 1, count: 1)

    /// Whether unit `unit` (0-based, in the grid's order) is this shard's.
    public func contains(unit: Int) -> Bool { unit % count == index - 1 }

    /// `K/N`.
    public var description: String { "\(index)/\(count)" }

    /// The shard's folder name inside a run folder: `shard-K-of-N`.
    public var folderName: String { "shard-\(index)-of-\(count)" }
}
