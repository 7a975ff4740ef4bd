// Private to EigenKernels: which instruction set the float GEMM kernels run on (see
// KernelDispatch.cpp). The AVX-512 kernels compute every element of C by the same operation
// sequence as the AVX2 ones, so the choice changes speed, never bits.
#ifndef MONGE_KERNEL_DISPATCH_HPP
#define MONGE_KERNEL_DISPATCH_HPP

/// The features the AVX-512 kernels are compiled for (Skylake-SP and later, Zen 4 and later).
#define MONGE_AVX512_TARGET __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw")))

namespace monge {

/// True when the CPU has AVX-512 F/VL/DQ/BW and the OS saves the zmm and mask registers.
bool avx512Supported();

/// True when the kernels take their AVX-512 path: supported, and not turned off by the
/// environment variable MONGE_KERNELS=avx2. Decided once per process (the first call).
bool avx512Selected();

}  // namespace monge

#endif
