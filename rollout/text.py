"""Text measures shared by the rewards, the evaluator and the data tools.

One word counter for the whole project, so a length the reward sees during training is the
length the evaluator reports (the nanochat habit: one metric, no drift).
"""

from __future__ import annotations

import re

__all__ = ["count_words", "count_cjk", "count_english_words", "language_of", "unit_of", "UNIT_RE"]

# LongBench-Write's counting rule: English words are runs of ASCII letters between word
# boundaries; every CJK Unified Ideograph (U+4E00..U+9FFF) counts as one word. Digits, other
# scripts and punctuation count for nothing. Python's \b is Unicode-aware, exactly as in the
# reference implementation, so "café" and "abc中" contribute no English word.
_CJK = re.compile(r"[\u4e00-\u9fff]")
_ENGLISH_WORD = re.compile(r"\b[a-zA-Z]+\b")
# Both kinds of counted unit in one pattern, in text order; len(UNIT_RE.findall(t)) equals
# count_words(t) (tested). Used where the units themselves are needed (repetition n-grams).
UNIT_RE = re.compile(f"{_CJK.pattern}|{_ENGLISH_WORD.pattern}")


def count_cjk(text: str) -> int:
    """Number of CJK characters (U+4E00..U+9FFF) in ``text``; the unit of Chinese lengths."""
    return len(_CJK.findall(text))


def count_english_words(text: str) -> int:
    """Number of English words (``\\b[a-zA-Z]+\\b``) in ``text``."""
    return len(_ENGLISH_WORD.findall(text))


def count_words(text: str) -> int:
    """Length of ``text`` under LongBench-Write's rule: English words plus CJK characters.

    This is the unit every length in the project is measured in: "words" for English text and
    "characters" for Chinese text, summed for mixed text. Non-string input counts as 0 words
    (model output is untrusted; a reward must not crash on it).
    """
    if not isinstance(text, str):
        return 0
    return count_cjk(text) + count_english_words(text)


def language_of(text: str) -> str:
    """'zh' when CJK characters outnumber English words in ``text``, else 'en'.

    Used to pick a prompt template and to name the unit of a length (characters for 'zh',
    words for 'en'). Empty or unrecognisable text is 'en'.
    """
    if not isinstance(text, str):
        return "en"
    return "zh" if count_cjk(text) > count_english_words(text) else "en"


def unit_of(language: str) -> str:
    """The name of the length unit for a language: 'chars' for 'zh', 'words' otherwise."""
    return "chars" if language == "zh" else "words"
