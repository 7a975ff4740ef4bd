"""Monge from Python, in-process: numpy arrays in, numpy arrays and dataclasses out.

The functions call libMongeC (the C ABI of the Swift libraries, built by `make build`) through
ctypes; the results are those of the `monge` command line, bit for bit. Models are named as on
the command line: a checkpoint folder written by `monge train` or `monge.train`, or an oracle
spec with an exact ε (`oracle:gaussians8`, `oracle:gaussian:mean=0,0:std=1`, ...).

    import monge
    x = monge.data("moons", 1000, seed=1)
    y = monge.data("gaussians8", 1000, seed=2)
    plan = monge.ot(x, y)                      # exact OT with its certificate
    t = monge.translate(("oracle:gaussians25", "oracle:gaussians8"), x, steps=100)

Every call releases the GIL while Monge computes; `set_threads` chooses Monge's worker threads.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

import numpy as np

from ._library import MongeError, MongeInternalError, find_library
from . import _library as _lib
from .checkpoints import Checkpoint, load_checkpoint, from_pytorch, save_model

__all__ = [
    "MongeError", "MongeInternalError", "Transport", "Translation", "Training", "Checkpoint",
    "ot", "compare", "data", "images", "sample", "encode", "decode", "translate", "epsilon", "train",
    "load_checkpoint", "from_pytorch", "save_model", "set_threads", "threads", "version", "find_library",
]

Model = Union[str, "os.PathLike[str]"]


def version() -> str:
    """The version of the loaded libMongeC."""
    return _lib.library().monge_version().decode()


def set_threads(count: int) -> None:
    """Sets Monge's worker threads for later calls (0: back to $MONGE_THREADS or the processor
    count). Results do not depend on it."""
    if not isinstance(count, (int, np.integer)) or count < 0:
        raise ValueError(f"set_threads: expected a whole number ≥ 0, got {count!r}")
    _lib.library().monge_set_threads(int(count))


def threads() -> int:
    """The worker threads Monge uses now."""
    return int(_lib.library().monge_threads())


# MARK: optimal transport

@dataclass
class Transport:
    """An optimal transport plan, sparse: mass[k] goes from x[rows[k]] to y[cols[k]]."""
    rows: np.ndarray
    cols: np.ndarray
    mass: np.ndarray
    #: Source and target potentials: f[i] + g[j] ≤ C[i, j], with equality on the plan (exact solvers).
    f: np.ndarray
    g: np.ndarray
    #: T(x): the Monge map (exact solvers) or the barycentric projection (Sinkhorn).
    map: np.ndarray
    cost: float
    #: optimal, converged, iteration-limit, infeasible, certificate-failed, ...
    status: str
    solver: str
    iterations: int
    #: The solve's wall time in Monge (the `seconds` of `monge ot --json`).
    seconds: float
    #: The proof of optimality (exact solvers): largest dual violation, slackness, marginal error, holds.
    certificate: Optional[Dict[str, Any]]
    #: Everything `monge ot --json` reports.
    info: Dict[str, Any] = field(repr=False)

    @property
    def potentials(self) -> Tuple[np.ndarray, np.ndarray]:
        return self.f, self.g

    def dense(self) -> np.ndarray:
        """The plan as an n × m matrix."""
        plan = np.zeros((self.info["n"], self.info["m"]))
        np.add.at(plan, (self.rows, self.cols), self.mass)
        return plan


def ot(x, y, a=None, b=None, *, solver: str = "auto", cost: str = "sqeuclidean", epsilon: Optional[float] = None,
       max_iterations: Optional[int] = None) -> Transport:
    """Optimal transport between points x [n, d] and y [m, d] with weights a, b (uniform when
    None), as `monge ot`: solver auto (assignment when n = m with uniform weights, else network
    simplex), simplex, assignment or sinkhorn (with epsilon); cost sqeuclidean, euclidean or pnorm:P.
    Check `status` (and `certificate["holds"]`): a stopped or failed solve is returned, not raised."""
    arrays = [_lib.Matrix("x", x), _lib.Matrix("y", y),
              _lib.Matrix("a", a, vector=True, optional=True), _lib.Matrix("b", b, vector=True, optional=True)]
    opts = _lib.options(solver=solver, cost=cost, epsilon=epsilon, max_iterations=max_iterations)
    with _lib.call("monge_ot", *[p for m in arrays for p in m.arguments], opts) as r:
        info = r.info
        return Transport(rows=r.array("rows", vector=True), cols=r.array("cols", vector=True), mass=r.array("mass", vector=True),
                         f=r.array("f", vector=True), g=r.array("g", vector=True), map=r.array("map"),
                         cost=info["cost"], status=info["status"], solver=info["solver"], iterations=info["iterations"],
                         seconds=info["seconds"], certificate=info.get("certificate"), info=info)


def compare(x, tx, y, *, second_target=None, cycled=None, modes: Optional[str] = None) -> Dict[str, Any]:
    """How close the map x → tx (row for row) is to exact OT, against an independent target
    sample y: the metrics of `monge compare --json` (transport cost, exact W2², gaps, Monge
    deviation, realism W2, and the sampling floor / cycle error / mode realism when given)."""
    arrays = [_lib.Matrix("x", x), _lib.Matrix("tx", tx), _lib.Matrix("y", y),
              _lib.Matrix("second_target", second_target, optional=True), _lib.Matrix("cycled", cycled, optional=True)]
    with _lib.call("monge_compare", *[p for m in arrays for p in m.arguments], _lib.options(modes=modes)) as r:
        return r.info


def data(name: str, n: int, seed: int = 0, **params: float) -> np.ndarray:
    """n points of the 2-D distribution `name` (see `monge data --list`) with `seed` and the
    distribution's parameters, as `monge data NAME --n N --seed S --param k=v`."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"data: n must be a whole number, got {n!r}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"data: seed must be a whole number ≥ 0, got {seed!r}")
    with _lib.call("monge_data", _lib.text(name, "name"), int(n), int(seed), _lib.options(params=params or None)) as r:
        return r.array("points")


def images(spec: str) -> np.ndarray:
    """The images an image-set spec names, [N, pixels] float32 in [−1, 1], as the commands read
    them: `data:digits[:CLASSES]` (8×8, from $MONGE_DATA_DIR or data/generated, written by `make
    setup`) or `data:fashion[:CLASSES][:split=train|test][:n=N][:seed=S]` (Fashion-MNIST, 28×28)."""
    with _lib.call("monge_images", _lib.text(spec, "spec")) as r:
        return r.array("images")


# MARK: diffusion

def _sampling(steps, spacing, sampler, eta, seed, block_size):
    return dict(steps=steps, spacing=spacing, sampler=sampler, eta=eta, seed=seed, block_size=block_size)


def sample(model: Model, n: int, *, steps: int, sampler: str = "ddim", eta: float = 0.0, spacing: str = "linspace",
           seed: int = 0, block_size: int = 1024, progress: Optional[Callable] = None) -> np.ndarray:
    """n samples of `model` (a checkpoint folder or an oracle spec), as `monge sample`: sampler
    ddim (η = eta), ddpm, heun, euler, euler-ancestral or dpmpp-2m; spacing linspace, leading,
    trailing or karras; float32 for networks, float64 for oracles. `progress(done,
    total, nan)` hears the row-steps done (from Monge's worker threads)."""
    callback = _lib.Progress(progress)
    with _lib.call("monge_sample", _lib.text(model, "model"), int(n),
                   _lib.options(**_sampling(steps, spacing, sampler, eta, seed, block_size)),
                   callback.pointer, None, progress=callback) as r:
        callback.reraise()
        return r.array("points")


def encode(model: Model, x, *, steps: int, sampler: str = "ddim", spacing: str = "linspace", block_size: int = 1024,
           progress: Optional[Callable] = None) -> np.ndarray:
    """Latents x_T of the points x by the probability-flow ODE (sampler ddim, heun or euler), as `monge encode`."""
    callback = _lib.Progress(progress)
    m = _lib.Matrix("x", x)
    with _lib.call("monge_encode", _lib.text(model, "model"), *m.arguments,
                   _lib.options(**_sampling(steps, spacing, sampler, None, None, block_size)),
                   callback.pointer, None, progress=callback) as r:
        callback.reraise()
        return r.array("latent")


def decode(model: Model, latent, *, steps: int, sampler: str = "ddim", eta: float = 0.0, spacing: str = "linspace",
           seed: int = 0, block_size: int = 1024, progress: Optional[Callable] = None) -> np.ndarray:
    """Points from latents x_T (any sampler of `sample`), as `monge decode`; the inverse of
    `encode` with the same steps (ddim η = 0 or heun), up to discretisation."""
    callback = _lib.Progress(progress)
    m = _lib.Matrix("latent", latent)
    with _lib.call("monge_decode", _lib.text(model, "model"), *m.arguments,
                   _lib.options(**_sampling(steps, spacing, sampler, eta, seed, block_size)),
                   callback.pointer, None, progress=callback) as r:
        callback.reraise()
        return r.array("points")


@dataclass
class Translation:
    """DDIB's translation of x: mapped = decode_B(encode_A(x)), with the latents and, when asked,
    the round trip back to A."""
    mapped: np.ndarray
    latent: np.ndarray
    cycled: Optional[np.ndarray]
    info: Dict[str, Any] = field(repr=False)


def translate(model: Union[Tuple[Model, Model], Sequence[Model]], x, *, steps: int, sampler: str = "ddim",
              spacing: str = "linspace", cycle: bool = False, progress: Optional[Callable] = None,
              method: Optional[str] = None) -> Translation:
    """DDIB from domain A to domain B, as `monge translate --from A --to B`: `model` is the pair
    (A, B) of checkpoint folders or oracle specs; sampler ddim (Euler), heun or euler (as
    `encode`). Two oracles run in float64, anything else in float32. With cycle=True also maps back
    and reports the cycle error in `info` (cycle_error_mean, cycle_error_max). `method` is the
    earlier name of `sampler` (accepted with a DeprecationWarning)."""
    if method is not None:
        warnings.warn("translate(method=...) is now sampler=...", DeprecationWarning, stacklevel=2)
        sampler = method
    if isinstance(model, (str, os.PathLike)) or len(model) != 2:
        raise TypeError("translate: model must be the pair (source model, target model)")
    callback = _lib.Progress(progress)
    m = _lib.Matrix("x", x)
    with _lib.call("monge_translate", _lib.text(model[0], "model A"), _lib.text(model[1], "model B"), *m.arguments,
                   _lib.options(steps=steps, sampler=sampler, spacing=spacing, cycle=cycle),
                   callback.pointer, None, progress=callback) as r:
        callback.reraise()
        return Translation(mapped=r.array("mapped"), latent=r.array("latent"), cycled=r.array("cycled"), info=r.info)


def epsilon(model: Model, x, t: int) -> np.ndarray:
    """The model's noise prediction ε̂(x, t) at the integer timestep t (0 ≤ t < T)."""
    m = _lib.Matrix("x", x)
    with _lib.call("monge_epsilon", _lib.text(model, "model"), *m.arguments, int(t)) as r:
        return r.array("epsilon")


@dataclass
class Training:
    """A finished (or stopped) training run: its folder, steps done and logged loss rows
    (step, loss, grad_norm, lr)."""
    out: str
    steps: int
    parameters: int
    loss: np.ndarray
    stopped: bool
    info: Dict[str, Any] = field(repr=False)


def train(x, out: Union[str, "os.PathLike[str]"], *, callback: Optional[Callable] = None, resume: bool = False,
          **options: Any) -> Training:
    """Trains an ε-model on the points x [N, D] into the folder `out`, as `monge train FILE
    --out OUT`: the same options with underscores (architecture, width, depth, time_embedding,
    activation, norm, groups, dropout, steps, batch, lr, warmup, clip, weight_decay, ema,
    ema_warmup, schedule, T, seed, chunks, checkpoint_every, log_every) and the same defaults.
    `callback(step, steps, loss)` hears every step (tqdm: `bar.update(1)`); returning False stops
    the run after a checkpoint (`stopped` is then True); an exception in it — KeyboardInterrupt
    too — stops it likewise and is re-raised."""
    progress = _lib.Progress(callback)
    m = _lib.Matrix("x", x)
    options.setdefault("source", "a Python array")
    with _lib.call("monge_train", *m.arguments, _lib.text(out, "out"), _lib.options(resume=resume, **options),
                   progress.pointer, None, progress=progress) as r:
        progress.reraise()
        info = r.info
        return Training(out=os.fspath(out), steps=info["steps"], parameters=info["parameters"], loss=r.array("loss"),
                        stopped=info["stopped"], info=info)
