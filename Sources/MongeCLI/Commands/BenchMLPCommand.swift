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

    @Option(help: "Python with torch: also run the PyTorch anchor, alternating with Monge per width.")
    var python: String?

    @Option(help: "Path of bench_diffusion.py (default: ../shared/anchors/bench_diffusion.py from the current folder).")
    var anchor: String = "../shared/anchors/bench_diffusion.py"

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard !widths.isEmpty, widths.allSatisfy({ $0 > 0 }) else { throw ValidationError("--widths must be positive") }
        guard !batches.isEmpty, batches.allSatisfy({ $0 > 1 }) else { throw ValidationError("--batches must be > 1") }
        guard reps > 0, ddimReps > 0, points > 0, ddimSteps > 0, trainSteps >= 0 else {
            throw ValidationError("--reps, --ddim-reps, --points and --ddim-steps must be positive")
        }
        if python != nil, !FileManager.default.fileExists(atPath: anchor) {
            throw ValidationError("--anchor \(anchor): no such file (bench_diffusion.py)")
        }
    }

    func run() throws {
        var rows: [[String: Any]] = []
        let schedule = try NoiseSchedule.linear(count: 1000)
        let pool = BenchMLP.moons(100_000, seed: 0)
        for width in widths {
            var row: [String: Any] = ["width": width, "threads": Parallel.threadCount]
            let network = try EpsilonNetwork<Float>(config: .anchorMLP(width: width), timesteps: 1000)
            let forwardFlops = 2 * network.multiplyAddsPerRow
            let trainFlops = 3 * forwardFlops - 2 * (2 + 128) * width
            for batch in batches {
                let steps = trainSteps > 0 ? trainSteps : max(20, Int(2e10 / Double(trainFlops * batch)))
                let config = TrainingConfig(steps: Int.max / 2, batchSize: batch, seed: 0,
                                            optimizer: AdamConfig(learningRate: 1e-3), ema: EMAConfig(decay: 0.9999), chunks: 2)
                let trainer = try DiffusionTrainer(network: network, schedule: schedule, data: pool, config: config)
                for _ in 0..<20 { trainer.step() }
                var rates: [Double] = []
                for _ in 0..<reps {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    for _ in 0..<steps { trainer.step() }
                    rates.append(Double(steps) / (Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9))
                }
                let rate = BenchMLP.median(rates)
                row["monge_train_b\(batch)_steps_per_s"] = rate
                row["monge_train_b\(batch)_GFLOPs"] = rate * Double(trainFlops * batch) * 1e-9
                log("W \(width) batch \(batch): \(String(format: "%.1f", rate)) steps/s")
            }
            let parameters = network.initialParameters(seed: 0)
            for invert in [false, true] {
                let key = invert ? "ddim_inv" : "ddim"
                var x = invert ? BenchMLP.moons(points, seed: 1) : RandomStream(seed: 1).normalMatrix(rows: points, columns: 2, as: Float.self)
                let start = x
                var times: [Double] = []
                _ = BenchMLP.ddim(network, parameters, schedule, &x, steps: ddimSteps, invert: invert)  // warm-up
                for _ in 0..<ddimReps {
                    x = start
                    times.append(BenchMLP.ddim(network, parameters, schedule, &x, steps: ddimSteps, invert: invert))
                }
                let seconds = BenchMLP.median(times)
                let rate = Double(points * ddimSteps) / seconds
                row["monge_\(key)_pts_steps_per_s"] = rate
                row["monge_\(key)_seconds"] = seconds
                row["monge_\(key)_GFLOPs"] = rate * Double(forwardFlops) * 1e-9
                log("W \(width) \(key): \(String(format: "%.3e", rate)) point-steps/s")
            }
            if let python {
                let peer = try runAnchor(python: python, width: width)
                for (key, value) in peer where key.hasPrefix("train_b") || key.hasPrefix("ddim") {
                    row["torch_\(key)"] = value
                }
                if let version = peer["torch_version"] { row["torch_version"] = version }
            }
            rows.append(row)
        }
        report(rows)
    }

    private func log(_ message: String) {
        FileHandle.standardError.write(Data("bench mlp: \(message)\n".utf8))
    }

    /// Runs bench_diffusion.py for one width and returns its JSON row.
    private func runAnchor(python: String, width: Int) throws -> [String: Any] {
        let folder = NSTemporaryDirectory() + "monge-bench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = folder + "/torch.json"
        let anchorURL = URL(fileURLWithPath: anchor)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.currentDirectoryURL = anchorURL.deletingLastPathComponent()
        process.arguments = [anchorURL.lastPathComponent, "--threads", "\(Parallel.threadCount)", "--widths", "\(width)",
                             "--batches"] + batches.map(String.init) +
            ["--reps", "\(reps)", "--ddim-reps", "\(ddimReps)", "--npts", "\(points)", "--nsteps", "\(ddimSteps)", "--json", output]
            + (trainSteps > 0 ? ["--train-steps", "\(trainSteps)"] : [])
        let pipe = Pipe()
        process.standardOutput = pipe
        log("running PyTorch anchor for W \(width)…")
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw MongeError.externalTool(name: "python", message: "bench_diffusion.py exited with status \(process.terminationStatus)")
        }
        let data = try AtomicFile.read(output)
        guard let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]], var row = list.first else {
            throw MongeError.externalTool(name: "python", message: "bench_diffusion.py wrote no JSON row")
        }
        if let line = text.split(separator: "\n").first, line.hasPrefix("torch ") { row["torch_version"] = String(line) }
        return row
    }

    private func report(_ rows: [[String: Any]]) {
        if json {
            let object: [String: Any] = ["benchmark": "diffusion-mlp", "rows": rows]
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                print(String(decoding: data, as: UTF8.self))
            }
            return
        }
        print("Anchor ε-MLP (2 + 128 → 3 × W SiLU → 2), threads \(Parallel.threadCount)")
        if let version = rows.first?["torch_version"] as? String { print("peer: \(version)") }
        func number(_ row: [String: Any], _ key: String) -> Double? { row[key] as? Double }
        func cell(_ row: [String: Any], _ key: String, _ format: String) -> String {
            let monge = number(row, "monge_\(key)"), torch = number(row, "torch_\(key)")
            var text = monge.map { String(format: format, $0) } ?? "–"
            if let torch {
                text += " vs " + String(format: format, torch)
                if let monge { text += String(format: " (%.2f×)", monge / torch) }
            }
            return text
        }
        for row in rows {
            let width = row["width"] as? Int ?? 0
            for batch in batches {
                print("W \(width) train batch \(batch): steps/s " + cell(row, "train_b\(batch)_steps_per_s", "%.1f"))
            }
            print("W \(width) DDIM sampling: point-steps/s " + cell(row, "ddim_pts_steps_per_s", "%.3e"))
            print("W \(width) DDIM inversion: point-steps/s " + cell(row, "ddim_inv_pts_steps_per_s", "%.3e"))
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
                        network.epsilon(rows: rows, x: chunk, timestep: t, parameters: p, output: eps, workspace: workspace)
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
        let rng = RandomStream(seed: seed, stream: 0x4D4F_4F4E)
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
