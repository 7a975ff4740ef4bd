import Foundation
import MongeBridges
import MongeFlows
import MongeCore
import MongeData

/// A distribution of `monge reproduce bridges-2d`: one of TorchCFM's (`normal`, `8gaussians`,
/// `moons`, see `TorchCFMData`) or one of DDIB's six 2-D datasets drawn exactly as ddib-2d draws
/// them (`ddib:NAME`, e.g. `ddib:moons`, which ddib-2d normalises), so the table can hold both
/// papers' pairs.
public enum BridgesData: Sendable, Equatable {
    case torchCFM(TorchCFMData)
    case ddib(String)

    /// The prefix of DDIB's datasets.
    public static let ddibPrefix = "ddib:"

    /// Parses `normal`, `8gaussians`, `moons` (or `torchcfm:NAME`) and `ddib:NAME`.
    public init(spec: String) throws {
        guard spec.hasPrefix(Self.ddibPrefix) else {
            self = .torchCFM(try TorchCFMData(spec: spec))
            return
        }
        let name = String(spec.dropFirst(Self.ddibPrefix.count))
        guard ReproductionPlan.ddibDatasets.contains(name) else {
            throw MongeError.invalidArgument(name: "data", message: "unknown DDIB dataset '\(name)'; known: "
                                             + ReproductionPlan.ddibDatasets.map { Self.ddibPrefix + $0 }.joined(separator: ", "))
        }
        self = .ddib(name)
    }

    /// `torchcfm:NAME` or `ddib:NAME`: where a checkpoint's points came from.
    public var spec: String {
        switch self {
        case let .torchCFM(data): return "torchcfm:" + data.rawValue
        case let .ddib(name): return Self.ddibPrefix + name
        }
    }

    /// n points, a pure function of (n, seed).
    public func sample(n: Int, seed: UInt64) throws -> Matrix<Double> {
        switch self {
        case let .torchCFM(data):
            return try data.sample(n: n, seed: seed)
        case let .ddib(name):
            // ddib-2d's generator and parameters (its plan normalises moons), not a copy of them.
            return try ReproductionPlan.quick().dataset(name).sample(n: n, seed: seed)
        }
    }

    /// DDIB's translation pairs of `synthetic_translation.py` (ddib-2d's `paperPairs` without
    /// Monge's 25 ↔ 8 Gaussians), as bridges-2d specs.
    public static let ddibPairs: [[String]] = ReproductionPlan.paperPairs
        .filter { $0.allSatisfy(ReproductionPlan.ddibDatasets.contains) }
        .map { $0.map { ddibPrefix + $0 } }
}
