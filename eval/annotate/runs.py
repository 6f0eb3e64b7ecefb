"""The evaluation runs an annotation compares: read, checked against each other, one answer per item.

Every RUN is an evaluation run folder (``run.json`` + ``predictions.jsonl``, as ``longwrite eval``
writes). Two or more runs are needed, over the same items (ids and request text); anything else is
a ``ValueError`` that names what differs. An item whose answer failed to generate in a run, or is
empty, cannot be read side by side: it is kept, and listed in :attr:`RunSet.unavailable` (the pairs
it would make are not scheduled, and the CLI prints the count and the first ones).

Answers are shown without their plan by default: a plan-then-write response's ``<think>`` part is
split off (:func:`rollout.format.parse_response`) and kept beside the answer. Lengths are
:func:`rollout.text.count_words` units (English words / CJK characters).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Answer", "Item", "RunSet", "load_runs", "split_plan"]

#: How many differing items an error message names before it counts the rest.
SHOWN_IN_ERRORS = 10


@dataclass(frozen=True)
class Item:
    """One request every run answered: id, request text, type, language, required length (words)."""

    id: str
    prompt: str
    type: str
    language: str
    required: int | None


@dataclass(frozen=True)
class Answer:
    """One run's answer to one item: the text shown, its plan (hidden by default) and its length
    in words / CJK characters."""

    text: str
    plan: str
    words: int


@dataclass
class RunSet:
    """The runs of one annotation: names (``run.json``'s ``name``), folders, the shared items,
    answers by (item id, run name), and the (item id, run name, reason) that cannot be shown."""

    names: list[str]
    paths: dict[str, Path]
    items: list[Item]
    answers: dict[tuple[str, str], Answer]
    unavailable: list[tuple[str, str, str]] = field(default_factory=list)


def split_plan(text: str) -> tuple[str, str]:
    """(answer, plan) of a response: a plan-then-write response is split at its tags; text
    without them is all answer and no plan."""
    if "<answer>" in text or "</think>" in text or "<think>" in text:
        from rollout.format import parse_response

        parsed = parse_response(text)
        return parsed.answer.strip(), parsed.think.strip()
    return text.strip(), ""


def _read_one(path: Path) -> tuple[str, dict[str, dict]]:
    """(display name, item id -> latest prediction) of one run folder; ValueError if it is none."""
    from rollout.jsonl import latest_by_key

    if not path.is_dir():
        raise ValueError(f"{path} is not an evaluation run folder (no such folder)")
    if not (path / "run.json").is_file() or not (path / "predictions.jsonl").is_file():
        raise ValueError(
            f"{path} is not an evaluation run folder (it needs run.json and predictions.jsonl, "
            "as `longwrite eval` writes)"
        )
    meta = json.loads((path / "run.json").read_text(encoding="utf-8"))
    name = str(meta.get("name") or path.name)
    return name, latest_by_key(path / "predictions.jsonl")


def _differences(runs: dict[str, dict[str, dict]]) -> list[str]:
    """Lines naming items that are not in every run, or whose request text differs."""
    all_ids = set().union(*(set(p) for p in runs.values()))
    lines = []
    for name, preds in runs.items():
        missing = sorted(all_ids - set(preds))
        if missing:
            shown = ", ".join(missing[:SHOWN_IN_ERRORS])
            more = f" and {len(missing) - SHOWN_IN_ERRORS} more" if len(missing) > SHOWN_IN_ERRORS else ""
            lines.append(f"{name!r} lacks item(s) {shown}{more}")
    common = sorted(set.intersection(*(set(p) for p in runs.values())))
    other = [i for i in common if len({str(p[i].get("prompt")) for p in runs.values()}) > 1]
    if other:
        shown = ", ".join(other[:SHOWN_IN_ERRORS])
        more = f" and {len(other) - SHOWN_IN_ERRORS} more" if len(other) > SHOWN_IN_ERRORS else ""
        lines.append(f"item(s) {shown}{more} have another request text in another run")
    return lines


def load_runs(dirs: Sequence[str | Path]) -> RunSet:
    """Read and check the run folders ``dirs`` (see the module doc); ``ValueError`` on bad input."""
    if len(dirs) < 2:
        raise ValueError(f"annotation compares two or more evaluation runs, got {len(dirs)}")
    runs: dict[str, dict[str, dict]] = {}
    paths: dict[str, Path] = {}
    for d in dirs:
        path = Path(d)
        name, preds = _read_one(path)
        if name in runs:
            raise ValueError(
                f"two runs are named {name!r} ({paths[name]} and {path}): give one another --name"
            )
        if not preds:
            raise ValueError(f"{path} holds no predictions")
        runs[name], paths[name] = preds, path.resolve()
    diff = _differences(runs)
    if diff:
        raise ValueError("the runs are not over the same items: " + "; ".join(diff))
    first = next(iter(runs.values()))
    items, answers, unavailable = [], {}, []
    for item_id in sorted(first):
        p = first[item_id]
        required = p.get("required")
        items.append(
            Item(
                id=item_id,
                prompt=str(p.get("prompt")),
                type=str(p.get("type") or "unknown"),
                language=str(p.get("language") or "unknown"),
                required=required if isinstance(required, int) else None,
            )
        )
        for name, preds in runs.items():
            rec: dict[str, Any] = preds[item_id]
            why = rec.get("error")
            text = rec.get("response") if isinstance(rec.get("response"), str) else None
            if why is None and text is None:
                why = "no response text"
            if why is not None:
                unavailable.append((item_id, name, f"generation failed: {why}"))
                continue
            answer, plan = split_plan(str(rec.get("answer") or ""))
            plan = plan or str(rec.get("plan") or "").strip()
            if not answer:
                unavailable.append((item_id, name, "empty answer"))
                continue
            from rollout.text import count_words

            answers[(item_id, name)] = Answer(answer, plan, count_words(answer))
    return RunSet(list(runs), paths, items, answers, unavailable)
