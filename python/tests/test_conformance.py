"""monge.conformance against a kit exported by the `monge` binary: an exact DDIM step (written here
from the paper's formula) passes, the same step with one coefficient off by 1 % fails, and the
Python report agrees with `monge conformance check` on the same outputs."""
import json

import numpy as np
import pytest

from monge import conformance
from monge.conformance import ConformanceKitError


@pytest.fixture(scope="module")
def kit(cli, tmp_path_factory):
    folder = tmp_path_factory.mktemp("kit")
    cli("conformance", "export", "--out", folder, "--quiet")
    return conformance.Kit(folder)


def ddim(scale=1.0):
    """DDIM η = 0 (Song et al. 2021, eq. 12); `scale` multiplies the ε coefficient (1: exact)."""
    def step(x, eps, t, t_next, *, alpha_bar, alpha_bar_next, **context):
        x0 = (x - np.sqrt(1 - alpha_bar) * eps) / np.sqrt(alpha_bar)
        return np.sqrt(alpha_bar_next) * x0 + scale * np.sqrt(1 - alpha_bar_next) * eps
    return step


def test_exact_ddim_step_passes_every_ddim_and_inversion_case(kit):
    report = conformance.check(kit, ddim(), methods=["ddim_eta0", "inversion"])
    assert report.passed, report.summary()
    assert len(report.cases) == 2 * len(kit.step_cases) == 36
    assert max(c.scaled_error for c in report.cases) < 1e-12


def test_one_coefficient_off_by_one_percent_fails_every_case(kit):
    report = conformance.check(kit, ddim(1.01), methods=["ddim_eta0"])
    assert not report.passed
    failed = [c for c in report.cases if c.passed is False]
    assert len(failed) == len(kit.step_cases)
    assert all(c.first_failing_step == 0 for c in failed)
    assert "FAIL" in report.summary()


def test_float32_outputs_use_the_float32_tolerance(kit):
    report = conformance.check(kit, lambda *a, **k: ddim()(*a, **k).astype(np.float32), methods=["ddim_eta0"])
    assert report.passed and {c.tolerance for c in report.cases} == {1e-3}


def test_ddim_trajectories_show_order_one_and_agree_with_the_cli_checker(kit, cli, tmp_path):
    report = conformance.check(kit, ddim(), methods=["ddim_eta0"], trajectory_method="ddim", outputs=tmp_path)
    assert report.passed, report.summary()
    assert len(report.orders) == 18 and all(abs(o.measured_order - 1) <= 0.25 for o in report.orders)
    swift = json.loads(cli("conformance", "check", kit.directory, tmp_path, "--quiet"))
    assert swift["passed"] is True
    ours = {(c.method, c.case): c.max_error for c in report.cases}
    for c in swift["cases"]:
        assert ours[(c["method"], c["case"])] == pytest.approx(c["max_error"], rel=1e-12, abs=1e-300)
    swift_orders = {(o["method"], o["family"]): o["measured_order"] for o in swift["orders"]}
    for o in report.orders:
        assert o.measured_order == pytest.approx(swift_orders[(o.method, o.family)], rel=1e-9)


def test_a_whole_trajectory_function_with_the_wrong_order_fails(kit):
    def skip_half(x_start, levels, epsilon, *, alphas_cumprod, **context):
        # DDIM with a 1 % bias in the ε weight: its error does not shrink with K (order ≈ 0, not 1).
        ab = lambda t: 1.0 if t < 0 else float(alphas_cumprod[t])
        states = [x_start]
        for t, s in zip(levels, levels[1:]):
            x, e = states[-1], epsilon(states[-1], t)
            x0 = (x - np.sqrt(1 - ab(t)) * e) / np.sqrt(ab(t))
            states.append(np.sqrt(ab(s)) * x0 + 1.01 * np.sqrt(1 - ab(s)) * e)
        return np.stack(states)
    report = conformance.check(kit, trajectory=skip_half, trajectory_method="ddim")
    assert not report.passed
    assert any(o.passed is False for o in report.orders)


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing", "not a directory"),
    (lambda p: p, "cases.json: missing"),
    (lambda p: (p / "cases.json").write_text("{") and p, "not JSON"),
    (lambda p: (p / "cases.json").write_text('{"format": "other/1"}') and p, "format: expected 'monge-conformance/1'"),
])
def test_bad_kit_folder_is_a_clear_error(tmp_path, make, message):
    folder = make(tmp_path)
    with pytest.raises(ConformanceKitError, match=message):
        conformance.check(folder, ddim())


def test_unknown_method_and_wrong_shape_are_clear_errors(kit):
    with pytest.raises(ValueError, match="unknown step method 'ddim'"):
        conformance.check(kit, ddim(), methods=["ddim"])
    with pytest.raises(ValueError, match=r"expected a float32/float64 array of shape \(8, 2\)"):
        conformance.check(kit, lambda x, *a, **k: x[:4], methods=["ddim_eta0"])


def dpmpp_2m(x_start, levels, epsilon, *, alphas_cumprod, **context):
    """DPM-Solver++(2M) (Lu et al. 2022) in k-diffusion's (y = x/√ᾱ, σ) form, written from the paper."""
    ab = lambda t: 1.0 if t < 0 else float(alphas_cumprod[t])
    sigma = lambda t: np.sqrt((1 - ab(t)) / ab(t))
    y, states, old, h_last = x_start / np.sqrt(ab(levels[0])), [x_start], None, None
    for t, s in zip(levels, levels[1:]):
        denoised = y - sigma(t) * epsilon(np.sqrt(ab(t)) * y, t)
        if s < 0:
            y = denoised
        else:
            h = np.log(sigma(t)) - np.log(sigma(s))
            d = denoised if old is None else (1 + h / (2 * h_last)) * denoised - h / (2 * h_last) * old
            y = sigma(s) / sigma(t) * y - np.expm1(-h) * d
            h_last = h
        old = denoised
        states.append(np.sqrt(ab(s)) * y)
    return np.stack(states)


def test_a_numpy_dpm_solver_shows_order_two_on_every_family(kit):
    report = conformance.check(kit, trajectory=dpmpp_2m, trajectory_method="dpmpp_2m")
    assert report.passed, report.summary()
    assert all(o.passed and abs(o.measured_order - 2) <= 0.25 for o in report.orders)


class NumpyDDIM:
    """A scheduler object with diffusers' interface (set_timesteps, timesteps, step(...).prev_sample),
    DDIM η = 0 written from the paper's eq. 12; the last step goes to clean data (ᾱ = 1).
    `levels(case)` chooses its timesteps; `scale` multiplies the ε coefficient (1: exact)."""

    class Output:
        def __init__(self, prev_sample):
            self.prev_sample = prev_sample

    def __init__(self, alphas_cumprod, levels, scale=1.0):
        self.alphas_cumprod, self.levels, self.scale = alphas_cumprod, levels, scale

    def set_timesteps(self, count):
        self.timesteps = np.array(self.levels[:count], dtype=np.int64)

    def step(self, model_output, timestep, sample):
        i = list(self.timesteps).index(timestep)
        a = self.alphas_cumprod[timestep]
        a_next = self.alphas_cumprod[self.timesteps[i + 1]] if i + 1 < len(self.timesteps) else 1.0
        x0 = (sample - np.sqrt(1 - a) * model_output) / np.sqrt(a)
        return self.Output(np.sqrt(a_next) * x0 + self.scale * np.sqrt(1 - a_next) * model_output)


def numpy_ddim(scale=1.0, shift=0):
    def make(case, kit):
        levels = [t + shift if t + shift < len(kit.alphas_cumprod(case["schedule"])) else t for t in case["levels"] if t >= 0]
        return NumpyDDIM(kit.alphas_cumprod(case["schedule"]), levels, scale)
    return make


def test_a_scheduler_object_runs_every_trajectory_case_with_order_one(kit):
    report = conformance.check_scheduler(kit, numpy_ddim(), trajectory_method="ddim")
    assert report.passed, report.summary()
    assert len(report.orders) == 18 and all(abs(o.measured_order - 1) <= 0.25 for o in report.orders)
    # The same states as the step function iterated along the levels (check's own trajectory runner).
    stepped = conformance.check(kit, ddim(), methods=[], trajectory_method="ddim")
    ours = {c.case: c.max_error for c in stepped.cases}
    for c in report.cases:
        assert c.max_error == pytest.approx(ours[c.case], rel=1e-9, abs=1e-15)


def test_a_scheduler_with_one_coefficient_off_by_one_percent_fails(kit):
    report = conformance.check_scheduler(kit, numpy_ddim(scale=1.01), trajectory_method="ddim")
    assert not report.passed


def test_a_scheduler_on_other_timesteps_is_refused_by_name(kit):
    with pytest.raises(ValueError, match="are not the case's levels"):
        conformance.check_scheduler(kit, numpy_ddim(shift=1), trajectory_method="ddim")
