#!/usr/bin/env bash
# The scale-out test (issue 16): a tiny ddib-2d grid run whole, then as 4 shards on a real
# single-node Slurm cluster (job array + dependent merge) and through GNU parallel; each merge
# must equal the whole run (tables byte for byte apart from the timing columns bridge_s, ot_s, cycle_s).
# Fails — never skips — when the cluster cannot start. Stops every daemon it started.
#
#   scripts/slurm/test.sh [MONGE]     (make slurm-test builds, installs and runs it)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
monge=$(realpath "${1:-${MONGE_BINARY:-.build/release/monge}}")
work=$(mktemp -d /tmp/monge-slurm-test.XXXXXX)
cluster="$work/cluster"
cleanup() { "$here/cluster.sh" stop "$cluster" || true; }
trap cleanup EXIT
grid=(ddib-2d --quick --n 64 --training-steps 40 --training-points 512 --seeds 0,1
      --pairs moons:checkerboard,checkerboard:moons --cells ddim:4,heun:3,ddim:8 --oracle-cells ddim:4,heun:3)
start=$SECONDS

echo "slurm-test: the whole grid in one process" >&2
"$monge" reproduce "${grid[@]}" --out "$work/whole" --quiet > /dev/null 2> "$work/whole.log"

# Tables equal apart from their timing columns.
same_tables() {
    local a=$1 b=$2 status=0
    for f in seed_0/results.csv seed_1/results.csv seed_0/oracle_results.csv seed_1/oracle_results.csv \
             seed_0/cycle_results.csv results_seeds.csv oracle_results_seeds.csv cycle_results_seeds.csv results_seeds.md results_seeds.json; do
        if ! cmp -s <(python3 "$here/drop_timing.py" "$a/$f") <(python3 "$here/drop_timing.py" "$b/$f"); then
            echo "slurm-test: $f differs between $a and $b" >&2
            diff <(python3 "$here/drop_timing.py" "$a/$f") <(python3 "$here/drop_timing.py" "$b/$f") | head -5 >&2
            status=1
        fi
    done
    return $status
}

echo "slurm-test: starting a single-node Slurm cluster" >&2
eval "$("$here/cluster.sh" start "$cluster")"
echo "slurm-test: cluster up after $((SECONDS - start)) s; 4-shard job array + merge" >&2
MONGE="$monge" "$here/submit.sh" --wait 4 "$work/slurm" "${grid[@]}"
for k in 0 1 2 3; do
    grep -q "shard $((k + 1))/4 wrote" "$work/slurm/slurm-shard-$k.log" || { echo "slurm-test: shard $((k + 1)) did not finish:" >&2; cat "$work/slurm/slurm-shard-$k.log" >&2; exit 1; }
done
same_tables "$work/whole" "$work/slurm"
echo "slurm-test: Slurm merge equals the whole run" >&2

echo "slurm-test: the same grid through GNU parallel" >&2
parallel --halt now,fail=1 -j 2 "$monge" reproduce "${grid[@]}" --out "$work/parallel" --shard {}/4 --quiet ::: 1 2 3 4 2> "$work/parallel.log"
"$monge" merge "$work/parallel" "$work"/parallel/shard-*-of-4 > /dev/null
same_tables "$work/whole" "$work/parallel"
echo "slurm-test: GNU parallel merge equals the whole run" >&2

cleanup
trap - EXIT
if pgrep -F "$cluster/slurmctld.pid" >/dev/null 2>&1; then echo "slurm-test: slurmctld still running" >&2; exit 1; fi
rm -rf "$work"
echo "slurm-test: passed in $((SECONDS - start)) s" >&2
