import ArgumentParser
import Foundation
import MongeBench
import MongeData
import MongeDiffusion
import MongeNN

/// `monge bench mlp`: training steps/s and DDIM point-steps/s of the anchor ε-MLP, optionally
/// side by side with PyTorch running `bench_diffusion.py` in the same session (alternating).
struct BenchMLP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mlp",
        abstract: "Training and DDIM throughput of the anchor diffusion MLP (vs PyTorch with --python).",
        discussion: """
        The model is bench_diffusion.py's: [x, temb₁₂₈(t)] → 3 × (Linear(W), SiLU) → Linear(2), DDPM linear \
        schedule T = 1000, Adam lr 1e-3, data two moons. Training uses the library's trainer (2 batch chunks, \
        one per thread, plus an EMA update PyTorch does not do). DDIM: the library's Sampler with a \
        NetworkDenoiser, 10,000 points, 100 steps (t = 990, 980, …, 0), η = 0; inversion runs the same steps ascending.
        """)

    @Option(parsing: .upToNextOption, help: "Hidden widths W.")
    var widths: [Int] = [128, 256]

    @Option(parsing: .upToNextOption, help: "Training batch sizes.")
    var batches: [Int] = [1024, 4096]

    @Option(help: "Timed training repetitions (median reported).")
    var reps: Int = 7

    @Option(help: "Training steps per repetition (0 = about 2e10 FLOPs' worth, as the anchor).")
    var trainSteps: Int = 0

    @Option(help: "Timed DDIM repetitions (median reported).")
    var ddimReps: Int = 3

    @Option(help: "DDIM points.")
    var points: Int = 10_000

    @Option(help: "DDIM steps.")
    var ddimSteps: Int = 100

    @Flag(help: ArgumentHelp("DDIM always runs through the library's Sampler; kept so that earlier command lines run.", visibility: .hidden))
    var sampler = false

    @Option(help: "Python with torch: also time PyTorch on the same work, alternating with Monge rep by rep.")
    var python: String?

    @Option(help: "Folder of bench_diffusion.py and common.py (the PyTorch anchor). [Benchmarks/anchors in the package]")
    var anchors: String?

    @Option(help: "The PyTorch peer driver. [Benchmarks/peers/diffusion_peer.py in the package]")
    var peerScript: String?

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    /// The package folder this binary was built from (for the default peer paths).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    var anchorsFolder: String { anchors ?? BenchMLP.packageRoot.appendingPathComponent("Benchmarks/anchors").path }
    var peerPath: String { peerScript ?? BenchMLP.packageRoot.appendingPathComponent("Benchmarks/peers/diffusion_peer.py").path }

    func validate() throws {
        guard !widths.isEmpty, widths.allSatisfy({ $0 > 0 }) else { throw ValidationError("--widths must be positive") }
        guard !batches.isEmpty, batches.allSatisfy({ $0 > 1 }) else { throw ValidationError("--batches must be > 1") }
        guard reps > 0, ddimReps > 0, points > 0, ddimSteps > 0, trainSteps >= 0 else {
            throw ValidationError("--reps, --ddim-reps, --points and --ddim-steps must be positive")
        }
        try Check.range(reps, "--reps", 1...10_000)
        try Check.range(ddimReps, "--ddim-reps", 1...10_000)
        for width in widths { try Check.range(width, "--widths", 1...Check.maximumWidth) }
        for batch in batches { try Check.range(batch, "--batches", 2...Check.maximumPoints) }
        try Check.range(points, "--points", 1...Check.maximumPoints)
        try Check.range(ddimSteps, "--ddim-steps", 1...1000)  // the anchor's T = 1000
        let widest = ModelConfig.anchorMLP(width: widths.max() ?? 1)
        let training = TrainingConfig(steps: 0, batchSize: batches.max() ?? 2, chunks: 2)
        try Check.memory(Footprint.diffusionTraining(model: widest, timesteps: 1000, training: training, dataRows: 100_000) { option in
            ["--width": "--widths", "--batch": "--batches"][option] ?? "(anchor) " + option.dropFirst(2)
        } + [MemoryBudget.Need("\(points) DDIM points × 2 coordinates × 4 bytes × 4 copies", options: "--points \(points)",
                               factors: [points, 2, 4, 4])])
        if python != nil {
            for file in [anchorsFolder + "/bench_diffusion.py", peerPath] where !FileManager.default.fileExists(atPath: file) {
                throw ValidationError("\(file): no such file (see --anchors and --peer-script)")
            }
        }
    }

    func run() throws {
        let schedule = try NoiseSchedule.linear(count: 1000)
        let pool = try BenchMLP.moons(100_000, seed: 0)
        let peer = try python.map {
            try PythonPeer(python: $0, script: peerPath, arguments: ["--anchors", anchorsFolder, "--threads", "\(Parallel.threadCount)"])
        }
        defer { peer?.close() }
        var results: [ThroughputMeasurement] = []
        for width in widths {
            let network = try EpsilonNetwork<Float>(config: .anchorMLP(width: width), timesteps: 1000)
            // FLOPs as bench_diffusion.py counts them (matrix products of the concatenated model).
            let forwardFlops = Double(2 * ((2 + 128) * width + 2 * width * width + 2 * width))
            let trainFlops = 3 * forwardFlops - Double(2 * (2 + 128) * width)
            for batch in batches {
                let steps = trainSteps > 0 ? trainSteps : max(20, Int(2e10 / (trainFlops * Double(batch))))
                let config = TrainingConfig(steps: Int.max / 2, batchSize: batch, seed: 0,
                                            optimizer: AdamConfig(learningRate: 1e-3), ema: EMAConfig(decay: 0.9999), chunks: 2)
                let trainer = try DiffusionTrainer(network: network, schedule: schedule, data: pool, config: config)
                for _ in 0..<20 { trainer.step() }
                let m = try ThroughputMeasurement.alternating(
                    ThroughputMeasurement(name: "W \(width) train batch \(batch)", work: Double(steps), unit: "steps/s",
                                          flops: trainFlops * Double(batch * steps)),
                    reps: reps, peer: peer, command: "train \(width) \(batch) \(steps)") {
                    for _ in 0..<steps { trainer.step() }
                }
                log(m)
                results.append(m)
            }
            let denoiser = try NetworkDenoiser(network: network, parameters: network.initialParameters(seed: 0), schedule: schedule)
            let timesteps = try Timesteps.respaced(count: 1000, steps: ddimSteps, spacing: .leading)  // 0, 10, …, 990
            for invert in [false, true] {
                let start = invert ? try BenchMLP.moons(points, seed: 1) : RandomStream(seed: 1).normalMatrix(rows: points, columns: 2, as: Float.self)
                let command = "ddim \(width) \(points) \(ddimSteps) \(invert ? 1 : 0)"
                func once() throws {
                    _ = invert ? try Sampler.encode(denoiser, start, timesteps: timesteps).x
                               : try Sampler.decode(denoiser, start, timesteps: timesteps).x
                }
                try once()  // warm-up
                if let peer { _ = try peer.ask(command) }
                let m = try ThroughputMeasurement.alternating(
                    ThroughputMeasurement(name: "W \(width) DDIM \(invert ? "inversion" : "sampling")", work: Double(points * ddimSteps),
                                          unit: "point-steps/s", flops: forwardFlops * Double(points * ddimSteps)),
                    reps: ddimReps, peer: peer, command: command, body: once)
                log(m)
                results.append(m)
            }
        }
        let report = ThroughputReport(benchmark: "diffusion-mlp", title: "Anchor ε-MLP (2 + 128 → 3 × W SiLU → 2)",
                                      threads: Parallel.threadCount, peerVersion: peer?.version, measurements: results)
        print(json ? try report.jsonText() : report.table)
    }

    private func log(_ m: ThroughputMeasurement) {
        FileHandle.standardError.write(Data((m.progressLine(benchmark: "mlp") + "\n").utf8))
    }

    /// Two moons (noise 0.05) mapped by 3·(x − (0.5, 0.25)): the anchors' `common.py` target, from MongeData.
    static func moons(_ n: Int, seed: UInt64) throws -> Matrix<Float> {
        try Moons(scale: 3, shiftX: -1.5, shiftY: -0.75).sample(n: n, seed: seed).converted()
    }
}
