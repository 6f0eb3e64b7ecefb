"""An answer's style, as the covariates of a style-controlled rating (:func:`eval.elo.fit_style_controlled`).

LMSYS's style control for Chatbot Arena puts answer length and markdown counts (headers, list
items, bold) into the Bradley-Terry regression; this module counts them for one answer. Length is
in words (English) / CJK characters, the project's one counter (:func:`rollout.text.count_words`),
not tokens: no tokenizer of the judged models is at hand. Fenced code blocks are left out of the
markdown counts (a ``#`` comment in code is no header).
"""

from __future__ import annotations

import re

from rollout.text import count_words

__all__ = ["style_features"]

_FENCE = re.compile(r"```.*?```", re.DOTALL)
_HEADER = re.compile(r"^ {0,3}#{1,6}\s+\S", re.MULTILINE)
_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S", re.MULTILINE)
_BOLD = re.compile(r"\*\*[^*\n]+?\*\*|__[^_\n]+?__")


def style_features(text: str) -> dict[str, int]:
    """``{"length", "headers", "lists", "bold"}`` of one answer: its length (words / CJK
    characters) and its markdown header lines, list-item lines and bold spans (outside code)."""
    prose = _FENCE.sub("", text)
    return {
        "length": count_words(text),
        "headers": len(_HEADER.findall(prose)),
        "lists": len(_LIST.findall(prose)),
        "bold": len(_BOLD.findall(prose)),
    }
