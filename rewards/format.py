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
from rewards.segment import joined_units, paragraphs
from rollout.format import PROBLEM_CODES
from rollout.text import count_words

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
    return 0.0, [f"format: {code} ({PROBLEM_CODES.get(code, code)})" for code in problems]


def repeated_ngram_share(text: str, n_words: int = 4, n_chars: int = 8) -> float:
    """Share in [0, 1] of the answer's n-grams that repeat an earlier n-gram.

    Units are those :func:`rollout.text.count_words` counts (lower-cased English words, single
    CJK characters); n is ``n_words`` for English text and ``n_chars`` for Chinese text (CJK
    characters outnumber English words, as in :func:`rollout.text.language_of`). Text with fewer
    than n units has share 0. One regex pass and one set: linear time.
    """
    joined = joined_units(text)
    toks = joined.split()
    # Units are ASCII words or single CJK characters: the non-ASCII characters are the CJK units.
    cjk = len(joined) - len(joined.encode("ascii", "ignore"))
    n = n_chars if cjk > len(toks) - cjk else n_words
    n = max(1, int(n))
    total = len(toks) - n + 1
    if total <= 1:
        return 0.0
    seen = set(zip(*(toks[i:] for i in range(n)), strict=False))
    return 1.0 - len(seen) / total


def lexical_score(share: float, free: float = 0.10, maximum: float = 0.50) -> float:
    """1 when ``share`` <= ``free``, 0 when >= ``maximum``, linear between."""
    if share <= free:
        return 1.0
    if share >= maximum:
        return 0.0
    return (maximum - share) / (maximum - free)


def duplicate_paragraph_share(
    paras: list[str], vectors=None, threshold: float = 0.92, min_units: int = 8, total: int | None = None
) -> float:
    """Share in [0, 1] of the units of ``paras`` lying in paragraphs that nearly repeat an earlier one.

    A paragraph (of at least ``min_units`` units; headings and one-liners are exempt) is a near
    duplicate when its whitespace/case-normalised text equals an earlier paragraph's, or, given
    ``vectors`` (unit-norm embeddings, one row per paragraph), when its cosine with an earlier
    paragraph is >= ``threshold``. Units are count_words units; ``total`` (the answer's length,
    when the caller already counted it) saves a pass over the text.
    """
    if not paras:
        return 0.0
    candidates: set[int] = set()
    seen: set[str] = set()
    for i, p in enumerate(paras):
        key = " ".join(p.lower().split())
        if key in seen:
            candidates.add(i)
        seen.add(key)
    if vectors is not None and len(paras) > 1:
        import numpy as np

        v = np.asarray(vectors, dtype=np.float32)
        earlier_max = np.tril(v @ v.T, k=-1).max(axis=1)  # best match among earlier paragraphs
        candidates.update(int(i) for i in np.nonzero(earlier_max >= threshold)[0] if i > 0)
    if not candidates:
        return 0.0
    if total is None:
        total = sum(count_words(p) for p in paras)
    if total <= 0:
        return 0.0
    # Only duplicates are counted: the common case (none) costs no extra pass over the text.
    lens = [count_words(paras[i]) for i in sorted(candidates)]
    dup = sum(n for n in lens if n >= min_units)
    return min(1.0, dup / total)


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
        if batch.samples[i].metadata.get("finish_reason") == "length":
            reasons.append("format: generation stopped at the token limit (finish_reason=length)")
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
            paras,
            vectors,
            float(options["semantic_threshold"]),
            int(options["semantic_min_units"]),
            total=batch.answer_lens[i],
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
