# Monge — the two commands of the README:
#   make demo   set up, build, and run the quick DDIB 2-D reproduction
#   make test   set up, build, and run every test (Swift, then the Python package's pytest)
#   make fuzz   libFuzzer over the file readers, FUZZ_SECONDS (default 60) per reader (CI runs it)
#   make slurm-test  a sharded grid on a real single-node Slurm cluster and GNU parallel (CI runs it)
# `make setup` installs what is missing (Debian packages, a Python venv for numpy and the
# notebooks) and is shared by both.

SHELL := /bin/bash
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := pkg-config libeigen3-dev libgnuplot-iostream-dev libboost-iostreams-dev \
                libboost-filesystem-dev gnuplot-nox python3-venv zlib1g-dev dataset-fashion-mnist
VENV := .venv
PYTHON := $(CURDIR)/$(VENV)/bin/python
MONGE := .build/release/monge
DEMO_OUT ?= runs/quick

export MONGE_PYTHON := $(PYTHON)
export MONGE_BINARY := $(CURDIR)/$(MONGE)

SLURM_PACKAGES := slurm-wlm munge parallel

.PHONY: setup apt venv data build demo test fuzz slurm-setup slurm-test bench clean

setup: apt venv data

apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing$$missing" >&2; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

venv: $(VENV)/.ready $(VENV)/.ready-python

# The Python package's tests and notebooks: pytest, matplotlib, POT (the reference of monge.ot).
# PyTorch is optional (its converter test is skipped without it).
$(VENV)/.ready-python: $(VENV)/.ready
	$(VENV)/bin/pip install -q --disable-pip-version-check --upgrade setuptools wheel pytest matplotlib pot
	touch $@

$(VENV)/.ready:
	@echo "setup: creating $(VENV) (numpy, scikit-learn, jupyter nbconvert)" >&2
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check numpy scikit-learn nbconvert nbclient ipykernel
	touch $@

# The 8×8 handwritten digits of the image path (scikit-learn's bundled copy; see data/README.md).

data: venv
	@if [ ! -f data/generated/digits.npy ] || [ ! -f data/generated/digits_labels.npy ]; then \
	  $(PYTHON) -c 'import sklearn' 2>/dev/null || $(VENV)/bin/pip install -q --disable-pip-version-check scikit-learn; \
	  $(PYTHON) data/fetch_digits.py data/generated; \
	fi

# The CLI, libMongeC (the C ABI) and the Python package `monge` on it, installed into .venv.
build: setup
	swift build -c release --product monge
	swift build -c release --product MongeC
	$(VENV)/bin/pip install -q --disable-pip-version-check --no-deps --no-build-isolation ./python

# The README's figures are copied from the quick run into plots/ (the only figures kept in git).
README_FIGURES := map_moons__concentric-rings oracle_map_2 oracle_optimality_vs_steps

demo: build
	$(MONGE) reproduce ddib-2d --quick --out $(DEMO_OUT)
	@mkdir -p plots
	@for f in $(README_FIGURES); do cp $(DEMO_OUT)/figures/$$f.png plots/$$f.png; done
	@echo "demo: results in $(DEMO_OUT)/results.md and $(DEMO_OUT)/oracle_results.md; README figures in plots/" >&2

test: build
	swift test -c release --disable-testable-imports
	cd python && $(PYTHON) -m pytest -q -p no:cacheprovider tests

# The .npy, CSV, safetensors and JSON readers under libFuzzer with AddressSanitizer (Fuzz/run.sh);
# fails on any crash, sanitizer report or broken reader invariant.
FUZZ_SECONDS ?= 60

fuzz: build
	FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run.sh

# Slurm and GNU parallel for the scale-out (issue 16); not needed by the demo or the tests.
slurm-setup:
	@missing=""; for p in $(SLURM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "slurm-setup: installing$$missing" >&2; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

# Starts a one-node cluster (as root), runs a 4-shard grid as a job array + merge and through GNU
# parallel, compares both with the one-process run, stops the daemons (scripts/slurm/test.sh).
slurm-test: build slurm-setup
	scripts/slurm/test.sh $(MONGE)

bench: build
	$(MONGE) bench gemm

clean:
	rm -rf .build .build-fuzz $(VENV) runs
