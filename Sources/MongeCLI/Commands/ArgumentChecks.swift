import ArgumentParser
import Foundation
import MongeCore
import MongeData
import MongeDiffusion

/// The command line's one validation path: every command's `validate()` checks its options here,
/// before any work, so that a bad value is refused at once with the option, the value and what
/// was expected — never after minutes of training, never as a failed allocation or a trap.
enum Check {
    /// The largest hidden width a network option accepts (a width² layer is then 17 GB of Float).
    static let maximumWidth = 65_536
    /// The largest depth (hidden layers or residual blocks).
    static let maximumDepth = 10_000
    /// The largest time-embedding dimension, GAN latent dimension or other per-row feature count.
    static let maximumFeatures = 65_536
    /// The largest T of `--T` (as an oracle's `:T=`).
    static let maximumTimesteps = ModelSpec.maximumTimesteps
    /// The most points a `data:NAME` sample (and `--n` of generated data) may have.
    static let maximumPoints = maximumSampleCount

    /// Throws unless `value` is in `range`: "--width must be in 1…65536, got 1000000".
    static func range(_ value: Int?, _ option: String, _ range: ClosedRange<Int>) throws {
        guard let value, !range.contains(value) else { return }
        if range.upperBound == Int.max {
            throw ValidationError("\(option) must be at least \(range.lowerBound), got \(value)")
        }
        throw ValidationError("\(option) must be in \(range.lowerBound)…\(range.upperBound), got \(value)")
    }

    /// Throws unless `value` is finite and > 0: "--epsilon must be > 0, got -1".
    static func positive(_ value: Double?, _ option: String) throws {
        guard let value, !(value.isFinite && value > 0) else { return }
        throw ValidationError("\(option) must be > 0, got \(text(value))")
    }

    /// Throws unless `value` is finite and ≥ 0.
    static func nonNegative(_ value: Double?, _ option: String) throws {
        guard let value, !(value.isFinite && value >= 0) else { return }
        throw ValidationError("\(option) must be ≥ 0, got \(text(value))")
    }

    /// Throws unless `value` is finite and in `range`.
    static func range(_ value: Double?, _ option: String, _ range: ClosedRange<Double>) throws {
        guard let value, !(value.isFinite && range.contains(value)) else { return }
        throw ValidationError("\(option) must be in [\(text(range.lowerBound)), \(text(range.upperBound))], got \(text(value))")
    }

    /// Throws when the run's arrays do not fit in this machine's memory (or their size overflows).
    static func memory(_ needs: [MemoryBudget.Need], budget: MemoryBudget = .physicalMemory()) throws {
        try validation { try budget.check(needs) }
    }

    /// Throws, naming both options, when two outputs are the same file.
    static func distinctOutputs(_ outputs: [(option: String, path: String?)]) throws {
        try validation { try OutputPaths.checkDistinct(outputs) }
    }

    /// Throws unless `path` ends in .npy or .csv: "--out y.txt: the file must end in .npy or .csv".
    /// Every command's array-file option is checked here (`ArrayFile.isArrayFile`).
    static func arrayFile(_ path: String?, _ option: String) throws {
        guard let path, !ArrayFile.isArrayFile(path) else { return }
        throw ValidationError("\(option) \(path): the file must end in \(ArrayFile.acceptedExtensionsText)")
    }

    /// A MODEL argument parsed and its files checked (a checkpoint is a folder, an empirical
    /// oracle's points a file), without loading anything.
    @discardableResult
    static func model(_ text: String) throws -> ModelSpec {
        try validation {
            let spec = try ModelSpec(parsing: text)
            try spec.checkFiles()
            return spec
        }
    }

    /// The data dimension of a model, for memory checks: the oracle's, a checkpoint's config, or
    /// 1 (a lower bound) when it is in a points file or the config cannot be read.
    static func dimension(of spec: ModelSpec) -> Int {
        if let d = spec.knownDimension { return d }
        if case let .checkpoint(path) = spec.source, let config = try? TrainingCheckpoint.readConfig(from: path) {
            return max(1, config.model.dimension)
        }
        return 1
    }

    /// The dimension of a DATA argument when its name says it (data:digits → 64, data:NAME → 2),
    /// else 1 (a lower bound: a file's columns are known once it is read).
    static func dimension(ofData data: String) -> Int? {
        if DigitImages.isSpec(data) { return DigitImages.pixelCount }
        if FashionMNIST.isSpec(data) { return FashionMNIST.pixelCount }
        return data.hasPrefix("data:") ? 2 : nil
    }

    /// Runs `body`, turning a `MongeError` into a `ValidationError` (a usage error, exit 64).
    static func validation<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as MongeError { throw ValidationError(error.description) }
    }

    /// A number as typed: 2 not 2.0, -1 not -1.0, 1e-300 as is.
    static func text(_ value: Double) -> String {
        if value.isFinite, value.rounded() == value, abs(value) < 1e15 { return String(Int(value)) }
        return "\(value)"
    }
}
