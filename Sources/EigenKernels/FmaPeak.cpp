// Measures the single-core FP32 FMA peak: 12 independent 8-wide FMA chains hide the
// 4-cycle latency of Zen 3's two FMA pipes, so the loop is throughput-bound.
#include "EigenKernels.h"

#include <chrono>
#include <immintrin.h>

extern "C" double ek_fma_peak_gflops(double seconds) {
    constexpr int chains = 12;
    constexpr long inner = 1 << 16;
    __m256 acc[chains];
    for (int c = 0; c < chains; ++c) acc[c] = _mm256_set1_ps(1.0f + 0.001f * c);
    const __m256 mul = _mm256_set1_ps(0.999999f);
    const __m256 add = _mm256_set1_ps(1e-7f);
    long iterations = 0;
    const auto start = std::chrono::steady_clock::now();
    double elapsed = 0;
    do {
        for (long i = 0; i < inner; ++i) {
            for (int c = 0; c < chains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], mul, add);
        }
        iterations += inner;
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } while (elapsed < seconds);
    // Keep the result alive so that the loop is not removed.
    float sink[8];
    __m256 total = acc[0];
    for (int c = 1; c < chains; ++c) total = _mm256_add_ps(total, acc[c]);
    _mm256_storeu_ps(sink, total);
    volatile float keep = sink[0];
    (void)keep;
    const double flops = 2.0 * 8.0 * chains * static_cast<double>(iterations);
    return flops / elapsed * 1e-9;
}
