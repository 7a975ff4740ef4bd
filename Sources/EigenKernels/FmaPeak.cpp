// Measures the single-core FP32 FMA peak: 12 independent FMA chains hide the 4-cycle latency
// of two FMA pipes, so the loop is throughput-bound. The width is that of the kernels in use
// (KernelDispatch.hpp): 16-wide zmm FMAs when they run on AVX-512, else 8-wide ymm, so that a
// kernel's "fraction of peak" is quoted against the ceiling of the instructions it issues.
#include "EigenKernels.h"
#include "KernelDispatch.hpp"

#include <chrono>
#include <immintrin.h>

namespace {

constexpr int chains = 12;
constexpr long inner = 1 << 16;

/// `inner` steps of `chains` independent 8-wide FMA chains; the result is kept alive so that
/// the loop is not removed.
void chunkAvx2() {
    __m256 acc[chains];
    for (int c = 0; c < chains; ++c) acc[c] = _mm256_set1_ps(1.0f + 0.001f * c);
    const __m256 mul = _mm256_set1_ps(0.999999f), add = _mm256_set1_ps(1e-7f);
    for (long i = 0; i < inner; ++i) {
        for (int c = 0; c < chains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], mul, add);
    }
    __m256 total = acc[0];
    for (int c = 1; c < chains; ++c) total = _mm256_add_ps(total, acc[c]);
    volatile float keep = _mm256_cvtss_f32(total);
    (void)keep;
}

/// `chunkAvx2` with 16-wide FMAs.
MONGE_AVX512_TARGET void chunkAvx512() {
    __m512 acc[chains];
    for (int c = 0; c < chains; ++c) acc[c] = _mm512_set1_ps(1.0f + 0.001f * c);
    const __m512 mul = _mm512_set1_ps(0.999999f), add = _mm512_set1_ps(1e-7f);
    for (long i = 0; i < inner; ++i) {
        for (int c = 0; c < chains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], mul, add);
    }
    __m512 total = acc[0];
    for (int c = 1; c < chains; ++c) total = _mm512_add_ps(total, acc[c]);
    volatile float keep = _mm512_cvtss_f32(total);
    (void)keep;
}

/// GFLOP/s of `chunk` (2 flops per lane per FMA) run for at least `seconds`.
double measure(double seconds, int lanes, void (*chunk)()) {
    long chunks = 0;
    const auto start = std::chrono::steady_clock::now();
    double elapsed = 0;
    do {
        chunk();
        ++chunks;
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } while (elapsed < seconds);
    const double flops = 2.0 * lanes * chains * static_cast<double>(inner) * static_cast<double>(chunks);
    return flops / elapsed * 1e-9;
}

}  // namespace

extern "C" double ek_fma_peak_gflops(double seconds) {
    return monge::avx512Selected() ? measure(seconds, 16, chunkAvx512) : measure(seconds, 8, chunkAvx2);
}

extern "C" double ek_fma_peak_gflops_avx2(double seconds) { return measure(seconds, 8, chunkAvx2); }
