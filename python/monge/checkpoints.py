"""Monge checkpoints in numpy, and weights from PyTorch as Monge checkpoints.

A checkpoint is a folder: `config.json` (model, noise schedule, training settings, data
description) and `model.safetensors`. Tensor names and layouts (see the README's "Checkpoint
layout"): `<name>` the weights, `ema.<name>` their EMA (what sampling uses when present),
`adam.m.<name>` / `adam.v.<name>` Adam's moments, `loss_log` the logged loss rows; linear weights
are stored [inputs, outputs] (PyTorch's transpose); the time embedding is [sin(t·f_k), cos(t·f_k)],
f_k = 10000^(−k/(d/2)), concatenated after x. Sampling needs only the weights (`<name>` or
`ema.<name>`): a weights-only folder, as `from_pytorch` writes, samples like a trained one.
"""
from __future__ import annotations

import ctypes
import json
import os
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Union

import numpy as np

from ._library import MongeError
from . import _library as _lib

_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8")}


@dataclass
class Checkpoint:
    """A checkpoint read into numpy: `config` (config.json), `tensors` (every tensor of
    model.safetensors by name), `metadata` (its string metadata: format, step, config seal)."""
    path: str
    config: Dict[str, Any]
    tensors: Dict[str, np.ndarray] = field(repr=False)
    metadata: Dict[str, str] = field(repr=False)

    @property
    def weights(self) -> Dict[str, np.ndarray]:
        """The weights sampling uses, by parameter name: `ema.<name>` when present, else `<name>`."""
        names = [k for k in self.tensors if not k.startswith(("ema.", "adam.")) and k != "loss_log"]
        ema = all(("ema." + k) in self.tensors for k in names) and names
        return {k: self.tensors["ema." + k] if ema else self.tensors[k] for k in names}

    @property
    def step(self) -> Optional[int]:
        """The training step the checkpoint was written at (None for a weights-only checkpoint)."""
        return int(self.metadata["step"]) if "step" in self.metadata else None


def read_safetensors(path: Union[str, "os.PathLike[str]"]):
    """(tensors, metadata) of a safetensors file (F32 and F64), checked against its size."""
    path = Path(path)
    raw = path.read_bytes()
    if len(raw) < 8:
        raise MongeError(f"{path}: {len(raw)} bytes, too short for a safetensors header")
    (size,) = struct.unpack("<Q", raw[:8])
    if size > len(raw) - 8:
        raise MongeError(f"{path}: header of {size} bytes but the file has {len(raw) - 8} after its length")
    try:
        header = json.loads(raw[8:8 + size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MongeError(f"{path}: header: not JSON ({error})") from None
    if not isinstance(header, dict):
        raise MongeError(f"{path}: header: expected a JSON object")
    metadata = header.pop("__metadata__", {}) or {}
    body = memoryview(raw)[8 + size:]
    tensors = {}
    for name, entry in header.items():
        try:
            dtype = _DTYPES[entry["dtype"]]
            shape = tuple(int(s) for s in entry["shape"])
            begin, end = (int(v) for v in entry["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise MongeError(f"{path}: tensor {name}: expected dtype F32 or F64, shape and data_offsets") from None
        count = int(np.prod(shape)) if shape else 1
        if not (0 <= begin <= end <= len(body)) or end - begin != count * dtype.itemsize:
            raise MongeError(f"{path}: tensor {name}: data_offsets [{begin}, {end}] do not hold shape {list(shape)} of {entry['dtype']}")
        tensors[name] = np.frombuffer(body[begin:end], dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
    return tensors, metadata


def load_checkpoint(path: Union[str, "os.PathLike[str]"]) -> Checkpoint:
    """Reads a checkpoint folder (or its model.safetensors) into numpy: config and tensors."""
    path = Path(path)
    folder = path.parent if path.is_file() else path
    weights, config_file = folder / "model.safetensors", folder / "config.json"
    if not weights.is_file():
        raise MongeError(f"{folder}: no model.safetensors (a checkpoint folder is written by `monge train` or monge.train)")
    config: Dict[str, Any] = {}
    if config_file.is_file():
        try:
            config = json.loads(config_file.read_text())
        except json.JSONDecodeError as error:
            raise MongeError(f"{config_file}: not JSON ({error})") from None
    tensors, metadata = read_safetensors(weights)
    return Checkpoint(path=str(folder), config=config, tensors=tensors, metadata=metadata)


def save_model(out: Union[str, "os.PathLike[str]"], tensors: Mapping[str, Any], *, architecture: str, dimension: int,
               T: int = 1000, schedule: str = "linear", source: str = "imported weights", **model: Any) -> str:
    """Writes weights in Monge's names and layout (linear weights [inputs, outputs]) as a
    weights-only checkpoint in `out` (config.json + model.safetensors with the config's seal).
    `model`: width, depth, time_embedding, activation, norm, groups. Monge checks every name and
    shape against the model and refuses missing or extra tensors."""
    names, arrays = [], []
    for name, value in tensors.items():
        array = np.ascontiguousarray(_numpy(value), dtype=np.float32)
        if array.ndim > 4:
            raise ValueError(f"tensor {name}: rank {array.ndim}, at most 4")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"tensor {name}: holds NaN or infinite values")
        names.append(name.encode())
        arrays.append(array)
    count = len(arrays)
    c_names = (ctypes.c_char_p * count)(*names)
    c_data = (ctypes.POINTER(ctypes.c_float) * count)(*[a.ctypes.data_as(ctypes.POINTER(ctypes.c_float)) for a in arrays])
    c_ranks = (ctypes.c_int64 * count)(*[a.ndim for a in arrays])
    c_shapes = (ctypes.c_int64 * (4 * count))(*[s for a in arrays for s in (list(a.shape) + [0] * (4 - a.ndim))])
    opts = _lib.options(architecture=architecture, dimension=int(dimension), T=int(T), schedule=schedule, source=source, **model)
    _lib.call("monge_save_model", _lib.text(out, "out"), opts, count, c_names, c_data, c_ranks, c_shapes, result=False)
    return os.fspath(out)


def _numpy(value: Any) -> np.ndarray:
    """A torch tensor or array-like as numpy (without importing torch)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


_LAYER = re.compile(r"^(?:.*\.)?(\d+)\.(weight|bias)$")


def from_pytorch(state_dict: Mapping[str, Any], out: Union[str, "os.PathLike[str]"], *, activation: str = "silu",
                 T: int = 1000, schedule: str = "linear", source: str = "a PyTorch state_dict") -> str:
    """Converts the state_dict of the anchor ε-MLP (`EpsMLP` of Benchmarks/anchors/bench_diffusion.py:
    `net` = Linear(D + d_t → W), act, (Linear(W → W), act)×(depth − 1), Linear(W → D), input
    [x, temb(t)]) to a weights-only Monge checkpoint in `out`. Width, depth, D and the embedding
    dimension d_t are read from the shapes; the activation (silu or relu) and the schedule (T,
    linear: β from 1e-4 to 0.02, as the anchor's) cannot be and are arguments."""
    layers: Dict[int, Dict[str, np.ndarray]] = {}
    for key, value in state_dict.items():
        match = _LAYER.match(key)
        if not match:
            raise MongeError(f"state_dict key {key!r} is not a layer of the anchor ε-MLP (expected net.<i>.weight / net.<i>.bias)")
        layers.setdefault(int(match.group(1)), {})[match.group(2)] = _numpy(value)
    order = sorted(layers)
    if len(order) < 2 or any(set(layers[i]) != {"weight", "bias"} for i in order):
        raise MongeError(f"state_dict: expected at least two linear layers with weight and bias, got {sorted(state_dict)}")
    weights = [layers[i]["weight"] for i in order]
    if any(w.ndim != 2 for w in weights):
        raise MongeError("state_dict: every weight must be a matrix [outputs, inputs]")
    width, dimension = weights[0].shape[0], weights[-1].shape[0]
    embedding = weights[0].shape[1] - dimension
    for k, w in enumerate(weights[1:-1], start=1):
        if w.shape != (width, width):
            raise MongeError(f"state_dict: hidden layer {order[k]} has shape {w.shape}, expected ({width}, {width})")
    if weights[-1].shape[1] != width or embedding < 2:
        raise MongeError(f"state_dict: layer shapes {[w.shape for w in weights]} are not an ε-MLP of width {width}")
    names = ["input"] + [f"hidden.{k}" for k in range(1, len(order) - 1)] + ["output"]
    tensors = {}
    for name, i in zip(names, order):
        tensors[name + ".weight"] = layers[i]["weight"].T  # PyTorch [out, in] → Monge [in, out]
        tensors[name + ".bias"] = layers[i]["bias"]
    return save_model(out, tensors, architecture="mlp", dimension=dimension, width=width, depth=len(order) - 1,
                      time_embedding=embedding, activation=activation, T=T, schedule=schedule, source=source)
