"""A request's criteria and how a judge scores an answer on one of them: shared by WritingBench
(``eval.writingbench``) and the checklist reward (:mod:`rewards.checklist.reward`).

A criterion (:class:`Criterion`) has a name, a description of what it asks, scoring guidance (the
score bands ``1-2`` ... ``9-10``, as WritingBench releases them), whether it is a **hard** constraint
(an explicit demand of the request: a required section, a word to use, a format) and a weight.
:func:`criterion_from_dict` reads the shapes in use: WritingBench's released checklist
(``criteria_description``, band keys at the top level), ours (``description``, ``guidance`` or a
``bands`` mapping), plus ``hard`` and ``weight``; :func:`criteria_from_list` checks a whole list.

The judge sees one criterion at a time through :data:`CRITERIA_PROMPT` (placeholders ``{{request}}``,
``{{answer}}``, ``{{criterion}}``; :data:`CRITERIA_PROMPT_VERSION`) and replies with strict JSON
``{"score": 1-10, "justification": "..."}``, read by :func:`parse_criterion_score`; an unreadable
reply gets :func:`criterion_correction` as a correction turn. These moved here from
``eval.writingbench`` (which re-exports them) so that training and evaluation judge criteria with
the same prompt and the same parser.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from rewards.judging import json_objects

__all__ = [
    "BANDS",
    "CRITERIA_FIELDS",
    "CRITERIA_PROMPT",
    "CRITERIA_PROMPT_VERSION",
    "Criterion",
    "criterion_from_dict",
    "criteria_from_list",
    "parse_criterion_score",
    "criterion_score_of",
    "criterion_correction",
]

CRITERIA_PROMPT_VERSION = "lw-criteria-v1"
CRITERIA_FIELDS = ("request", "answer", "criterion")
#: WritingBench's score bands, in order (1-10 scale).
BANDS = ("1-2", "3-4", "5-6", "7-8", "9-10")

CRITERIA_PROMPT = """\
You are grading one aspect of a piece of writing that an AI assistant produced for a user's request.

[User request]
{{request}}

[Answer]
{{answer}}

[Criterion]
{{criterion}}

Judge the answer on this criterion only, strictly, following the scoring guidance. Use the full
scale: 1-2 fails the criterion, 5-6 meets it in part, 9-10 only for an answer that fully meets it
with nothing to improve. Length by itself earns nothing.

Reply with one JSON object and nothing else:
{"score": <integer 1-10>, "justification": "<one or two sentences>"}
"""

_CORRECTION = (
    "Your reply could not be read ({reason}). Reply again with only the JSON object "
    '{{"score": <integer 1-10>, "justification": "<one or two sentences>"}}.'
)
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True)
class Criterion:
    """One criterion of a request: its name, what it asks, how to score it (may be empty),
    whether it is a hard constraint of the request, its weight in an aggregate (> 0), and the
    criterion object as given (what ``--protocol writingbench`` shows the judge)."""

    name: str
    description: str
    guidance: str = ""
    raw: dict = field(default_factory=dict, compare=False, hash=False)
    hard: bool = False
    weight: float = 1.0

    def render(self) -> str:
        """The criterion as the prompt shows it (a hard constraint says so)."""
        text = f"Name: {self.name}\nDescription: {self.description}"
        if self.hard:
            text += "\nHard constraint: yes (an explicit demand of the request)"
        return text + (f"\nScoring guidance: {self.guidance}" if self.guidance else "")

    def to_dict(self) -> dict[str, Any]:
        """The criterion as stored by ``longwrite prepare-rl --checklists`` (read back by
        :func:`criterion_from_dict`)."""
        out: dict[str, Any] = {"name": self.name, "description": self.description, "hard": self.hard}
        bands = self.raw.get("bands") if isinstance(self.raw.get("bands"), dict) else None
        if bands:
            out["bands"] = {b: bands[b] for b in BANDS if b in bands}
        elif self.guidance:
            out["guidance"] = self.guidance
        if self.weight != 1.0:
            out["weight"] = self.weight
        return out


def criterion_from_dict(raw: Any, where: str, k: int) -> Criterion:
    """A :class:`Criterion` from one criterion object (see the module doc); ``where`` and ``k``
    (its 1-based position) name it in the ``ValueError`` a bad object raises."""
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: criterion {k} must be an object with name and description")
    name = raw.get("name")
    desc = raw.get("description", raw.get("criteria_description"))
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}: criterion {k} needs a non-empty 'name'")
    if not isinstance(desc, str) or not desc.strip():
        raise ValueError(f"{where}: criterion {name!r} needs a non-empty 'description'")
    guidance = raw.get("guidance", raw.get("scoring"))
    bands = raw.get("bands")
    if bands is not None:
        if not isinstance(bands, dict) or not bands:
            raise ValueError(f"{where}: criterion {name!r}: 'bands' must map score bands to text")
        unknown = sorted(set(bands) - set(BANDS))
        if unknown:
            raise ValueError(f"{where}: criterion {name!r}: unknown band(s) {unknown}; bands: {BANDS}")
        if any(not isinstance(v, str) or not v.strip() for v in bands.values()):
            raise ValueError(f"{where}: criterion {name!r}: every band needs a non-empty text")
        guidance = "; ".join(f"{b}: {bands[b].strip()}" for b in BANDS if b in bands)
    elif guidance is None and any(b in raw for b in BANDS):
        guidance = "; ".join(f"{b}: {raw[b]}" for b in BANDS if b in raw)
    if guidance is not None and not isinstance(guidance, str):
        raise ValueError(f"{where}: criterion {name!r}: 'guidance' must be a string")
    hard = raw.get("hard", False)
    if not isinstance(hard, bool):
        raise ValueError(f"{where}: criterion {name!r}: 'hard' must be true or false, got {hard!r}")
    weight = raw.get("weight", 1.0)
    if (
        isinstance(weight, bool)
        or not isinstance(weight, (int, float))
        or not math.isfinite(weight)
        or weight <= 0
    ):
        raise ValueError(f"{where}: criterion {name!r}: 'weight' must be a number > 0, got {weight!r}")
    return Criterion(name.strip(), desc.strip(), (guidance or "").strip(), dict(raw), hard, float(weight))


def criteria_from_list(raw: Any, where: str) -> tuple[Criterion, ...]:
    """The criteria of one request from a non-empty list of criterion objects with unique names;
    anything else is a ``ValueError`` naming ``where``."""
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{where}: 'criteria' must be a non-empty list")
    criteria = tuple(criterion_from_dict(c, where, k) for k, c in enumerate(raw, 1))
    names = [c.name for c in criteria]
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: criterion names repeat ({', '.join(names)})")
    return criteria


def parse_criterion_score(text: Any) -> tuple[dict | None, str | None]:
    """``({"score": int 1-10, "justification": str}, None)`` or ``(None, reason)``; never raises.

    The JSON object may be fenced or surrounded by prose (a ``<think>`` block is skipped); the
    score must be a whole number from 1 to 10 (a number or numeric string), the justification a
    non-empty string (``reason`` / ``explanation`` are accepted for it).
    """
    if not isinstance(text, str) or not text.strip():
        return None, "empty judge reply"
    objs = [o for o in json_objects(_THINK.sub("", text)) if "score" in {str(k).lower() for k in o}]
    if not objs:
        return None, "no JSON object with a 'score' in the reply"
    return criterion_score_of(objs[0])


def criterion_score_of(obj: dict) -> tuple[dict | None, str | None]:
    """One criterion's ``{"score", "justification"}`` checked as :func:`parse_criterion_score`
    checks a reply's object (keys case-insensitive); ``(None, reason)`` when it is not valid."""
    obj = {str(k).lower(): v for k, v in obj.items()}
    if "score" not in obj:
        return None, "no 'score'"
    raw = obj["score"]
    if isinstance(raw, str) and re.fullmatch(r"\s*\d+(\.0+)?\s*(/\s*10)?\s*", raw):
        raw = float(raw.split("/")[0])
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or float(raw) != int(raw):
        return None, f"score must be a whole number, got {obj['score']!r}"
    if not 1 <= int(raw) <= 10:
        return None, f"score {int(raw)} outside 1-10"
    why = obj.get("justification", obj.get("reason", obj.get("explanation")))
    if not isinstance(why, str) or not why.strip():
        return None, "missing justification"
    return {"score": int(raw), "justification": why.strip()}, None


def criterion_correction(reason: str) -> str:
    """The correction turn after an unreadable criterion score."""
    return _CORRECTION.format(reason=reason)
