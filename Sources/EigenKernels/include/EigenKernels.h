// EigenKernels: the few dense kernels Monge needs fast, in C++ over Eigen::Map,
// exposed as a plain C API so that Swift imports them without C++ interop.
//
// Every matrix is row-major and contiguous up to its leading dimension `ld*`
// (the distance in elements between the starts of two consecutive rows).
// All kernels are single-threaded: Monge parallelises over batch chunks in Swift.
#ifndef MONGE_EIGEN_KERNELS_H
#define MONGE_EIGEN_KERNELS_H

#include <stdint.h>

#include "NetworkKernels.h"
#include "GemmVariants.h"
#include "ImageKernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/// C ← α · op(A) · op(B) + β · C, with op(X) = X or Xᵀ (row-major storage).
/// op(A) is m×k, op(B) is k×n, C is m×n. β = 0 ignores C's previous contents (NaN included).
void ek_sgemm(int transA, int transB, int64_t m, int64_t n, int64_t k,
              float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
              float beta, float *c, int64_t ldc);

/// Double-precision version of `ek_sgemm`.
void ek_dgemm(int transA, int transB, int64_t m, int64_t n, int64_t k,
              double alpha, const double *a, int64_t lda, const double *b, int64_t ldb,
              double beta, double *c, int64_t ldc);

/// Single-thread FP32 FMA throughput in GFLOP/s, measured by `seconds` of independent fused
/// multiply-add chains as wide as the kernels in use (`ek_kernels_isa`: 512-bit on AVX-512, else
/// 256-bit), the ceiling against which GEMM efficiency is quoted.
double ek_fma_peak_gflops(double seconds);

/// `ek_fma_peak_gflops` on 256-bit AVX2 FMAs whatever the CPU has (the AVX2 kernels' ceiling).
double ek_fma_peak_gflops_avx2(double seconds);

/// The SIMD instruction sets Eigen was compiled for, e.g. "AVX2 FMA" (for benchmark reports).
const char *ek_simd_instruction_sets(void);

/// The eigendecomposition A = Q·diag(λ)·Qᵀ of the symmetric row-major n×n matrix `a` (only its lower
/// triangle is read), by Eigen's SelfAdjointEigenSolver (Householder tridiagonalisation, implicit
/// symmetric QR). Writes λ ascending to `values` (n) and the orthonormal eigenvectors as the columns
/// of the row-major n×n `vectors`. Returns 0, or 1 when the iteration did not converge.
int ek_symmetric_eigen(int64_t n, const double *a, double *values, double *vectors);

#ifdef __cplusplus
}
#endif

#endif
