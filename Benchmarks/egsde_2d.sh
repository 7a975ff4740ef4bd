#!/bin/sh
# EGSDE vs SDEdit in 2-D: moons -> 8 Gaussians, with the exact 8-Gaussians oracle as model B (so
# that only the guidance, not a learned score, is measured) and a classifier trained by
# `monge classifier`. 1000 source points, M = T/2, 100 DDPM steps; each map measured by
# `monge compare` (exact OT on the same points); the last row is DDIB on the same points, with an
# empirical oracle of 2000 other moons points as model A (Heun, 100 steps). Usage: Benchmarks/egsde_2d.sh [WORKDIR]
# (MONGE=path/to/monge to choose the binary). Takes about a minute on one core.
set -eu
MONGE=${MONGE:-monge}
case $MONGE in */*) MONGE=$(cd "$(dirname "$MONGE")" && pwd)/$(basename "$MONGE") ;; esac
WORK=${1:-$(mktemp -d)}
mkdir -p "$WORK" && cd "$WORK"
$MONGE data moons --n 1000 --seed 1 --out x.npy > /dev/null 2>&1
$MONGE data gaussians8 --n 1000 --seed 2 --out t1.npy > /dev/null 2>&1
$MONGE data gaussians8 --n 1000 --seed 3 --out t2.npy > /dev/null 2>&1
$MONGE classifier data:moons data:gaussians8 --data-points 10000 --data-seed 7 --steps 3000 --out cls --quiet
$MONGE data moons --n 2000 --seed 7 --out a.npy > /dev/null 2>&1
measure() {  # measure LABEL MAPPED
  $MONGE compare x.npy "$2" t1.npy --second-target t2.npy --json 2> /dev/null | python3 -c "
import json, sys
r = json.load(sys.stdin)
print('| $1 | %.3f | %.3f | %.3f | %.3f | %.4f |' % (r['transport_cost'], r['optimality_gap'], r['monge_deviation_mean'],
      r['realism_w2'], r['sampling_floor_w2']))"
}
echo "| map | cost c(T) | optimality gap | Monge dev. mean | realism W2 | floor W2 |"
echo "|---|---:|---:|---:|---:|---:|"
for pair in "0 0" "0 0.5" "0 2" "5 0" "20 0" "100 0" "500 0" "500 2"; do
  set -- $pair
  $MONGE egsde oracle:gaussians8 x.npy --classifier cls --out "y_$1_$2.npy" --steps 100 --lambda-s "$1" --lambda-i "$2" \
    --seed 11 --quiet > /dev/null
  if [ "$1" = 0 ] && [ "$2" = 0 ]; then label="SDEdit (λ_s = λ_i = 0)"; else label="EGSDE λ_s = $1, λ_i = $2"; fi
  measure "$label" "y_$1_$2.npy"
done
$MONGE translate --from oracle:empirical:a.npy --to oracle:gaussians8 x.npy --steps 100 --sampler heun --out ddib.npy --quiet > /dev/null
measure "DDIB (Heun, 100 steps)" ddib.npy
