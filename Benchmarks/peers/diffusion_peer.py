#!/usr/bin/env python3
"""PyTorch side of `monge bench mlp --python …`: times the anchor model of
Benchmarks/anchors/bench_diffusion.py on request, so that Monge and PyTorch alternate rep by rep
on a shared, noisy machine.

Protocol (one command per line on stdin, one reply per line on stdout):
  train W B STEPS        -> seconds for STEPS training steps (model W, batch B; first use warms up 50 steps)
  ddim W N STEPS INVERT  -> seconds for one DDIM pass (INVERT 0: sample from noise, 1: encode moons)
  quit
The model, schedule, data, training step and DDIM loop are bench_diffusion.py's (imported from
--anchors); only the loop around them is here.
"""
import argparse
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--anchors", required=True, help="folder holding bench_diffusion.py and common.py")
ap.add_argument("--threads", type=int, default=2)
args = ap.parse_args()
sys.path.insert(0, args.anchors)

import torch  # noqa: E402
import bench_diffusion as anchor  # noqa: E402
from common import moons  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(0)
ab = anchor.schedule()
pool = torch.from_numpy(moons(100_000, 0)).float()
models = {}
trainers = {}


def model(width):
    if width not in models:
        models[width] = anchor.EpsMLP(width, "silu")
    return models[width]


def trainer(width, batch):
    key = (width, batch)
    if key not in trainers:
        net = model(width)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        g = torch.Generator().manual_seed(0)

        def step():  # bench_diffusion.bench_train's step
            idx = torch.randint(0, pool.shape[0], (batch,), generator=g)
            x0 = pool[idx]
            t = torch.randint(0, anchor.T, (batch,), generator=g)
            eps = torch.randn(batch, 2, generator=g)
            a = ab[t][:, None]
            xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
            loss = torch.mean((net(xt, t) - eps) ** 2)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss

        for _ in range(50):
            step()
        trainers[key] = step
    return trainers[key]


print(f"ready torch {torch.__version__} threads={torch.get_num_threads()}", flush=True)
for line in sys.stdin:
    words = line.split()
    if not words or words[0] == "quit":
        break
    if words[0] == "train":
        width, batch, steps = map(int, words[1:4])
        step = trainer(width, batch)
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        print(time.perf_counter() - t0, flush=True)
    elif words[0] == "ddim":
        width, n, nsteps, invert = map(int, words[1:5])
        x = torch.from_numpy(moons(n, 1)).float() if invert else torch.randn(n, 2, generator=torch.Generator().manual_seed(1))
        t0 = time.perf_counter()
        anchor.ddim(model(width), x, ab, nsteps, bool(invert))
        print(time.perf_counter() - t0, flush=True)
    else:
        print(f"error unknown command {words[0]}", flush=True)
