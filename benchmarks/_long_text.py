"""Seeded long answers with known padding at known places, for the monitors' tests and benchmark.

No model or corpus can be downloaded here, so "varied text" is drawn from a seeded generator:
words from a large vocabulary (20,000 pronounceable pseudo-words for English, 3,500 CJK
characters for Chinese) with Zipf-shaped frequencies (rank r drawn with weight 1/r^s, so the 100
commonest units make about half the text, as in real prose), in sentences and paragraphs of varied
length. Two such paragraphs share almost no unit trigram, so any repetition a monitor finds is the
padding the builder put in, at places it returns.

* :func:`english_paragraphs` / :func:`chinese_paragraphs` - varied paragraphs of a given total
  length (words / CJK characters, as :func:`rollout.text.count_words` counts them);
* :func:`with_far_copies` - a share of the paragraphs replaced by verbatim copies of paragraphs
  far earlier (returns the text and the units that are copies);
* :func:`topic_answer` - one prompt's answer: varied text with the prompt's own topic words mixed
  in, and optionally the same stuffed words in every answer.

The leading underscore keeps ``python -m benchmarks`` from running this module as a benchmark.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

from rollout.text import count_words

_ONSETS = [
    "",
    "b",
    "c",
    "d",
    "f",
    "g",
    "h",
    "j",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "v",
    "w",
    "br",
    "st",
]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou"]
_CODAS = ["", "n", "r", "s", "t", "l", "m", "nd", "st"]


def english_vocabulary(size: int = 20_000, seed: int = 0) -> list[str]:
    """``size`` distinct pronounceable lower-case pseudo-words, shortest first (rank 0 = commonest)."""
    rng = random.Random(seed)
    syllables = [o + v + c for o, v, c in itertools.product(_ONSETS, _VOWELS, _CODAS)]
    seen: set[str] = set()
    words: list[str] = []
    n_syl = 1
    while len(words) < size:
        for _ in range(size * 4):
            w = "".join(rng.choice(syllables) for _ in range(n_syl))
            if w not in seen:
                seen.add(w)
                words.append(w)
                if len(words) == size:
                    break
        n_syl += 1
    return words


def chinese_vocabulary(size: int = 3_500, seed: int = 0) -> list[str]:
    """``size`` distinct CJK characters (U+4E00..U+9FFF, the units count_words counts), in rank order."""
    rng = random.Random(seed)
    return [chr(c) for c in rng.sample(range(0x4E00, 0x9FA6), size)]


def _zipf_sampler(rng: random.Random, vocab: Sequence[str], s: float):
    cum = list(itertools.accumulate(1.0 / (r + 1) ** s for r in range(len(vocab))))
    return lambda k: rng.choices(vocab, cum_weights=cum, k=k)


def _split_lengths(rng: random.Random, total: int, lo: int, hi: int) -> list[int]:
    """Lengths in [lo, hi] summing to ``total`` (the last one may be shorter than ``lo``)."""
    out = []
    while total > 0:
        n = min(rng.randint(lo, hi), total)
        out.append(n)
        total -= n
    return out


def english_paragraphs(
    words: int, seed: int, para_words: tuple[int, int] = (40, 120), vocab: Sequence[str] | None = None
) -> list[str]:
    """Varied English paragraphs of ``words`` words in all (sentences of 6-24 words).

    ``para_words`` bounds each paragraph's length in words (many short paragraphs: e.g. (15, 25)).
    """
    rng = random.Random(seed)
    draw = _zipf_sampler(rng, vocab or english_vocabulary(), 1.0)
    paras = []
    for n in _split_lengths(rng, words, *para_words):
        sentences = []
        for k in _split_lengths(rng, n, 6, 24):
            toks = draw(k)
            sentences.append(" ".join([toks[0].capitalize(), *toks[1:]]) + ".")
        paras.append(" ".join(sentences))
    return paras


def chinese_paragraphs(
    chars: int, seed: int, para_chars: tuple[int, int] = (80, 240), vocab: Sequence[str] | None = None
) -> list[str]:
    """Varied Chinese paragraphs of ``chars`` CJK characters in all (clauses of 4-16 characters)."""
    rng = random.Random(seed)
    draw = _zipf_sampler(rng, vocab or chinese_vocabulary(), 0.9)
    paras = []
    for n in _split_lengths(rng, chars, *para_chars):
        clauses = ["".join(draw(k)) for k in _split_lengths(rng, n, 4, 16)]
        paras.append("，".join(clauses) + "。")
    return paras


def with_far_copies(
    paras: Sequence[str], share: float, seed: int, min_distance: int
) -> tuple[str, int, list[int]]:
    """Replace about ``share`` of ``paras`` by verbatim copies of paragraphs >= ``min_distance`` earlier.

    Copies are placed in the later part of the text (a copy never copies a copy). Returns the
    joined text (blank lines between paragraphs), the number of units (words / CJK characters) in
    the copies, and the indices that are copies.
    """
    rng = random.Random(seed)
    out = list(paras)
    k = round(share * len(paras))
    places = sorted(rng.sample(range(min_distance, len(paras)), k))
    originals = [i for i in range(len(paras)) if i not in set(places)]
    copied_units = 0
    for i in places:
        src = rng.choice([j for j in originals if j <= i - min_distance])
        out[i] = out[src]
        copied_units += count_words(out[i])
    return "\n\n".join(out), copied_units, places


def topic_answer(
    seed: int,
    words: int,
    topic: Sequence[str],
    topic_share: float = 0.1,
    stuffed: Sequence[str] = (),
    stuffed_share: float = 0.0,
    vocab: Sequence[str] | None = None,
) -> str:
    """One prompt's answer: varied English with its ``topic`` words and ``stuffed`` words mixed in.

    ``topic_share`` of the words are drawn uniformly from ``topic`` (the prompt's own subject, as
    an essay on it names it again and again), ``stuffed_share`` from ``stuffed`` (words a policy
    repeats in every answer whatever the prompt); the rest is varied text. Paragraphs of 40-120
    words.
    """
    rng = random.Random(seed)
    paras = english_paragraphs(words, seed, vocab=vocab)
    out = []
    for p in paras:
        toks = p.split(" ")
        for i in range(len(toks)):
            u = rng.random()
            if u < topic_share:
                toks[i] = rng.choice(topic)
            elif stuffed and u < topic_share + stuffed_share:
                toks[i] = rng.choice(stuffed)
        out.append(" ".join(toks))
    return "\n\n".join(out)
