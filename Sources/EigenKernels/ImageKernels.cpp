// Convolution data movement (im2col / col2im, nearest up-sampling) and a group norm fused with
// SiLU, channels last; see ImageKernels.h.
//
// Determinism: reductions run in a fixed order — per channel over pixels in increasing order,
// then per group over its channels in double — and the logistic is evaluated with the same
// operations on every lane (monge::Logistic; a zero-padded tail packet), in runs of pixels, so
// every result is a function of the image alone.
#include "ImageKernels.h"
#include "Logistic.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace {

/// A per-thread scratch buffer that only grows (the backward pass's per-element gradients).
template <typename T>
T *scratch(size_t count) {
    thread_local std::vector<T> buffer;
    if (buffer.size() < count) buffer.resize(count);
    return buffer.data();
}

/// σ(v) of n values (into `sigma`, which may alias v), four packets side by side (independent
/// chains: one packet alone is a latency-bound chain of about twenty operations), then packet by
/// packet, the tail through a padded packet. Every lane goes through the same operations
/// whatever its neighbours (monge::Logistic), so the values do not depend on n or the grouping.
template <typename T>
inline void logistic(const T *v, T *sigma, int64_t n) {
    using namespace Eigen::internal;
    using Packet = typename packet_traits<T>::type;
    constexpr int P = unpacket_traits<Packet>::size, group = 4;
    int64_t j = 0;
    for (; j + group * P <= n; j += group * P) {
        Packet x[group], s[group];
        for (int i = 0; i < group; ++i) x[i] = ploadu<Packet>(v + j + i * P);
        monge::Logistic<T, group>::apply(x, s);
        for (int i = 0; i < group; ++i) pstoreu(sigma + j + i * P, s[i]);
    }
    for (; j + P <= n; j += P) {
        Packet x = ploadu<Packet>(v + j), s;
        monge::Logistic<T, 1>::apply(&x, &s);
        pstoreu(sigma + j, s);
    }
    if (j < n) {
        alignas(64) T buffer[P] = {}, out[P];
        for (int64_t r = j; r < n; ++r) buffer[r - j] = v[r];
        Packet x = pload<Packet>(buffer), s;
        monge::Logistic<T, 1>::apply(&x, &s);
        pstore(out, s);
        for (int64_t r = j; r < n; ++r) sigma[r] = out[r - j];
    }
}

/// Pixels per run of the group norm's SiLU: about 256 values, so that `logistic` has whole
/// groups of packets even for 16 channels (σ is per value: the run length changes no result).
inline int64_t siluRunPixels(int64_t c) { return c >= 256 ? 1 : 256 / c; }

/// Keeps the compiler from turning a function's copy loops back into calls of memcpy (its loop
/// idiom recognition does): the runs here are a few dozen values, where the call costs more than
/// the copy (12 % of a width-16 U-Net's time went to such calls from im2col).
#define MONGE_INLINE_COPIES __attribute__((no_builtin("memcpy", "memmove")))

/// dst[0..<n] = src[0..<n], inline (the runs here are a few dozen values: a call to memcpy per
/// run would cost more than the copy).
template <typename T>
MONGE_INLINE_COPIES inline void copyRun(T *__restrict dst, const T *__restrict src, int64_t n) {
#pragma clang loop vectorize(enable)
    for (int64_t j = 0; j < n; ++j) dst[j] = src[j];
}

template <typename T>
MONGE_INLINE_COPIES void im2col(int64_t h, int64_t w, int64_t c, const T *x, int64_t ldx, int64_t stride, bool up, int64_t row0, int64_t rows, T *col) {
    const int64_t wo = (w - 1) / stride + 1, k = 9 * c;
    const int64_t storedWidth = up ? w / 2 : w;
    // Stride 1 without up-sampling, channels contiguous: the three taps of a kernel row are one run.
    const bool runs = stride == 1 && !up && ldx == c;
    for (int64_t oy = row0; oy < row0 + rows; ++oy) {
        for (int64_t ox = 0; ox < wo; ++ox) {
            T *row = col + ((oy - row0) * wo + ox) * k;
            for (int64_t ky = 0; ky < 3; ++ky) {
                const int64_t iy = oy * stride + ky - 1;
                T *dst = row + ky * 3 * c;
                if (iy < 0 || iy >= h) {
                    std::fill(dst, dst + 3 * c, T(0));
                    continue;
                }
                if (runs && ox >= 1 && ox + 1 < w) {
                    copyRun(dst, x + (iy * w + ox - 1) * c, 3 * c);
                    continue;
                }
                for (int64_t kx = 0; kx < 3; ++kx) {
                    const int64_t ix = ox * stride + kx - 1;
                    T *tap = dst + kx * c;
                    if (ix < 0 || ix >= w) {
                        std::fill(tap, tap + c, T(0));
                        continue;
                    }
                    const int64_t sy = up ? iy / 2 : iy, sx = up ? ix / 2 : ix;
                    copyRun(tap, x + (sy * storedWidth + sx) * ldx, c);
                }
            }
        }
    }
}

template <typename T>
void col2im(int64_t h, int64_t w, int64_t c, const T *col, int64_t stride, bool up, int64_t row0, int64_t rows, T *dx,
            int64_t lddx) {
    const int64_t wo = (w - 1) / stride + 1, k = 9 * c;
    const int64_t storedWidth = up ? w / 2 : w;
    for (int64_t oy = row0; oy < row0 + rows; ++oy) {
        for (int64_t ox = 0; ox < wo; ++ox) {
            const T *row = col + ((oy - row0) * wo + ox) * k;
            for (int64_t ky = 0; ky < 3; ++ky) {
                const int64_t iy = oy * stride + ky - 1;
                if (iy < 0 || iy >= h) continue;
                for (int64_t kx = 0; kx < 3; ++kx) {
                    const int64_t ix = ox * stride + kx - 1;
                    if (ix < 0 || ix >= w) continue;
                    const int64_t sy = up ? iy / 2 : iy, sx = up ? ix / 2 : ix;
                    T *dst = dx + (sy * storedWidth + sx) * lddx;
                    const T *src = row + (ky * 3 + kx) * c;
                    for (int64_t j = 0; j < c; ++j) dst[j] += src[j];
                }
            }
        }
    }
}

template <typename T>
void upsample(int64_t h, int64_t w, int64_t c, const T *x, T *y) {
    for (int64_t yy = 0; yy < 2 * h; ++yy)
        for (int64_t xx = 0; xx < 2 * w; ++xx)
            std::memcpy(y + (yy * 2 * w + xx) * c, x + ((yy / 2) * w + xx / 2) * c, sizeof(T) * c);
}

template <typename T>
void upsampleBackward(int64_t h, int64_t w, int64_t c, const T *dy, T *dx) {
    for (int64_t yy = 0; yy < h; ++yy) {
        for (int64_t xx = 0; xx < w; ++xx) {
            T *out = dx + (yy * w + xx) * c;
            const T *a = dy + ((2 * yy) * 2 * w + 2 * xx) * c, *b = a + c;
            const T *d = a + 2 * w * c, *e = d + c;
            for (int64_t j = 0; j < c; ++j) out[j] = (a[j] + b[j]) + (d[j] + e[j]);
        }
    }
}

/// Per-group mean and 1/σ of one image (two passes: the mean, then centred squares).
template <typename T>
void groupStatistics(int64_t pixels, int64_t c, int64_t groups, const T *x, T eps, T *mean, T *rstd) {
    const int64_t size = c / groups;
    std::vector<T> sums(c, T(0));
    for (int64_t p = 0; p < pixels; ++p) {
        const T *row = x + p * c;
        for (int64_t j = 0; j < c; ++j) sums[j] += row[j];
    }
    const double count = double(pixels) * double(size);
    std::vector<T> mu(c);
    for (int64_t g = 0; g < groups; ++g) {
        double s = 0;
        for (int64_t j = g * size; j < (g + 1) * size; ++j) s += double(sums[j]);
        mean[g] = T(s / count);
        for (int64_t j = g * size; j < (g + 1) * size; ++j) mu[j] = mean[g];
    }
    std::fill(sums.begin(), sums.end(), T(0));
    for (int64_t p = 0; p < pixels; ++p) {
        const T *row = x + p * c;
        for (int64_t j = 0; j < c; ++j) {
            const T centred = row[j] - mu[j];
            sums[j] += centred * centred;
        }
    }
    for (int64_t g = 0; g < groups; ++g) {
        double s = 0;
        for (int64_t j = g * size; j < (g + 1) * size; ++j) s += double(sums[j]);
        rstd[g] = T(1) / std::sqrt(T(s / count) + eps);
    }
}

template <typename T>
void groupNormForward(int64_t pixels, int64_t c, int64_t groups, const T *x, const T *gamma, const T *beta, T eps,
                      bool silu, T *mean, T *rstd, T *y) {
    groupStatistics(pixels, c, groups, x, eps, mean, rstd);
    const int64_t size = c / groups;
    // y = γ·(x − μ)·r + β per channel.
    std::vector<T> mu(c), r(c);
    for (int64_t j = 0; j < c; ++j) { mu[j] = mean[j / size]; r[j] = rstd[j / size]; }
    const int64_t run = siluRunPixels(c);
    std::vector<T> sigma(silu ? run * c : 0);
    for (int64_t p0 = 0; p0 < pixels; p0 += run) {
        const int64_t count = std::min(run, pixels - p0);
        for (int64_t p = p0; p < p0 + count; ++p) {
            const T *in = x + p * c;
            T *out = y + p * c;
            for (int64_t j = 0; j < c; ++j) out[j] = gamma[j] * ((in[j] - mu[j]) * r[j]) + beta[j];
        }
        if (silu) {
            T *out = y + p0 * c;
            logistic(out, sigma.data(), count * c);
            for (int64_t j = 0; j < count * c; ++j) out[j] *= sigma[j];
        }
    }
}

template <typename T>
void groupNormBackward(int64_t pixels, int64_t c, int64_t groups, const T *dy, const T *x, const T *mean, const T *rstd,
                       const T *gamma, const T *beta, bool silu, bool accumulate, T *dx, T *dgamma, T *dbeta) {
    const int64_t size = c / groups;
    const int64_t run = siluRunPixels(c);
    std::vector<T> mu(c), r(c), sumG(c, T(0)), sumGX(c, T(0)), value(run * c), sigma(run * c);
    for (int64_t j = 0; j < c; ++j) { mu[j] = mean[j / size]; r[j] = rstd[j / size]; }
    // g = ∂L/∂(normalised, pre-activation value), kept for the second pass.
    T *g = scratch<T>(size_t(pixels * c));
    for (int64_t p0 = 0; p0 < pixels; p0 += run) {
        const int64_t count = std::min(run, pixels - p0);
        if (silu) {
            // The pre-activation values of the run's pixels, then their σ in one call.
            for (int64_t p = p0; p < p0 + count; ++p) {
                const T *in = x + p * c;
                T *v = value.data() + (p - p0) * c;
                for (int64_t j = 0; j < c; ++j) v[j] = gamma[j] * ((in[j] - mu[j]) * r[j]) + beta[j];
            }
            logistic(value.data(), sigma.data(), count * c);
        }
        for (int64_t p = p0; p < p0 + count; ++p) {
            const T *in = x + p * c, *d = dy + p * c;
            T *gp = g + p * c;
            if (silu) {
                const T *v = value.data() + (p - p0) * c, *sg = sigma.data() + (p - p0) * c;
                for (int64_t j = 0; j < c; ++j) gp[j] = d[j] * (sg[j] * (T(1) + v[j] * (T(1) - sg[j])));
            } else {
                for (int64_t j = 0; j < c; ++j) gp[j] = d[j];
            }
            for (int64_t j = 0; j < c; ++j) {
                sumG[j] += gp[j];
                sumGX[j] += gp[j] * ((in[j] - mu[j]) * r[j]);
            }
        }
    }
    const double count = double(pixels) * double(size);
    std::vector<T> m1(c), m2(c);
    for (int64_t grp = 0; grp < groups; ++grp) {
        double a = 0, b = 0;
        for (int64_t j = grp * size; j < (grp + 1) * size; ++j) {
            a += double(gamma[j]) * double(sumG[j]);
            b += double(gamma[j]) * double(sumGX[j]);
        }
        for (int64_t j = grp * size; j < (grp + 1) * size; ++j) { m1[j] = T(a / count); m2[j] = T(b / count); }
    }
    for (int64_t j = 0; j < c; ++j) {
        dgamma[j] += sumGX[j];
        dbeta[j] += sumG[j];
    }
    for (int64_t p = 0; p < pixels; ++p) {
        const T *in = x + p * c, *gp = g + p * c;
        T *out = dx + p * c;
        for (int64_t j = 0; j < c; ++j) {
            const T xhat = (in[j] - mu[j]) * r[j];
            const T v = r[j] * (gamma[j] * gp[j] - m1[j] - xhat * m2[j]);
            out[j] = accumulate ? out[j] + v : v;
        }
    }
}

template <typename T>
MONGE_INLINE_COPIES void copyRows(int64_t rows, int64_t cols, const T *x, int64_t ldx, T *y, int64_t ldy, bool accumulate) {
    for (int64_t i = 0; i < rows; ++i) {
        const T *src = x + i * ldx;
        T *dst = y + i * ldy;
        if (accumulate) for (int64_t j = 0; j < cols; ++j) dst[j] += src[j];
        else copyRun(dst, src, cols);  // rows of a few dozen channels: a memcpy call each costs more
    }
}

}  // namespace

#define EK_IMAGE_DEFINE(prefix, T)                                                                          \
    extern "C" void ek_##prefix##im2col3x3(int64_t h, int64_t w, int64_t c, const T *x, int64_t ldx,        \
                                           int64_t stride, int upsampled, int64_t row0, int64_t rows,       \
                                           T *col) {                                                        \
        im2col<T>(h, w, c, x, ldx, stride, upsampled != 0, row0, rows, col);                                \
    }                                                                                                       \
    extern "C" void ek_##prefix##col2im3x3(int64_t h, int64_t w, int64_t c, const T *col, int64_t stride,   \
                                           int upsampled, int64_t row0, int64_t rows, T *dx,                \
                                           int64_t lddx) {                                                  \
        col2im<T>(h, w, c, col, stride, upsampled != 0, row0, rows, dx, lddx);                              \
    }                                                                                                       \
    extern "C" void ek_##prefix##upsample2x(int64_t h, int64_t w, int64_t c, const T *x, T *y) {            \
        upsample<T>(h, w, c, x, y);                                                                         \
    }                                                                                                       \
    extern "C" void ek_##prefix##upsample2x_backward(int64_t h, int64_t w, int64_t c, const T *dy, T *dx) { \
        upsampleBackward<T>(h, w, c, dy, dx);                                                               \
    }                                                                                                       \
    extern "C" void ek_##prefix##group_norm_act_forward(int64_t pixels, int64_t c, int64_t groups,          \
                                                        const T *x, const T *gamma, const T *beta, T eps,   \
                                                        int silu, T *mean, T *rstd, T *y) {                 \
        groupNormForward<T>(pixels, c, groups, x, gamma, beta, eps, silu != 0, mean, rstd, y);              \
    }                                                                                                       \
    extern "C" void ek_##prefix##group_norm_act_backward(                                                   \
        int64_t pixels, int64_t c, int64_t groups, const T *dy, const T *x, const T *mean, const T *rstd,   \
        const T *gamma, const T *beta, int silu, int accumulate, T *dx, T *dgamma, T *dbeta) {              \
        groupNormBackward<T>(pixels, c, groups, dy, x, mean, rstd, gamma, beta, silu != 0, accumulate != 0, \
                             dx, dgamma, dbeta);                                                            \
    }                                                                                                       \
    extern "C" void ek_##prefix##copy_rows(int64_t rows, int64_t cols, const T *x, int64_t ldx, T *y,       \
                                           int64_t ldy, int accumulate) {                                   \
        copyRows<T>(rows, cols, x, ldx, y, ldy, accumulate != 0);                                           \
    }

EK_IMAGE_DEFINE(s, float)
EK_IMAGE_DEFINE(d, double)
