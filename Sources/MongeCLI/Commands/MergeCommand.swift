import ArgumentParser
import Foundation
import MongeExperiments

/// `monge merge OUT SHARD_DIR…`: the tables, figures and manifests of a sharded reproduction.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the shards of `monge reproduce ddib-2d|ddib-digits|ddib-images|bridges-2d --shard K/N` (or of `monge gan|egsde --seeds … --shard K/N`) into the tables, figures and manifests of one run.",
        discussion: """
        Each SHARD_DIR is a shard's folder (OUT/shard-K-of-N) holding the shard.json its run wrote \
        last. The merge refuses shards of different configurations, seeds, splits or monge binaries, \
        and names every missing or duplicated unit (seed, pair, solver and steps) with the shard that \
        runs it. The tables equal those of one unsharded run byte for byte apart from the timing \
        columns (bridge_s, ot_s, cycle_s; seconds for ddib-images; train_s, map_s for bridges-2d; training_seconds for gan).
        """)

    @Argument(help: "The run folder to write (usually the shards' OUT).") var out: String
    @Argument(help: "Shard folders, e.g. OUT/shard-*-of-4.") var shards: [String] = []
    @Flag(help: "No progress on stderr.") var quiet = false

    func validate() throws {
        guard !shards.isEmpty else { throw ValidationError("give the shard folders to merge, e.g. \(out)/shard-*-of-4") }
        if Set(shards.map { URL(fileURLWithPath: $0).standardizedFileURL.path }).count != shards.count {
            throw ValidationError("a shard folder is given twice")
        }
    }

    func run() throws {
        let quiet = self.quiet
        let log: @Sendable (String) -> Void = { line in
            if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        // The experiment the shards ran (the merge checks that every shard ran the same one).
        let first = try ShardHeader.read(shards[0])
        switch first.experiment {
        case Reproduction.experimentName: try merge(Reproduction.self, log: log)
        case DigitsReproduction.experimentName: try merge(DigitsReproduction.self, log: log)
        case ImageReproduction.experimentName: try merge(ImageReproduction.self, log: log)
        case BridgesReproduction.experimentName: try merge(BridgesReproduction.self, log: log)
        case GANSeeds.experimentName: _ = try ExperimentGrid<GANSeeds>.merge(into: out, shards: shards, log: log)
        case EGSDESeeds.experimentName: _ = try ExperimentGrid<EGSDESeeds>.merge(into: out, shards: shards, log: log)
        default:
            throw MongeError.invalidFile(path: shards[0] + "/shard.json", location: nil,
                                         message: "is a shard of \(first.experiment), which this monge cannot merge")
        }
    }

    func merge<Experiment: ReportedExperiment>(_ type: Experiment.Type, log: @escaping @Sendable (String) -> Void) throws {
        // Checked and read before anything is written: a refused merge leaves OUT as it was.
        let merged = try ExperimentGrid<Experiment>.merge(into: out, shards: shards, log: log, beforeWriting: { grid in
            try ReproductionManifests(grid: grid, command: "monge merge").removeStale()
        })
        let manifests = ReproductionManifests(grid: merged.grid, command: "monge merge")
        try manifests.write(merged.summary)
        manifests.report(merged.summary)
    }
}
