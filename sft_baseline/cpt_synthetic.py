"""A synthetic long-document corpus for CPT tests and benchmarks (no corpus can be downloaded here).

Two kinds, each deterministic for its seed: ``book`` documents (numbered chapters of paragraphs
from a small English grammar: a few thousand words each, one of 10,000 words when asked) and
``reasoning`` traces (numbered steps of a worked problem), the small share LongWriter-Zero mixes
into its books and reports. The text has structure a tiny model can learn in a few dozen steps, so
held-out perplexity measurably falls; held-out documents come from another seed, never from the
training documents. Lengths are in :func:`rollout.text.count_words` words.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

__all__ = ["book", "reasoning_trace", "write_corpus"]

_NOUNS = (
    "city river water light story music world history science people school family friend "
    "research data model language energy climate ocean mountain journey letter society economy "
    "technology reader author idea chapter plan"
).split()
_VERBS = "changes shapes holds carries needs makes finds gives keeps opens".split()
_ADJ = "long short important future past first second new old quiet".split()
_LINKS = ("However,", "Therefore,", "Finally,", "First,", "Because of this,", "For example,")


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_LINKS)] if rng.random() < 0.3 else []
    words += ["the", rng.choice(_ADJ), rng.choice(_NOUNS), rng.choice(_VERBS), "the", rng.choice(_NOUNS)]
    words += ["of", "the", rng.choice(_NOUNS)]
    if rng.random() < 0.5:
        words += ["and", "the", rng.choice(_NOUNS)]
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random, words: int) -> str:
    out: list[str] = []
    n = 0
    while n < words:
        s = _sentence(rng)
        out.append(s)
        n += len(s.split())
    return " ".join(out)


def book(rng: random.Random, words: int) -> str:
    """A book-like document of about ``words`` words: chapters of ~400 words, paragraphs of ~80."""
    chapters = []
    written = 0
    number = 1
    while written < words:
        size = min(400, words - written)
        paras = [_paragraph(rng, 80) for _ in range(max(1, size // 80))]
        chapters.append(
            f"Chapter {number}. The {rng.choice(_ADJ)} {rng.choice(_NOUNS)}\n\n" + "\n\n".join(paras)
        )
        written += sum(len(p.split()) for p in paras)
        number += 1
    return "\n\n".join(chapters)


def reasoning_trace(rng: random.Random, steps: int) -> str:
    """A worked arithmetic problem in ``steps`` numbered steps, each checked, then the answer."""
    a, b = rng.randint(10, 99), rng.randint(10, 99)
    lines = [f"Problem: start from {a} and add {b} at each step, {steps} times. What is the result?"]
    total = a
    for i in range(1, steps + 1):
        new = total + b
        lines.append(f"Step {i}: {total} plus {b} is {new}. Check: {new} minus {b} is {total}.")
        total = new
    lines.append(f"Answer: {total}.")
    return "\n".join(lines)


def write_corpus(
    folder: str | Path,
    seed: int,
    books: int,
    book_words: int,
    traces: int = 0,
    trace_steps: int = 40,
    long_book_words: int = 0,
) -> dict[str, Path]:
    """Write ``books.jsonl`` (``books`` documents of ``book_words`` words, plus one of
    ``long_book_words`` words when > 0) and ``traces.jsonl`` (``traces`` reasoning traces) into
    ``folder``; return their paths by kind (``traces`` only when asked)."""
    rng = random.Random(f"cpt-corpus:{seed}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sizes = [book_words] * books + ([long_book_words] if long_book_words > 0 else [])
    paths = {"books": folder / "books.jsonl"}
    with paths["books"].open("w", encoding="utf-8") as f:
        for words in sizes:
            f.write(json.dumps({"text": book(rng, words)}) + "\n")
    if traces:
        paths["traces"] = folder / "traces.jsonl"
        with paths["traces"].open("w", encoding="utf-8") as f:
            for _ in range(traces):
                f.write(json.dumps({"text": reasoning_trace(rng, trace_steps)}) + "\n")
    return paths
