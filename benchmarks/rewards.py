"""Reward scoring speed: rule-based parts per answer, and batched vs per-sample embedding parts.

Run: ``PYTHONPATH=. .venv/bin/python -m benchmarks rewards`` (about a minute or two on 2 cores).

* Rule-based parts (parse, count, length reward, n-gram repetition, paragraph split and exact
  duplicate check) on one 10,000-word answer and per answer of a 64 x ~2,000-word batch, in one
  Python thread (goal: < 10 ms for the 10,000-word answer).
* Embedding parts (format's semantic repetition + the embedding quality backend):
  ``score_batch`` on the 64-answer batch at once (one MiniLM encode) against the same 64 answers
  scored one ``score_batch`` call each; the ratio is measured in the same run.
"""

from __future__ import annotations

import os
import random
import statistics
import time

N_BATCH = 64
# The embedding comparison is compute-bound on CPU (MiniLM over every paragraph); by default it
# uses the first 16 of the 64 long answers to keep the run short. REWARDS_BENCH_EMBED_N=64 for all.
N_EMBED = int(os.environ.get("REWARDS_BENCH_EMBED_N", "16"))
WORDS_TINY = 150
WORDS_SHORT = 2000
WORDS_LONG = 10000
PARA_WORDS = 80

_VOCAB = (
    "river city market trade grain harvest season flood canal record state king temple merchant "
    "boat copper timber stone valley mountain rain drought farmer village road bridge law tax army "
    "war peace treaty empire province language writing scribe school library history memory story "
    "family child elder festival music song dance garden tree flower bird fish salt cloth silver "
    "gold coin ship harbour island coast desert oasis caravan camel horse iron bronze tool craft "
    "the a of and to in is that for it as with on be by this are from at or an which we can will"
).split()


def _answer(rng: random.Random, words: int) -> str:
    paras = []
    left = words
    while left > 0:
        n = min(PARA_WORDS, left)
        sentence = [rng.choice(_VOCAB) for _ in range(n)]
        paras.append(" ".join(sentence).capitalize() + ".")
        left -= n
    return "\n\n".join(paras)


def _response(rng: random.Random, words: int) -> str:
    plan = "\n".join(f"{i}. Section on {rng.choice(_VOCAB)} and {rng.choice(_VOCAB)}" for i in range(1, 8))
    return f"<think>\n{plan}\n</think>\n<answer>\n{_answer(rng, words)}\n</answer>"


def rule_based_ms(prompt: str, response: str, repeats: int = 30) -> tuple[float, float]:
    """(min, median) CPU milliseconds (this process, one thread) for the rule-based parts on one response.

    CPU time rather than wall time: the benchmark machine is shared, and CPU time is what one
    core spends, which is the quantity the goal is stated in.
    """
    from rewards import score_batch

    # The real path: score_batch with the length reward and the format reward's rule-based parts
    # (structure, lexical repetition, exact paragraph duplicates; semantic check off).
    cfg = {"rewards": {"length": 1.0, "format": 1.0}, "options": {"format": {"semantic": False}}}
    sample = [{"prompt": prompt, "response": response}]
    score_batch(sample, cfg)
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        score_batch(sample, cfg)
        times.append(time.process_time() - t0)
    return 1000 * min(times), 1000 * statistics.median(times)


def main() -> None:
    """Print the rule-based timings and the batched-vs-per-sample embedding ratio."""
    from rewards import score_batch
    from rewards.embedding import load_minilm

    rng = random.Random(0)
    long_prompt = "Write a 10000-word history of river trade."
    long_resp = _response(rng, WORDS_LONG)
    batch = [
        {"prompt": f"Write a {WORDS_SHORT}-word essay on topic {i}.", "response": _response(rng, WORDS_SHORT)}
        for i in range(N_BATCH)
    ]

    long_min, long_med = rule_based_ms(long_prompt, long_resp)
    short = [rule_based_ms(s["prompt"], s["response"], repeats=3) for s in batch]
    short_min, short_med = min(m for m, _ in short), statistics.median(m for _, m in short)
    print("\nRule-based parts (parse, counts, length, n-gram repetition, paragraphs), one thread:")
    print("| answer | CPU time per answer, min | median | goal |\n|---|---|---|---|")
    print(f"| 1 x {WORDS_LONG:,} words | {long_min:.2f} ms | {long_med:.2f} ms | < 10 ms |")
    print(f"| {N_BATCH} x {WORDS_SHORT:,} words | {short_min:.2f} ms | {short_med:.2f} ms | |")

    load_minilm()  # load outside the timings
    cfg = {"rewards": {"format": 1.0, "quality": 1.0}}
    tiny = [
        {"prompt": f"Write a {WORDS_TINY}-word note on topic {i}.", "response": _response(rng, WORDS_TINY)}
        for i in range(N_BATCH)
    ]
    rows = []
    for label, samples in (
        (f"{N_EMBED} x {WORDS_SHORT:,} words", batch[:N_EMBED]),
        (f"{N_BATCH} x {WORDS_TINY} words", tiny),
    ):
        score_batch(samples[:2], cfg)  # warm-up
        t0, c0 = time.perf_counter(), time.process_time()
        batched = score_batch(samples, cfg)
        t_batched, c_batched = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        single = [score_batch([s], cfg)[0] for s in samples]
        t_single, c_single = time.perf_counter() - t0, time.process_time() - c0
        drift = max(abs(a.total - b.total) for a, b in zip(batched, single, strict=True))
        rows.append((label, len(samples), t_batched, t_single, c_batched, c_single, drift))
    t0 = time.perf_counter()
    score_batch([{"prompt": long_prompt, "response": long_resp}], cfg)
    t_long = time.perf_counter() - t0

    print("\nEmbedding parts (format semantic + quality embedding); wall time, and CPU time of all threads:")
    print(
        "| batch | one batched score_batch | sample by sample (baseline) | speed-up wall / CPU | max total diff |"
    )
    print("|---|---|---|---|---|")
    for label, n, tb, ts, cb, cs, drift in rows:
        print(
            f"| {label} | {tb:.2f} s wall, {cb:.2f} s CPU ({1000 * tb / n:.0f} ms/answer) "
            f"| {ts:.2f} s wall, {cs:.2f} s CPU ({1000 * ts / n:.0f} ms/answer) "
            f"| {ts / tb:.2f}x / {cs / cb:.2f}x | {drift:.1e} |"
        )
    print(f"| 1 x {WORDS_LONG:,} words | {t_long:.2f} s wall | | | |")
