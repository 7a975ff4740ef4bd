#!/bin/sh
# The EGSDE sweep of issue 12 in 2-D: moons -> 8 Gaussians with the exact 8-Gaussians oracle as
# model B (only the guidance differs, not a learned score), the classifier of `monge classifier`,
# 1000 source points, 100 DDPM steps, several seeds (noise streams) per setting:
#   M in {0.3, 0.4, 0.5}·T, lambda_s in {0, 0.5, 1, 2, 5, 10} at lambda_i = 0 (lambda_s = 0 is SDEdit),
#   then lambda_i in {0.5, 2} at lambda_s = 0 and at the lambda_s with the lowest mean realism W2 of each M.
# Each setting is `monge egsde --seeds` (per-seed metrics, mean and 95 % Student-t interval); DDIB
# (Heun, 100 steps, deterministic: no seed) is measured by `monge compare --modes`. Writes
# WORKDIR/sweep.{csv,md} and WORKDIR/egsde_sweep.png (realism W2 against the transport cost c(T),
# error bars = 95 % t-intervals over seeds).
# Usage: Benchmarks/egsde_sweep.sh [WORKDIR]; MONGE=path/to/monge, SEEDS (default 11-20),
# VARIANCE (beta-tilde, the default, or beta), PYTHON (default python3; the standard library only).
set -eu
MONGE=${MONGE:-monge}
case $MONGE in */*) MONGE=$(cd "$(dirname "$MONGE")" && pwd)/$(basename "$MONGE") ;; esac
PYTHON=${PYTHON:-python3}
SEEDS=${SEEDS:-11-20}
VARIANCE=${VARIANCE:-beta-tilde}
WORK=${1:-$(mktemp -d)}
mkdir -p "$WORK" && cd "$WORK"
started=$(date +%s)
$MONGE data moons --n 1000 --seed 1 --out x.npy > /dev/null 2>&1
$MONGE data gaussians8 --n 1000 --seed 2 --out t1.npy > /dev/null 2>&1
$MONGE data gaussians8 --n 1000 --seed 3 --out t2.npy > /dev/null 2>&1
[ -f cls/classifier.json ] || $MONGE classifier data:moons data:gaussians8 --data-points 10000 --data-seed 7 --steps 3000 --out cls --quiet > /dev/null
$MONGE data moons --n 2000 --seed 7 --out a.npy > /dev/null 2>&1

run() {  # run M LAMBDA_S LAMBDA_I: one setting over all seeds, into runs/m<M>_s<λs>_i<λi>
  dir="runs/m$1_s$2_i$3"
  if [ ! -f "$dir/summary.csv" ]; then
    $MONGE egsde oracle:gaussians8 x.npy --classifier cls --out "$dir" --steps 100 --m "$1" --lambda-s "$2" --lambda-i "$3" \
      --variance "$VARIANCE" --seeds "$SEEDS" --target t1.npy --second-target t2.npy --quiet > /dev/null
  fi
  echo "egsde_sweep: M = $1·T, λ_s = $2, λ_i = $3 done ($(( $(date +%s) - started )) s)" >&2
}

for m in 0.3 0.4 0.5; do
  for s in 0 0.5 1 2 5 10; do run "$m" "$s" 0; done
  # The lambda_s > 0 with the lowest mean realism W2 at this M.
  best=$($PYTHON -c "
import csv, sys
best = min(('0.5', '1', '2', '5', '10'), key=lambda s: next(float(r['mean']) for r in csv.DictReader(open('runs/m$m' + '_s' + s + '_i0/summary.csv')) if r['metric'] == 'realism_w2'))
print(best)")
  for s in 0 "$best"; do
    for i in 0.5 2; do run "$m" "$s" "$i"; done
  done
done

$MONGE translate --from oracle:empirical:a.npy --to oracle:gaussians8 x.npy --steps 100 --sampler heun --out ddib.npy --quiet > /dev/null
$MONGE compare x.npy ddib.npy t1.npy --second-target t2.npy --modes oracle:gaussians8 --json 2> /dev/null > ddib.json

# The table (sweep.csv, sweep.md) and the figure's point files, one per group.
$PYTHON - "$SEEDS" "$VARIANCE" <<'EOF'
import csv, glob, json, os, re, sys
seeds, variance = sys.argv[1], sys.argv[2]
metrics = ['transport_cost', 'optimality_gap', 'realism_w2', 'on_mode_precision', 'mode_balance_kl', 'floor_w2']
rows = []
for path in glob.glob('runs/m*_s*_i*/summary.csv'):
    m, s, i = re.fullmatch(r'm(.+)_s(.+)_i(.+)', os.path.basename(os.path.dirname(path))).groups()
    summary = {r['metric']: r for r in csv.DictReader(open(path))}
    row = {'method': 'SDEdit' if float(s) == 0 and float(i) == 0 else 'EGSDE', 'M': float(m), 'lambda_s': float(s),
           'lambda_i': float(i), 'seeds': int(summary['transport_cost']['seeds'])}
    for k in metrics:
        r = summary.get(k)
        row[k] = float(r['mean']) if r else float('nan')
        row[k + '_low'] = float(r['ci95_low']) if r and r['ci95_low'] else float('nan')
        row[k + '_high'] = float(r['ci95_high']) if r and r['ci95_high'] else float('nan')
    # Paired with SDEdit at the same M over the same seeds (noise streams): mean difference of
    # realism W2 and the number of seeds in which it is lower.
    def per_seed(folder):
        return {r['seed']: float(r['realism_w2']) for r in csv.DictReader(open(folder + '/per_seed.csv'))}
    mine, base = per_seed(os.path.dirname(path)), per_seed(f'runs/m{m}_s0_i0')
    diffs = [mine[k] - base[k] for k in mine if k in base]
    row['paired'] = '–' if float(s) == 0 and float(i) == 0 else f'{sum(diffs) / len(diffs):+.3f} ({sum(d < 0 for d in diffs)}/{len(diffs)})'
    rows.append(row)
rows.sort(key=lambda r: (r['M'], r['lambda_i'], r['lambda_s']))
d = json.load(open('ddib.json'))
ddib = {'method': 'DDIB', 'M': float('nan'), 'lambda_s': float('nan'), 'lambda_i': float('nan'), 'seeds': 1, 'paired': '–'}
for k, v in [('transport_cost', d['transport_cost']), ('optimality_gap', d['optimality_gap']), ('realism_w2', d['realism_w2']),
             ('on_mode_precision', d['on_mode_precision']), ('mode_balance_kl', d['mode_balance_kl']), ('floor_w2', d['sampling_floor_w2'])]:
    ddib[k] = ddib[k + '_low'] = ddib[k + '_high'] = v
rows.append(ddib)
columns = ['method', 'M', 'lambda_s', 'lambda_i', 'seeds'] + [k + suffix for k in metrics for suffix in ('', '_low', '_high')]
with open('sweep.csv.tmp', 'w') as f:
    f.write(','.join(columns) + '\n')
    for r in rows:
        f.write(','.join('' if isinstance(r[c], float) and r[c] != r[c] else str(r[c]) for c in columns) + '\n')
os.replace('sweep.csv.tmp', 'sweep.csv')

def cell(r, k, digits):
    mean, low, high = r[k], r[k + '_low'], r[k + '_high']
    if mean != mean: return '–'
    if r['seeds'] == 1: return f'{mean:.{digits}f}'
    return f'{mean:.{digits}f} ± {(high - low) / 2:.{digits}f}'
lines = [f'Seeds {seeds} (n = {rows[0]["seeds"]}), variance {variance}; mean ± half-width of the 95 % Student-t interval over seeds. '
         f'DDIB is deterministic (one value). Floor W2(B′, B) = {ddib["floor_w2"]:.4f}.', '',
         'ΔW2: realism W2 minus SDEdit\'s at the same M, paired by seed: mean (seeds in which it is lower).', '',
         '| method | M/T | λ_s | λ_i | cost c(T) | optimality gap | realism W2 | ΔW2 vs SDEdit | on-mode precision | mode balance KL |',
         '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
for r in rows:
    f = lambda x: '–' if x != x else f'{x:g}'
    lines.append(f'| {r["method"]} | {f(r["M"])} | {f(r["lambda_s"])} | {f(r["lambda_i"])} | {cell(r, "transport_cost", 3)} | '
                 f'{cell(r, "optimality_gap", 3)} | {cell(r, "realism_w2", 3)} | {r["paired"]} | {cell(r, "on_mode_precision", 3)} | {cell(r, "mode_balance_kl", 3)} |')
with open('sweep.md.tmp', 'w') as f: f.write('\n'.join(lines) + '\n')
os.replace('sweep.md.tmp', 'sweep.md')

# Figure groups: SDEdit, EGSDE per M, DDIB; columns x, x low, x high, y, y low, y high.
groups = {'sdedit': [r for r in rows if r['method'] == 'SDEdit'], 'ddib': [ddib]}
for m in (0.3, 0.4, 0.5):
    groups[f'egsde_{m}'] = [r for r in rows if r['method'] == 'EGSDE' and r['M'] == m]
os.makedirs('figure', exist_ok=True)
for name, members in groups.items():
    with open(f'figure/{name}.csv', 'w') as f:
        for r in members:
            f.write(','.join(str(r[k]) for k in ('transport_cost', 'transport_cost_low', 'transport_cost_high',
                                                 'realism_w2', 'realism_w2_low', 'realism_w2_high')) + '\n')
EOF
$MONGE plot intervals figure/egsde_0.3.csv figure/egsde_0.4.csv figure/egsde_0.5.csv figure/sdedit.csv figure/ddib.csv \
  --label "EGSDE, M = 0.3·T" --label "EGSDE, M = 0.4·T" --label "EGSDE, M = 0.5·T" --label "SDEdit (M = 0.3, 0.4, 0.5·T)" \
  --label "DDIB (Heun, 100 steps)" --x-label "transport cost c(T) = mean ‖T(x) − x‖²" --y-label "realism W2(T#A, B)" \
  --title "moons → 8 Gaussians: mean ± 95 % t-interval over seeds $SEEDS" --out egsde_sweep.png 2> /dev/null
cat sweep.md
echo "egsde_sweep: $(( $(date +%s) - started )) s; tables and figure in $WORK" >&2
