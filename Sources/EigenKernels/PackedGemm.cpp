// A packed GEMM in the Goto/BLIS scheme for AVX2 + FMA (x86-64-v3):
//
//   for each K block (kc):         pack op(B)[kc × n] into NR-wide column panels
//     for each M block (mc):       pack op(A)[mc × kc] into MR-high row panels
//       for each NR panel of B:    (kc × NR of B stays in L1 while…)
//         for each MR panel of A:  …the MR×NR micro-kernel runs kc rank-1 updates in registers.
//
// The micro-kernel keeps an MR×NR = 6×16 (float) or 6×8 (double) tile of C in 12 ymm
// accumulators: per k it loads two vectors of B, broadcasts six scalars of A and issues twelve
// FMAs, enough independent chains to cover the FMA latency on both pipes. Packing absorbs
// transposes, strides and ragged edges (zero padding), so one kernel serves every layout.
// Goto & van de Geijn, "Anatomy of high-performance matrix multiplication", ACM TOMS 34(3), 2008.
#include "PackedGemm.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <immintrin.h>

namespace {

template <typename T>
struct Simd;

template <>
struct Simd<float> {
    using V = __m256;
    static constexpr int width = 8;
    static V zero() { return _mm256_setzero_ps(); }
    static V load(const float *p) { return _mm256_load_ps(p); }
    static V loadu(const float *p) { return _mm256_loadu_ps(p); }
    static void storeu(float *p, V v) { _mm256_storeu_ps(p, v); }
    static V broadcast(const float *p) { return _mm256_broadcast_ss(p); }
    static V set1(float x) { return _mm256_set1_ps(x); }
    static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
};

template <>
struct Simd<double> {
    using V = __m256d;
    static constexpr int width = 4;
    static V zero() { return _mm256_setzero_pd(); }
    static V load(const double *p) { return _mm256_load_pd(p); }
    static V loadu(const double *p) { return _mm256_loadu_pd(p); }
    static void storeu(double *p, V v) { _mm256_storeu_pd(p, v); }
    static V broadcast(const double *p) { return _mm256_broadcast_sd(p); }
    static V set1(double x) { return _mm256_set1_pd(x); }
    static V fmadd(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
    static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
};

/// Register tile and cache blocking. kc·NR of B fits L1 (16 KiB), mc·kc of A fits half of L2.
template <typename T>
struct Blocking {
    static constexpr int mr = 6;
    static constexpr int nr = 2 * Simd<T>::width;
    static constexpr int64_t kc = 256;
    static constexpr int64_t mc = 144;
    static constexpr int64_t nc = 4096;
};

/// C[0..MR)[0..NR) ← α·(A panel · packed B panel) + β·C; β = 0 never reads C.
/// The A panel is either packed (MR consecutive values per k) or, when `direct`, MR rows of a
/// row-major op(A) read in place (row r at pa + r·lda): that saves packing A when it is not
/// transposed, since each row is already a contiguous run over k.
template <typename T, bool direct>
inline void microKernel(int64_t kc, const T *__restrict pa, int64_t lda, const T *__restrict pb,
                        T *c, int64_t ldc, T alpha, T beta) {
    using S = Simd<T>;
    using V = typename S::V;
    constexpr int MR = Blocking<T>::mr, W = S::width;
    const int64_t rowStep = direct ? lda : 1;
    constexpr int64_t kStep = direct ? 1 : MR;
    // The C tile is needed only after kc steps: fetch its lines now (write-allocate misses
    // would otherwise stall the stores).
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; ++r) {
        _mm_prefetch(reinterpret_cast<const char *>(c + r * ldc), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char *>(c + r * ldc + 2 * W - 1), _MM_HINT_T0);
    }
    V acc[MR][2];
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = S::zero();
    for (int64_t p = 0; p < kc; ++p) {
        const V b0 = S::load(pb), b1 = S::load(pb + W);
#pragma clang loop unroll(full)
        for (int r = 0; r < MR; ++r) {
            const V ar = S::broadcast(pa + r * rowStep);
            acc[r][0] = S::fmadd(ar, b0, acc[r][0]);
            acc[r][1] = S::fmadd(ar, b1, acc[r][1]);
        }
        pa += kStep;
        pb += 2 * W;
    }
    const V va = S::set1(alpha);
    if (beta == T(0)) {
#pragma clang loop unroll(full)
        for (int r = 0; r < MR; ++r) {
            S::storeu(c + r * ldc, S::mul(va, acc[r][0]));
            S::storeu(c + r * ldc + W, S::mul(va, acc[r][1]));
        }
    } else if (beta == T(1)) {
#pragma clang loop unroll(full)
        for (int r = 0; r < MR; ++r) {
            S::storeu(c + r * ldc, S::fmadd(va, acc[r][0], S::loadu(c + r * ldc)));
            S::storeu(c + r * ldc + W, S::fmadd(va, acc[r][1], S::loadu(c + r * ldc + W)));
        }
    } else {
        const V vb = S::set1(beta);
#pragma clang loop unroll(full)
        for (int r = 0; r < MR; ++r) {
            S::storeu(c + r * ldc, S::fmadd(va, acc[r][0], S::mul(vb, S::loadu(c + r * ldc))));
            S::storeu(c + r * ldc + W,
                      S::fmadd(va, acc[r][1], S::mul(vb, S::loadu(c + r * ldc + W))));
        }
    }
}

/// Copies the first mr×nr of a computed MR×NR tile into C: C ← tile + β·C (β = 0 never reads C).
template <typename T>
void storeTile(const T *tile, T *c, int64_t ldc, int64_t mr, int64_t nr, T beta) {
    constexpr int NR = Blocking<T>::nr;
    for (int64_t i = 0; i < mr; ++i) {
        T *row = c + i * ldc;
        if (beta == T(0)) {
            for (int64_t j = 0; j < nr; ++j) row[j] = tile[i * NR + j];
        } else {
            for (int64_t j = 0; j < nr; ++j) row[j] = tile[i * NR + j] + beta * row[j];
        }
    }
}

/// The micro-kernel for a ragged mr×nr corner (packed A): computes the full tile aside.
template <typename T>
void edgeKernel(int64_t kc, const T *pa, const T *pb, T *c, int64_t ldc, int64_t mr, int64_t nr,
                T alpha, T beta) {
    constexpr int MR = Blocking<T>::mr, NR = Blocking<T>::nr;
    alignas(64) T tile[MR * NR];
    microKernel<T, false>(kc, pa, MR, pb, tile, NR, alpha, T(0));
    storeTile(tile, c, ldc, mr, nr, beta);
}

/// The micro-kernel for MR full rows read in place but only nr < NR columns.
template <typename T>
void edgeKernelDirect(int64_t kc, const T *a, int64_t lda, const T *pb, T *c, int64_t ldc,
                      int64_t nr, T alpha, T beta) {
    constexpr int MR = Blocking<T>::mr, NR = Blocking<T>::nr;
    alignas(64) T tile[MR * NR];
    microKernel<T, true>(kc, a, lda, pb, tile, NR, alpha, T(0));
    storeTile(tile, c, ldc, MR, nr, beta);
}

/// Copies `count` < width values of a ragged panel row and zero-fills it to `width`.
template <typename T>
inline void copyPadded(T *dst, const T *src, int64_t count, int64_t width) {
    for (int64_t j = 0; j < count; ++j) dst[j] = src[j];
    for (int64_t j = count; j < width; ++j) dst[j] = T(0);
}

/// Packs rows [i0, i0+mc) × columns [p0, p0+kc) of op(A) into MR-high panels, each stored
/// k-major (MR consecutive values per k), rows past mc zero.
template <typename T>
void packA(bool transA, const T *a, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc,
           T *dst, int64_t panelStride) {
    constexpr int MR = Blocking<T>::mr;
    const int64_t mFull = mc / MR * MR;
    if (transA) {
        // op(A)(i, p) = a[p·lda + i]: stored row p holds the MR values of k = p of every panel;
        // sweep it once, in order (the source is the operand that comes from far caches).
        // MR values move as whole vectors (the spill past MR lands in the slot of k = p + 1,
        // rewritten next, or in the panel's slack); vectors may over-read a row while inside lda.
        using S = Simd<T>;
        constexpr int vectors = (MR + S::width - 1) / S::width;
        int64_t mVector = 0;
        while (mVector + MR <= mFull && i0 + mVector + vectors * S::width <= lda) mVector += MR;
        for (int64_t p = 0; p < kc; ++p) {
            const T *src = a + (p0 + p) * lda + i0;
            for (int64_t ir = 0; ir < mVector; ir += MR) {
                T *d = dst + ir / MR * panelStride + p * MR;
#pragma clang loop unroll(full)
                for (int v = 0; v < vectors; ++v) S::storeu(d + v * S::width, S::loadu(src + ir + v * S::width));
            }
            for (int64_t ir = mVector; ir < mFull; ir += MR)
                std::memcpy(dst + ir / MR * panelStride + p * MR, src + ir, MR * sizeof(T));
            if (mFull < mc)
                copyPadded(dst + mFull / MR * panelStride + p * MR, src + mFull, mc - mFull, MR);
        }
        return;
    }
    // op(A)(i, p) = a[i·lda + p]: row r of a panel is a contiguous run over k.
    for (int64_t ir = 0; ir < mc; ir += MR, dst += panelStride) {
        const int64_t mr = std::min<int64_t>(MR, mc - ir);
        for (int64_t r = 0; r < mr; ++r) {
            const T *src = a + (i0 + ir + r) * lda + p0;
            for (int64_t p = 0; p < kc; ++p) dst[p * MR + r] = src[p];
        }
        for (int64_t r = mr; r < MR; ++r)
            for (int64_t p = 0; p < kc; ++p) dst[p * MR + r] = T(0);
    }
}

/// Packs rows [p0, p0+kc) × columns [j0, j0+nc) of op(B) into NR-wide panels, each stored
/// k-major (NR consecutive values per k), columns past nc zero.
template <typename T>
void packB(bool transB, const T *b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
           T *dst, int64_t panelStride) {
    constexpr int NR = Blocking<T>::nr;
    const int64_t nFull = nc / NR * NR;
    if (!transB) {
        // op(B)(p, j) = b[p·ldb + j]: stored row p holds the NR values of k = p of every panel.
        for (int64_t p = 0; p < kc; ++p) {
            const T *src = b + (p0 + p) * ldb + j0;
            for (int64_t jr = 0; jr < nFull; jr += NR)
                std::memcpy(dst + jr / NR * panelStride + p * NR, src + jr, NR * sizeof(T));
            if (nFull < nc)
                copyPadded(dst + nFull / NR * panelStride + p * NR, src + nFull, nc - nFull, NR);
        }
        return;
    }
    // op(B)(p, j) = b[j·ldb + p]: column j of a panel is a contiguous run over k.
    for (int64_t jr = 0; jr < nc; jr += NR, dst += panelStride) {
        const int64_t nr = std::min<int64_t>(NR, nc - jr);
        for (int64_t j = 0; j < nr; ++j) {
            const T *src = b + (j0 + jr + j) * ldb + p0;
            for (int64_t p = 0; p < kc; ++p) dst[p * NR + j] = src[p];
        }
        for (int64_t j = nr; j < NR; ++j)
            for (int64_t p = 0; p < kc; ++p) dst[p * NR + j] = T(0);
    }
}

/// Elements between the starts of two packed panels of `elements`: whole cache lines, an odd
/// number of them, so that the panels written side by side while packing (and read in turn by
/// the micro-kernel) fall in different L1 sets instead of evicting each other.
template <typename T>
int64_t panelStride(int64_t elements) {
    constexpr int64_t perLine = 64 / sizeof(T);
    const int64_t lines = ((elements + perLine - 1) / perLine) | 1;
    return lines * perLine;
}

/// A per-thread, 64-byte aligned scratch area that only grows (packing buffers are reused
/// across calls: allocating and faulting in fresh pages each call would cost as much as a
/// small product).
template <typename T>
T *scratch(size_t count) {
    struct Buffer {
        T *data = nullptr;
        size_t capacity = 0;
        ~Buffer() { std::free(data); }
    };
    thread_local Buffer buffer;
    if (buffer.capacity < count) {
        const size_t bytes = (count * sizeof(T) + 63) / 64 * 64;
        T *fresh = static_cast<T *>(std::aligned_alloc(64, bytes));
        if (fresh == nullptr) return nullptr;
        std::free(buffer.data);
        buffer.data = fresh;
        buffer.capacity = count;
    }
    return buffer.data;
}

template <typename T>
bool gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, T alpha, const T *a,
          int64_t lda, const T *b, int64_t ldb, T beta, T *c, int64_t ldc) {
    using B = Blocking<T>;
    constexpr int64_t MR = B::mr, NR = B::nr;
    if (m <= 0 || n <= 0) return true;
    if (k <= 0 || alpha == T(0)) {
        for (int64_t i = 0; i < m; ++i) {
            T *row = c + i * ldc;
            if (beta == T(0)) std::fill(row, row + n, T(0));
            else if (beta != T(1)) for (int64_t j = 0; j < n; ++j) row[j] *= beta;
        }
        return true;
    }
    // Even K and M blocks (no thin last block); M blocks are a multiple of MR.
    const int64_t kBlocks = (k + B::kc - 1) / B::kc;
    const int64_t kc = (k + kBlocks - 1) / kBlocks;
    const int64_t mBlocks = (m + B::mc - 1) / B::mc;
    const int64_t mcMax = ((m + mBlocks - 1) / mBlocks + MR - 1) / MR * MR;
    const int64_t ncMax = std::min<int64_t>(B::nc, (n + NR - 1) / NR * NR);
    // A panels get a vector of slack for packA's whole-vector copies.
    const int64_t strideA = panelStride<T>(MR * kc + Simd<T>::width);
    const int64_t strideB = panelStride<T>(NR * kc);
    T *packedB = scratch<T>(static_cast<size_t>(ncMax / NR * strideB + mcMax / MR * strideA));
    if (packedB == nullptr) return false;
    T *packedA = packedB + ncMax / NR * strideB;
    // Untransposed A is read in place by the micro-kernel; only a ragged last panel is packed.
    const bool direct = !transA;

    for (int64_t j0 = 0; j0 < n; j0 += B::nc) {
        const int64_t nc = std::min<int64_t>(B::nc, n - j0);
        for (int64_t p0 = 0; p0 < k; p0 += kc) {
            const int64_t kcur = std::min<int64_t>(kc, k - p0);
            const T betaBlock = p0 == 0 ? beta : T(1);  // later K blocks accumulate
            packB(transB, b, ldb, p0, kcur, j0, nc, packedB, strideB);
            for (int64_t i0 = 0; i0 < m; i0 += mcMax) {
                const int64_t mc = std::min<int64_t>(mcMax, m - i0);
                const int64_t mFull = mc / MR * MR;
                if (!direct) {
                    packA(transA, a, lda, i0, mc, p0, kcur, packedA, strideA);
                } else if (mFull < mc) {
                    packA(transA, a, lda, i0 + mFull, mc - mFull, p0, kcur,
                          packedA + mFull / MR * strideA, strideA);
                }
                for (int64_t jr = 0; jr < nc; jr += NR) {
                    const int64_t nr = std::min<int64_t>(NR, nc - jr);
                    const T *pb = packedB + jr / NR * strideB;
                    for (int64_t ir = 0; ir < mc; ir += MR) {
                        const int64_t mr = std::min<int64_t>(MR, mc - ir);
                        const T *pa = packedA + ir / MR * strideA;
                        T *cTile = c + (i0 + ir) * ldc + j0 + jr;
                        if (mr == MR && nr == NR) {
                            if (direct)
                                microKernel<T, true>(kcur, a + (i0 + ir) * lda + p0, lda, pb, cTile,
                                                     ldc, alpha, betaBlock);
                            else
                                microKernel<T, false>(kcur, pa, MR, pb, cTile, ldc, alpha, betaBlock);
                        } else if (direct && mr == MR) {
                            // Full rows but ragged columns: the edge kernel wants packed A.
                            edgeKernelDirect<T>(kcur, a + (i0 + ir) * lda + p0, lda, pb, cTile, ldc,
                                                nr, alpha, betaBlock);
                        } else {
                            edgeKernel<T>(kcur, pa, pb, cTile, ldc, mr, nr, alpha, betaBlock);
                        }
                    }
                }
            }
        }
    }
    return true;
}

}  // namespace

namespace monge {

bool packedGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
                const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                int64_t ldc) {
    return gemm<float>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

bool packedGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, double alpha,
                const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                double *c, int64_t ldc) {
    return gemm<double>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace monge
