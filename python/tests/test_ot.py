"""monge.ot and monge.compare: the CLI's results bit for bit, POT's cost, the potentials' certificate."""
import numpy as np
import pytest

import monge
from conftest import same_bits


@pytest.fixture(scope="module")
def points(tmp_path_factory, cli):
    folder = tmp_path_factory.mktemp("ot")
    cli("data", "moons", "--n", 300, "--seed", 1, "--out", folder / "x.npy", "--quiet")
    cli("data", "gaussians8", "--n", 300, "--seed", 2, "--out", folder / "y.npy", "--quiet")
    return folder, np.load(folder / "x.npy"), np.load(folder / "y.npy")


def test_data_equals_the_cli(points):
    _, x, y = points
    assert same_bits(monge.data("moons", 300, seed=1), x)
    assert same_bits(monge.data("gaussians8", 300, seed=2), y)
    assert not same_bits(monge.data("moons", 300, seed=2), x)


def test_data_parameters_equal_the_cli(cli, tmp_path):
    cli("data", "gaussians8", "--n", 50, "--seed", 4, "--param", "radius=3", "--out", tmp_path / "g.npy", "--quiet")
    assert same_bits(monge.data("gaussians8", 50, seed=4, radius=3), np.load(tmp_path / "g.npy"))
    with pytest.raises(monge.MongeError, match="bogus"):
        monge.data("gaussians8", 50, bogus=1)
    with pytest.raises(monge.MongeError, match="unknown dataset"):
        monge.data("nope", 50)


@pytest.mark.parametrize("solver", ["auto", "simplex", "sinkhorn"])
def test_ot_equals_the_cli_bit_for_bit(points, cli, solver, tmp_path):
    folder, x, y = points
    extra = ["--epsilon", "0.05"] if solver == "sinkhorn" else []
    summary = cli.json("ot", folder / "x.npy", folder / "y.npy", "--solver", solver, *extra,
                       "--plan", tmp_path / "plan.npy", "--map", tmp_path / "map.npy", "--quiet")
    r = monge.ot(x, y, solver=solver, epsilon=0.05 if solver == "sinkhorn" else None)
    plan = np.load(tmp_path / "plan.npy")
    assert r.cost == summary["cost"] and r.status == summary["status"] and r.solver == summary["solver"]
    assert r.iterations == summary["iterations"]
    assert same_bits(r.rows.astype(np.float64), plan[:, 0]) and same_bits(r.cols.astype(np.float64), plan[:, 1])
    assert same_bits(r.mass, plan[:, 2])
    assert same_bits(r.map, np.load(tmp_path / "map.npy"))
    if solver != "sinkhorn":
        assert r.certificate == summary["certificate"]


def test_weighted_ot_equals_the_cli(points, cli, tmp_path):
    folder, x, y = points
    rng = np.random.default_rng(5)
    a, b = rng.uniform(0.5, 1.5, 300), rng.uniform(0.5, 1.5, 200)
    a, b = a / a.sum(), b / b.sum()
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    np.save(tmp_path / "y200.npy", y[:200])
    summary = cli.json("ot", folder / "x.npy", tmp_path / "y200.npy", "--source-weights", tmp_path / "a.npy",
                       "--target-weights", tmp_path / "b.npy", "--plan", tmp_path / "plan.npy", "--quiet")
    r = monge.ot(x, y[:200], a, b)
    assert r.cost == summary["cost"] and r.status == "optimal"
    assert same_bits(r.mass, np.load(tmp_path / "plan.npy")[:, 2])
    # The plan's marginals are a and b.
    assert np.allclose(np.bincount(r.rows, r.mass, 300), a, atol=1e-15)
    assert np.allclose(np.bincount(r.cols, r.mass, 200), b, atol=1e-15)


def test_ot_reads_standard_input(points, cli):
    folder, _, _ = points
    from_file = cli.json("ot", folder / "x.npy", folder / "y.npy", "--quiet")
    npy = (folder / "x.npy").read_bytes()
    assert cli.json("ot", "-", folder / "y.npy", "--quiet", stdin=npy)["cost"] == from_file["cost"]
    csv = "x0,x1\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in np.load(folder / "x.npy"))
    assert cli.json("ot", "-", folder / "y.npy", "--quiet", stdin=csv.encode())["cost"] == from_file["cost"]
    status, _, stderr = cli("ot", "-", folder / "y.npy", check=False)
    assert status != 0 and "standard input: empty" in stderr


def test_potentials_certify_the_plan(points):
    _, x, y = points
    r = monge.ot(x, y[:250], np.full(300, 1 / 300), np.full(250, 1 / 250))
    c = ((x[:, None, :] - y[None, :250, :]) ** 2).sum(-1)
    slack = c - r.f[:, None] - r.g[None, :]
    assert slack.min() >= -1e-12                      # dual feasibility
    assert np.abs(slack[r.rows, r.cols]).max() <= 1e-12  # complementary slackness on the plan
    dual = r.f.mean() + r.g.mean()
    assert abs(dual - r.cost) <= 1e-12 * r.cost         # strong duality
    assert abs((c[r.rows, r.cols] * r.mass).sum() - r.cost) <= 1e-12 * r.cost
    assert r.dense().shape == (300, 250)


def test_ot_equals_pot_emd2():
    ot = pytest.importorskip("ot", reason="POT is not installed in this environment (pip install pot)")
    rng = np.random.default_rng(3)
    for n, m, weighted in [(200, 200, False), (150, 170, True)]:
        x, y = rng.normal(size=(n, 2)), rng.normal(size=(m, 2)) + 1
        a = rng.uniform(0.2, 1, n) if weighted else np.full(n, 1 / n)
        b = rng.uniform(0.2, 1, m) if weighted else np.full(m, 1 / m)
        a, b = a / a.sum(), b / b.sum()
        expected = ot.emd2(a, b, ot.dist(x, y), numItermax=10_000_000)
        got = monge.ot(x, y, a, b).cost
        assert abs(got - expected) <= 1e-12 * expected, (got, expected)


def test_layouts_are_read_without_changing_the_result(points):
    _, x, y = points
    reference = monge.ot(x, y)
    wide = np.zeros((300, 5))
    wide[:, 1], wide[:, 3] = x[:, 0], x[:, 1]
    reversed_x = x[::-1].copy()[::-1]  # a negative-stride view of the same values
    for layout in [np.asfortranarray(x), x.T.copy().T, wide[:, 1::2], reversed_x]:
        r = monge.ot(layout, y)
        assert r.cost == reference.cost and same_bits(r.map, reference.map)
    # float32 input is widened exactly.
    x32 = x.astype(np.float32)
    assert monge.ot(x32, y).cost == monge.ot(x32.astype(np.float64), y).cost


def test_threads_do_not_change_the_result(points):
    _, x, y = points
    before = monge.threads()
    try:
        monge.set_threads(1)
        assert monge.threads() == 1
        one = monge.ot(x, y, solver="simplex")
        monge.set_threads(2)
        two = monge.ot(x, y, solver="simplex")
    finally:
        monge.set_threads(0)
    assert monge.threads() == before
    assert one.cost == two.cost and same_bits(one.mass, two.mass)


def test_compare_equals_the_cli(points, cli, tmp_path):
    folder, x, y = points
    tx = x + np.array([0.5, -0.25])
    y2 = monge.data("gaussians8", 300, seed=3)
    np.save(tmp_path / "tx.npy", tx)
    np.save(tmp_path / "y2.npy", y2)
    expected = cli.json("compare", folder / "x.npy", tmp_path / "tx.npy", folder / "y.npy", "--second-target", tmp_path / "y2.npy",
                        "--modes", "oracle:gaussians8", "--quiet")
    got = monge.compare(x, tx, y, second_target=y2, modes="oracle:gaussians8")
    expected.pop("ot_seconds"), got.pop("ot_seconds")
    assert got == expected
    # A translation is its own Monge map: optimality gap 0 (to rounding).
    assert abs(got["optimality_gap"]) < 1e-12


BAD_INPUTS = [
    ("NaN", lambda x: np.where(np.arange(600).reshape(300, 2) == 7, np.nan, x), monge.MongeError, r"x\[3, 1\] is nan"),
    ("inf", lambda x: np.where(np.arange(600).reshape(300, 2) == 0, np.inf, x), monge.MongeError, r"x\[0, 0\] is inf"),
    ("1-D", lambda x: x[:, 0], ValueError, r"x: expected a 2-D array .* x\[:, None\]"),
    ("3-D", lambda x: x[None], ValueError, r"x: expected a 2-D array"),
    ("int", lambda x: x.astype(np.int64), TypeError, r"x: dtype int64"),
    ("complex", lambda x: x.astype(np.complex128), TypeError, r"x: dtype complex128"),
    ("object", lambda x: x.astype(object), TypeError, r"x: dtype object"),
    ("big-endian", lambda x: x.astype(">f8"), TypeError, r"byte order"),
    ("misaligned", lambda x: np.ndarray((300, 2), np.float64, np.zeros(300 * 20, np.uint8), 0, (20, 9)),
     ValueError, r"strides .* not whole elements"),
    ("wrong dimension", lambda x: np.hstack([x, x]), monge.MongeError, r"dimension|columns|shape"),
    ("empty", lambda x: x[:0], monge.MongeError, r"at least one point"),
    ("None", lambda x: None, TypeError, r"x: an array is required"),
    ("string", lambda x: "x.npy", TypeError, r"x: expected a numpy array"),
]


@pytest.mark.parametrize("name,change,error,message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_raises_a_clear_exception(points, name, change, error, message):
    _, x, y = points
    with pytest.raises(error, match=message):
        monge.ot(change(x), y)


def test_bad_weights_and_options_raise_clear_exceptions(points):
    _, x, y = points
    with pytest.raises(monge.MongeError, match="weights|a"):
        monge.ot(x, y, a=np.full(299, 1 / 299))
    with pytest.raises(monge.MongeError):
        monge.ot(x, y, a=-np.ones(300))
    with pytest.raises(ValueError, match="a: expected a 1-D array"):
        monge.ot(x, y, a=np.ones((300, 1)))
    with pytest.raises(monge.MongeError, match="cost"):
        monge.ot(x, y, cost="manhattan")
    with pytest.raises(monge.MongeError, match="positive epsilon"):
        monge.ot(x, y, solver="sinkhorn")
    with pytest.raises(monge.MongeError, match="shape"):
        monge.compare(x, x[:10], y)


def test_the_gil_is_released_during_a_solve():
    import threading
    x, y = monge.data("moons", 3000, seed=1), monge.data("gaussians8", 3000, seed=2)
    done = threading.Event()
    worker = threading.Thread(target=lambda: (monge.ot(x, y), done.set()))
    counter = 0
    worker.start()
    while not done.is_set():
        counter += 1
    worker.join()
    # Held, the GIL would stop this loop for the whole solve (≈ 1 s); released, it spins millions of times.
    assert counter > 10_000


def test_concurrent_calls_from_python_threads_give_the_same_results():
    from concurrent.futures import ThreadPoolExecutor
    x, y = monge.data("moons", 400, seed=1), monge.data("gaussians25", 400, seed=2)
    alone = monge.ot(x, y)
    sampled = monge.sample("oracle:gaussians8", 200, steps=10, seed=3)
    with ThreadPoolExecutor(4) as pool:
        plans = list(pool.map(lambda _: monge.ot(x, y), range(4)))
        samples = list(pool.map(lambda _: monge.sample("oracle:gaussians8", 200, steps=10, seed=3), range(4)))
    assert all(p.cost == alone.cost and same_bits(p.mass, alone.mass) for p in plans)
    assert all(same_bits(s, sampled) for s in samples)


def test_a_failing_call_leaves_the_next_ones_intact(points):
    _, x, y = points
    for _ in range(3):
        with pytest.raises(monge.MongeError):
            monge.ot(x, y, cost="pnorm:0")
    assert monge.ot(x, y).status == "optimal"


def test_image_sets_equal_the_cli(cli, tmp_path, monkeypatch):
    from conftest import ROOT
    monkeypatch.setenv("MONGE_DATA_DIR", str(ROOT / "data" / "generated"))
    if not (ROOT / "data" / "generated" / "digits.npy").is_file():
        pytest.skip("the digits are not set up (make setup writes data/generated/digits.npy)")
    digits = monge.images("data:digits:3,7")
    cli("data", "digits", "--classes", "3,7", "--out", tmp_path / "d.npy", "--quiet")
    assert digits.dtype == np.float32 and digits.shape[1] == 64
    assert same_bits(digits, np.load(tmp_path / "d.npy"))
    with pytest.raises(monge.MongeError, match="names no image set"):
        monge.images("data:moons")
