// Run-time choice between the AVX2 and AVX-512 kernels (KernelDispatch.hpp), made once per
// process from CPUID and XGETBV (Intel SDM vol. 1, §15.2: AVX-512 state enabled by the OS),
// without compiler-rt's __builtin_cpu_supports so that nothing extra needs linking.
#include "KernelDispatch.hpp"
#include "GemmVariants.h"

#include <cpuid.h>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

/// XCR0, the OS-enabled register state (valid only when CPUID reports OSXSAVE).
uint64_t extendedControlRegister0() {
    uint32_t low = 0, high = 0;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return (uint64_t(high) << 32) | low;
}

bool detectAvx512() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
    const bool osxsave = (ecx & (1u << 27)) != 0;
    if (!osxsave) return false;
    // XCR0 bits 1, 2 (SSE, AVX), 5, 6, 7 (opmask, upper halves of zmm0–15, zmm16–31).
    constexpr uint64_t zmmState = (1u << 1) | (1u << 2) | (1u << 5) | (1u << 6) | (1u << 7);
    if ((extendedControlRegister0() & zmmState) != zmmState) return false;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
    constexpr unsigned f = 1u << 16, dq = 1u << 17, bw = 1u << 30, vl = 1u << 31;
    return (ebx & (f | dq | bw | vl)) == (f | dq | bw | vl);
}

bool forcedToAvx2() {
    const char *value = std::getenv("MONGE_KERNELS");
    return value != nullptr && std::strcmp(value, "avx2") == 0;
}

}  // namespace

namespace monge {

bool avx512Supported() {
    static const bool supported = detectAvx512();
    return supported;
}

bool avx512Selected() {
    static const bool selected = avx512Supported() && !forcedToAvx2();
    return selected;
}

}  // namespace monge

extern "C" int ek_kernels_avx512_supported(void) { return monge::avx512Supported() ? 1 : 0; }

extern "C" const char *ek_kernels_isa(void) { return monge::avx512Selected() ? "avx512" : "avx2"; }
