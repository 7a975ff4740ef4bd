import Foundation

/// What a command's MODEL argument names: a trained checkpoint, or an oracle with an exact ε.
///
/// Grammar (options separated by `:`, numbers lists separated by `,`):
///
///     oracle:gaussians25[:std=0.05][:spacing=2]
///     oracle:gaussians8[:radius=2][:std=0.02]
///     oracle:gaussian:mean=0,0[:std=1 | :std=1,0.5 | :cov=1,0.3,0.3,0.5]
///     oracle:empirical:FILE                 (.npy or .csv of points, one per row)
///     CHECKPOINT                            (anything else: a `monge train` folder, EMA weights)
///
/// Every oracle also takes `:schedule=linear|cosine|scaled-linear` (default linear) and `:T=N`
/// (default 1000, at most `maximumTimesteps`; DDIB's 2-D models use `:schedule=scaled-linear:T=4000`).
///
/// Why this lives in MongeDiffusion: a spec names, and `denoiser(as:)` loads, a diffusion model —
/// the oracles (`Oracles`, `GaussianOracle`, `MixtureOracle`) and `TrainingCheckpoint` are this
/// module's types and `AnyDenoiser` is what it returns. Its users (the CLI's MODEL arguments, the C
/// ABI's `monge_*` model calls, MongeEvaluation's mode oracles) all sit above MongeDiffusion and import
/// it already; a lower home (MongeCore) could not load either kind of model, and a higher one
/// (MongeExperiments) would make the C ABI and MongeEvaluation import the experiments layer.
public struct ModelSpec: Equatable, Sendable, CustomStringConvertible {
    public enum Source: Equatable, Sendable {
        case gaussians25(std: Double, spacing: Double)
        case gaussians8(radius: Double, std: Double)
        /// N(mean, Σ) with Σ = diag(std²) or a full row-major covariance.
        case gaussian(mean: [Double], std: [Double]?, covariance: [Double]?)
        case empirical(path: String)
        case checkpoint(path: String)
    }

    public let source: Source
    /// The oracle's schedule (`nil` for a checkpoint, whose schedule is in its config).
    public let schedule: NoiseSchedule?
    /// The text this was parsed from.
    public let text: String

    /// The largest T an oracle (or `monge train --T`) accepts: 250 times DDIB's 4000, and a
    /// schedule and time-embedding table that still fit in memory.
    public static let maximumTimesteps = 1_000_000

    public var isOracle: Bool {
        if case .checkpoint = source { return false }
        return true
    }

    public var description: String { text }

    /// Parses a MODEL argument; throws `MongeError.invalidArgument` naming the bad part.
    public init(parsing text: String) throws {
        self.text = text
        guard text.hasPrefix("oracle:") else {
            guard !text.isEmpty else { throw MongeError.invalidArgument(name: "MODEL", message: "empty model name") }
            self.source = .checkpoint(path: text)
            self.schedule = nil
            return
        }
        var parts = text.dropFirst("oracle:".count).split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let name = parts.removeFirst()
        // Trailing schedule options apply to every oracle (and may follow an empirical file name).
        var options: [String: String] = [:]
        var scheduleOptions: [String: String] = [:]
        while let last = parts.last, let (key, value) = ModelSpec.keyValue(last), ["T", "schedule"].contains(key) {
            guard scheduleOptions[key] == nil else { throw ModelSpec.error(text, "\(key) is given twice") }
            scheduleOptions[key] = value
            parts.removeLast()
        }
        self.schedule = try ModelSpec.schedule(scheduleOptions, text: text)
        if name == "empirical" {
            let path = parts.joined(separator: ":")
            guard !path.isEmpty else { throw ModelSpec.error(text, "oracle:empirical needs a file, e.g. oracle:empirical:points.npy") }
            self.source = .empirical(path: path)
            return
        }
        for part in parts {
            guard let (key, value) = ModelSpec.keyValue(part) else {
                throw ModelSpec.error(text, "expected key=value, got \"\(part)\"")
            }
            guard options[key] == nil else { throw ModelSpec.error(text, "\(key) is given twice") }
            options[key] = value
        }
        func number(_ key: String, default value: Double) throws -> Double {
            guard let s = options.removeValue(forKey: key) else { return value }
            guard let v = Double(s), v.isFinite, v >= 0 else { throw ModelSpec.error(text, "\(key) must be a finite number ≥ 0, got \"\(s)\"") }
            return v
        }
        func list(_ key: String) throws -> [Double]? {
            guard let s = options.removeValue(forKey: key) else { return nil }
            let values = s.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
            guard !values.isEmpty, values.allSatisfy({ $0?.isFinite == true }) else {
                throw ModelSpec.error(text, "\(key) must be a comma-separated list of numbers, got \"\(s)\"")
            }
            return values.map { $0! }
        }
        switch name {
        case "gaussians25":
            self.source = .gaussians25(std: try number("std", default: 0.05), spacing: try number("spacing", default: 2))
        case "gaussians8":
            self.source = .gaussians8(radius: try number("radius", default: 2), std: try number("std", default: 0.02))
        case "gaussian":
            guard let mean = try list("mean") else { throw ModelSpec.error(text, "oracle:gaussian needs mean=…, e.g. oracle:gaussian:mean=0,0:std=1") }
            var std = try list("std")
            let covariance = try list("cov")
            if std != nil && covariance != nil { throw ModelSpec.error(text, "give std or cov, not both") }
            if std == nil && covariance == nil { std = [1] }
            if let s = std, s.count == 1 { std = Array(repeating: s[0], count: mean.count) }
            if let s = std, s.count != mean.count {
                throw ModelSpec.error(text, "std has \(s.count) values for a mean of dimension \(mean.count)")
            }
            if let c = covariance, c.count != mean.count * mean.count {
                throw ModelSpec.error(text, "cov needs \(mean.count * mean.count) values (row-major) for a mean of dimension \(mean.count), got \(c.count)")
            }
            self.source = .gaussian(mean: mean, std: std, covariance: covariance)
        default:
            throw ModelSpec.error(text, "unknown oracle \"\(name)\"; expected gaussians25, gaussians8, gaussian or empirical")
        }
        if let unknown = options.keys.sorted().first {
            throw ModelSpec.error(text, "unknown option \"\(unknown)\" for oracle:\(name)")
        }
    }

    /// The data dimension when the spec alone says it (the built-in oracles), else `nil` (a
    /// checkpoint's or an empirical oracle's dimension is in a file).
    public var knownDimension: Int? {
        switch source {
        case .gaussians25, .gaussians8: return 2
        case let .gaussian(mean, _, _): return mean.count
        case .empirical, .checkpoint: return nil
        }
    }

    /// Checks, without loading anything, that the files the spec names exist and are of the
    /// right kind: a checkpoint is a folder, an empirical oracle's points a file.
    public func checkFiles() throws {
        switch source {
        case let .checkpoint(path):
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw MongeError.invalidArgument(name: "MODEL \"\(text)\"", message:
                    "no such checkpoint folder; MODEL is a `monge train` output folder or an oracle spec (oracle:…)")
            }
            guard isFolder.boolValue else {
                throw MongeError.invalidArgument(name: "MODEL \"\(text)\"", message:
                    "\(path) is a file; MODEL must be a checkpoint folder (written by `monge train`) or an oracle spec "
                    + "(oracle:gaussians25, oracle:empirical:\(path), …)")
            }
        case let .empirical(path):
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else {
                throw MongeError.invalidArgument(name: "MODEL \"\(text)\"", message:
                    "\(path): no such file; oracle:empirical:FILE needs a .npy or .csv file of points")
            }
        case .gaussians25, .gaussians8, .gaussian:
            return
        }
    }

    /// The model as a denoiser over `S`. Oracles compute in Double internally whatever `S` is.
    public func denoiser<S: MatrixScalar>(as _: S.Type = S.self) throws -> AnyDenoiser<S> {
        switch source {
        case let .gaussians25(std, spacing):
            return AnyDenoiser(try Oracles.gaussians25(std: std, spacing: spacing, schedule: schedule!, as: S.self), label: text)
        case let .gaussians8(radius, std):
            return AnyDenoiser(try Oracles.gaussians8(radius: radius, std: std, schedule: schedule!, as: S.self), label: text)
        case let .gaussian(mean, std, covariance):
            let oracle = try covariance.map { try GaussianOracle<S>(mean: mean, covariance: $0, schedule: schedule!) }
                ?? GaussianOracle<S>(mean: mean, std: std ?? [], schedule: schedule!)
            return AnyDenoiser(oracle, label: text)
        case let .empirical(path):
            let points = try ArrayFile.readMatrix(path, as: Double.self)
            guard points.rows >= 1, points.columns >= 1 else {
                throw MongeError.invalidFile(path: path, location: nil, message: "an empirical oracle needs at least one point")
            }
            try points.checkFinite("\(path)")
            return AnyDenoiser(try MixtureOracle<S>(empirical: points, schedule: schedule!), label: text)
        case let .checkpoint(path):
            // A training run's folder (config.json + safetensors), sampled with its EMA weights.
            try checkFiles()
            let network = try TrainingCheckpoint.denoiser(from: path)
            if S.self == Float.self { return AnyDenoiser(network, label: text) as! AnyDenoiser<S> }
            return AnyDenoiser(converting: network, label: text)
        }
    }

    static func keyValue(_ part: String) -> (String, String)? {
        guard let eq = part.firstIndex(of: "="), eq != part.startIndex else { return nil }
        return (String(part[..<eq]), String(part[part.index(after: eq)...]))
    }

    static func schedule(_ options: [String: String], text: String) throws -> NoiseSchedule {
        var count = 1000
        if let s = options["T"] {
            guard let t = Int(s), t >= 1, t <= maximumTimesteps else {
                throw error(text, "T must be a positive integer, at most \(maximumTimesteps), got \"\(s)\"")
            }
            count = t
        }
        switch options["schedule"] ?? "linear" {
        case "linear": return try .linear(count: count)
        case "cosine": return try .cosine(count: count)
        case "scaled-linear": return try .scaledLinear(count: count)
        case let other: throw error(text, "unknown schedule \"\(other)\"; expected linear, cosine or scaled-linear")
        }
    }

    static func error(_ text: String, _ message: String) -> MongeError {
        .invalidArgument(name: "MODEL \"\(text)\"", message: message)
    }
}
