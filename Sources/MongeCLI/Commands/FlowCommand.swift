import ArgumentParser
import Foundation
import MongeCore
import MongeFlows
import MongeNN

/// `monge flow train|map`: flow-matching bridges A → B and their ODE maps.
struct FlowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flow",
        abstract: "Flow matching A → B (rectified flow, I-CFM, OT-CFM, SB-CFM) and ODE maps with NFE and path energy.",
        subcommands: [FlowTrainCommand.self, FlowMapCommand.self])
}

/// Points of torchcfm:NAME (TorchCFM's normal, 8gaussians, moons), data:NAME or a .npy/.csv file.
func flowPoints(_ spec: String, points: Int, seed: UInt64) throws -> (Matrix<Double>, String) {
    if spec.hasPrefix("torchcfm:") {
        return (try TorchCFMData(spec: spec).sample(n: points, seed: seed), "\(spec) n=\(points) seed=\(seed)")
    }
    let (m, source) = try loadPoints(spec, dataPoints: points, dataSeed: seed)
    return (m.converted(to: Double.self), source)
}

struct FlowTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a velocity field v(x, t) carrying A (t = 0) to B (t = 1); writes DIR/flow.json and model.safetensors.",
        discussion: """
        A and B are torchcfm:normal|8gaussians|moons (TorchCFM's distributions), data:NAME (`monge data --list`) or \
        .npy/.csv files of N × D points. Methods: rf (rectified flow, σ = 0), i-cfm (independent pairs, σ), \
        ot-cfm (each minibatch paired by its exact OT assignment, every plan's certificate checked), sb-cfm \
        (pairs drawn from the Sinkhorn plan at ε = 2σ², Brownian-bridge noise σ√(t(1 − t))). The loss is \
        mean ‖v(x_t, t) − u_t‖², t ~ U[0, 1); the EMA of the weights is what `monge flow map` integrates. \
        --reflow MODEL (method rf) trains on the pairs (x₀, MODEL's ODE image of x₀) for x₀ from A, starting from \
        MODEL's weights (2-RF); B then only fixes the dimension.
        """)

    @Argument(help: "Source points A.") var source: String
    @Argument(help: "Target points B.") var target: String
    @Option(help: "rf, i-cfm, ot-cfm or sb-cfm.") var method: String
    @Option(help: "Noise σ ≥ 0. [0 rf, 0.1 i-cfm/ot-cfm, 0.5 sb-cfm]") var sigma: Double?
    @Option(help: "Reflow: a trained flow folder whose ODE pairs (x₀, T(x₀)) are the training pairs.") var reflow: String?
    @Option(help: "Integrator of the reflow pairs. [dopri5]") var integrator: String = "dopri5"
    @Option(help: "Output folder.") var out: String
    @Option(help: "Optimiser steps. [20000]") var steps: Int = 20_000
    @Option(help: "Batch size. [256]") var batch: Int = 256
    @Option(help: "Adam learning rate. [1e-3]") var lr: Double = 1e-3
    @Option(help: "Hidden width of the MLP. [64]") var width: Int = 64
    @Option(help: "Hidden layers. [3]") var depth: Int = 3
    @Option(help: "Points drawn for generated A and B. [20000]") var points: Int = 20_000
    @Option(help: "Seed of the weights, batches and generated data. [0]") var seed: UInt64 = 0
    @Flag(help: "No progress on stderr.") var quiet = false

    func validate() throws {
        do { _ = try FlowObjective(method: try FlowMethod(parsing: method), sigma: sigma) } catch let error as MongeError {
            throw ValidationError("--method/--sigma: \(error.description)")
        }
        if reflow != nil && method != "rf" { throw ValidationError("--reflow retrains rectified flow on a flow's own pairs; use --method rf") }
        do { _ = try Integrator(parsing: integrator) } catch let error as MongeError { throw ValidationError("--integrator: \(error.description)") }
        try Check.range(steps, "--steps", 0...Int.max)
        try Check.range(batch, "--batch", 2...1_000_000)
        try Check.positive(lr, "--lr")
        try Check.range(width, "--width", 1...Check.maximumWidth)
        try Check.range(depth, "--depth", 1...Check.maximumDepth)
        try Check.range(points, "--points", 1...Check.maximumPoints)
    }

    func run() throws {
        let objective = try FlowObjective(method: try FlowMethod(parsing: method), sigma: sigma)
        let (a, aSource) = try flowPoints(source, points: points, seed: seed &+ 1)
        let (b, bSource) = try flowPoints(target, points: points, seed: seed &+ 2)
        guard a.columns == b.columns else {
            throw MongeError.shapeMismatch("A (\(source)) has \(a.columns) columns but B (\(target)) has \(b.columns): flows join sets of one dimension")
        }
        var modelConfig = VelocityNetwork.defaultConfig(dimension: a.columns, width: width, depth: depth)
        var timeScale = VelocityNetwork.defaultTimeScale
        var data = FlowData.samples(source: a, target: b)
        var initial: [Float]?
        if let reflow {
            let first = try FlowCheckpoint.load(reflow)
            guard first.model.dimension == a.columns else {
                throw MongeError.shapeMismatch("the reflow model \(reflow) has dimension \(first.model.dimension), A has \(a.columns) columns")
            }
            let pairs = try Integrator(parsing: integrator).integrate(try first.field(), from: a)
            if !quiet { FileHandle.standardError.write(Data("flow train: reflow pairs from \(reflow) (\(pairs.evaluations) evaluations)\n".utf8)) }
            data = .pairs(source: a, target: pairs.mapped)
            modelConfig = first.config.model
            timeScale = first.config.timeScale
            initial = first.weights
        }
        let model = try VelocityNetwork(config: modelConfig, timeScale: timeScale)
        let config = FlowTrainingConfig(objective: objective, steps: steps, batchSize: batch, optimizer: AdamConfig(learningRate: lr), seed: seed)
        let trainer = try FlowTrainer(model: model, data: data, config: config, initial: initial)
        var last = Date()
        let start = Date()
        try trainer.train { step, loss in
            if !quiet, Date().timeIntervalSince(last) > 2 || step == steps {
                last = Date()
                FileHandle.standardError.write(Data(String(format: "flow train: step %d/%d loss %.5f\n", step, steps, loss).utf8))
            }
        }
        try FlowCheckpoint.write(config: .init(model: modelConfig, timeScale: timeScale, training: config, source: aSource,
                                               target: reflow == nil ? bSource : "the ODE images of \(reflow!)", reflowOf: reflow),
                                 weights: trainer.average, raw: trainer.parameters, to: out)
        var line = String(format: "flow train: %@ σ = %g, %d steps in %.1f s; wrote %@/flow.json and model.safetensors",
                          objective.method.rawValue, objective.sigma, steps, Date().timeIntervalSince(start), out)
        if objective.method == .optimalTransport && reflow == nil {
            line += "; \(trainer.certifiedPlans) minibatch OT plans, every certificate held"
        }
        print(line)
    }
}

struct FlowMapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Integrate a trained flow from t = 0 to 1: writes T(x) for every row of X; prints NFE and the path energy.",
        discussion: """
        X is a .npy/.csv file, torchcfm:NAME or data:NAME (--points, --seed). Integrators: euler:N, heun:N, rk4:N, \
        dopri5[:RTOL[,ATOL]] (adaptive Dormand–Prince, default 1e-5). The path energy is the mean over rows of \
        ∫₀¹ ‖v(x(t), t)‖² dt, integrated alongside x by the same scheme (no extra evaluations).
        """)

    @Argument(help: "A folder written by `monge flow train`.") var model: String
    @Argument(help: "Points to map.") var input: String
    @Option(help: "euler:N, heun:N, rk4:N or dopri5[:RTOL[,ATOL]]. [dopri5]") var integrator: String = "dopri5"
    @Option(help: "Output file (.npy or .csv) for T(x).") var out: String
    @Option(name: .customLong("points"), help: "Points drawn for generated X. [1000]") var count: Int = 1_000
    @Option(help: "Seed for generated X. [0]") var seed: UInt64 = 0
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        do { _ = try Integrator(parsing: integrator) } catch let error as MongeError { throw ValidationError("--integrator: \(error.description)") }
        try Check.arrayFile(out, "--out")
        try Check.range(count, "--points", 1...Check.maximumPoints)
    }

    func run() throws {
        let flow = try FlowCheckpoint.load(model)
        let (x, _) = try flowPoints(input, points: count, seed: seed)
        let start = Date()
        let result = try Integrator(parsing: integrator).integrate(try flow.field(), from: x)
        try ArrayFile.write(result.mapped, to: out)
        if json {
            print("{\"nfe\":\(result.evaluations),\"path_energy\":\(result.pathEnergy),\"accepted_steps\":\(result.acceptedSteps),\"rejected_steps\":\(result.rejectedSteps),\"rows\":\(x.rows)}")
        } else {
            print(String(format: "mapped %d points with %@: NFE %d (%d steps, %d rejected), path energy %.6g in %.2f s; wrote %@",
                         x.rows, integrator, result.evaluations, result.acceptedSteps, result.rejectedSteps, result.pathEnergy,
                         Date().timeIntervalSince(start), out))
        }
    }
}
