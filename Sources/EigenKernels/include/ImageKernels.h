// ImageKernels: the data-movement and normalisation kernels of MongeNN's convolutional layers.
//
// Layout: one image at a time, channels last — pixel (y, x) of an h×w image with c channels is
// row y·w + x of a (h·w) × c row-major matrix (leading dimension `ld*` ≥ c where given). A 3×3
// convolution is then im2col (a copy) followed by one product with the [9·c_in, c_out] weight,
// whose operand is read in place by the packed kernels; the per-channel bias, residual add and
// activation ride in that product's epilogue (`ek_*dense_forward`). On the AVX-512 path a
// stride-1 convolution skips the copy (`ek_sconv3x3_forward`, `ek_sconv3x3_weight_gradient`:
// an implicit GEMM over a zero-padded image, the same bits). For one channel (grayscale)
// this layout is the same as PyTorch's C×H×W.
//
// Every kernel is single-threaded and processes each image with the same operation sequence
// whatever the other images of a batch, so results never depend on batching or threads.
// `s` = float, `d` = double.
#ifndef MONGE_IMAGE_KERNELS_H
#define MONGE_IMAGE_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// im2col of a 3×3 convolution with zero padding 1 and stride 1 or 2 on one h×w×c image, for
/// the output rows row0 ..< row0 + rows: row ((oy − row0)·wo + ox) of `col` (rows·wo × 9c,
/// wo = (w − 1)/stride + 1; the whole image is row0 = 0, rows = (h − 1)/stride + 1) holds the taps
/// (ky, kx) = (0,0), (0,1), …, (2,2), each c channels, of input pixel
/// (oy·stride + ky − 1, ox·stride + kx − 1), zero outside. With `upsampled`, the convolution's
/// input is x up-sampled ×2 by nearest neighbour: x is then (h/2) × (w/2) and pixel (y, x) of the
/// input is x's pixel (y/2, x/2) (h and w even). x has row stride ldx.
void ek_sim2col3x3(int64_t h, int64_t w, int64_t c, const float *x, int64_t ldx, int64_t stride,
                   int upsampled, int64_t row0, int64_t rows, float *col);
void ek_dim2col3x3(int64_t h, int64_t w, int64_t c, const double *x, int64_t ldx, int64_t stride,
                   int upsampled, int64_t row0, int64_t rows, double *col);

/// y = conv3x3(x)·W + bias (+ y when `accumulate`) for one h×w×c image, stride 1 and zero
/// padding 1 (with `upsampled`, x is (h/2) × (w/2) and read up-sampled ×2), as an implicit GEMM:
/// the im2col rows are read in place from a zero-padded copy of x instead of being copied.
/// `packed` is the [9c, n] weight packed by `ek_spack_weights`, `bias` has n values (or is null),
/// y is (h·w) × n. Per element the same operations as `ek_sim2col3x3` followed by
/// `ek_sdense_forward`, hence the same bits. Returns 1 when done; 0, having touched nothing,
/// where this path does not apply (no AVX-512 kernels selected, n ≤ 4 outputs, odd size with
/// `upsampled`, or no memory): the caller then takes the im2col path.
int ek_sconv3x3_forward(int64_t h, int64_t w, int64_t c, const float *x, int upsampled, int64_t n,
                        const float *packed, const float *bias, int accumulate, float *y);

/// Its weight gradient over `images` images, transposed: dWᵀ (n × 9c, row stride 9c) ←
/// dyᵀ·im2col(x) + β·dWᵀ, with x's images h·w·c values apart (h·w·c/4 with `upsampled`) and dy
/// (h·w) × n per image, contiguous — the im2col matrix read in place from padded copies. The same
/// bits as `ek_sgemm(1, 0, n, 9c, images·h·w, 1, dy, n, im2col, 9c, β, dWᵀ, 9c)`. Returns 1 when
/// done; 0, having touched nothing, where this path does not apply (no AVX-512 kernels selected,
/// 3c not a multiple of 16, 9c > 4096, odd size with `upsampled`, or no memory).
int ek_sconv3x3_weight_gradient(int64_t images, int64_t h, int64_t w, int64_t c, const float *x, int upsampled,
                                int64_t n, const float *dy, float beta, float *dwt);

/// The transpose of `ek_*im2col3x3` (same output rows): dx += every col entry at its input
/// pixel (padding entries dropped). dx is laid out like x (row stride lddx).
void ek_scol2im3x3(int64_t h, int64_t w, int64_t c, const float *col, int64_t stride, int upsampled,
                   int64_t row0, int64_t rows, float *dx, int64_t lddx);
void ek_dcol2im3x3(int64_t h, int64_t w, int64_t c, const double *col, int64_t stride, int upsampled,
                   int64_t row0, int64_t rows, double *dx, int64_t lddx);

/// Nearest-neighbour ×2 up-sampling of one h×w×c image to 2h×2w×c.
void ek_supsample2x(int64_t h, int64_t w, int64_t c, const float *x, float *y);
void ek_dupsample2x(int64_t h, int64_t w, int64_t c, const double *x, double *y);

/// Its transpose: dx (h×w×c) = the sum of each 2×2 block of dy (2h×2w×c).
void ek_supsample2x_backward(int64_t h, int64_t w, int64_t c, const float *dy, float *dx);
void ek_dupsample2x_backward(int64_t h, int64_t w, int64_t c, const double *dy, double *dx);

/// Group normalisation of one image over `groups` groups of c/groups consecutive channels ×
/// all pixels (PyTorch's GroupNorm; biased variance), with a per-channel scale γ and shift β,
/// then SiLU when `silu` != 0: y = act(γ ⊙ (x − μ_g)·r_g + β), r_g = 1/√(var_g + eps). Writes
/// μ and r per group (`mean`, `rstd`, length groups). x and y are pixels × c (contiguous).
void ek_sgroup_norm_act_forward(int64_t pixels, int64_t c, int64_t groups, const float *x,
                                const float *gamma, const float *beta, float eps, int silu,
                                float *mean, float *rstd, float *y);
void ek_dgroup_norm_act_forward(int64_t pixels, int64_t c, int64_t groups, const double *x,
                                const double *gamma, const double *beta, double eps, int silu,
                                double *mean, double *rstd, double *y);

/// Backward of `ek_*group_norm_act_forward` from its input x and statistics: accumulates dγ
/// and dβ (length c), and writes dx (or adds to it when `accumulate`). dx may alias dy only
/// without `accumulate`.
void ek_sgroup_norm_act_backward(int64_t pixels, int64_t c, int64_t groups, const float *dy,
                                 const float *x, const float *mean, const float *rstd,
                                 const float *gamma, const float *beta, int silu, int accumulate,
                                 float *dx, float *dgamma, float *dbeta);
void ek_dgroup_norm_act_backward(int64_t pixels, int64_t c, int64_t groups, const double *dy,
                                 const double *x, const double *mean, const double *rstd,
                                 const double *gamma, const double *beta, int silu, int accumulate,
                                 double *dx, double *dgamma, double *dbeta);

/// y[i, 0..<cols] = x[i, 0..<cols] (or += when `accumulate`) for rows i, with row strides ldx
/// and ldy: channel concatenation and its split.
void ek_scopy_rows(int64_t rows, int64_t cols, const float *x, int64_t ldx, float *y, int64_t ldy,
                   int accumulate);
void ek_dcopy_rows(int64_t rows, int64_t cols, const double *x, int64_t ldx, double *y, int64_t ldy,
                   int accumulate);

#ifdef __cplusplus
}
#endif

#endif
