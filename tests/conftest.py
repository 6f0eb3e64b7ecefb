"""Shared fixtures. Tests mirror the packages; ``-m slow`` marks end-to-end runs."""

from __future__ import annotations

import os
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
