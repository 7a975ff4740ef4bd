// A dense layer's forward pass, C = act(A·W + bias (+ C)), with W packed once into column
// panels and the bias, residual add and activation applied in registers (no extra pass over C).
// See NetworkKernels.h.
//
// Micro-kernel: 6 rows × 2 packets of columns (6 × 16 floats with AVX2), the register blocking
// of BLIS's Haswell SGEMM: 12 accumulators, per k two panel loads and six broadcasts feeding
// twelve FMAs. Every element is one FMA chain over k in order, then + bias, then the epilogue,
// whatever its row or column position: results do not depend on M, the tiling or addresses.
//
// With AVX-512 (KernelDispatch.hpp) the float kernel instead covers 12 rows × 16 columns with
// 12 zmm accumulators (per k one panel load, twelve broadcasts, twelve 16-wide FMAs; a 16-output
// layer, common in the U-Net, fills it too), then splits each accumulator into its two ymm
// halves for the same AVX2 epilogue: the same per-element operations, hence the same bits.
//
// Narrow layers (n ≤ 4 outputs, e.g. the ε output of a 2-D model) would waste most of a
// 16-column panel; they store Wᵀ instead (n rows of k, zero-padded to whole packets) and take
// dot products along k: packet-wise FMAs over the whole packets of k, a fixed reduction tree
// (Eigen's predux), then the last k mod P terms in order. Again the same operations for every
// row, so a row's result does not depend on the others.
#include "NetworkKernels.h"
#include "ImplicitConvolution.hpp"
#include "KernelDispatch.hpp"

#include <Eigen/Core>
#include <cmath>
#include <cstring>
#include <immintrin.h>
#include <type_traits>
#include <vector>

namespace {

using namespace Eigen::internal;

inline __m256 fma(__m256 a, __m256 b, __m256 c) { return _mm256_fmadd_ps(a, b, c); }
inline __m256d fma(__m256d a, __m256d b, __m256d c) { return _mm256_fmadd_pd(a, b, c); }

/// Rows [0, count) of A against one panel on the AVX-512 kernel (below).
void panel512(int64_t count, int64_t k, const float *a, int64_t lda, const float *w, const float *bias,
              bool accumulate, int activation, float slope, float *c, int64_t ldc, int width, float *aux);

template <typename T>
struct Dense {
    using Packet = typename packet_traits<T>::type;
    static constexpr int P = unpacket_traits<Packet>::size;
    static constexpr int Panel = 2 * P;  // columns per panel
    static constexpr int Rows = 6;       // rows per micro-tile

    static int64_t panels(int64_t n) { return (n + Panel - 1) / Panel; }

    static constexpr int64_t NarrowMax = 4;  // outputs at most: dot-product layout
    static bool narrow(int64_t n) { return n <= NarrowMax; }
    static int64_t paddedInputs(int64_t k) { return (k + P - 1) / P * P; }
    static int64_t count(int64_t k, int64_t n) { return narrow(n) ? n * paddedInputs(k) : k * panels(n) * Panel; }

    /// Packs B (k × n) = W, or Wᵀ when `transposed` (W then n × k with row stride ldw).
    static void pack(int64_t k, int64_t n, const T *w, int64_t ldw, T *packed, bool transposed) {
        if (narrow(n)) {
            // Row j = column j of B over k, zero-padded to whole packets.
            const int64_t kp = paddedInputs(k);
            for (int64_t j = 0; j < n; ++j) {
                for (int64_t kk = 0; kk < kp; ++kk) {
                    packed[j * kp + kk] = kk >= k ? T(0) : transposed ? w[j * ldw + kk] : w[kk * ldw + j];
                }
            }
            return;
        }
        for (int64_t p = 0; p < panels(n); ++p) {
            T *out = packed + p * k * Panel;
            const int64_t first = p * Panel, width = n - first < Panel ? n - first : Panel;
            for (int64_t kk = 0; kk < k; ++kk) {
                for (int j = 0; j < Panel; ++j) {
                    out[kk * Panel + j] = j >= width ? T(0) : transposed ? w[(first + j) * ldw + kk] : w[kk * ldw + first + j];
                }
            }
        }
    }

    __attribute__((always_inline)) static inline Packet activate(Packet v, int activation, const Packet &slope) {
        switch (activation) {
        case EK_ACTIVATION_SILU:
            return pmul(v, scalar_logistic_op<T>().packetOp(v));
        case EK_ACTIVATION_RELU:
            return pmax(v, pzero(v));
        case EK_ACTIVATION_LEAKY_RELU:
            return pselect(pcmp_lt(pzero(v), v), v, pmul(slope, v));
        default:
            return v;
        }
    }

    /// One 6 × Panel tile: rows a[r·lda …], panel `w` (k × Panel), output c (row stride ldc),
    /// `width` valid columns (≤ Panel), `bias` padded to the panel.
    static inline void tile(int64_t k, const T *a, int64_t lda, const T *w, const T *bias, bool accumulate,
                            int activation, T slope, T *c, int64_t ldc, int width, T *aux) {
        Packet c0[Rows], c1[Rows];
        for (int r = 0; r < Rows; ++r) { c0[r] = pset1<Packet>(T(0)); c1[r] = pset1<Packet>(T(0)); }
        const T *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda, *a4 = a + 4 * lda, *a5 = a + 5 * lda;
        for (int64_t kk = 0; kk < k; ++kk) {
            const Packet w0 = ploadu<Packet>(w + kk * Panel), w1 = ploadu<Packet>(w + kk * Panel + P);
            Packet b;
            b = pset1<Packet>(a0[kk]); c0[0] = pmadd(b, w0, c0[0]); c1[0] = pmadd(b, w1, c1[0]);
            b = pset1<Packet>(a1[kk]); c0[1] = pmadd(b, w0, c0[1]); c1[1] = pmadd(b, w1, c1[1]);
            b = pset1<Packet>(a2[kk]); c0[2] = pmadd(b, w0, c0[2]); c1[2] = pmadd(b, w1, c1[2]);
            b = pset1<Packet>(a3[kk]); c0[3] = pmadd(b, w0, c0[3]); c1[3] = pmadd(b, w1, c1[3]);
            b = pset1<Packet>(a4[kk]); c0[4] = pmadd(b, w0, c0[4]); c1[4] = pmadd(b, w1, c1[4]);
            b = pset1<Packet>(a5[kk]); c0[5] = pmadd(b, w0, c0[5]); c1[5] = pmadd(b, w1, c1[5]);
        }
        for (int r = 0; r < Rows; ++r)
            finishRow(c0[r], c1[r], bias, accumulate, activation, slope, c + r * ldc, width,
                      aux != nullptr ? aux + r * ldc : nullptr);
    }

    /// The epilogue of one row of a tile, shared by the AVX2 and AVX-512 kernels (so that they
    /// round alike): the two packets of sums over k, then + bias, (+ C), activation, stored to
    /// the `width` valid columns of `out` (σ to `sigma` with SiLU when it is not null).
    __attribute__((always_inline)) static inline void finishRow(Packet c0, Packet c1, const T *bias, bool accumulate, int activation, T slope, T *out,
                                 int width, T *sigma) {
        const Packet bias0 = ploadu<Packet>(bias), bias1 = ploadu<Packet>(bias + P), s = pset1<Packet>(slope);
        const bool keepSigma = sigma != nullptr && activation == EK_ACTIVATION_SILU;
        Packet v0 = padd(c0, bias0), v1 = padd(c1, bias1);
        alignas(64) T buffer[Panel] = {};
        if (accumulate) {
            if (width == Panel) {
                v0 = padd(ploadu<Packet>(out), v0); v1 = padd(ploadu<Packet>(out + P), v1);
            } else {
                std::memcpy(buffer, out, sizeof(T) * width);
                v0 = padd(pload<Packet>(buffer), v0); v1 = padd(pload<Packet>(buffer + P), v1);
            }
        }
        if (keepSigma) {
            const scalar_logistic_op<T> logistic;
            const Packet s0 = logistic.packetOp(v0), s1 = logistic.packetOp(v1);
            v0 = pmul(v0, s0); v1 = pmul(v1, s1);
            if (width == Panel) {
                pstoreu(sigma, s0); pstoreu(sigma + P, s1);
            } else {
                pstore(buffer, s0); pstore(buffer + P, s1);
                std::memcpy(sigma, buffer, sizeof(T) * width);
            }
        } else {
            v0 = activate(v0, activation, s); v1 = activate(v1, activation, s);
        }
        if (width == Panel) {
            pstoreu(out, v0); pstoreu(out + P, v1);
        } else {
            pstore(buffer, v0); pstore(buffer + P, v1);
            std::memcpy(out, buffer, sizeof(T) * width);
        }
    }

    /// `Rows` rows of a narrow layer with `N` outputs: Rows·N independent dot products along k.
    template <int Rows, int N>
    static inline void narrowRows(int64_t k, const T *a, int64_t lda, const T *packed, const T *bias, bool accumulate,
                                  int activation, T slope, T *c, int64_t ldc, T *aux) {
        const int64_t kp = paddedInputs(k), whole = k / P * P;
        Packet acc[Rows][N];
        for (int r = 0; r < Rows; ++r)
            for (int j = 0; j < N; ++j) acc[r][j] = pset1<Packet>(T(0));
        for (int64_t kk = 0; kk < whole; kk += P) {
            Packet x[Rows];
            for (int r = 0; r < Rows; ++r) x[r] = ploadu<Packet>(a + r * lda + kk);
            for (int j = 0; j < N; ++j) {
                const Packet wj = ploadu<Packet>(packed + j * kp + kk);
                for (int r = 0; r < Rows; ++r) acc[r][j] = fma(x[r], wj, acc[r][j]);
            }
        }
        const Packet s = pset1<Packet>(slope);
        for (int r = 0; r < Rows; ++r) {
            alignas(64) T value[P] = {}, sigma[P];
            for (int j = 0; j < N; ++j) {
                T sum = predux(acc[r][j]);
                for (int64_t kk = whole; kk < k; ++kk) sum = std::fma(a[r * lda + kk], packed[j * kp + kk], sum);
                value[j] = sum + (bias ? bias[j] : T(0));
                if (accumulate) value[j] = c[r * ldc + j] + value[j];
            }
            Packet v = pload<Packet>(value);
            if (activation == EK_ACTIVATION_SILU) {
                const Packet sg = scalar_logistic_op<T>().packetOp(v);
                v = pmul(v, sg);
                pstore(sigma, sg);
                if (aux) for (int j = 0; j < N; ++j) aux[r * ldc + j] = sigma[j];
            } else {
                v = activate(v, activation, s);
            }
            pstore(value, v);
            for (int j = 0; j < N; ++j) c[r * ldc + j] = value[j];
        }
    }

    template <int N>
    static void narrowForward(int64_t m, int64_t k, const T *a, int64_t lda, const T *packed, const T *bias, bool accumulate,
                              int activation, T slope, T *c, int64_t ldc, T *aux) {
        constexpr int Group = N <= 2 ? 4 : 2;
        int64_t i = 0;
        for (; i + Group <= m; i += Group) {
            narrowRows<Group, N>(k, a + i * lda, lda, packed, bias, accumulate, activation, slope, c + i * ldc, ldc,
                                 aux ? aux + i * ldc : nullptr);
        }
        for (; i < m; ++i) {
            narrowRows<1, N>(k, a + i * lda, lda, packed, bias, accumulate, activation, slope, c + i * ldc, ldc,
                             aux ? aux + i * ldc : nullptr);
        }
    }

    /// The whole layer; `wide` (float only) runs it on the AVX-512 kernel.
    static void forward(int64_t m, int64_t n, int64_t k, const T *a, int64_t lda, const T *packed, const T *bias,
                        int accumulate, int activation, T slope, T *c, int64_t ldc, T *aux, bool wide = false) {
        if (m <= 0 || n <= 0) return;
        if (narrow(n)) {
            const bool add = accumulate != 0;
            switch (n) {
            case 1: narrowForward<1>(m, k, a, lda, packed, bias, add, activation, slope, c, ldc, aux); break;
            case 2: narrowForward<2>(m, k, a, lda, packed, bias, add, activation, slope, c, ldc, aux); break;
            case 3: narrowForward<3>(m, k, a, lda, packed, bias, add, activation, slope, c, ldc, aux); break;
            default: narrowForward<4>(m, k, a, lda, packed, bias, add, activation, slope, c, ldc, aux); break;
            }
            return;
        }
        const int64_t count = panels(n);
        std::vector<T, Eigen::aligned_allocator<T>> paddedBias(count * Panel, T(0));
        if (bias) std::memcpy(paddedBias.data(), bias, sizeof(T) * n);
        if constexpr (std::is_same_v<T, float>) {
            // AVX-512: tiles of 12 rows and one of any smaller height, all read and written in
            // place, over blocks of rows whose A (about 128 KB) stays in L2 while every panel
            // passes over it.
            if (wide) {
                int64_t block = (int64_t(128 * 1024) / int64_t(sizeof(T) * (k > 0 ? k : 1))) / 12 * 12;
                if (block < 12) block = 12;
                for (int64_t start = 0; start < m; start += block) {
                    const int64_t end = start + block < m ? start + block : m;
                    for (int64_t p = 0; p < count; ++p) {
                        const int width = int(n - p * Panel < Panel ? n - p * Panel : Panel);
                        panel512(end - start, k, a + start * lda, lda, packed + p * k * Panel,
                                 paddedBias.data() + p * Panel, accumulate != 0, activation, slope,
                                 c + start * ldc + p * Panel, ldc, width, aux ? aux + start * ldc + p * Panel : nullptr);
                    }
                }
                return;
            }
        }
        // Rows beyond the last multiple of 6 go through a zero-padded copy (same arithmetic).
        const int64_t full = m / Rows * Rows, rest = m - full;
        std::vector<T> lastA, lastC, lastAux;
        if (rest > 0) {
            lastA.assign(Rows * (k > 0 ? k : 1), T(0));
            for (int64_t r = 0; r < rest; ++r) std::memcpy(lastA.data() + r * k, a + (full + r) * lda, sizeof(T) * k);
            lastC.assign(Rows * n, T(0));
            if (aux) lastAux.assign(Rows * n, T(0));
            if (accumulate) {
                for (int64_t r = 0; r < rest; ++r) std::memcpy(lastC.data() + r * n, c + (full + r) * ldc, sizeof(T) * n);
            }
        }
        // Blocks of rows whose A (about 128 KB) stays in L2 while every panel passes over it.
        int64_t block = (int64_t(128 * 1024) / int64_t(sizeof(T) * (k > 0 ? k : 1))) / Rows * Rows;
        if (block < Rows) block = Rows;
        for (int64_t start = 0; start < full; start += block) {
            const int64_t end = start + block < full ? start + block : full;
            for (int64_t p = 0; p < count; ++p) {
                const T *w = packed + p * k * Panel;
                const int width = int(n - p * Panel < Panel ? n - p * Panel : Panel);
                const T *b = paddedBias.data() + p * Panel;
                for (int64_t i = start; i < end; i += Rows) {
                    tile(k, a + i * lda, lda, w, b, accumulate != 0, activation, slope, c + i * ldc + p * Panel, ldc, width,
                         aux ? aux + i * ldc + p * Panel : nullptr);
                }
            }
        }
        if (rest > 0) {
            for (int64_t p = 0; p < count; ++p) {
                const int width = int(n - p * Panel < Panel ? n - p * Panel : Panel);
                tile(k, lastA.data(), k, packed + p * k * Panel, paddedBias.data() + p * Panel, accumulate != 0, activation,
                     slope, lastC.data() + p * Panel, n, width, aux ? lastAux.data() + p * Panel : nullptr);
            }
            for (int64_t r = 0; r < rest; ++r) {
                std::memcpy(c + (full + r) * ldc, lastC.data() + r * n, sizeof(T) * n);
                // σ only (as for the other rows, aux is not written without SiLU).
                if (aux && activation == EK_ACTIVATION_SILU)
                    std::memcpy(aux + (full + r) * ldc, lastAux.data() + r * n, sizeof(T) * n);
            }
        }
    }
};

/// `rows` (≤ 14) rows × one 16-column panel of the float dense kernel on AVX-512: per
/// element one FMA chain over k in order (broadcast A × W + acc, as the AVX2 tile), then the AVX2
/// epilogue on the two ymm halves of each accumulator.
///
/// Row r of A is read as `segments` runs of k/segments values, run s at a + r·lda + s·segmentStride
/// (one run at a + r·lda is an ordinary matrix). Three runs of 3c values, one padded image row
/// apart, are the rows of a 3×3 convolution's im2col matrix read in place (`convolve3x3`).
template <int rows>
MONGE_AVX512_TARGET inline void tile512(int64_t k, const float *a, int64_t lda, const float *w, const float *bias,
                                        bool accumulate, int activation, float slope, float *c, int64_t ldc, int width,
                                        float *aux, int segments = 1, int64_t segmentStride = 0) {
    static_assert(Dense<float>::Panel == 16, "one zmm per panel row");
    __m512 acc[rows];
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; ++r) acc[r] = _mm512_setzero_ps();
    // Rows 3g, 3g + 1, 3g + 2 at base[g] + {0, 1, 2}·lda: five pointers, advanced by one value per
    // k, and one stride in bytes address all fourteen as base + index·scale (scale 1 or 2), with no
    // address arithmetic left in the loop; a pointer per row would not fit in registers.
    constexpr int groups = (rows + 2) / 3;
    const int64_t run = k / segments;
    for (int s = 0; s < segments; ++s) {
        const char *base[groups];
#pragma clang loop unroll(full)
        for (int g = 0; g < groups; ++g) base[g] = reinterpret_cast<const char *>(a + s * segmentStride + 3 * g * lda);
        int64_t strideBytes = lda * int64_t(sizeof(float));
        for (int64_t kk = 0; kk < run; ++kk) {
            // Keeps the stride opaque to the loop optimiser, which would otherwise give each row an
            // induction pointer of its own and spill them.
            __asm__("" : "+r"(strideBytes));
            const __m512 wv = _mm512_loadu_ps(w + kk * 16);
#pragma clang loop unroll(full)
            for (int r = 0; r < rows; ++r) {
                const float *row = reinterpret_cast<const float *>(base[r / 3] + (r % 3) * strideBytes);
                acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(*row), wv, acc[r]);
            }
#pragma clang loop unroll(full)
            for (int g = 0; g < groups; ++g) base[g] += sizeof(float);
        }
        w += run * 16;
    }
    for (int r = 0; r < rows; ++r)
        Dense<float>::finishRow(_mm512_castps512_ps256(acc[r]), _mm512_extractf32x8_ps(acc[r], 1), bias, accumulate,
                                activation, slope, c + r * ldc, width, aux != nullptr ? aux + r * ldc : nullptr);
}

MONGE_AVX512_TARGET void panel512(int64_t count, int64_t k, const float *a, int64_t lda, const float *w,
                                  const float *bias, bool accumulate, int activation, float slope, float *c,
                                  int64_t ldc, int width, float *aux) {
    int64_t i = 0;
    for (; i + 12 <= count; i += 12)
        tile512<12>(k, a + i * lda, lda, w, bias, accumulate, activation, slope, c + i * ldc, ldc, width,
                    aux ? aux + i * ldc : nullptr);
    if (i == count) return;
    a += i * lda;
    c += i * ldc;
    if (aux) aux += i * ldc;
    switch (count - i) {
#define MONGE_DENSE_TILE512_CASE(R) \
    case R: tile512<R>(k, a, lda, w, bias, accumulate, activation, slope, c, ldc, width, aux); break;
    MONGE_DENSE_TILE512_CASE(11) MONGE_DENSE_TILE512_CASE(10) MONGE_DENSE_TILE512_CASE(9)
    MONGE_DENSE_TILE512_CASE(8) MONGE_DENSE_TILE512_CASE(7) MONGE_DENSE_TILE512_CASE(6)
    MONGE_DENSE_TILE512_CASE(5) MONGE_DENSE_TILE512_CASE(4) MONGE_DENSE_TILE512_CASE(3)
    MONGE_DENSE_TILE512_CASE(2)
#undef MONGE_DENSE_TILE512_CASE
    default: tile512<1>(k, a, lda, w, bias, accumulate, activation, slope, c, ldc, width, aux); break;
    }
}


/// One h×w output image of a stride-1 3×3 convolution on AVX-512 as an implicit GEMM: `xp` is
/// the zero-padded input ((h + 2) × (w + 2) × c), and output pixel (oy, ox)'s im2col row is the
/// three runs of 3c values at xp + ((oy + ky)·(w + 2) + ox)·c, ky = 0, 1, 2 — consecutive pixels
/// of a row c apart. Tiles of up to 14 pixels never cross an output row (there the runs jump by
/// two padding pixels); a row splits into equal tiles (28 = 14 + 14, 7 = 7).
MONGE_AVX512_TARGET void convolve3x3(int64_t h, int64_t w, int64_t c, const float *xp, int64_t n, const float *packed,
                                     const float *paddedBias, bool accumulate, float *y) {
    const int64_t k = 9 * c, rowStride = (w + 2) * c;
    const int64_t tiles = (w + 13) / 14;
    for (int64_t p = 0; p < Dense<float>::panels(n); ++p) {
        const int width = int(n - p * 16 < 16 ? n - p * 16 : 16);
        const float *panel = packed + p * k * 16, *bias = paddedBias + p * 16;
        for (int64_t oy = 0; oy < h; ++oy) {
            for (int64_t t = 0; t < tiles; ++t) {
                const int64_t ox = t * w / tiles, rows = (t + 1) * w / tiles - ox;
                const float *a = xp + oy * rowStride + ox * c;
                float *out = y + (oy * w + ox) * n + p * 16;
                switch (rows) {
#define MONGE_CONV_TILE512_CASE(R) \
    case R: tile512<R>(k, a, c, panel, bias, accumulate, 0, 0.f, out, n, width, nullptr, 3, rowStride); break;
                MONGE_CONV_TILE512_CASE(14) MONGE_CONV_TILE512_CASE(13) MONGE_CONV_TILE512_CASE(12)
                MONGE_CONV_TILE512_CASE(11) MONGE_CONV_TILE512_CASE(10) MONGE_CONV_TILE512_CASE(9)
                MONGE_CONV_TILE512_CASE(8) MONGE_CONV_TILE512_CASE(7) MONGE_CONV_TILE512_CASE(6)
                MONGE_CONV_TILE512_CASE(5) MONGE_CONV_TILE512_CASE(4) MONGE_CONV_TILE512_CASE(3)
                MONGE_CONV_TILE512_CASE(2)
#undef MONGE_CONV_TILE512_CASE
                default: tile512<1>(k, a, c, panel, bias, accumulate, 0, 0.f, out, n, width, nullptr, 3, rowStride); break;
                }
            }
        }
    }
}

}  // namespace

extern "C" int64_t ek_spacked_weights_count(int64_t k, int64_t n) { return Dense<float>::count(k, n); }
extern "C" int64_t ek_dpacked_weights_count(int64_t k, int64_t n) { return Dense<double>::count(k, n); }

extern "C" void ek_spack_weights(int64_t k, int64_t n, const float *w, int64_t ldw, int transposed, float *packed) {
    Dense<float>::pack(k, n, w, ldw, packed, transposed != 0);
}
extern "C" void ek_dpack_weights(int64_t k, int64_t n, const double *w, int64_t ldw, int transposed, double *packed) {
    Dense<double>::pack(k, n, w, ldw, packed, transposed != 0);
}

extern "C" void ek_sdense_forward(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *packed,
                                  const float *bias, int accumulate, int activation, float slope, float *c, int64_t ldc,
                                  float *aux) {
    Dense<float>::forward(m, n, k, a, lda, packed, bias, accumulate, activation, slope, c, ldc, aux,
                          monge::avx512Selected());
}
namespace monge {

bool convolve3x3Padded(int64_t h, int64_t w, int64_t c, const float *xp, int64_t n, const float *packed,
                       const float *bias, bool accumulate, float *y) {
    if (!avx512Selected() || Dense<float>::narrow(n)) return false;
    std::vector<float, Eigen::aligned_allocator<float>> paddedBias(Dense<float>::panels(n) * 16, 0.f);
    if (bias) std::memcpy(paddedBias.data(), bias, sizeof(float) * size_t(n));
    convolve3x3(h, w, c, xp, n, packed, paddedBias.data(), accumulate, y);
    return true;
}

}  // namespace monge

extern "C" void ek_sdense_forward_avx2(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                                       const float *packed, const float *bias, int accumulate, int activation,
                                       float slope, float *c, int64_t ldc, float *aux) {
    Dense<float>::forward(m, n, k, a, lda, packed, bias, accumulate, activation, slope, c, ldc, aux, false);
}
extern "C" void ek_sdense_forward_avx512(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                                         const float *packed, const float *bias, int accumulate, int activation,
                                         float slope, float *c, int64_t ldc, float *aux) {
    Dense<float>::forward(m, n, k, a, lda, packed, bias, accumulate, activation, slope, c, ldc, aux,
                          monge::avx512Supported());
}
extern "C" void ek_ddense_forward(int64_t m, int64_t n, int64_t k, const double *a, int64_t lda, const double *packed,
                                  const double *bias, int accumulate, int activation, double slope, double *c, int64_t ldc,
                                  double *aux) {
    Dense<double>::forward(m, n, k, a, lda, packed, bias, accumulate, activation, slope, c, ldc, aux);
}
