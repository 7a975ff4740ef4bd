import Foundation
import MongeCore
import MongeDiffusion
import MongeNN

/// Lower bounds of the memory a command's arrays take, computed from its options with overflow
/// checks (`MemoryBudget.Need`), for `Check.memory` before any work. Each bound counts only the
/// arrays that certainly exist (so a refused run could not have fit), attributed to the options
/// that size them.
public enum Footprint {
    public typealias Need = MemoryBudget.Need

    /// Σ Π terms, or `nil` on overflow.
    static func sumOfProducts(_ terms: [[Int]]) -> Int? {
        MemoryBudget.sum(terms.map { MemoryBudget.product($0) })
    }

    /// Parameters of an MLP inputs → `depth` hidden layers of `width` → outputs, with biases
    /// (the ε-MLP, the GAN's generator and discriminator, EGSDE's classifier).
    public static func mlpParameters(inputs: Int, width: Int, depth: Int, outputs: Int) -> Int? {
        sumOfProducts([[inputs, width], [width], [max(0, depth - 1), width, width], [max(0, depth - 1), width],
                       [width, outputs], [outputs]])
    }

    /// Parameters of an ε-network of `config` (`ResidualBody`: time MLP, input layer, `depth`
    /// blocks of three width² layers and two norms, output norm and layer; `DDIBUNetBody` adds per
    /// out-block the 2·width inputs of Linear₁ and norm₁ and the Linear(2·width → width) skip).
    public static func parameters(_ config: ModelConfig) -> Int? {
        let w = config.width, d = config.dimension, e = config.timeEmbedding, depth = max(0, config.depth)
        switch config.architecture {
        case .mlp:
            return mlpParameters(inputs: d + e, width: w, depth: depth, outputs: d)
        case .residual:
            let norms = config.normalization == .none ? 0 : 1
            return sumOfProducts([[e, w], [w], [w, w], [w], [d, w], [w],
                                  [depth, 3, w, w], [depth, 3, w], [depth, norms, 4, w],
                                  [norms, 2, w], [w, d], [d]])
        case .ddibUNet:
            // DDIBUNetBody: 2·depth + 2 blocks of three w² layers, and per out-block the 2w inputs of
            // Linear₁ and the Linear(2w → w) skip (norms counted as for `residual`).
            let norms = config.normalization == .none ? 0 : 1
            let blocks = 2 * depth + 2
            return sumOfProducts([[e, w], [w], [w, w], [w], [d, w], [w],
                                  [blocks, 3, w, w], [blocks, 3, w], [blocks, norms, 4, w],
                                  [depth, 2, w, w], [depth, w, w], [depth, w], [depth, norms, 2, w],
                                  [norms, 2, w], [w, d], [d]])
        case .unet:
            // A lower bound: the two middle residual blocks alone hold four 3×3 convolutions of w² or more.
            return sumOfProducts([[e, 4, w], [4, w, 4, w], [4, 9, w, w]])
        }
    }

    /// Floats of activations kept per row by a training pass (`MLPBody`/`ResidualBody.slots`,
    /// counting only the width-sized buffers every configuration has).
    static func activationsPerRow(_ config: ModelConfig) -> Int? {
        let depth = max(0, config.depth)
        switch config.architecture {
        case .mlp: return MemoryBudget.product([depth + 4, config.width])
        case .residual: return sumOfProducts([[4, depth, config.width], [12, config.width]])
        case .ddibUNet: return sumOfProducts([[5, 2 * depth + 2, config.width], [12, config.width]])  // a lower bound
        case .unet:
            // At least the input convolution's output: H·W pixels × w channels.
            let pixels = config.image.map { $0.height * $0.width } ?? config.dimension
            return MemoryBudget.product([pixels, config.width])
        }
    }

    /// `monge train` (and the reproductions' training): the state of the parameters, the batch's
    /// activations, the time-embedding table, the loss log and generated data.
    static func diffusionTraining(model: ModelConfig, timesteps: Int, training: TrainingConfig, dataRows: Int,
                                  options: (String) -> String = { $0 }) -> [Need] {
        let w = model.width, depth = model.depth, e = model.timeEmbedding, t = timesteps
        let b = training.batchSize, c = max(1, training.chunks)
        let p = parameters(model)
        let architecture = "\(model.architecture.rawValue) W \(w) depth \(depth)"
        return [
            Need("the \(p.map(String.init) ?? "> 2⁶³") parameters of the \(architecture) network × 4 bytes × \(5 + c) copies "
                 + "(weights, EMA, Adam's m and v, gradient, one gradient per chunk)",
                 options: [options("--width") + " \(w)", options("--depth") + " \(depth)", options("--time-embedding") + " \(e)",
                           options("--chunks") + " \(c)"].joined(separator: " "),
                 bytes: p.flatMap { MemoryBudget.product([$0, 4, 5 + c]) }),
            Need("the activations of \(b) rows (\(architecture)) × 4 bytes",
                 options: "\(options("--batch")) \(b) \(options("--width")) \(w) \(options("--depth")) \(depth)",
                 bytes: activationsPerRow(model).flatMap { MemoryBudget.product([b, $0, 4]) }),
            Need("the time embedding and schedule of T = \(t) timesteps × (\(e) × 4 + 40) bytes",
                 options: "\(options("--T")) \(t) \(options("--time-embedding")) \(e)",
                 bytes: sumOfProducts([[t, e, 4], [t, 40]])),
            Need("the loss log of \(training.steps) steps / \(training.logEvery) × 16 bytes",
                 options: "\(options("--steps")) \(training.steps) \(options("--log-every")) \(training.logEvery)",
                 bytes: MemoryBudget.product([training.steps / max(1, training.logEvery) + 1, 16])),
            Need("\(dataRows) training points × \(model.dimension) coordinates × 12 bytes (Double sample, Float copy)",
                 options: "\(options("--data-points")) \(dataRows)", factors: [dataRows, model.dimension, 12]),
        ]
    }

    /// `monge sample`: the start noise, the blocks' results and the output, `count` × D each,
    /// and the trajectory of the recorded rows.
    static func sampling(count: Int, dimension: Int, scalarBytes: Int, steps: Int, trajectoryRows: Int?) -> [Need] {
        var needs = [
            Need("\(count) samples × \(dimension) coordinates × \(scalarBytes) bytes × 3 copies (start noise, blocks, output)",
                 options: "--n \(count)", factors: [count, dimension, scalarBytes, 3]),
        ]
        if let trajectoryRows {
            let rows = min(trajectoryRows, count)
            needs.append(Need("the trajectory of \(rows) rows × \(steps + 1) levels × \(dimension + 3) columns × 8 bytes × 2",
                              options: "--trajectory-rows \(trajectoryRows) --steps \(steps)",
                              factors: [rows, steps + 1, dimension + 3, 8, 2]))
        }
        return needs
    }

    /// `monge gan`: both networks' state, a step's batch, the step records, the scored samples.
    static func gan(width: Int, latent: Int, batch: Int, steps: Int, samples: Int, dataPoints: Int) -> [Need] {
        let generator = mlpParameters(inputs: latent, width: width, depth: 2, outputs: 2)
        let discriminator = mlpParameters(inputs: 2 + 32, width: width, depth: 2, outputs: 1)
        let p = MemoryBudget.sum([generator, discriminator])
        return [
            Need("the \(p.map(String.init) ?? "> 2⁶³") parameters of G and D × 4 bytes × 4 copies (weights, Adam's m and v, gradient)",
                 options: "--width \(width) --latent \(latent)", bytes: p.flatMap { MemoryBudget.product([$0, 16]) }),
            Need("a step's \(batch) latents and activations × (\(latent) + 4 × \(width)) × 4 bytes",
                 options: "--batch \(batch) --latent \(latent) --width \(width)",
                 bytes: sumOfProducts([[batch, latent, 4], [batch, 4, width, 4]])),
            Need("the records of \(steps) steps × 48 bytes", options: "--steps \(steps)", factors: [steps, 48]),
            Need("\(samples) samples × (\(latent) latent + \(width) hidden + 2) × 4 bytes",
                 options: "--samples \(samples) --latent \(latent) --width \(width)",
                 bytes: MemoryBudget.sum([MemoryBudget.product([samples, latent, 4]), MemoryBudget.product([samples, width, 4]),
                                          MemoryBudget.product([samples, 8])])),
            Need("\(dataPoints) real points × 2 coordinates × 12 bytes", options: "--data-points \(dataPoints)",
                 factors: [dataPoints, 2, 12]),
        ]
    }

    /// `monge classifier`: the classifier's state, a batch's activations, the embedding table,
    /// the loss log and two generated domains.
    static func classifier(dimension: Int, width: Int, depth: Int, timeEmbedding: Int, timesteps: Int, batch: Int,
                           steps: Int, dataPoints: Int) -> [Need] {
        let p = mlpParameters(inputs: dimension + timeEmbedding, width: width, depth: depth, outputs: 1)
        return [
            Need("the \(p.map(String.init) ?? "> 2⁶³") parameters of the classifier × 4 bytes × 4 copies (weights, Adam's m and v, gradient)",
                 options: "--width \(width) --depth \(depth) --time-embedding \(timeEmbedding)",
                 bytes: p.flatMap { MemoryBudget.product([$0, 16]) }),
            Need("the activations of \(batch) rows × \(depth) layers × \(width) × 4 bytes × 2",
                 options: "--batch \(batch) --width \(width) --depth \(depth)", factors: [batch, max(1, depth), width, 8]),
            Need("the time embedding and schedule of T = \(timesteps) timesteps × (\(timeEmbedding) × 4 + 40) bytes",
                 options: "--T \(timesteps) --time-embedding \(timeEmbedding)",
                 bytes: sumOfProducts([[timesteps, timeEmbedding, 4], [timesteps, 40]])),
            Need("the loss log of \(steps) steps × 16 bytes", options: "--steps \(steps)", factors: [steps, 16]),
            Need("2 × \(dataPoints) points × \(dimension) coordinates × 12 bytes", options: "--data-points \(dataPoints)",
                 factors: [2, dataPoints, dimension, 12]),
        ]
    }
}
