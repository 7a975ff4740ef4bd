#!/usr/bin/env python3
"""Mean and 95 % Student-t interval of `reproduce ddib-images` rows over several runs.

Each run folder is one training seed (`--training-seed S --out DIR`); a row is identified by
(pair, cell, seed). Prints one Markdown row per (pair, cell) with mean ± half-width of the 95 %
t-interval, t_{0.975, n-1}·s/√n, and the per-run values in brackets.

    scripts/seed_summary.py runs/ts0 runs/ts1 runs/ts2 --cells ddib_ddim,ddib_heun

Standard library only.
"""
import argparse
import csv
import math
import os
import statistics
import sys

# t_{0.975, df} for df = 1 … 30 (beyond: the normal quantile 1.96 is within 2 %).
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
METRICS = ["target_accuracy", "frechet", "l2", "transport_cost", "optimality_gap", "cycle_psnr"]


def interval(values):
    """(mean, half-width) of the 95 % t-interval; half-width NaN for one value."""
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, math.nan
    df = len(values) - 1
    t = T975[df - 1] if df <= len(T975) else 1.96
    return mean, t * statistics.stdev(values) / math.sqrt(len(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", help="run folders holding results.csv (one per training seed)")
    parser.add_argument("--cells", default=None, help="comma-separated cells to keep (default: all)")
    parser.add_argument("--metrics", default=",".join(METRICS), help="comma-separated columns")
    args = parser.parse_args()
    metrics = args.metrics.split(",")
    keep = set(args.cells.split(",")) if args.cells else None
    values = {}  # (pair, cell, seed) -> metric -> [value per run]
    for run in args.runs:
        path = os.path.join(run, "results.csv")
        try:
            with open(path, newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
        except OSError as error:
            sys.exit(f"seed_summary: cannot read {path}: {error.strerror}")
        if not rows or any(m not in rows[0] for m in metrics + ["pair", "cell", "seed"]):
            sys.exit(f"seed_summary: {path} is not a ddib-images results.csv with columns {', '.join(metrics)}")
        for row in rows:
            if keep is not None and row["cell"] not in keep:
                continue
            key = (row["pair"], row["cell"], row["seed"])
            for metric in metrics:
                try:
                    value = float(row[metric])
                except ValueError:
                    sys.exit(f"seed_summary: {path}, row {key}, column {metric}: expected a number, got {row[metric]!r}")
                values.setdefault(key, {}).setdefault(metric, []).append(value)
    if not values:
        sys.exit("seed_summary: no rows (check --cells)")
    print("| pair | cell | runs | " + " | ".join(metrics) + " |")
    print("|---|---|---:|" + "---|" * len(metrics))
    for (pair, cell, seed), columns in values.items():
        cells = []
        for metric in metrics:
            v = columns[metric]
            mean, half = interval(v)
            spread = " ".join(f"{x:.3g}" for x in v)
            cells.append(f"{mean:.4g} ± {half:.2g} [{spread}]")
        n = len(columns[metrics[0]])
        if n != len(args.runs):
            print(f"seed_summary: {pair} {cell} seed {seed} is in {n} of {len(args.runs)} runs", file=sys.stderr)
        print(f"| {pair} | {cell} | {n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
