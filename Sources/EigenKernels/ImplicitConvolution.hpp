// Private to EigenKernels: the pieces of the implicit-GEMM 3×3 convolution (ImplicitConvolution.cpp)
// that live beside the kernels they reuse.
#ifndef MONGE_IMPLICIT_CONVOLUTION_HPP
#define MONGE_IMPLICIT_CONVOLUTION_HPP

#include <cstdint>

namespace monge {

/// y = conv3x3(x)·W + bias (+ y) for one h×w output image of a stride-1 convolution, from the
/// zero-padded input xp ((h + 2) × (w + 2) × c) and the [9c, n] weight packed for the dense
/// kernel, on its AVX-512 micro-kernel (DenseKernels.cpp). False, having touched nothing, when the
/// AVX-512 kernels are not selected or n ≤ 4 (the narrow layout).
bool convolve3x3Padded(int64_t h, int64_t w, int64_t c, const float *xp, int64_t n, const float *packed,
                       const float *bias, bool accumulate, float *y);

}  // namespace monge

#endif
