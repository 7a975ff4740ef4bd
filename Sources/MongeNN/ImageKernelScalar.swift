import EigenKernels

/// The image kernels of ImageKernels.h (channels-last convolution data movement, group norm with
/// SiLU) for the scalars networks compute in; `NetworkScalar` refines this protocol.
public protocol ImageKernelScalar {
    static func im2col3x3(height h: Int, width w: Int, channels c: Int, _ x: UnsafePointer<Self>, ldx: Int, stride: Int, upsampled: Bool, rows: Range<Int>, into col: UnsafeMutablePointer<Self>)
    static func col2im3x3(height h: Int, width w: Int, channels c: Int, _ col: UnsafePointer<Self>, stride: Int, upsampled: Bool, rows: Range<Int>, into dx: UnsafeMutablePointer<Self>, lddx: Int)
    static func upsample2x(height h: Int, width w: Int, channels c: Int, _ x: UnsafePointer<Self>, into y: UnsafeMutablePointer<Self>)
    static func upsample2xBackward(height h: Int, width w: Int, channels c: Int, _ dy: UnsafePointer<Self>, into dx: UnsafeMutablePointer<Self>)
    static func groupNormActivationForward(pixels: Int, channels c: Int, groups: Int, _ x: UnsafePointer<Self>, gamma: UnsafePointer<Self>, beta: UnsafePointer<Self>, epsilon: Self, silu: Bool, mean: UnsafeMutablePointer<Self>, rstd: UnsafeMutablePointer<Self>, into y: UnsafeMutablePointer<Self>)
    static func groupNormActivationBackward(pixels: Int, channels c: Int, groups: Int, _ dy: UnsafePointer<Self>, x: UnsafePointer<Self>, mean: UnsafePointer<Self>, rstd: UnsafePointer<Self>, gamma: UnsafePointer<Self>, beta: UnsafePointer<Self>, silu: Bool, accumulate: Bool, into dx: UnsafeMutablePointer<Self>, dgamma: UnsafeMutablePointer<Self>, dbeta: UnsafeMutablePointer<Self>)
    static func copyRows(rows: Int, columns: Int, _ x: UnsafePointer<Self>, ldx: Int, into y: UnsafeMutablePointer<Self>, ldy: Int, accumulate: Bool)
    /// One image's stride-1 3×3 convolution as an implicit GEMM (`ek_sconv3x3_forward`): the same
    /// bits as im2col followed by `denseForward`. False, having touched nothing, where that
    /// path does not apply; the caller then runs im2col.
    static func convolve3x3(height h: Int, width w: Int, channels c: Int, _ x: UnsafePointer<Self>, upsampled: Bool, outputs: Int,
                            packed: UnsafePointer<Self>, bias: UnsafePointer<Self>?, accumulate: Bool, into y: UnsafeMutablePointer<Self>) -> Bool
    /// Its weight gradient over `images` images, transposed, dWᵀ ← dyᵀ·im2col(x) + β·dWᵀ, with
    /// im2col read in place (`ek_sconv3x3_weight_gradient`): the bits of im2col and `gemm`. False,
    /// having touched nothing, where that path does not apply.
    static func convolve3x3WeightGradient(images: Int, height h: Int, width w: Int, channels c: Int, _ x: UnsafePointer<Self>,
                                          upsampled: Bool, outputs: Int, outputGradient dy: UnsafePointer<Self>, beta: Self,
                                          into weightGradientT: UnsafeMutablePointer<Self>) -> Bool
}

extension Float: ImageKernelScalar {
    @inlinable public static func im2col3x3(height h: Int, width w: Int, channels c: Int, _ x: UnsafePointer<Float>, ldx: Int, stride: Int, upsampled: Bool, rows: Range<Int>, into col: UnsafeMutablePointer<Float>) {
        ek_sim2col3x3(Int64(h), Int64(w), Int64(c), x, Int64(ldx), Int64(stride), upsampled ? 1 : 0, Int64(rows.lowerBound), Int64(rows.count), col)
    }
    @inlinable public static func col2im3x3(height h: Int, width w: Int, channels c: Int, _ col: UnsafePointer<Float>, stride: Int, upsampled: Bool, rows: Range<Int>, into dx: UnsafeMutablePointer<Float>, lddx: Int) {
        ek_scol2im3x3(Int64(h), Int64(w), Int64(c), col, Int64(stride), upsampled ? 1 : 0, Int64(rows.lowerBound), Int64(rows.count), dx, Int64(lddx))
    }
    @inlinable public static func upsample2x(height h: Int, width w: Int, channels c: Int, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        ek_supsample2x(Int64(h), Int64(w), Int64(c), x, y)
    }
    @inlinable public static func upsample2xBackward(height h: Int, width w: Int, channels c: Int, _ dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        ek_supsample2x_backward(Int64(h), Int64(w), Int64(c), dy, dx)
    }
    @inlinable public static func groupNormActivationForward(pixels: Int, channels c: Int, groups: Int, _ x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float, silu: Bool, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        ek_sgroup_norm_act_forward(Int64(pixels), Int64(c), Int64(groups), x, gamma, beta, epsilon, silu ? 1 : 0, mean, rstd, y)
    }
    @inlinable public static func groupNormActivationBackward(pixels: Int, channels c: Int, groups: Int, _ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, silu: Bool, accumulate: Bool, into dx: UnsafeMutablePointer<Float>, dgamma: UnsafeMutablePointer<Float>, dbeta: UnsafeMutablePointer<Float>) {
        ek_sgroup_norm_act_backward(Int64(pixels), Int64(c), Int64(groups), dy, x, mean, rstd, gamma, beta, silu ? 1 : 0, accumulate ? 1 : 0, dx, dgamma, dbeta)
    }
    @inlinable public static func copyRows(rows: Int, columns: Int, _ x: UnsafePointer<Float>, ldx: Int, into y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool) {
        ek_scopy_rows(Int64(rows), Int64(columns), x, Int64(ldx), y, Int64(ldy), accumulate ? 1 : 0)
    }
    @inlinable public static func convolve3x3(height h: Int, width w: Int, channels c: Int, _ x: UnsafePointer<Float>, upsampled: Bool, outputs: Int,
                                              packed: UnsafePointer<Float>, bias: UnsafePointer<Float>?, accumulate: Bool,
                                              into y: UnsafeMutablePointer<Float>) -> Bool {
        ek_sconv3x3_forward(Int64(h), Int64(w), Int64(c), x, upsampled ? 1 : 0, Int64(outputs), packed, bias, accumulate ? 1 : 0, y) != 0
    }
    @inlinable public static func convolve3x3WeightGradient(images: Int, height h: Int, width w: Int, channels c: Int, _ x: UnsafePointer<Float>,
                                                            upsampled: Bool, outputs: Int, outputGradient dy: UnsafePointer<Float>,
                                                            beta: Float, into weightGradientT: UnsafeMutablePointer<Float>) -> Bool {
        ek_sconv3x3_weight_gradient(Int64(images), Int64(h), Int64(w), Int64(c), x, upsampled ? 1 : 0, Int64(outputs), dy, beta,
                                    weightGradientT) != 0
    }
}

extension Double: ImageKernelScalar {
    @inlinable public static func im2col3x3(height h: Int, width w: Int, channels c: Int, _ x: UnsafePointer<Double>, ldx: Int, stride: Int, upsampled: Bool, rows: Range<Int>, into col: UnsafeMutablePointer<Double>) {
        ek_dim2col3x3(Int64(h), Int64(w), Int64(c), x, Int64(ldx), Int64(stride), upsampled ? 1 : 0, Int64(rows.lowerBound), Int64(rows.count), col)
    }
    @inlinable public static func col2im3x3(height h: Int, width w: Int, channels c: Int, _ col: UnsafePointer<Double>, stride: Int, upsampled: Bool, rows: Range<Int>, into dx: UnsafeMutablePointer<Double>, lddx: Int) {
        ek_dcol2im3x3(Int64(h), Int64(w), Int64(c), col, Int64(stride), upsampled ? 1 : 0, Int64(rows.lowerBound), Int64(rows.count), dx, Int64(lddx))
    }
    @inlinable public static func upsample2x(height h: Int, width w: Int, channels c: Int, _ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) {
        ek_dupsample2x(Int64(h), Int64(w), Int64(c), x, y)
    }
    @inlinable public static func upsample2xBackward(height h: Int, width w: Int, channels c: Int, _ dy: UnsafePointer<Double>, into dx: UnsafeMutablePointer<Double>) {
        ek_dupsample2x_backward(Int64(h), Int64(w), Int64(c), dy, dx)
    }
    @inlinable public static func groupNormActivationForward(pixels: Int, channels c: Int, groups: Int, _ x: UnsafePointer<Double>, gamma: UnsafePointer<Double>, beta: UnsafePointer<Double>, epsilon: Double, silu: Bool, mean: UnsafeMutablePointer<Double>, rstd: UnsafeMutablePointer<Double>, into y: UnsafeMutablePointer<Double>) {
        ek_dgroup_norm_act_forward(Int64(pixels), Int64(c), Int64(groups), x, gamma, beta, epsilon, silu ? 1 : 0, mean, rstd, y)
    }
    @inlinable public static func groupNormActivationBackward(pixels: Int, channels c: Int, groups: Int, _ dy: UnsafePointer<Double>, x: UnsafePointer<Double>, mean: UnsafePointer<Double>, rstd: UnsafePointer<Double>, gamma: UnsafePointer<Double>, beta: UnsafePointer<Double>, silu: Bool, accumulate: Bool, into dx: UnsafeMutablePointer<Double>, dgamma: UnsafeMutablePointer<Double>, dbeta: UnsafeMutablePointer<Double>) {
        ek_dgroup_norm_act_backward(Int64(pixels), Int64(c), Int64(groups), dy, x, mean, rstd, gamma, beta, silu ? 1 : 0, accumulate ? 1 : 0, dx, dgamma, dbeta)
    }
    @inlinable public static func copyRows(rows: Int, columns: Int, _ x: UnsafePointer<Double>, ldx: Int, into y: UnsafeMutablePointer<Double>, ldy: Int, accumulate: Bool) {
        ek_dcopy_rows(Int64(rows), Int64(columns), x, Int64(ldx), y, Int64(ldy), accumulate ? 1 : 0)
    }
    /// Double has no implicit-GEMM kernel: always the im2col path.
    @inlinable public static func convolve3x3(height h: Int, width w: Int, channels c: Int, _ x: UnsafePointer<Double>, upsampled: Bool, outputs: Int,
                                              packed: UnsafePointer<Double>, bias: UnsafePointer<Double>?, accumulate: Bool,
                                              into y: UnsafeMutablePointer<Double>) -> Bool {
        false
    }
    @inlinable public static func convolve3x3WeightGradient(images: Int, height h: Int, width w: Int, channels c: Int, _ x: UnsafePointer<Double>,
                                                            upsampled: Bool, outputs: Int, outputGradient dy: UnsafePointer<Double>,
                                                            beta: Double, into weightGradientT: UnsafeMutablePointer<Double>) -> Bool {
        false
    }
}
