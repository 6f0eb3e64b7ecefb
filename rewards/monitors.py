"""Reward-hacking monitors: cheap, pure measures of the padding and stuffing a length reward invites.

LongWriter-Zero names the failure: a policy rewarded for length (and by a reward model) learns to
pad by repeating or paraphrasing content and to over-use words the reward model likes. These
measures make that visible while training runs (``rl.trainer`` logs them every step as
``longwriter/monitor/*``) and per model in evaluation runs. They are lexical on purpose: no model,
a few milliseconds per 10,000-word answer (``benchmarks/monitors.py``), English and Chinese alike,
and right at that size: a repeat 10,000 words back, the 500th short paragraph and a topic that
changes with every prompt are all seen (``tests/rewards/test_monitors.py`` builds such answers).

All measures work on the units :func:`rollout.text.count_words` counts (lower-cased English words,
single CJK characters), so "share of text" means share of the length the length reward sees.

* :func:`distinct_n` - distinct n-grams / all n-grams (1 = no repetition; padding lowers it).
* :func:`compression_ratio` - raw UTF-8 bytes / LZMA-compressed bytes, with a dictionary at least
  as long as the text (>= 1; repetitive text compresses better, so padding raises it; varied prose
  is about 2-3). zlib's 32 KB window could not see a repeat more than ~5,500-5,900 English words
  (5.5-6 bytes each) or ~10,000 CJK characters back; LZMA's dictionary covers the whole answer.
* :func:`near_duplicate_share` - share of units in paragraphs whose unit-trigram shingles overlap an
  earlier paragraph's by Jaccard >= 0.5 (copied or lightly paraphrased paragraphs), over every
  paragraph as written (never merged, however many there are).
* :func:`overused_ngrams` - share of the text made of n-grams that most of the step's prompts use
  far more often than a reference distribution (the run's first step, or a corpus): keyword
  stuffing. One prompt's own topic words are not stuffing, so an n-gram counts only when it is
  over-used in more than half of the prompt groups.
* :func:`intra_group_similarity` - mean pairwise Jaccard of unit-bigram sets between samples of one
  prompt (1 = the group collapsed onto one answer; GRPO then learns nothing from it).
* :func:`length_quality_correlation` - Pearson correlation of answer length and the quality reward
  over a step (a quality reward that mostly rewards length shows a high value).

:class:`HackingWatch` turns per-step values into warnings with configurable thresholds, e.g.
length rising while quality and distinct-2 fall.
"""

from __future__ import annotations

import itertools
import lzma
import math
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
_LZMA_MIN_DICT = 256 * 1024  # preset 0's own dictionary size


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
    """UTF-8 bytes / LZMA-compressed bytes of ``text`` (>= ~1); None for empty text.

    Repetitive text compresses far better than varied prose, so padding drives this up: an answer
    whose second half repeats its first scores about twice what varied text scores, however far
    apart the halves are. LZMA2 at preset 0 (its fast mode) with a dictionary of at least the
    text's own size (256 KiB or more), raw format (no container header), so every earlier byte is
    in reach; zlib (used before) sees only the last 32 KB, about 5,500-5,900 English words or
    10,000 CJK characters, and scored a 12,000-word answer repeating its first half like varied
    text (2.44 vs 2.44; LZMA: 4.42 vs 2.25). On varied text the two agree within ~10%
    (``benchmarks/RESULTS.md``), so the scale of :data:`DEFAULT_THRESHOLDS` is unchanged. Why
    LZMA: bz2 (900 KB blocks) also sees far repeats but rates a repeated half only ~1.4x varied
    text (2.9 -> 4.0), and a share of repeated long shingles would be a new measure on a new scale
    beside ``near_duplicate_share``; LZMA keeps the meaning and costs about what zlib did (2-4 ms
    per 10,000 units, ``benchmarks/monitors.py``).
    """
    raw = text.encode("utf-8") if isinstance(text, str) else b""
    if not raw.strip():
        return None
    return len(raw) / len(lzma.compress(raw, format=lzma.FORMAT_RAW, filters=_lzma_filters(len(raw))))


def _lzma_filters(size: int) -> list[dict]:
    """LZMA2 preset 0 with a power-of-two dictionary of at least ``size`` bytes (min 256 KiB)."""
    dict_size = max(_LZMA_MIN_DICT, 1 << max(size - 1, 1).bit_length())
    return [{"id": lzma.FILTER_LZMA2, "preset": 0, "dict_size": dict_size}]


def near_duplicate_share(
    text: str, threshold: float = _NEAR_DUP_JACCARD, min_units: int = _MIN_PARAGRAPH_UNITS
) -> float:
    """Share in [0, 1] of the text's units lying in paragraphs that nearly repeat an earlier one.

    Near: the Jaccard overlap of the two paragraphs' unit-trigram sets is >= ``threshold`` (a
    copied paragraph scores 1, a light paraphrase well above 0.5, two different paragraphs on one
    topic well below). Paragraphs shorter than ``min_units`` units (headings) are exempt. Every
    paragraph as written counts, however many: ``segment.paragraphs(text, max_paragraphs=None)``
    (the rewards' default merges paragraphs beyond 128 into groups, which hid copies: a 10,000-word
    answer in 500 paragraphs with a fifth of them copied scored 0.007 instead of 0.2).
    """
    paras = paragraphs(text, max_paragraphs=None)
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
    # set intersection (in C) rules out most paragraphs before any pairwise comparison. A paragraph
    # that passes is checked first against the paragraphs where its shared shingles first appeared
    # (``owner``: one dict lookup per shingle), most shared first; only when none of them is near
    # enough are all earlier paragraphs checked, so the answer is exact.
    seen: set = set()
    owner: dict = {}
    dup = 0
    for i, a in enumerate(shingles):
        if a:
            shared = a & seen
            if len(shared) >= threshold * len(a) and _near_earlier(a, shared, owner, shingles, i, threshold):
                dup += sizes[i]
            new = a - seen
            owner.update(zip(new, itertools.repeat(i)))
            seen |= new
    return dup / total


def _near_earlier(a: set, shared: set, owner: dict, shingles: list[set], i: int, threshold: float) -> bool:
    """Whether shingle set ``a`` (paragraph ``i``) has Jaccard >= ``threshold`` with an earlier one."""

    def near(b: set) -> bool:
        common = len(a & b)
        return bool(b) and common >= threshold * (len(a) + len(b) - common)

    likely = Counter(owner[s] for s in shared).most_common()
    if any(near(shingles[j]) for j, _ in likely):
        return True
    tried = {j for j, _ in likely}
    return any(near(b) for j, b in enumerate(shingles[:i]) if j not in tried)


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
    group_ids: Sequence[Any] | None = None,
    ratio: float = 5.0,
    min_count: int = 5,
    top: int = 10,
) -> dict[str, Any]:
    """How much of ``texts`` is made of n-grams that most prompts use far more than ``reference``.

    ``group_ids`` name each text's prompt (GRPO group; None: every text is its own prompt). In one
    group an n-gram is over-used when it occurs there at least ``min_count`` times and its rate (per
    n-gram of the group's texts) is at least ``ratio`` times its add-one-smoothed rate in
    ``reference``. It counts as stuffing only when it is over-used in more than half of the
    groups: a prompt's own topic words are frequent in its answers and rare in the reference (a
    first step on other prompts), but only in that prompt's group, while a word a policy stuffs
    into every answer to please a reward model is over-used everywhere. Comparing the pooled step
    with the first step (as before) read a step of new topics with no stuffing at all as ~15%
    stuffed. Returns ``{"share": share of all n-gram occurrences that are stuffing (0..1; None when
    there is no text or fewer than 2 groups, where topic and stuffing cannot be told apart),
    "top": [(n-gram as text, pooled rate / reference rate), ...] (largest first), "groups": the
    number of groups}``.
    """
    ids = list(range(len(texts))) if group_ids is None else list(group_ids)
    if len(ids) != len(texts):
        raise ValueError(f"overused_ngrams: {len(texts)} texts but {len(ids)} group ids")
    groups: dict[Any, Counter] = {}
    for gid, t in zip(ids, texts, strict=True):
        groups.setdefault(gid, Counter()).update(_ngrams(units(t), reference.n))
    counts: Counter = Counter()
    for c in groups.values():
        counts.update(c)
    total = sum(counts.values())
    if total == 0 or len(groups) < 2:
        return {"share": None, "top": [], "groups": len(groups)}
    vocab = max(len(reference.counts), 1)
    ref_total = reference.total + vocab
    ref_counts = reference.counts
    flagged: Counter = Counter()
    for c in groups.values():
        g_total = sum(c.values())
        # rate >= ratio * ref_rate  <=>  count * ref_total >= ratio * g_total * (ref_count + 1)
        bar = ratio * g_total / ref_total
        flagged.update(
            gram for gram, k in c.items() if k >= min_count and k >= bar * (ref_counts.get(gram, 0) + 1)
        )
    over = [gram for gram, n_groups in flagged.items() if n_groups * 2 > len(groups)]
    share = sum(counts[g] for g in over) / total
    ranked = sorted(((counts[g] / total) / ((ref_counts.get(g, 0) + 1) / ref_total), g) for g in over)[::-1]
    return {
        "share": share,
        "top": [(" ".join(g), round(r, 2)) for r, g in ranked[:top]],
        "groups": len(groups),
    }


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
    given; over the prompt groups of ``group_ids``, or one group per answer), the mean intra-group similarity (groups of ``group_ids``, when given) and the
    length-quality correlation (when ``lengths`` and ``quality`` are given). A value that cannot be
    computed is None (never 0). Keys are bare names; the trainer prefixes ``longwriter/monitor/``.
    """
    per = [text_monitors(a) for a in answers]
    out: dict[str, float | None] = {
        key: _mean(p[key] for p in per)
        for key in ("distinct_1", "distinct_2", "distinct_3", "compression_ratio", "near_duplicate_share")
    }
    if reference is not None:
        out["overused_ngram_share"] = overused_ngrams(answers, reference, group_ids=group_ids)["share"]
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
    "compression_ratio": 4.0,  # varied prose is about 2-3 (LZMA, whole answer); half repeated ~4-5
    "overused_ngram_share": 0.2,  # a fifth of the n-grams are words most prompts' answers stuff
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
