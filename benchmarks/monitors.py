"""Reward-hacking monitor cost per 10,000-unit answer (goal: under 10 ms of CPU each).

Run: ``PYTHONPATH=. .venv/bin/python -m benchmarks monitors`` (about a minute).

Each monitor of ``rewards.monitors`` on answers of the shape they must handle
(``benchmarks/_long_text.py``: varied Zipf text from a 20,000-word / 3,500-character vocabulary,
a fifth of the paragraphs copied verbatim from far earlier): English 10,000 words in paragraphs
of 40-120 words and in ~500 paragraphs of 15-25 words, Chinese 10,000 and 20,000 characters.
CPU time of this process (the machine is shared; CPU time is what one core spends), min and
median over repeats. Baselines measured in the same run: ``rollout.text.count_words`` on the same
text (the one pass every reward already pays), so the ratio says how many word counts a monitor
costs, and zlib level 6 (the compression measure before LZMA: cheap, but blind to repeats more
than 32 KB back). The over-used n-gram share is measured over a step of 8 prompts x 2 samples and
divided by 16; intra-group similarity over a group of 2 and divided by 2.
"""

from __future__ import annotations

import statistics
import time
import zlib

from benchmarks._long_text import (
    chinese_paragraphs,
    chinese_vocabulary,
    english_paragraphs,
    english_vocabulary,
    topic_answer,
    with_far_copies,
)
from rewards.monitors import (
    NgramReference,
    compression_ratio,
    distinct_n,
    intra_group_similarity,
    near_duplicate_share,
    overused_ngrams,
    text_monitors,
)
from rewards.segment import units
from rollout.text import count_words

REPEATS = 15
PROMPTS, SAMPLES = 8, 2


def _cpu_ms(fn, repeats: int = REPEATS) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append((time.process_time() - t0) * 1000)
    return min(times), statistics.median(times)


def _answers() -> dict[str, tuple[str, list[str]]]:
    """name -> (the measured answer, a second varied answer of the same shape for the group)."""
    en, zh = english_vocabulary(), chinese_vocabulary()
    shapes = {
        "en 10k words, 40-120/para": (english_paragraphs, 10_000, (40, 120), en),
        "en 10k words, 15-25/para": (english_paragraphs, 10_000, (15, 25), en),
        "zh 10k chars, 80-240/para": (chinese_paragraphs, 10_000, (80, 240), zh),
        "zh 20k chars, 80-240/para": (chinese_paragraphs, 20_000, (80, 240), zh),
    }
    out = {}
    for name, (make, n, para, vocab) in shapes.items():
        paras = make(n, 1, para, vocab=vocab)
        text, _, _ = with_far_copies(paras, 0.2, seed=2, min_distance=len(paras) // 3)
        # Copies replace paragraphs of other lengths: the total moves by a few percent.
        assert abs(count_words(text) - n) <= 0.05 * n, (name, count_words(text))
        out[name] = (text, ["\n\n".join(make(n, 3, para, vocab=vocab))])
    return out


def _step(first: int) -> tuple[list[str], list[int]]:
    """A step of 8 prompts x 2 English 10,000-word answers, each prompt with its own topic words."""
    import random

    vocab = english_vocabulary()
    topics = [random.Random(p).sample(vocab[3000:], 30) for p in range(first, first + PROMPTS)]
    gids = [p for p in range(PROMPTS) for _ in range(SAMPLES)]
    return [
        topic_answer(first * 100 + i, 10_000, topics[g], 0.15, vocab=vocab) for i, g in enumerate(gids)
    ], gids


def measure() -> list[tuple[str, str, float, float]]:
    """(answer shape, monitor, min ms, median ms) rows, the count_words baseline first per shape."""
    rows = []
    for shape, (text, others) in _answers().items():
        shared = units(text)
        cases = {
            "count_words (baseline)": lambda t=text: count_words(t),
            "units (shared pass)": lambda t=text: units(t),
            "distinct-1,2,3 (on the shared units)": lambda u=shared: [distinct_n(u, n) for n in (1, 2, 3)],
            "zlib ratio (old; baseline)": lambda t=text: len(t.encode()) / len(zlib.compress(t.encode(), 6)),
            "compression_ratio (LZMA)": lambda t=text: compression_ratio(t),
            "near_duplicate_share": lambda t=text: near_duplicate_share(t),
            "intra_group_similarity (per answer of 2)": lambda g=[text, *others]: intra_group_similarity(g),
            "text_monitors (all per-answer ones)": lambda t=text: text_monitors(t),
        }
        for name, fn in cases.items():
            lo, med = _cpu_ms(fn, 5 if shape.startswith("zh 20k") else REPEATS)
            if name.startswith("intra_group"):
                lo, med = lo / 2, med / 2
            rows.append((shape, name, lo, med))
    step1, _ = _step(0)
    step2, gids = _step(PROMPTS)
    ref = NgramReference.from_texts(step1)
    n = len(step2)
    base_lo, base_med = _cpu_ms(lambda: [count_words(t) for t in step2], 5)
    rows.append(("en step 8x2 x 10k words", "count_words (baseline)", base_lo / n, base_med / n))
    lo, med = _cpu_ms(lambda: NgramReference.from_texts(step1), 3)
    rows.append(("en step 8x2 x 10k words", "NgramReference (first step only)", lo / n, med / n))
    lo, med = _cpu_ms(lambda: overused_ngrams(step2, ref, group_ids=gids), 3)
    rows.append(("en step 8x2 x 10k words", "overused_ngrams (per answer)", lo / n, med / n))
    return rows


def main() -> None:
    """Print the table: CPU ms per answer and the ratio to count_words on the same text."""
    rows = measure()
    base = {shape: med for shape, name, _, med in rows if name.startswith("count_words")}
    print(f"{'answer':<27}{'monitor':<42}{'min ms':>8}{'median ms':>11}{'x count_words':>15}{'< 10 ms':>9}")
    for shape, name, lo, med in rows:
        ok = "yes" if med < 10 else "NO"
        print(f"{shape:<27}{name:<42}{lo:>8.2f}{med:>11.2f}{med / base[shape]:>15.1f}{ok:>9}")


if __name__ == "__main__":
    main()
