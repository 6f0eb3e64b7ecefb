"""AgentWrite throughput (items per minute) at concurrency 1, 8 and 32 against the ideal.

The writer is a loopback OpenAI-compatible server (tests/helpers/fake_openai.py with the
deterministic AgentWrite responder) that waits a fixed latency per call, so the ideal is known:
an item of S paragraphs is S + 1 sequential calls, so ``concurrency`` items in flight finish
``concurrency * 60 / ((S + 1) * latency)`` items a minute. The table shows what the real client,
journal (one fsync per call) and event loop reach, and the speed-up over concurrency 1 measured
in the same run. ``python -m benchmarks agentwrite``
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

LATENCY_S = 0.05  # seconds per writer call
STEPS = 3  # paragraphs per item: 4 calls per item
RUNS = ((1, 16), (8, 64), (32, 192))  # (concurrency, items)


def _serve(latency: float, conn) -> None:
    """Child process: the loopback writer (its own GIL, like a real remote endpoint)."""
    from agentwrite_writer import agentwrite_responder
    from fake_openai import FakeOpenAIServer

    with FakeOpenAIServer(agentwrite_responder, latency=latency) as server:
        conn.send((server.url, server.model))
        conn.recv()  # until the parent says stop


def _measure(concurrency: int, n_items: int, latency: float = LATENCY_S) -> float:
    import multiprocessing as mp

    from rollout.endpoint import EndpointClient
    from sft_baseline.agentwrite import Instruction, run_agentwrite

    items = [Instruction(f"b{i}", f"Write essay {i}. [[steps:{STEPS}]]") for i in range(n_items)]
    parent, child = mp.Pipe()
    proc = mp.get_context("fork").Process(target=_serve, args=(latency, child), daemon=True)
    proc.start()
    try:
        url, model = parent.recv()
        with tempfile.TemporaryDirectory() as d:
            client = EndpointClient(url, model, concurrency=concurrency)
            t0 = time.perf_counter()
            summary = run_agentwrite(items, client, Path(d), concurrency=concurrency, progress=False)
            seconds = time.perf_counter() - t0
    finally:
        parent.send("stop")
        proc.join(timeout=10)
    assert summary["kept"] == n_items, summary
    return seconds


def main() -> None:
    """Print items/minute per concurrency, the ideal, and the ratios."""
    helpers = str(Path(__file__).resolve().parents[1] / "tests" / "helpers")
    if helpers not in sys.path:
        sys.path.insert(0, helpers)
    calls = STEPS + 1
    _measure(2, 2)  # warm-up: imports, first connections
    print(f"loopback writer: {LATENCY_S * 1000:.0f} ms per call, {calls} calls per item")
    print(
        f"{'conc':>4} {'items':>5} {'seconds':>8} {'items/min':>10} {'ideal':>8} {'of ideal':>8} {'vs c=1':>7}"
    )
    base = None
    for conc, n in RUNS:
        sec = _measure(conc, n)
        rate = n * 60 / sec
        ideal = min(conc, n) * 60 / (calls * LATENCY_S)
        base = base or rate
        print(
            f"{conc:>4} {n:>5} {sec:>8.2f} {rate:>10.0f} {ideal:>8.0f} {rate / ideal:>8.2f} {rate / base:>6.1f}x"
        )


if __name__ == "__main__":
    main()
