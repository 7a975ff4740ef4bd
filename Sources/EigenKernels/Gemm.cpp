// GEMM entry points (see EigenKernels.h): SGEMM goes to the packed kernel of PackedGemm.cpp
// (AVX-512 or AVX2/FMA, chosen once at run time: KernelDispatch.hpp); DGEMM (and `ek_sgemm_eigen`, kept for comparison) use Eigen's product over
// Eigen::Map of the row-major strided buffers.
#include "EigenKernels.h"
#include "GemmVariants.h"
#include "PackedGemm.hpp"
#include "KernelDispatch.hpp"

#include <Eigen/Core>
#include <string>

namespace {

template <typename T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using ConstMap = Eigen::Map<const RowMajor<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <typename T>
using MutableMap = Eigen::Map<RowMajor<T>, Eigen::Unaligned, Eigen::OuterStride<>>;

template <typename T>
void gemm(int transA, int transB, int64_t m, int64_t n, int64_t k, T alpha,
          const T *a, int64_t lda, const T *b, int64_t ldb, T beta, T *c, int64_t ldc) {
    if (m <= 0 || n <= 0) return;
    MutableMap<T> C(c, m, n, Eigen::OuterStride<>(ldc));
    if (k <= 0) {
        if (beta == T(0)) C.setZero(); else C *= beta;
        return;
    }
    // Stored shapes: A is (m×k) or (k×m) when transposed; likewise B.
    ConstMap<T> A(a, transA ? k : m, transA ? m : k, Eigen::OuterStride<>(lda));
    ConstMap<T> B(b, transB ? n : k, transB ? k : n, Eigen::OuterStride<>(ldb));
    if (beta == T(0)) {
        C.setZero();
    } else if (beta != T(1)) {
        C *= beta;
    }
    if (!transA && !transB) C.noalias() += alpha * A * B;
    else if (transA && !transB) C.noalias() += alpha * A.transpose() * B;
    else if (!transA && transB) C.noalias() += alpha * A * B.transpose();
    else C.noalias() += alpha * A.transpose() * B.transpose();
}

}  // namespace

extern "C" void ek_sgemm_eigen(int transA, int transB, int64_t m, int64_t n, int64_t k,
                               float alpha, const float *a, int64_t lda, const float *b,
                               int64_t ldb, float beta, float *c, int64_t ldc) {
    gemm<float>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

extern "C" void ek_sgemm_packed(int transA, int transB, int64_t m, int64_t n, int64_t k,
                                float alpha, const float *a, int64_t lda, const float *b,
                                int64_t ldb, float beta, float *c, int64_t ldc) {
    if (!monge::packedGemm(transA != 0, transB != 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc))
        gemm<float>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

extern "C" void ek_sgemm_packed_avx2(int transA, int transB, int64_t m, int64_t n, int64_t k,
                                     float alpha, const float *a, int64_t lda, const float *b,
                                     int64_t ldb, float beta, float *c, int64_t ldc) {
    if (!monge::packedGemm(transA != 0, transB != 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                           monge::PackedGemmKernel::avx2))
        gemm<float>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

extern "C" void ek_sgemm_packed_avx512(int transA, int transB, int64_t m, int64_t n, int64_t k,
                                       float alpha, const float *a, int64_t lda, const float *b,
                                       int64_t ldb, float beta, float *c, int64_t ldc) {
    if (!monge::packedGemm(transA != 0, transB != 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                           monge::PackedGemmKernel::avx512))
        gemm<float>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

extern "C" void ek_sgemm(int transA, int transB, int64_t m, int64_t n, int64_t k, float alpha,
                         const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                         float *c, int64_t ldc) {
    // Every shape, matrix–vector ones included (Eigen's GEMV is faster when m or n is 1, see
    // BENCHMARKS.md): one kernel keeps each row of C independent of the batch it is computed in.
    ek_sgemm_packed(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

extern "C" void ek_dgemm(int transA, int transB, int64_t m, int64_t n, int64_t k, double alpha,
                         const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                         double *c, int64_t ldc) {
    gemm<double>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

extern "C" const char *ek_simd_instruction_sets(void) {
    // Eigen names AVX2/FMA builds "AVX SSE, …"; the packed SGEMM kernel needs both, so say so.
    // The float GEMM and dense kernels may run on AVX-512 (chosen at run time): say which.
#if defined(__AVX2__) && defined(__FMA__)
    static const std::string sets = std::string(Eigen::SimdInstructionSetsInUse()) + "; AVX2 FMA"
                                    + (monge::avx512Selected() ? "; kernels AVX-512" : "");
    return sets.c_str();
#else
    return Eigen::SimdInstructionSetsInUse();
#endif
}
