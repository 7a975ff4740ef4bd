#!/bin/sh
# EGSDE vs SDEdit in 2-D: moons -> 8 Gaussians, with the exact 8-Gaussians oracle as model B (so
# that only the guidance, not a learned score, is measured) and a classifier trained by
# `monge classifier`. 1000 source points, M = T/2, 100 DDPM steps; each map measured by
# `monge compare` (exact OT on the same points). Usage: Benchmarks/egsde_2d.sh [WORKDIR]
# (MONGE=path/to/monge to choose the binary). Takes about a minute on one core.
set -eu
MONGE=${MONGE:-monge}
WORK=${1:-$(mktemp -d)}
mkdir -p "$WORK" && cd "$WORK"
$MONGE data moons --n 1000 --seed 1 --out x.npy > /dev/null 2>&1
$MONGE data gaussians8 --n 1000 --seed 2 --out t1.npy > /dev/null 2>&1
$MONGE data gaussians8 --n 1000 --seed 3 --out t2.npy > /dev/null 2>&1
$MONGE classifier data:moons data:gaussians8 --data-points 10000 --data-seed 7 --steps 3000 --out cls --quiet
echo "| λ_s | λ_i | cost c(T) | optimality gap | Monge dev. mean | realism W2 | floor W2 |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for pair in "0 0" "0 0.5" "0 2" "5 0" "20 0" "100 0" "500 0" "500 2"; do
  set -- $pair
  $MONGE egsde oracle:gaussians8 x.npy --classifier cls --out "y_$1_$2.npy" --steps 100 --lambda-s "$1" --lambda-i "$2" \
    --seed 11 --quiet > /dev/null
  $MONGE compare x.npy "y_$1_$2.npy" t1.npy --second-target t2.npy --json 2> /dev/null | python3 -c "
import json, sys
r = json.load(sys.stdin)
print('| $1 | $2 | %.3f | %.3f | %.3f | %.3f | %.4f |' % (r['transportCost'], r['optimalityGap'], r['mongeDeviationMean'],
      r['realismW2'], r['samplingFloorW2']))"
done
