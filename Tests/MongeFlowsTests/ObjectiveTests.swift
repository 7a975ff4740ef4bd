import Foundation
import MongeCore
import MongeFlows
import MongeNN
import Testing

@Suite("Flow-matching objectives")
struct ObjectiveTests {
    /// x₀ = 1, x₁ = 3, t = 1/4, ε = 0.7, worked by hand.
    @Test func regressionTargetsOnFixedInputs() throws {
        let rf = try FlowObjective(method: .rectifiedFlow).pathPoint(x0: 1, x1: 3, t: 0.25, noise: 0.7)
        #expect(rf.point == 1.5 && rf.target == 2)
        for method in [FlowMethod.independent, .optimalTransport] {
            let p = try FlowObjective(method: method, sigma: 0.1).pathPoint(x0: 1, x1: 3, t: 0.25, noise: 0.7)
            #expect(abs(p.point - 1.57) < 1e-15 && p.target == 2)
        }
        // SB-CFM σ = 0.5: σ_t = 0.5·√(3/16), σ_t′ = σ(1 − 2t)/(2√(t(1 − t))) = 0.25/√(3/4)·… by hand:
        let sigmaT = 0.5 * (3.0 / 16).squareRoot()              // 0.21650635…
        let derivative = 0.5 * 0.5 / (2 * (3.0 / 16).squareRoot())  // 0.28867513…
        let sb = try FlowObjective(method: .schrodingerBridge, sigma: 0.5).pathPoint(x0: 1, x1: 3, t: 0.25, noise: 0.7)
        #expect(abs(sb.point - (1.5 + sigmaT * 0.7)) < 1e-14)
        #expect(abs(sb.target - (2 + derivative * 0.7)) < 1e-7)  // TorchCFM's 10⁻⁸ in the denominator
        #expect(abs(sb.target - 2.2020725942163693) < 1e-7)
    }

    /// The target is the time derivative of the path at fixed (x₀, x₁, ε): central differences.
    @Test func targetIsTheDerivativeOfThePath() throws {
        for objective in [try FlowObjective(method: .rectifiedFlow), try FlowObjective(method: .independent, sigma: 0.3),
                          try FlowObjective(method: .schrodingerBridge, sigma: 0.8)] {
            for t in [0.1, 0.37, 0.5, 0.83] {
                let h = 1e-6
                let up = objective.pathPoint(x0: -0.4, x1: 2.2, t: t + h, noise: -1.3).point
                let down = objective.pathPoint(x0: -0.4, x1: 2.2, t: t - h, noise: -1.3).point
                let target = objective.pathPoint(x0: -0.4, x1: 2.2, t: t, noise: -1.3).target
                #expect(abs((up - down) / (2 * h) - target) < 1e-6, "\(objective.method) t = \(t)")
            }
        }
    }

    @Test func badSettingsAreRefusedClearly() throws {
        #expect { try FlowMethod(parsing: "ddpm") } throws: { "\($0)".contains("unknown flow method 'ddpm'") && "\($0)".contains("ot-cfm") }
        #expect { try FlowObjective(method: .independent, sigma: -0.1) } throws: { "\($0)".contains("sigma") && "\($0)".contains("≥ 0") }
        #expect { try FlowObjective(method: .independent, sigma: .nan) } throws: { "\($0)".contains("sigma") }
        #expect { try FlowObjective(method: .rectifiedFlow, sigma: 0.1) } throws: { "\($0)".contains("rectified flow has no noise") }
        #expect { try FlowObjective(method: .schrodingerBridge, sigma: 0) } throws: { "\($0)".contains("sb-cfm needs σ > 0") }
        #expect(try FlowObjective(method: .schrodingerBridge, sigma: 0.5).entropicEpsilon == 0.5)
    }

    @Test func trainerRefusesDataOfAnotherDimension() throws {
        let model = try VelocityNetwork(config: VelocityNetwork.defaultConfig(dimension: 2, width: 8, depth: 1), timeScale: 10)
        let x = Matrix<Double>(rows: 4, columns: 3, repeating: 0)
        let y = Matrix<Double>(rows: 4, columns: 2, repeating: 0)
        let config = FlowTrainingConfig(objective: try FlowObjective(method: .rectifiedFlow), steps: 1, batchSize: 4)
        #expect { try FlowTrainer(model: model, data: .samples(source: x, target: y), config: config) } throws: {
            "\($0)".contains("source points have 3 columns but the flow's dimension is 2")
        }
        let pairsSource = Matrix<Double>(rows: 5, columns: 2, repeating: 0)
        #expect { try FlowTrainer(model: model, data: .pairs(source: pairsSource, target: y), config: config) } throws: {
            "\($0)".contains("5 source rows but 4 target rows")
        }
    }
}
