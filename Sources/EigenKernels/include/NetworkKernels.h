// NetworkKernels: the elementwise and reduction kernels of MongeNN's layers (hand-written
// backprop), in C++ over Eigen arrays so that exp/logistic are vectorised (AVX2).
//
// Matrices are row-major and contiguous (leading dimension = cols). Every kernel that maps rows
// works row by row with the same code path for every row, so a row's result never depends on
// which other rows share the call (sampling is independent of how a batch is chunked).
// `s` = float, `d` = double. Single-threaded, like every EigenKernels function.
#ifndef MONGE_NETWORK_KERNELS_H
#define MONGE_NETWORK_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Activation codes shared with Swift's `Activation`.
enum {
    EK_ACTIVATION_IDENTITY = 0,
    EK_ACTIVATION_SILU = 1,
    EK_ACTIVATION_RELU = 2,
    EK_ACTIVATION_LEAKY_RELU = 3,
};

/// z ← act(z + bias) in place, per row; `bias` (length cols) may be NULL.
/// SiLU also writes σ(z + bias) to `aux` (rows × cols) when it is not NULL (its backward needs
/// it); the other activations ignore `aux`. LeakyReLU uses `slope` for negative inputs.
void ek_sbias_activation(int64_t rows, int64_t cols, float *z, const float *bias, int activation,
                         float slope, float *aux);
void ek_dbias_activation(int64_t rows, int64_t cols, double *z, const double *bias, int activation,
                         double slope, double *aux);

/// d ← d ⊙ act′, in place: `a` = act(z) as written by `ek_*bias_activation`, `aux` its σ (SiLU).
/// SiLU′ = σ + a(1 − σ); ReLU′ = [a > 0]; LeakyReLU′ = [a > 0] + slope·[a ≤ 0].
void ek_sactivation_backward(int64_t rows, int64_t cols, float *d, const float *a, const float *aux,
                             int activation, float slope);
void ek_dactivation_backward(int64_t rows, int64_t cols, double *d, const double *a, const double *aux,
                             int activation, double slope);

/// sums[j] += Σ_i x[i, j] (the bias gradient), rows summed in order.
void ek_scolumn_sums(int64_t rows, int64_t cols, const float *x, float *sums);
void ek_dcolumn_sums(int64_t rows, int64_t cols, const double *x, double *sums);

/// Group normalisation of each row's `groups` contiguous groups of cols/groups features:
/// xhat = (x − μ)/√(var + eps) (biased variance), y = γ ⊙ xhat + β. Writes xhat, the
/// per-(row, group) 1/√(var + eps) to `rstd` (rows × groups) and y. `y` may alias `x`.
void ek_sgroup_norm_forward(int64_t rows, int64_t cols, int64_t groups, const float *x,
                            const float *gamma, const float *beta, float eps, float *xhat,
                            float *rstd, float *y);
void ek_dgroup_norm_forward(int64_t rows, int64_t cols, int64_t groups, const double *x,
                            const double *gamma, const double *beta, double eps, double *xhat,
                            double *rstd, double *y);

/// Backward of the group norm: dgamma += Σ_i dy ⊙ xhat, dbeta += Σ_i dy and
/// dx = rstd·(g − mean(g) − xhat·mean(g ⊙ xhat)) per group with g = γ ⊙ dy. `dx` may alias `dy`.
void ek_sgroup_norm_backward(int64_t rows, int64_t cols, int64_t groups, const float *dy,
                             const float *xhat, const float *rstd, const float *gamma, float *dx,
                             float *dgamma, float *dbeta);
void ek_dgroup_norm_backward(int64_t rows, int64_t cols, int64_t groups, const double *dy,
                             const double *xhat, const double *rstd, const double *gamma, double *dx,
                             double *dgamma, double *dbeta);

/// One Adam(W) step on `count` parameters, PyTorch's formula: with g = gscale·grad,
/// p ← p·(1 − lr·wd); m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²;
/// p ← p − step·m / (√v / bc2sqrt + eps), where step = lr/(1 − β1^t), bc2sqrt = √(1 − β2^t).
void ek_sadam(int64_t count, float *p, const float *grad, float *m, float *v, float lr, float beta1,
              float beta2, float eps, float step, float bc2sqrt, float weight_decay, float gscale);
void ek_dadam(int64_t count, double *p, const double *grad, double *m, double *v, double lr,
              double beta1, double beta2, double eps, double step, double bc2sqrt,
              double weight_decay, double gscale);

/// ema ← decay·ema + (1 − decay)·p.
void ek_sema(int64_t count, float *ema, const float *p, float decay);
void ek_dema(int64_t count, double *ema, const double *p, double decay);

/// Σ x², accumulated in double.
double ek_ssum_squares(int64_t count, const float *x);
double ek_dsum_squares(int64_t count, const double *x);

/// grad = scale·(pred − target); returns Σ (pred − target)² accumulated in double.
double ek_smse_gradient(int64_t count, const float *pred, const float *target, float scale, float *grad);
double ek_dmse_gradient(int64_t count, const double *pred, const double *target, double scale, double *grad);

/// y ← y + x.
void ek_sadd(int64_t count, float *y, const float *x);
void ek_dadd(int64_t count, double *y, const double *x);

/// y ← y ⊙ x.
void ek_smultiply(int64_t count, float *y, const float *x);
void ek_dmultiply(int64_t count, double *y, const double *x);

/// z[i, :] += table[index[i], :] (a row of per-timestep features added to every sample of it).
void ek_sadd_rows(int64_t rows, int64_t cols, float *z, const float *table, const int64_t *index);
void ek_dadd_rows(int64_t rows, int64_t cols, double *z, const double *table, const int64_t *index);

/// out[index[i], :] += x[i, :] for i in order (the transpose of `ek_*add_rows`).
void ek_sscatter_add_rows(int64_t rows, int64_t cols, const float *x, const int64_t *index, float *out);
void ek_dscatter_add_rows(int64_t rows, int64_t cols, const double *x, const int64_t *index, double *out);

/// Scalars of W (k × n) packed by `ek_*pack_weights`: k times n rounded up to the panel width,
/// or, for narrow layers (n ≤ 4), n times k rounded up to a whole SIMD packet.
int64_t ek_spacked_weights_count(int64_t k, int64_t n);
int64_t ek_dpacked_weights_count(int64_t k, int64_t n);

/// Packs B (k × n) into zero-padded column panels for `ek_*dense_forward`: B = W (k × n, row
/// stride ldw), or B = Wᵀ when `transposed` (W is then n × k with row stride ldw).
void ek_spack_weights(int64_t k, int64_t n, const float *w, int64_t ldw, int transposed, float *packed);
void ek_dpack_weights(int64_t k, int64_t n, const double *w, int64_t ldw, int transposed, double *packed);

/// C = act(A·B + bias), or act(C + A·B + bias) when `accumulate`: A is m × k (row stride lda),
/// B packed by `ek_*pack_weights`, bias (length n) may be NULL, C is m × n (row stride ldc).
/// With SiLU and a non-NULL `aux` (laid out like C), σ of the pre-activation is kept there.
/// Each element is one FMA chain over k in order (narrow layers, n ≤ 4: a dot product with a
/// fixed packet-wise order), the same for every row, so a row's result does not depend on m.
/// The float version runs on AVX-512 or AVX2 as `ek_kernels_isa` says, with the same bits.
void ek_sdense_forward(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *packed,
                       const float *bias, int accumulate, int activation, float slope, float *c, int64_t ldc,
                       float *aux);
/// `ek_sdense_forward` on its AVX2 micro-kernel (6 rows × 16 columns), whatever the CPU has.
void ek_sdense_forward_avx2(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *packed,
                            const float *bias, int accumulate, int activation, float slope, float *c, int64_t ldc,
                            float *aux);
/// `ek_sdense_forward` on its AVX-512 micro-kernel (12 rows × 16 columns); the same bits as the
/// AVX2 one. Takes the AVX2 kernel when `ek_kernels_avx512_supported()` is 0 (GemmVariants.h).
void ek_sdense_forward_avx512(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *packed,
                              const float *bias, int accumulate, int activation, float slope, float *c,
                              int64_t ldc, float *aux);
void ek_ddense_forward(int64_t m, int64_t n, int64_t k, const double *a, int64_t lda, const double *packed,
                       const double *bias, int accumulate, int activation, double slope, double *c, int64_t ldc,
                       double *aux);

#ifdef __cplusplus
}
#endif

#endif
