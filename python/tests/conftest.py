"""Shared fixtures: the `monge` binary the results are compared with, bit for bit."""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def monge_binary() -> Path:
    path = Path(os.environ.get("MONGE_BINARY") or ROOT / ".build" / "release" / "monge")
    if not path.is_file():
        pytest.fail(f"the monge binary {path} is missing: run `make build` first (or set MONGE_BINARY)")
    return path


@pytest.fixture(scope="session")
def cli():
    """Runs `monge args…` and returns stdout; fails the test with stderr on a non-zero exit."""
    binary = monge_binary()

    def run(*args, check=True, stdin: bytes = b""):
        r = subprocess.run([str(binary), *map(str, args)], capture_output=True, input=stdin)
        stdout, stderr = r.stdout.decode(), r.stderr.decode()
        if check and r.returncode != 0:
            pytest.fail(f"monge {' '.join(map(str, args))} exited {r.returncode}: {stderr}")
        return stdout if check else (r.returncode, stdout, stderr)

    run.json = lambda *args, **kw: json.loads(run(*args, "--json", **kw))
    return run


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal shape, dtype and every bit (NaN-safe, −0 ≠ +0)."""
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()
