import ArgumentParser
import Foundation
import MongeCore
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
        let peer = try python.map { try BenchMLP.Peer(python: $0, script: peerPath, anchors: "") }
        defer { peer?.close() }
        var results: [BenchMLP.Measurement] = []
        for width in widths {
            let network = try EpsilonNetwork<Float>(config: .anchorUNet(width: width), timesteps: 1000)
            let forwardFlops = BenchUNet.forwardFlops(width: width)
            let config = TrainingConfig(steps: Int.max / 2, batchSize: batch, seed: 0,
                                        optimizer: AdamConfig(learningRate: 2e-4, weightDecay: 0.01), ema: EMAConfig(decay: 0.9999),
                                        chunks: 2)
            let trainer = try DiffusionTrainer(network: network, schedule: schedule, data: data, config: config)
            for _ in 0..<3 { trainer.step() }
            var train = BenchMLP.Measurement(name: "width \(width) train batch \(batch)", work: Double(trainSteps * batch),
                                             unit: "images/s", flops: 3 * forwardFlops * Double(trainSteps * batch))
            for _ in 0..<reps {
                let t0 = DispatchTime.now().uptimeNanoseconds, c0 = BenchMLP.cpuSeconds()
                for _ in 0..<trainSteps { trainer.step() }
                train.monge.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
                train.mongeCPU.append(BenchMLP.cpuSeconds() - c0)
                if let peer { train.torch.append(try peer.ask("train \(width) \(batch) \(trainSteps)")) }
            }
            log(train)
            results.append(train)

            let denoiser = try NetworkDenoiser(network: network, parameters: trainer.state.ema, schedule: schedule)
            let timesteps = try Timesteps.respaced(count: 1000, steps: ddimSteps, spacing: .linspace)  // 999, 888, …, 0
            let start: Matrix<Float> = RandomStream(seed: 1).normalMatrix(rows: sampleBatch, columns: 784)
            var ddim = BenchMLP.Measurement(name: "width \(width) DDIM \(sampleBatch) images", work: Double(sampleBatch * ddimSteps),
                                            unit: "image-steps/s", flops: forwardFlops * Double(sampleBatch * ddimSteps))
            func once() throws -> Double {
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try Sampler.decode(denoiser, start, timesteps: timesteps)
                return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            }
            _ = try once()
            if let peer { _ = try peer.ask("ddim \(width) \(sampleBatch) \(ddimSteps)") }
            for _ in 0..<reps {
                let c0 = BenchMLP.cpuSeconds()
                ddim.monge.append(try once())
                ddim.mongeCPU.append(BenchMLP.cpuSeconds() - c0)
                if let peer { ddim.torch.append(try peer.ask("ddim \(width) \(sampleBatch) \(ddimSteps)")) }
            }
            log(ddim)
            results.append(ddim)
        }
        report(results, peerVersion: peer?.version)
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

    private func log(_ m: BenchMLP.Measurement) {
        var line = "bench unet: \(m.name): " + String(format: "%.1f %@", m.work / BenchMLP.median(m.monge), m.unit)
        if !m.torch.isEmpty {
            line += String(format: " vs PyTorch %.1f (%.2f×)", m.work / BenchMLP.median(m.torch), BenchMLP.median(m.torch) / BenchMLP.median(m.monge))
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    private func report(_ results: [BenchMLP.Measurement], peerVersion: String?) {
        if json {
            let rows: [[String: Any]] = results.map { m in
                var row: [String: Any] = ["name": m.name, "unit": m.unit, "monge_seconds": m.monge, "monge_cpu_seconds": m.mongeCPU,
                                          "monge_rate": m.work / BenchMLP.median(m.monge),
                                          "monge_GFLOPs": m.flops / BenchMLP.median(m.monge) * 1e-9]
                if !m.torch.isEmpty {
                    row["torch_seconds"] = m.torch
                    row["torch_rate"] = m.work / BenchMLP.median(m.torch)
                    row["ratio"] = BenchMLP.median(m.torch) / BenchMLP.median(m.monge)
                }
                return row
            }
            var object: [String: Any] = ["benchmark": "unet", "threads": Parallel.threadCount, "rows": rows]
            if let peerVersion { object["peer"] = peerVersion }
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                print(String(decoding: data, as: UTF8.self))
            }
            return
        }
        print("bench_unet.py's U-Net (1×28×28), \(Parallel.threadCount) threads"
              + (peerVersion.map { "; peer: \($0), alternating rep by rep" } ?? ""))
        func left(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
        func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        print(left("measurement", 34) + right("Monge", 9) + "  " + left("unit", 14) + right("GFLOP/s", 8) + right("per CPU-s", 11)
              + (peerVersion == nil ? "" : right("PyTorch", 10) + "  ratio"))
        for m in results {
            let time = BenchMLP.median(m.monge)
            var line = left(m.name, 34) + right(String(format: "%.1f", m.work / time), 9) + "  " + left(m.unit, 14)
                + right(String(format: "%.1f", m.flops / time * 1e-9), 8)
                + right(String(format: "%.1f", m.flops / BenchMLP.median(m.mongeCPU) * 1e-9), 11)
            if !m.torch.isEmpty {
                let torchTime = BenchMLP.median(m.torch)
                line += right(String(format: "%.1f", m.work / torchTime), 10) + "  " + String(format: "%.2f×", torchTime / time)
            }
            print(line)
        }
    }
}
