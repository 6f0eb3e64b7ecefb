"""Splitting an answer into paragraphs and units: for the format and quality rewards and the monitors."""

from __future__ import annotations

import re

from rollout.text import UNIT_RE as _UNIT

__all__ = ["paragraphs", "units", "joined_units", "MAX_PARAGRAPHS"]

# Enough for a 10,000-word answer in paragraphs of ~80 words; longer answers are grouped so the
# embedding pass stays bounded (and every paragraph pairwise check stays small).
MAX_PARAGRAPHS = 128
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


def paragraphs(text: str, max_paragraphs: int | None = MAX_PARAGRAPHS) -> list[str]:
    """Non-empty paragraphs of ``text``, stripped, at most ``max_paragraphs`` of them.

    Paragraphs are separated by blank lines; text with no blank line but several lines (a common
    model habit, and Chinese style) is split on single newlines. Beyond ``max_paragraphs``,
    consecutive paragraphs are joined into equal groups so that no text is dropped (the format and
    quality rewards rely on this bound). ``max_paragraphs=None`` returns every paragraph as written,
    unmerged: what the reward-hacking monitors need, since a copied paragraph merged with its
    neighbours no longer looks like a copy.
    """
    if not text or not text.strip():
        return []
    parts = [p.strip() for p in _BLANK_LINE.split(text)]
    parts = [p for p in parts if p]
    if len(parts) == 1:
        lines = [p.strip() for p in parts[0].split("\n")]
        lines = [p for p in lines if p]
        if len(lines) > 1:
            parts = lines
    if max_paragraphs is not None and len(parts) > max_paragraphs:
        size = -(-len(parts) // max_paragraphs)
        parts = ["\n\n".join(parts[i : i + size]) for i in range(0, len(parts), size)]
    return parts


def units(text: str) -> list[str]:
    """The counted units of ``text`` in order: lower-cased English words and single CJK characters.

    The same units :func:`rollout.text.count_words` counts, so n-gram shares are shares of the
    length the length reward sees.
    """
    return joined_units(text).split()


def joined_units(text: str) -> str:
    """:func:`units` joined by single spaces (one string: cheap to scan for CJK in C)."""
    if not text:
        return ""
    # Units are ASCII words or CJK characters (no spaces), so lower-casing them joined is exact
    # and runs in C; lower-casing the raw text first would not be ("K" (Kelvin) -> "k").
    return " ".join(_UNIT.findall(text)).lower()
