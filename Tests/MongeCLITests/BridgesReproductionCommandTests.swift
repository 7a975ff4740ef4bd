import Foundation
import MongeCLI
import MongeCore
import Testing
import TestSupport

@Suite("monge reproduce bridges-2d")
struct BridgesReproductionCommandTests {
    /// The quick plan's pairs and every method's row, in table order (DDIB's oracle row only where
    /// both ends have an exact ε: N(0, I) → 8-Gaussians).
    static let pairs = ["normal → 8gaussians", "moons → 8gaussians", "ddib:moons → ddib:checkerboard"]
    static let methods = ["1-RF", "2-RF", "I-CFM", "OT-CFM", "SB-CFM", "DDIB (oracle)", "DDIB (trained)", "SDEdit", "EGSDE", "exact OT"]
    static func expectedRows() -> [[String]] {
        pairs.flatMap { pair in methods.filter { $0 != "DDIB (oracle)" || pair == pairs[0] }.map { [pair, $0] } }
    }
    /// The rows whose path energy (hence NPE) is not defined: their paths run through noise (README).
    static let noPathEnergy: Set<String> = ["DDIB (oracle)", "DDIB (trained)", "SDEdit", "EGSDE"]
    static let timing: Set<String> = ["train_s", "map_s"]

    /// A CSV file as its header and rows of cells.
    static func read(_ path: String) throws -> (header: [String], rows: [[String]]) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let split = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return (split[0], Array(split.dropFirst()))
    }

    /// The CSV without its timing columns (the only cells that may differ between two runs).
    static func withoutTiming(_ path: String) throws -> [[String]] {
        let (header, rows) = try read(path)
        let keep = header.indices.filter { !timing.contains(header[$0]) }
        return ([header] + rows).map { row in keep.map { row[$0] } }
    }

    /// End to end through the binary at a test-only size (12 points, 16 training points, 4 steps of
    /// every model, 2 seeds): every pair has every row in each seed's table and in the interval
    /// table; every cell is filled except path energy and NPE (and their intervals) of the DDIB,
    /// SDEdit and EGSDE rows, which are empty (NaN) exactly there; the intervals are finite over the
    /// 2 seeds and contain the mean; and a second run, in 3 shards merged by `monge merge`, gives
    /// the same bytes but for the timing columns (a merge missing a shard names its units).
    @Test func tinyRunHasEveryRowAndIsDeterministic() throws {
        let folder = TestSupport.temporaryFolder("bridges-2d-cli")
        let small = ["reproduce", "bridges-2d", "--quick", "--seeds", "0,1", "--n", "12", "--training-steps", "4",
                     "--training-points", "16", "--quiet"]
        let first = try TestSupport.monge(small + ["--out", folder + "/a"])
        #expect(first.status == 0, "\(first.stderr)")
        // The second run in 3 shards (units seed × pair: 2 each), merged: the same tables and maps.
        for k in 1...3 {
            let shard = try TestSupport.monge(small + ["--out", folder + "/b", "--shard", "\(k)/3"])
            #expect(shard.status == 0, "shard \(k)/3: \(shard.stderr)")
        }
        let shards = (1...3).map { "\(folder)/b/shard-\($0)-of-3" }
        // Without shard 2, the merge names its units and writes nothing.
        let partial = try TestSupport.monge(["merge", folder + "/b", shards[0], shards[2]])
        #expect(partial.status != 0)
        #expect(partial.stderr.contains("\"seed 0 moons → 8gaussians\" (shard 2/3)") && partial.stderr.contains("\"seed 1 moons → 8gaussians\" (shard 2/3)"),
                "\(partial.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/b/results_seeds.csv"))
        let second = try TestSupport.monge(["merge", folder + "/b"] + shards + ["--quiet"])
        #expect(second.status == 0, "\(second.stderr)")
        guard first.status == 0, second.status == 0 else { return }
        #expect(FileManager.default.fileExists(atPath: folder + "/b/manifest.json"))

        for seed in [0, 1] {
            let (header, rows) = try Self.read("\(folder)/a/seed_\(seed)/results.csv")
            #expect(rows.map { [$0[0], $0[1]] } == Self.expectedRows(), "seed \(seed): rows")
            for row in rows {
                #expect(row.count == header.count)
                for (column, cell) in zip(header, row) {
                    let undefined = Self.noPathEnergy.contains(row[1]) && ["path_energy", "npe"].contains(column)
                    if undefined {
                        #expect(cell.isEmpty, "seed \(seed) \(row[0]) \(row[1]): \(column) should be NaN, is \(cell)")
                    } else if column != "pair" && column != "method" {
                        #expect(Double(cell)?.isFinite == true, "seed \(seed) \(row[0]) \(row[1]): \(column) is '\(cell)'")
                    }
                }
            }
            #expect(try Self.withoutTiming("\(folder)/a/seed_\(seed)/results.csv") == (try Self.withoutTiming("\(folder)/b/seed_\(seed)/results.csv")),
                    "seed \(seed): the run and the merged shards differ outside the timing columns")
        }

        let (header, rows) = try Self.read(folder + "/a/results_seeds.csv")
        #expect(rows.map { [$0[0], $0[1]] } == Self.expectedRows(), "interval table rows")
        let metrics = header.filter { $0.hasSuffix("_mean") }.map { String($0.dropLast(5)) }
        #expect(Set(metrics).isSuperset(of: ["nfe", "path_energy", "npe", "transport_cost", "optimality_gap", "realism_w2"]), "\(metrics)")
        for row in rows {
            #expect(row[header.firstIndex(of: "seeds")!] == "2")
            for metric in metrics {
                let cells = ["_mean", "_ci95_low", "_ci95_high"].map { row[header.firstIndex(of: metric + $0)!] }
                if Self.noPathEnergy.contains(row[1]) && ["path_energy", "npe"].contains(metric) {
                    let empty = cells.allSatisfy { $0.isEmpty }
                    #expect(empty, "\(row[0]) \(row[1]) \(metric): \(cells)")
                } else {
                    let values = cells.compactMap(Double.init)
                    let finite = values.count == 3 && values.allSatisfy { $0.isFinite }
                    #expect(finite, "\(row[0]) \(row[1]) \(metric): \(cells)")
                    if values.count == 3 { #expect(values[1] <= values[0] && values[0] <= values[2], "\(row[0]) \(row[1]) \(metric): \(cells)") }
                }
            }
        }

        // Deterministic: the interval tables, the summary and the maps, byte for byte.
        for file in ["results_seeds.csv", "results_seeds.md", "summary.md", "plan.json",
                     "seed_1/ddib-moons__ddib-checkerboard/SDEdit/mapped.npy", "seed_1/ddib-moons__ddib-checkerboard/EGSDE/mapped.npy",
                     "seed_0/moons__8gaussians/OT-CFM/mapped.npy", "seed_0/normal__8gaussians/DDIB_trained/mapped.npy"] {
            let a = FileManager.default.contents(atPath: "\(folder)/a/\(file)"), b = FileManager.default.contents(atPath: "\(folder)/b/\(file)")
            #expect(a != nil && a == b, "\(file) differs between the run and the merged shards (or is missing)")
        }
        #expect(first.stdout == second.stdout)
        for pair in ["normal__8gaussians", "moons__8gaussians", "ddib-moons__ddib-checkerboard"] {
            #expect(FileManager.default.fileExists(atPath: "\(folder)/a/figures/maps_\(pair).png"), "figure of \(pair)")
        }
        // The compact table on stdout has a line per row.
        for row in Self.expectedRows() { #expect(first.stdout.contains("| \(row[0]) | \(row[1]) | 2 |"), "stdout: \(row)") }
    }

    /// Sizes out of range and ddib-2d's options are refused before anything trains.
    @Test func badSizesAreRefused() {
        func refusal(_ arguments: [String]) -> String? {
            do { try Monge.parseAndValidate(["reproduce", "bridges-2d", "--quick"] + arguments); return nil } catch { return Monge.message(for: error) }
        }
        for (arguments, fragment) in [(["--training-points", "1"], "--training-points"), (["--training-steps", "0"], "--training-steps"),
                                      (["--n", "1"], "--n"), (["--pairs", "moons:checkerboard"], "bridges-2d takes")] {
            let message = refusal(arguments)
            #expect(message?.contains(fragment) == true, "\(arguments): \(message ?? "accepted")")
        }
        #expect(refusal(["--training-points", "16", "--training-steps", "4"]) == nil)
    }
}
