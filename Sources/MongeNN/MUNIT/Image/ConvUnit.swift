import Foundation

/// The normalisation after a `ConvUnit`'s convolution.
public enum ConvUnitNorm: Sendable, Equatable {
    case none
    /// Instance norm, affine off (MUNIT's content encoder).
    case instance
    /// Instance norm with per-image γ, β given at each pass (MUNIT's AdaIN).
    case adaptive
    /// GroupNorm with one group over C×H×W and per-channel scale and shift (MUNIT's LayerNorm in
    /// the decoder's up-sampling).
    case layer(ImageGroupNorm)
}

/// The activation after a `ConvUnit`'s normalisation.
public enum ConvUnitActivation: Sendable, Equatable {
    case none, relu, leakyReLU, tanh
}

/// One convolution block of MUNIT's image networks on a single channels-last image:
/// y = act(norm(conv(x) + b)), the convolution being the image path's `Conv2D` (3×3 or 1×1,
/// stride 1 or 2, optionally reading its input up-sampled ×2 by nearest neighbour).
public struct ConvUnit: Sendable, Equatable {
    public let conv: Conv2D
    public let norm: ConvUnitNorm
    public let activation: ConvUnitActivation
    /// The input size the convolution sees (the up-sampled size when `conv.upsampled`).
    public let height: Int, width: Int
    static let slope = 0.2

    public init(_ name: String, inputs: Int, outputs: Int, kernel: Int = 3, stride: Int = 1, upsampled: Bool = false,
                norm: ConvUnitNormKind, activation: ConvUnitActivation, height: Int, width: Int, layout: inout ParameterLayout) {
        conv = Conv2D("\(name).conv", inputs: inputs, outputs: outputs, kernel: kernel, stride: stride, upsampled: upsampled, layout: &layout)
        switch norm {
        case .none: self.norm = .none
        case .instance: self.norm = .instance
        case .adaptive: self.norm = .adaptive
        case .layer: self.norm = .layer(ImageGroupNorm("\(name).norm", channels: outputs, groups: 1, layout: &layout))
        }
        self.activation = activation
        self.height = height
        self.width = width
    }

    public var output: (height: Int, width: Int) { conv.outputSize(height: height, width: width) }
    public var outputPixels: Int { output.height * output.width }
    /// Values of one output image.
    public var outputCount: Int { outputPixels * conv.outputs }
    /// Values of one stored input image.
    public var inputCount: Int { conv.storedPixels(height: height, width: width) * conv.inputs }
    /// Scalars of the im2col buffer a pass needs.
    public var columnCount: Int { height * width * 9 * max(conv.inputs, conv.outputs) }

    /// The unit's convolution weight packed for its forward passes.
    public func packedParameters<S: NetworkScalar>(_ p: UnsafePointer<S>) -> PackedParameters<S> { PackedParameters(layers: [conv.packing], parameters: p) }

    /// What backward needs: the input, the convolution's output z and the block's output y.
    public struct Pass<S: NetworkScalar>: Sendable {
        public let input: [S]
        let z: [S]
        public let output: [S]
        let cache: InstanceNorm.Cache<S>?
        let layerMean: [S], layerRstd: [S]
    }

    /// The block on one image `x` (inputCount values); `gamma`, `beta` (length outputs) for AdaIN.
    public func forward<S: NetworkScalar>(_ x: [S], gamma: UnsafePointer<S>? = nil, beta: UnsafePointer<S>? = nil,
                                          parameters p: UnsafePointer<S>, packed: PackedParameters<S>,
                                          column: UnsafeMutablePointer<S>) -> Pass<S> {
        precondition(x.count == inputCount, "the block takes \(inputCount) values, got \(x.count)")
        let c = conv.outputs, pixels = outputPixels
        var z = [S](repeating: 0, count: outputCount)
        x.withUnsafeBufferPointer { xs in
            z.withUnsafeMutableBufferPointer { zs in
                conv.forward(images: 1, height: height, width: width, xs.baseAddress!, packed: packed.panels(conv.weight),
                             bias: { _ in p + conv.bias }, accumulate: false, into: zs.baseAddress!, column: column)
            }
        }
        var y = z
        var cache: InstanceNorm.Cache<S>? = nil
        var mean = [S](), rstd = [S]()
        switch norm {
        case .none: break
        case .instance, .adaptive:
            precondition((norm == .adaptive) == (gamma != nil && beta != nil), "AdaIN takes γ and β; other blocks do not")
            cache = z.withUnsafeBufferPointer { zs in
                y.withUnsafeMutableBufferPointer { InstanceNorm(channels: c).forward(pixels: pixels, zs.baseAddress!, gamma: gamma, beta: beta, into: $0.baseAddress!) }
            }
        case .layer(let layer):
            mean = [S](repeating: 0, count: 1)
            rstd = [S](repeating: 0, count: 1)
            z.withUnsafeBufferPointer { zs in
                y.withUnsafeMutableBufferPointer { ys in
                    layer.forward(images: 1, pixels: pixels, zs.baseAddress!, parameters: p, silu: false, mean: &mean[0], rstd: &rstd[0],
                                  into: ys.baseAddress!)
                }
            }
        }
        switch activation {
        case .none: break
        case .relu, .leakyReLU:
            let act: Activation = activation == .relu ? .relu : .leakyReLU
            y.withUnsafeMutableBufferPointer { act.apply(rows: pixels, columns: c, $0.baseAddress!, bias: nil, slope: Self.slope, aux: nil) }
        case .tanh:
            for k in 0..<y.count { y[k] = S(Foundation.tanh(Double(y[k]))) }
        }
        return Pass(input: x, z: z, output: y, cache: cache, layerMean: mean, layerRstd: rstd)
    }

    /// From ∂L/∂y: accumulates the parameter gradient into `g`, AdaIN's ∂L/∂γ, ∂L/∂β into `dGamma`,
    /// `dBeta` (added), and returns ∂L/∂x when `inputGradient` (else an empty array).
    public func backward<S: NetworkScalar>(_ pass: Pass<S>, outputGradient dy: [S], gamma: UnsafePointer<S>? = nil,
                                           dGamma: UnsafeMutablePointer<S>? = nil, dBeta: UnsafeMutablePointer<S>? = nil,
                                           parameters p: UnsafePointer<S>, gradient g: UnsafeMutablePointer<S>,
                                           column: UnsafeMutablePointer<S>, inputGradient: Bool = true) -> [S] {
        precondition(dy.count == outputCount, "the output gradient has \(dy.count) values, expected \(outputCount)")
        let c = conv.outputs, pixels = outputPixels
        var d = dy
        switch activation {
        case .none: break
        case .relu, .leakyReLU:
            let act: Activation = activation == .relu ? .relu : .leakyReLU
            d.withUnsafeMutableBufferPointer { ds in
                pass.output.withUnsafeBufferPointer { act.backward(rows: pixels, columns: c, ds.baseAddress!, output: $0.baseAddress!, aux: nil, slope: Self.slope) }
            }
        case .tanh:
            for k in 0..<d.count { d[k] *= 1 - pass.output[k] * pass.output[k] }
        }
        var dz = d
        switch norm {
        case .none: break
        case .instance, .adaptive:
            d.withUnsafeBufferPointer { ds in
                pass.z.withUnsafeBufferPointer { zs in
                    dz.withUnsafeMutableBufferPointer {
                        InstanceNorm(channels: c).backward(pixels: pixels, ds.baseAddress!, x: zs.baseAddress!, cache: pass.cache!, gamma: gamma,
                                                           accumulate: false, into: $0.baseAddress!, dGamma: dGamma, dBeta: dBeta)
                    }
                }
            }
        case .layer(let layer):
            d.withUnsafeBufferPointer { ds in
                pass.z.withUnsafeBufferPointer { zs in
                    dz.withUnsafeMutableBufferPointer { dzs in
                        layer.backward(images: 1, pixels: pixels, ds.baseAddress!, x: zs.baseAddress!, mean: pass.layerMean, rstd: pass.layerRstd,
                                       parameters: p, silu: false, accumulate: false, gradient: g, into: dzs.baseAddress!)
                    }
                }
            }
        }
        var dx = [S](repeating: 0, count: inputGradient ? inputCount : 0)
        pass.input.withUnsafeBufferPointer { xs in
            dz.withUnsafeBufferPointer { dzs in
                dx.withUnsafeMutableBufferPointer { dxs in
                    conv.backward(images: 1, height: height, width: width, xs.baseAddress!, outputGradient: dzs.baseAddress!, parameters: p,
                                  gradient: g, inputGradient: inputGradient ? dxs.baseAddress! : nil, column: column, groupImages: 1)
                }
            }
        }
        return dx
    }
}

/// Which normalisation a `ConvUnit` is built with (the layer norm's parameters are registered by the unit).
public enum ConvUnitNormKind: Sendable {
    case none, instance, adaptive, layer
}
