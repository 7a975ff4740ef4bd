// A packed SGEMM in the Goto/BLIS scheme for AVX2 + FMA (x86-64-v3):
//
//   for each K block (kc):         pack op(B)[kc × n] into NR-wide column panels
//     for each M block (mc):       pack op(A)[mc × kc] into MR-high row panels
//       for each NR panel of B:    (kc × NR of B stays in L1 while…)
//         for each MR panel of A:  …the micro-kernel runs kc rank-1 updates in registers.
//
// The micro-kernel keeps an MR×NR = 6×16 tile of C in 12 ymm accumulators: per k it loads two
// vectors of B, broadcasts six scalars of A and issues twelve FMAs, enough independent chains to
// cover the FMA latency on both pipes. Ragged edges use the same kernel instantiated for fewer
// rows or one vector. Operands already laid out as the kernel reads them are not packed: an
// untransposed A is read in place (its rows are contiguous over k), and so is an untransposed B
// when all of C's rows fit one tile row (no reuse for packing to buy).
// Goto & van de Geijn, "Anatomy of high-performance matrix multiplication", ACM TOMS 34(3), 2008.
//
// On CPUs with AVX-512 (KernelDispatch.hpp) a second micro-kernel covers 12 rows × 16 columns
// with 12 zmm accumulators: two MR panels of A against one NR panel of B, per k one load of B,
// twelve broadcasts of A and twelve 16-wide FMAs; ragged columns use masked loads and stores.
// The packed layouts and the blocking (kc above all) are the AVX2 path's, so it gives the same bits.
//
// Determinism: every element of C is computed by the same operation sequence — one FMA per k in
// increasing k, K blocks at multiples of kc (a function of k alone), then α·sum, then + β·C
// without contraction — whatever its tile, tile shape, or the layouts and addresses of the
// operands. So a row of C does not depend on how many other rows are computed with it.
#include "PackedGemm.hpp"
#include "KernelDispatch.hpp"
#include "Scratch.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <immintrin.h>
#include <utility>

namespace {

template <typename T>
struct Simd;

template <>
struct Simd<float> {
    using V = __m256;
    static constexpr int width = 8;
    static V zero() { return _mm256_setzero_ps(); }
    static V loadu(const float *p) { return _mm256_loadu_ps(p); }
    static void storeu(float *p, V v) { _mm256_storeu_ps(p, v); }
    static V broadcast(const float *p) { return _mm256_broadcast_ss(p); }
    static V set1(float x) { return _mm256_set1_ps(x); }
    static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
    static V add(V a, V b) { return _mm256_add_ps(a, b); }
};

/// Register tile and cache blocking (Zen 3: 32 KiB L1d, 512 KiB L2 per core): a kc×NR panel of
/// B (16 KiB) stays in L1, an mc×kc block of A (≤ 144 KiB) in L2.
template <typename T>
struct Blocking {
    static constexpr int mr = 6;
    static constexpr int nr = 2 * Simd<T>::width;
    static constexpr int64_t kc = 256;
    static constexpr int64_t mc = 144;
    static constexpr int64_t nc = 4096;
};

/// C[0..rows)[0..vectors·W) ← α·(A panel · B panel) + β·C; β = 0 never reads C.
///
/// A: with `directA`, row r of op(A) at pa + r·lda, contiguous over k; otherwise a packed
/// panel, MR values per k. B: `vectors` vectors at pb, the next k at pb + ldb (ldb = NR when
/// packed). The epilogue is not contracted into FMAs, so that it rounds like `storeTile`.
template <typename T, int rows, int vectors, bool directA>
inline void microKernel(int64_t kc, const T *__restrict pa, int64_t lda, const T *__restrict pb,
                        int64_t ldb, T *c, int64_t ldc, T alpha, T beta) {
    using S = Simd<T>;
    using V = typename S::V;
    constexpr int MR = Blocking<T>::mr, W = S::width;
    const int64_t rowStep = directA ? lda : 1;
    constexpr int64_t kStep = directA ? 1 : MR;
    // The C tile is needed only after kc steps: fetch its lines now (write-allocate misses
    // would otherwise stall the stores).
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; ++r) {
        _mm_prefetch(reinterpret_cast<const char *>(c + r * ldc), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char *>(c + r * ldc + vectors * W - 1), _MM_HINT_T0);
    }
    V acc[rows][vectors];
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; ++r)
#pragma clang loop unroll(full)
        for (int v = 0; v < vectors; ++v) acc[r][v] = S::zero();
    for (int64_t p = 0; p < kc; ++p) {
        V bv[vectors];
#pragma clang loop unroll(full)
        for (int v = 0; v < vectors; ++v) bv[v] = S::loadu(pb + v * W);
#pragma clang loop unroll(full)
        for (int r = 0; r < rows; ++r) {
            const V ar = S::broadcast(pa + r * rowStep);
#pragma clang loop unroll(full)
            for (int v = 0; v < vectors; ++v) acc[r][v] = S::fmadd(ar, bv[v], acc[r][v]);
        }
        pa += kStep;
        pb += ldb;
    }
    const V va = S::set1(alpha), vb = S::set1(beta);
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; ++r) {
#pragma clang loop unroll(full)
        for (int v = 0; v < vectors; ++v) {
            T *cv = c + r * ldc + v * W;
            const V scaled = S::mul(va, acc[r][v]);
            if (beta == T(0)) S::storeu(cv, scaled);
            else if (beta == T(1)) S::storeu(cv, S::add(scaled, S::loadu(cv)));
            else S::storeu(cv, S::add(scaled, S::mul(vb, S::loadu(cv))));
        }
    }
}

/// Copies the first mr×nr of a computed tile (leading dimension NR) into C: C ← t + β·C,
/// rounding like the micro-kernel's epilogue (no contraction; β = 0 never reads C).
template <typename T>
void storeTile(const T *tile, T *c, int64_t ldc, int64_t mr, int64_t nr, T beta) {
#pragma clang fp contract(off)
    constexpr int NR = Blocking<T>::nr;
    for (int64_t i = 0; i < mr; ++i) {
        T *row = c + i * ldc;
        if (beta == T(0)) {
            for (int64_t j = 0; j < nr; ++j) row[j] = tile[i * NR + j];
        } else if (beta == T(1)) {
            for (int64_t j = 0; j < nr; ++j) row[j] = tile[i * NR + j] + row[j];
        } else {
            for (int64_t j = 0; j < nr; ++j) {
                const T scaledC = beta * row[j];
                row[j] = tile[i * NR + j] + scaledC;
            }
        }
    }
}

/// One mr×nr tile of C (mr ≤ MR, nr ≤ NR) with the kernel instantiated for mr rows and as few
/// vectors as cover nr; columns short of a whole vector go through a scratch tile.
template <typename T, int rows, bool directA>
inline void tileRows(int64_t nr, int64_t kc, const T *pa, int64_t lda, const T *pb, int64_t ldb,
                     T *c, int64_t ldc, T alpha, T beta) {
    constexpr int W = Simd<T>::width, NR = Blocking<T>::nr;
    if (nr == NR) {
        microKernel<T, rows, 2, directA>(kc, pa, lda, pb, ldb, c, ldc, alpha, beta);
    } else if (nr == W) {
        microKernel<T, rows, 1, directA>(kc, pa, lda, pb, ldb, c, ldc, alpha, beta);
    } else {
        alignas(64) T tile[Blocking<T>::mr * NR];
        if (nr > W)
            microKernel<T, rows, 2, directA>(kc, pa, lda, pb, ldb, tile, NR, alpha, T(0));
        else
            microKernel<T, rows, 1, directA>(kc, pa, lda, pb, ldb, tile, NR, alpha, T(0));
        storeTile(tile, c, ldc, rows, nr, beta);
    }
}

template <typename T, bool directA>
inline void tile(int64_t mr, int64_t nr, int64_t kc, const T *pa, int64_t lda, const T *pb,
                 int64_t ldb, T *c, int64_t ldc, T alpha, T beta) {
    static_assert(Blocking<T>::mr == 6, "one case per row count");
    switch (mr) {
    case 6: tileRows<T, 6, directA>(nr, kc, pa, lda, pb, ldb, c, ldc, alpha, beta); break;
    case 5: tileRows<T, 5, directA>(nr, kc, pa, lda, pb, ldb, c, ldc, alpha, beta); break;
    case 4: tileRows<T, 4, directA>(nr, kc, pa, lda, pb, ldb, c, ldc, alpha, beta); break;
    case 3: tileRows<T, 3, directA>(nr, kc, pa, lda, pb, ldb, c, ldc, alpha, beta); break;
    case 2: tileRows<T, 2, directA>(nr, kc, pa, lda, pb, ldb, c, ldc, alpha, beta); break;
    default: tileRows<T, 1, directA>(nr, kc, pa, lda, pb, ldb, c, ldc, alpha, beta); break;
    }
}

/// The AVX-512 micro-kernel: C[0..rows)[0..16) ← α·(A · B panel) + β·C over the lanes in `columns`
/// (β = 0 never reads C), for rows ≤ 2·MR. Row r of A is at pa0 + r·rowStep for r < MR and at
/// pa1 + (r − MR)·rowStep after (two packed MR panels, or pa1 = pa0 + MR·lda when read in place),
/// advancing by kStep per k. Per element the same operations as `microKernel` + `storeTile`: one
/// FMA per k in order (broadcast A × B + acc), then α·sum, then + β·C, none contracted.
/// With `indirectB` (A packed), row p of the B panel is at pb + offsets[p] instead of pb + p·ldb.
template <int rows, bool directA, bool indirectB = false>
MONGE_AVX512_TARGET inline void microKernel512(int64_t kc, const float *__restrict pa0, const float *__restrict pa1,
                                               int64_t lda, const float *__restrict pb, int64_t ldb, float *c,
                                               int64_t ldc, float alpha, float beta, __mmask16 columns,
                                               const int64_t *offsets = nullptr) {
    static_assert(!(directA && indirectB), "an indirect B goes with a packed A");
    constexpr int MR = Blocking<float>::mr;
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; ++r) {
        _mm_prefetch(reinterpret_cast<const char *>(c + r * ldc), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char *>(c + r * ldc + 15), _MM_HINT_T0);
    }
    __m512 acc[rows];
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; ++r) acc[r] = _mm512_setzero_ps();
    if constexpr (directA) {
        // Rows 3g, 3g + 1, 3g + 2 at base[g] + {0, 1, 2}·lda: four pointers and one stride
        // address all twelve (base + index·scale), instead of twelve pointers that do not fit
        // in registers (pa1 = pa0 + MR·lda is implied).
        constexpr int groups = (rows + 2) / 3;
        const float *base[groups];
#pragma clang loop unroll(full)
        for (int g = 0; g < groups; ++g) base[g] = pa0 + 3 * g * lda;
        int64_t stride = lda;
        for (int64_t p = 0; p < kc; ++p) {
            // Keeps the stride opaque to the loop optimiser (it would give every row its own
            // induction pointer and spill them).
            __asm__("" : "+r"(stride));
            const __m512 bv = _mm512_loadu_ps(pb);
#pragma clang loop unroll(full)
            for (int r = 0; r < rows; ++r)
                acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(base[r / 3][(r % 3) * stride + p]), bv, acc[r]);
            pb += ldb;
        }
    } else {
        for (int64_t p = 0; p < kc; ++p) {
            const __m512 bv = _mm512_loadu_ps(indirectB ? pb + offsets[p] : pb);
#pragma clang loop unroll(full)
            for (int r = 0; r < rows; ++r) {
                const float *row = (r < MR ? pa0 : pa1) + (r % MR);
                acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(row[p * MR]), bv, acc[r]);
            }
            if (!indirectB) pb += ldb;
        }
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; ++r) {
        float *cr = c + r * ldc;
        const __m512 scaled = _mm512_mul_ps(va, acc[r]);
        if (beta == 0.f) _mm512_mask_storeu_ps(cr, columns, scaled);
        else if (beta == 1.f) _mm512_mask_storeu_ps(cr, columns, _mm512_add_ps(scaled, _mm512_maskz_loadu_ps(columns, cr)));
        else _mm512_mask_storeu_ps(cr, columns, _mm512_add_ps(scaled, _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(columns, cr))));
    }
}

/// One tile of 1…2·MR rows × nr ≤ NR columns with the AVX-512 kernel instantiated for its rows.
template <bool directA, bool indirectB = false>
MONGE_AVX512_TARGET inline void tile512(int64_t mr, int64_t nr, int64_t kc, const float *pa0, const float *pa1,
                                        int64_t lda, const float *pb, int64_t ldb, float *c, int64_t ldc, float alpha,
                                        float beta, const int64_t *offsets = nullptr) {
    static_assert(Blocking<float>::nr == 16, "one zmm per panel row");
    const __mmask16 columns = static_cast<__mmask16>((1u << nr) - 1u);
    switch (mr) {
#define MONGE_TILE512_CASE(R) \
    case R: microKernel512<R, directA, indirectB>(kc, pa0, pa1, lda, pb, ldb, c, ldc, alpha, beta, columns, offsets); break;
    MONGE_TILE512_CASE(12) MONGE_TILE512_CASE(11) MONGE_TILE512_CASE(10) MONGE_TILE512_CASE(9)
    MONGE_TILE512_CASE(8) MONGE_TILE512_CASE(7) MONGE_TILE512_CASE(6) MONGE_TILE512_CASE(5)
    MONGE_TILE512_CASE(4) MONGE_TILE512_CASE(3) MONGE_TILE512_CASE(2)
#undef MONGE_TILE512_CASE
    default: microKernel512<1, directA, indirectB>(kc, pa0, pa1, lda, pb, ldb, c, ldc, alpha, beta, columns, offsets); break;
    }
}

/// Copies `count` < width values of a ragged panel row and zero-fills it to `width`.
template <typename T>
inline void copyPadded(T *dst, const T *src, int64_t count, int64_t width) {
    for (int64_t j = 0; j < count; ++j) dst[j] = src[j];
    for (int64_t j = count; j < width; ++j) dst[j] = T(0);
}

/// Packs rows [i0, i0+mc) × columns [p0, p0+kc) of op(A) = Aᵀ (A stored k×m) into MR-high
/// panels `panelStride` apart, each k-major (MR consecutive values per k), rows past mc zero.
/// (An untransposed A is never packed: the micro-kernel reads its rows in place.)
template <typename T>
void packTransposedA(const T *a, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc,
                     T *dst, int64_t panelStride) {
    using S = Simd<T>;
    constexpr int MR = Blocking<T>::mr;
    constexpr int vectors = (MR + S::width - 1) / S::width;
    const int64_t mFull = mc / MR * MR;
    // Whole-vector copies: the spill past MR lands in the slot of k = p + 1 (rewritten next)
    // or in the panel's slack; the over-read stays inside the stored row (i < lda).
    int64_t mVector = 0;
    while (mVector + MR <= mFull && i0 + mVector + vectors * S::width <= lda) mVector += MR;
    // Stored row p holds the MR values of k = p of every panel: sweep it once, in order (the
    // source is the operand that comes from far caches).
    for (int64_t p = 0; p < kc; ++p) {
        const T *src = a + (p0 + p) * lda + i0;
        for (int64_t ir = 0; ir < mVector; ir += MR) {
            T *d = dst + ir / MR * panelStride + p * MR;
#pragma clang loop unroll(full)
            for (int v = 0; v < vectors; ++v) S::storeu(d + v * S::width, S::loadu(src + ir + v * S::width));
        }
        for (int64_t ir = mVector; ir < mFull; ir += MR)
            std::memcpy(dst + ir / MR * panelStride + p * MR, src + ir, MR * sizeof(T));
        if (mFull < mc) copyPadded(dst + mFull / MR * panelStride + p * MR, src + mFull, mc - mFull, MR);
    }
}

/// Packs rows [p0, p0+kc) × columns [j0, j0+nc) of op(B) into NR-wide panels `panelStride`
/// apart, each k-major (NR consecutive values per k), columns past nc zero.
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

/// One mc × nc block of C over one K block: the operands as the micro-kernels read them.
template <typename T>
struct Block {
    int64_t mc, nc, nFull, kc;
    bool directA, directB;
    const T *a;           // directA: op(A)'s row i0 at column p0; else the packed MR panels
    int64_t aStride;      // directA: lda; else the elements between packed A panels
    const T *b;           // directB: op(B)'s row p0 at column j0 (panels below nFull read in place)
    int64_t ldb;
    const T *packedB;     // the packed NR panels (directB: only the ragged last one)
    int64_t bStride;      // elements between packed B panels
    T *c;                 // C's row i0 at column j0
    int64_t ldc;
    T alpha, beta;
    const int64_t *offsets = nullptr;  // an indirect B (`packedGemmIndirectB`): row p0's offset
    int64_t segmentColumns = 0, segmentStride = 0;

    /// The start of NR panel `jr` (a column index) of B, and the distance between its k rows.
    const T *panelB(int64_t jr) const {
        if (directB && jr < nFull) return b + jr;
        return packedB + (directB ? 0 : jr / Blocking<T>::nr * bStride);
    }
    int64_t panelStepB(int64_t jr) const { return directB && jr < nFull ? ldb : Blocking<T>::nr; }
};

/// The block on the AVX2 kernel: for each NR panel of B (in L1), every MR-row tile of A.
template <typename T>
void block256(const Block<T> &x) {
    constexpr int64_t MR = Blocking<T>::mr, NR = Blocking<T>::nr;
    for (int64_t jr = 0; jr < x.nc; jr += NR) {
        const int64_t nr = std::min<int64_t>(NR, x.nc - jr);
        const T *pb = x.panelB(jr);
        const int64_t stepB = x.panelStepB(jr);
        for (int64_t ir = 0; ir < x.mc; ir += MR) {
            const int64_t mr = std::min<int64_t>(MR, x.mc - ir);
            T *cTile = x.c + ir * x.ldc + jr;
            if (x.directA)
                tile<T, true>(mr, nr, x.kc, x.a + ir * x.aStride, x.aStride, pb, stepB, cTile, x.ldc, x.alpha, x.beta);
            else
                tile<T, false>(mr, nr, x.kc, x.a + ir / MR * x.aStride, 0, pb, stepB, cTile, x.ldc, x.alpha, x.beta);
        }
    }
}

/// The block on the AVX-512 kernel: for each NR panel of B, every 2·MR-row tile of A (two MR
/// panels when A is packed; the last tile may be shorter).
MONGE_AVX512_TARGET void block512(const Block<float> &x) {
    constexpr int64_t MR = Blocking<float>::mr, NR = Blocking<float>::nr;
    if (x.offsets != nullptr) {
        // An indirect B: column j of row p at b + offsets[p] + (j / segment)·segmentStride + j mod segment.
        for (int64_t jr = 0; jr < x.nc; jr += NR) {
            const float *pb = x.b + jr / x.segmentColumns * x.segmentStride + jr % x.segmentColumns;
            for (int64_t ir = 0; ir < x.mc; ir += 2 * MR) {
                const float *pa = x.a + ir / MR * x.aStride;
                tile512<false, true>(std::min<int64_t>(2 * MR, x.mc - ir), NR, x.kc, pa, pa + x.aStride, 0, pb, 0,
                                     x.c + ir * x.ldc + jr, x.ldc, x.alpha, x.beta, x.offsets);
            }
        }
        return;
    }
    for (int64_t jr = 0; jr < x.nc; jr += NR) {
        const int64_t nr = std::min<int64_t>(NR, x.nc - jr);
        const float *pb = x.panelB(jr);
        const int64_t stepB = x.panelStepB(jr);
        for (int64_t ir = 0; ir < x.mc; ir += 2 * MR) {
            const int64_t mr = std::min<int64_t>(2 * MR, x.mc - ir);
            float *cTile = x.c + ir * x.ldc + jr;
            if (x.directA) {
                const float *pa = x.a + ir * x.aStride;
                tile512<true>(mr, nr, x.kc, pa, pa + MR * x.aStride, x.aStride, pb, stepB, cTile, x.ldc, x.alpha, x.beta);
            } else {
                const float *pa = x.a + ir / MR * x.aStride;
                tile512<false>(mr, nr, x.kc, pa, pa + x.aStride, 0, pb, stepB, cTile, x.ldc, x.alpha, x.beta);
            }
        }
    }
}

/// The K block and the largest M block for an m × k operand A: even K and M blocks (no thin last
/// block), M blocks a multiple of MR. Where the K blocks start fixes every element's rounding.
template <typename T>
std::pair<int64_t, int64_t> blockSizes(int64_t m, int64_t k) {
    using B = Blocking<T>;
    const int64_t kBlocks = (k + B::kc - 1) / B::kc;
    const int64_t mBlocks = (m + B::mc - 1) / B::mc;
    return {(k + kBlocks - 1) / kBlocks, ((m + mBlocks - 1) / mBlocks + B::mr - 1) / B::mr * B::mr};
}

/// The whole product; `wide` runs the blocks on the AVX-512 kernel (float only), with the
/// same blocking and packing, hence the same bits.
template <typename T>
bool gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, T alpha, const T *a,
          int64_t lda, const T *b, int64_t ldb, T beta, T *c, int64_t ldc, bool wide) {
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
    const auto [kc, mcMax] = blockSizes<T>(m, k);
    const int64_t ncMax = std::min<int64_t>(B::nc, (n + NR - 1) / NR * NR);
    // Untransposed A is read in place; untransposed B too when C is a few tile rows high and
    // B's rows are close enough for its panels to stay in L1 and the TLB (a convolution's
    // weight gradient dWᵀ = dyᵀ·im2col(x): packing the long im2col matrix would cost as much as
    // the product).
    const bool directA = !transA, directB = !transB && (m <= MR || (m <= 8 * MR && ldb <= 2048));
    // A panels get a vector of slack for packTransposedA's whole-vector copies.
    const int64_t strideA = directA ? 0 : panelStride<T>(MR * kc + Simd<T>::width);
    const int64_t strideB = panelStride<T>(NR * kc);
    const int64_t panelsB = directB ? 1 : ncMax / NR;  // directB packs only a ragged last panel
    T *packedB = monge::alignedScratch<T>(static_cast<size_t>(panelsB * strideB + mcMax / MR * strideA));
    if (packedB == nullptr) return false;
    T *packedA = packedB + panelsB * strideB;

    for (int64_t j0 = 0; j0 < n; j0 += B::nc) {
        const int64_t nc = std::min<int64_t>(B::nc, n - j0);
        const int64_t nFull = nc / NR * NR;
        for (int64_t p0 = 0; p0 < k; p0 += kc) {
            const int64_t kcur = std::min<int64_t>(kc, k - p0);
            const T betaBlock = p0 == 0 ? beta : T(1);  // later K blocks accumulate
            if (!directB) packB(transB, b, ldb, p0, kcur, j0, nc, packedB, strideB);
            else if (nFull < nc) packB(false, b, ldb, p0, kcur, j0 + nFull, nc - nFull, packedB, strideB);
            for (int64_t i0 = 0; i0 < m; i0 += mcMax) {
                const int64_t mc = std::min<int64_t>(mcMax, m - i0);
                if (!directA) packTransposedA(a, lda, i0, mc, p0, kcur, packedA, strideA);
                const Block<T> block{mc, nc, nFull, kcur, directA, directB,
                                     directA ? a + i0 * lda + p0 : packedA, directA ? lda : strideA,
                                     directB ? b + p0 * ldb + j0 : nullptr, ldb, packedB, strideB,
                                     c + i0 * ldc + j0, ldc, alpha, betaBlock};
                if (wide) block512(block);
                else block256(block);
            }
        }
    }
    return true;
}

/// C (m × n) ← Aᵀ·B + β·C on the AVX-512 kernel with A stored k × m and B given indirectly
/// (see `packedGemmIndirectB`): the blocking, packing and per-element operations of `gemm` with
/// transA, !transB, α = 1 and B read in place, hence its bits.
MONGE_AVX512_TARGET bool gemmIndirectB(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                                       const int64_t *offsets, int64_t segmentColumns, int64_t segmentStride,
                                       float beta, float *c, int64_t ldc) {
    using B = Blocking<float>;
    constexpr int64_t MR = B::mr, NR = B::nr;
    if (m <= 0 || n <= 0 || k <= 0 || n % NR != 0 || segmentColumns % NR != 0 || n > B::nc) return false;
    const auto [kc, mcMax] = blockSizes<float>(m, k);  // `gemm`'s, so its K blocks and bits
    const int64_t strideA = panelStride<float>(MR * kc + Simd<float>::width);
    float *packedA = monge::alignedScratch<float>(static_cast<size_t>(mcMax / MR * strideA));
    if (packedA == nullptr) return false;
    for (int64_t p0 = 0; p0 < k; p0 += kc) {
        const int64_t kcur = std::min<int64_t>(kc, k - p0);
        const float betaBlock = p0 == 0 ? beta : 1.f;
        for (int64_t i0 = 0; i0 < m; i0 += mcMax) {
            const int64_t mc = std::min<int64_t>(mcMax, m - i0);
            packTransposedA(a, lda, i0, mc, p0, kcur, packedA, strideA);
            Block<float> block{mc, n, n, kcur, false, true, packedA, strideA, b, 0, nullptr, 0,
                               c + i0 * ldc, ldc, 1.f, betaBlock};
            block.offsets = offsets + p0;
            block.segmentColumns = segmentColumns;
            block.segmentStride = segmentStride;
            block512(block);
        }
    }
    return true;
}

}  // namespace

namespace monge {

bool packedGemmIndirectB(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                         const int64_t *offsets, int64_t segmentColumns, int64_t segmentStride, float beta,
                         float *c, int64_t ldc) {
    return avx512Selected() && gemmIndirectB(m, n, k, a, lda, b, offsets, segmentColumns, segmentStride, beta, c, ldc);
}

bool packedGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
                const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                int64_t ldc, PackedGemmKernel kernel) {
    const bool wide = kernel == PackedGemmKernel::avx512 ? avx512Supported()
                      : kernel == PackedGemmKernel::automatic ? avx512Selected()
                                                             : false;
    return gemm<float>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, wide);
}

}  // namespace monge
