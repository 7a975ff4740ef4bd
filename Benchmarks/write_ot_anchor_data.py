#!/usr/bin/env python3
"""Write the exact-OT anchor data of Benchmarks/anchors/common.py as .npy files, so that
`monge bench ot --source DIR/source_{n}.npy --target DIR/target_{n}.npy` and bench_ot.py time
the same points (25 Gaussians -> scaled two moons, seed 0, float64).

Usage: python write_ot_anchor_data.py --anchors Benchmarks/anchors --out /tmp/monge-ot-anchor --ns 256 1024 4096
Needs numpy and scikit-learn (the anchors venv). Prints one line per file.
"""
import argparse
import os
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--anchors", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "anchors"),
                    help="folder holding common.py")
    ap.add_argument("--out", default="/tmp/monge-ot-anchor")
    ap.add_argument("--ns", type=int, nargs="+", default=[256, 1024, 2048, 4096])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(args.anchors))
    from common import gaussians25, moons  # noqa: E402

    os.makedirs(args.out, exist_ok=True)
    for n in args.ns:
        for name, points in (("source", gaussians25(n, args.seed)), ("target", moons(n, args.seed))):
            path = os.path.join(args.out, f"{name}_{n}.npy")
            np.save(path, np.ascontiguousarray(points, dtype=np.float64))
            print(path)


if __name__ == "__main__":
    main()
