import Foundation
import MongeCore
import Testing
import TestSupport

@Suite("monge reproduce ddib-2d")
struct ReproduceCommandTests {
    /// The quick reproduction at a reduced size, end to end: every column for every pair.
    @Test func quickReproductionOnAReducedSize() throws {
        let folder = TestSupport.temporaryFolder() + "/run"
        let r = try TestSupport.monge([
            "reproduce", "ddib-2d", "--quick", "--out", folder, "--n", "64", "--training-steps", "40",
            "--training-points", "512", "--pairs", "moons:checkerboard,gaussians25:gaussians8",
            "--cells", "ddim:4,heun:4,ddim:8", "--oracle-cells", "ddim:4,heun:4", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let csv = try String(contentsOfFile: folder + "/results.csv", encoding: .utf8)
        let lines = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let header = lines[0].map(String.init)
        for column in ["pair", "solver", "steps", "n", "cost", "w2sq", "gap", "optimality", "monge_dev_mean",
                       "monge_dev_max", "realism_w2", "floor_w2", "cycle_mean", "cycle_max"] {
            #expect(header.contains(column), "missing column \(column)")
        }
        #expect(lines.count == 1 + 2 * 3)
        for line in lines.dropFirst() {
            #expect(line.count == header.count)
            #expect(line.allSatisfy { !$0.isEmpty }, "empty cell in \(line)")
        }
        let pairs = Set(lines.dropFirst().map { String($0[header.firstIndex(of: "pair")!]) })
        #expect(pairs == ["moons → checkerboard", "gaussians25 → gaussians8"])
        let oracle = try String(contentsOfFile: folder + "/oracle_results.csv", encoding: .utf8)
        #expect(oracle.split(separator: "\n").count == 1 + 2 * 2)
        for file in ["results.md", "results.json", "plan.json", "manifest.json",
                     "figures/map_moons__checkerboard.png", "figures/trajectories_moons__checkerboard.png",
                     "figures/trained_optimality_vs_steps.png", "figures/oracle_map_2.png",
                     "models/moons/model.safetensors", "pairs/moons__checkerboard/ddim-8/mapped.npy"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/" + file), "missing \(file)")
        }
        #expect(r.stdout.contains("| trained | moons → checkerboard | ddim | 8 |"))
        // DDIB's cycle table: of the two pairs only moons → checkerboard is a paper cycle pair (0→1),
        // run at the largest DDIM cell on --n points.
        let cycles = try TestSupport.csvRows(folder + "/cycle_results.csv")
        #expect(cycles.first == ["pair", "paper_pair", "solver", "steps", "n", "seed", "cycle_mean", "cycle_max", "cycle_s"])
        #expect(cycles.count == 2)
        let cycle = cycles.last!
        #expect(Array(cycle.prefix(5)) == ["moons → checkerboard", "0→1", "ddim", "8", "64"], "\(cycle)")
        #expect(Double(cycle[7])! >= Double(cycle[6])! && Double(cycle[6])! >= 0, "max ≥ mean ≥ 0: \(cycle)")
        for file in ["cycle_results.md", "cycle_results.json"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/" + file), "missing \(file)")
        }
        let plan = try String(contentsOfFile: folder + "/plan.json", encoding: .utf8)
        #expect(plan.contains("\"cycle_points\" : 64") && plan.contains("\"cycle_pairs\""), "\(plan)")
    }

    /// Issue 12: `--seeds 0,1 --quick` writes interval columns for every cell, and each seed's folder
    /// holds that seed's own run.
    @Test func seedsGiveAnIntervalForEveryCell() throws {
        let folder = TestSupport.temporaryFolder()
        let small = ["--quick", "--n", "48", "--training-steps", "20", "--training-points", "256", "--pairs", "moons:checkerboard",
                     "--cells", "ddim:4,heun:4", "--oracle-cells", "ddim:4", "--quiet"]
        let r = try TestSupport.monge(["reproduce", "ddib-2d", "--seeds", "0,1", "--out", folder + "/seeds"] + small)
        #expect(r.status == 0, "\(r.stderr)")
        let cycles = try TestSupport.csvRows(folder + "/seeds/cycle_results_seeds.csv")
        let cycleNames = cycles.first ?? []
        #expect(Array(cycleNames.prefix(5)) == ["pair", "paper_pair", "solver", "steps", "seeds"], "\(cycleNames)")
        for metric in ["cycle_mean", "cycle_max"] {
            for suffix in ["_mean", "_ci95_low", "_ci95_high"] { #expect(cycleNames.contains(metric + suffix), "cycle: \(metric + suffix)") }
        }
        #expect(cycles.count == 2 && cycles.last!.prefix(5) == ["moons → checkerboard", "0→1", "ddim", "4", "2"], "\(cycles)")
        for stem in ["results_seeds", "oracle_results_seeds"] {
            let rows = try TestSupport.csvRows(folder + "/seeds/\(stem).csv")
            let names = rows.first ?? []
            for metric in ["cost", "w2sq", "optimality", "realism_w2", "cycle_max"] {
                for suffix in ["_mean", "_ci95_low", "_ci95_high"] { #expect(names.contains(metric + suffix), "\(stem): \(metric + suffix)") }
            }
            let cells = rows.dropFirst()
            #expect(cells.count == 2, "\(stem): two cells (ddim:4, heun:4 trained; ddim:4 on two oracle pairs)")
            for fields in cells {
                let low = fields[names.firstIndex(of: "cost_ci95_low")!], high = fields[names.firstIndex(of: "cost_ci95_high")!]
                #expect(Double(low)! <= Double(high)!, "\(fields)")
                #expect(fields[names.firstIndex(of: "seeds")!] == "2")
            }
        }
        // Seed 1's folder is the run of --seed 1.
        let single = try TestSupport.monge(["reproduce", "ddib-2d", "--seed", "1", "--out", folder + "/one"] + small)
        #expect(single.status == 0, "\(single.stderr)")
        let a = try ArrayFile.readMatrix(folder + "/seeds/seed_1/pairs/moons__checkerboard/ddim-4/mapped.npy", as: Double.self)
        let b = try ArrayFile.readMatrix(folder + "/one/pairs/moons__checkerboard/ddim-4/mapped.npy", as: Double.self)
        #expect(a == b)
        let both = try TestSupport.monge(["reproduce", "ddib-2d", "--seed", "1", "--seeds", "0,1", "--out", folder + "/x"] + small)
        #expect(both.status != 0 && both.stderr.contains("--seed or --seeds"), "\(both.stderr)")
    }

    @Test func badInputIsNamed() throws {
        let folder = TestSupport.temporaryFolder()
        let unknown = try TestSupport.monge(["reproduce", "ddib-3d", "--out", folder + "/a"])
        #expect(unknown.status != 0 && unknown.stderr.contains("ddib-2d"), "\(unknown.stderr)")
        let badPair = try TestSupport.monge(["reproduce", "ddib-2d", "--quick", "--pairs", "moons:nowhere", "--out", folder + "/b"])
        #expect(badPair.status != 0 && badPair.stderr.contains("nowhere"), "\(badPair.stderr)")
        let badCell = try TestSupport.monge(["reproduce", "ddib-2d", "--quick", "--cells", "euler:10", "--out", folder + "/c"])
        #expect(badCell.status != 0 && badCell.stderr.contains("euler:10"), "\(badCell.stderr)")
        let twoModes = try TestSupport.monge(["reproduce", "ddib-2d", "--quick", "--medium", "--out", folder + "/d"])
        #expect(twoModes.status != 0 && twoModes.stderr.contains("--quick or --medium"), "\(twoModes.stderr)")
        #expect(TestSupport.files(in: folder).isEmpty)
    }
}
