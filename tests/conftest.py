"""Shared fixtures. Tests mirror the packages; ``-m slow`` marks end-to-end runs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Offline and small: no model hub here, and vLLM's CPU KV cache must fit a 24 GB machine
# running several engines.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")

REPO_ROOT = Path(__file__).resolve().parents[1]
# ../shared from the main checkout; ../../shared from a worktree under /work/wt/.
SHARED_DATA = next(
    (
        p / "shared" / "data" / "longbench-write"
        for p in (REPO_ROOT.parent, REPO_ROOT.parents[1])
        if (p / "shared" / "data" / "longbench-write").exists()
    ),
    REPO_ROOT.parent / "shared" / "data" / "longbench-write",
)

# Test helpers (e.g. ``from fake_openai import FakeOpenAIServer, Reply, scripted``): plain modules
# in tests/helpers, importable from every test without making tests/ a package.
HELPERS = str(Path(__file__).resolve().parent / "helpers")
if HELPERS not in sys.path:
    sys.path.insert(0, HELPERS)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def longbench_dir() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"LongBench-Write data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_model() -> Path:
    """The cached tiny random Qwen2 model (built once per machine and seed)."""
    from rollout.tiny import tiny_model_path

    return tiny_model_path(seed=0)


@pytest.fixture
def fake_openai():
    """Factory for OpenAI-compatible HTTP servers on 127.0.0.1 (tests/helpers/fake_openai.py),
    stopped at the end of the test: ``server = fake_openai(responder, latency=0.0)``."""
    from fake_openai import FakeOpenAIServer

    servers = []

    def start(responder=None, **kwargs):
        server = FakeOpenAIServer(responder, **kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def tiny_engine(tiny_model):
    """One vLLM CPU :class:`rollout.engine.Engine` on the tiny model for the whole session
    (max_model_len 2048): engines take ~20 s to start, so slow tests share this one."""
    from rollout.engine import Engine

    return Engine(str(tiny_model), max_model_len=2048, seed=0)
