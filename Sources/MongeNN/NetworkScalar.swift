import EigenKernels

/// The element types a network computes in: Float for training and sampling, Double for the
/// finite-difference gradient checks. Each requirement forwards to a kernel of NetworkKernels.h.
public protocol NetworkScalar: MatrixScalar, ImageKernelScalar {
    static func biasActivation(rows: Int, columns: Int, _ z: UnsafeMutablePointer<Self>, bias: UnsafePointer<Self>?,
                               activation: Int32, slope: Self, aux: UnsafeMutablePointer<Self>?)
    static func activationBackward(rows: Int, columns: Int, _ d: UnsafeMutablePointer<Self>, output: UnsafePointer<Self>,
                                   aux: UnsafePointer<Self>?, activation: Int32, slope: Self)
    static func addColumnSums(rows: Int, columns: Int, _ x: UnsafePointer<Self>, into sums: UnsafeMutablePointer<Self>)
    static func groupNormForward(rows: Int, columns: Int, groups: Int, _ x: UnsafePointer<Self>,
                                 gamma: UnsafePointer<Self>, beta: UnsafePointer<Self>, epsilon: Self,
                                 xhat: UnsafeMutablePointer<Self>, rstd: UnsafeMutablePointer<Self>,
                                 output: UnsafeMutablePointer<Self>)
    static func groupNormBackward(rows: Int, columns: Int, groups: Int, _ dy: UnsafePointer<Self>,
                                  xhat: UnsafePointer<Self>, rstd: UnsafePointer<Self>, gamma: UnsafePointer<Self>,
                                  dx: UnsafeMutablePointer<Self>, dgamma: UnsafeMutablePointer<Self>,
                                  dbeta: UnsafeMutablePointer<Self>)
    static func adam(count: Int, _ p: UnsafeMutablePointer<Self>, gradient: UnsafePointer<Self>,
                     m: UnsafeMutablePointer<Self>, v: UnsafeMutablePointer<Self>, lr: Self, beta1: Self, beta2: Self,
                     epsilon: Self, step: Self, bc2sqrt: Self, weightDecay: Self, gradientScale: Self)
    static func ema(count: Int, _ average: UnsafeMutablePointer<Self>, _ p: UnsafePointer<Self>, decay: Self)
    static func sumOfSquares(count: Int, _ x: UnsafePointer<Self>) -> Double
    static func mseGradient(count: Int, prediction: UnsafePointer<Self>, target: UnsafePointer<Self>,
                            scale: Self, gradient: UnsafeMutablePointer<Self>) -> Double
    static func add(count: Int, _ y: UnsafeMutablePointer<Self>, _ x: UnsafePointer<Self>)
    static func multiply(count: Int, _ y: UnsafeMutablePointer<Self>, _ x: UnsafePointer<Self>)
    static func addRows(rows: Int, columns: Int, _ z: UnsafeMutablePointer<Self>, table: UnsafePointer<Self>, index: UnsafePointer<Int64>)
    static func scatterAddRows(rows: Int, columns: Int, _ x: UnsafePointer<Self>, index: UnsafePointer<Int64>,
                               into out: UnsafeMutablePointer<Self>)
    static func packedWeightsCount(inputs: Int, outputs: Int) -> Int
    static func packWeights(inputs: Int, outputs: Int, _ w: UnsafePointer<Self>, ld: Int, transposed: Bool,
                            into packed: UnsafeMutablePointer<Self>)
    static func denseForward(rows: Int, outputs: Int, inputs: Int, _ a: UnsafePointer<Self>, lda: Int, packed: UnsafePointer<Self>,
                             bias: UnsafePointer<Self>?, accumulate: Bool, activation: Int32, slope: Self,
                             into c: UnsafeMutablePointer<Self>, ldc: Int, aux: UnsafeMutablePointer<Self>?)
}

extension Float: NetworkScalar {
    @inlinable public static func biasActivation(rows: Int, columns: Int, _ z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?,
                                                 activation: Int32, slope: Float, aux: UnsafeMutablePointer<Float>?) {
        ek_sbias_activation(Int64(rows), Int64(columns), z, bias, activation, slope, aux)
    }
    @inlinable public static func activationBackward(rows: Int, columns: Int, _ d: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>,
                                                     aux: UnsafePointer<Float>?, activation: Int32, slope: Float) {
        ek_sactivation_backward(Int64(rows), Int64(columns), d, output, aux, activation, slope)
    }
    @inlinable public static func addColumnSums(rows: Int, columns: Int, _ x: UnsafePointer<Float>, into sums: UnsafeMutablePointer<Float>) {
        ek_scolumn_sums(Int64(rows), Int64(columns), x, sums)
    }
    @inlinable public static func groupNormForward(rows: Int, columns: Int, groups: Int, _ x: UnsafePointer<Float>,
                                                   gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float,
                                                   xhat: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                                                   output: UnsafeMutablePointer<Float>) {
        ek_sgroup_norm_forward(Int64(rows), Int64(columns), Int64(groups), x, gamma, beta, epsilon, xhat, rstd, output)
    }
    @inlinable public static func groupNormBackward(rows: Int, columns: Int, groups: Int, _ dy: UnsafePointer<Float>,
                                                    xhat: UnsafePointer<Float>, rstd: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
                                                    dx: UnsafeMutablePointer<Float>, dgamma: UnsafeMutablePointer<Float>,
                                                    dbeta: UnsafeMutablePointer<Float>) {
        ek_sgroup_norm_backward(Int64(rows), Int64(columns), Int64(groups), dy, xhat, rstd, gamma, dx, dgamma, dbeta)
    }
    @inlinable public static func adam(count: Int, _ p: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
                                       m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, lr: Float, beta1: Float, beta2: Float,
                                       epsilon: Float, step: Float, bc2sqrt: Float, weightDecay: Float, gradientScale: Float) {
        ek_sadam(Int64(count), p, gradient, m, v, lr, beta1, beta2, epsilon, step, bc2sqrt, weightDecay, gradientScale)
    }
    @inlinable public static func ema(count: Int, _ average: UnsafeMutablePointer<Float>, _ p: UnsafePointer<Float>, decay: Float) {
        ek_sema(Int64(count), average, p, decay)
    }
    @inlinable public static func sumOfSquares(count: Int, _ x: UnsafePointer<Float>) -> Double {
        ek_ssum_squares(Int64(count), x)
    }
    @inlinable public static func mseGradient(count: Int, prediction: UnsafePointer<Float>, target: UnsafePointer<Float>,
                                              scale: Float, gradient: UnsafeMutablePointer<Float>) -> Double {
        ek_smse_gradient(Int64(count), prediction, target, scale, gradient)
    }
    @inlinable public static func add(count: Int, _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>) {
        ek_sadd(Int64(count), y, x)
    }
    @inlinable public static func multiply(count: Int, _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>) {
        ek_smultiply(Int64(count), y, x)
    }
    @inlinable public static func packedWeightsCount(inputs: Int, outputs: Int) -> Int {
        Int(ek_spacked_weights_count(Int64(inputs), Int64(outputs)))
    }
    @inlinable public static func addRows(rows: Int, columns: Int, _ z: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>,
                                          index: UnsafePointer<Int64>) {
        ek_sadd_rows(Int64(rows), Int64(columns), z, table, index)
    }
    @inlinable public static func scatterAddRows(rows: Int, columns: Int, _ x: UnsafePointer<Float>, index: UnsafePointer<Int64>,
                                                 into out: UnsafeMutablePointer<Float>) {
        ek_sscatter_add_rows(Int64(rows), Int64(columns), x, index, out)
    }
    @inlinable public static func packWeights(inputs: Int, outputs: Int, _ w: UnsafePointer<Float>, ld: Int, transposed: Bool,
                                              into packed: UnsafeMutablePointer<Float>) {
        ek_spack_weights(Int64(inputs), Int64(outputs), w, Int64(ld), transposed ? 1 : 0, packed)
    }
    @inlinable public static func denseForward(rows: Int, outputs: Int, inputs: Int, _ a: UnsafePointer<Float>, lda: Int, packed: UnsafePointer<Float>,
                                               bias: UnsafePointer<Float>?, accumulate: Bool, activation: Int32, slope: Float,
                                               into c: UnsafeMutablePointer<Float>, ldc: Int, aux: UnsafeMutablePointer<Float>?) {
        ek_sdense_forward(Int64(rows), Int64(outputs), Int64(inputs), a, Int64(lda), packed, bias, accumulate ? 1 : 0,
                          activation, slope, c, Int64(ldc), aux)
    }
}

extension Double: NetworkScalar {
    @inlinable public static func biasActivation(rows: Int, columns: Int, _ z: UnsafeMutablePointer<Double>, bias: UnsafePointer<Double>?,
                                                 activation: Int32, slope: Double, aux: UnsafeMutablePointer<Double>?) {
        ek_dbias_activation(Int64(rows), Int64(columns), z, bias, activation, slope, aux)
    }
    @inlinable public static func activationBackward(rows: Int, columns: Int, _ d: UnsafeMutablePointer<Double>, output: UnsafePointer<Double>,
                                                     aux: UnsafePointer<Double>?, activation: Int32, slope: Double) {
        ek_dactivation_backward(Int64(rows), Int64(columns), d, output, aux, activation, slope)
    }
    @inlinable public static func addColumnSums(rows: Int, columns: Int, _ x: UnsafePointer<Double>, into sums: UnsafeMutablePointer<Double>) {
        ek_dcolumn_sums(Int64(rows), Int64(columns), x, sums)
    }
    @inlinable public static func groupNormForward(rows: Int, columns: Int, groups: Int, _ x: UnsafePointer<Double>,
                                                   gamma: UnsafePointer<Double>, beta: UnsafePointer<Double>, epsilon: Double,
                                                   xhat: UnsafeMutablePointer<Double>, rstd: UnsafeMutablePointer<Double>,
                                                   output: UnsafeMutablePointer<Double>) {
        ek_dgroup_norm_forward(Int64(rows), Int64(columns), Int64(groups), x, gamma, beta, epsilon, xhat, rstd, output)
    }
    @inlinable public static func groupNormBackward(rows: Int, columns: Int, groups: Int, _ dy: UnsafePointer<Double>,
                                                    xhat: UnsafePointer<Double>, rstd: UnsafePointer<Double>, gamma: UnsafePointer<Double>,
                                                    dx: UnsafeMutablePointer<Double>, dgamma: UnsafeMutablePointer<Double>,
                                                    dbeta: UnsafeMutablePointer<Double>) {
        ek_dgroup_norm_backward(Int64(rows), Int64(columns), Int64(groups), dy, xhat, rstd, gamma, dx, dgamma, dbeta)
    }
    @inlinable public static func adam(count: Int, _ p: UnsafeMutablePointer<Double>, gradient: UnsafePointer<Double>,
                                       m: UnsafeMutablePointer<Double>, v: UnsafeMutablePointer<Double>, lr: Double, beta1: Double, beta2: Double,
                                       epsilon: Double, step: Double, bc2sqrt: Double, weightDecay: Double, gradientScale: Double) {
        ek_dadam(Int64(count), p, gradient, m, v, lr, beta1, beta2, epsilon, step, bc2sqrt, weightDecay, gradientScale)
    }
    @inlinable public static func ema(count: Int, _ average: UnsafeMutablePointer<Double>, _ p: UnsafePointer<Double>, decay: Double) {
        ek_dema(Int64(count), average, p, decay)
    }
    @inlinable public static func sumOfSquares(count: Int, _ x: UnsafePointer<Double>) -> Double {
        ek_dsum_squares(Int64(count), x)
    }
    @inlinable public static func mseGradient(count: Int, prediction: UnsafePointer<Double>, target: UnsafePointer<Double>,
                                              scale: Double, gradient: UnsafeMutablePointer<Double>) -> Double {
        ek_dmse_gradient(Int64(count), prediction, target, scale, gradient)
    }
    @inlinable public static func add(count: Int, _ y: UnsafeMutablePointer<Double>, _ x: UnsafePointer<Double>) {
        ek_dadd(Int64(count), y, x)
    }
    @inlinable public static func multiply(count: Int, _ y: UnsafeMutablePointer<Double>, _ x: UnsafePointer<Double>) {
        ek_dmultiply(Int64(count), y, x)
    }
    @inlinable public static func packedWeightsCount(inputs: Int, outputs: Int) -> Int {
        Int(ek_dpacked_weights_count(Int64(inputs), Int64(outputs)))
    }
    @inlinable public static func addRows(rows: Int, columns: Int, _ z: UnsafeMutablePointer<Double>, table: UnsafePointer<Double>,
                                          index: UnsafePointer<Int64>) {
        ek_dadd_rows(Int64(rows), Int64(columns), z, table, index)
    }
    @inlinable public static func scatterAddRows(rows: Int, columns: Int, _ x: UnsafePointer<Double>, index: UnsafePointer<Int64>,
                                                 into out: UnsafeMutablePointer<Double>) {
        ek_dscatter_add_rows(Int64(rows), Int64(columns), x, index, out)
    }
    @inlinable public static func packWeights(inputs: Int, outputs: Int, _ w: UnsafePointer<Double>, ld: Int, transposed: Bool,
                                              into packed: UnsafeMutablePointer<Double>) {
        ek_dpack_weights(Int64(inputs), Int64(outputs), w, Int64(ld), transposed ? 1 : 0, packed)
    }
    @inlinable public static func denseForward(rows: Int, outputs: Int, inputs: Int, _ a: UnsafePointer<Double>, lda: Int, packed: UnsafePointer<Double>,
                                               bias: UnsafePointer<Double>?, accumulate: Bool, activation: Int32, slope: Double,
                                               into c: UnsafeMutablePointer<Double>, ldc: Int, aux: UnsafeMutablePointer<Double>?) {
        ek_ddense_forward(Int64(rows), Int64(outputs), Int64(inputs), a, Int64(lda), packed, bias, accumulate ? 1 : 0,
                          activation, slope, c, Int64(ldc), aux)
    }
}
