"""Checking a sampler against Monge's conformance kit, in Python.

The kit (`monge conformance export --out KIT`: cases.json, README.md, arrays/*.npy) holds reference
states and the exact ε of closed-form oracles. `check` runs a user's single-step function on every
step case of the methods it claims, and/or a whole-trajectory function on every trajectory case,
and reports per case the max error and pass/fail (steps) and per family the measured order of
convergence, with the conventions and tolerances stated in cases.json — the same rules as
`monge conformance check KIT OUTPUTS` (the tests compare the two reports):

    from monge import conformance
    def ddim(x, eps, t, t_next, *, alpha_bar, alpha_bar_next, **context):
        x0 = (x - np.sqrt(1 - alpha_bar) * eps) / np.sqrt(alpha_bar)
        return np.sqrt(alpha_bar_next) * x0 + np.sqrt(1 - alpha_bar_next) * eps
    report = conformance.check("KIT", step=ddim, methods=["ddim_eta0", "inversion"], trajectory_method="ddim")
    print(report.summary()); assert report.passed

A scheduler object with diffusers' interface (`set_timesteps(K)`, `timesteps`, `step(model_output,
timestep, sample).prev_sample`) runs through every trajectory case with `check_scheduler`:

    report = conformance.check_scheduler("KIT", lambda case, kit: make_my_scheduler(kit.betas(case["schedule"]),
                                                                                    spacing=case["spacing"]),
                                         trajectory_method="ddim")

Pure numpy: it needs no libMongeC, so Benchmarks/conformance (diffusers in its own venv) imports
`Kit` and `write_output` from here.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from ._library import MongeError

FORMAT = "monge-conformance/1"
STEP_METHODS = ("ddim_eta0", "ddim_eta1", "ddpm", "heun", "inversion")


class ConformanceKitError(MongeError):
    """A kit folder that is missing, incomplete or of another format; the message names the file."""


class Kit:
    """A conformance kit folder: its manifest (cases.json) and arrays, and the exact ε oracles."""

    def __init__(self, directory):
        self.directory = os.fspath(directory)
        path = os.path.join(self.directory, "cases.json")
        if not os.path.isdir(self.directory):
            raise ConformanceKitError(f"{self.directory}: not a directory; expected a kit written by `monge conformance export --out DIR`")
        try:
            with open(path) as f:
                self.manifest = json.load(f)
        except FileNotFoundError:
            raise ConformanceKitError(f"{path}: missing; expected a kit written by `monge conformance export --out DIR`") from None
        except json.JSONDecodeError as e:
            raise ConformanceKitError(f"{path}: line {e.lineno}: not JSON ({e.msg})") from None
        if not isinstance(self.manifest, dict) or self.manifest.get("format") != FORMAT:
            got = self.manifest.get("format") if isinstance(self.manifest, dict) else type(self.manifest).__name__
            raise ConformanceKitError(f"{path}: format: expected {FORMAT!r}, got {got!r}")
        for key in ("schedules", "oracles", "methods", "step_cases", "trajectory_cases"):
            if not isinstance(self.manifest.get(key), list):
                raise ConformanceKitError(f"{path}: {key}: expected a list")
        self.schedules = {s["name"]: s for s in self.manifest["schedules"]}
        self.oracles = {o["name"]: o for o in self.manifest["oracles"]}
        self.methods = {(m["kind"], m["name"]): m for m in self.manifest["methods"]}
        self._cache: Dict[str, np.ndarray] = {}

    @property
    def step_cases(self) -> List[dict]:
        return self.manifest["step_cases"]

    @property
    def trajectory_cases(self) -> List[dict]:
        return self.manifest["trajectory_cases"]

    def array(self, relative: str) -> np.ndarray:
        if relative not in self._cache:
            path = os.path.join(self.directory, relative)
            try:
                self._cache[relative] = np.load(path, allow_pickle=False)
            except (OSError, ValueError) as e:
                raise ConformanceKitError(f"{path}: cannot read the kit's array ({e})") from None
        return self._cache[relative]

    def alphas_cumprod(self, schedule: str) -> np.ndarray:
        return self.array(self.schedules[schedule]["alphas_cumprod"])

    def betas(self, schedule: str) -> np.ndarray:
        return self.array(self.schedules[schedule]["betas"])

    def alpha_bar(self, schedule: str, level: int) -> float:
        """ᾱ at an integer level; level −1 is clean data (ᾱ = 1)."""
        return 1.0 if level < 0 else float(self.alphas_cumprod(schedule)[level])

    def epsilon(self, oracle: str, x, alpha_bar: float) -> np.ndarray:
        """The exact ε(x, ᾱ) of the oracle (cases.json's conventions), x of shape [N, D]."""
        o = self.oracles[oracle]
        x = np.asarray(x, dtype=np.float64)
        a = float(alpha_bar)
        if o["kind"] == "gaussian":
            mu = np.array(o["mean"])
            d = len(mu)
            sigma = np.array(o["covariance"]).reshape(d, d)
            c = a * sigma + (1 - a) * np.eye(d)
            return np.sqrt(1 - a) * np.linalg.solve(c, (x - np.sqrt(a) * mu).T).T
        if o["kind"] == "isotropic_mixture":
            means, stds, weights = np.array(o["means"]), np.array(o["stds"]), np.array(o["weights"])
            c = a * stds ** 2 + 1 - a                                     # [K]
            r = x[:, None, :] - np.sqrt(a) * means[None, :, :]            # [N, K, D]
            d = x.shape[1]
            logits = np.log(weights) - 0.5 * d * np.log(c) - 0.5 * (r ** 2).sum(-1) / c
            logits -= logits.max(axis=1, keepdims=True)
            w = np.exp(logits)
            w /= w.sum(axis=1, keepdims=True)
            return np.sqrt(1 - a) * (w[:, :, None] * r / c[None, :, None]).sum(1)
        raise ConformanceKitError(f"{self.directory}/cases.json: oracles: unknown kind {o['kind']!r}")


def write_output(outputs, method: str, case_id: str, array) -> None:
    """Writes OUTPUTS/<method>/<case id>.npy (atomically) for `monge conformance check`."""
    folder = os.path.join(os.fspath(outputs), method)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, case_id + ".npy")
    tmp = path + ".tmp.npy"
    np.save(tmp, np.asarray(array))
    os.replace(tmp, path)


def order(steps: Sequence[int], errors: Sequence[float]) -> float:
    """−slope of the least-squares line through (log K, log error); NaN if an error is 0 or not finite."""
    if len(steps) < 2 or not all(e > 0 and math.isfinite(e) for e in errors):
        return math.nan
    return -float(np.polyfit(np.log(np.asarray(steps, float)), np.log(np.asarray(errors, float)), 1)[0])


@dataclass
class CaseResult:
    method: str
    case: str
    kind: str
    max_error: float
    scaled_error: Optional[float] = None
    tolerance: Optional[float] = None
    first_failing_step: Optional[int] = None
    noisy_error: Optional[float] = None
    endpoint_error: Optional[float] = None
    passed: Optional[bool] = None


@dataclass
class OrderResult:
    method: str
    family: str
    steps: List[int]
    errors: List[float]
    measured_order: float
    expected_order: Optional[float]
    order_tolerance: Optional[float]
    passed: Optional[bool]
    note: Optional[str] = None


@dataclass
class Report:
    cases: List[CaseResult] = field(default_factory=list)
    orders: List[OrderResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed is not False for c in self.cases) and all(o.passed is not False for o in self.orders)

    @property
    def failures(self) -> List[str]:
        return sorted({f"{c.method}/{c.case}" for c in self.cases if c.passed is False}
                      | {f"{o.method}/{o.family}" for o in self.orders if o.passed is False})

    def summary(self) -> str:
        lines = []
        for c in self.cases:
            if c.kind == "step":
                verdict = "pass" if c.passed else f"FAIL (first at step {c.first_failing_step})"
                lines.append(f"{c.method:10} {c.case:55} max error {c.max_error:.3e}  scaled {c.scaled_error:.3e} ≤ {c.tolerance:g}: {verdict}")
        for o in self.orders:
            verdict = o.note or ("pass" if o.passed else "FAIL")
            expected = "" if o.expected_order is None else f" (expected {o.expected_order:g} ± {o.order_tolerance:g})"
            lines.append(f"{o.method:10} {o.family:55} order {o.measured_order:.3f}{expected}, errors {', '.join(f'{e:.2e}' for e in o.errors)}: {verdict}")
        lines.append(f"{'passed' if self.passed else 'FAILED: ' + ', '.join(self.failures)}")
        return "\n".join(lines)


StepFunction = Callable[..., np.ndarray]


def _step_inputs(kit: Kit, case: dict, method: str):
    """Per step of `case`: (x, eps, t, t_next, context) for `method`, and the reference array."""
    levels, schedule = case["levels"], case["schedule"]
    expected = kit.array(case["expected"][method])
    if method == "inversion":
        xs, eps = kit.array(case["inversion_x"]), kit.array(case["inversion_epsilon"])
        pairs = [(levels[k + 1], levels[k]) for k in range(case["steps"])]
    else:
        xs, eps = kit.array(case["x"]), kit.array(case["epsilon"])
        pairs = [(levels[k], levels[k + 1]) for k in range(len(expected))]
    inputs = []
    for k, (t, s) in enumerate(pairs):
        context = dict(alpha_bar=kit.alpha_bar(schedule, t), alpha_bar_next=kit.alpha_bar(schedule, s),
                       alphas_cumprod=kit.alphas_cumprod(schedule), schedule=schedule, oracle=case["oracle"],
                       method=method, step_index=k)
        if method in ("ddim_eta1", "ddpm"):
            context["noise"] = kit.array(case["noise"])[k]
        if method == "heun":
            context["eps_next"] = kit.array(case["heun_epsilon2"])[k]
        inputs.append((xs[k].copy(), eps[k].copy(), t, s, context))
    return inputs, expected


def _step_result(kit: Kit, method: str, case_id: str, got: np.ndarray, expected: np.ndarray) -> CaseResult:
    entry = kit.methods[("step", method)]
    tolerance = entry.get("tolerance_float32") if got.dtype == np.float32 else entry.get("tolerance_float64")
    tolerance = tolerance or 0.0
    error = np.abs(got.astype(np.float64) - expected)
    error = np.where(np.isnan(error), np.inf, error)
    scaled = error / (1 + np.abs(expected))
    bad = ~(scaled <= tolerance)
    failing = np.nonzero(bad.reshape(len(expected), -1).any(axis=1))[0]
    first = int(failing[0]) if len(failing) else None
    return CaseResult(method, case_id, "step", float(error.max()), float(scaled.max()), float(tolerance), first,
                      passed=first is None)


def _as_output(value, shape, what: str) -> np.ndarray:
    array = np.asarray(value)
    if array.shape != tuple(shape) or array.dtype not in (np.float32, np.float64):
        raise ValueError(f"{what}: expected a float32/float64 array of shape {tuple(shape)}, got {array.dtype} {array.shape}")
    return array


def check(kit, step: Optional[StepFunction] = None, *, methods: Sequence[str] = ("ddim_eta0",),
          trajectory: Optional[Callable[..., np.ndarray]] = None, trajectory_method: Optional[str] = None,
          expected_order: Optional[float] = None, outputs=None, verbose: bool = False) -> Report:
    """Runs a sampler through the kit and returns its Report.

    step(x, eps, t, t_next, **context) -> x_next is called, for each method in `methods` (of
    "ddim_eta0", "ddim_eta1", "ddpm", "heun", "inversion"), on every step of every step case, with
    context alpha_bar, alpha_bar_next (1 at level −1), alphas_cumprod, schedule, oracle, method,
    step_index, and noise (ddim_eta1, ddpm) or eps_next (heun: ε at the Euler predictor). For
    inversion, t < t_next (the step goes up). Each case passes when every element satisfies
    |x_next − expected| ≤ tolerance·(1 + |expected|), the kit's float32/float64 tolerance by dtype.

    Trajectories (when `trajectory_method` is given): trajectory(x_start, levels, epsilon, **context)
    -> states [K + 1, N, D], where epsilon(x, t) is the oracle's exact ε at timestep max(t, 0); without
    `trajectory`, `step` is iterated along the levels with ε from the oracle. Orders are fitted per
    family and judged against the kit's expected order for `trajectory_method` (or `expected_order`).

    `outputs`, when given, also receives OUTPUTS/<method>/<case id>.npy for `monge conformance check`.
    """
    kit = kit if isinstance(kit, Kit) else Kit(kit)
    report = Report()
    if step is None and trajectory is None:
        raise ValueError("conformance.check: give a step function, a trajectory function or both")
    if step is not None:
        for method in methods:
            if ("step", method) not in kit.methods:
                known = sorted(name for kind, name in kit.methods if kind == "step")
                raise ValueError(f"conformance.check: methods: unknown step method {method!r}; the kit has {known}")
            for case in kit.step_cases:
                inputs, expected = _step_inputs(kit, case, method)
                got = np.stack([_as_output(step(x, e, t, s, **context), x.shape, f"step({method}, {case['id']}, step {k})")
                                for k, (x, e, t, s, context) in enumerate(inputs)])
                result = _step_result(kit, method, case["id"], got, expected)
                report.cases.append(result)
                if outputs is not None:
                    write_output(outputs, method, case["id"], got)
                if verbose:
                    print(f"{method} {case['id']}: max error {result.max_error:.3e}: {'pass' if result.passed else 'FAIL'}")
    if trajectory_method is not None:
        _check_trajectories(kit, report, step, trajectory, trajectory_method, expected_order, outputs, verbose)
    return report


def _run_trajectory(kit: Kit, case: dict, step, trajectory) -> np.ndarray:
    schedule, oracle, levels = case["schedule"], case["oracle"], case["levels"]
    start = kit.array(case["x_start"]).copy()
    def epsilon(x, t):
        return kit.epsilon(oracle, x, kit.alpha_bar(schedule, max(int(t), 0)))
    context = dict(alphas_cumprod=kit.alphas_cumprod(schedule), schedule=schedule, oracle=oracle, case=case)
    if trajectory is not None:
        return np.asarray(trajectory(start, list(levels), epsilon, **context))
    states = [start]
    for k, (t, s) in enumerate(zip(levels, levels[1:])):
        x = states[-1]
        states.append(np.asarray(step(x, epsilon(x, t), t, s, alpha_bar=kit.alpha_bar(schedule, t),
                                      alpha_bar_next=kit.alpha_bar(schedule, s), method="trajectory", step_index=k,
                                      **{key: v for key, v in context.items() if key != "case"})))
    return np.stack(states)


def _check_trajectories(kit, report, step, trajectory, method, expected_order, outputs, verbose):
    entry = kit.methods.get(("trajectory", method), {})
    expected_order = expected_order if expected_order is not None else entry.get("expected_order")
    tolerance = entry.get("order_tolerance") or 0.3
    families: Dict[str, list] = {}
    for case in kit.trajectory_cases:
        reference = kit.array(case["states"])
        got = _as_output(_run_trajectory(kit, case, step, trajectory), reference.shape, f"trajectory({case['id']})")
        if outputs is not None:
            write_output(outputs, method, case["id"], got)
        error = np.abs(got.astype(np.float64) - reference).reshape(len(reference), -1).max(axis=1)
        error = np.where(np.isnan(error), np.inf, error)
        k, levels = case["steps"], case["levels"]
        judged = max(error[i] for i in range(1, k + 1) if levels[i] >= case["judged_from_level"])
        noisy, endpoint = float(error[1:k].max()), float(error[k])
        report.cases.append(CaseResult(method, case["id"], "trajectory", float(judged), noisy_error=noisy, endpoint_error=endpoint))
        families.setdefault(case["family"], []).append((k, float(judged), case["first_step_sigma_ratio"]))
    for family, runs in sorted(families.items()):
        runs.sort()
        steps, errors = [r[0] for r in runs], [r[1] for r in runs]
        measured = order(steps, errors)
        note = None
        limit = entry.get("max_first_step_sigma_ratio")
        ratio = max(r[2] for r in runs)
        if limit is not None and ratio > limit:
            note = f"not judged: the first step spans a σ ratio of {round(ratio)} > {int(limit)} (see the method's description)"
        elif expected_order is None:
            note = "not judged: no expected order (give expected_order=p)"
        passed = None if note else (len(runs) >= 3 and abs(measured - expected_order) <= tolerance)
        report.orders.append(OrderResult(method, family, steps, errors, measured, expected_order,
                                         None if expected_order is None else tolerance, passed, note))
        if verbose:
            print(f"{method} {family}: order {measured:.3f}: {note or ('pass' if passed else 'FAIL')}")


def scheduler_trajectory(kit: Kit, make: Callable[[dict, Kit], object], *, sigma_parameterized: bool = False,
                         to_model=np.asarray, from_model=np.asarray) -> Callable[..., np.ndarray]:
    """A trajectory function (for `check`) that runs a scheduler object through a case.

    `make(case, kit)` builds a fresh scheduler for the case (its schedule: `kit.betas(case["schedule"])`,
    its spacing: `case["spacing"]`). The scheduler needs diffusers' interface: `set_timesteps(K)`,
    `timesteps`, and `step(model_output, timestep, sample)` returning `.prev_sample` (or the array).
    Its timesteps must be the case's levels (ValueError naming both otherwise: configure the spacing,
    `steps_offset` and the like to the case's conventions). The model is the oracle's exact ε at the
    scheduler's own timestep; with `sigma_parameterized` (Euler, Heun, … in diffusers: the state is
    y = x·√(σ² + 1) and ε is evaluated at the scheduler's σ, ᾱ = 1 / (1 + σ²)) the states are mapped
    back to x for the comparison. A scheduler exposing `state_in_first_order` (Heun) records a state
    only after a completed step. `to_model`/`from_model` convert arrays to and from the scheduler's
    own type (e.g. torch tensors)."""
    def run(x_start, levels, epsilon, *, case, **context):
        scheduler = make(case, kit)
        scheduler.set_timesteps(case["steps"])
        timesteps = [float(from_model(t)) for t in scheduler.timesteps]
        distinct = [t for i, t in enumerate(timesteps) if i == 0 or t != timesteps[i - 1]]
        expected = [float(t) for t in levels if t >= 0]
        if distinct != expected[:len(distinct)] or len(distinct) != len(expected):
            raise ValueError(f"check_scheduler: case {case['id']}: the scheduler's timesteps {distinct} are not the case's "
                             f"levels {expected} (spacing {case['spacing']!r}); configure it to the case's conventions")
        abar = kit.alphas_cumprod(case["schedule"])
        sigmas = np.asarray(from_model(scheduler.sigmas), dtype=np.float64) if sigma_parameterized else None
        def sigma_now():
            return sigmas[getattr(scheduler, "step_index", None) or 0]
        x = np.asarray(x_start, dtype=np.float64)
        state = to_model(x * np.sqrt(sigmas[0] ** 2 + 1)) if sigma_parameterized else to_model(x)
        states = [x]
        count = len(scheduler.timesteps)
        for i, t in enumerate(scheduler.timesteps):
            current = np.asarray(from_model(state), dtype=np.float64)
            if sigma_parameterized:
                sigma = sigma_now()
                a, model_input = 1 / (1 + sigma ** 2), current / np.sqrt(sigma ** 2 + 1)
            else:
                a, model_input = abar[int(float(from_model(t)))], current
            eps = kit.epsilon(case["oracle"], model_input, a)
            result = scheduler.step(to_model(eps), t, state)
            state = getattr(result, "prev_sample", result)
            if not getattr(scheduler, "state_in_first_order", True) and i < count - 1:
                continue  # the predictor of a two-stage step: not a level of the path
            value = np.asarray(from_model(state), dtype=np.float64)
            states.append(value / np.sqrt(sigma_now() ** 2 + 1) if sigma_parameterized else value)
        return np.stack(states)
    return run


def check_scheduler(kit, make: Callable[[dict, Kit], object], *, trajectory_method: str,
                    sigma_parameterized: bool = False, expected_order: Optional[float] = None,
                    to_model=np.asarray, from_model=np.asarray, outputs=None, verbose: bool = False) -> Report:
    """Runs a scheduler object (diffusers' interface; see `scheduler_trajectory`) through every
    trajectory case of the kit and judges its order against `trajectory_method`'s expected order
    (e.g. "ddim": 1, "dpmpp_2m": 2) or `expected_order`."""
    kit = kit if isinstance(kit, Kit) else Kit(kit)
    trajectory = scheduler_trajectory(kit, make, sigma_parameterized=sigma_parameterized,
                                      to_model=to_model, from_model=from_model)
    return check(kit, trajectory=trajectory, trajectory_method=trajectory_method, expected_order=expected_order,
                 outputs=outputs, verbose=verbose)
