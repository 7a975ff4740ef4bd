"""Sampling, encoding, decoding, translation and training from Python: the CLI's bits."""
import numpy as np
import pytest

import monge
from conftest import same_bits

TINY = dict(architecture="mlp", width=16, depth=2, time_embedding=8, steps=40, batch=64, T=100, seed=3, log_every=5,
            checkpoint_every=0)
TINY_FLAGS = ["--arch", "mlp", "--width", 16, "--depth", 2, "--time-embedding", 8, "--steps", 40, "--batch", 64, "--T", 100,
              "--seed", 3, "--log-every", 5, "--checkpoint-every", 0, "--quiet"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, cli):
    """The same tiny model trained by monge.train and by `monge train` on the same points."""
    folder = tmp_path_factory.mktemp("train")
    x = monge.data("moons", 500, seed=1)
    np.save(folder / "x.npy", x)
    heard = []
    run = monge.train(x, folder / "py", callback=lambda step, steps, loss: heard.append((step, steps, loss)), **TINY)
    cli("train", folder / "x.npy", "--out", folder / "cli", *TINY_FLAGS)
    return folder, x, run, heard


def test_training_equals_the_cli_bit_for_bit(trained):
    folder, _, run, heard = trained
    assert run.steps == 40 and not run.stopped
    assert [h[0] for h in heard] == list(range(1, 41)) and all(h[1] == 40 for h in heard)
    py, cli = monge.load_checkpoint(folder / "py"), monge.load_checkpoint(folder / "cli")
    assert sorted(py.tensors) == sorted(cli.tensors)
    for name in py.tensors:
        assert same_bits(py.tensors[name], cli.tensors[name]), name
    assert py.metadata["config_fnv1a64"] == cli.metadata["config_fnv1a64"]
    assert py.step == 40
    # The callback heard the losses that were logged.
    logged = {int(s): l for s, l, _, _ in run.loss}
    assert all(logged[s - 1] == loss for s, _, loss in heard if s - 1 in logged)


def test_sample_encode_decode_equal_the_cli(trained, cli, tmp_path):
    folder, x, _, _ = trained
    model = folder / "py"
    cli("sample", model, "--n", 64, "--steps", 10, "--seed", 5, "--out", tmp_path / "s.npy", "--quiet")
    s = monge.sample(model, 64, steps=10, seed=5)
    assert s.dtype == np.float32 and same_bits(s, np.load(tmp_path / "s.npy"))
    np.save(tmp_path / "x.npy", x[:50])
    cli("encode", model, tmp_path / "x.npy", "--steps", 10, "--sampler", "heun", "--out", tmp_path / "z.npy", "--quiet")
    z = monge.encode(model, x[:50], steps=10, sampler="heun")
    assert same_bits(z, np.load(tmp_path / "z.npy"))
    cli("decode", model, tmp_path / "z.npy", "--steps", 10, "--sampler", "ddim", "--eta", 0.5, "--seed", 2,
        "--out", tmp_path / "d.npy", "--quiet")
    d = monge.decode(model, z, steps=10, eta=0.5, seed=2)   # float32 latents are widened exactly
    assert same_bits(d, np.load(tmp_path / "d.npy"))


def test_oracle_sampling_and_translation_equal_the_cli(cli, tmp_path):
    cli("sample", "oracle:gaussians8", "--n", 100, "--steps", 20, "--sampler", "ddpm", "--seed", 9, "--out", tmp_path / "s.npy", "--quiet")
    s = monge.sample("oracle:gaussians8", 100, steps=20, sampler="ddpm", seed=9)
    assert s.dtype == np.float64 and same_bits(s, np.load(tmp_path / "s.npy"))
    x = monge.data("gaussians25", 80, seed=4)
    np.save(tmp_path / "x.npy", x)
    out = cli("translate", "--from", "oracle:gaussians25", "--to", "oracle:gaussians8", tmp_path / "x.npy", "--steps", 15,
              "--sampler", "heun", "--out", tmp_path / "t.npy", "--latent", tmp_path / "z.npy", "--cycle", "--quiet")
    t = monge.translate(("oracle:gaussians25", "oracle:gaussians8"), x, steps=15, sampler="heun", cycle=True)
    assert same_bits(t.mapped, np.load(tmp_path / "t.npy")) and same_bits(t.latent, np.load(tmp_path / "z.npy"))
    assert f"mean {t.info['cycle_error_mean']:.6g}, max {t.info['cycle_error_max']:.6g}" in out


@pytest.mark.parametrize("sampler,spacing", [("euler", "karras"), ("euler-ancestral", "trailing"), ("dpmpp-2m", "karras")])
def test_every_cli_sampler_runs_in_process_bit_for_bit(cli, tmp_path, sampler, spacing):
    """The samplers and spacings of k-diffusion's vocabulary reach the C ABI through the same names."""
    cli("sample", "oracle:gaussians8", "--n", 60, "--steps", 12, "--sampler", sampler, "--spacing", spacing, "--seed", 5,
        "--out", tmp_path / "s.npy", "--quiet")
    s = monge.sample("oracle:gaussians8", 60, steps=12, sampler=sampler, spacing=spacing, seed=5)
    assert same_bits(s, np.load(tmp_path / "s.npy"))
    cli("decode", "oracle:gaussians8", tmp_path / "s.npy", "--steps", 12, "--sampler", sampler, "--spacing", spacing,
        "--seed", 6, "--out", tmp_path / "d.npy", "--quiet")
    assert same_bits(monge.decode("oracle:gaussians8", s, steps=12, sampler=sampler, spacing=spacing, seed=6),
                     np.load(tmp_path / "d.npy"))


def test_encode_and_translate_take_euler_and_refuse_denoise_only_samplers(cli, tmp_path):
    x = monge.data("gaussians25", 40, seed=2)
    np.save(tmp_path / "x.npy", x)
    cli("encode", "oracle:gaussians25", tmp_path / "x.npy", "--steps", 10, "--sampler", "euler", "--out", tmp_path / "z.npy", "--quiet")
    assert same_bits(monge.encode("oracle:gaussians25", x, steps=10, sampler="euler"), np.load(tmp_path / "z.npy"))
    t = monge.translate(("oracle:gaussians25", "oracle:gaussians8"), x, steps=10, sampler="euler")
    # Euler on the probability-flow ODE is DDIM η = 0 in another arithmetic order: equal to rounding.
    ddim = monge.translate(("oracle:gaussians25", "oracle:gaussians8"), x, steps=10, sampler="ddim").mapped
    assert np.abs(t.mapped - ddim).max() < 1e-12
    with pytest.raises(monge.MongeError, match="sampler"):
        monge.encode("oracle:gaussians25", x, steps=10, sampler="dpmpp-2m")
    with pytest.raises(monge.MongeError, match="spacing"):
        monge.translate(("oracle:gaussians25", "oracle:gaussians8"), x, steps=10, spacing="cosine")
    # Karras spacing: the translation is encode then decode at the same Karras levels, bit for bit.
    karras = monge.translate(("oracle:gaussians25", "oracle:gaussians8"), x, steps=10, sampler="heun", spacing="karras").mapped
    latent = monge.encode("oracle:gaussians25", x, steps=10, sampler="heun", spacing="karras")
    assert same_bits(karras, monge.decode("oracle:gaussians8", latent, steps=10, sampler="heun", spacing="karras"))
    with pytest.warns(DeprecationWarning):
        old = monge.translate(("oracle:gaussians25", "oracle:gaussians8"), x, steps=10, method="heun")
    assert same_bits(old.mapped, monge.translate(("oracle:gaussians25", "oracle:gaussians8"), x, steps=10, sampler="heun").mapped)


def test_translation_with_checkpoints_equals_the_cli(trained, cli, tmp_path):
    folder, x, _, _ = trained
    np.save(tmp_path / "x.npy", x[:40])
    cli("translate", "--from", folder / "py", "--to", "oracle:gaussians8", tmp_path / "x.npy", "--steps", 8,
        "--out", tmp_path / "t.npy", "--quiet")
    t = monge.translate((folder / "py", "oracle:gaussians8"), x[:40], steps=8)
    assert t.mapped.dtype == np.float32 and same_bits(t.mapped, np.load(tmp_path / "t.npy"))


def test_a_callback_stops_training_at_a_checkpoint(tmp_path):
    x = monge.data("moons", 300, seed=1)
    run = monge.train(x, tmp_path / "m", callback=lambda step, steps, loss: step < 7, **TINY)
    assert run.stopped and run.steps == 7
    assert monge.load_checkpoint(tmp_path / "m").step == 7

    def interrupt(step, steps, loss):
        if step == 3:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        monge.train(x, tmp_path / "k", callback=interrupt, **TINY)
    assert monge.load_checkpoint(tmp_path / "k").step == 3
    # Resuming finishes the run.
    rest = monge.train(x, tmp_path / "k", resume=True, **TINY)
    assert rest.steps == 40 and not rest.stopped


def test_model_errors_are_monge_messages(tmp_path):
    with pytest.raises(monge.MongeError, match="no such checkpoint folder"):
        monge.sample(tmp_path / "missing", 10, steps=5)
    with pytest.raises(monge.MongeError, match="unknown oracle"):
        monge.sample("oracle:nothing", 10, steps=5)
    with pytest.raises(monge.MongeError, match="steps"):
        monge.sample("oracle:gaussians8", 10, steps=0)
    with pytest.raises(monge.MongeError, match="dimension 2"):
        monge.encode("oracle:gaussians8", np.zeros((5, 3)), steps=5)
    with pytest.raises(monge.MongeError, match="unknown option"):
        monge.train(np.zeros((10, 2)), tmp_path / "m", widht=3)
    with pytest.raises(monge.MongeError, match="nan"):
        monge.translate(("oracle:gaussians8", "oracle:gaussians25"), np.full((3, 2), np.nan), steps=5)
    with pytest.raises(TypeError, match="pair"):
        monge.translate("oracle:gaussians8", np.zeros((3, 2)), steps=5)


def test_sampling_progress_is_heard_and_its_errors_raised():
    heard = []
    s = monge.sample("oracle:gaussians8", 100, steps=10, progress=lambda done, total, _: heard.append((done, total)))
    assert heard and max(d for d, _ in heard) == heard[0][1] == 100 * 10
    assert same_bits(s, monge.sample("oracle:gaussians8", 100, steps=10))

    def broken(done, total, _):
        raise ValueError("from the callback")
    with pytest.raises(ValueError, match="from the callback"):
        monge.sample("oracle:gaussians8", 100, steps=10, progress=broken)


def test_a_long_message_is_cut_at_a_character_boundary(tmp_path):
    name = str(tmp_path / ("é" * 3000))
    with pytest.raises(monge.MongeError) as caught:
        monge.sample(name, 10, steps=5)
    message = str(caught.value)
    assert message.startswith('invalid MODEL "') and "\ufffd" not in message
    assert 4000 < len(message.encode()) <= 4095
