import Foundation

/// Whole-matrix passes of a `ConvClassifier`: the rows of an N × C·H·W matrix in tiles of
/// `tileImages` images, the tiles spread over the threads. Each image is computed on its own,
/// so results are the same bits whatever the thread count.
extension ConvClassifier {
    /// Images per tile of a whole-matrix pass.
    public static var tileImages: Int { 16 }

    func checkInput(_ x: Matrix<S>, timestep t: Int?, parameters: [S]) {
        precondition(x.columns == dimension, "the classifier takes images of \(config.image) = \(dimension) values, got \(x.columns) columns")
        precondition(parameters.count == parameterCount, "expected \(parameterCount) parameters, got \(parameters.count)")
        if config.isTimeDependent {
            precondition(t.map { $0 >= 0 && $0 < timesteps } ?? false, "give a timestep in 0..<\(timesteps)")
        } else {
            precondition(t == nil, "this classifier takes no timestep")
        }
    }

    /// The logits (N × classes) and penultimate features (N × features) of the rows of `x`
    /// (at timestep `t` for a time-dependent network, nil otherwise).
    public func evaluate(_ x: Matrix<S>, timestep t: Int? = nil, parameters: [S]) -> (logits: Matrix<S>, features: Matrix<S>) {
        checkInput(x, timestep: t, parameters: parameters)
        let n = x.rows, k = config.classes, f = config.features, d = dimension, tile = Self.tileImages
        var logits = [S](repeating: 0, count: n * k), features = [S](repeating: 0, count: n * f)
        let tiles = (n + tile - 1) / tile
        x.storage.withUnsafeBufferPointer { xs in
            parameters.withUnsafeBufferPointer { ps in
                logits.withUnsafeMutableBufferPointer { ls in
                    features.withUnsafeMutableBufferPointer { fs in
                        let x = xs.baseAddress!, p = ps.baseAddress!, l = ls.baseAddress!, fo = fs.baseAddress!
                        Parallel.forEachChunk(count: tiles) { range in
                            let ws = makeWorkspace(images: tile, training: false)
                            let steps = [Int](repeating: t ?? 0, count: tile)
                            for c in range {
                                let start = c * tile, count = min(tile, n - start)
                                steps.withUnsafeBufferPointer { st in
                                    forward(images: count, x + start * d, timesteps: t == nil ? nil : st.baseAddress!, parameters: p, workspace: ws)
                                }
                                (l + start * k).update(from: ws.logits, count: count * k)
                                (fo + start * f).update(from: ws.featureValues, count: count * f)
                            }
                        }
                    }
                }
            }
        }
        return (try! Matrix(rows: n, columns: k, storage: logits), try! Matrix(rows: n, columns: f, storage: features))
    }

    /// The most likely class of each row of `x` (clean images; at timestep `t` for a time-dependent network).
    public func predict(_ x: Matrix<S>, timestep t: Int? = nil, parameters: [S]) -> [Int] {
        let logits = evaluate(x, timestep: t, parameters: parameters).logits
        return (0..<logits.rows).map { i in
            var best = 0
            for j in 1..<logits.columns where logits[i, j] > logits[i, best] { best = j }
            return best
        }
    }

    /// A loss's output gradients for image `row`: given its logits and features, write ∂L/∂logits
    /// (classes values) and ∂L/∂features (features values) into the zeroed buffers.
    public typealias OutputGradient = (_ row: Int, _ logits: UnsafePointer<S>, _ features: UnsafePointer<S>,
                                       _ dLogits: UnsafeMutablePointer<S>, _ dFeatures: UnsafeMutablePointer<S>) -> Void

    /// ∂L/∂x (N × C·H·W) for a loss that sums per-image terms of the logits and features, each
    /// term's gradient given by `outputGradient` (called once per image, from any thread). For
    /// EGSDE's realism energy, the gradient of a cosine of features with respect to x_t.
    public func inputGradient(_ x: Matrix<S>, timestep t: Int? = nil, parameters: [S], outputGradient: OutputGradient) -> Matrix<S> {
        checkInput(x, timestep: t, parameters: parameters)
        let n = x.rows, k = config.classes, f = config.features, d = dimension, tile = Self.tileImages
        var out = [S](repeating: 0, count: n * d)
        let tiles = (n + tile - 1) / tile
        withoutActuallyEscaping(outputGradient) { outputGradient in
            x.storage.withUnsafeBufferPointer { xs in
                parameters.withUnsafeBufferPointer { ps in
                    out.withUnsafeMutableBufferPointer { os in
                        let x = xs.baseAddress!, p = ps.baseAddress!, o = os.baseAddress!
                        Parallel.forEachChunk(count: tiles) { range in
                            let ws = makeWorkspace(images: tile, training: true)
                            let steps = [Int](repeating: t ?? 0, count: tile)
                            var dLogits = [S](repeating: 0, count: tile * k), dFeatures = [S](repeating: 0, count: tile * f)
                            for c in range {
                                let start = c * tile, count = min(tile, n - start)
                                steps.withUnsafeBufferPointer { st in
                                    forward(images: count, x + start * d, timesteps: t == nil ? nil : st.baseAddress!, parameters: p, workspace: ws)
                                }
                                dLogits.withUnsafeMutableBufferPointer { dl in
                                    dFeatures.withUnsafeMutableBufferPointer { df in
                                        dl.update(repeating: 0)
                                        df.update(repeating: 0)
                                        for i in 0..<count {
                                            outputGradient(start + i, ws.logits + i * k, ws.featureValues + i * f, dl.baseAddress! + i * k,
                                                           df.baseAddress! + i * f)
                                        }
                                        backward(logitGradient: dl.baseAddress!, featureGradient: df.baseAddress!, parameters: p, workspace: ws,
                                                 gradient: nil, inputGradient: o + start * d)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return try! Matrix(rows: n, columns: d, storage: out)
    }
}

/// Softmax cross-entropy of logits against integer labels: ℓ_i = logsumexp(z_i) − z_i[y_i],
/// ∂ℓ_i/∂z_i = softmax(z_i) − onehot(y_i).
public enum SoftmaxCrossEntropy {
    /// Σ_i ℓ_i (accumulated in Double) over `rows` rows of `classes` logits; writes
    /// scale·∂ℓ_i/∂z_i into `gradient` (rows × classes).
    public static func lossAndGradient<S: NetworkScalar>(rows: Int, classes: Int, logits z: UnsafePointer<S>, labels: UnsafePointer<Int>,
                                                         scale: Double, gradient: UnsafeMutablePointer<S>) -> Double {
        var total = 0.0
        for i in 0..<rows {
            let row = z + i * classes, label = labels[i]
            precondition(label >= 0 && label < classes, "label \(label) outside 0..<\(classes)")
            var top = -Double.infinity
            for j in 0..<classes { top = max(top, Double(row[j])) }
            var sum = 0.0
            for j in 0..<classes { sum += exp(Double(row[j]) - top) }
            let logSum = top + log(sum)
            total += logSum - Double(row[label])
            for j in 0..<classes {
                let probability = exp(Double(row[j]) - logSum)
                gradient[i * classes + j] = S(scale * (probability - (j == label ? 1 : 0)))
            }
        }
        return total
    }
}
