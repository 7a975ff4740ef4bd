import Foundation
import MongeNN
import TestSupport
import Testing

/// The convolutional ε-model (`ModelConfig.Architecture.unet`, bench_unet.py's U-Net).
@Suite("U-Net")
struct UNetTests {
    static let tiny = ModelConfig.anchorUNet(width: 8, image: ImageShape(channels: 1, height: 8, width: 8))

    @Test("Parameter counts equal PyTorch's for bench_unet.py at widths 8, 16 and 32")
    func parameterCounts() throws {
        // sum(p.numel() for p in UNet(ch).parameters()) with torch 2.13 (Benchmarks/peers/unet_peer.py `params CH`).
        for (width, expected) in [(8, 96_865), (16, 382_913), (32, 1_522_561)] {
            let network = try EpsilonNetwork<Float>(config: .anchorUNet(width: width), timesteps: 1000)
            #expect(network.parameterCount == expected, "width \(width)")
        }
        // And tensor by tensor: 208 tensors at any width (the state dict's entries).
        #expect(try EpsilonNetwork<Float>(config: Self.tiny, timesteps: 10).layout.entries.count == 208)
    }

    @Test("Invalid U-Net configs are rejected with the field named")
    func invalidConfigs() {
        var noImage = Self.tiny
        noImage.image = nil
        #expect(throws: MongeError.self) { try noImage.validate() }
        var odd = ModelConfig.anchorUNet(width: 8, image: ImageShape(channels: 1, height: 6, width: 8))
        #expect(throws: MongeError.self) { try odd.validate() }
        odd = ModelConfig.anchorUNet(width: 12)  // 12 channels in 8 groups
        do { try odd.validate(); Issue.record("accepted 8 groups of 12 channels") } catch let error as MongeError {
            #expect(error.description.contains("groups"))
        } catch { Issue.record("\(error)") }
        var wrongDimension = Self.tiny
        wrongDimension.dimension = 2
        #expect(throws: MongeError.self) { try wrongDimension.validate() }
    }

    static func randomParameters(_ network: EpsilonNetwork<Double>, seed: UInt64) -> [Double] {
        // PyTorch-like init, with GroupNorm scales and shifts moved off 1 and 0 so every term counts.
        var p = network.initialParameters(seed: seed)
        let rng = RandomStream(seed: seed, stream: 5)
        for entry in network.layout.entries where entry.shape.count == 1 {
            for i in entry.range { p[i] += 0.3 * rng.normal(UInt64(i)) }
        }
        return p
    }

    static func loss(_ network: EpsilonNetwork<Double>, _ p: [Double], _ x: [Double], _ t: [Int], _ w: [Double],
                     _ noise: DropoutNoise?, _ workspace: TrainingWorkspace<Double>) -> Double {
        x.withUnsafeBufferPointer { xp in
            t.withUnsafeBufferPointer { tp in
                p.withUnsafeBufferPointer { pp in
                    let y = network.forward(rows: t.count, x: xp.baseAddress!, timesteps: tp.baseAddress!, parameters: pp.baseAddress!,
                                            workspace: workspace, dropout: noise, firstRow: 2)
                    return (0..<w.count).reduce(0.0) { $0 + w[$1] * y[$1] }
                }
            }
        }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let config: ModelConfig
        var testDescription: String { label }
    }

    static let gradientCases: [Case] = [
        Case(label: "bench_unet at width 8, 8×8", config: tiny),
        Case(label: "2 levels, 1 block, dropout 0.3, 2×4×6 images", config: {
            var c = ModelConfig.anchorUNet(width: 8, image: ImageShape(channels: 2, height: 4, width: 6), multipliers: [1, 2], depth: 1,
                                           dropout: 0.3)
            c.timeEmbedding = 6
            return c
        }()),
    ]

    /// Hand-written backprop through the whole network against five-point central differences
    /// (h = 1e-4) in Double, on three images with a repeated timestep: every input coordinate,
    /// and three entries (first, middle, last) of each of the parameter tensors.
    @Test(arguments: gradientCases)
    func gradientsMatchFiniteDifferences(_ c: Case) throws {
        let network = try EpsilonNetwork<Double>(config: c.config, timesteps: 50)
        let d = c.config.dimension, t = [7, 42, 7]
        let p = Self.randomParameters(network, seed: 1)
        let x = (0..<(3 * d)).map { RandomStream(seed: 2).normal(UInt64($0)) }
        let w = (0..<(3 * d)).map { RandomStream(seed: 3).normal(UInt64($0)) }
        let noise = c.config.dropout > 0 ? DropoutNoise(stream: RandomStream(seed: 4), rate: c.config.dropout) : nil
        let workspace = network.makeTrainingWorkspace(rows: 3)
        var gradient = [Double](repeating: 0, count: network.parameterCount)
        var dx = [Double](repeating: 0, count: x.count)
        _ = Self.loss(network, p, x, t, w, noise, workspace)
        w.withUnsafeBufferPointer { wp in
            p.withUnsafeBufferPointer { pp in
                gradient.withUnsafeMutableBufferPointer { gp in
                    dx.withUnsafeMutableBufferPointer { dp in
                        network.backward(outputGradient: wp.baseAddress!, parameters: pp.baseAddress!, workspace: workspace,
                                         gradient: gp.baseAddress!, inputGradient: dp.baseAddress!)
                    }
                }
            }
        }
        let h = 1e-4
        func central(_ f: (Double) -> Double) -> Double { (8 * (f(h) - f(-h)) - (f(2 * h) - f(-2 * h))) / (12 * h) }
        let scale = max(gradient.map(abs).max()!, 1e-3)
        var worst = 0.0, worstName = "", checked = 0
        for entry in network.layout.entries {
            for i in Set([entry.offset, entry.offset + entry.count / 2, entry.offset + entry.count - 1]) {
                let numeric = central { delta in var q = p; q[i] += delta; return Self.loss(network, q, x, t, w, noise, workspace) }
                let error = abs(numeric - gradient[i]) / scale
                checked += 1
                if error > worst { worst = error; worstName = "\(entry.name)[\(i - entry.offset)]" }
            }
        }
        #expect(worst < 1e-7, "worst parameter gradient error \(worst) at \(worstName) (\(checked) checked)")
        let dxScale = max(dx.map(abs).max()!, 1e-3)
        var worstX = 0.0
        for i in 0..<x.count {
            let numeric = central { delta in var y = x; y[i] += delta; return Self.loss(network, p, y, t, w, noise, workspace) }
            worstX = max(worstX, abs(numeric - dx[i]) / dxScale)
        }
        #expect(worstX < 1e-7, "worst input gradient error \(worstX)")
        #expect(gradient.map(abs).max()! > 1e-2 && dx.map(abs).max()! > 1e-3)
    }

    @Test("An image's ε̂ does not depend on its batch: alone, in any order, and in a training pass (bitwise, Float)")
    func batchIndependence() throws {
        let network = try EpsilonNetwork<Float>(config: Self.tiny, timesteps: 100)
        let p = network.initialParameters(seed: 3)
        let n = 6, d = Self.tiny.dimension
        let x: Matrix<Float> = RandomStream(seed: 8).normalMatrix(rows: n, columns: d)
        let all = network.epsilon(x, timestep: 37, parameters: p)
        for i in [0, 3, 5] {
            let one = network.epsilon(x.rows(i..<(i + 1)), timestep: 37, parameters: p)
            #expect(Array(one.storage) == Array(all.storage[(i * d)..<((i + 1) * d)]), "image \(i)")
        }
        let reversed = try Matrix(rows: n, columns: d, storage: (0..<n).reversed().flatMap { Array(x.storage[($0 * d)..<(($0 + 1) * d)]) })
        let back = network.epsilon(reversed, timestep: 37, parameters: p)
        for i in 0..<n { #expect(Array(back.storage[((n - 1 - i) * d)..<((n - i) * d)]) == Array(all.storage[(i * d)..<((i + 1) * d)])) }
        // The training forward pass (chunk of 6, per-image timesteps all 37) gives the same bits.
        let trained = network.forward(x, timesteps: [Int](repeating: 37, count: n), parameters: p)
        #expect(trained.storage == all.storage)
    }

    @Test("Overfitting one fixed batch: Adam drives the loss down by more than 20×")
    func overfitOneBatch() throws {
        let network = try EpsilonNetwork<Float>(config: Self.tiny, timesteps: 100)
        var p = network.initialParameters(seed: 0)
        let n = 4, d = Self.tiny.dimension
        let x: Matrix<Float> = RandomStream(seed: 1).normalMatrix(rows: n, columns: d)
        let target: [Float] = (0..<(n * d)).map { Float(RandomStream(seed: 2).normal(UInt64($0))) }
        let t = [3, 30, 60, 90]
        let workspace = network.makeTrainingWorkspace(rows: n)
        var adam = AdamState<Float>(count: p.count)
        var losses: [Double] = []
        for _ in 0..<150 {
            var gradient = [Float](repeating: 0, count: p.count)
            var dy = [Float](repeating: 0, count: n * d)
            let loss: Double = x.storage.withUnsafeBufferPointer { xp in
                t.withUnsafeBufferPointer { tp in
                    p.withUnsafeBufferPointer { pp in
                        let y = network.forward(rows: n, x: xp.baseAddress!, timesteps: tp.baseAddress!, parameters: pp.baseAddress!,
                                                workspace: workspace)
                        let loss = dy.withUnsafeMutableBufferPointer {
                            Float.mseGradient(count: n * d, prediction: y, target: target, scale: Float(2.0 / Double(n * d)),
                                              gradient: $0.baseAddress!)
                        }
                        dy.withUnsafeBufferPointer { dp in
                            gradient.withUnsafeMutableBufferPointer { gp in
                                network.backward(outputGradient: dp.baseAddress!, parameters: pp.baseAddress!, workspace: workspace,
                                                 gradient: gp.baseAddress!)
                            }
                        }
                        return loss / Double(n * d)
                    }
                }
            }
            losses.append(loss)
            _ = adam.update(&p, gradient: gradient, config: AdamConfig(learningRate: 3e-3))
        }
        #expect(losses.last! < losses.first! / 20, "loss \(losses.first!) → \(losses.last!)")
    }
}

/// bench_unet.py's U-Net in PyTorch (float64) against Monge's, on weights given by a formula
/// (Golden/make_unet_golden.py writes PyTorch's output; the weights are rebuilt here in
/// PyTorch's shapes and imported).
@Suite("U-Net vs PyTorch")
struct UNetGoldenTests {
    static let file = TestSupport.packageRoot + "/Tests/MongeNNTests/Golden/unet_golden.safetensors"

    /// make_unet_golden.py's `formula`, in PyTorch's layout.
    static func formula(_ name: String, _ shape: [Int]) -> [Double] {
        let phase = 0.1 * Double(name.unicodeScalars.reduce(0) { $0 + Int($1.value) } % 97)
        let n = shape.reduce(1, *)
        let wave = (0..<n).map { sin(0.37 * Double($0) + phase) }
        if shape.count >= 2 {
            let fanIn = Double(shape.dropFirst().reduce(1, *))
            return wave.map { 1.5 * $0 / fanIn.squareRoot() }
        }
        return name.hasSuffix(".weight") ? wave.map { 1 + 0.3 * $0 } : wave.map { 0.3 * $0 }
    }

    static func parameters<S: NetworkScalar>(_ network: EpsilonNetwork<S>) throws -> [S] {
        var tensors: [String: NDArray] = [:]
        for entry in network.layout.entries {
            let shape = ParameterLayout.pyTorchShape(entry.shape)
            tensors[entry.name] = try NDArray(shape: shape, values: formula(entry.name, shape))
        }
        return try network.layout.parameters(fromPyTorch: tensors, source: "formula")
    }

    @Test("Forward output equals PyTorch's: 1e-10 in Double, 1e-5 in Float")
    func matchesPyTorch() throws {
        let (tensors, _) = try SafeTensors.read(Self.file)
        let x: [Double] = tensors["x"]!.values(), expected: [Double] = tensors["output"]!.values()
        let t = (tensors["t"]!.values() as [Double]).map { Int($0) }
        #expect(tensors["x"]!.shape == [2, 1, 8, 8] && t == [3, 917])
        let config = ModelConfig.anchorUNet(width: 8, image: ImageShape(channels: 1, height: 8, width: 8))
        let scale = expected.map(abs).max()!
        #expect(scale > 0.5)

        let double = try EpsilonNetwork<Double>(config: config, timesteps: 1000)
        let pd = try Self.parameters(double)
        let yd = double.forward(try Matrix(rows: 2, columns: 64, storage: x), timesteps: t, parameters: pd)
        let errorDouble = zip(yd.storage, expected).map { abs($0 - $1) }.max()! / scale
        #expect(errorDouble < 1e-10, "Double: relative error \(errorDouble)")

        let float = try EpsilonNetwork<Float>(config: config, timesteps: 1000)
        let pf: [Float] = try Self.parameters(float)
        for k in [0, 1] {
            let xf = try Matrix(rows: 1, columns: 64, storage: x[(k * 64)..<((k + 1) * 64)].map { Float($0) })
            let yf = float.epsilon(xf, timestep: t[k], parameters: pf)
            let errorFloat = zip(yf.storage, expected[(k * 64)..<((k + 1) * 64)]).map { abs(Double($0) - $1) }.max()! / scale
            #expect(errorFloat < 1e-5, "Float, image \(k): relative error \(errorFloat)")
        }
    }

    @Test("Importing PyTorch tensors: a missing tensor or a wrong shape is an error naming it")
    func importErrors() throws {
        let network = try EpsilonNetwork<Float>(config: UNetTests.tiny, timesteps: 10)
        var tensors: [String: NDArray] = [:]
        for entry in network.layout.entries {
            let shape = ParameterLayout.pyTorchShape(entry.shape)
            tensors[entry.name] = try NDArray(shape: shape, values: Self.formula(entry.name, shape))
        }
        var missing = tensors
        missing["mid.1.c2.weight"] = nil
        do { let _: [Float] = try network.layout.parameters(fromPyTorch: missing, source: "w.safetensors"); Issue.record("accepted") }
        catch let error as MongeError { #expect(error.description.contains("mid.1.c2.weight") && error.description.contains("missing")) }
        var wrong = tensors
        wrong["inp.weight"] = try NDArray(shape: [3, 3, 1, 8], values: [Float](repeating: 0, count: 72))
        do { let _: [Float] = try network.layout.parameters(fromPyTorch: wrong, source: "w.safetensors"); Issue.record("accepted") }
        catch let error as MongeError { #expect(error.description.contains("inp.weight") && error.description.contains("[8, 1, 3, 3]")) }
    }
}
