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

/// `ek_sgemm` through Monge's packed kernel on every shape (PackedGemm.cpp), AVX-512 or AVX2 as
/// `ek_kernels_isa` says; falls back to Eigen only if its packing buffers cannot be allocated.
void ek_sgemm_packed(int transA, int transB, int64_t m, int64_t n, int64_t k,
                     float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                     float beta, float *c, int64_t ldc);

/// `ek_sgemm_packed` on its AVX2 micro-kernel (6 × 16 tiles of ymm), whatever the CPU has.
void ek_sgemm_packed_avx2(int transA, int transB, int64_t m, int64_t n, int64_t k,
                          float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                          float beta, float *c, int64_t ldc);

/// `ek_sgemm_packed` on its AVX-512 micro-kernel (12 × 16 tiles of zmm); the same bits as the
/// AVX2 one. Takes the AVX2 kernel when `ek_kernels_avx512_supported()` is 0.
void ek_sgemm_packed_avx512(int transA, int transB, int64_t m, int64_t n, int64_t k,
                            float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                            float beta, float *c, int64_t ldc);

/// 1 when this CPU (and OS) can run the AVX-512 kernels (F, VL, DQ, BW), else 0.
int ek_kernels_avx512_supported(void);

/// The instruction set the float GEMM and dense kernels run on in this process: "avx512" when
/// supported unless the environment variable MONGE_KERNELS=avx2 (read once), else "avx2".
const char *ek_kernels_isa(void);

#ifdef __cplusplus
}
#endif

#endif
