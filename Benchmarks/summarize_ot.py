#!/usr/bin/env python3
"""Summarise Benchmarks/run_ot_comparison.sh: per n, the median over rounds of each tool's
median time, the ratios to POT ot.emd and SciPy linear_sum_assignment, and the agreement of the
exact costs with POT's emd2 (relative). Prints a Markdown table.

Usage: python summarize_ot.py OUT_FOLDER
"""
import glob
import json
import os
import statistics
import sys


def main():
    out = sys.argv[1]
    monge = {}
    with open(os.path.join(out, "monge.jsonl")) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            monge.setdefault((r["n"], r["solver"]), []).append(r)
    pot = {}
    for path in sorted(glob.glob(os.path.join(out, "pot_*.json"))):
        for r in json.load(open(path)):
            pot.setdefault(r["n"], []).append(r)
    solvers = sorted({s for (_, s) in monge})
    header = ["n", "POT emd s", "SciPy LSA s"]
    for s in solvers:
        header += [f"Monge {s} s", f"emd / {s}", f"LSA / {s}"]
    header += ["emd2 (POT)", "max rel. cost diff", "certificates"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for n in sorted(pot):
        t_emd = statistics.median(r["t_emd"] for r in pot[n])
        t_lsa = statistics.median(r["t_lsa"] for r in pot[n])
        emd2 = pot[n][0]["emd2"]
        row = [str(n), f"{t_emd:.4f}", f"{t_lsa:.4f}"]
        diffs, certs = [], []
        for s in solvers:
            rs = monge.get((n, s), [])
            if not rs:
                row += ["–", "–", "–"]
                continue
            t = statistics.median(r["median_seconds"] for r in rs)
            row += [f"{t:.4f}", f"{t_emd / t:.1f}×", f"{t_lsa / t:.1f}×"]
            diffs += [abs(r["cost"] - emd2) / emd2 for r in rs]
            certs += [r.get("certificate_holds", False) for r in rs]
        row += [f"{emd2:.12g}", f"{max(diffs):.1e}" if diffs else "–", "all hold" if all(certs) else "FAIL"]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
