#!/usr/bin/env python3
"""PyTorch side of `monge bench unet --python …`: times the U-Net of the project's anchor
bench_unet.py on request, so that Monge and PyTorch alternate rep by rep on a shared machine.

Self-contained (the model below is bench_unet.py's, unchanged), so a clone can re-run it without
the anchors folder. Also imported by Tests/MongeNNTests/Golden/make_unet_golden.py.

Protocol (one command per line on stdin, one reply per line on stdout):
  train CH B STEPS   -> seconds for STEPS training steps (AdamW lr 2e-4, MSE on eps, batch B, 1x28x28;
                        the first use of (CH, B) warms up 3 steps, as bench_unet.py)
  ddim CH N STEPS    -> seconds for one deterministic DDIM pass of STEPS steps on N images
  params CH          -> the parameter count
  quit
"""
import argparse
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Res(nn.Module):
    def __init__(s, cin, cout, temb):
        super().__init__()
        s.n1 = nn.GroupNorm(8, cin); s.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        s.t = nn.Linear(temb, cout); s.n2 = nn.GroupNorm(8, cout); s.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        s.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(s, x, e):
        h = s.c1(F.silu(s.n1(x))) + s.t(e)[:, :, None, None]
        return s.skip(x) + s.c2(F.silu(s.n2(h)))


class UNet(nn.Module):
    def __init__(s, ch=32, mult=(1, 2, 2)):
        super().__init__()
        s.ch = ch; temb = 4 * ch
        s.temb = nn.Sequential(nn.Linear(ch, temb), nn.SiLU(), nn.Linear(temb, temb))
        s.inp = nn.Conv2d(1, ch, 3, padding=1)
        chans = [ch * m for m in mult]; s.down = nn.ModuleList(); s.downs = nn.ModuleList(); c = ch; skips = [c]
        for i, co in enumerate(chans):
            for _ in range(2): s.down.append(Res(c, co, temb)); c = co; skips.append(c)
            if i < len(chans) - 1: s.downs.append(nn.Conv2d(c, c, 3, stride=2, padding=1)); skips.append(c)
        s.mid = nn.ModuleList([Res(c, c, temb), Res(c, c, temb)])
        s.up = nn.ModuleList(); s.ups = nn.ModuleList()
        for i, co in reversed(list(enumerate(chans))):
            for _ in range(3): s.up.append(Res(c + skips.pop(), co, temb)); c = co
            if i > 0: s.ups.append(nn.Conv2d(c, c, 3, padding=1))
        s.out = nn.Sequential(nn.GroupNorm(8, c), nn.SiLU(), nn.Conv2d(c, 1, 3, padding=1))
        s.nlev = len(chans)

    def forward(s, x, t):
        half = s.ch // 2
        f = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
        a = t[:, None].float() * f[None]; e = s.temb(torch.cat([torch.sin(a), torch.cos(a)], 1))
        h = s.inp(x); hs = [h]; k = 0; d = 0
        for i in range(s.nlev):
            for _ in range(2): h = s.down[k](h, e); k += 1; hs.append(h)
            if i < s.nlev - 1: h = s.downs[d](h); d += 1; hs.append(h)
        for m in s.mid: h = m(h, e)
        k = 0; u = 0
        for i in reversed(range(s.nlev)):
            for _ in range(3): h = s.up[k](torch.cat([h, hs.pop()], 1), e); k += 1
            if i > 0: h = s.ups[u](F.interpolate(h, scale_factor=2, mode="nearest")); u += 1
        return s.out(h)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--anchors", help="ignored (the model is defined here); accepted as the other peers take it")
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
