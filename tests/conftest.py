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


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


# Under CI (CI=true) or `make test` (LONGWRITE_NO_SKIPS=1) a skipped test fails the run: only
# tests marked `gpu` may skip (this host has none). Elsewhere a skip is listed but allowed.
NO_SKIPS = _truthy("CI") or _truthy("LONGWRITE_NO_SKIPS")
_forbidden_skips: list[str] = []


@pytest.fixture(scope="session")
def longbench_dir() -> Path:
    if not SHARED_DATA.exists():
        message = (
            f"LongBench-Write data not found at {SHARED_DATA} (the project's ../shared/data; "
            "`longwrite data get longbench-write` downloads the same files)"
        )
        if _truthy("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_DATA


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect skips of tests not marked ``gpu`` (see NO_SKIPS)."""
    if report.skipped and "gpu" not in report.keywords and not hasattr(report, "wasxfail"):
        _forbidden_skips.append(report.nodeid)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Name every forbidden skip; under NO_SKIPS they fail the session."""
    if _forbidden_skips:
        verdict = "FAILED: only gpu-marked tests may skip" if NO_SKIPS else "(allowed outside CI / make test)"
        terminalreporter.write_sep("=", f"{len(_forbidden_skips)} non-gpu test(s) skipped {verdict}")
        for nodeid in _forbidden_skips:
            terminalreporter.write_line(nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if NO_SKIPS and _forbidden_skips and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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
