// Private to EigenKernels: a packed, register-blocked AVX2/FMA (or AVX-512) SGEMM (see PackedGemm.cpp).
// Templated on the scalar internally; only float is instantiated (DGEMM stays with Eigen).
#ifndef MONGE_PACKED_GEMM_HPP
#define MONGE_PACKED_GEMM_HPP

#include <cstdint>

namespace monge {

/// Which micro-kernel `packedGemm` runs: the process-wide choice (KernelDispatch.hpp), or one
/// forced (AVX-512 only where supported, else AVX2). All give the same bits.
enum class PackedGemmKernel { automatic, avx2, avx512 };

/// C ← α·op(A)·op(B) + β·C with the semantics of `ek_sgemm` (row-major, β = 0 ignores C).
/// Returns false, having touched nothing, when its packing buffers cannot be allocated.
bool packedGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
                const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                float *c, int64_t ldc, PackedGemmKernel kernel = PackedGemmKernel::automatic);

}  // namespace monge

#endif
