#!/usr/bin/env python3
"""One-thread throughput of the implicit-GEMM 3×3 convolution kernels (BENCHMARKS.md, "Implicit-GEMM
convolutions"): `ek_sconv3x3_forward` and `ek_sconv3x3_weight_gradient` on the U-Net's shapes, called
through ctypes from libMongeC (so the small images include Python's call overhead).

    swift build -c release --product MongeC
    python3 Benchmarks/conv_kernels.py [.build/release/libMongeC.so] [--seconds S]

Needs numpy and a CPU with AVX-512 (the kernels decline elsewhere, and this script says so).
"""
import argparse
import ctypes
import sys
import time

import numpy as np

SHAPES = [(28, 16, 16), (28, 32, 32), (14, 32, 32), (14, 64, 64), (7, 64, 64), (28, 48, 16), (28, 96, 32)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", nargs="?", default=".build/release/libMongeC.so")
    parser.add_argument("--seconds", type=float, default=0.5, help="timed seconds per kernel and shape")
    parser.add_argument("--images", type=int, default=8)
    args = parser.parse_args()
    try:
        lib = ctypes.CDLL(args.library)
    except OSError as error:
        sys.exit(f"conv_kernels.py: cannot load {args.library}: {error} (build it: swift build -c release --product MongeC)")
    f32 = ctypes.POINTER(ctypes.c_float)
    i64 = ctypes.c_int64
    lib.ek_sconv3x3_forward.restype = ctypes.c_int
    lib.ek_sconv3x3_weight_gradient.restype = ctypes.c_int
    lib.ek_spacked_weights_count.restype = ctypes.c_int64
    lib.ek_fma_peak_gflops.restype = ctypes.c_double
    lib.ek_fma_peak_gflops.argtypes = [ctypes.c_double]

    def ptr(a):
        return a.ctypes.data_as(f32)

    peak = max(lib.ek_fma_peak_gflops(0.3) for _ in range(3))  # the best of three: other load only lowers it
    print(f"FMA peak, one thread: {peak:.1f} GFLOP/s (a busy machine lowers it and every rate below)")
    rng = np.random.default_rng(0)
    n_img = args.images
    for h, c, n in SHAPES:
        x = rng.standard_normal((n_img, h, h, c)).astype(np.float32)
        dy = rng.standard_normal((n_img, h, h, n)).astype(np.float32)
        w = rng.standard_normal((9 * c, n)).astype(np.float32)
        packed = np.zeros(lib.ek_spacked_weights_count(i64(9 * c), i64(n)), np.float32)
        lib.ek_spack_weights(i64(9 * c), i64(n), ptr(w), i64(n), 0, ptr(packed))
        y = np.zeros((n_img, h, h, n), np.float32)
        dwt = np.zeros((n, 9 * c), np.float32)
        flops = 2 * n_img * h * h * 9 * c * n

        def forward():
            done = 1
            for i in range(n_img):
                done &= lib.ek_sconv3x3_forward(i64(h), i64(h), i64(c), ptr(x[i]), 0, i64(n), ptr(packed), None, 0, ptr(y[i]))
            return done

        def weight_gradient():
            return lib.ek_sconv3x3_weight_gradient(i64(n_img), i64(h), i64(h), i64(c), ptr(x), 0, i64(n), ptr(dy),
                                                   ctypes.c_float(0), ptr(dwt))

        rates = []
        for kernel in (forward, weight_gradient):
            if not kernel():
                sys.exit("conv_kernels.py: the implicit kernels declined (no AVX-512, or MONGE_KERNELS=avx2)")
            best, start = float("inf"), time.perf_counter()
            while time.perf_counter() - start < args.seconds:
                t = time.perf_counter()
                kernel()
                best = min(best, time.perf_counter() - t)
            rates.append(flops / best / 1e9)
        print(f"{h:2d}×{h:<2d} c {c:3d} → n {n:3d}: forward {rates[0]:6.1f} GFLOP/s ({rates[0] / peak:4.0%}), "
              f"weight gradient {rates[1]:6.1f} GFLOP/s ({rates[1] / peak:4.0%})")


if __name__ == "__main__":
    main()
