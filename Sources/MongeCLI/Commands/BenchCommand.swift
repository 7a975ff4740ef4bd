import ArgumentParser
import EigenKernels
import Foundation
import MongeBench

/// `monge bench …`: throughput of Monge's kernels and solvers on this machine.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Monge's kernels, solvers and models (results to stdout).",
        subcommands: [BenchGemm.self, BenchMLP.self, BenchOT.self, BenchUNet.self]
    )
}

/// GFLOP/s of Monge's SGEMM on the diffusion MLP's shapes (forward A·B, weight gradient Aᵀ·B,
/// input gradient A·Bᵀ), beside Eigen's product, this machine's FMA peak and, with `--python`,
/// OpenBLAS through numpy measured in the same session (rounds alternate Monge and numpy).
struct BenchGemm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "SGEMM GFLOP/s (one thread) on the diffusion MLP's shapes, vs Eigen, the FMA peak and OpenBLAS.",
        discussion: """
        Shapes (op(A) m×k · op(B) k×n): the forward pass x·W of a width-128 and a width-256 layer \
        (batch 1024 and 4096), the weight gradient xᵀ·dy and the input gradient dy·Wᵀ of the same \
        layers, and the square 1024³ reference; with --thin, the input and output layers of a 2-D \
        MLP and matrix–vector extremes instead. Per shape, calls of Monge's kernel (ek_sgemm) and \
        of Eigen's product alternate; the median of each is reported. With --python, each round \
        runs Benchmarks/gemm_openblas.py (numpy, one BLAS thread) after Monge's shapes, and the \
        median over rounds of each side's per-round median is reported. On a shared machine \
        use --clock cpu: the time the calling thread ran, not the time others held the core.
        """)


    /// One benchmarked product: op(A) is m×k, op(B) is k×n.
    struct Shape {
        let label: String, m: Int, k: Int, n: Int, transposeA: Bool, transposeB: Bool
        var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
        var text: String { "\(label) \(m)×\(k) · \(k)×\(n)" }
    }

    /// In the order of gemm_openblas.py's SHAPES.
    static let shapes = [
        Shape(label: "A·B ", m: 1024, k: 128, n: 128, transposeA: false, transposeB: false),
        Shape(label: "A·B ", m: 4096, k: 256, n: 256, transposeA: false, transposeB: false),
        Shape(label: "Aᵀ·B", m: 128, k: 1024, n: 128, transposeA: true, transposeB: false),
        Shape(label: "Aᵀ·B", m: 256, k: 4096, n: 256, transposeA: true, transposeB: false),
        Shape(label: "A·Bᵀ", m: 1024, k: 128, n: 128, transposeA: false, transposeB: true),
        Shape(label: "A·Bᵀ", m: 4096, k: 256, n: 256, transposeA: false, transposeB: true),
        Shape(label: "A·B ", m: 1024, k: 1024, n: 1024, transposeA: false, transposeB: false),
    ]

    /// The thin products of a 2-D diffusion MLP (input and output layers, width 256, batch 1024)
    /// and matrix–vector extremes: where the 6×16 register tile is mostly padding.
    static let thinShapes = [
        Shape(label: "A·B ", m: 1024, k: 2, n: 256, transposeA: false, transposeB: false),
        Shape(label: "A·B ", m: 1024, k: 256, n: 2, transposeA: false, transposeB: false),
        Shape(label: "Aᵀ·B", m: 2, k: 1024, n: 256, transposeA: true, transposeB: false),
        Shape(label: "Aᵀ·B", m: 256, k: 1024, n: 2, transposeA: true, transposeB: false),
        Shape(label: "A·Bᵀ", m: 1024, k: 256, n: 2, transposeA: false, transposeB: true),
        Shape(label: "A·Bᵀ", m: 1024, k: 2, n: 256, transposeA: false, transposeB: true),
        Shape(label: "A·B ", m: 1, k: 128, n: 256, transposeA: false, transposeB: false),
        Shape(label: "A·B ", m: 1, k: 256, n: 256, transposeA: false, transposeB: false),
        Shape(label: "A·B ", m: 256, k: 256, n: 1, transposeA: false, transposeB: false),
        Shape(label: "A·B ", m: 64, k: 64, n: 64, transposeA: false, transposeB: false),
    ]

    @Flag(help: "Time the thin shapes (input/output layers of a 2-D MLP, matrix–vector) instead; no OpenBLAS.")
    var thin = false

    private var shapes: [Shape] { thin ? Self.thinShapes : Self.shapes }

    @Option(help: "Timed calls per shape and kernel in each round (more for small shapes; medians reported).")
    var reps: Int = 20

    @Option(help: "Rounds (with --python, each round runs Monge then numpy).")
    var rounds: Int = 1

    @Option(help: "wall: elapsed time; cpu: the calling thread's CPU time (steadier on a loaded machine).")
    var clock: BenchClock = .wall

    @Option(help: "Python with numpy and threadpoolctl: also time OpenBLAS on the same shapes, alternating.")
    var python: String?

    @Option(help: "Path of the numpy script (default: Benchmarks/gemm_openblas.py from the current folder).")
    var peerScript: String = "Benchmarks/gemm_openblas.py"

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Flag(help: "No progress messages on stderr.")
    var quiet = false

    func validate() throws {
        // Small shapes repeat each rep up to 4e7 / FLOPs times, and every call's time is kept.
        try Check.range(reps, "--reps", 1...100_000)
        try Check.range(rounds, "--rounds", 1...10_000)
        if python != nil, thin { throw ValidationError("--python compares the MLP shapes only, not --thin") }
        if python != nil, !FileManager.default.fileExists(atPath: peerScript) {
            throw ValidationError("--peer-script \(peerScript): no such file (gemm_openblas.py)")
        }
    }

    func run() throws {
        let peak = fmaPeak()
        var monge = Array(repeating: [Double](), count: shapes.count)
        var eigen = monge, openblas = monge
        var peerInfo: Any = NSNull()
        let operands = shapes.enumerated().map { index, shape in Operands(shape, seed: UInt64(index)) }
        for round in 0..<rounds {
            for (index, shape) in shapes.enumerated() {
                let (mongeSeconds, eigenSeconds) = time(operands[index], shape)
                monge[index].append(mongeSeconds)
                eigen[index].append(eigenSeconds)
                log("round \(round + 1)/\(rounds) \(shape.text): Monge \(format(shape.flops / mongeSeconds * 1e-9)), "
                    + "Eigen \(format(shape.flops / eigenSeconds * 1e-9)) GFLOP/s")
            }
            if let python {
                let peer = try runPeer(python: python)
                peerInfo = peer["blas"] ?? NSNull()
                for (index, seconds) in peer.seconds.enumerated() { openblas[index].append(seconds) }
                log("round \(round + 1)/\(rounds) OpenBLAS: " + zip(shapes, peer.seconds)
                    .map { format($0.flops / $1 * 1e-9) }.joined(separator: ", ") + " GFLOP/s")
            }
        }
        var results: [[String: Any]] = []
        for (index, shape) in shapes.enumerated() {
            let seconds = BenchStatistics.median(monge[index])
            let gflops = shape.flops / seconds * 1e-9
            var row: [String: Any] = [
                "op": shape.label.trimmingCharacters(in: .whitespaces), "m": shape.m, "k": shape.k, "n": shape.n,
                "trans_a": shape.transposeA, "trans_b": shape.transposeB, "seconds": seconds, "gflops": gflops,
                "eigen_gflops": shape.flops / BenchStatistics.median(eigen[index]) * 1e-9, "fraction_of_peak": gflops / peak,
            ]
            if !openblas[index].isEmpty {
                let peerGflops = shape.flops / BenchStatistics.median(openblas[index]) * 1e-9
                row["openblas_gflops"] = peerGflops
                row["ratio_to_openblas"] = gflops / peerGflops
            }
            results.append(row)
        }
        report(results, peak: peak, peerInfo: peerInfo)
    }

    /// Stored operands of one shape and its output.
    final class Operands {
        let a: Matrix<Float>, b: Matrix<Float>
        var c: Matrix<Float>

        init(_ shape: Shape, seed: UInt64) {
            let rng = RandomStream(seed: 1, stream: seed)
            a = shape.transposeA ? rng.normalMatrix(rows: shape.k, columns: shape.m)
                                 : rng.normalMatrix(rows: shape.m, columns: shape.k)
            b = shape.transposeB ? rng.substream(1).normalMatrix(rows: shape.n, columns: shape.k)
                                 : rng.substream(1).normalMatrix(rows: shape.k, columns: shape.n)
            c = Matrix(rows: shape.m, columns: shape.n)
        }
    }

    /// Median seconds of Monge's and Eigen's kernels on one shape, their calls alternating.
    private func time(_ operands: Operands, _ shape: Shape) -> (monge: Double, eigen: Double) {
        // Small shapes get more calls, so that each shape is timed over a similar span.
        let calls = max(reps, Int(Double(reps) * 4e7 / shape.flops))
        let a = operands.a, b = operands.b
        var mongeTimes: [Double] = [], eigenTimes: [Double] = []
        operands.c.storage.withUnsafeMutableBufferPointer { c in
            a.storage.withUnsafeBufferPointer { pa in
                b.storage.withUnsafeBufferPointer { pb in
                    let (m, n, k) = (Int64(shape.m), Int64(shape.n), Int64(shape.k))
                    let (ta, tb) = (Int32(shape.transposeA ? 1 : 0), Int32(shape.transposeB ? 1 : 0))
                    let (lda, ldb) = (Int64(a.columns), Int64(b.columns))
                    for call in -3..<calls {  // three untimed warm-up calls of each
                        let t0 = now()
                        ek_sgemm(ta, tb, m, n, k, 1, pa.baseAddress, lda, pb.baseAddress, ldb, 0, c.baseAddress, n)
                        let t1 = now()
                        ek_sgemm_eigen(ta, tb, m, n, k, 1, pa.baseAddress, lda, pb.baseAddress, ldb, 0, c.baseAddress, n)
                        let t2 = now()
                        if call >= 0 {
                            mongeTimes.append(t1 - t0)
                            eigenTimes.append(t2 - t1)
                        }
                    }
                }
            }
        }
        return (BenchStatistics.median(mongeTimes), BenchStatistics.median(eigenTimes))
    }

    /// Seconds on the selected clock.
    private func now() -> Double { clock.now }

    /// The single-core FMA peak on the selected clock, best of three short runs (the ceiling,
    /// not the load). `ek_fma_peak_gflops` divides by elapsed time; for the CPU clock its rate is
    /// rescaled by elapsed / CPU time of the same call.
    private func fmaPeak() -> Double {
        (0..<3).map { _ in
            let (wall0, cpu0) = (BenchClock.wall.now, BenchClock.cpu.now)
            let rate = ek_fma_peak_gflops(0.3)
            let (wall, cpu) = (BenchClock.wall.now - wall0, BenchClock.cpu.now - cpu0)
            return clock == .cpu && cpu > 0 ? rate * wall / cpu : rate
        }.max()!
    }

    struct PeerResult {
        let seconds: [Double]
        let json: [String: Any]
        subscript(key: String) -> Any? { json[key] }
    }

    /// Runs gemm_openblas.py once; its shapes must be ours, in our order.
    private func runPeer(python: String) throws -> PeerResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [peerScript, "--reps", "\(reps)", "--clock", clock.rawValue]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw MongeError.externalTool(name: "python", message: "\(peerScript) exited with status \(process.terminationStatus)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let shapes = object["shapes"] as? [[String: Any]], shapes.count == Self.shapes.count else {
            throw MongeError.externalTool(name: "python", message: "\(peerScript) printed no JSON object with \(Self.shapes.count) shapes")
        }
        var seconds: [Double] = []
        for (row, shape) in zip(shapes, Self.shapes) {
            guard row["m"] as? Int == shape.m, row["k"] as? Int == shape.k, row["n"] as? Int == shape.n,
                  row["trans_a"] as? Bool == shape.transposeA, row["trans_b"] as? Bool == shape.transposeB,
                  let s = row["seconds"] as? Double, s > 0 else {
                throw MongeError.externalTool(name: "python", message: "\(peerScript): shape \(row) does not match \(shape.text)")
            }
            seconds.append(s)
        }
        return PeerResult(seconds: seconds, json: object)
    }

    private func report(_ results: [[String: Any]], peak: Double, peerInfo: Any) {
        let simd = String(cString: ek_simd_instruction_sets())
        if json {
            let object: [String: Any] = [
                "kernel": "monge-packed-sgemm", "threads": 1, "simd": simd, "clock": clock.rawValue,
                "rounds": rounds, "fma_peak_gflops": peak, "openblas": peerInfo, "shapes": results,
            ]
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                print(String(decoding: data, as: UTF8.self))
            }
            return
        }
        let peer = python != nil
        print("SGEMM, 1 thread, SIMD \(simd), clock \(clock.rawValue), \(rounds) round(s); "
              + "FMA peak (1 core, measured) \(format(peak)) GFLOP/s")
        print("shape (op(A) m×k · op(B) k×n)    Monge   Eigen" + (peer ? "  OpenBLAS  Monge/OpenBLAS" : "") + "  Monge/peak")
        for r in results {
            let shape = shapes.first { $0.m == r["m"] as! Int && $0.k == r["k"] as! Int && $0.n == r["n"] as! Int
                && $0.transposeA == r["trans_a"] as! Bool && $0.transposeB == r["trans_b"] as! Bool }!
            var line = shape.text.padding(toLength: 31, withPad: " ", startingAt: 0)
                + String(format: " %6.1f  %6.1f", r["gflops"] as! Double, r["eigen_gflops"] as! Double)
            if peer {
                line += String(format: "  %8.1f  %13.0f %%", r["openblas_gflops"] as! Double, 100 * (r["ratio_to_openblas"] as! Double))
            }
            line += String(format: "  %8.0f %%", 100 * (r["fraction_of_peak"] as! Double))
            print(line)
        }
        print("(GFLOP/s = 2·m·n·k / median time)")
    }

    private func log(_ message: String) {
        if !quiet { FileHandle.standardError.write(Data("bench gemm: \(message)\n".utf8)) }
    }

    private func format(_ value: Double) -> String { String(format: "%.1f", value) }
}

extension BenchClock: ExpressibleByArgument {}
