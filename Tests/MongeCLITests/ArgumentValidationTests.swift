import Foundation
import MongeCLI
import MongeCore
import MongeNN
import Testing
import TestSupport

/// Issue 9's command-line cases, parsed and validated in-process as the binary does (nothing
/// runs), and a few of them end to end through the binary.
@Suite("Argument validation")
struct ArgumentValidationTests {
    /// The message the binary would print for `arguments`, or nil when they are accepted.
    static func refusal(_ arguments: [String]) -> String? {
        do {
            try Monge.parseAndValidate(arguments)
            return nil
        } catch {
            return Monge.message(for: error)
        }
    }

    /// Expects `arguments` to be refused with a message holding every fragment.
    static func expectRefused(_ arguments: [String], _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        guard let message = refusal(arguments) else {
            Issue.record("accepted: \(arguments.joined(separator: " "))", sourceLocation: sourceLocation)
            return
        }
        for fragment in fragments {
            #expect(message.contains(fragment), "\(arguments.joined(separator: " ")): \"\(message)\" lacks \"\(fragment)\"",
                    sourceLocation: sourceLocation)
        }
    }

    static func expectAccepted(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let message = refusal(arguments)
        #expect(message == nil, "\(arguments.joined(separator: " ")): \(message ?? "")", sourceLocation: sourceLocation)
    }

    static let folder = TestSupport.temporaryFolder("validation")
    static let memory = MemoryBudget.format(MemoryBudget.physicalMemory().limit)

    // MARK: Sizes, before any work, against the memory they need

    @Test func sampleCountsAreCheckedAgainstMemory() {
        let base = ["sample", "oracle:gaussians25", "--steps", "10", "--out", Self.folder + "/s.npy"]
        Self.expectAccepted(base + ["--n", "1000"])
        Self.expectRefused(base + ["--n", "100000000000"],
                           ["--n 100000000000", "4.80 TB", "4800000000000 bytes", Self.memory + " of physical memory"])
        // 2⁶² samples: the byte count overflows (a SIGILL before).
        Self.expectRefused(base + ["--n", "4611686018427387904"], ["--n 4611686018427387904", "overflows"])
        Self.expectRefused(base + ["--n", "0"], ["--n must be at least 1, got 0"])
        let trajectory = ["sample", "oracle:gaussians25", "--n", "100000", "--steps", "1000000", "--out", Self.folder + "/s.npy",
                          "--trajectory", Self.folder + "/t.npy", "--trajectory-rows", "100000"]
        Self.expectRefused(trajectory, ["--trajectory-rows 100000 --steps 1000000", "trajectory", "physical memory"])
    }

    @Test func anOracleTIsBounded() {
        Self.expectRefused(["sample", "oracle:gaussians25:T=1000000000000", "--n", "10", "--steps", "10", "--out", Self.folder + "/s.npy"],
                           ["T must be a positive integer, at most 1000000", "1000000000000"])
    }

    @Test func trainingSizesAreBoundedAndCheckedAgainstMemory() {
        let base = ["train", "data:moons", "--out", Self.folder + "/run"]
        Self.expectAccepted(base)
        Self.expectAccepted(base + ["--width", "32", "--depth", "2", "--T", "100", "--batch", "256", "--chunks", "1"])
        Self.expectRefused(base + ["--T", "1000000000000"], ["--T must be in 1…1000000, got 1000000000000"])
        Self.expectRefused(base + ["--width", "1000000"], ["--width must be in 1…65536, got 1000000"])
        Self.expectRefused(base + ["--depth", "10000000"], ["--depth must be in 0…10000, got 10000000"])
        Self.expectRefused(base + ["--batch", "10000000000", "--chunks", "1"],
                           ["--batch 10000000000 --width 256 --depth 4", "activations of 10000000000 rows", "physical memory"])
        Self.expectRefused(base + ["--batch", "9223372036854775807"], ["--batch 9223372036854775807", "overflows"])
        Self.expectRefused(base + ["--data-points", "1000000000"], ["--data-points must be in 1…100000000"])
        // Within the bounds, the memory they need: the parameters of W 65536 × depth 10000 …
        Self.expectRefused(base + ["--width", "65536", "--depth", "10000"],
                           ["--width 65536 --depth 10000", "parameters of the residual W 65536 depth 10000", "physical memory"])
        // … the activations of a huge batch …
        Self.expectRefused(base + ["--batch", "100000000", "--width", "4096", "--depth", "4", "--chunks", "1"],
                           ["--batch 100000000 --width 4096 --depth 4", "activations", "physical memory"])
        // … and the time-embedding table of a large T with a wide embedding.
        Self.expectRefused(base + ["--T", "1000000", "--time-embedding", "65536", "--width", "64"],
                           ["--T 1000000 --time-embedding 65536", "time embedding", "physical memory"])
    }

    @Test func ganAndClassifierSizesAreChecked() {
        let gan = ["gan", "--mode", "vanilla", "--out", Self.folder + "/gan"]
        Self.expectAccepted(gan)
        Self.expectRefused(gan + ["--samples", "100000000000"], ["--samples 100000000000", "physical memory"])
        Self.expectRefused(gan + ["--latent", "1000000000"], ["--latent must be in 1…65536, got 1000000000"])
        Self.expectRefused(gan + ["--latent", "65536", "--batch", "10000000"], ["--batch 10000000 --latent 65536", "physical memory"])
        let classifier = ["classifier", "data:moons", "data:circles", "--out", Self.folder + "/c"]
        Self.expectAccepted(classifier)
        Self.expectRefused(classifier + ["--width", "1000000"], ["--width must be in 1…65536, got 1000000"])
        Self.expectRefused(classifier + ["--width", "65536", "--depth", "1000"], ["--width 65536 --depth 1000", "physical memory"])
        Self.expectRefused(classifier + ["--T", "1000000000000"], ["--T must be in 1…1000000"])
    }

    @Test func reproduceValidatesItsWholePlanBeforeTraining() {
        Self.expectAccepted(["reproduce", "ddib-2d", "--quick"])
        Self.expectRefused(["reproduce", "ddib-2d", "--quick", "--n", "10000000000"], ["--n must be in 2…100000000, got 10000000000"])
        Self.expectRefused(["reproduce", "ddib-digits", "--n", "4611686018427387904"], ["--n must be in 2…100000000"])
        Self.expectRefused(["reproduce", "ddib-2d", "--quick", "--cells", "ddim:5000"], ["5000 steps outside 1…T"])
        Self.expectRefused(["reproduce", "ddib-2d", "--quick", "--pairs", "moons:nowhere"], ["nowhere"])
        Self.expectRefused(["reproduce", "ddib-2d", "--quick", "--training-points", "1000000000"], ["--training-points must be in 1…100000000"])
    }

    @Test func dataAndBenchSizesAreBounded() {
        Self.expectRefused(["data", "moons", "--n", "100000000000", "--out", Self.folder + "/m.npy"], ["--n must be in 1…100000000"])
        Self.expectRefused(["bench", "ot", "--ns", "1000000000000"], ["--ns must be in 1…100000000"])
        Self.expectRefused(["bench", "ot", "--warm-start", "sometimes"], ["unknown --warm-start sometimes", "gap"])
        Self.expectRefused(["bench", "ot", "--warm-start-quantile", "1.5"], ["--warm-start-quantile must be in"])
        Self.expectRefused(["bench", "ot", "--weighted", "--solvers", "simplex,assignment"], ["--solvers assignment needs n = m with uniform weights"])
        Self.expectRefused(["bench", "ot", "--target-ratio", "0"], ["--target-ratio must be in"])
        Self.expectRefused(["bench", "ot", "--relative-tolerance", "-1e-13"], ["--relative-tolerance must be in"])
        Self.expectRefused(["bench", "ot", "--simplex-limit", "-1"], ["--simplex-limit must be in"])
        Self.expectRefused(["bench", "ot", "--ns", "1000000", "--solvers", "sinkhorn", "--quadratic-limit", "1000000"],
                           ["1000000 × 1000000 cost matrix", "physical memory"])
        Self.expectRefused(["bench", "mlp", "--widths", "1000000"], ["--widths must be in 1…65536"])
        // reps × 4e7 / FLOPs calls of a thin shape overflowed Int.
        Self.expectRefused(["bench", "gemm", "--thin", "--reps", "9223372036854775807"], ["--reps must be in 1…100000"])
        Self.expectAccepted(["bench", "gemm", "--reps", "5"])
    }

    // MARK: Clear errors

    @Test func negativeNumbersAreValuesThatGetARangeError() {
        let ot = ["ot", Self.folder + "/x.npy", Self.folder + "/y.npy"]
        Self.expectRefused(ot + ["--solver", "sinkhorn", "--epsilon", "-1"], ["--epsilon must be > 0, got -1"])
        Self.expectRefused(ot + ["--solver", "sinkhorn", "--epsilon", "-1e-3"], ["--epsilon must be > 0, got -0.001"])
        Self.expectRefused(ot + ["--max-iterations", "-5"], ["--max-iterations must be at least 1, got -5"])
        Self.expectRefused(["sample", "oracle:gaussians25", "--n", "-3", "--steps", "10", "--out", Self.folder + "/s.npy"],
                           ["--n must be at least 1, got -3"])
        Self.expectRefused(["egsde", "oracle:gaussians25", Self.folder + "/x.npy", "--classifier", Self.folder, "--out", Self.folder + "/e.npy",
                            "--m", "-0.5"], ["--m must be in (0, 1], got -0.5"])
    }

    @Test func negativeNumbersAttachToTheOptionBeforeThem() {
        #expect(CommandLineArguments.attachingNegativeValues(["--epsilon", "-1", "--quiet"]) == ["--epsilon=-1", "--quiet"])
        #expect(CommandLineArguments.attachingNegativeValues(["--m", "-.5", "--x", "-1e-3"]) == ["--m=-.5", "--x=-1e-3"])
        #expect(CommandLineArguments.attachingNegativeValues(["--out", "-h"]) == ["--out", "-h"])
        #expect(CommandLineArguments.attachingNegativeValues(["--a=-1", "-5"]) == ["--a=-1", "-5"])
        #expect(CommandLineArguments.attachingNegativeValues(["--", "--a", "-1"]) == ["--", "--a", "-1"])
        #expect(CommandLineArguments.attachingNegativeValues(["--a", "--1"]) == ["--a", "--1"])
    }

    @Test func epsilonWithAnExactSolverIsAnError() {
        let ot = ["ot", Self.folder + "/x.npy", Self.folder + "/y.npy"]
        Self.expectAccepted(ot + ["--solver", "sinkhorn", "--epsilon", "0.1"])
        Self.expectRefused(ot + ["--epsilon", "0.1"], ["--epsilon", "--solver is auto", "--solver sinkhorn"])
        Self.expectRefused(ot + ["--solver", "simplex", "--epsilon", "0.1"], ["--epsilon", "--solver is simplex"])
        Self.expectRefused(ot + ["--solver", "assignment", "--max-iterations", "10"], ["--max-iterations", "--solver assignment"])
    }

    @Test func aFileGivenAsModelIsNamed() throws {
        try ArrayFile.write(Matrix<Double>([[0, 0]]), to: Self.folder + "/good.npy")
        for command in [["sample", Self.folder + "/good.npy", "--n", "5"], ["encode", Self.folder + "/good.npy", Self.folder + "/good.npy"],
                        ["translate", "--from", "oracle:gaussians25", "--to", Self.folder + "/good.npy", Self.folder + "/good.npy"]] {
            Self.expectRefused(command + ["--steps", "5", "--out", Self.folder + "/o.npy"],
                               ["good.npy is a file", "MODEL must be a checkpoint folder", "oracle"])
        }
    }

    // MARK: One file, two outputs

    @Test func twoOutputsOnOneFileAreRefused() {
        let x = Self.folder + "/x.npy"
        Self.expectRefused(["ot", x, x, "--plan", Self.folder + "/p.csv", "--map", Self.folder + "/./p.csv"], ["--plan and --map", "p.csv"])
        Self.expectAccepted(["ot", x, x, "--plan", Self.folder + "/p.csv", "--map", Self.folder + "/m.csv"])
        let translate = ["translate", "--from", "oracle:gaussians25", "--to", "oracle:gaussians8", x, "--steps", "5"]
        Self.expectRefused(translate + ["--latent", Self.folder + "/t.npy", "--out", Self.folder + "/t.npy"], ["--out and --latent"])
        Self.expectRefused(translate + ["--out", Self.folder + "/t.npy", "--cycle", "--cycled", Self.folder + "/t.npy"], ["--out and --cycled"])
        Self.expectAccepted(translate + ["--out", Self.folder + "/t.npy", "--latent", Self.folder + "/z.npy"])
        Self.expectRefused(["sample", "oracle:gaussians25", "--n", "5", "--steps", "5", "--out", x, "--trajectory", x], ["--out and --trajectory"])
        Self.expectRefused(["decode", "oracle:gaussians25", x, "--steps", "5", "--out", Self.folder + "/d.csv", "--trajectory", Self.folder + "/d.csv"],
                           ["--out and --trajectory"])
    }

    // MARK: The memory bounds are bounds

    /// `Footprint.parameters` is the networks' exact parameter count (so the memory check neither
    /// under- nor over-counts the largest term).
    @Test(arguments: [
        ModelConfig.ddib2D(dimension: 2, width: 64, depth: 3),
        ModelConfig.ddib2D(dimension: 64, width: 32, depth: 0),
        ModelConfig(architecture: .residual, dimension: 3, width: 16, depth: 2, timeEmbedding: 8, normalization: .none, groups: 1),
        ModelConfig(architecture: .residual, dimension: 2, width: 24, depth: 1, timeEmbedding: 6, normalization: .layer, groups: 1),
        ModelConfig.anchorMLP(width: 40, dimension: 5),
        ModelConfig(architecture: .mlp, dimension: 2, width: 8, depth: 1, timeEmbedding: 4, normalization: .none, groups: 1),
        ModelConfig.ddibPaper2D(),
        ModelConfig(architecture: .ddibUNet, dimension: 3, width: 12, depth: 1, timeEmbedding: 8, normalization: .none, groups: 1),
        ModelConfig(architecture: .ddibUNet, dimension: 2, width: 16, depth: 0, timeEmbedding: 4, normalization: .layer, groups: 1),
    ])
    func parameterCountsMatchTheNetworks(config: ModelConfig) throws {
        let network = try EpsilonNetwork<Float>(config: config, timesteps: 10)
        #expect(Footprint.parameters(config) == network.parameterCount)
    }

    @Test func mlpParameterCountsMatchTheGeneratorAndClassifier() throws {
        let generator = try Generator<Float>(config: GeneratorConfig(latent: 7, dimension: 2, width: 33, depth: 2))
        #expect(Footprint.mlpParameters(inputs: 7, width: 33, depth: 2, outputs: 2) == generator.layout.count)
        let classifier = try DomainClassifier<Float>(config: ClassifierConfig(dimension: 3, width: 20, depth: 3, timeEmbedding: 8), timesteps: 10)
        #expect(Footprint.mlpParameters(inputs: 3 + 8, width: 20, depth: 3, outputs: 1) == classifier.parameterCount)
        #expect(Footprint.mlpParameters(inputs: 2, width: 1 << 32, depth: 3, outputs: 2) == nil)
    }
}
