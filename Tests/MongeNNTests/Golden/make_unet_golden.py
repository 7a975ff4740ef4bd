#!/usr/bin/env python3
"""Writes unet_golden.safetensors: one forward pass of bench_unet.py's U-Net (PyTorch, float64)
at width 8 on two 1×8×8 images, for UNetGoldenTests.

The weights are not stored: every tensor of the PyTorch state dict is filled from a formula of
its name, shape and flat index (below; UNetGoldenTests builds the same PyTorch-shaped tensors and
imports them into Monge's layout). The file holds the input x [2, 1, 8, 8], the timesteps t [2]
and PyTorch's output ε̂ [2, 1, 8, 8].

Run from the package root: .venv/bin/python Tests/MongeNNTests/Golden/make_unet_golden.py
"""
import json
import math
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "Benchmarks", "peers"))
import unet_peer  # noqa: E402  (bench_unet.py's model, unchanged)


def phase(name):
    return 0.1 * (sum(ord(ch) for ch in name) % 97)


def formula(name, shape):
    """The value of every element, in PyTorch's (C-order) layout."""
    n = math.prod(shape)
    k = torch.arange(n, dtype=torch.float64)
    wave = torch.sin(0.37 * k + phase(name))
    if len(shape) >= 2:  # conv [out, in, kh, kw] or linear [out, in]: scaled by 1/√fan_in
        fan_in = math.prod(shape[1:])
        return (1.5 * wave / math.sqrt(fan_in)).reshape(shape)
    if name.endswith(".weight"):  # GroupNorm scale
        return (1 + 0.3 * wave).reshape(shape)
    return (0.3 * wave).reshape(shape)  # biases, GroupNorm shift


def main():
    torch.manual_seed(0)
    model = unet_peer.UNet(8).double()
    state = model.state_dict()
    for name, tensor in state.items():
        tensor.copy_(formula(name, list(tensor.shape)))
    x = torch.randn(2, 1, 8, 8, dtype=torch.float64)
    t = torch.tensor([3, 917])

    # The model computes the sinusoidal embedding in float32; recompute it in float64 (same
    # formula) so that the reference is exact to double rounding.
    def embedding(module, args):
        half = model.ch // 2
        f = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float64) / half)
        a = t[:, None].double() * f[None]
        return (torch.cat([torch.sin(a), torch.cos(a)], 1),)

    model.temb.register_forward_pre_hook(embedding)
    with torch.no_grad():
        out = model(x, t)
    tensors = {"x": x, "t": t.double(), "output": out}
    header, blobs, offset = {}, [], 0
    for key in sorted(tensors):
        data = tensors[key].contiguous().numpy().astype("<f8").tobytes()
        header[key] = {"dtype": "F64", "shape": list(tensors[key].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"source": "bench_unet.py UNet(ch=8), weights by formula (make_unet_golden.py)",
                              "torch": torch.__version__, "parameters": str(sum(p.numel() for p in model.parameters()))}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(HERE, "unet_golden.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    print(f"wrote unet_golden.safetensors: |out| max {out.abs().max().item():.4f}, parameters "
          f"{sum(p.numel() for p in model.parameters())}")


if __name__ == "__main__":
    main()
