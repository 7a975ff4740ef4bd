import Foundation
import MongeCore
import MongeExperiments

/// What the CLI writes and prints for an experiment of the grid pipeline, the same way after
/// `monge reproduce` and after `monge merge` of its shards.
protocol ReportedExperiment: GridExperiment {
    /// Every file a finished run wrote (its manifest describes them).
    static func outputs(of summary: Summary) -> [String]
    /// The manifest's results of a finished run.
    static func manifestResults(_ summary: Summary, plan: Plan) -> [String: JSONValue]
    /// The tables (and checks) on stdout.
    static func report(_ summary: Summary, plan: Plan)
}

extension Reproduction: ReportedExperiment {
    static func outputs(of summary: Summary) -> [String] { summary.files }
    static func manifestResults(_ summary: Summary, plan: ReproductionPlan) -> [String: JSONValue] {
        ["pairs": .integer(plan.pairs.count), "rows": .integer(summary.results.rows.count),
         "oracle_rows": .integer(summary.oracleResults.rows.count), "cycle_rows": .integer(summary.cycleResults.rows.count)]
    }
    static func report(_ summary: Summary, plan: ReproductionPlan) {
        print(summary.results.markdown())
        print(summary.oracleResults.markdown())
        print(summary.cycleResults.markdown())
    }
}

extension DigitsReproduction: ReportedExperiment {
    static func outputs(of summary: Summary) -> [String] { summary.files }
    static func manifestResults(_ summary: Summary, plan: DigitsPlan) -> [String: JSONValue] {
        ["pairs": .integer(plan.pairs.count), "rows": .integer(summary.results.rows.count)]
    }
    static func report(_ summary: Summary, plan: DigitsPlan) { print(summary.results.markdown()) }
}

extension ImageReproduction: ReportedExperiment {
    static func outputs(of summary: Summary) -> [String] { summary.files }
    static func manifestResults(_ summary: Summary, plan: ImagePlan) -> [String: JSONValue] {
        ["directions": .integer(plan.directions.count), "rows": .integer(summary.results.rows.count),
         "classifier_test_accuracy": .number(summary.classifierAccuracy),
         "domain_classifier_accuracy": .object(summary.domainAccuracy.mapValues { .number($0) })]
    }
    static func report(_ summary: Summary, plan: ImagePlan) {
        print(summary.results.markdown())
        print(String(format: "10-class classifier: test accuracy %.4f", summary.classifierAccuracy)
              + summary.domainAccuracy.sorted { $0.key < $1.key }.map { String(format: "; domain classifier %@: clean held-out accuracy %.4f", $0.key, $0.value) }.joined())
        // The issue's checks for sneaker ↔ ankle boot (first seed): DDIB classified as the target ≥ 80 %, Heun's cycle PSNR ≥ 25 dB.
        func value(_ direction: ImageDirection, _ method: ImageMethod, _ column: String) -> Double? {
            let table = summary.results
            guard let pair = table.columns.firstIndex(of: "pair"), let cell = table.columns.firstIndex(of: "cell"),
                  let seed = table.columns.firstIndex(of: "seed"), let index = table.columns.firstIndex(of: column),
                  let row = table.rows.first(where: {
                      $0[pair] == .text(direction.description) && $0[cell] == .text(method.rawValue) && $0[seed] == .integer(Int(plan.seeds[0]))
                  }), case .number(let x) = row[index] else { return nil }
            return x
        }
        for direction in plan.directions.sorted(by: { $0.stem < $1.stem }) where Set([direction.source, direction.target]) == [7, 9] {
            for method in [ImageMethod.ddibDDIM, .ddibHeun] {
                guard let accuracy = value(direction, method, "target_accuracy") else { continue }
                print(String(format: "check %@ %@: target accuracy %.3f (≥ 0.8: %@)", direction.description, method.rawValue, accuracy,
                             accuracy >= 0.8 ? "yes" : "NO"))
            }
            if let psnr = value(direction, .ddibHeun, "cycle_psnr") {
                print(String(format: "check %@ ddib_heun: cycle PSNR %.2f dB (≥ 25: %@)", direction.description, psnr, psnr >= 25 ? "yes" : "NO"))
            }
        }
    }
}

extension BridgesReproduction: ReportedExperiment {
    static func outputs(of summary: Summary) -> [String] { summary.files }
    static func manifestResults(_ summary: Summary, plan: BridgesPlan) -> [String: JSONValue] {
        ["seeds": .array(plan.seeds.map { .integer(Int($0)) }), "rows": .integer(summary.results.rows.count)]
    }
    static func report(_ summary: Summary, plan: BridgesPlan) {
        print("mean and 95 % Student-t interval over seeds \(plan.seeds.map(String.init).joined(separator: ","))")
        print(summary.compact.markdown())
    }
}

/// The manifests of a grid — one per seed folder, and one over the seeds — written the same way
/// by `monge reproduce` and by `monge merge` of its shards.
struct ReproductionManifests<Experiment: ReportedExperiment> {
    let grid: ExperimentGrid<Experiment>
    /// Begun now: the manifests' start time and seconds cover the run (or the merge).
    var manifest: RunManifest

    init(grid: ExperimentGrid<Experiment>, command: String) {
        self.grid = grid
        manifest = RunManifest.begin(command: command + " " + Experiment.experimentName,
                                     seed: grid.plans.first.map(Experiment.seed(of:)))
    }

    var top: String { grid.folder + "/manifest.json" }

    /// Removes the manifests that a run is about to make stale.
    func removeStale() throws {
        for k in grid.plans.indices { try RunManifest.remove(at: grid.seedFolder(k) + "/manifest.json") }
        try RunManifest.remove(at: top)
    }

    func write(_ summary: ExperimentGrid<Experiment>.Summary) throws {
        for (k, run) in summary.runs.enumerated() {
            var seedManifest = manifest
            seedManifest.seed = Experiment.seed(of: grid.plans[k])
            let files = Experiment.outputs(of: run)
            seedManifest.finish(outputs: files, results: Experiment.manifestResults(run, plan: grid.plans[k]))
            try seedManifest.write(to: grid.seedFolder(k) + "/manifest.json",
                                   describing: files.filter { FileManager.default.fileExists(atPath: $0) })
        }
        guard grid.seeded, !summary.seedTables.isEmpty else { return }
        var seedsManifest = manifest
        seedsManifest.parameters["seeds"] = .array(grid.plans.map { .integer(Int(Experiment.seed(of: $0))) })
        var results: [String: JSONValue] = ["seeds": .integer(grid.plans.count)]
        for (stem, table) in summary.seedTables {
            results[stem == "results_seeds" ? "rows" : stem.replacingOccurrences(of: "_results_seeds", with: "_rows")] = .integer(table.rows.count)
        }
        seedsManifest.finish(outputs: summary.files + grid.plans.map { "seed_\(Experiment.seed(of: $0))/" }, results: results)
        try seedsManifest.write(to: top, describing: summary.files)
    }

    /// The tables on stdout, where they are on stderr.
    func report(_ summary: ExperimentGrid<Experiment>.Summary) {
        let out = grid.folder, verb = manifest.command.split(separator: " ").dropFirst().first.map(String.init) ?? "monge"
        if grid.seeded, !summary.seedTables.isEmpty {
            print("mean and 95 % Student-t interval over seeds \(grid.plans.map { String(Experiment.seed(of: $0)) }.joined(separator: ","))")
            for (_, table) in summary.seedTables { print(table.markdown()) }
            FileHandle.standardError.write(Data("\(verb): wrote \(out)/\(summary.seedTables.map { $0.stem + ".{csv,md,json}" }.joined(separator: ", ")), seed_<s>/ and manifest.json\n".utf8))
        } else if let run = summary.runs.first, let plan = grid.plans.first {
            Experiment.report(run, plan: plan)
            FileHandle.standardError.write(Data("\(verb): wrote \(out)/results.{csv,md,json}, figures/ and manifest.json\n".utf8))
        }
    }
}
