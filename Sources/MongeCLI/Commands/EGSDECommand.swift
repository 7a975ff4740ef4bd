import ArgumentParser
import Foundation
import MongeBridges
import MongeDiffusion
import MongeNN

/// `monge egsde MODEL_B INPUT --classifier DIR --out F`: EGSDE's energy-guided translation A → B.
struct EGSDECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "egsde",
        abstract: "Translate points to domain B with EGSDE (energy-guided SDE; SDEdit when both λ are 0).",
        discussion: """
        The input is noised to level M = m·T with noise e, then denoised by MODEL_B's ancestral DDPM steps \
        whose means are shifted by −(β/√α)∇_y E, E = λ_s·cos(F(y, t), F(x_t, t)) + λ_i·‖y − x_t‖², where x_t \
        is the input noised to the step's level with the same e and F the features of the classifier of \
        `monge classifier` (trained with MODEL_B's schedule). MODEL_B is a checkpoint folder or an oracle \
        (see `monge sample --help`). Zhao et al. (NeurIPS 2022) use m = 0.5, λ_s = 500, λ_i = 2 on images; in \
        2-D λ_i is the weight of the quadratic transport cost. Results do not depend on the thread count.
        """)

    @Argument(help: "The target domain's model.") var model: String
    @Argument(help: "Points of domain A (.npy or .csv), N × D, or image data such as data:fashion:7:split=test.") var input: String
    @Option(help: "Folder written by `monge classifier`.") var classifier: String
    @Option(help: "Output file of translated points (.npy or .csv).") var out: String
    @Option(help: "Start level as a fraction of T: M = round(m·T), at most T − 1.") var m: Double = 0.5
    @Option(name: .customLong("lambda-s"), help: "Weight λ_s of the realism expert (cosine of classifier features).") var lambdaS: Double = 500
    @Option(name: .customLong("lambda-i"), help: "Weight λ_i of the faithfulness expert (‖y − x_t‖²).") var lambdaI: Double = 2
    @Option(help: "DDPM steps from M to 0, linspace-spaced (default: every level, M + 1 steps).") var steps: Int?
    @Option(help: "Seed of the noise e and of every step.") var seed: UInt64 = 0
    @Flag(help: "No progress on stderr.") var quiet = false

    func validate() throws {
        guard m.isFinite, m > 0, m <= 1 else { throw ValidationError("--m must be in (0, 1], got \(m)") }
        try Check.range(steps, "--steps", 1...Check.maximumTimesteps)
        for (option, value) in [("--lambda-s", lambdaS), ("--lambda-i", lambdaI)] where !value.isFinite {
            throw ValidationError("\(option) must be a finite number, got \(value)")
        }
        try Check.arrayFile(out, "--out")
        try Check.model(model)
    }

    func run() throws {
        let started = Date()
        let spec = try ModelSpec(parsing: model)
        let target = try spec.denoiser(as: Float.self)
        let guide = try ClassifierCheckpoint.read(from: classifier)
        let x = try readPoints(input, as: Float.self, model: target)
        let count = target.schedule.count
        let start = min(count - 1, Int((m * Double(count)).rounded()))
        let timesteps = try EGSDE.timesteps(start: start, steps: steps)
        var manifest = RunManifest.begin(command: "monge egsde", seed: seed, parameters: [
            "model": .string(spec.text), "input": .string(input), "classifier": .string(classifier),
            "m": .number(m), "start": .integer(start), "lambdaS": .number(lambdaS), "lambdaI": .number(lambdaI),
            "steps": .integer(timesteps.count),
        ])
        let reporter = quiet ? nil : ProgressReporter(label: "egsde")
        let progress: (@Sendable (SamplerProgress) -> Void)? = reporter.map { r in { r.report($0) } }
        let output = try EGSDE.translate(target, classifier: guide, source: x, start: start, lambdaS: lambdaS, lambdaI: lambdaI,
                                         steps: timesteps.count, noise: RandomStream(seed: seed),
                                         options: SamplerOptions(progress: progress))
        let cost = (0..<x.rows).reduce(0.0) { sum, i in
            sum + (0..<x.columns).reduce(0.0) { let r = Double(output.x[i, $1] - x[i, $1]); return $0 + r * r }
        } / Double(max(1, x.rows))
        manifest.finish(outputs: [out], results: ["points": .integer(x.rows), "transportCost": .number(cost),
                                                  "evaluationsPerPoint": .integer(output.evaluations)])
        var outputs = OutputSet()
        try outputs.add(output.x, to: out)
        try outputs.commit(manifest: manifest, beside: [out])
        print(String(format: "egsde: %d points, M = %d, %d steps, λ_s = %g, λ_i = %g; transport cost mean ‖T(x) − x‖² = %.6g",
                     x.rows, start, timesteps.count, lambdaS, lambdaI, cost))
        if !quiet {
            FileHandle.standardError.write(Data(String(format: "%@egsde: %.2f s → %@\n", isatty(2) != 0 ? "\r" : "",
                                                       Date().timeIntervalSince(started), out).utf8))
        }
    }
}
