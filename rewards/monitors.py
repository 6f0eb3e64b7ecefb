"""Reward-hacking monitors: cheap, pure measures of the padding and stuffing a length reward invites.

LongWriter-Zero names the failure: a policy rewarded for length (and by a reward model) learns to
pad by repeating or paraphrasing content and to over-use words the reward model likes. These
measures make that visible while training runs (``rl.trainer`` logs them every step as
``longwriter/monitor/*``) and per model in evaluation runs. They are lexical on purpose: no model,
a few milliseconds per 10,000-word answer (``benchmarks/monitors.py``), English and Chinese alike.

All measures work on the units :func:`rollout.text.count_words` counts (lower-cased English words,
single CJK characters), so "share of text" means share of the length the length reward sees.

* :func:`distinct_n` - distinct n-grams / all n-grams (1 = no repetition; padding lowers it).
* :func:`compression_ratio` - raw UTF-8 bytes / zlib-compressed bytes (>= 1; repetitive text
  compresses better, so padding raises it; ordinary prose is about 2-3).
* :func:`near_duplicate_share` - share of units in paragraphs whose unit-trigram shingles overlap an
  earlier paragraph's by Jaccard >= 0.5 (copied or lightly paraphrased paragraphs).
* :func:`overused_ngrams` - share of the text made of n-grams used far more often than in a
  reference distribution (the run's first step, or a reference corpus): keyword stuffing.
* :func:`intra_group_similarity` - mean pairwise Jaccard of unit-bigram sets between samples of one
  prompt (1 = the group collapsed onto one answer; GRPO then learns nothing from it).
* :func:`length_quality_correlation` - Pearson correlation of answer length and the quality reward
  over a step (a quality reward that mostly rewards length shows a high value).

:class:`HackingWatch` turns per-step values into warnings with configurable thresholds, e.g.
length rising while quality and distinct-2 fall.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rewards.segment import paragraphs, units

__all__ = [
    "distinct_n",
    "compression_ratio",
    "near_duplicate_share",
    "NgramReference",
    "overused_ngrams",
    "intra_group_similarity",
    "length_quality_correlation",
    "text_monitors",
    "step_monitors",
    "HackingWatch",
    "DEFAULT_THRESHOLDS",
]

_NEAR_DUP_JACCARD = 0.5
_MIN_PARAGRAPH_UNITS = 8


def _ngrams(toks: Sequence[str], n: int):
    """An iterator over the n-grams (tuples) of ``toks``; empty when there are fewer than n."""
    return zip(*(toks[i:] for i in range(n)), strict=False)


def distinct_n(text_or_units: str | Sequence[str], n: int = 1) -> float | None:
    """Distinct n-grams / all n-grams of the text's units, in (0, 1]; None when it has < n units.

    ``text_or_units`` is a text or its :func:`rewards.segment.units` (pass units to share one pass).
    """
    toks = units(text_or_units) if isinstance(text_or_units, str) else text_or_units
    total = len(toks) - n + 1
    if total <= 0:
        return None
    return len(set(_ngrams(toks, n))) / total


def compression_ratio(text: str) -> float | None:
    """UTF-8 bytes / zlib(level 6)-compressed bytes of ``text`` (>= ~1); None for empty text.

    Repetitive text compresses far better than varied prose, so padding drives this up.
    """
    raw = text.encode("utf-8") if isinstance(text, str) else b""
    if not raw.strip():
        return None
    return len(raw) / len(zlib.compress(raw, 6))


def near_duplicate_share(
    text: str, threshold: float = _NEAR_DUP_JACCARD, min_units: int = _MIN_PARAGRAPH_UNITS
) -> float:
    """Share in [0, 1] of the text's units lying in paragraphs that nearly repeat an earlier one.

    Near: the Jaccard overlap of the two paragraphs' unit-trigram sets is >= ``threshold`` (a
    copied paragraph scores 1, a light paraphrase well above 0.5, two different paragraphs on one
    topic well below). Paragraphs shorter than ``min_units`` units (headings) are exempt.
    """
    paras = paragraphs(text)
    if len(paras) < 2:
        return 0.0
    shingles: list[set] = []
    sizes: list[int] = []
    for p in paras:
        toks = units(p)
        sizes.append(len(toks))
        shingles.append(set(_ngrams(toks, 3)) if len(toks) >= min_units else set())
    total = sum(sizes)
    if total == 0:
        return 0.0
    # Jaccard(a, b) >= t needs |a & b| >= t * |a|, and |a & b| <= |a & (all earlier shingles)|: one
    # set intersection (in C) rules out most paragraphs before any pairwise comparison.
    seen: set = set()
    dup = 0
    for i, a in enumerate(shingles):
        if a and len(a & seen) >= threshold * len(a):
            for b in shingles[:i]:
                common = len(a & b)
                if b and common >= threshold * (len(a) + len(b) - common):
                    dup += sizes[i]
                    break
        seen |= a
    return dup / total


@dataclass
class NgramReference:
    """An n-gram frequency distribution to compare a step's text against (counts of unit n-grams)."""

    n: int = 1
    counts: Counter = field(default_factory=Counter)
    total: int = 0

    @classmethod
    def from_texts(cls, texts: Iterable[str], n: int = 1) -> NgramReference:
        """The distribution of ``texts`` (e.g. the answers of a run's first step, or a corpus)."""
        ref = cls(n=n)
        for t in texts:
            toks = units(t)
            ref.counts.update(_ngrams(toks, n))
            ref.total += max(len(toks) - n + 1, 0)
        return ref


def overused_ngrams(
    texts: Sequence[str],
    reference: NgramReference,
    *,
    ratio: float = 5.0,
    min_count: int = 5,
    top: int = 10,
) -> dict[str, Any]:
    """How much of ``texts`` is made of n-grams used far more than in ``reference``.

    An n-gram is over-used when it occurs at least ``min_count`` times and its rate (per n-gram of
    ``texts``) is at least ``ratio`` times its add-one-smoothed rate in ``reference``. Returns
    ``{"share": share of the n-gram occurrences that are over-used (0..1, None when there is no
    text), "top": [(n-gram as text, rate ratio), ...] (largest first)}``.
    """
    counts: Counter = Counter()
    for t in texts:
        counts.update(_ngrams(units(t), reference.n))
    total = sum(counts.values())
    if total == 0:
        return {"share": None, "top": []}
    vocab = max(len(reference.counts), 1)
    ref_total = reference.total + vocab
    over: list[tuple[float, tuple[str, ...], int]] = []
    for gram, c in counts.items():
        if c < min_count:
            continue
        rate = c / total
        ref_rate = (reference.counts.get(gram, 0) + 1) / ref_total
        if rate >= ratio * ref_rate:
            over.append((rate / ref_rate, gram, c))
    over.sort(reverse=True)
    share = sum(c for _, _, c in over) / total
    return {"share": share, "top": [(" ".join(g), round(r, 2)) for r, g, _ in over[:top]]}


def _bigram_set(text: str) -> set:
    return set(_ngrams(units(text), 2))


def intra_group_similarity(texts: Sequence[str]) -> float | None:
    """Mean pairwise Jaccard of the unit-bigram sets of ``texts`` (one prompt's samples), in [0, 1].

    None for fewer than two texts. 1 means every sample is the same answer.
    """
    sets = [_bigram_set(t) for t in texts]
    if len(sets) < 2:
        return None
    sims = []
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            union = sets[i] | sets[j]
            sims.append(len(sets[i] & sets[j]) / len(union) if union else 1.0)
    return sum(sims) / len(sims)


def length_quality_correlation(lengths: Sequence[float], qualities: Sequence[float | None]) -> float | None:
    """Pearson correlation of answer length (words / CJK characters) and the quality reward.

    Pairs with a missing (None/NaN) quality are left out; None when fewer than 3 pairs remain or
    either side is constant (the correlation is undefined there, not 0).
    """
    pairs = [
        (float(x), float(q))
        for x, q in zip(lengths, qualities, strict=True)
        if q is not None and not math.isnan(float(q))
    ]
    if len(pairs) < 3:
        return None
    n = len(pairs)
    mx = sum(x for x, _ in pairs) / n
    my = sum(y for _, y in pairs) / n
    sxx = sum((x - mx) ** 2 for x, _ in pairs)
    syy = sum((y - my) ** 2 for _, y in pairs)
    if sxx == 0 or syy == 0:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in pairs)
    return sxy / math.sqrt(sxx * syy)


def text_monitors(text: str) -> dict[str, float | None]:
    """The per-answer monitors of ``text``: distinct-1/2/3, compression ratio, near-duplicate share."""
    toks = units(text)
    return {
        "distinct_1": distinct_n(toks, 1),
        "distinct_2": distinct_n(toks, 2),
        "distinct_3": distinct_n(toks, 3),
        "compression_ratio": compression_ratio(text),
        "near_duplicate_share": near_duplicate_share(text),
    }


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None and not math.isnan(v)]
    return sum(vals) / len(vals) if vals else None


def step_monitors(
    answers: Sequence[str],
    *,
    group_ids: Sequence[Any] | None = None,
    lengths: Sequence[float] | None = None,
    quality: Sequence[float | None] | None = None,
    reference: NgramReference | None = None,
) -> dict[str, float | None]:
    """Every monitor over one training step (or one evaluated model's answers).

    Means of the per-answer monitors, the over-used n-gram share against ``reference`` (when
    given), the mean intra-group similarity (groups of ``group_ids``, when given) and the
    length-quality correlation (when ``lengths`` and ``quality`` are given). A value that cannot be
    computed is None (never 0). Keys are bare names; the trainer prefixes ``longwriter/monitor/``.
    """
    per = [text_monitors(a) for a in answers]
    out: dict[str, float | None] = {
        key: _mean(p[key] for p in per)
        for key in ("distinct_1", "distinct_2", "distinct_3", "compression_ratio", "near_duplicate_share")
    }
    if reference is not None:
        out["overused_ngram_share"] = overused_ngrams(answers, reference)["share"]
    if group_ids is not None:
        groups: dict[Any, list[str]] = {}
        for gid, a in zip(group_ids, answers, strict=True):
            groups.setdefault(gid, []).append(a)
        out["intra_group_similarity"] = _mean(intra_group_similarity(g) for g in groups.values())
    if lengths is not None and quality is not None:
        out["length_quality_corr"] = length_quality_correlation(lengths, quality)
    return out


#: Warning thresholds (``longwriter.monitor_thresholds`` in a preset overrides any of them).
DEFAULT_THRESHOLDS: dict[str, float] = {
    "near_duplicate_share": 0.2,  # a fifth of the text repeats earlier paragraphs
    "compression_ratio": 4.0,  # ordinary prose is about 2-3
    "overused_ngram_share": 0.2,  # a fifth of the n-grams are stuffed words
    "intra_group_similarity": 0.8,  # samples of one prompt are nearly the same answer
    "length_quality_corr": 0.8,  # the quality reward mostly measures length
    "trend_window": 3,  # steps compared for the length-up / quality-and-diversity-down trend
}


@dataclass
class HackingWatch:
    """Warnings when monitors cross thresholds, and the trend a length reward invites.

    ``update(step, values)`` takes one step's :func:`step_monitors` values plus ``answer_len`` and
    ``quality`` (step means) and returns the warnings for that step (strings; empty when quiet).
    The trend warning fires when, over the last ``trend_window`` steps, mean answer length rose
    while both the quality reward and distinct-2 fell.
    """

    thresholds: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    history: list[dict[str, float | None]] = field(default_factory=list)

    def update(self, step: int, values: Mapping[str, float | None]) -> list[str]:
        """Record ``values`` for ``step`` and return its warnings."""
        th = {**DEFAULT_THRESHOLDS, **dict(self.thresholds)}
        warnings = []
        for key in (
            "near_duplicate_share",
            "compression_ratio",
            "overused_ngram_share",
            "intra_group_similarity",
            "length_quality_corr",
        ):
            v = values.get(key)
            if v is not None and v >= th[key]:
                warnings.append(f"step {step}: {key} = {v:.3f} >= {th[key]:g}")
        self.history.append(dict(values))
        window = int(th["trend_window"])
        if len(self.history) > window:
            old, new = self.history[-window - 1], self.history[-1]
            keys = ("answer_len", "quality", "distinct_2")
            if all(old.get(k) is not None and new.get(k) is not None for k in keys) and (
                new["answer_len"] > old["answer_len"]
                and new["quality"] < old["quality"]
                and new["distinct_2"] < old["distinct_2"]
            ):
                warnings.append(
                    f"step {step}: over {window} steps answer length rose "
                    f"({old['answer_len']:.0f} -> {new['answer_len']:.0f}) while quality "
                    f"({old['quality']:.3f} -> {new['quality']:.3f}) and distinct-2 "
                    f"({old['distinct_2']:.3f} -> {new['distinct_2']:.3f}) fell: possible padding"
                )
        return warnings
