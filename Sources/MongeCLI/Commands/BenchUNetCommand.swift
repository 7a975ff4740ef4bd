import ArgumentParser
import Foundation
import MongeBench
import MongeDiffusion
import MongeNN

/// `monge bench unet`: training steps/s and DDIM image-steps/s of bench_unet.py's U-Net, optionally
/// side by side with PyTorch (Benchmarks/peers/unet_peer.py) in the same session, alternating.
struct BenchUNet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unet",
        abstract: "Training and DDIM throughput of the conv U-Net of bench_unet.py (vs PyTorch with --python).",
        discussion: """
        The model is bench_unet.py's U-Net on 1×28×28 images (levels 28, 14, 7 with width·(1, 2, 2) channels), \
        DDPM linear schedule T = 1000. Training: the library's trainer (2 batch chunks, one per thread; AdamW \
        lr 2e-4, weight decay 0.01, MSE on ε, plus an EMA update PyTorch does not do) on a fixed batch of \
        uniform [−1, 1] images. DDIM: the library's sampler (Sampler.decode, η = 0) over round(linspace(999, 0, \
        K)) on N images of noise; PyTorch runs bench_unet.py's loop. Note the machine's load beside the numbers.
        """)

    @Option(parsing: .upToNextOption, help: "Base widths (channels of the first level).")
    var widths: [Int] = [16, 32]

    @Option(help: "Training batch.")
    var batch: Int = 128

    @Option(help: "Training steps per repetition.")
    var trainSteps: Int = 4

    @Option(help: "Timed repetitions (median reported).")
    var reps: Int = 3

    @Option(help: "DDIM images.")
    var sampleBatch: Int = 256

    @Option(help: "DDIM steps.")
    var ddimSteps: Int = 10

    @Option(help: "Python with torch: also time PyTorch on the same work, alternating with Monge rep by rep.")
    var python: String?

    @Option(help: "The PyTorch peer. [Benchmarks/peers/unet_peer.py in the package]")
    var peerScript: String?

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    var peerPath: String { peerScript ?? BenchMLP.packageRoot.appendingPathComponent("Benchmarks/peers/unet_peer.py").path }

    func validate() throws {
        guard !widths.isEmpty, widths.allSatisfy({ $0 > 0 && $0 % 8 == 0 }) else {
            throw ValidationError("--widths must be positive multiples of 8 (GroupNorm(8))")
        }
        guard batch > 1, trainSteps > 0, reps > 0, sampleBatch > 0, ddimSteps > 1, ddimSteps <= 1000 else {
            throw ValidationError("--batch must be > 1; --train-steps, --reps and --sample-batch positive; --ddim-steps in 2…1000")
        }
        if python != nil, !FileManager.default.fileExists(atPath: peerPath) {
            throw ValidationError("\(peerPath): no such file (see --peer-script)")
        }
    }

    func run() throws {
        let schedule = try NoiseSchedule.linear(count: 1000)
        let rng = RandomStream(seed: 0, stream: StreamTag.benchUNet)
        let data = try Matrix<Float>(rows: batch, columns: 784, storage: (0..<(batch * 784)).map { Float(2 * rng.uniform(UInt64($0)) - 1) })
        let peer = try python.map { try PythonPeer(python: $0, script: peerPath, arguments: ["--anchors", "", "--threads", "\(Parallel.threadCount)"]) }
        defer { peer?.close() }
        var results: [ThroughputMeasurement] = []
        for width in widths {
            let network = try EpsilonNetwork<Float>(config: .anchorUNet(width: width), timesteps: 1000)
            let forwardFlops = BenchUNet.forwardFlops(width: width)
            let config = TrainingConfig(steps: Int.max / 2, batchSize: batch, seed: 0,
                                        optimizer: AdamConfig(learningRate: 2e-4, weightDecay: 0.01), ema: EMAConfig(decay: 0.9999),
                                        chunks: 2)
            let trainer = try DiffusionTrainer(network: network, schedule: schedule, data: data, config: config)
            for _ in 0..<3 { trainer.step() }
            let train = try ThroughputMeasurement.alternating(
                ThroughputMeasurement(name: "width \(width) train batch \(batch)", work: Double(trainSteps * batch),
                                      unit: "images/s", flops: 3 * forwardFlops * Double(trainSteps * batch)),
                reps: reps, peer: peer, command: "train \(width) \(batch) \(trainSteps)") {
                for _ in 0..<trainSteps { trainer.step() }
            }
            log(train)
            results.append(train)

            let denoiser = try NetworkDenoiser(network: network, parameters: trainer.state.ema, schedule: schedule)
            let timesteps = try Timesteps.respaced(count: 1000, steps: ddimSteps, spacing: .linspace)  // 999, 888, …, 0
            let start: Matrix<Float> = RandomStream(seed: 1).normalMatrix(rows: sampleBatch, columns: 784)
            let command = "ddim \(width) \(sampleBatch) \(ddimSteps)"
            func once() throws { _ = try Sampler.decode(denoiser, start, timesteps: timesteps) }
            try once()
            if let peer { _ = try peer.ask(command) }
            let ddim = try ThroughputMeasurement.alternating(
                ThroughputMeasurement(name: "width \(width) DDIM \(sampleBatch) images", work: Double(sampleBatch * ddimSteps),
                                      unit: "image-steps/s", flops: forwardFlops * Double(sampleBatch * ddimSteps)),
                reps: reps, peer: peer, command: command, body: once)
            log(ddim)
            results.append(ddim)
        }
        let report = ThroughputReport(benchmark: "unet", title: "bench_unet.py's U-Net (1×28×28)", threads: Parallel.threadCount,
                                      peerVersion: peer?.version, measurements: results)
        print(json ? try report.jsonText() : report.table)
    }

    /// FLOPs (2 per multiply–add) of one image's forward pass through the convolutions: each
    /// weight [k, k, in, out] is applied at every output pixel (the time MLP is negligible).
    static func forwardFlops(width: Int) -> Double {
        guard let network = try? EpsilonNetwork<Float>(config: .anchorUNet(width: width), timesteps: 1000) else { return 0 }
        var total = 0.0
        for entry in network.layout.entries where entry.shape.count == 4 && entry.name.hasSuffix(".weight") {
            total += 2 * Double(entry.count) * Double(pixels(of: entry.name))
        }
        return total
    }

    /// Output pixels of the convolution called `name` in the 28×28, three-level U-Net.
    static func pixels(of name: String) -> Int {
        let parts = name.split(separator: ".")
        guard parts.count >= 2, let k = Int(parts[1]) else { return 784 }  // inp, out.2
        switch parts[0] {
        case "down": return [784, 784, 196, 196, 49, 49][k]
        case "downs": return [196, 49][k]
        case "mid": return 49
        case "up": return [49, 49, 49, 196, 196, 196, 784, 784, 784][k]
        case "ups": return [196, 784][k]
        default: return 784
        }
    }

    private func log(_ m: ThroughputMeasurement) {
        FileHandle.standardError.write(Data((m.progressLine(benchmark: "unet") + "\n").utf8))
    }
}
