import ArgumentParser
import Foundation
import MongeCore
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
        one per thread, plus an EMA update PyTorch does not do). DDIM: 10,000 points, 100 steps \
        (t = 990, 980, …, 0), η = 0, rows split over the threads; inversion runs the same steps ascending.
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

    @Flag(help: "Time DDIM through the library's sampler (Sampler.sample / Sampler.encode with NetworkDenoiser) instead of the plain loop.")
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

    /// One measurement: Monge's and (optionally) PyTorch's seconds per rep for the same work.
    struct Measurement {
        let name: String
        let work: Double  // steps or point-steps per rep
        let unit: String
        let flops: Double  // per rep
        var monge: [Double] = []
        /// Monge's CPU seconds (all threads) per rep: on a shared machine, FLOPs per CPU-second
        /// show the code's efficiency where wall-clock rates show the load.
        var mongeCPU: [Double] = []
        var torch: [Double] = []
    }

    /// CPU time of this process (all threads), in seconds.
    static func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
    }

    func run() throws {
        let schedule = try NoiseSchedule.linear(count: 1000)
        let pool = BenchMLP.moons(100_000, seed: 0)
        let peer = try python.map { try Peer(python: $0, script: peerPath, anchors: anchorsFolder) }
        defer { peer?.close() }
        var results: [Measurement] = []
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
                var m = Measurement(name: "W \(width) train batch \(batch)", work: Double(steps), unit: "steps/s",
                                    flops: trainFlops * Double(batch * steps))
                for _ in 0..<reps {
                    let t0 = DispatchTime.now().uptimeNanoseconds, c0 = BenchMLP.cpuSeconds()
                    for _ in 0..<steps { trainer.step() }
                    m.monge.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
                    m.mongeCPU.append(BenchMLP.cpuSeconds() - c0)
                    if let peer { m.torch.append(try peer.ask("train \(width) \(batch) \(steps)")) }
                }
                log(m)
                results.append(m)
            }
            let parameters = network.initialParameters(seed: 0)
            for invert in [false, true] {
                var m = Measurement(name: "W \(width) DDIM \(invert ? "inversion" : "sampling")\(sampler ? " (Sampler)" : "")", work: Double(points * ddimSteps),
                                    unit: "point-steps/s", flops: forwardFlops * Double(points * ddimSteps))
                let start = invert ? BenchMLP.moons(points, seed: 1) : RandomStream(seed: 1).normalMatrix(rows: points, columns: 2, as: Float.self)
                var x = start
                let denoiser = try NetworkDenoiser(network: network, parameters: parameters, schedule: schedule)
                let timesteps = try Timesteps.respaced(count: 1000, steps: ddimSteps, spacing: .leading)  // 0, 10, …, 990
                func once() throws -> Double {
                    x = start
                    if !sampler { return BenchMLP.ddim(network, parameters, schedule, &x, steps: ddimSteps, invert: invert) }
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    if invert {
                        x = try Sampler.encode(denoiser, x, timesteps: timesteps).x
                    } else {
                        x = try Sampler.decode(denoiser, x, timesteps: timesteps).x
                    }
                    return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
                }
                _ = try once()  // warm-up
                if let peer { _ = try peer.ask("ddim \(width) \(points) \(ddimSteps) \(invert ? 1 : 0)") }
                for _ in 0..<ddimReps {
                    let c0 = BenchMLP.cpuSeconds()
                    m.monge.append(try once())
                    m.mongeCPU.append(BenchMLP.cpuSeconds() - c0)
                    if let peer { m.torch.append(try peer.ask("ddim \(width) \(points) \(ddimSteps) \(invert ? 1 : 0)")) }
                }
                log(m)
                results.append(m)
            }
        }
        report(results, peerVersion: peer?.version)
    }

    private func log(_ m: Measurement) {
        var line = "bench mlp: \(m.name): \(BenchMLP.format(m.work / BenchMLP.median(m.monge), m.unit))"
        if !m.torch.isEmpty {
            line += " vs PyTorch \(BenchMLP.format(m.work / BenchMLP.median(m.torch), m.unit))"
                + String(format: " (%.2f×)", BenchMLP.median(m.torch) / BenchMLP.median(m.monge))
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func format(_ rate: Double, _ unit: String) -> String { number(rate, unit) + " " + unit }

    /// A rate without its unit: steps/s with one decimal, point-steps/s in scientific notation.
    static func number(_ rate: Double, _ unit: String) -> String {
        unit == "steps/s" ? String(format: "%.1f", rate) : String(format: "%.3e", rate)
    }

    private func report(_ results: [Measurement], peerVersion: String?) {
        if json {
            let rows: [[String: Any]] = results.map { m in
                var row: [String: Any] = ["name": m.name, "unit": m.unit, "monge_seconds": m.monge, "monge_cpu_seconds": m.mongeCPU,
                                          "monge_rate": m.work / BenchMLP.median(m.monge),
                                          "monge_GFLOPs": m.flops / BenchMLP.median(m.monge) * 1e-9,
                                          "monge_GFLOP_per_cpu_second": m.flops / BenchMLP.median(m.mongeCPU) * 1e-9]
                if !m.torch.isEmpty {
                    row["torch_seconds"] = m.torch
                    row["torch_rate"] = m.work / BenchMLP.median(m.torch)
                    row["ratio"] = BenchMLP.median(m.torch) / BenchMLP.median(m.monge)
                    row["ratio_of_pairs"] = BenchMLP.median(zip(m.torch, m.monge).map { $0 / $1 })
                }
                return row
            }
            var object: [String: Any] = ["benchmark": "diffusion-mlp", "threads": Parallel.threadCount, "rows": rows]
            if let peerVersion { object["peer"] = peerVersion }
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                print(String(decoding: data, as: UTF8.self))
            }
            return
        }
        print("Anchor ε-MLP (2 + 128 → 3 × W SiLU → 2), \(Parallel.threadCount) threads"
              + (peerVersion.map { "; peer: \($0), alternating rep by rep" } ?? ""))
        // Fixed-width columns: rates are numbers (their unit has a column), so a long value such
        // as 5.214e+05 cannot run into the next column.
        func left(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
        func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        print(left("measurement", 33) + right("Monge", 10) + "  " + left("unit", 14) + right("GFLOP/s", 8) + right("per CPU-s", 11)
              + (peerVersion == nil ? "" : right("PyTorch", 12) + "  ratio (median, of pairs)"))
        for m in results {
            let mongeTime = BenchMLP.median(m.monge)
            var line = left(m.name, 33) + right(BenchMLP.number(m.work / mongeTime, m.unit), 10) + "  " + left(m.unit, 14)
                + right(String(format: "%.1f", m.flops / mongeTime * 1e-9), 8)
                + right(String(format: "%.1f", m.flops / BenchMLP.median(m.mongeCPU) * 1e-9), 11)
            if !m.torch.isEmpty {
                let torchTime = BenchMLP.median(m.torch)
                line += right(BenchMLP.number(m.work / torchTime, m.unit), 12) + "  "
                    + String(format: "%.2f×, %.2f×", torchTime / mongeTime, BenchMLP.median(zip(m.torch, m.monge).map { $0 / $1 }))
            }
            print(line)
        }
    }

    /// The PyTorch driver process (Benchmarks/peers/diffusion_peer.py), one command per line.
    final class Peer {
        let process = Process()
        let input = Pipe(), output = Pipe()
        var buffer = Data()
        private(set) var version = ""

        init(python: String, script: String, anchors: String) throws {
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [script, "--anchors", anchors, "--threads", "\(Parallel.threadCount)"]
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            let ready = try readLine()
            guard ready.hasPrefix("ready") else {
                throw MongeError.externalTool(name: "python", message: "the PyTorch peer did not start: \(ready)")
            }
            version = String(ready.dropFirst(6))
        }

        func readLine() throws -> String {
            while true {
                if let newline = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer = Data(buffer[(newline + 1)...])
                    return line
                }
                let chunk = output.fileHandleForReading.availableData
                guard !chunk.isEmpty else { throw MongeError.externalTool(name: "python", message: "the PyTorch peer exited") }
                buffer.append(chunk)
            }
        }

        /// Sends one command and returns the seconds it reports.
        func ask(_ command: String) throws -> Double {
            input.fileHandleForWriting.write(Data((command + "\n").utf8))
            let reply = try readLine()
            guard let seconds = Double(reply) else {
                throw MongeError.externalTool(name: "python", message: "the PyTorch peer answered \"\(reply)\" to \"\(command)\"")
            }
            return seconds
        }

        func close() {
            input.fileHandleForWriting.write(Data("quit\n".utf8))
            process.waitUntilExit()
        }
    }

    /// Deterministic DDIM (η = 0) over `steps` evenly spaced timesteps, rows split over the
    /// threads; returns the wall time in seconds.
    static func ddim(_ network: EpsilonNetwork<Float>, _ parameters: [Float], _ schedule: NoiseSchedule,
                     _ x: inout Matrix<Float>, steps: Int, invert: Bool) -> Double {
        let stride = schedule.count / steps
        let timesteps = (0..<steps).map { $0 * stride }  // 0, 10, …, 990
        let d = x.columns, n = x.rows
        let t0 = DispatchTime.now().uptimeNanoseconds
        x.storage.withUnsafeMutableBufferPointer { xb in
            parameters.withUnsafeBufferPointer { pb in
                let xp = xb.baseAddress!, p = pb.baseAddress!
                let packed = network.pack(p)
                Parallel.forEachChunk(count: n, minimumChunk: 256) { range in
                    let workspace = network.makeInferenceWorkspace()
                    let rows = range.count
                    let eps = UnsafeMutablePointer<Float>.allocate(capacity: rows * d)
                    defer { eps.deallocate() }
                    let chunk = xp + range.lowerBound * d
                    let order = invert ? Array(0..<steps) : Array((0..<steps).reversed())
                    for i in order {
                        let t = timesteps[i]
                        let current = schedule.alphaBar(t), previous = i > 0 ? schedule.alphaBar(timesteps[i - 1]) : 1
                        network.epsilon(rows: rows, x: chunk, timestep: t, parameters: p, packed: packed, output: eps, workspace: workspace)
                        // x ← √(ᾱ_to/ᾱ_from)·x + (√(1 − ᾱ_to) − √ᾱ_to·√(1 − ᾱ_from)/√ᾱ_from)·ε̂(x, t) (DDIM eq. 12, η = 0);
                        // sampling goes t → previous, inversion previous → t, both with ε̂ at t as the anchor does.
                        let (from, to) = invert ? (previous, current) : (current, previous)
                        let a = Float(to.squareRoot() / from.squareRoot())
                        let b = Float((1 - to).squareRoot() - to.squareRoot() * (1 - from).squareRoot() / from.squareRoot())
                        for k in 0..<(rows * d) { chunk[k] = a * chunk[k] + b * eps[k] }
                    }
                }
            }
        }
        return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : 0.5 * (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2])
    }

    /// Two moons (noise 0.05) mapped by 3·(x − (0.5, 0.25)), like the anchors' `common.py`
    /// (same distribution, not the same points).
    static func moons(_ n: Int, seed: UInt64) -> Matrix<Float> {
        let rng = RandomStream(seed: seed, stream: StreamTag.benchMoons)
        var out = Matrix<Float>(rows: n, columns: 2)
        let upper = (n + 1) / 2
        for i in 0..<n {
            let angle = Double.pi * rng.uniform(UInt64(i))
            var x = cos(angle), y = sin(angle)
            if i >= upper { x = 1 - x; y = 0.5 - y }
            x += 0.05 * rng.substream(1).normal(UInt64(2 * i))
            y += 0.05 * rng.substream(1).normal(UInt64(2 * i + 1))
            out[i, 0] = Float(3 * (x - 0.5))
            out[i, 1] = Float(3 * (y - 0.25))
        }
        return out
    }
}
