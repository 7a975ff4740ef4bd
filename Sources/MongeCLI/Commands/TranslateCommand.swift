import ArgumentParser
import Foundation
import MongeBridges

/// `monge translate --from A --to B INPUT`: DDIB's translation, x_B = decode_B(encode_A(x_A)).
struct TranslateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Translate points from domain A to domain B with DDIB (encode with A's ODE, decode with B's).",
        discussion: """
        MODEL_A and MODEL_B are checkpoint folders or oracles (oracle:gaussians25, oracle:gaussians8, \
        oracle:gaussian:mean=0,0:std=1, oracle:empirical:FILE; see `monge sample --help`). With two \
        oracles the ε is exact and the computation runs in Float64, which separates the bridge's own \
        distance from optimal transport from learning and discretisation errors.
        """)

    @Option(name: .customLong("from"), help: "The source domain's model (encoder).") var source: String
    @Option(name: .customLong("to"), help: "The target domain's model (decoder).") var target: String
    @Argument(help: "Points of domain A (.npy or .csv), N × D, or image data such as data:fashion:7:split=test.") var input: String
    @Option(help: "ODE steps of each half (1 … T).") var steps: Int
    @Option(help: "ddim (Euler, DDIB's choice), heun (second order) or euler (k-diffusion's form of ddim), as for encode.") var sampler: ODESolverName?
    @Option(help: .hidden) var solver: ODESolverName?
    @Option(help: "How the steps are placed among each model's T timesteps: linspace, leading, trailing or karras (as for encode and decode).")
    var spacing: SpacingName = .standard
    @Option(help: "Output file of translated points T(x) (.npy or .csv).") var out: String
    @Option(help: "Also write the latents x_T.") var latent: String?
    @Option(help: "Also write the trajectories of the first rows (columns phase, step, level, row, x…; phase 0 encodes, 1 decodes).")
    var trajectory: String?
    @Option(help: "How many rows --trajectory records.") var trajectoryRows: Int = 16
    @Option(help: "With --cycle: write T_BA(T_AB(x)) here.") var cycled: String?
    @Flag(help: "Also map back B → A and report the cycle error ‖x − T_BA(T_AB(x))‖ (mean, max).") var cycle = false
    @Flag(help: "No progress on stderr.") var quiet = false

    /// The ODE method: --sampler, or its older spelling --solver (kept as an alias with a note).
    var method: ODESolverName { sampler ?? solver ?? .ddim }

    func validate() throws {
        if let solver {
            if let sampler, sampler != solver {
                throw ValidationError("--sampler \(sampler.rawValue) and --solver \(solver.rawValue) disagree; --solver is the old name of --sampler")
            }
            FileHandle.standardError.write(Data("note: translate's --solver is now --sampler (the name encode and decode use)\n".utf8))
        }
        try Check.range(steps, "--steps", 1...Check.maximumTimesteps)
        try Check.range(trajectoryRows, "--trajectory-rows", 1...Check.maximumPoints)
        if cycled != nil && !cycle { throw ValidationError("--cycled needs --cycle") }
        let outputs: [(option: String, path: String?)] = [("--out", out), ("--latent", latent), ("--trajectory", trajectory),
                                                          ("--cycled", cycled)]
        for (option, path) in outputs { try Check.arrayFile(path, option) }
        try Check.distinctOutputs(outputs)
        try Check.model(source)
        try Check.model(target)
    }

    func run() throws {
        let a = try ModelSpec(parsing: source), b = try ModelSpec(parsing: target)
        // Two oracles run in Float64; a trained network works in Float32.
        if a.isOracle && b.isOracle { try run(a, b, as: Double.self) } else { try run(a, b, as: Float.self) }
    }

    func run<S: MatrixScalar>(_ a: ModelSpec, _ b: ModelSpec, as _: S.Type) throws {
        let started = Date()
        let modelA = try a.denoiser(as: S.self), modelB = try b.denoiser(as: S.self)
        let x = try readPoints(input, as: S.self, model: modelA)
        let bridge = try DDIBBridge(source: modelA, target: modelB, steps: steps, spacing: spacing, method: method.method)
        var manifest = RunManifest.begin(command: "monge translate", parameters: [
            "from": .string(a.text), "to": .string(b.text), "input": .string(input), "steps": .integer(steps),
            "sampler": .string(method.rawValue), "spacing": .string(spacing.rawValue),
            "source_timesteps": .array(try bridge.sourceTimesteps().map { .integer($0) }),
            "target_timesteps": .array(try bridge.targetTimesteps().map { .integer($0) }),
        ])
        let reporter = quiet ? nil : ProgressReporter(label: "translate")
        let progress: (@Sendable (SamplerProgress) -> Void)? = reporter.map { r in { r.report($0) } }
        let recorded = trajectory == nil ? [] : Array(0..<min(trajectoryRows, x.rows))
        let translation = try bridge.translate(x, recordedRows: recorded, progress: progress)
        // Every file is computed first and written together at the end (none when anything fails).
        var outputs = OutputSet()
        try outputs.add(translation.mapped, to: out)
        if let latent { try outputs.add(translation.latent, to: latent) }
        if let path = trajectory, let encoding = translation.encoding, let decoding = translation.decoding {
            let table = Matrix.vstack([encoding, decoding].enumerated().map { phase, t in
                let rows = SamplingArguments.table(t)
                return Matrix(rows: rows.rows, columns: rows.columns + 1) { i, j in j == 0 ? Double(phase) : rows[i, j - 1] }
            })
            try outputs.add(table, to: path, header: ["phase"] + SamplingArguments.header(encoding))
        }
        var results: [String: JSONValue] = ["points": .integer(x.rows), "evaluations_per_point": .integer(translation.evaluations)]
        var cycleLine: String?
        if cycle {
            // The round trip of DDIBBridge.cycle, reusing the forward half already computed.
            let round = Cycle(forward: translation, returned: try bridge.reversed().translate(translation.mapped, progress: progress).mapped)
            results["cycle_error_mean"] = .number(round.meanError)
            results["cycle_error_max"] = .number(round.maxError)
            if let cycled { try outputs.add(round.returned, to: cycled) }
            cycleLine = String(format: "cycle error ‖x − T_BA(T_AB(x))‖: mean %.6g, max %.6g (%d points, %d steps, %@)",
                               round.meanError, round.maxError, x.rows, steps, method.rawValue)
        }
        manifest.finish(outputs: outputs.paths, results: results)
        try outputs.commit(manifest: manifest, beside: [out])
        if let cycleLine { print(cycleLine) }
        if !quiet {
            FileHandle.standardError.write(Data(String(format: "%@translate: %d points, %d model evaluations each, %.2f s → %@\n",
                                                       isatty(2) != 0 ? "\r" : "", x.rows, translation.evaluations,
                                                       Date().timeIntervalSince(started), out).utf8))
        }
    }
}
