#!/usr/bin/env bash
# Exact OT: Monge against POT ot.emd and SciPy linear_sum_assignment on the same points, in one
# session, alternating (the machine is noisy: compare within a run). Writes the raw results to
# $OUT and prints the Markdown table of Benchmarks/summarize_ot.py.
#
# Usage: Benchmarks/run_ot_comparison.sh [rounds]      (from the repository root, after
#        `swift build -c release --product monge`; needs the anchors venv, see Benchmarks/anchors/README.md)
set -euo pipefail
ROUNDS=${1:-2}
ANCHORS=${ANCHORS:-Benchmarks/anchors}
PY=${PY:-/tmp/anchors/bin/python}
MONGE=${MONGE:-.build/release/monge}
OUT=${OUT:-/tmp/monge-ot-bench}
NS=${NS:-"256 1024 4096"}
SOLVERS=${SOLVERS:-simplex,assignment}
mkdir -p "$OUT"
rm -f "$OUT"/monge.jsonl "$OUT"/pot_*.json
"$PY" Benchmarks/write_ot_anchor_data.py --anchors "$ANCHORS" --out "$OUT/data" --ns $NS >/dev/null
for r in $(seq "$ROUNDS"); do
  echo "round $r: monge" >&2
  "$MONGE" bench ot --source "$OUT/data/source_{n}.npy" --target "$OUT/data/target_{n}.npy" \
    --ns "$(echo $NS | tr ' ' ',')" --solvers "$SOLVERS" --reps 3 --json >> "$OUT/monge.jsonl"
  echo "round $r: POT / SciPy" >&2
  # --sinklog-torch-max-n 0: the anchors venv has no torch (POT alone is timed).
  POT_BACKEND_DISABLE_PYTORCH=1 "$PY" "$ANCHORS/bench_ot.py" --ns $NS --reps 3 --sinklog-torch-max-n 0 \
    --json "$OUT/pot_$r.json" > "$OUT/pot_$r.log"
done
"$PY" Benchmarks/summarize_ot.py "$OUT"
