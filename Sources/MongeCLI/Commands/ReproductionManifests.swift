import Foundation
import MongeExperiments

/// The manifests of a ddib-2d grid — one per seed folder, and one over the seeds — written the
/// same way by `monge reproduce` and by `monge merge` of its shards.
struct ReproductionManifests {
    let grid: ReproductionGrid
    /// Begun now: the manifests' start time and seconds cover the run (or the merge).
    var manifest: RunManifest

    init(grid: ReproductionGrid, command: String) {
        self.grid = grid
        manifest = RunManifest.begin(command: command, seed: grid.plans.first?.seed)
    }

    var top: String { grid.folder + "/manifest.json" }

    /// Removes the manifests that a run is about to make stale.
    func removeStale() throws {
        for k in grid.plans.indices { try RunManifest.remove(at: grid.seedFolder(k) + "/manifest.json") }
        try RunManifest.remove(at: top)
    }

    func write(_ summary: ReproductionGrid.Summary) throws {
        for (k, run) in summary.runs.enumerated() {
            var seedManifest = manifest
            seedManifest.seed = grid.plans[k].seed
            seedManifest.finish(outputs: run.files, results: [
                "pairs": .integer(grid.plans[k].pairs.count), "rows": .integer(run.results.rows.count),
                "oracle_rows": .integer(run.oracleResults.rows.count), "cycle_rows": .integer(run.cycleResults.rows.count),
            ])
            try seedManifest.write(to: grid.seedFolder(k) + "/manifest.json",
                                   describing: run.files.filter { FileManager.default.fileExists(atPath: $0) })
        }
        guard grid.seeded, let results = summary.seedResults, let oracle = summary.seedOracleResults,
              let cycles = summary.seedCycleResults else { return }
        var seedsManifest = manifest
        seedsManifest.parameters["seeds"] = .array(grid.plans.map { .integer(Int($0.seed)) })
        seedsManifest.finish(outputs: summary.files + grid.plans.map { "seed_\($0.seed)/" }, results: [
            "seeds": .integer(grid.plans.count), "rows": .integer(results.rows.count), "oracle_rows": .integer(oracle.rows.count),
            "cycle_rows": .integer(cycles.rows.count),
        ])
        try seedsManifest.write(to: top, describing: summary.files)
    }

    /// The tables on stdout, where they are on stderr.
    func report(_ summary: ReproductionGrid.Summary) {
        let out = grid.folder
        if let results = summary.seedResults, let oracle = summary.seedOracleResults, let cycles = summary.seedCycleResults {
            print("mean and 95 % Student-t interval over seeds \(grid.plans.map { String($0.seed) }.joined(separator: ","))")
            print(results.markdown())
            print(oracle.markdown())
            print(cycles.markdown())
            FileHandle.standardError.write(Data("\(manifest.command.dropFirst(6)): wrote \(out)/results_seeds.{csv,md,json}, oracle_results_seeds.{csv,md,json}, cycle_results_seeds.{csv,md,json}, seed_<s>/ and manifest.json\n".utf8))
        } else if let run = summary.runs.first {
            print(run.results.markdown())
            print(run.oracleResults.markdown())
            print(run.cycleResults.markdown())
            FileHandle.standardError.write(Data("\(manifest.command.dropFirst(6)): wrote \(out)/results.{csv,md,json}, oracle_results.{csv,md,json}, cycle_results.{csv,md,json}, figures/ and manifest.json\n".utf8))
        }
    }
}
