"""Judge throughput: LongBench-Write (concurrency 1, 8, 32, 128) and Arena-Write judgements per second.

A loopback OpenAI-compatible judge (tests/helpers/fake_openai.py, real HTTP on 127.0.0.1, in its
own process) answers every request after a fixed latency with a valid six-dimension verdict. The evaluator's judge
path (:func:`eval.judge.judge_answers` through :class:`rollout.endpoint.EndpointClient`, no cache)
rates ``WAVES x concurrency`` answers at each concurrency (so every level runs the same number of
latency periods); the ideal is ``concurrency / latency`` requests per second. The baseline
measured in the same run is concurrency 1.

The Arena-Write table runs the pairwise path (:func:`eval.arena_write.judge_pairs`: both orders of
every (answer, baseline) pair, five-level verdicts parsed, each judgement appended to a jsonl
file) against the same loopback judge, which answers pairwise prompts with a verdict.

    PYTHONPATH=$PWD .venv/bin/python -m benchmarks judge
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

LATENCY_S = 0.1
WAVES = 8
CONCURRENCY = (1, 8, 32, 128)
#: Arena-Write judgements per concurrency level (pairs x 2 orders).
N_ITEMS = 64


def _verdict(body: dict, attempt: int) -> str:
    from eval.scoring import DIMENSIONS

    if "[Answer A]" in body["messages"][0]["content"]:
        return "A is fuller and more precise.\n[[A>B]]"
    return json.dumps(dict.fromkeys(DIMENSIONS, 4))


def _serve(latency: float, port_queue, stop_event) -> None:
    """Run the loopback judge in its own process (so it does not share the client's GIL)."""
    import http.server

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "helpers"))
    from fake_openai import FakeOpenAIServer

    # Two stdlib defaults that a production server does not have and that would dominate a
    # loopback measurement: a listen backlog of 5 (32 simultaneous connects get reset) and
    # Nagle's algorithm on the response socket (headers and body go out as two writes, so the
    # body waits ~40 ms for the client's delayed ACK).
    http.server.ThreadingHTTPServer.request_queue_size = 256
    http.server.BaseHTTPRequestHandler.disable_nagle_algorithm = True
    server = FakeOpenAIServer(_verdict, latency=latency, model="loopback-judge").start()
    port_queue.put(server.url)
    stop_event.wait()
    server.stop()


def measure(concurrency: int, url: str, items: list[tuple[str, str, str]]) -> float:
    """Seconds to judge ``items`` at ``concurrency`` (every verdict checked to be readable)."""
    from eval.judge import judge_answers
    from rollout.endpoint import EndpointClient

    client = EndpointClient(url, "loopback-judge", concurrency=concurrency, max_retries=0)

    async def go():
        try:
            return await judge_answers(client, items, max_attempts=1)
        finally:
            await client.aclose()

    t0 = time.perf_counter()
    records = asyncio.run(go())
    seconds = time.perf_counter() - t0
    failed = [r for r in records if r.S_q is None]
    if failed:
        raise RuntimeError(f"{len(failed)} judgements failed, e.g. {failed[0].error}")
    return seconds


def measure_arena(concurrency: int, url: str, n_items: int, workdir: Path) -> float:
    """Seconds for the Arena-Write pairwise path to judge ``n_items`` pairs in both orders."""
    from eval.arena_write import ArenaItem, judge_pairs
    from eval.pairwise import pairwise_prompt
    from rollout.endpoint import EndpointClient

    items = [
        ArenaItem(f"w{i}", f"Write about topic {i}.", "essay", None, "en", {"ref": f"Baseline {i}. " * 20})
        for i in range(n_items)
    ]
    preds = {
        it.id: {"id": it.id, "error": None, "answer": f"An answer about topic {it.id}. " * 20} for it in items
    }
    client = EndpointClient(url, "loopback-judge", concurrency=concurrency, max_retries=0)
    path = workdir / f"arena-c{concurrency}.jsonl"
    t0 = time.perf_counter()
    stored = judge_pairs(items, preds, client, pairwise_prompt(), path, max_attempts=1, progress=False)
    seconds = time.perf_counter() - t0
    failed = [r for r in stored.values() if r.get("verdict") is None]
    if len(stored) != 2 * n_items or failed:
        raise RuntimeError(f"{len(failed)} of {len(stored)} pairwise judgements failed")
    return seconds


def _print_rows(title: str, rows: list) -> None:
    base = rows[0][2]
    print(title)
    print(
        f"{'concurrency':>11} {'seconds':>8} {'judgements/s':>13} {'ideal/s':>8} {'of ideal':>9} {'vs c=1':>7}"
    )
    for c, seconds, rate, ideal in rows:
        print(
            f"{c:>11} {seconds:>8.2f} {rate:>13.1f} {ideal:>8.1f} {rate / ideal:>9.0%} {rate / base:>6.1f}x"
        )


def main() -> None:
    """Print judgements/s per concurrency against the ideal and against concurrency 1."""
    import multiprocessing as mp
    import tempfile

    ctx = mp.get_context("spawn")
    urls, stop = ctx.Queue(), ctx.Event()
    proc = ctx.Process(target=_serve, args=(LATENCY_S, urls, stop), daemon=True)
    proc.start()
    try:
        url = urls.get(timeout=60)
        items = [
            (f"item-{i}", f"Write about topic {i}.", f"An answer about topic {i}. " * 20)
            for i in range(WAVES * max(CONCURRENCY))
        ]
        measure(2, url, items[:4])  # warm-up: imports, first connections
        rows = []
        for c in CONCURRENCY:
            seconds = measure(c, url, items[: WAVES * c])
            rows.append((c, seconds, WAVES * c / seconds, c / LATENCY_S))
        arena_rows = []
        with tempfile.TemporaryDirectory() as tmp:
            measure_arena(2, url, 2, Path(tmp))  # warm-up
            for c in CONCURRENCY:
                seconds = measure_arena(c, url, N_ITEMS // 2, Path(tmp))
                arena_rows.append((c, seconds, N_ITEMS / seconds, c / LATENCY_S))
    finally:
        stop.set()
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()
    import os

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"judge throughput: {WAVES} x concurrency judgements, loopback judge latency {LATENCY_S * 1000:.0f} ms, "
        f"{os.cpu_count()} CPUs, load average {load:.1f}"
    )
    _print_rows("LongBench-Write (six-dimension verdicts):", rows)
    _print_rows(
        f"Arena-Write ({N_ITEMS // 2} pairs x 2 orders, five-level verdicts, jsonl appends):", arena_rows
    )


if __name__ == "__main__":
    main()
