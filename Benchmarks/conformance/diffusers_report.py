#!/usr/bin/env python3
"""Runs diffusers' schedulers through Monge's sampler conformance kit.

    monge conformance export --out KIT
    python diffusers_report.py KIT OUT [--pin DIR]

For each scheduler configuration the script writes OUT/<config>/<method>/<case id>.npy (single
steps from the kit's reference states and exact ε; whole trajectories with the kit's exact
oracles as the model), then runs `monge conformance check` on it (OUT/<config>/report.json) and
writes OUT/report.md: per scheduler and case family, the max error, measured order and where the
scheduler's conventions differ from the kit's (set_alpha_to_one, steps_offset, the final step,
its own timestep spacing). --pin copies a few small outputs for Tests/MongeConformanceTests/pinned.

The schedules are promoted to float64 (the kit's ᾱ) after construction, so that errors measure
conventions and the method, not diffusers' float32 cumulative product; pass --float32 to run the
schedulers as shipped (then outputs are saved as float32 and checked with the float32 tolerance).
Euler, Heun and DPM-Solver keep σ (Euler and DPM-Solver also the sample) in float32 inside step():
their outputs are saved as float32 in either mode.
Needs torch (CPU) and diffusers: a separate venv, e.g. .venv-diffusers.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kit import Kit, write_output  # noqa: E402

import diffusers  # noqa: E402
from diffusers import (DDIMInverseScheduler, DDIMScheduler, DDPMScheduler,  # noqa: E402
                       DPMSolverMultistepScheduler, EulerDiscreteScheduler, HeunDiscreteScheduler)
import diffusers.schedulers.scheduling_ddpm as ddpm_module  # noqa: E402

SPACINGS = ["linspace", "leading", "trailing"]
FLOAT64 = True


def tensor(x):
    return torch.tensor(np.asarray(x), dtype=torch.float64 if FLOAT64 else torch.float32)


def numpy(t):
    return t.detach().cpu().numpy().astype(np.float64 if FLOAT64 else np.float32)


def promote(s, abar):
    """Replace the float32 schedule tensors of scheduler `s` by the kit's float64 ᾱ."""
    if not FLOAT64:
        return
    a = torch.tensor(abar, dtype=torch.float64)
    s.alphas_cumprod = a
    s.alphas = torch.cat([a[:1], a[1:] / a[:-1]])
    s.betas = 1 - s.alphas
    if hasattr(s, "final_alpha_cumprod"):
        s.final_alpha_cumprod = torch.tensor(1.0, dtype=torch.float64) if s.config.set_alpha_to_one else a[0]
    if hasattr(s, "initial_alpha_cumprod"):
        s.initial_alpha_cumprod = torch.tensor(1.0, dtype=torch.float64) if s.config.set_alpha_to_one else a[0]
    if hasattr(s, "alpha_t"):
        s.alpha_t = torch.sqrt(a)
        s.sigma_t = torch.sqrt(1 - a)
        s.lambda_t = torch.log(s.alpha_t) - torch.log(s.sigma_t)
    if hasattr(s, "sigmas"):
        s.sigmas = ((1 - a) / a) ** 0.5


def make(cls, kit, schedule, spacing, **extra):
    betas = kit.betas(schedule)
    s = cls(num_train_timesteps=len(betas), trained_betas=betas.tolist(), timestep_spacing=spacing,
            prediction_type="epsilon", **extra)
    promote(s, kit.alphas_cumprod(schedule))
    return s


def set_timesteps(s, k):
    s.set_timesteps(k)
    return [float(t) for t in s.timesteps]


def kit_levels(case):
    return [t for t in case["levels"] if t >= 0]


def distinct(ts):
    """Heun's timesteps repeat each level but the first (one entry per stage): one per level."""
    return [t for i, t in enumerate(ts) if i == 0 or t != ts[i - 1]]


# ---------------------------------------------------------------- single steps

def ddim_steps(kit, case, out, eta, method, **config):
    s = make(DDIMScheduler, kit, case["schedule"], case["spacing"], clip_sample=False, **config)
    ts = set_timesteps(s, case["steps"])
    x, eps, z = kit.array(case["x"]), kit.array(case["epsilon"]), kit.array(case["noise"])
    result = [numpy(s.step(tensor(eps[k]), int(ts[k]), tensor(x[k]), eta=eta, variance_noise=tensor(z[k])).prev_sample)
              for k in range(case["steps"])]
    write_output(out, method, case["id"], np.stack(result))
    return ts


def ddim_inverse_steps(kit, case, out, **config):
    s = make(DDIMInverseScheduler, kit, case["schedule"], case["spacing"], clip_sample=False, **config)
    ts = set_timesteps(s, case["steps"])  # ascending
    x, eps = kit.array(case["inversion_x"]), kit.array(case["inversion_epsilon"])
    k_count = case["steps"]
    # Kit step k goes up levels[k + 1] → levels[k]; diffusers' step(…, t) goes up to t.
    result = [None] * k_count
    for i, t in enumerate(ts):
        k = k_count - 1 - i
        result[k] = numpy(s.step(tensor(eps[k]), int(t), tensor(x[k])).prev_sample)
    write_output(out, "inversion", case["id"], np.stack(result))
    return ts


def ddpm_steps(kit, case, out, **config):
    s = make(DDPMScheduler, kit, case["schedule"], case["spacing"], clip_sample=False, variance_type="fixed_small", **config)
    ts = set_timesteps(s, case["steps"])
    x, eps, z = kit.array(case["x"]), kit.array(case["epsilon"]), kit.array(case["noise"])
    result = []
    original = ddpm_module.randn_tensor
    try:
        for k in range(case["steps"]):
            # DDPMScheduler.step draws its own noise: hand it the kit's.
            ddpm_module.randn_tensor = lambda *a, **kw: tensor(z[k])
            result.append(numpy(s.step(tensor(eps[k]), int(ts[k]), tensor(x[k])).prev_sample))
    finally:
        ddpm_module.randn_tensor = original
    write_output(out, "ddpm", case["id"], np.stack(result))
    return ts


def euler_steps(kit, case, out):
    """EulerDiscrete works on y = x·√(σ² + 1): convert in and out."""
    s = make(EulerDiscreteScheduler, kit, case["schedule"], case["spacing"])
    ts = set_timesteps(s, case["steps"])
    s.is_scale_input_called = True  # the kit's x is already the model input (x = y/√(σ² + 1))
    x, eps = kit.array(case["x"]), kit.array(case["epsilon"])
    result = []
    for k in range(case["steps"]):
        s._step_index = k
        sigma, sigma_next = float(s.sigmas[k]), float(s.sigmas[k + 1])
        y = tensor(x[k] * np.sqrt(sigma ** 2 + 1))
        y_next = s.step(tensor(eps[k]), s.timesteps[k], y).prev_sample
        result.append(numpy(y_next) / np.sqrt(sigma_next ** 2 + 1))
    # EulerDiscreteScheduler.step computes in float32 whatever the input: checked as float32.
    write_output(out, "ddim_eta0", case["id"], np.stack(result).astype(np.float32))
    return ts


def heun_steps(kit, case, out):
    s = make(HeunDiscreteScheduler, kit, case["schedule"], case["spacing"])
    ts = set_timesteps(s, case["steps"])
    x, eps, eps2 = kit.array(case["x"]), kit.array(case["epsilon"]), kit.array(case["heun_epsilon2"])
    result = []
    for k in range(case["steps"] - 1):
        # Entries 2k (first order, σ_k → σ_{k+1}) and 2k + 1 (the correction) of its doubled timesteps.
        s._step_index = 2 * k
        s.prev_derivative, s.dt, s.sample = None, None, None
        sigma, sigma_next = float(s.sigmas[2 * k]), float(s.sigmas[2 * k + 1])
        y = tensor(x[k] * np.sqrt(sigma ** 2 + 1))
        predicted = s.step(tensor(eps[k]), s.timesteps[2 * k], y).prev_sample
        y_next = s.step(tensor(eps2[k]), s.timesteps[2 * k + 1], predicted).prev_sample
        result.append(numpy(y_next) / np.sqrt(sigma_next ** 2 + 1))
    # HeunDiscreteScheduler keeps its σ's in float32: checked as float32.
    write_output(out, "heun", case["id"], np.stack(result).astype(np.float32))
    return ts


# ---------------------------------------------------------------- trajectories

def trajectory(kit, case, out, method, scheduler, ve, float32=False):
    """Runs `scheduler` from the kit's x_start with the exact oracle as the model; records the
    state (in x = √ᾱ y) after each completed step. `ve`: the scheduler works on y = x √(σ² + 1)
    and evaluates the model at its own σ (possibly between the schedule's levels), which is where
    the oracle is evaluated too (ᾱ = 1/(1 + σ²))."""
    ts = set_timesteps(scheduler, case["steps"])
    abar = kit.alphas_cumprod(case["schedule"])
    x = kit.array(case["x_start"])
    oracle = case["oracle"]
    sigmas = scheduler.sigmas.double().numpy() if ve else None
    state = tensor(x * np.sqrt(sigmas[0] ** 2 + 1)) if ve else tensor(x)
    states = [x]
    heun = isinstance(scheduler, HeunDiscreteScheduler)
    count = len(scheduler.timesteps)
    for i, t in enumerate(scheduler.timesteps):
        if ve:
            sigma = sigmas[scheduler.step_index or 0]
            a, model_in = 1 / (1 + sigma ** 2), state.double().numpy() / np.sqrt(sigma ** 2 + 1)
        else:
            a, model_in = abar[int(t)], state.double().numpy()
        eps = kit.epsilon(oracle, model_in, a)
        state = scheduler.step(tensor(eps), t, state).prev_sample
        if heun and not scheduler.state_in_first_order and i < count - 1:
            continue  # the predictor of a Heun step: not a level of the path
        if ve:
            sigma = sigmas[scheduler.step_index]
            states.append(state.double().numpy() / np.sqrt(sigma ** 2 + 1))
        else:
            states.append(state.double().numpy())
    states = np.stack(states).astype(np.float32 if float32 or not FLOAT64 else np.float64)
    if states.shape[0] != case["steps"] + 1:
        raise SystemExit(f"{method} {case['id']}: {states.shape[0]} states for {case['steps']} steps")
    write_output(out, method, case["id"], states)
    return ts


# ---------------------------------------------------------------- configurations

def configurations():
    """(name, description, single-step runners, trajectory runner or None)."""
    return [
        ("ddim", "DDIMScheduler(set_alpha_to_one=True, steps_offset=0)",
         [lambda kit, c, o: ddim_steps(kit, c, o, 0.0, "ddim_eta0", set_alpha_to_one=True),
          lambda kit, c, o: ddim_steps(kit, c, o, 1.0, "ddim_eta1", set_alpha_to_one=True)],
         lambda kit, c, o: trajectory(kit, c, o, "ddim", make(DDIMScheduler, kit, c["schedule"], c["spacing"],
                                                             clip_sample=False, set_alpha_to_one=True), ve=False)),
        ("ddim_alpha_final_0", "DDIMScheduler(set_alpha_to_one=False): the last step ends at ᾱ_0, not at clean data",
         [lambda kit, c, o: ddim_steps(kit, c, o, 0.0, "ddim_eta0", set_alpha_to_one=False)],
         lambda kit, c, o: trajectory(kit, c, o, "ddim", make(DDIMScheduler, kit, c["schedule"], c["spacing"],
                                                             clip_sample=False, set_alpha_to_one=False), ve=False)),
        ("ddim_offset_1", "DDIMScheduler(steps_offset=1, set_alpha_to_one=True): leading timesteps shifted by one",
         [lambda kit, c, o: ddim_steps(kit, c, o, 0.0, "ddim_eta0", set_alpha_to_one=True, steps_offset=1)],
         None),
        ("ddim_inverse", "DDIMInverseScheduler(set_alpha_to_one=True)",
         [lambda kit, c, o: ddim_inverse_steps(kit, c, o, set_alpha_to_one=True)], None),
        ("ddpm", "DDPMScheduler(variance_type='fixed_small')", [ddpm_steps], None),
        ("euler", "EulerDiscreteScheduler()", [euler_steps],
         lambda kit, c, o: trajectory(kit, c, o, "euler", make(EulerDiscreteScheduler, kit, c["schedule"], c["spacing"]), ve=True, float32=True)),
        ("heun", "HeunDiscreteScheduler()", [heun_steps],
         lambda kit, c, o: trajectory(kit, c, o, "heun", make(HeunDiscreteScheduler, kit, c["schedule"], c["spacing"]), ve=True, float32=True)),
        ("dpmpp_2m", "DPMSolverMultistepScheduler(algorithm_type='dpmsolver++', solver_order=2)", [],
         lambda kit, c, o: trajectory(kit, c, o, "dpmpp_2m", make(DPMSolverMultistepScheduler, kit, c["schedule"], c["spacing"],
                                                                 algorithm_type="dpmsolver++", solver_order=2), ve=False, float32=True)),
    ]


def main():
    global FLOAT64
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kit")
    parser.add_argument("out")
    parser.add_argument("--monge", default=os.environ.get("MONGE_BINARY", ".build/release/monge"))
    parser.add_argument("--pin", help="copy the pinned subset of outputs into this folder")
    parser.add_argument("--float32", action="store_true", help="run the schedulers as shipped (float32 schedules)")
    parser.add_argument("--only", help="comma-separated configuration names")
    parser.add_argument("--recheck", action="store_true", help="keep the written outputs; only check them again and rewrite the report")
    args = parser.parse_args()
    FLOAT64 = not args.float32
    kit = Kit(args.kit)
    rows = []
    for name, description, steps, trajectories in configurations():
        if args.only and name not in args.only.split(","):
            continue
        folder = os.path.join(args.out, name)
        if args.recheck:
            with open(os.path.join(folder, "notes.json")) as f:
                notes = json.load(f)
            steps, trajectories = [], None
        else:
            shutil.rmtree(folder, ignore_errors=True)
            notes = {}
        for case in kit.manifest["step_cases"]:
            for run in steps:
                try:
                    ts = run(kit, case, folder)
                except ValueError as error:  # e.g. DDIMInverseScheduler has no linspace spacing
                    notes[f"{case['schedule']}/{case['spacing']}"] = f"not supported: {error}".split(". ")[0]
                    continue
                ts = distinct(ts)
                same = [int(t) for t in ts] == sorted(kit_levels(case), reverse=name != "ddim_inverse") and all(t == int(t) for t in ts)
                notes.setdefault(f"{case['schedule']}/{case['spacing']}", same)
        if trajectories:
            for case in kit.manifest["trajectory_cases"]:
                ts = distinct(trajectories(kit, case, folder))
                same = [int(t) for t in ts] == kit_levels(case) and all(t == int(t) for t in ts)
                key = f"{case['schedule']}/{case['spacing']}"
                notes[key] = notes.get(key, True) and same
        if not args.recheck:
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "notes.json"), "w") as f:
                json.dump(notes, f, indent=1)
            print(f"{name}: wrote {folder}", file=sys.stderr)
        report_path = os.path.join(folder, "report.json")
        subprocess.run([args.monge, "conformance", "check", args.kit, folder, "--report", report_path, "--quiet"], check=False)
        with open(report_path) as f:
            report = json.load(f)
        rows.append((name, description, report, notes))
    write_markdown(os.path.join(args.out, "report.md"), rows, args.float32)
    if args.pin:
        pin(args.out, args.pin)


def write_markdown(path, rows, float32):
    lines = [f"# diffusers {diffusers.__version__} through Monge's conformance kit",
             "", f"Schedules: {'float32 as shipped' if float32 else 'promoted to the kit float64 ᾱ'}.", ""]
    for name, description, report, notes in rows:
        lines += [f"## {name}: {description}", ""]
        mismatched = sorted(k for k, same in notes.items() if same is False)
        if mismatched:
            lines += [f"Timesteps differ from the kit's levels for: {', '.join(mismatched)}.", ""]
        for k, note in sorted(notes.items()):
            if isinstance(note, str):
                lines += [f"{k}: {note}.", ""]
        steps = [c for c in report["cases"] if c["kind"] == "step"]
        if steps:
            lines += ["| method | case | max error | scaled | tolerance | pass | first failing step |", "|---|---|---|---|---|---|---|"]
            for c in steps:
                lines.append(f"| {c['method']} | {c['case']} | {c['max_error']:.2e} | {c['scaled_error']:.2e} | {c['tolerance']:.0e} | "
                             f"{'yes' if c.get('passed') else 'NO'} | {c.get('first_failing_step', '')} |")
            lines.append("")
        if report["orders"]:
            lines += ["| method | family | errors at judged levels (K = 20, 40, 80, 160) | order | end-point errors | end-point order | pass |",
                      "|---|---|---|---|---|---|---|"]
            for o in report["orders"]:
                errors = " ".join(f"{e:.1e}" for e in o["errors"])
                ends = " ".join(f"{e:.1e}" for e in o["endpoint_errors"])
                order = o["measured_order"] if isinstance(o["measured_order"], (int, float)) else float("nan")
                end_order = o["endpoint_order"] if isinstance(o["endpoint_order"], (int, float)) else float("nan")
                lines.append(f"| {o['method']} | {o['family']} | {errors} | {order:.2f} | {ends} | {end_order:.2f} | "
                             f"{'yes' if o.get('passed') else ('NO' if o.get('passed') is False else '–')} |")
            lines.append("")
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(path + ".tmp", path)
    print(f"wrote {path}", file=sys.stderr)


PINNED = [  # small and telling: one family per convention
    ("ddim", "ddim_eta0", "step__gaussian__linear__leading__k10"),
    ("ddim", "ddim_eta0", "step__gaussian__linear__linspace__k10"),
    ("ddim", "ddim_eta1", "step__gaussian__linear__trailing__k10"),
    ("ddim_alpha_final_0", "ddim_eta0", "step__gaussian__linear__leading__k10"),
    ("ddim_inverse", "inversion", "step__gaussian__linear__leading__k10"),
    ("ddpm", "ddpm", "step__gaussian__linear__linspace__k10"),
    ("euler", "ddim_eta0", "step__gaussian__linear__trailing__k10"),
    ("heun", "heun", "step__gaussian__linear__trailing__k10"),
] + [("dpmpp_2m", "dpmpp_2m", f"trajectory__gaussian__linear__trailing__k{k}") for k in (20, 40, 80, 160)]


def pin(out, target):
    os.makedirs(target, exist_ok=True)
    for config, method, case in PINNED:
        source = os.path.join(out, config, method, case + ".npy")
        folder = os.path.join(target, config, method)
        os.makedirs(folder, exist_ok=True)
        shutil.copyfile(source, os.path.join(folder, case + ".npy"))
    with open(os.path.join(target, "README.md"), "w") as f:
        f.write(f"Outputs of diffusers {diffusers.__version__} schedulers on cases of Monge's conformance kit, written by\n"
                "Benchmarks/conformance/diffusers_report.py --pin (float64 schedules). Layout: <config>/<method>/<case id>.npy;\n"
                "each <config> folder is an OUTPUTS folder of `monge conformance check`.\n")
    print(f"pinned {len(PINNED)} outputs in {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
