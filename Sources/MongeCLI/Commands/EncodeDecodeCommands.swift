import ArgumentParser
import Foundation
import MongeData
import MongeDiffusion

/// The deterministic solvers of encode/decode.
enum ODESolverName: String, ExpressibleByArgument, CaseIterable {
    case ddim, heun, euler
    var method: SamplerMethod { self == .ddim ? .ddim(eta: 0) : self == .heun ? .heun : .euler }
}

/// `monge encode MODEL INPUT --steps K --out F`: data → latent x_T by the probability-flow ODE.
struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode points to latents x_T by DDIM inversion (η = 0) or Heun, from t = −1 up to the largest timestep.",
        discussion: "MODEL as for `monge sample` (a checkpoint folder or oracle:…). `decode` with the same --steps and --spacing is its inverse up to discretisation.")

    @Argument(help: "A checkpoint folder or oracle:….") var model: String
    @Argument(help: "Points to encode (.npy or .csv), N × D.") var input: String
    @Option(help: "ddim (Euler, DDIB's choice), heun (second order) or euler (= ddim, k-diffusion's form).") var sampler: SamplerName = .ddim
    @Option(help: "Output file (.npy or .csv) of latents, N × D.") var out: String
    @OptionGroup var sampling: SamplingArguments

    func validate() throws {
        guard SamplerName.invertible.contains(sampler) else {
            throw ValidationError("--sampler \(sampler.rawValue) only denoises and cannot encode (run upwards); encode takes one of \(SamplerName.invertible.map(\.rawValue).joined(separator: ", "))")
        }
        try sampling.validate(outputs: [("--out", out)])
        try Check.model(model)
    }

    func run() throws {
        let spec = try ModelSpec(parsing: model)
        if spec.isOracle { try run(spec, as: Double.self) } else { try run(spec, as: Float.self) }
    }

    func run<S: MatrixScalar>(_ spec: ModelSpec, as _: S.Type) throws {
        let started = Date()
        let denoiser = try spec.denoiser(as: S.self)
        let x = try readPoints(input, as: S.self, model: denoiser)
        let timesteps = try sampling.timesteps(for: denoiser.schedule)
        let method = sampler.method(eta: 0)
        var manifest = sampling.beginManifest(command: "encode", model: denoiser, method: method, timesteps: timesteps)
        manifest.parameters["input"] = .string(input)
        let output = try Sampler.encode(denoiser, x, timesteps: timesteps, method: method,
                                        options: sampling.options(rows: x.rows, label: "encode"))
        try sampling.finish(output, to: out, label: "encode", started: started, manifest: manifest)
    }
}

/// `monge decode MODEL LATENT --steps K --out F`: latent x_T → data, the mirror of encode.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode latents x_T to points, from the largest timestep down to t = −1 (DDIM, Heun, or DDPM).",
        discussion: "MODEL as for `monge sample`. With --sampler ddim and η = 0 (or heun) this is the inverse of `encode` up to discretisation.")

    @Argument(help: "A checkpoint folder or oracle:….") var model: String
    @Argument(help: "Latents to decode (.npy or .csv), N × D.") var latent: String
    @Option(help: "ddim (η = --eta), heun, ddpm, euler, euler-ancestral or dpmpp-2m.") var sampler: SamplerName = .ddim
    @Option(help: "DDIM's η in [0, 1] (0: deterministic, the inverse of encode).") var eta: Double = 0
    @Option(help: "Output file (.npy or .csv), N × D.") var out: String
    @OptionGroup var sampling: SamplingArguments

    func validate() throws {
        try Check.range(eta, "--eta", 0...1)
        guard eta == 0 || sampler == .ddim else { throw ValidationError("--eta applies to --sampler ddim only") }
        try sampling.validate(outputs: [("--out", out)])
        try Check.model(model)
    }

    func run() throws {
        let spec = try ModelSpec(parsing: model)
        if spec.isOracle { try run(spec, as: Double.self) } else { try run(spec, as: Float.self) }
    }

    func run<S: MatrixScalar>(_ spec: ModelSpec, as _: S.Type) throws {
        let started = Date()
        let denoiser = try spec.denoiser(as: S.self)
        let x = try readPoints(latent, as: S.self, model: denoiser)
        let method = sampler.method(eta: eta)
        let timesteps = try sampling.timesteps(for: denoiser.schedule)
        var manifest = sampling.beginManifest(command: "decode", model: denoiser, method: method, timesteps: timesteps)
        manifest.parameters["latent"] = .string(latent)
        let output = try Sampler.decode(denoiser, x, timesteps: timesteps, method: method,
                                        noise: RandomStream(seed: sampling.seed), options: sampling.options(rows: x.rows, label: "decode"))
        try sampling.finish(output, to: out, label: "decode", started: started, manifest: manifest)
    }
}

/// Reads an N × D point file (or the images of an image-set spec such as data:fashion:7:split=test)
/// and checks it against the model, naming the file in every error.
func readPoints<S: MatrixScalar>(_ path: String, as _: S.Type, model: AnyDenoiser<S>) throws -> Matrix<S> {
    let x = ImageSets.isSpec(path) ? try ImageSets.images(spec: path).images.converted(to: S.self) : try ArrayFile.readMatrix(path, as: S.self)
    guard x.columns == model.dimension else {
        let works = model.imageShape.map { "works on \($0) images (rows of \($0.dimension) values)" } ?? "works on points of dimension \(model.dimension)"
        throw MongeError.shapeMismatch("\(path) has \(x.columns) columns but the model \(model.label) \(works)")
    }
    try PointFile.checkFinite(x, path: path)
    return x
}
