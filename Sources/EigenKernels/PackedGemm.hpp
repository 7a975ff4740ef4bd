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

/// C (m × n) ← Aᵀ·B + β·C, A stored k × m (row stride lda), with B read indirectly: B(p, j) =
/// b[offsets[p] + (j / segmentColumns)·segmentStride + j mod segmentColumns] — a convolution's
/// im2col matrix read in place from a padded image (the three runs of an im2col row are the
/// segments, offsets[p] locates output pixel p). The same bits as `packedGemm(true, false, …,
/// α = 1, …)` on the materialised B. AVX-512 only: returns false, having touched nothing, when
/// it is not selected, or n or segmentColumns is not a multiple of 16, or n > 4096.
bool packedGemmIndirectB(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                         const int64_t *offsets, int64_t segmentColumns, int64_t segmentStride, float beta,
                         float *c, int64_t ldc);

}  // namespace monge

#endif
