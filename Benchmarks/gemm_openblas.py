#!/usr/bin/env python3
"""OpenBLAS (numpy) SGEMM GFLOP/s on the diffusion MLP's shapes, one BLAS thread.

The peer column of `monge bench gemm`: same shapes, same op(A)/op(B) layouts, median of --reps
calls after warm-up. Prints one JSON object (shape list in the order of `monge bench gemm`).

Usage: python Benchmarks/gemm_openblas.py [--reps 20] [--threads 1] [--clock wall|cpu]
Needs numpy and threadpoolctl (e.g. /tmp/anchors/bin/python).
"""
import argparse
import json
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

# (label, m, k, n, transA, transB): op(A) is m×k, op(B) is k×n; A·B forward, Aᵀ·B weight
# gradient (Xᵀ·dY), A·Bᵀ input gradient (dY·Wᵀ), and the 1024³ square reference.
SHAPES = [
    ("A·B", 1024, 128, 128, False, False),
    ("A·B", 4096, 256, 256, False, False),
    ("Aᵀ·B", 128, 1024, 128, True, False),
    ("Aᵀ·B", 256, 4096, 256, True, False),
    ("A·Bᵀ", 1024, 128, 128, False, True),
    ("A·Bᵀ", 4096, 256, 256, False, True),
    ("A·B", 1024, 1024, 1024, False, False),
]


def median_seconds(fn, reps, clock, warm=3):
    for _ in range(warm):
        fn()
    times = []
    for _ in range(reps):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="wall: perf_counter; cpu: this thread's CPU time (robust on a shared "
                         "machine; valid with --threads 1, where OpenBLAS runs in the caller)")
    args = ap.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.thread_time
    rng = np.random.default_rng(1)
    results = []
    with threadpool_limits(limits=args.threads, user_api="blas"):
        for label, m, k, n, ta, tb in SHAPES:
            a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
            b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
            opa, opb = (a.T if ta else a), (b.T if tb else b)
            c = np.empty((m, n), np.float32)
            # Scale reps so that small shapes are timed over comparable wall time.
            reps = max(args.reps, int(args.reps * 2e9 / (2.0 * m * n * k * 50)))
            t = median_seconds(lambda: np.matmul(opa, opb, out=c), reps, clock)
            results.append({"op": label, "m": m, "k": k, "n": n, "trans_a": ta, "trans_b": tb,
                            "seconds": t, "gflops": 2.0 * m * n * k / t * 1e-9})
    blas = [{k: d.get(k) for k in ("internal_api", "version", "architecture")}
            for d in threadpool_info() if d.get("user_api") == "blas"]
    print(json.dumps({"kernel": "numpy-openblas-sgemm", "threads": args.threads, "clock": args.clock,
                      "numpy": np.__version__, "blas": blas, "shapes": results}))


if __name__ == "__main__":
    main()
