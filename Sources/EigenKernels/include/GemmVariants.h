// The two GEMM implementations behind `ek_sgemm`, callable one by one so that benchmarks can
// compare them and tests can drive each on every shape. Same semantics as `ek_sgemm`.
#ifndef MONGE_GEMM_VARIANTS_H
#define MONGE_GEMM_VARIANTS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// `ek_sgemm` through Eigen's general matrix product only (Eigen's own blocking and kernel).
void ek_sgemm_eigen(int transA, int transB, int64_t m, int64_t n, int64_t k,
                    float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                    float beta, float *c, int64_t ldc);

/// `ek_sgemm` through Monge's packed AVX2/FMA kernel on every shape (PackedGemm.cpp); falls
/// back to Eigen only if its packing buffers cannot be allocated.
void ek_sgemm_packed(int transA, int transB, int64_t m, int64_t n, int64_t k,
                     float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                     float beta, float *c, int64_t ldc);

#ifdef __cplusplus
}
#endif

#endif
