#!/usr/bin/env python3
"""The cost of calling Monge from Python: `monge.ot(x, y)` in-process against `monge ot X Y --json`
on the same anchor points (Benchmarks/write_ot_anchor_data.py: 25 Gaussians → scaled moons, seed 0),
alternating, `--reps` rounds; prints the medians and their ratios.

Columns: the CLI's `seconds` (its solve, without reading files or the certificate) and
`total_seconds` (the whole command: reading, solving, certificate, map), the process's wall time,
then for Python the wall time of the `monge.ot` call (array hand-over, solve, certificate, map,
copying the results out) and the library's own `seconds`; and the CPU time (user + system, all
threads) of the CLI process against that of the `monge.ot` call, which a shared machine's load
disturbs less than wall time. Ratios are medians of the per-round (paired) ratios.

Usage (repository root, after `make build`):
  .venv/bin/python Benchmarks/write_ot_anchor_data.py --out /tmp/monge-ot-anchor --ns 4096
  nice .venv/bin/python Benchmarks/python_ot_overhead.py --n 4096 --reps 5
"""
import argparse
import json
import resource
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np

import monge


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/tmp/monge-ot-anchor")
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--binary", default=str(Path(__file__).resolve().parents[1] / ".build" / "release" / "monge"))
    args = ap.parse_args()
    source, target = Path(args.data) / f"source_{args.n}.npy", Path(args.data) / f"target_{args.n}.npy"
    x, y = np.load(source), np.load(target)
    rows = {"cli_solve": [], "cli_total": [], "cli_process": [], "cli_cpu": [], "py_call": [], "py_solve": [], "py_cpu": []}

    def cpu(who):
        u = resource.getrusage(who)
        return u.ru_utime + u.ru_stime

    costs = set()
    monge.ot(x[:256], y[:256])  # load the library once before timing
    for _ in range(args.reps):
        c0, t0 = cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
        out = subprocess.run([args.binary, "ot", str(source), str(target), "--json", "--quiet"], capture_output=True, text=True, check=True)
        rows["cli_process"].append(time.perf_counter() - t0)
        rows["cli_cpu"].append(cpu(resource.RUSAGE_CHILDREN) - c0)
        summary = json.loads(out.stdout)
        rows["cli_solve"].append(summary["seconds"])
        rows["cli_total"].append(summary["total_seconds"])
        costs.add(summary["cost"])
        c0, t0 = cpu(resource.RUSAGE_SELF), time.perf_counter()
        r = monge.ot(x, y)
        rows["py_call"].append(time.perf_counter() - t0)
        rows["py_cpu"].append(cpu(resource.RUSAGE_SELF) - c0)
        rows["py_solve"].append(r.seconds)
        costs.add(r.cost)
    median = {k: statistics.median(v) for k, v in rows.items()}

    def paired(a, b):
        return statistics.median(p / q for p, q in zip(rows[a], rows[b]))

    print(json.dumps({"n": args.n, "reps": args.reps, "threads": monge.threads(), "same_cost": len(costs) == 1,
                      "median_seconds": median,
                      "py_call_over_cli_total": paired("py_call", "cli_total"),
                      "py_call_over_cli_solve": paired("py_call", "cli_solve"),
                      "py_solve_over_cli_solve": paired("py_solve", "cli_solve"),
                      "py_cpu_over_cli_cpu": paired("py_cpu", "cli_cpu"),
                      "all_seconds": rows}, indent=1))

if __name__ == "__main__":
    main()
