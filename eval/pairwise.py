"""The pairwise judge: which of two answers to one writing request is better, on a five-level scale.

* :data:`PAIRWISE_PROMPT` - our prompt (versioned :data:`PAIRWISE_PROMPT_VERSION`, hashed through
  :class:`eval.judge.JudgePrompt`); placeholders ``{{request}}``, ``{{answer_a}}``, ``{{answer_b}}``.
* :func:`parse_verdict` - reads a reply into one of :data:`VERDICTS` (``A>>B`` much better,
  ``A>B`` better, ``A=B`` tie, ``B>A`` worse, ``B>>A`` much worse), or says why it cannot:
  ``[[A>B]]`` (Arena-Hard style), a bare label, ``{"verdict": "A>B"}``, ``Final verdict: B is
  much better``, ... A reasoning model's ``<think>`` block is skipped; two different verdicts in
  one reply are a failure, not a guess.
* :func:`verdict_score` - the score of answer A (1, 0.5, 0) and whether the verdict is strong.
"""

from __future__ import annotations

import re
from typing import Any

from eval.judge import JudgePrompt, json_objects

__all__ = [
    "PAIRWISE_PROMPT",
    "PAIRWISE_PROMPT_VERSION",
    "PAIRWISE_FIELDS",
    "VERDICTS",
    "pairwise_prompt",
    "parse_verdict",
    "verdict_score",
    "verdict_correction",
]

# Bump whenever PAIRWISE_PROMPT changes.
PAIRWISE_PROMPT_VERSION = "lw-pairwise-v1"
PAIRWISE_FIELDS = ("request", "answer_a", "answer_b")
VERDICTS = ("A>>B", "A>B", "A=B", "B>A", "B>>A")

PAIRWISE_PROMPT = """\
You are comparing two pieces of writing that two AI assistants produced for the same user request.

Decide which answer serves the request better as a piece of writing: how fully and faithfully it
does what was asked (including any length, form or audience the request states), how accurate,
coherent, well organised and insightful it is, and how well it reads. Padding, repetition and
filler make an answer worse, not better. Do not let the order of the answers, their names or
their length by itself sway you.

[User request]
{{request}}

[Answer A]
{{answer_a}}

[Answer B]
{{answer_b}}

First explain your judgement in a few sentences. Then give your final verdict on the last line as
exactly one of these labels:
[[A>>B]] (A is much better), [[A>B]] (A is better), [[A=B]] (tie), [[B>A]] (B is better),
[[B>>A]] (B is much better).
"""

_CORRECTION = (
    "Your reply could not be read ({reason}). Reply again with only your final verdict, exactly one "
    "of [[A>>B]], [[A>B]], [[A=B]], [[B>A]], [[B>>A]]."
)

_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_BRACKET = re.compile(r"\[\[\s*([^\[\]]{1,60}?)\s*\]\]")
_LINE = re.compile(r"(?:final\s+)?(?:verdict|judg(?:e)?ment|decision)\s*[:：]\s*\**\s*(.+)", re.IGNORECASE)

_SYMBOLIC = {
    "a>>b": "A>>B",
    "a≫b": "A>>B",
    "b<<a": "A>>B",
    "a>b": "A>B",
    "b<a": "A>B",
    "a=b": "A=B",
    "a==b": "A=B",
    "b=a": "A=B",
    "a≈b": "A=B",
    "a~b": "A=B",
    "tie": "A=B",
    "b>a": "B>A",
    "a<b": "B>A",
    "b>>a": "B>>A",
    "b≫a": "B>>A",
    "a<<b": "B>>A",
}


def pairwise_prompt(path: str | None = None) -> JudgePrompt:
    """Our pairwise prompt, or one read from ``path`` (needs the three placeholders)."""
    if path:
        return JudgePrompt.from_file(path, PAIRWISE_FIELDS)
    return JudgePrompt(PAIRWISE_PROMPT, PAIRWISE_PROMPT_VERSION, PAIRWISE_FIELDS)


def _label(raw: str) -> str | None:
    """One verdict label from a short phrase, or None."""
    s = raw.strip().strip("*`'\".。 ").lower()
    compact = re.sub(r"\s+", "", s)
    if compact in _SYMBOLIC:
        return _SYMBOLIC[compact]
    words = re.sub(r"[^a-z ]", " ", s)
    words = re.sub(r"\b(assistant|answer|response|output|model|is|the|slightly|somewhat)\b", " ", words)
    words = re.sub(r"\b(significantly|far|clearly|substantially|strongly)\b", "much", words)
    w = " ".join(words.split())
    if w in ("tie", "equal", "a and b equal", "both equal", "about same", "same", "draw", "equally good"):
        return "A=B"
    m = re.fullmatch(r"(a|b) (much )?better", w)
    if m:
        side, strong = m.group(1).upper(), bool(m.group(2))
        other = "B" if side == "A" else "A"
        return f"{side}>>{other}" if strong else f"{side}>{other}"
    return None


def parse_verdict(text: Any) -> tuple[str | None, str | None]:
    """``(label, None)`` with a label of :data:`VERDICTS`, or ``(None, reason)``; never raises.

    Looked for in order: ``[[...]]`` labels, a JSON object's ``verdict`` key, a ``Verdict:`` line,
    the whole reply as one label. Several different labels of one kind are a failure.
    """
    if not isinstance(text, str) or not text.strip():
        return None, "empty judge reply"
    body = _THINK.sub("", text).strip()
    sources = [
        [m.group(1) for m in _BRACKET.finditer(body)],
        [
            str(v)
            for obj in json_objects(body)
            for k, v in obj.items()
            if str(k).lower() in ("verdict", "final_verdict", "winner", "judgement", "judgment")
        ],
        [m.group(1) for m in _LINE.finditer(body)],
        [body],
    ]
    for found in sources:
        if not found:
            continue
        labels = {_label(x) for x in found}
        known = sorted(x for x in labels if x is not None)
        if len(known) > 1:
            return None, "conflicting verdicts: " + ", ".join(known)
        if known:
            return known[0], None
    return None, "no verdict label ([[A>>B]], [[A>B]], [[A=B]], [[B>A]], [[B>>A]]) in the reply"


def verdict_score(label: str) -> tuple[float, bool]:
    """The score of answer A under ``label`` (1 better, 0.5 tie, 0 worse) and whether it is strong."""
    if label not in VERDICTS:
        raise ValueError(f"unknown verdict {label!r}; one of {', '.join(VERDICTS)}")
    return {"A>>B": 1.0, "A>B": 1.0, "A=B": 0.5, "B>A": 0.0, "B>>A": 0.0}[label], ">>" in label


def verdict_correction(reason: str) -> str:
    """The correction turn after an unreadable verdict."""
    return _CORRECTION.format(reason=reason)
