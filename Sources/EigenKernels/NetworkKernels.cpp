// Elementwise and reduction kernels of MongeNN's layers; see NetworkKernels.h.
#include "NetworkKernels.h"

#include <Eigen/Core>
#include <cmath>

namespace {

template <typename T>
using Row = Eigen::Map<Eigen::Array<T, 1, Eigen::Dynamic>>;
template <typename T>
using ConstRow = Eigen::Map<const Eigen::Array<T, 1, Eigen::Dynamic>>;
template <typename T>
using Vec = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <typename T>
using ConstVec = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

template <typename T>
void bias_activation(int64_t rows, int64_t cols, T *z, const T *bias, int activation, T slope, T *aux) {
    for (int64_t i = 0; i < rows; ++i) {
        Row<T> zr(z + i * cols, cols);
        if (bias) zr += ConstRow<T>(bias, cols);
        switch (activation) {
        case EK_ACTIVATION_SILU:
            if (aux) {
                Row<T> sr(aux + i * cols, cols);
                sr = zr.logistic();
                zr *= sr;
            } else {
                zr *= zr.logistic();
            }
            break;
        case EK_ACTIVATION_RELU:
            zr = zr.max(T(0));
            break;
        case EK_ACTIVATION_LEAKY_RELU:
            zr = (zr > T(0)).select(zr, slope * zr);
            break;
        default:
            break;
        }
    }
}

template <typename T>
void activation_backward(int64_t rows, int64_t cols, T *d, const T *a, const T *aux, int activation, T slope) {
    for (int64_t i = 0; i < rows; ++i) {
        Row<T> dr(d + i * cols, cols);
        ConstRow<T> ar(a + i * cols, cols);
        switch (activation) {
        case EK_ACTIVATION_SILU: {
            ConstRow<T> sr(aux + i * cols, cols);
            dr *= sr + ar * (T(1) - sr);
            break;
        }
        case EK_ACTIVATION_RELU:
            dr = (ar > T(0)).select(dr, T(0));
            break;
        case EK_ACTIVATION_LEAKY_RELU:
            dr = (ar > T(0)).select(dr, slope * dr);
            break;
        default:
            break;
        }
    }
}

template <typename T>
void column_sums(int64_t rows, int64_t cols, const T *x, T *sums) {
    Row<T> s(sums, cols);
    for (int64_t i = 0; i < rows; ++i) s += ConstRow<T>(x + i * cols, cols);
}

template <typename T>
void group_norm_forward(int64_t rows, int64_t cols, int64_t groups, const T *x, const T *gamma,
                        const T *beta, T eps, T *xhat, T *rstd, T *y) {
    const int64_t size = cols / groups;
    ConstRow<T> gammaRow(gamma, cols), betaRow(beta, cols);
    for (int64_t i = 0; i < rows; ++i) {
        for (int64_t g = 0; g < groups; ++g) {
            const int64_t offset = i * cols + g * size;
            ConstRow<T> xs(x + offset, size);
            const T mean = xs.sum() / T(size);
            Row<T> hs(xhat + offset, size);
            hs = xs - mean;
            const T variance = hs.square().sum() / T(size);
            const T r = T(1) / std::sqrt(variance + eps);
            rstd[i * groups + g] = r;
            hs *= r;
        }
        ConstRow<T> hr(xhat + i * cols, cols);
        Row<T>(y + i * cols, cols) = gammaRow * hr + betaRow;
    }
}

template <typename T>
void group_norm_backward(int64_t rows, int64_t cols, int64_t groups, const T *dy, const T *xhat,
                         const T *rstd, const T *gamma, T *dx, T *dgamma, T *dbeta) {
    const int64_t size = cols / groups;
    Row<T> dgammaRow(dgamma, cols), dbetaRow(dbeta, cols);
    ConstRow<T> gammaRow(gamma, cols);
    for (int64_t i = 0; i < rows; ++i) {
        ConstRow<T> dyr(dy + i * cols, cols);
        ConstRow<T> hr(xhat + i * cols, cols);
        dgammaRow += dyr * hr;
        dbetaRow += dyr;
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

template <typename T>
void adam(int64_t count, T *p, const T *grad, T *m, T *v, T lr, T beta1, T beta2, T eps, T step,
          T bc2sqrt, T weight_decay, T gscale) {
    Vec<T> P(p, count), M(m, count), V(v, count);
    ConstVec<T> G(grad, count);
    if (weight_decay != T(0)) P *= T(1) - lr * weight_decay;
    M = beta1 * M + (T(1) - beta1) * (gscale * G);
    V = beta2 * V + (T(1) - beta2) * (gscale * G).square();
    P -= step * M / (V.sqrt() / bc2sqrt + eps);
}

template <typename T>
void ema(int64_t count, T *e, const T *p, T decay) {
    Vec<T> E(e, count);
    E = decay * E + (T(1) - decay) * ConstVec<T>(p, count);
}

template <typename T>
double sum_squares(int64_t count, const T *x) {
    if (count <= 0) return 0;
    return ConstVec<T>(x, count).template cast<double>().square().sum();
}

template <typename T>
double mse_gradient(int64_t count, const T *pred, const T *target, T scale, T *grad) {
    if (count <= 0) return 0;
    Vec<T> G(grad, count);
    G = ConstVec<T>(pred, count) - ConstVec<T>(target, count);
    const double total = G.template cast<double>().square().sum();
    G *= scale;
    return total;
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
        if (count > 0) Vec<T>(y, count) += ConstVec<T>(x, count);                                     \
    }                                                                                                 \
    extern "C" void ek_##prefix##multiply(int64_t count, T *y, const T *x) {                          \
        if (count > 0) Vec<T>(y, count) *= ConstVec<T>(x, count);                                     \
    }

EK_DEFINE(s, float)
EK_DEFINE(d, double)
