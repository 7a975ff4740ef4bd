"""Checkpoints both ways: numpy from Monge, Monge from a PyTorch state_dict of the anchor ε-MLP."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import monge
from conftest import ROOT, same_bits


def anchor_state_dict(width=32, depth=3, dimension=2, embedding=16, seed=0):
    """A state_dict shaped like bench_diffusion.py's EpsMLP (net.0, net.2, …), random float32."""
    rng = np.random.default_rng(seed)
    sizes = [dimension + embedding] + [width] * depth + [dimension]
    state = {}
    for k in range(len(sizes) - 1):
        bound = 1 / np.sqrt(sizes[k])
        state[f"net.{2 * k}.weight"] = rng.uniform(-bound, bound, (sizes[k + 1], sizes[k])).astype(np.float32)
        state[f"net.{2 * k}.bias"] = rng.uniform(-bound, bound, sizes[k + 1]).astype(np.float32)
    return state


def reference_epsilon(state, x, t, embedding, activation="silu"):
    """The anchor's forward in float64 numpy: [x, sin(t f), cos(t f)] → (Linear, act)… → Linear."""
    half = embedding // 2
    f = np.exp(-np.log(10000.0) * np.arange(half) / half)
    h = np.hstack([x, np.tile(np.concatenate([np.sin(t * f), np.cos(t * f)]), (len(x), 1))])
    layers = sorted({int(k.split(".")[1]) for k in state})
    for i, k in enumerate(layers):
        h = h @ state[f"net.{k}.weight"].astype(np.float64).T + state[f"net.{k}.bias"]
        if i < len(layers) - 1:
            h = h / (1 + np.exp(-h)) if activation == "silu" else np.maximum(h, 0)
    return h


@pytest.mark.parametrize("activation", ["silu", "relu"])
def test_a_converted_state_dict_gives_the_anchor_epsilon(tmp_path, activation):
    state = anchor_state_dict()
    folder = monge.from_pytorch(state, tmp_path / "m", activation=activation)
    x = np.random.default_rng(1).normal(size=(64, 2))
    for t in [0, 1, 250, 999]:
        got = monge.epsilon(folder, x, t)
        expected = reference_epsilon(state, x.astype(np.float32).astype(np.float64), t, 16, activation)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=2e-6)
    # The folder holds the weights only, in Monge's layout, and samples like a trained one.
    saved = monge.load_checkpoint(folder)
    assert saved.step is None and not any(k.startswith(("adam.", "ema.")) for k in saved.tensors)
    assert same_bits(saved.tensors["input.weight"], state["net.0.weight"].T)
    assert same_bits(saved.weights["hidden.2.weight"], state["net.4.weight"].T)
    assert saved.config["model"]["architecture"] == "mlp" and saved.config["model"]["width"] == 32
    assert monge.sample(folder, 20, steps=5).shape == (20, 2)


def test_a_converted_checkpoint_samples_like_the_cli(tmp_path, cli):
    folder = monge.from_pytorch(anchor_state_dict(), tmp_path / "m")
    cli("sample", folder, "--n", 30, "--steps", 7, "--seed", 2, "--out", tmp_path / "s.npy", "--quiet")
    assert same_bits(monge.sample(folder, 30, steps=7, seed=2), np.load(tmp_path / "s.npy"))


def test_bad_state_dicts_are_refused(tmp_path):
    state = anchor_state_dict()
    with pytest.raises(monge.MongeError, match="not a layer"):
        monge.from_pytorch({**state, "other": np.zeros(3)}, tmp_path / "a")
    broken = dict(state)
    broken["net.2.weight"] = broken["net.2.weight"][:, :5]
    with pytest.raises(monge.MongeError, match="hidden layer 2"):
        monge.from_pytorch(broken, tmp_path / "b")
    with pytest.raises(ValueError, match="NaN"):
        bad = dict(state)
        bad["net.0.bias"] = np.full(32, np.nan, np.float32)
        monge.from_pytorch(bad, tmp_path / "c")
    with pytest.raises(monge.MongeError, match="missing"):
        monge.save_model(tmp_path / "d", {"input.weight": np.zeros((18, 32))}, architecture="mlp", dimension=2, width=32,
                         depth=3, time_embedding=16)
    assert not (tmp_path / "d" / "model.safetensors").exists()


def test_load_checkpoint_reads_a_trained_run(tmp_path):
    x = monge.data("moons", 200, seed=1)
    monge.train(x, tmp_path / "m", architecture="mlp", width=8, depth=2, time_embedding=4, steps=12, batch=32, T=50,
                log_every=4, ema=0.9)
    saved = monge.load_checkpoint(tmp_path / "m" / "model.safetensors")
    assert saved.step == 12 and saved.config["model"]["width"] == 8
    assert saved.tensors["input.weight"].shape == (2 + 4, 8)
    assert saved.tensors["loss_log"].shape == (4, 4)   # steps 0, 4, 8 and the last, 11
    # Sampling uses the EMA: ε from the package equals the numpy forward with the ema.* weights.
    state = {}
    for k, name in enumerate(["input", "hidden.1", "output"]):
        state[f"net.{2 * k}.weight"] = saved.weights[name + ".weight"].T
        state[f"net.{2 * k}.bias"] = saved.weights[name + ".bias"]
    assert same_bits(saved.weights["output.bias"], saved.tensors["ema.output.bias"])
    got = monge.epsilon(tmp_path / "m", x[:16], 17)
    np.testing.assert_allclose(got, reference_epsilon(state, x[:16].astype(np.float32).astype(np.float64), 17, 4),
                               rtol=1e-4, atol=2e-6)
    with pytest.raises(monge.MongeError, match="no model.safetensors"):
        monge.load_checkpoint(tmp_path)


def test_pytorch_anchor_and_converted_checkpoint_agree(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (CPU wheel: pip install torch); "
                                                "the numpy reference test above covers the same layout")
    spec = importlib.util.spec_from_file_location("bench_diffusion", ROOT / "Benchmarks" / "anchors" / "bench_diffusion.py")
    import sys
    sys.path.insert(0, str(ROOT / "Benchmarks" / "anchors"))
    anchor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(anchor)
    torch.manual_seed(0)
    model = anchor.EpsMLP(64, "silu").eval()
    folder = monge.from_pytorch(model.state_dict(), tmp_path / "m")
    x = torch.randn(128, 2, generator=torch.Generator().manual_seed(1))
    for t in [0, 10, 500, 999]:
        ts = torch.full((128,), t, dtype=torch.int64)
        with torch.no_grad():
            expected = model(x, ts).numpy()
        got = monge.epsilon(folder, x.numpy().astype(np.float64), t)
        # float32 on both sides; PyTorch rounds the embedding's angle t·f_k to float32 first
        # (Monge computes it in float64), which moves sin/cos by up to ~1e-4 at t = 999.
        np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-4)
        # With the embedding in float64 too, the two agree to Monge's float32 rounding.
        import math
        model64 = anchor.EpsMLP(64, "silu").double()
        model64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
        f = torch.exp(-math.log(10000.0) * torch.arange(64, dtype=torch.float64) / 64)
        angle = ts.double()[:, None] * f[None, :]
        with torch.no_grad():
            exact = model64.net(torch.cat([x.double(), torch.sin(angle), torch.cos(angle)], dim=1)).numpy()
        np.testing.assert_allclose(got, exact, rtol=1e-4, atol=2e-6)
