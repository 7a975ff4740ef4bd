// A stride-1 3×3 convolution as an implicit GEMM: the rows of its im2col matrix are read in place
// from a zero-padded copy of the image (one copy of h·w·c values instead of im2col's 9·h·w·c),
// for the forward pass and the weight gradient; see ImageKernels.h.
//
// Output pixel (oy, ox)'s im2col row is three runs of 3c values, run ky at padded pixel
// (oy + ky, ox): the dense kernel reads the runs of up to 14 pixels of one output row c apart
// (DenseKernels.cpp), and the weight gradient's GEMM reads row p of B at offsets[p] plus the run
// (PackedGemm.cpp). Both keep the operation sequence of im2col followed by the same product, so
// the bits do not change; the float AVX-512 path only (the AVX2 and double paths keep im2col).
#include "ImageKernels.h"
#include "ImplicitConvolution.hpp"
#include "KernelDispatch.hpp"
#include "PackedGemm.hpp"
#include "Scratch.hpp"

#include <cstring>

namespace {

/// xp ((h + 2) × (w + 2) × c) = x with a border of zeros; with `upsampled`, x is (h/2) × (w/2) and
/// is read up-sampled ×2 by nearest neighbour.
void pad(int64_t h, int64_t w, int64_t c, const float *x, bool upsampled, float *xp) {
    const int64_t rowLength = (w + 2) * c, storedWidth = upsampled ? w / 2 : w;
    std::memset(xp, 0, sizeof(float) * size_t(rowLength));
    std::memset(xp + (h + 1) * rowLength, 0, sizeof(float) * size_t(rowLength));
    for (int64_t iy = 0; iy < h; ++iy) {
        float *row = xp + (iy + 1) * rowLength;
        std::memset(row, 0, sizeof(float) * size_t(c));
        std::memset(row + (w + 1) * c, 0, sizeof(float) * size_t(c));
        if (!upsampled) {
            std::memcpy(row + c, x + iy * w * c, sizeof(float) * size_t(w * c));
        } else {
            const float *source = x + (iy / 2) * storedWidth * c;
            for (int64_t ix = 0; ix < w; ++ix) std::memcpy(row + (ix + 1) * c, source + (ix / 2) * c, sizeof(float) * size_t(c));
        }
    }
}

bool applies(int64_t h, int64_t w, int64_t c, int upsampled) {
    return monge::avx512Selected() && h > 0 && w > 0 && c > 0 && (!upsampled || (h % 2 == 0 && w % 2 == 0));
}

}  // namespace

extern "C" int ek_sconv3x3_forward(int64_t h, int64_t w, int64_t c, const float *x, int upsampled, int64_t n,
                                   const float *packed, const float *bias, int accumulate, float *y) {
    if (!applies(h, w, c, upsampled) || n <= 4) return 0;
    float *xp = monge::alignedScratch<float, 1>(size_t((h + 2) * (w + 2) * c));
    if (xp == nullptr) return 0;
    pad(h, w, c, x, upsampled != 0, xp);
    return monge::convolve3x3Padded(h, w, c, xp, n, packed, bias, accumulate != 0, y) ? 1 : 0;
}

extern "C" int ek_sconv3x3_weight_gradient(int64_t images, int64_t h, int64_t w, int64_t c, const float *x,
                                           int upsampled, int64_t n, const float *dy, float beta, float *dwt) {
    // The GEMM's NR-wide panels of B must not straddle two runs; 9c columns fit one column block.
    if (!applies(h, w, c, upsampled) || images <= 0 || n <= 0 || (3 * c) % 16 != 0 || 9 * c > 4096) return 0;
    const int64_t padded = (h + 2) * (w + 2) * c, pixels = h * w, stored = upsampled ? pixels / 4 : pixels;
    float *xp = monge::alignedScratch<float, 2>(size_t(images * padded));
    int64_t *offsets = monge::alignedScratch<int64_t, 2>(size_t(images * pixels));
    if (xp == nullptr || offsets == nullptr) return 0;
    for (int64_t i = 0; i < images; ++i) {
        pad(h, w, c, x + i * stored * c, upsampled != 0, xp + i * padded);
        for (int64_t oy = 0; oy < h; ++oy)
            for (int64_t ox = 0; ox < w; ++ox) offsets[(i * h + oy) * w + ox] = i * padded + (oy * (w + 2) + ox) * c;
    }
    return monge::packedGemmIndirectB(n, 9 * c, images * pixels, dy, n, xp, offsets, 3 * c, (w + 2) * c, beta, dwt,
                                      9 * c)
               ? 1
               : 0;
}
