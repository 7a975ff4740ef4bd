import Foundation
import MongeBridges
import MongeCore
import MongeEvaluation
import MongeData
import MongeDiffusion
import MongeTransport

/// `monge_ot`: exact (or entropic) optimal transport between x [n, d] and y [m, d], as `monge ot`.
///
/// Options: solver (auto, simplex, multiscale-simplex, assignment, dense-assignment, sorting, sinkhorn), cost (sqeuclidean, euclidean, pnorm:P),
/// epsilon (Sinkhorn's ε, required with sinkhorn), max_iterations. Weights a, b are optional.
/// Result JSON: the keys of `monge ot --json`; arrays rows, cols (int64), mass, f, g (potentials)
/// and map (T(x): the Monge map, or the barycentric projection for Sinkhorn).
@_cdecl("monge_ot")
public func monge_ot(_ x: UnsafePointer<Double>?, _ xShape: UnsafePointer<Int64>?,
                     _ y: UnsafePointer<Double>?, _ yShape: UnsafePointer<Int64>?,
                     _ a: UnsafePointer<Double>?, _ aShape: UnsafePointer<Int64>?,
                     _ b: UnsafePointer<Double>?, _ bShape: UnsafePointer<Int64>?,
                     _ optionsText: UnsafePointer<CChar>?, _ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                     _ error: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64) -> Int32 {
    guarded(error, errorCapacity) {
        var options = try Options(optionsText, call: "ot")
        let solverName = try options.choice("solver", OTSolver.allCases.map(\.rawValue)) ?? "auto"
        let cost = try options.string("cost") ?? "sqeuclidean"
        let solver = OptimalTransport(OTSolver(solverName)!, epsilon: try options.number("epsilon"),
                                      maxIterations: try options.integer("max_iterations", in: 1...Int.max))
        try options.finish()
        try solver.validate()
        let xm: Matrix<Double> = try readMatrix(x, xShape, name: "x")
        let ym: Matrix<Double> = try readMatrix(y, yShape, name: "y")
        let wa = try readVector(a, aShape, name: "a"), wb = try readVector(b, bShape, name: "b")
        guard xm.rows > 0, ym.rows > 0 else {
            throw MongeError.invalidArgument(name: "x, y", message: "need at least one point each, got \(xm.rows) and \(ym.rows)")
        }
        let geometry = try Geometry(x: xm, y: ym, cost: Cost(name: cost))
        let problem = try TransportProblem(geometry: geometry, a: wa, b: wb)

        let box = ResultBox()
        let r = try solver.solve(problem)
        let plan = r.plan
        box.set("map", TransportMaps.map(r, targets: ym))
        box.set("f", vector: r.f)
        box.set("g", vector: r.g)
        var summary = r.summary
        summary.merge(["n": problem.n, "m": problem.m, "cost_function": geometry.cost.description,
                       "plan_entries": plan.entryCount]) { $1 }
        box.set("rows", indices: plan.sources)
        box.set("cols", indices: plan.targets)
        box.set("mass", vector: plan.masses)
        try box.setJSON(summary)
        box.handOver(to: result)
        return .ok
    }
}

/// `monge_compare`: a map T (row i of tx = T(row i of x)) against exact OT, as `monge compare --json`.
/// Optional: second_target (the sampling floor), cycled (the cycle error); options: modes (an
/// oracle spec with known modes: oracle:gaussians8 or oracle:gaussians25).
@_cdecl("monge_compare")
public func monge_compare(_ x: UnsafePointer<Double>?, _ xShape: UnsafePointer<Int64>?,
                          _ tx: UnsafePointer<Double>?, _ txShape: UnsafePointer<Int64>?,
                          _ y: UnsafePointer<Double>?, _ yShape: UnsafePointer<Int64>?,
                          _ y2: UnsafePointer<Double>?, _ y2Shape: UnsafePointer<Int64>?,
                          _ back: UnsafePointer<Double>?, _ backShape: UnsafePointer<Int64>?,
                          _ optionsText: UnsafePointer<CChar>?, _ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                          _ error: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64) -> Int32 {
    guarded(error, errorCapacity) {
        var options = try Options(optionsText, call: "compare")
        let modes = try options.string("modes")
        try options.finish()
        let xm: Matrix<Double> = try readMatrix(x, xShape, name: "x")
        let txm: Matrix<Double> = try readMatrix(tx, txShape, name: "tx")
        let ym: Matrix<Double> = try readMatrix(y, yShape, name: "y")
        let y2m: Matrix<Double>? = y2 == nil ? nil : try readMatrix(y2, y2Shape, name: "second_target")
        let backm: Matrix<Double>? = back == nil ? nil : try readMatrix(back, backShape, name: "cycled")
        for (name, m) in [("tx", txm), ("y", ym)] + (y2m.map { [("second_target", $0)] } ?? []) + (backm.map { [("cycled", $0)] } ?? [])
        where m.rows != xm.rows || m.columns != xm.columns {
            throw MongeError.shapeMismatch("\(name) is \(m.rows)×\(m.columns) but x is \(xm.rows)×\(xm.columns): the arrays must have the same shape")
        }
        let c = try BridgeComparison.measure(source: xm, mapped: txm, target: ym, secondTarget: y2m, cycled: backm)
        let encoded = try JSONEncoder().encode(c)
        guard var object = try JSONSerialization.jsonObject(with: encoded) as? [String: Any] else {
            throw MongeError.numerical("compare: the comparison did not encode as an object")
        }
        if let modes {
            guard let known = try ModeRealism.Modes(model: ModelSpec(parsing: modes)) else {
                throw MongeError.invalidArgument(name: "modes", message: "\(modes) has no known modes; expected oracle:gaussians8 or oracle:gaussians25")
            }
            let realism = try ModeRealism(txm, modes: known)
            object["mode_balance_kl"] = realism.balanceKL ?? NSNull()
            object["modes_covered"] = realism.modesCovered
            object["on_mode_precision"] = realism.precision
        }
        let box = ResultBox()
        try box.setJSON(object)
        box.handOver(to: result)
        return .ok
    }
}

/// `monge_data`: n points of the 2-D distribution `name` (see `monge data --list`) with `seed`;
/// options: params (an object of the distribution's parameters). Result array: points [n, 2].
@_cdecl("monge_data")
public func monge_data(_ nameText: UnsafePointer<CChar>?, _ n: Int64, _ seed: UInt64, _ optionsText: UnsafePointer<CChar>?,
                       _ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                       _ error: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64) -> Int32 {
    guarded(error, errorCapacity) {
        let name = try readString(nameText, name: "dataset")
        var options = try Options(optionsText, call: "data")
        let parameters = try options.numbers("params") ?? [:]
        try options.finish()
        guard n >= 1, n <= Int64(maximumElements / 2) else {
            throw MongeError.invalidArgument(name: "n", message: "the number of points must be positive, got \(n)")
        }
        let dataset = try Datasets.make(name, parameters: parameters)
        let box = ResultBox()
        box.set("points", try dataset.sample(n: Int(n), seed: seed))
        try box.setJSON(["dataset": name, "parameters": dataset.parameterValues, "seed": seed, "n": n])
        box.handOver(to: result)
        return .ok
    }
}

/// `monge_images`: the images an image-set spec names (`data:digits[:CLASSES]`,
/// `data:fashion[:CLASSES][:split=…][:n=N][:seed=S]`), as the commands read them: result array
/// images [N, pixels] (float32 in [−1, 1]), JSON source (where they came from).
@_cdecl("monge_images")
public func monge_images(_ specText: UnsafePointer<CChar>?, _ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                         _ error: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64) -> Int32 {
    guarded(error, errorCapacity) {
        let spec = try readString(specText, name: "spec")
        guard ImageSets.isSpec(spec) else {
            throw MongeError.invalidArgument(name: "spec", message: "\"\(spec)\" names no image set; expected data:digits[:CLASSES] or data:fashion[:CLASSES][:split=train|test][:n=N][:seed=S]")
        }
        let (images, source) = try ImageSets.images(spec: spec)
        let box = ResultBox()
        box.set("images", images)
        try box.setJSON(["spec": spec, "source": source])
        box.handOver(to: result)
        return .ok
    }
}
