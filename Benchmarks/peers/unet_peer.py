#!/usr/bin/env python3
"""PyTorch side of `monge bench unet --python …`: times the U-Net of the project's anchor
bench_unet.py on request, so that Monge and PyTorch alternate rep by rep on a shared machine.

The model is bench_unet.py's, imported from Benchmarks/anchors/bench_unet.py (in the repository).
Also imported by Tests/MongeNNTests/Golden/make_unet_golden.py.

Protocol (one command per line on stdin, one reply per line on stdout):
  train CH B STEPS   -> seconds for STEPS training steps (AdamW lr 2e-4, MSE on eps, batch B, 1x28x28;
                        the first use of (CH, B) warms up 3 steps, as bench_unet.py)
  ddim CH N STEPS    -> seconds for one deterministic DDIM pass of STEPS steps on N images
  params CH          -> the parameter count
  quit
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F


# The model is bench_unet.py's, imported from the copy in the repository (Benchmarks/anchors).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "anchors"))
from bench_unet import Res, UNet  # noqa: E402,F401


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--anchors", help="ignored (bench_unet.py is found beside this folder); accepted as the other peers take it")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    ab = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000), 0)
    models, trainers = {}, {}

    def model(ch):
        if ch not in models:
            models[ch] = UNet(ch)
        return models[ch]

    def trainer(ch, batch):  # bench_unet.py's step
        key = (ch, batch)
        if key not in trainers:
            m = model(ch)
            opt = torch.optim.AdamW(m.parameters(), lr=2e-4)
            x0 = torch.rand(batch, 1, 28, 28) * 2 - 1

            def step():
                t = torch.randint(0, 1000, (batch,)); e = torch.randn_like(x0); s = ab[t][:, None, None, None]
                loss = F.mse_loss(m(s.sqrt() * x0 + (1 - s).sqrt() * e, t), e)
                opt.zero_grad(); loss.backward(); opt.step()

            for _ in range(3):
                step()
            trainers[key] = step
        return trainers[key]

    def ddim(ch, n, steps):  # bench_unet.py's sampling loop
        m = model(ch)
        x = torch.randn(n, 1, 28, 28); ts = torch.linspace(999, 0, steps).round().long()
        with torch.inference_mode():
            t0 = time.perf_counter()
            for i, t in enumerate(ts):
                at = ab[t]; an = ab[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0)
                e = m(x, t.repeat(n)); x0p = (x - (1 - at).sqrt() * e) / at.sqrt(); x = an.sqrt() * x0p + (1 - an).sqrt() * e
            return time.perf_counter() - t0

    print(f"ready torch {torch.__version__} threads={torch.get_num_threads()}", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        if words[0] == "train":
            ch, batch, steps = map(int, words[1:4])
            step = trainer(ch, batch)
            t0 = time.perf_counter()
            for _ in range(steps):
                step()
            print(time.perf_counter() - t0, flush=True)
        elif words[0] == "ddim":
            ch, n, steps = map(int, words[1:4])
            print(ddim(ch, n, steps), flush=True)
        elif words[0] == "params":
            print(sum(q.numel() for q in model(int(words[1])).parameters()), flush=True)
        else:
            print(f"unknown command {words[0]}", flush=True)


if __name__ == "__main__":
    main()
