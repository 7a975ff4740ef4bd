#!/usr/bin/env bash
# Queue a sharded Monge reproduction on Slurm: an N-task job array, then `monge merge` once every
# shard has succeeded (afterok).
#
#   scripts/slurm/submit.sh [--wait] N OUT EXPERIMENT [OPTIONS…]
#   scripts/slurm/submit.sh 8 runs/grid ddib-2d --quick --seeds 0-4
#
# Prints the two job ids. With --wait, returns when the merge has finished, with its status.
# MONGE names the binary (default: `monge` on PATH); extra sbatch options go in SBATCH_OPTIONS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
wait_flag=()
if [[ "${1:-}" == "--wait" ]]; then wait_flag=(--wait); shift; fi
if [[ $# -lt 3 ]] || ! [[ "$1" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [--wait] N OUT EXPERIMENT [OPTIONS…]  (N shards, a whole number ≥ 1)" >&2
    exit 2
fi
n=$1 out=$2
shift 2
mkdir -p "$out"
monge=${MONGE:-$(command -v monge || true)}
if [[ -z "$monge" ]]; then echo "submit.sh: set MONGE to the monge binary" >&2; exit 2; fi
monge=$(cd "$(dirname "$monge")" && pwd)/$(basename "$monge")
shards=$(sbatch --parsable --array=0-$((n - 1)) --chdir="$PWD" --output="$out/slurm-shard-%a.log" \
    --export=ALL,MONGE="$monge" ${SBATCH_OPTIONS:-} "$here/reproduce.sbatch" "$out" "$@")
shards=${shards%%;*}
shard_dirs=$(for k in $(seq 1 "$n"); do printf ' %q' "$out/shard-$k-of-$n"; done)
merge=$(sbatch --parsable --dependency=afterok:"$shards" --kill-on-invalid-dep=yes --job-name=monge-merge --chdir="$PWD" \
    --output="$out/slurm-merge.log" ${SBATCH_OPTIONS:-} "${wait_flag[@]}" \
    --wrap="$(printf '%q' "$monge") merge $(printf '%q' "$out")$shard_dirs")
echo "shards: job $shards (array 0-$((n - 1))), merge: job ${merge%%;*}"
