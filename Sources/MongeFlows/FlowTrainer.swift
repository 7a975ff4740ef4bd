import Foundation
import MongeCore
import MongeNN

/// The settings of one flow-matching run.
public struct FlowTrainingConfig: Codable, Equatable, Sendable {
    public var objective: FlowObjective
    public var steps: Int
    public var batchSize: Int
    public var optimizer: AdamConfig
    /// EMA of the weights (the weights a flow is integrated with).
    public var ema: EMAConfig
    public var seed: UInt64

    public init(objective: FlowObjective, steps: Int = 20_000, batchSize: Int = 256, optimizer: AdamConfig = AdamConfig(),
                ema: EMAConfig = EMAConfig(decay: 0.999), seed: UInt64 = 0) {
        self.objective = objective
        self.steps = steps
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.ema = ema
        self.seed = seed
    }

    public func validate() throws {
        guard steps >= 0 else { throw MongeError.invalidArgument(name: "steps", message: "must be ≥ 0, got \(steps)") }
        guard batchSize >= 1 else { throw MongeError.invalidArgument(name: "batch", message: "must be at least 1, got \(batchSize)") }
        try optimizer.validate()
        try ema.validate()
        _ = try FlowObjective(method: objective.method, sigma: objective.sigma)
    }
}

/// Where the pairs (x₀, x₁) of a batch come from.
public enum FlowData: Sendable {
    /// Independent samples: B rows of the source and B rows of the target drawn uniformly (with
    /// replacement), then paired by the objective's minibatch coupling.
    case samples(source: Matrix<Double>, target: Matrix<Double>)
    /// A fixed coupling (reflow): B rows drawn uniformly, x₀ = source row, x₁ = the same row of
    /// target (e.g. the first flow's image of that source point).
    case pairs(source: Matrix<Double>, target: Matrix<Double>)

    var source: Matrix<Double> { switch self { case let .samples(s, _), let .pairs(s, _): return s } }
    var target: Matrix<Double> { switch self { case let .samples(_, t), let .pairs(_, t): return t } }
}

/// Conditional flow matching by Adam on L(θ) = mean ‖v_θ(x_t, t) − u_t(x_t | x₀, x₁)‖², t ~ U[0, 1)
/// (Lipman et al. 2023 eq. 9; Tong et al. 2024 Algorithm 1 with the objective's coupling).
///
/// Step k's draws — rows, times, noise, the entropic coupling's pair choices — are functions of
/// (seed, k, row) only (`RandomStream`), so a run is bitwise reproducible.
public final class FlowTrainer {
    public let model: VelocityNetwork
    public let data: FlowData
    public let config: FlowTrainingConfig
    public private(set) var parameters: [Float]
    public private(set) var average: [Float]
    public private(set) var adam: AdamState<Float>
    /// Certificates of the OT-CFM minibatch plans checked so far (every one held, or the step threw).
    public private(set) var certifiedPlans = 0
    /// The largest duality gap |⟨P, C⟩ − (Σf + Σg)| among them.
    public private(set) var largestDualityGap = 0.0

    let workspace: TrainingWorkspace<Float>
    var gradient: [Float]

    /// A trainer starting from `initial` weights (e.g. reflow from the first flow) or fresh ones from
    /// `config.seed`; checks that the data fit the model.
    public init(model: VelocityNetwork, data: FlowData, config: FlowTrainingConfig, initial: [Float]? = nil) throws {
        try config.validate()
        for (name, m) in [("source", data.source), ("target", data.target)] {
            guard m.rows >= 1 else { throw MongeError.invalidArgument(name: name, message: "has no points") }
            guard m.columns == model.dimension else {
                throw MongeError.shapeMismatch("the \(name) points have \(m.columns) columns but the flow's dimension is \(model.dimension)")
            }
            try m.checkFinite("\(name) points")
        }
        if case let .pairs(s, t) = data, s.rows != t.rows {
            throw MongeError.shapeMismatch("reflow pairs: \(s.rows) source rows but \(t.rows) target rows")
        }
        if let initial, initial.count != model.network.parameterCount {
            throw MongeError.shapeMismatch("\(initial.count) initial weights for a network of \(model.network.parameterCount)")
        }
        self.model = model
        self.data = data
        self.config = config
        let p = initial ?? model.network.initialParameters(seed: config.seed)
        parameters = p
        average = p
        adam = AdamState(count: p.count)
        let b = config.batchSize
        workspace = model.network(times: [Double](repeating: 0, count: b)).makeTrainingWorkspace(rows: b)
        gradient = [Float](repeating: 0, count: p.count)
    }

    public var step: Int { adam.step }

    /// The draws of step `step`.
    func streams(_ step: Int) -> (rows: RandomStream, targets: RandomStream, times: RandomStream, noise: RandomStream, coupling: RandomStream) {
        let root = RandomStream(seed: config.seed, stream: StreamTag.flowTraining).substream(UInt64(step))
        return (root.substream(1), root.substream(2), root.substream(3), root.substream(4), root.substream(5))
    }

    /// The batch of step `step`: inputs x_t (B × D), times t, targets u_t.
    public func batch(step: Int) throws -> (points: [Float], times: [Double], targets: [Float]) {
        let b = config.batchSize, d = model.dimension
        let s = streams(step)
        let source = data.source, target = data.target
        let rows0 = (0..<b).map { s.rows.integer(UInt64($0), below: source.rows) }
        var x0 = source.rows(at: rows0), x1: Matrix<Double>
        switch data {
        case .pairs: x1 = target.rows(at: rows0)
        case .samples: x1 = target.rows(at: (0..<b).map { s.targets.integer(UInt64($0), below: target.rows) })
        }
        let objective = config.objective
        let pairing: MinibatchPairing
        switch (data, objective.method) {
        case (.pairs, _), (_, .rectifiedFlow), (_, .independent): pairing = MinibatchCoupling.independent(count: b)
        case (_, .optimalTransport):
            pairing = try MinibatchCoupling.exact(x0, x1)
            certifiedPlans += 1
            if let c = pairing.certificate { largestDualityGap = max(largestDualityGap, abs(c.dualityGap)) }
        case (_, .schrodingerBridge):
            pairing = try MinibatchCoupling.entropic(x0, x1, epsilon: objective.entropicEpsilon, random: s.coupling)
        }
        x0 = x0.rows(at: pairing.sources)
        x1 = x1.rows(at: pairing.targets)
        var points = [Float](repeating: 0, count: b * d), targets = points
        let times = (0..<b).map { s.times.uniform(UInt64($0)) }
        for i in 0..<b {
            for k in 0..<d {
                let (x, u) = objective.pathPoint(x0: x0[i, k], x1: x1[i, k], t: times[i], noise: s.noise.normal(UInt64(i * d + k)))
                points[i * d + k] = Float(x)
                targets[i * d + k] = Float(u)
            }
        }
        return (points, times, targets)
    }

    /// One Adam step on the batch of step `self.step`; returns the batch's mean squared error per coordinate.
    @discardableResult
    public func trainStep() throws -> Double {
        let (points, times, targets) = try batch(step: step)
        let b = config.batchSize, d = model.dimension
        let network = model.network(times: times)
        let indices = Array(0..<b)
        var outputGradient = [Float](repeating: 0, count: b * d)
        var loss = 0.0
        gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        points.withUnsafeBufferPointer { x in
            indices.withUnsafeBufferPointer { t in
                parameters.withUnsafeBufferPointer { p in
                    let y = network.forward(rows: b, x: x.baseAddress!, timesteps: t.baseAddress!, parameters: p.baseAddress!,
                                            workspace: workspace)
                    targets.withUnsafeBufferPointer { u in
                        outputGradient.withUnsafeMutableBufferPointer { g in
                            loss = Float.mseGradient(count: b * d, prediction: y, target: u.baseAddress!, scale: Float(2.0 / Double(b * d)),
                                                     gradient: g.baseAddress!)
                        }
                    }
                    outputGradient.withUnsafeBufferPointer { g in
                        gradient.withUnsafeMutableBufferPointer { grad in
                            network.backward(outputGradient: g.baseAddress!, parameters: p.baseAddress!, workspace: workspace,
                                             gradient: grad.baseAddress!)
                        }
                    }
                }
            }
        }
        let k = step
        adam.update(&parameters, gradient: gradient, config: config.optimizer)
        config.ema.update(&average, toward: parameters, step: k)
        let mean = loss / Double(b * d)
        guard mean.isFinite else { throw MongeError.numerical("flow matching diverged at step \(k): the loss is \(mean)") }
        return mean
    }

    /// Runs the remaining steps, calling `progress(step, loss)` after each.
    public func train(progress: (Int, Double) -> Void = { _, _ in }) throws {
        while step < config.steps {
            let loss = try trainStep()
            progress(step, loss)
        }
    }
}
