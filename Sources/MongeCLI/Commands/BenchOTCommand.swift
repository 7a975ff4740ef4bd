import ArgumentParser
import Foundation
import MongeBench
import MongeCore
import MongeData
import MongeTransport

/// `monge bench ot`: wall time and peak memory of the exact solvers on 25 Gaussians → moons.
struct BenchOT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ot",
        abstract: "Time the exact OT solvers (and Sinkhorn) on 25-Gaussians → scaled moons; peak memory from /proc.",
        discussion: """
        The data are those of Benchmarks/anchors/common.py: `--source` and `--target` name files with a \
        {n} placeholder (written by Benchmarks/write_ot_anchor_data.py, so Monge and POT time the \
        same points); without them the same distributions are drawn by MongeData (other random \
        numbers). Squared Euclidean cost, uniform weights and n = m unless --weighted (seeded weights \
        uniform in [0.5, 1.5), normalised) or --target-ratio (m = ratio × n moons points). Each solve's peak resident memory \
        is read from VmHWM after resetting it (/proc/self/clear_refs), next to the resident size \
        before the solve. Costs are printed to 15 digits for comparison with POT's emd2.
        """)

    @Option(help: "Comma-separated sizes.") var ns: String = "256,1024,4096"
    @Option(help: "Comma-separated solvers: simplex, multiscale-simplex, assignment, dense-assignment, multiscale, sinkhorn (multiscale is the multiscale assignment).")
    var solvers: String = "simplex,assignment"
    @Option(help: "Repetitions per (n, solver); the median time is reported.") var reps: Int = 3
    @Option(help: "Source points file with {n}, e.g. bench/source_{n}.npy.") var source: String?
    @Option(help: "Target points file with {n}.") var target: String?
    @Option(help: "Sinkhorn ε relative to max C (POT anchor: 0.01).") var sinkhornRelativeEpsilon: Double = 0.01
    @Option(help: "Skip a solver at n above this (the dense assignment and Sinkhorn are O(n²) per step).")
    var quadraticLimit: Int = 4096
    @Option(help: "Skip the plain network simplex (simplex) at n above this: it grows as n^2.2 (436 s at 10⁵ uniform); the multiscale solvers go on.")
    var simplexLimit: Int = 100_000
    @Flag(help: "Weights drawn uniform in [0.5, 1.5) from a fixed seed and normalised (sources and targets), instead of uniform.")
    var weighted = false
    @Option(help: "Targets per source: m = round(ratio × n) target points (1: n = m).") var targetRatio: Double = 1
    @Option(help: "multiscale-simplex: points per cluster (clusters hold this to twice this many).")
    var leafSize: Int = MultiscaleTransport().leafSize
    @Option(help: "multiscale-simplex: levels with at most this many points a side are solved by the simplex on all pairs.")
    var baseSize: Int = MultiscaleTransport().baseSize
    @Option(help: "multiscale-simplex: each source's cheapest targets under the lifted coarse duals among the first candidates.")
    var nearestPerRow: Int = MultiscaleTransport().nearestPerRow
    @Option(help: "multiscale-simplex: violating arcs per source added by each round of the k-d tree search.")
    var violationsPerRow: Int = MultiscaleTransport().violationsPerRow
    @Flag(help: "multiscale-simplex: start each fine level from the staircase along the principal axis instead of the basis inside the coarse plan.")
    var staircase = false
    @Option(help: "multiscale-simplex and multiscale: arcs price out below −this × the largest cost bound.")
    var relativeTolerance: Double = MultiscaleTransport().relativeTolerance
    @Flag(help: "multiscale-simplex: keep the input's point order instead of relabelling both clouds in k-d tree order.")
    var inputOrder = false
    @Flag(help: "Print one JSON object per line instead of a table.") var json = false
    @Flag(help: "Solver progress messages (levels, rounds) on stderr.") var verbose = false
    @Option(help: "The multiscale solver's first auction ε relative to the largest cost (0: no auction).")
    var auctionStart: Double = MultiscaleAssignment().auctionStart
    @Option(help: "How the multiscale solver picks each fine level's first auction ε: off (--auction-start × the largest cost), gap (a quantile of the coarse matching's c-transform gaps), displacement (a quantile of cluster diameter × centroid displacement).")
    var warmStart: String = MultiscaleAssignment().warmStart.rawValue
    @Option(help: "The quantile of the warm start's per-row or per-cluster estimates taken as the first ε.")
    var warmStartQuantile: Double = MultiscaleAssignment().warmStartQuantile
    @Option(help: "The multiscale solver's last auction ε relative to the largest cost.")
    var auctionEnd: Double = MultiscaleAssignment().auctionEnd
    @Option(help: "The multiscale solver's ε reduction factor between auction phases.")
    var auctionFactor: Double = MultiscaleAssignment().auctionFactor
    @Option(help: "The multiscale solver's auction refills a row only if an unlisted column could be better by more than this many ε.")
    var refillSlack: Double = MultiscaleAssignment().refillSlack

    func validate() throws {
        try Check.range(reps, "--reps", 1...10_000)
        try Check.range(auctionEnd, "--auction-end", 0...1)
        try Check.range(auctionFactor, "--auction-factor", 1.5...1e6)
        try Check.range(refillSlack, "--refill-slack", 0...1e12)
        try Check.range(warmStartQuantile, "--warm-start-quantile", 0...1)
        // A negative tolerance would price out arcs that cannot improve: the pivots would not end.
        try Check.range(relativeTolerance, "--relative-tolerance", 0...1e-3)
        try Check.range(simplexLimit, "--simplex-limit", 0...Check.maximumPoints)
        guard MultiscaleAssignment.WarmStart(rawValue: warmStart) != nil else {
            throw ValidationError("unknown --warm-start \(warmStart); expected one of \(MultiscaleAssignment.WarmStart.allCases.map(\.rawValue))")
        }
        guard (source == nil) == (target == nil) else { throw ValidationError("give both --source and --target, or neither") }
        let known = Set(["simplex", "multiscale-simplex", "assignment", "dense-assignment", "multiscale", "sinkhorn"])
        try Check.range(targetRatio, "--target-ratio", 0.01...100)
        for s in solverList where (weighted || targetRatio != 1) && ["assignment", "dense-assignment", "multiscale"].contains(s) {
            throw ValidationError("--solvers \(s) needs n = m with uniform weights; drop it or drop --weighted / --target-ratio")
        }
        for s in solverList where !known.contains(s) { throw ValidationError("unknown solver \(s); expected one of \(known.sorted())") }
        for n in try sizes() {
            try Check.range(n, "--ns", 1...Check.maximumPoints)
            // Two point sets, and the dense cost matrix of the quadratic solvers up to --quadratic-limit.
            let dense = n <= quadraticLimit && solverList.contains { $0 == "dense-assignment" || $0 == "sinkhorn" }
            try Check.memory([MemoryBudget.Need("\(n) points × 2 sets × 2 coordinates × 8 bytes", options: "--ns \(n)", factors: [n, 2, 2, 8]),
                              MemoryBudget.Need("the \(n) × \(n) cost matrix × 8 bytes", options: "--ns \(n) --quadratic-limit \(quadraticLimit)",
                                                factors: dense ? [n, n, 8] : [0])])
        }
    }

    var solverList: [String] { solvers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func sizes() throws -> [Int] {
        try ns.split(separator: ",").map {
            guard let n = Int($0.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("bad size \($0)") }
            return n
        }
    }

    func points(_ n: Int) throws -> (Matrix<Double>, Matrix<Double>, String) {
        if let source, let target {
            let xs = source.replacingOccurrences(of: "{n}", with: "\(n)"), ys = target.replacingOccurrences(of: "{n}", with: "\(n)")
            let x = try ArrayFile.readMatrix(xs, as: Double.self), y = try ArrayFile.readMatrix(ys, as: Double.self)
            let m = targetCount(n)
            guard x.rows == n, y.rows == m else { throw MongeError.shapeMismatch("\(xs) / \(ys) have \(x.rows) / \(y.rows) rows, expected \(n) / \(m)") }
            return (x, y, "files")
        }
        let x = try Gaussians25().sample(n: n, seed: 0)
        let y = try Moons(scale: 3, shiftX: -1.5, shiftY: -0.75).sample(n: targetCount(n), seed: 0)
        return (x, y, "mongedata")
    }

    /// m for n sources: round(--target-ratio × n), at least 1.
    func targetCount(_ n: Int) -> Int { max(1, Int((targetRatio * Double(n)).rounded())) }

    /// With --weighted, `count` weights uniform in [0.5, 1.5) from `seed`, normalised to sum 1; else nil (uniform).
    func weights(_ count: Int, seed: UInt64) -> [Double]? {
        guard weighted else { return nil }
        let rng = RandomStream(seed: seed, stream: 11)
        let w = (0..<count).map { 0.5 + rng.uniform(UInt64($0)) }
        let total = w.reduce(0, +)
        return w.map { $0 / total }
    }

    func run() throws {
        if !json {
            let header = ["n", "solver", "median s", "min s", "cost", "status", "iterations", "cert", "peak MB", "+MB"]
            print(zip(header, BenchOT.widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " "))
        }
        for n in try sizes() {
            let (x, y, origin) = try points(n)
            let problem = try TransportProblem(geometry: Geometry(x: x, y: y), a: weights(x.rows, seed: 1), b: weights(y.rows, seed: 2))
            // An n² scan: only Sinkhorn's ε needs it.
            let maxCost = solverList.contains("sinkhorn") && n <= quadraticLimit ? problem.geometry.denseCostMaximum() : 0
            for solver in solverList {
                if (solver == "dense-assignment" || solver == "sinkhorn") && n > quadraticLimit { continue }
                if solver == "simplex" && n > simplexLimit {
                    FileHandle.standardError.write(Data("bench ot: simplex skipped at n = \(n) (above --simplex-limit \(simplexLimit))\n".utf8))
                    continue
                }
                var times: [Double] = []
                var outcome: (cost: Double, status: String, iterations: Int, holds: Bool?, extra: [String: Any]) = (0, "", 0, nil, [:])
                var peak = 0, before = 0
                for _ in 0..<reps {
                    before = ProcessMemory.residentBytes()
                    ProcessMemory.resetPeak()
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    outcome = try solve(solver, problem, maxCost: maxCost)
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
                    peak = max(peak, ProcessMemory.peakBytes())
                }
                times.sort()
                let median = times[times.count / 2]
                if json {
                    var object: [String: Any] = [
                        "n": n, "m": problem.m, "weighted": weighted, "solver": solver, "data": origin, "median_seconds": median, "min_seconds": times[0],
                        "seconds": times, "cost": outcome.cost, "status": outcome.status, "iterations": outcome.iterations,
                        "peak_rss_mb": Double(peak) / 1_048_576, "rss_before_mb": Double(before) / 1_048_576,
                        "threads": Parallel.threadCount]
                    if let holds = outcome.holds { object["certificate_holds"] = holds }
                    if solver == "multiscale" { object["warm_start"] = warmStart; object["warm_start_quantile"] = warmStartQuantile }
                    if solver == "multiscale-simplex" {
                        object["leaf_size"] = leafSize; object["base_size"] = baseSize; object["nearest_per_row"] = nearestPerRow
                        object["violations_per_row"] = violationsPerRow; object["lifted_basis"] = !staircase; object["spatial_order"] = !inputOrder
                    }
                    object.merge(outcome.extra) { $1 }
                    print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
                } else {
                    let holds = outcome.holds.map { $0 ? "ok" : "FAIL" } ?? "–"
                    let cells = [problem.m == n ? "\(n)" : "\(n)×\(problem.m)", solver, String(format: "%.4f", median), String(format: "%.4f", times[0]),
                                 String(format: "%.15g", outcome.cost), outcome.status, "\(outcome.iterations)", holds,
                                 String(format: "%.1f", Double(peak) / 1_048_576), String(format: "%.1f", Double(peak - before) / 1_048_576)]
                    print(zip(cells, BenchOT.widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " "))
                }
                fflush(stdout)
            }
        }
    }

    static let widths = [13, 19, 9, 9, 20, 11, 10, 5, 8, 8]

    /// Progress to stderr with --verbose, else nil.
    var log: (@Sendable (String) -> Void)? {
        guard verbose else { return nil }
        return { FileHandle.standardError.write(Data("bench ot: \($0)\n".utf8)) }
    }

    /// The engine a --solvers name stands for; every one runs through the `TransportSolver` contract.
    func engine(_ solver: String, maxCost: Double) -> any TransportSolver {
        switch solver {
        case "simplex": return NetworkSimplex()
        case "multiscale-simplex":
            return MultiscaleTransport(leafSize: leafSize, baseSize: baseSize, nearestPerRow: nearestPerRow, violationsPerRow: violationsPerRow,
                                       relativeTolerance: relativeTolerance, warmStart: !staircase, spatialOrder: !inputOrder, progress: log)
        case "assignment": return OptimalTransport(.assignment, progress: log)
        case "dense-assignment": return DenseAssignment()
        case "multiscale":
            return MultiscaleAssignment(auctionStart: auctionStart, warmStart: MultiscaleAssignment.WarmStart(rawValue: warmStart) ?? .off,
                                        warmStartQuantile: warmStartQuantile, auctionEnd: auctionEnd, auctionFactor: auctionFactor,
                                        relativeTolerance: relativeTolerance, refillSlack: refillSlack, progress: log)
        default: return Sinkhorn(epsilon: sinkhornRelativeEpsilon * maxCost, tolerance: 1e-9)
        }
    }

    func solve(_ solver: String, _ problem: TransportProblem, maxCost: Double) throws
        -> (cost: Double, status: String, iterations: Int, holds: Bool?, extra: [String: Any]) {
        let r = try engine(solver, maxCost: maxCost).solve(problem)
        switch r.certificate {
        case let .optimality(c):
            return (r.cost, r.status.rawValue, r.iterations, c.holds, ["solve_seconds": r.seconds, "engine": r.solver])
        case let .entropic(e):
            return (r.cost, r.status.rawValue, r.iterations, nil,
                    ["epsilon": e.epsilon, "marginal_error": e.marginalError, "entropic_cost": e.entropicCost])
        }
    }
}

extension Geometry {
    /// max_ij C_ij by a full scan (no matrix stored).
    func denseCostMaximum() -> Double {
        let m = targetCount
        var largest = 0.0
        let row = UnsafeMutablePointer<Double>.allocate(capacity: m)
        defer { row.deallocate() }
        for i in 0..<sourceCount {
            costRow(i, columns: 0..<m, into: row)
            for j in 0..<m { largest = Swift.max(largest, row[j]) }
        }
        return largest
    }
}
