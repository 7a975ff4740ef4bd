import ArgumentParser
import Foundation
import MongeCore
import MongePlot
import MongeTransport

/// `monge ot SOURCE TARGET`: exact (or entropic) optimal transport between two point files.
struct OTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ot",
        abstract: "Optimal transport between two point sets, with its certificate of optimality.",
        discussion: """
        SOURCE and TARGET are .npy or .csv files of points [n, d] and [m, d]. Weights default to \
        uniform. The exact solvers check their answer on every pair (dual feasibility, complementary \
        slackness, marginals); the exit code is 0 only for a certified optimum (or a converged \
        Sinkhorn), 3 for an iteration limit, 4 for an infeasible problem, 5 for a failed certificate.
        --plan writes the plan's nonzero entries as rows (source index, target index, mass). \
        --plan, --map and --plot (with their manifests) are written only when the exit code is 0, and \
        only after all of them were computed and drawn: any other outcome leaves existing files \
        untouched, and the summary on stdout (or --json) is the run's only record.
        Example: monge ot x.npy y.npy --map tx.npy --plot map.png --json
        """)

    @Argument(help: "Source points (.npy or .csv, [n, d]).") var source: String
    @Argument(help: "Target points (.npy or .csv, [m, d]).") var target: String
    @Option(help: "auto (assignment when n = m with uniform weights, sorting for 1-D points, multiscale-simplex for 2-D sqeuclidean points with more than 1000 on a side, else network simplex), simplex, multiscale-simplex (any weights, n ≠ m; 2-D points, sqeuclidean), assignment, dense-assignment, sorting or sinkhorn.")
    var solver: OTSolver = .auto
    @Option(help: "Sinkhorn's regularisation ε (cost units); required with --solver sinkhorn.") var epsilon: Double?
    @Option(help: "Ground cost: sqeuclidean, euclidean or pnorm:P.") var cost: String = "sqeuclidean"
    @Option(help: "Source weights (.npy or .csv, n values; normalised totals must agree).") var sourceWeights: String?
    @Option(help: "Target weights (.npy or .csv, m values).") var targetWeights: String?
    @Option(help: "Stop after this many pivots (simplex) or sweeps (sinkhorn); the status says so.") var maxIterations: Int?
    @Option(help: "Write the plan's entries (i, j, mass) to this .npy or .csv file.") var plan: String?
    @Option(help: "Write T(x) (Monge map, or barycentric projection) to this .npy or .csv file.") var map: String?
    @Option(help: "Draw the transport map (2-D points): .png, .svg or .pdf.") var plot: String?
    @Flag(help: "Print one JSON object instead of a summary.") var json = false
    @Flag(help: "No progress messages on stderr.") var quiet = false

    func validate() throws {
        if solver == .sinkhorn && epsilon == nil { throw ValidationError("--solver sinkhorn needs --epsilon") }
        try Check.positive(epsilon, "--epsilon")
        if epsilon != nil && solver != .sinkhorn {
            throw ValidationError("--epsilon is Sinkhorn's regularisation, but --solver is \(solver.rawValue)"
                                  + (solver == .auto ? " (the default, an exact solver)" : "")
                                  + ": add --solver sinkhorn, or drop --epsilon")
        }
        try Check.range(maxIterations, "--max-iterations", 1...Int.max)
        if maxIterations != nil && !solver.acceptsIterationLimit {
            throw ValidationError("--max-iterations limits --solver simplex or sinkhorn; --solver \(solver) has no iteration limit")
        }
        try Check.arrayFile(plan, "--plan")
        try Check.arrayFile(map, "--map")
        try Check.distinctOutputs([("--plan", plan), ("--map", map), ("--plot", plot)])
    }

    func run() throws {
        let start = Date()
        // Begun first, so that its `seconds` is the command's wall time (reading, solving, drawing).
        var manifest = RunManifest.begin(command: "monge ot", parameters: [
            "source": .string(source), "target": .string(target), "solver": .string(solver.rawValue),
            "cost": .string(cost)])
        let x = try ArrayFile.readMatrix(source, as: Double.self)
        let y = try ArrayFile.readMatrix(target, as: Double.self)
        let a = try sourceWeights.map { try Self.readVector($0) }
        let b = try targetWeights.map { try Self.readVector($0) }
        if plot != nil && x.columns != 2 {
            throw MongeError.invalidArgument(name: "--plot", message: "needs 2-D points, got \(x.columns)-D")
        }
        let geometry = try Geometry(x: x, y: y, cost: Cost(name: cost))
        let problem = try TransportProblem(geometry: geometry, a: a, b: b)
        let log: @Sendable (String) -> Void = { [quiet] message in
            if !quiet { FileHandle.standardError.write(Data("ot: \(message)\n".utf8)) }
        }
        log("\(problem.n) → \(problem.m) points in \(x.columns)-D, cost \(geometry.cost)")

        let r = try OptimalTransport(solver, epsilon: epsilon, maxIterations: maxIterations, progress: quiet ? nil : log).solve(problem)
        let status = r.status
        let mapped = TransportMaps.map(r, targets: y)
        let planEntries = r.plan
        var summary = r.summary
        summary.merge(["n": problem.n, "m": problem.m, "cost_function": geometry.cost.description]) { $1 }
        summary["total_seconds"] = Date().timeIntervalSince(start)
        summary["plan_entries"] = planEntries.entryCount

        // Files only for a result the exit code accepts: a failed or stopped run leaves every
        // existing file untouched. Everything is computed and drawn first, then written together.
        if status.exitCode == 0 && (plan != nil || map != nil || plot != nil) {
            var outputs = OutputSet()
            if let plan {
                let rows = (0..<planEntries.entryCount).map { k in
                    [Double(planEntries.sources[k]), Double(planEntries.targets[k]), planEntries.masses[k]]
                }
                let matrix = rows.isEmpty ? Matrix<Double>(rows: 0, columns: 3) : Matrix(rows)
                try outputs.add(matrix, to: plan, header: ["source", "target", "mass"])
            }
            if let map { try outputs.add(mapped, to: map) }
            if let plot {
                let title = String(format: "%@ (%@): cost %.6g", summary["solver"] as! String, status.rawValue, summary["cost"] as! Double)
                try TransportMapFigure(source: x, target: y, mapped: mapped, title: FigureTitle(title)).stage(to: plot, in: &outputs)
            }
            let written = [plan, map, plot].compactMap { $0 }
            manifest.finish(outputs: written, results: [
                "cost": .number(summary["cost"] as! Double), "status": .string(status.rawValue),
                "iterations": .integer(summary["iterations"] as! Int)])
            try outputs.commit(manifest: manifest, beside: written)
        }

        if json {
            let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(Self.text(summary))
        }
        if status.exitCode != 0 { throw ExitCode(status.exitCode) }
    }

    static func text(_ s: [String: Any]) -> String {
        var lines = [
            "solver      \(s["solver"]!)",
            "n × m       \(s["n"]!) × \(s["m"]!)",
            "cost        \(String(format: "%.12g", s["cost"] as! Double))",
            "status      \(s["status"]!)",
            "iterations  \(s["iterations"]!)",
            "seconds     \(String(format: "%.3f", s["seconds"] as! Double))",
        ]
        if let c = s["certificate"] as? [String: Any] {
            lines.append(String(format: "certificate max dual violation %.3g, max slackness %.3g, max marginal error %.3g (%@)",
                                c["max_dual_violation"] as! Double, c["max_slackness"] as! Double,
                                c["max_marginal_error"] as! Double, (c["holds"] as! Bool) ? "holds" : "FAILS"))
        }
        if let error = s["marginal_error"] as? Double {
            lines.append(String(format: "marginal error %.3g (ε = %.3g, converged: %@)", error, s["epsilon"] as! Double,
                                (s["converged"] as! Bool) ? "yes" : "no"))
        }
        return lines.joined(separator: "\n")
    }

    /// A weight vector from a file holding one row or one column.
    static func readVector(_ path: String) throws -> [Double] {
        let m = try ArrayFile.readMatrix(path, as: Double.self)
        guard m.rows == 1 || m.columns == 1 else {
            throw MongeError.invalidFile(path: path, location: nil, message: "weights must be one row or one column, got \(m.rows)×\(m.columns)")
        }
        return m.storage
    }
}

/// `--solver` of `monge ot` parses the library's solver names.
extension OTSolver: ExpressibleByArgument {}
