"""The format reward: plan-then-write structure, lexical repetition and semantic padding.

Three parts, each in [0, 1], all reported in the breakdown details:

* ``structure`` - 1 when the response is exactly one non-empty ``<think>`` plan followed by one
  non-empty ``<answer>`` and nothing after it (:func:`rollout.format.parse_response`'s
  ``well_formed``), else 0 with the parser's problem codes as reasons. Broken structure makes
  the whole format reward 0: the answer's boundaries are then a guess.
* ``lexical`` - from the share of repeated n-grams of the answer's units (English words,
  n = 4; CJK characters, n = 8): 1 up to ``lexical_free`` (natural prose repeats a few
  phrases), falling linearly to 0 at ``lexical_max``.
* ``semantic`` - 1 minus the share of the answer's units that sit in paragraphs nearly
  duplicating an earlier paragraph (MiniLM cosine >= ``semantic_threshold``, or identical text):
  the padding trick a length reward invites.

format = structure x lexical x semantic.
"""

from __future__ import annotations

from rewards.base import Batch, ComponentScore, register_reward
from rewards.segment import paragraphs, units
from rewards.text import count_words, language_of

__all__ = ["structure_score", "repeated_ngram_share", "lexical_score", "duplicate_paragraph_share"]

_FORMAT_DEFAULTS = {
    "ngram_words": 4,
    "ngram_chars": 8,
    "lexical_free": 0.10,
    "lexical_max": 0.50,
    "semantic": True,
    "semantic_threshold": 0.92,
    "semantic_min_units": 8,
}


def structure_score(well_formed: bool, problems: list[str]) -> tuple[float, list[str]]:
    """(1.0, []) for a well-formed response, else (0.0, one reason per parser problem code)."""
    if well_formed:
        return 1.0, []
    from rollout.format import PROBLEM_CODES

    return 0.0, [f"format: {code} ({PROBLEM_CODES.get(code, code)})" for code in problems]


def repeated_ngram_share(text: str, n_words: int = 4, n_chars: int = 8) -> float:
    """Share in [0, 1] of the answer's n-grams that repeat an earlier n-gram.

    Units are those :func:`rewards.text.count_words` counts (lower-cased English words, single
    CJK characters); n is ``n_words`` for English text and ``n_chars`` for Chinese text (by
    :func:`rewards.text.language_of`). Text with fewer than n units has share 0. Linear time.
    """
    toks = units(text)
    n = n_chars if language_of(text) == "zh" else n_words
    n = max(1, int(n))
    total = len(toks) - n + 1
    if total <= 1:
        return 0.0
    # Hash each n-gram as a tuple slice; a set keeps it O(len) overall.
    seen = set(zip(*(toks[i:] for i in range(n)), strict=False))
    return 1.0 - len(seen) / total


def lexical_score(share: float, free: float = 0.10, maximum: float = 0.50) -> float:
    """1 when ``share`` <= ``free``, 0 when >= ``maximum``, linear between."""
    if share <= free:
        return 1.0
    if share >= maximum:
        return 0.0
    return (maximum - share) / (maximum - free)


def _normalise(p: str) -> str:
    return " ".join(p.lower().split())


def duplicate_paragraph_share(
    paras: list[str], vectors=None, threshold: float = 0.92, min_units: int = 8
) -> float:
    """Share in [0, 1] of the units of ``paras`` lying in paragraphs that nearly repeat an earlier one.

    A paragraph (of at least ``min_units`` units; headings and one-liners are exempt) is a near
    duplicate when its whitespace/case-normalised text equals an earlier paragraph's, or, given
    ``vectors`` (unit-norm embeddings, one row per paragraph), when its cosine with an earlier
    paragraph is >= ``threshold``. Units are count_words units.
    """
    if not paras:
        return 0.0
    lens = [count_words(p) for p in paras]
    total = sum(lens)
    if total == 0:
        return 0.0
    dup = [False] * len(paras)
    seen: set[str] = set()
    for i, p in enumerate(paras):
        key = _normalise(p)
        if lens[i] >= min_units and key in seen:
            dup[i] = True
        seen.add(key)
    if vectors is not None and len(paras) > 1:
        import numpy as np

        sims = np.asarray(vectors, dtype=np.float32) @ np.asarray(vectors, dtype=np.float32).T
        earlier_max = np.tril(sims, k=-1).max(axis=1)  # best match among earlier paragraphs
        for i in range(1, len(paras)):
            if lens[i] >= min_units and earlier_max[i] >= threshold:
                dup[i] = True
    return sum(n for n, d in zip(lens, dup, strict=True) if d) / total


def _answer_paragraphs(batch: Batch, i: int) -> list[str]:
    key = ("paragraphs", i)
    if key not in batch.cache:
        batch.cache[key] = paragraphs(batch.parsed[i].answer)
    return batch.cache[key]


def _format_texts(batch: Batch, options: dict):
    if not options["semantic"]:
        return []
    texts: list[str] = []
    for i, parsed in enumerate(batch.parsed):
        if parsed.well_formed:
            paras = _answer_paragraphs(batch, i)
            if len(paras) > 1:
                texts.extend(paras)
    return texts


@register_reward("format", batched=True, texts=_format_texts, defaults=_FORMAT_DEFAULTS)
def _format_component(batch: Batch, options: dict) -> list[ComponentScore]:
    """structure x lexical x semantic, in [0, 1]; see the module docstring."""
    out = []
    for i, parsed in enumerate(batch.parsed):
        structure, reasons = structure_score(parsed.well_formed, parsed.problems)
        share = repeated_ngram_share(parsed.answer, options["ngram_words"], options["ngram_chars"])
        lexical = lexical_score(share, options["lexical_free"], options["lexical_max"])
        details = {"structure": structure, "lexical_repetition": share, "lexical": lexical}
        if structure == 0.0:
            # Broken structure: format is 0; semantic repetition is not computed (no embedding spent).
            details["semantic"] = None
            details["semantic_duplicate_share"] = None
            out.append(ComponentScore(0.0, reasons, details))
            continue
        paras = _answer_paragraphs(batch, i)
        vectors = batch.embeddings(paras) if options["semantic"] and len(paras) > 1 else None
        dup = duplicate_paragraph_share(
            paras, vectors, float(options["semantic_threshold"]), int(options["semantic_min_units"])
        )
        semantic = 1.0 - dup
        details["semantic_duplicate_share"] = dup
        details["semantic"] = semantic
        if lexical < 1.0:
            reasons.append(f"format: {share:.0%} of the answer's n-grams repeat")
        if dup > 0:
            reasons.append(f"format: {dup:.0%} of the answer repeats earlier paragraphs")
        out.append(ComponentScore(structure * lexical * semantic, reasons, details))
    return out
