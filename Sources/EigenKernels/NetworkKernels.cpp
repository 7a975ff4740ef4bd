// Elementwise and reduction kernels of MongeNN's layers; see NetworkKernels.h.
//
// Determinism: Eigen's array expressions peel unaligned heads with scalar code, so the split
// between scalar and SIMD evaluation (and with it the last bits of exp/logistic, and the order
// of reductions) would depend on buffer addresses. These kernels therefore use plain loops
// (elementwise IEEE operations give the same bits in scalar and SIMD form) and evaluate the
// logistic with one packet routine for every element (the tail of a row goes through a padded
// packet too), so a result depends only on its inputs, never on addresses or neighbours.
#include "NetworkKernels.h"
#include "Logistic.hpp"

#include <Eigen/Core>
#include <cmath>
#include <cstring>
#include <immintrin.h>

namespace {

using Eigen::internal::packet_traits;
using Eigen::internal::unpacket_traits;

/// One row of SiLU with bias in a single pass: v = z + bias, σ(v) kept in `sigma` (when not
/// NULL), z ← v·σ(v). Groups of packets share one logistic evaluation (`monge::Logistic`, the
/// same bits as one packet at a time); the ragged tail goes through a zero-padded packet.
template <typename T>
inline void silu_row(T *z, const T *bias, T *sigma, int64_t n) {
    using namespace Eigen::internal;
    using Packet = typename packet_traits<T>::type;
    constexpr int P = unpacket_traits<Packet>::size, G = 4;
    int64_t j = 0;
    for (; j + G * P <= n; j += G * P) {
        Packet v[G], s[G];
        for (int g = 0; g < G; ++g) {
            v[g] = ploadu<Packet>(z + j + g * P);
            if (bias) v[g] = padd(v[g], ploadu<Packet>(bias + j + g * P));
        }
        monge::Logistic<T, G>::apply(v, s);
        for (int g = 0; g < G; ++g) {
            if (sigma) pstoreu(sigma + j + g * P, s[g]);
            pstoreu(z + j + g * P, pmul(v[g], s[g]));
        }
    }
    for (; j + P <= n; j += P) {
        Packet v = ploadu<Packet>(z + j), s;
        if (bias) v = padd(v, ploadu<Packet>(bias + j));
        monge::Logistic<T, 1>::apply(&v, &s);
        if (sigma) pstoreu(sigma + j, s);
        pstoreu(z + j, pmul(v, s));
    }
    if (j < n) {
        alignas(64) T buffer[P] = {};
        for (int64_t r = j; r < n; ++r) buffer[r - j] = bias ? z[r] + bias[r] : z[r];
        Packet v = pload<Packet>(buffer), s;
        monge::Logistic<T, 1>::apply(&v, &s);
        alignas(64) T out[P], sig[P];
        pstore(out, pmul(v, s));
        pstore(sig, s);
        for (int64_t r = j; r < n; ++r) {
            z[r] = out[r - j];
            if (sigma) sigma[r] = sig[r - j];
        }
    }
}

template <typename T>
void bias_activation(int64_t rows, int64_t cols, T *z, const T *bias, int activation, T slope, T *aux) {
    for (int64_t i = 0; i < rows; ++i) {
        T *zr = z + i * cols;
        if (activation == EK_ACTIVATION_SILU) {
            silu_row(zr, bias, aux ? aux + i * cols : nullptr, cols);
            continue;
        }
        if (bias) {
            for (int64_t j = 0; j < cols; ++j) zr[j] += bias[j];
        }
        switch (activation) {
        case EK_ACTIVATION_RELU:
            for (int64_t j = 0; j < cols; ++j) zr[j] = zr[j] > T(0) ? zr[j] : T(0);
            break;
        case EK_ACTIVATION_LEAKY_RELU:
            for (int64_t j = 0; j < cols; ++j) zr[j] = zr[j] > T(0) ? zr[j] : slope * zr[j];
            break;
        default:
            break;
        }
    }
}

template <typename T>
void activation_backward(int64_t rows, int64_t cols, T *d, const T *a, const T *aux, int activation, T slope) {
    const int64_t n = rows * cols;
    switch (activation) {
    case EK_ACTIVATION_SILU:
        for (int64_t k = 0; k < n; ++k) {
            const T s = aux[k];
            const T derivative = s + a[k] * (T(1) - s);
            d[k] *= derivative;
        }
        break;
    case EK_ACTIVATION_RELU:
        for (int64_t k = 0; k < n; ++k) d[k] = a[k] > T(0) ? d[k] : T(0);
        break;
    case EK_ACTIVATION_LEAKY_RELU:
        for (int64_t k = 0; k < n; ++k) d[k] = a[k] > T(0) ? d[k] : slope * d[k];
        break;
    default:
        break;
    }
}

template <typename T>
void column_sums(int64_t rows, int64_t cols, const T *x, T *sums) {
    for (int64_t i = 0; i < rows; ++i) {
        const T *xr = x + i * cols;
        for (int64_t j = 0; j < cols; ++j) sums[j] += xr[j];
    }
}

template <typename T>
void group_norm_forward(int64_t rows, int64_t cols, int64_t groups, const T *x, const T *gamma,
                        const T *beta, T eps, T *xhat, T *rstd, T *y) {
    const int64_t size = cols / groups;
    for (int64_t i = 0; i < rows; ++i) {
        for (int64_t g = 0; g < groups; ++g) {
            const int64_t offset = i * cols + g * size;
            T sum = 0;
            for (int64_t j = 0; j < size; ++j) sum += x[offset + j];
            const T mean = sum / T(size);
            T squares = 0;
            for (int64_t j = 0; j < size; ++j) {
                const T centred = x[offset + j] - mean;
                xhat[offset + j] = centred;
                squares += centred * centred;
            }
            const T r = T(1) / std::sqrt(squares / T(size) + eps);
            rstd[i * groups + g] = r;
            for (int64_t j = 0; j < size; ++j) xhat[offset + j] *= r;
        }
        const T *hr = xhat + i * cols;
        T *yr = y + i * cols;
        for (int64_t j = 0; j < cols; ++j) yr[j] = gamma[j] * hr[j] + beta[j];
    }
}

template <typename T>
void group_norm_backward(int64_t rows, int64_t cols, int64_t groups, const T *dy, const T *xhat,
                         const T *rstd, const T *gamma, T *dx, T *dgamma, T *dbeta) {
    const int64_t size = cols / groups;
    for (int64_t i = 0; i < rows; ++i) {
        const T *dyr = dy + i * cols;
        const T *hr = xhat + i * cols;
        for (int64_t j = 0; j < cols; ++j) {
            dgamma[j] += dyr[j] * hr[j];
            dbeta[j] += dyr[j];
        }
        for (int64_t g = 0; g < groups; ++g) {
            const int64_t offset = i * cols + g * size;
            T sumG = 0, sumGX = 0;
            for (int64_t j = 0; j < size; ++j) {
                const T gj = gamma[g * size + j] * dy[offset + j];
                sumG += gj;
                sumGX += gj * xhat[offset + j];
            }
            const T meanG = sumG / T(size), meanGX = sumGX / T(size);
            const T r = rstd[i * groups + g];
            for (int64_t j = 0; j < size; ++j) {
                const T gj = gamma[g * size + j] * dy[offset + j];
                dx[offset + j] = r * (gj - meanG - xhat[offset + j] * meanGX);
            }
        }
    }
}

/// IEEE square root of a packet (Eigen's float psqrt is an approximation under EIGEN_FAST_MATH).
inline Eigen::internal::Packet8f exact_sqrt(const Eigen::internal::Packet8f &x) { return _mm256_sqrt_ps(x); }
inline Eigen::internal::Packet4d exact_sqrt(const Eigen::internal::Packet4d &x) { return _mm256_sqrt_pd(x); }

/// One Adam element-packet: the same packet code for the body and (through a padded buffer)
/// the tail, so every element gets identical arithmetic (std::sqrt would not vectorise anyway:
/// it may set errno).
template <typename T>
void adam(int64_t count, T *p, const T *grad, T *m, T *v, T lr, T beta1, T beta2, T eps, T step,
          T bc2sqrt, T weight_decay, T gscale) {
    using Packet = typename packet_traits<T>::type;
    constexpr int P = unpacket_traits<Packet>::size;
    using namespace Eigen::internal;
    const Packet b1 = pset1<Packet>(beta1), b2 = pset1<Packet>(beta2), c1 = pset1<Packet>(T(1) - beta1),
                 c2 = pset1<Packet>(T(1) - beta2), scale = pset1<Packet>(gscale), decay = pset1<Packet>(T(1) - lr * weight_decay),
                 epsilon = pset1<Packet>(eps), stepSize = pset1<Packet>(step), bc2 = pset1<Packet>(bc2sqrt);
    const bool decays = weight_decay != T(0);
    auto update = [&](T *pp, const T *gp, T *mp, T *vp) {
        const Packet g = pmul(scale, ploadu<Packet>(gp));
        const Packet mk = padd(pmul(b1, ploadu<Packet>(mp)), pmul(c1, g));
        const Packet vk = padd(pmul(b2, ploadu<Packet>(vp)), pmul(c2, pmul(g, g)));
        pstoreu(mp, mk);
        pstoreu(vp, vk);
        Packet pk = ploadu<Packet>(pp);
        if (decays) pk = pmul(pk, decay);
        const Packet denominator = padd(pdiv(exact_sqrt(vk), bc2), epsilon);
        pstoreu(pp, psub(pk, pmul(stepSize, pdiv(mk, denominator))));
    };
    int64_t k = 0;
    for (; k + P <= count; k += P) update(p + k, grad + k, m + k, v + k);
    if (k < count) {
        alignas(64) T bp[P] = {}, bg[P] = {}, bm[P] = {}, bv[P] = {};
        const size_t bytes = sizeof(T) * size_t(count - k);
        std::memcpy(bp, p + k, bytes); std::memcpy(bg, grad + k, bytes);
        std::memcpy(bm, m + k, bytes); std::memcpy(bv, v + k, bytes);
        update(bp, bg, bm, bv);
        std::memcpy(p + k, bp, bytes); std::memcpy(m + k, bm, bytes); std::memcpy(v + k, bv, bytes);
    }
}

template <typename T>
void ema(int64_t count, T *e, const T *p, T decay) {
    const T rest = T(1) - decay;
    for (int64_t k = 0; k < count; ++k) e[k] = decay * e[k] + rest * p[k];
}

template <typename T>
double sum_squares(int64_t count, const T *x) {
    // Four fixed partial sums (in index order k mod 4), then added in order: deterministic.
    double s[4] = {0, 0, 0, 0};
    int64_t k = 0;
    for (; k + 4 <= count; k += 4) {
        for (int lane = 0; lane < 4; ++lane) {
            const double value = double(x[k + lane]);
            s[lane] += value * value;
        }
    }
    for (; k < count; ++k) s[0] += double(x[k]) * double(x[k]);
    return (s[0] + s[1]) + (s[2] + s[3]);
}

template <typename T>
double mse_gradient(int64_t count, const T *pred, const T *target, T scale, T *grad) {
    double total = 0;
    for (int64_t k = 0; k < count; ++k) {
        const T difference = pred[k] - target[k];
        total += double(difference) * double(difference);
        grad[k] = scale * difference;
    }
    return total;
}

template <typename T>
void add_rows(int64_t rows, int64_t cols, T *z, const T *table, const int64_t *index) {
    for (int64_t i = 0; i < rows; ++i) {
        T *zr = z + i * cols;
        const T *tr = table + index[i] * cols;
        for (int64_t j = 0; j < cols; ++j) zr[j] += tr[j];
    }
}

template <typename T>
void scatter_add_rows(int64_t rows, int64_t cols, const T *x, const int64_t *index, T *out) {
    for (int64_t i = 0; i < rows; ++i) {
        const T *xr = x + i * cols;
        T *orow = out + index[i] * cols;
        for (int64_t j = 0; j < cols; ++j) orow[j] += xr[j];
    }
}

}  // namespace

#define EK_DEFINE(prefix, T)                                                                          \
    extern "C" void ek_##prefix##bias_activation(int64_t rows, int64_t cols, T *z, const T *bias,     \
                                                 int activation, T slope, T *aux) {                   \
        bias_activation<T>(rows, cols, z, bias, activation, slope, aux);                              \
    }                                                                                                 \
    extern "C" void ek_##prefix##activation_backward(int64_t rows, int64_t cols, T *d, const T *a,    \
                                                     const T *aux, int activation, T slope) {         \
        activation_backward<T>(rows, cols, d, a, aux, activation, slope);                             \
    }                                                                                                 \
    extern "C" void ek_##prefix##column_sums(int64_t rows, int64_t cols, const T *x, T *sums) {       \
        column_sums<T>(rows, cols, x, sums);                                                          \
    }                                                                                                 \
    extern "C" void ek_##prefix##group_norm_forward(int64_t rows, int64_t cols, int64_t groups,       \
                                                    const T *x, const T *gamma, const T *beta, T eps, \
                                                    T *xhat, T *rstd, T *y) {                         \
        group_norm_forward<T>(rows, cols, groups, x, gamma, beta, eps, xhat, rstd, y);                \
    }                                                                                                 \
    extern "C" void ek_##prefix##group_norm_backward(int64_t rows, int64_t cols, int64_t groups,      \
                                                     const T *dy, const T *xhat, const T *rstd,       \
                                                     const T *gamma, T *dx, T *dgamma, T *dbeta) {    \
        group_norm_backward<T>(rows, cols, groups, dy, xhat, rstd, gamma, dx, dgamma, dbeta);         \
    }                                                                                                 \
    extern "C" void ek_##prefix##adam(int64_t count, T *p, const T *grad, T *m, T *v, T lr, T beta1,  \
                                      T beta2, T eps, T step, T bc2sqrt, T weight_decay, T gscale) {  \
        adam<T>(count, p, grad, m, v, lr, beta1, beta2, eps, step, bc2sqrt, weight_decay, gscale);    \
    }                                                                                                 \
    extern "C" void ek_##prefix##ema(int64_t count, T *e, const T *p, T decay) {                      \
        ema<T>(count, e, p, decay);                                                                   \
    }                                                                                                 \
    extern "C" double ek_##prefix##sum_squares(int64_t count, const T *x) {                           \
        return sum_squares<T>(count, x);                                                              \
    }                                                                                                 \
    extern "C" double ek_##prefix##mse_gradient(int64_t count, const T *pred, const T *target,        \
                                                T scale, T *grad) {                                   \
        return mse_gradient<T>(count, pred, target, scale, grad);                                     \
    }                                                                                                 \
    extern "C" void ek_##prefix##add(int64_t count, T *y, const T *x) {                               \
        for (int64_t k = 0; k < count; ++k) y[k] += x[k];                                             \
    }                                                                                                 \
    extern "C" void ek_##prefix##multiply(int64_t count, T *y, const T *x) {                          \
        for (int64_t k = 0; k < count; ++k) y[k] *= x[k];                                             \
    }                                                                                                 \
    extern "C" void ek_##prefix##add_rows(int64_t rows, int64_t cols, T *z, const T *table,           \
                                          const int64_t *index) {                                     \
        add_rows<T>(rows, cols, z, table, index);                                                     \
    }                                                                                                 \
    extern "C" void ek_##prefix##scatter_add_rows(int64_t rows, int64_t cols, const T *x,             \
                                                  const int64_t *index, T *out) {                     \
        scatter_add_rows<T>(rows, cols, x, index, out);                                               \
    }

EK_DEFINE(s, float)
EK_DEFINE(d, double)
