"""Judge throughput: the evaluator's two judge paths against a fast loopback judge with a fixed latency.

The question is "how close to the ideal rate do our judge paths get?", so the judge must not be the
limit: benchmarks/_loopback.py (aiohttp.web, single-threaded, in its own process on 127.0.0.1)
answers every chat completion after :data:`LATENCY` of ``asyncio.sleep`` - a pairwise prompt
(marker ``[Answer A]``) with a five-level verdict (``[[A>B]]`` after a sentence of reasoning), any
other prompt with a valid six-dimension JSON verdict. Three clients at concurrency 1, 8, 32 and
128, interleaved (bare, LongBench-Write, Arena-Write, bare, ...) :data:`REPEATS` times; each sends
``WAVES x concurrency`` requests per run:

- ``bare``, the baseline: a bare aiohttp loop with no client logic (one session, a semaphore, POST
  the Arena-Write prompts - the larger bodies - read, ``json.loads``, take the content): what the
  transport alone reaches in the same run, after one warm-up wave.
- ``longbench``: :func:`eval.judge.judge_answers` through :class:`rollout.endpoint.EndpointClient`
  (no cache): prompt rendering, the client, six-dimension verdict parsing; after one warm-up wave
  in the same event loop. Every verdict must parse.
- ``arena``: :func:`eval.arena_write.judge_pairs` end to end, as ``longwrite eval`` calls it:
  ``WAVES x concurrency / 2`` (answer, baseline) pairs in both orders, five-level verdicts parsed,
  every judgement appended to a fresh jsonl file (one locked write each) as it settles; the call
  opens its own event loop and connections and closes them, and all of that is timed (one
  warm-up call per process pays the imports). Every verdict must parse.

Ideal = ``concurrency / LATENCY`` requests per second; the table gives each client's best run, its
fraction of the ideal and its CPU ms per request (the client process's ``process_time``), every
run's fraction, and each path's best rate against the bare baseline's. Why 1 s: see :data:`LATENCY`.

    PYTHONPATH=$PWD .venv/bin/python -m benchmarks judge
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import tempfile
import time
from pathlib import Path

from benchmarks._loopback import timed

# A real judge call takes seconds (a verdict of a few hundred tokens); 1 s is a scaled-down one.
# What the benchmark can show is concurrency x CPU per request against the latency: at 128 the
# budget is 1 s / 128 = 7.8 ms per request, against ~1-1.5 ms of CPU (judge path ~0.7-1.1 ms +
# server ~0.35 ms) on two shared cores: the client's overhead shows, the scheduler does not
# decide. At the former 100 ms the budget would be 0.78 ms, below the CPU one request costs, so
# no client could reach the ideal at 128 on this machine (a bare aiohttp loop made 81% at 200 ms).
LATENCY = 1.0
WAVES = 8  # requests per concurrency level and run = WAVES x concurrency (even: Arena pairs x 2)
CONCURRENCY = (1, 8, 32, 128)
REPEATS = 3
CLIENTS = ("bare", "longbench", "arena")
LABELS = {"bare": "bare aiohttp", "longbench": "LongBench-Write", "arena": "Arena-Write"}
MODEL = "loopback-judge"
PAIRWISE_MARKER = "[Answer A]"
PAIRWISE_REPLY = "A covers the request more fully and reads better.\n[[A>B]]"


def _replies() -> tuple[str, tuple[tuple[str, str], ...]]:
    """The server's default reply (a six-dimension verdict) and its pairwise rule."""
    from eval.scoring import DIMENSIONS

    return json.dumps(dict.fromkeys(DIMENSIONS, 4)), ((PAIRWISE_MARKER, PAIRWISE_REPLY),)


#: Answer length of the default table (words); the long table uses LONG_WORDS for both the answer
#: and the baseline, as a LongWriter-Zero answer has (~60-70k characters each).
SHORT_WORDS = 100
LONG_WORDS = 10_000
LONG_CONCURRENCY = (1, 8, 32)


@functools.lru_cache(maxsize=4)
def _body(words: int, seed: int) -> str:
    """A varied English text of ``words`` words (benchmarks/_long_text.py), built once per size."""
    from benchmarks._long_text import english_paragraphs

    return "\n\n".join(english_paragraphs(words, seed))


def _answer(i: int | str, words: int = SHORT_WORDS) -> str:
    if words <= SHORT_WORDS:
        return f"An answer about topic {i}. " * (words // 5)
    return f"An answer about topic {i}.\n\n" + _body(words, 0)


def _baseline(i: int | str, words: int = SHORT_WORDS) -> str:
    if words <= SHORT_WORDS:
        return f"Baseline {i}. " * (words // 5)
    return f"Baseline {i}.\n\n" + _body(words, 1)


def _arena_inputs(tag: str, n_pairs: int, words: int = SHORT_WORDS) -> tuple[list, dict[str, dict]]:
    """``n_pairs`` Arena-Write items (one baseline each) and a prediction for each."""
    from eval.arena_write import ArenaItem

    items = [
        ArenaItem(f"{tag}{i}", f"Write about topic {i}.", "essay", None, "en", {"ref": _baseline(i, words)})
        for i in range(n_pairs)
    ]
    preds = {it.id: {"id": it.id, "error": None, "answer": _answer(it.id, words)} for it in items}
    return items, preds


async def _measure_bare(url: str, concurrency: int, waves: int, words: int = SHORT_WORDS) -> dict:
    """The baseline: a bare aiohttp loop posting the Arena-Write prompts, no client logic."""
    from benchmarks._loopback import measure_bare
    from eval.pairwise import pairwise_prompt

    prompt = pairwise_prompt()

    def content(i: str) -> str:
        return prompt.fill(
            request=f"Write about topic {i}.", answer_a=_answer(i, words), answer_b=_baseline(i, words)
        )

    row, texts = await measure_bare(url, concurrency, waves, content, MODEL)
    assert all(t == PAIRWISE_REPLY for t in texts)
    return row


async def measure_longbench(url: str, concurrency: int, waves: int, words: int = SHORT_WORDS) -> dict:
    """The LongBench-Write path: :func:`eval.judge.judge_answers` rating ``waves x concurrency``
    answers (every verdict must parse)."""
    from eval.judge import judge_answers
    from rollout.endpoint import EndpointClient

    def items(tag: str, n: int) -> list[tuple[str, str, str]]:
        return [(f"{tag}{i}", f"Write about topic {i}.", _answer(i, words)) for i in range(n)]

    async with EndpointClient(url, MODEL, concurrency=concurrency, max_retries=0) as client:
        await judge_answers(client, items("w", concurrency), max_attempts=1)  # warm-up
        batch = items(f"j{concurrency}-", waves * concurrency)
        t0, c0 = time.monotonic(), time.process_time()
        records = await judge_answers(client, batch, max_attempts=1)
        row = timed(len(batch), t0, c0)
    failed = [r for r in records if r.S_q is None]
    if failed:
        raise RuntimeError(f"{len(failed)} LongBench-Write judgements failed, e.g. {failed[0].error}")
    return row


def _measure_arena(url: str, concurrency: int, waves: int, workdir: Path, words: int = SHORT_WORDS) -> dict:
    """The Arena-Write path: :func:`eval.arena_write.judge_pairs` end to end on
    ``waves x concurrency / 2`` pairs in both orders, appending to a fresh jsonl file."""
    from eval.arena_write import judge_pairs
    from eval.pairwise import pairwise_prompt
    from rollout.endpoint import EndpointClient

    n = waves * concurrency
    if n % 2:
        raise ValueError(f"waves x concurrency must be even (pairs in both orders), got {n}")
    path = workdir / f"arena-c{concurrency}-{time.monotonic_ns()}.jsonl"  # fresh: nothing to skip
    items, preds = _arena_inputs(f"a{concurrency}-", n // 2, words)
    client = EndpointClient(url, MODEL, concurrency=concurrency, max_retries=0)
    t0, c0 = time.monotonic(), time.process_time()
    stored = judge_pairs(items, preds, client, pairwise_prompt(), path, max_attempts=1, progress=False)
    row = timed(n, t0, c0)
    failed = [r for r in stored.values() if r.get("verdict") != "A>B"]
    if len(stored) != n or failed:
        raise RuntimeError(f"{len(failed)} of {len(stored)} Arena-Write judgements failed (expected {n})")
    return row


def bench_judge(
    latency: float = LATENCY,
    concurrency: tuple[int, ...] = CONCURRENCY,
    waves: int = WAVES,
    repeats: int = REPEATS,
    words: int = SHORT_WORDS,
) -> list[dict]:
    """The three clients against one loopback judge (benchmarks/_loopback.py) in its own process;
    one row per concurrency. Each client runs ``repeats`` times, interleaved with the others; a row
    keeps each client's best run (``{name}_rps``, ``{name}_cpu_ms``) and every run's requests/s
    (``{name}_runs``)."""
    from benchmarks._loopback import interleaved_rows, start_server

    text, when = _replies()
    proc, url = start_server(latency, text, when)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            _measure_arena(url, 1, 2, workdir)  # warm-up: imports and first-use costs of this path
            measures = {
                "bare": lambda c: asyncio.run(_measure_bare(url, c, waves, words)),
                "longbench": lambda c: asyncio.run(measure_longbench(url, c, waves, words)),
                "arena": lambda c: _measure_arena(url, c, waves, workdir, words),
            }
            return interleaved_rows(measures, concurrency, latency, waves, repeats)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def format_rows(rows: list[dict]) -> str:
    """The table as text (:func:`benchmarks._loopback.format_client_rows`), with each judge path's
    best rate against the bare baseline's best of the same run."""
    from benchmarks._loopback import format_client_rows

    return format_client_rows(rows, LABELS, {"LBW/bare": "longbench", "arena/bare": "arena"}, 18)


def main(
    latency: float = LATENCY,
    concurrency: tuple[int, ...] = CONCURRENCY,
    waves: int = WAVES,
    repeats: int = REPEATS,
) -> list[dict]:
    """Measure and print two tables (figures go to benchmarks/RESULTS.md): answers and baselines of
    about :data:`SHORT_WORDS` words at ``concurrency``, then of :data:`LONG_WORDS` words (each
    request carries one or two 60-70k-character answers) at :data:`LONG_CONCURRENCY`, 2 repeats.
    Returns the rows of both."""
    rows = []
    for words, levels, reps in ((SHORT_WORDS, concurrency, repeats), (LONG_WORDS, LONG_CONCURRENCY, 2)):
        load = os.getloadavg()
        table = bench_judge(latency, levels, waves, reps, words)
        end = os.getloadavg()
        print(
            f"\nJudge paths vs loopback judge (aiohttp.web, own process), answers and baselines of {words} words, "
            f"fixed latency {latency * 1000:.0f} ms, {waves} x concurrency requests per run, best of {reps} "
            f"interleaved runs, ideal = concurrency / latency, {os.cpu_count()} CPUs, load average (1/5/15 min) "
            f"{load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} at start, {end[0]:.1f}/{end[1]:.1f}/{end[2]:.1f} at end; "
            "CPU = client process CPU ms per request (best run)"
        )
        print(format_rows(table))
        rows.extend({**r, "words": words} for r in table)
    return rows


if __name__ == "__main__":
    main()
