import ArgumentParser
import Foundation
import MongeDiffusion

extension TimestepSpacing: ExpressibleByArgument {}

extension SamplerName: ExpressibleByArgument {}
extension SpacingName: ExpressibleByArgument {}

/// Options shared by `sample`, `encode` and `decode`: the steps, their spacing, the solver, the seed.
struct SamplingArguments: ParsableArguments {
    @Option(help: "Sampling steps K (1 … T), placed among the model's T timesteps by --spacing.")
    var steps: Int

    @Option(help: "How the K steps are placed: linspace (T − 1 down to 0, as translate and DDIBBridge), trailing, leading, or karras (Karras et al.'s σ's, ρ = 7, rounded to levels).")
    var spacing: SpacingName = .standard

    @Option(help: "Seed of every random number (initial noise, DDPM/η noise).")
    var seed: UInt64 = 0

    @Option(help: "Rows per model call; results do not depend on it for row-independent models.")
    var blockSize: Int = 1024

    @Option(help: "Also write the trajectories of the first rows to this .npy/.csv file: columns step, level, row, x…")
    var trajectory: String?

    @Option(help: "How many rows --trajectory records.")
    var trajectoryRows: Int = 16

    @Flag(help: "No progress on stderr.")
    var quiet = false

    /// Checks the shared options and that `outputs` (option, path) and --trajectory are distinct
    /// .npy/.csv files.
    func validate(outputs: [(option: String, path: String?)]) throws {
        try Check.range(steps, "--steps", 1...Check.maximumTimesteps)
        try Check.range(blockSize, "--block-size", 1...Check.maximumPoints)
        try Check.range(trajectoryRows, "--trajectory-rows", 1...Check.maximumPoints)
        let all = outputs + [(option: "--trajectory", path: trajectory)]
        for (option, path) in all { try Check.arrayFile(path, option) }
        try Check.distinctOutputs(all)
    }

    func timesteps(for schedule: NoiseSchedule) throws -> [Int] { try spacing.timesteps(for: schedule, steps: steps) }

    func options(rows: Int, label: String) -> SamplerOptions {
        var progress: (@Sendable (SamplerProgress) -> Void)?
        if !quiet {
            let reporter = ProgressReporter(label: label)
            progress = { reporter.report($0) }
        }
        return SamplerOptions(blockSize: blockSize,
                              recordedRows: trajectory == nil ? [] : Array(0..<min(trajectoryRows, rows)),
                              progress: progress)
    }

    /// The run manifest's start: the command, the seed, and the resolved sampling parameters.
    func beginManifest(command: String, model: AnyDenoiser<some MatrixScalar>, method: SamplerMethod, timesteps: [Int]) -> RunManifest {
        RunManifest.begin(command: "monge \(command)", seed: seed, parameters: [
            "model": .string(model.label), "dimension": .integer(model.dimension),
            "schedule": .string("\(model.schedule.kind)"), "schedule_timesteps": .integer(model.schedule.count),
            "sampler": .string("\(method)"), "steps": .integer(steps), "spacing": .string(spacing.rawValue),
            "timesteps": .array(timesteps.map { .integer($0) }), "block_size": .integer(blockSize),
        ])
    }

    /// Writes the output, the optional trajectory, the manifest beside the output, and a one-line
    /// summary on stderr.
    func finish<S: MatrixScalar>(_ output: SamplerOutput<S>, to path: String, label: String, started: Date,
                                 manifest: RunManifest) throws {
        var outputs = OutputSet()
        try outputs.add(output.x, to: path)
        if let trajectoryPath = trajectory, let t = output.trajectory {
            try outputs.add(SamplingArguments.table(t), to: trajectoryPath, header: SamplingArguments.header(t))
        }
        var manifest = manifest
        manifest.finish(outputs: outputs.paths, results: ["points": .integer(output.x.rows), "evaluations_per_point": .integer(output.evaluations)])
        try outputs.commit(manifest: manifest, beside: [path])
        if !quiet {
            let seconds = Date().timeIntervalSince(started)
            FileHandle.standardError.write(Data(String(
                format: "%@%@: %d points × %d model evaluations in %.2f s → %@\n",
                isatty(2) != 0 ? "\r" : "", label, output.x.rows, output.evaluations, seconds, path).utf8))
        }
    }

    /// A trajectory as rows (step, level, row, x_0 … x_{D−1}), step-major.
    static func table<S: MatrixScalar>(_ t: Trajectory<S>) -> Matrix<Double> {
        let d = t.states.first?.columns ?? 0
        var values: [Double] = []
        for (k, state) in t.states.enumerated() {
            for (r, row) in t.rows.enumerated() {
                values += [Double(k), Double(t.levels[k]), Double(row)] + state.row(r).map { Double($0) }
            }
        }
        return try! Matrix(rows: t.states.count * t.rows.count, columns: 3 + d, storage: values)
    }

    static func header<S: MatrixScalar>(_ t: Trajectory<S>) -> [String] {
        ["step", "level", "row"] + (0..<(t.states.first?.columns ?? 0)).map { "x\($0)" }
    }
}

/// Progress on stderr: "label: 42 %" rewritten in place on a terminal at every percent, one line
/// per 10 % otherwise (logs).
final class ProgressReporter: @unchecked Sendable {
    private let label: String
    private let interactive = isatty(2) != 0
    private let lock = NSLock()
    private var shown = -1

    init(label: String) { self.label = label }

    func report(_ progress: SamplerProgress) {
        let percent = Int(progress.fraction * 100)
        let step = interactive ? 1 : 10
        lock.lock()
        defer { lock.unlock() }
        guard percent / step != shown / step || shown < 0 else { return }
        shown = percent
        FileHandle.standardError.write(Data((interactive ? "\r\(label): \(percent) %" : "\(label): \(percent) %\n").utf8))
    }
}

