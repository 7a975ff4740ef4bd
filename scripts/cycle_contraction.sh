#!/usr/bin/env bash
# Where does a DDIB cycle lose its images? Encodes n test images of class A with A's model, decodes
# them with B's model (the translation y), encodes y again with B's model and decodes with A's (the
# cycle), then reports, as in README "DDIM's blur is discretisation error":
#   - the cycle PSNR, A's model alone (encode → decode) and B's reconstruction of y;
#   - how far B's inversion lands from the latent: |z' − z| / |z|;
#   - the gain of each decoder along that latent error, |D(z') − D(z)| / |z' − z|, beside the gain
#     along a random direction of the same length (seed 0): a gain far below the random one is a
#     direction the decoder contracts, and the information it carried is lost to B's inversion.
#
# Usage: scripts/cycle_contraction.sh MODEL_A MODEL_B CLASS_A OUT_DIR [STEPS] [N]
#   e.g. scripts/cycle_contraction.sh runs/full/models/class-9 runs/full/models/class-7 9 runs/cycle-9-7 20 100
# Heun at Karras steps (STEPS per half, default 20), N test images (default 100). Needs `monge`
# (or $MONGE) and python3 with numpy; the models must take 28 × 28 images (the full mode's).
set -euo pipefail
if [ $# -lt 4 ]; then
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
model_a=$1 model_b=$2 class_a=$3 out=$4 steps=${5:-20} n=${6:-100}
monge=${MONGE:-monge}
for m in "$model_a" "$model_b"; do
    [ -f "$m/config.json" ] || { echo "cycle_contraction: $m holds no model (no config.json)" >&2; exit 2; }
done
mkdir -p "$out"
sampler=(--sampler heun --steps "$steps" --spacing karras --quiet)
"$monge" data fashion --classes "$class_a" --split test --n "$n" --out "$out/x.npy" >&2
"$monge" encode "$model_a" "$out/x.npy" "${sampler[@]}" --out "$out/z.npy"            # z = E_A(x)
"$monge" decode "$model_a" "$out/z.npy" "${sampler[@]}" --out "$out/x_alone.npy"      # D_A(z)
"$monge" decode "$model_b" "$out/z.npy" "${sampler[@]}" --out "$out/y.npy"            # y = D_B(z)
"$monge" encode "$model_b" "$out/y.npy" "${sampler[@]}" --out "$out/z_back.npy"       # z' = E_B(y)
"$monge" decode "$model_b" "$out/z_back.npy" "${sampler[@]}" --out "$out/y_again.npy" # D_B(z')
"$monge" decode "$model_a" "$out/z_back.npy" "${sampler[@]}" --out "$out/x_cycle.npy" # D_A(z'): the cycle
python3 - "$out" <<'EOF'
import sys
import numpy as np
out = sys.argv[1]
rng = np.random.default_rng(0)
z = np.load(f"{out}/z.npy").astype(np.float64)
e = np.load(f"{out}/z_back.npy").astype(np.float64) - z
r = rng.standard_normal(z.shape)
r *= (np.linalg.norm(e, axis=1) / np.linalg.norm(r, axis=1))[:, None]
np.save(f"{out}/z_random.npy", (z + r).astype(np.float32))
EOF
"$monge" decode "$model_a" "$out/z_random.npy" "${sampler[@]}" --out "$out/x_random.npy"
"$monge" decode "$model_b" "$out/z_random.npy" "${sampler[@]}" --out "$out/y_random.npy"
python3 - "$out" <<'EOF'
import sys
import numpy as np
out = sys.argv[1]
load = lambda name: np.load(f"{out}/{name}.npy").astype(np.float64)
x, z, z_back = load("x"), load("z"), load("z_back")
x_alone, x_cycle, x_random = load("x_alone"), load("x_cycle"), load("x_random")
y, y_again, y_random = load("y"), load("y_again"), load("y_random")
psnr = lambda a, b: 10 * np.log10(4 / np.mean((a - b) ** 2))  # images in [-1, 1]: peak-to-peak 2
length = np.linalg.norm(z_back - z, axis=1)
gain = lambda a, b: np.median(np.linalg.norm(a - b, axis=1) / length)
print(f"cycle PSNR {psnr(x, x_cycle):.1f} dB; A's model alone {psnr(x, x_alone):.1f} dB; B reconstructs y at {psnr(y, y_again):.1f} dB")
print(f"B's inversion misses the latent by |z' - z| / |z| = {np.linalg.norm(z_back - z) / np.linalg.norm(z):.3f}")
print(f"gain along z' - z (median): B {gain(y_again, y):.4f}, A {gain(x_cycle, x_alone):.4f}")
print(f"gain along a random direction of the same length: B {gain(y_random, y):.3f}, A {gain(x_random, x_alone):.3f}")
side = int(round(x.shape[1] ** 0.5))  # one-channel square images
rows = ((x - x_cycle) ** 2).mean(0).reshape(side, side).sum(1)
print("cycle squared error by image row, per mille, top to bottom:", " ".join(str(int(round(v))) for v in 1000 * rows / rows.sum()))
EOF
