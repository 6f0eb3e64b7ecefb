"""A local model behind an OpenAI-compatible server on 127.0.0.1, for the length of one run.

``longwrite agentwrite --local-model PATH`` writes with a local checkpoint through the same
client as a hosted API: :func:`local_server` starts the server ``longwrite serve`` starts
(``rollout.cli.serve_command``: vLLM's OpenAI server with CPU defaults on CPU hosts), waits until it answers, yields ``(base_url, model_name)`` and stops it (its whole process
group) afterwards, also on errors and Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

__all__ = ["local_server", "free_port"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def local_server(
    model: str | Path,
    *,
    max_model_len: int | None = None,
    port: int | None = None,
    timeout: float = 600.0,
    seed: int = 0,
) -> Iterator[tuple[str, str]]:
    """Serve ``model`` (a local HF directory) on 127.0.0.1; yield ``(base_url, served_model_name)``.

    ``max_model_len`` in tokens (prompt + completion; None: the model's own limit, which vLLM
    reads from the checkpoint's config). Raises RuntimeError with the server log's
    tail if it exits or is not ready within ``timeout`` seconds.
    """
    model = Path(model)
    name = model.name
    port = port or free_port()
    cmd, env = _serve_command(model, name, port, max_model_len, seed)
    with tempfile.NamedTemporaryFile(prefix="longwrite-serve-", suffix=".log", delete=False) as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        url = f"http://127.0.0.1:{port}/v1"
        try:
            _wait_ready(proc, url, timeout, log.name)
            yield url, name
        finally:
            _stop(proc)


def _wait_ready(proc: subprocess.Popen, url: str, timeout: float, log_path: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"model server exited ({proc.returncode}):\n{_tail(log_path)}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"model server not ready after {timeout:.0f} s:\n{_tail(log_path)}")
        time.sleep(1.0)


def _serve_command(
    model: Path, name: str, port: int, max_model_len: int | None, seed: int
) -> tuple[list[str], dict]:
    """``longwrite serve``'s command line and environment (:func:`rollout.cli.serve_command`)."""
    from rollout.cli import serve_command

    return serve_command(
        str(model),
        port=port,
        served_model_name=name,
        max_model_len=max_model_len,
        extra=["--seed", str(seed)],
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _tail(path: str, n: int = 4000) -> str:
    with contextlib.suppress(OSError):
        return Path(path).read_text(errors="replace")[-n:]
    return ""
