"""Reading Monge's sampler conformance kit (`monge conformance export --out KIT`) from Python.

One implementation: the package's `monge.conformance` (pure numpy; it needs no libMongeC), imported
from the repository's python/ folder so that the diffusers venv needs no install of the package.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from monge.conformance import Kit, write_output  # noqa: E402,F401
