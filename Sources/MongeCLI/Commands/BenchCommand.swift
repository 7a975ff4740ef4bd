import ArgumentParser
import EigenKernels
import Foundation
import MongeCore

/// `monge bench …`: throughput of Monge's kernels and solvers on this machine.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Monge's kernels, solvers and models (results to stdout).",
        subcommands: [BenchGemm.self, BenchMLP.self, BenchOT.self]
    )
}

/// GFLOP/s of the Eigen GEMM kernel on the MLP shapes, next to the FMA peak.
struct BenchGemm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "GFLOP/s of the Eigen SGEMM kernel (one thread) on the diffusion MLP's shapes.")

    @Option(help: "Repetitions per shape (the median is reported).")
    var reps: Int = 20

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard reps > 0 else { throw ValidationError("--reps must be positive, got \(reps)") }
    }

    func run() throws {
        // (m, k, n): activations [m×k] · weights [k×n], the forward pass of one MLP layer.
        let shapes = [(1024, 128, 128), (4096, 256, 256), (1024, 1024, 1024)]
        var results: [[String: Any]] = []
        let peak = ek_fma_peak_gflops(0.5)
        for (m, k, n) in shapes {
            let rng = RandomStream(seed: 1)
            let a: Matrix<Float> = rng.normalMatrix(rows: m, columns: k)
            let b: Matrix<Float> = rng.substream(1).normalMatrix(rows: k, columns: n)
            var c = Matrix<Float>(rows: m, columns: n)
            Matrix.gemm(a, b, into: &c)  // warm-up
            var times: [Double] = []
            for _ in 0..<reps {
                let t0 = DispatchTime.now().uptimeNanoseconds
                Matrix.gemm(a, b, into: &c)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
            }
            times.sort()
            let median = times[times.count / 2]
            let gflops = 2.0 * Double(m) * Double(n) * Double(k) / median * 1e-9
            results.append(["m": m, "k": k, "n": n, "seconds": median, "gflops": gflops, "fraction_of_peak": gflops / peak])
        }
        let simd = String(cString: ek_simd_instruction_sets())
        if json {
            let object: [String: Any] = ["kernel": "eigen-sgemm", "threads": 1, "simd": simd, "fma_peak_gflops": peak, "shapes": results]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("Eigen SGEMM, 1 thread, SIMD: \(simd); FMA peak (1 core, measured): \(String(format: "%.1f", peak)) GFLOP/s")
            print("shape (m×k · k×n)            median s     GFLOP/s   of peak")
            for r in results {
                let shape = "\(r["m"]!)×\(r["k"]!) · \(r["k"]!)×\(r["n"]!)"
                print(shape.padding(toLength: 28, withPad: " ", startingAt: 0)
                      + String(format: " %10.6f  %9.1f   %5.1f %%", r["seconds"] as! Double, r["gflops"] as! Double,
                               100 * (r["fraction_of_peak"] as! Double)))
            }
        }
    }
}
