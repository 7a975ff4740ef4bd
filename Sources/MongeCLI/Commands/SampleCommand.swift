import ArgumentParser
import Foundation
import MongeDiffusion

/// `monge sample MODEL --n N --steps K --out F`: draw samples from a model or an oracle.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Draw N samples from a model: x_T ~ N(0, I) denoised by DDIM (η), DDPM, Heun, Euler, ancestral Euler or DPM-Solver++(2M).",
        discussion: """
        MODEL is a checkpoint folder or an oracle with an exact ε: oracle:gaussians25, oracle:gaussians8, \
        oracle:gaussian:mean=0,0:std=1 (or :cov=…), oracle:empirical:FILE; oracles also take \
        :schedule=linear|cosine|scaled-linear and :T=N. Oracles run in Double, networks in Float. \
        The same seed gives byte-identical samples whatever --block-size or MONGE_THREADS.
        """)

    @Argument(help: "A checkpoint folder or oracle:… (see below).") var model: String
    @Option(name: .customLong("n"), help: "Number of samples.") var count: Int
    @Option(help: "ddim (η = --eta), ddpm (ancestral), heun (2nd-order ODE), euler, euler-ancestral or dpmpp-2m (DPM-Solver++(2M)).") var sampler: SamplerName = .ddim
    @Option(help: "DDIM's η in [0, 1] (0: deterministic).") var eta: Double = 0
    @Option(help: "Output file (.npy or .csv), N × D.") var out: String
    @OptionGroup var sampling: SamplingArguments

    func validate() throws {
        try Check.range(count, "--n", 1...Int.max)
        try Check.range(eta, "--eta", 0...1)
        guard eta == 0 || sampler == .ddim else { throw ValidationError("--eta applies to --sampler ddim only") }
        try sampling.validate(outputs: [("--out", out)])
        let spec = try Check.model(model)
        // Oracles sample in Double, networks in Float.
        try Check.memory(Footprint.sampling(count: count, dimension: Check.dimension(of: spec), scalarBytes: spec.isOracle ? 8 : 4,
                                            steps: sampling.steps, trajectoryRows: sampling.trajectory == nil ? nil : sampling.trajectoryRows))
    }

    var method: SamplerMethod { sampler.method(eta: eta) }

    func run() throws {
        let spec = try ModelSpec(parsing: model)
        if spec.isOracle { try run(spec, as: Double.self) } else { try run(spec, as: Float.self) }
    }

    func run<S: MatrixScalar>(_ spec: ModelSpec, as _: S.Type) throws {
        let started = Date()
        let denoiser = try spec.denoiser(as: S.self)
        let timesteps = try sampling.timesteps(for: denoiser.schedule)
        var manifest = sampling.beginManifest(command: "sample", model: denoiser, method: method, timesteps: timesteps)
        manifest.parameters["n"] = .integer(count)
        let output = try Sampler.sample(denoiser, count: count, timesteps: timesteps, method: method,
                                        noise: RandomStream(seed: sampling.seed), options: sampling.options(rows: count, label: "sample"))
        try sampling.finish(output, to: out, label: "sample", started: started, manifest: manifest)
    }
}
