"""LongBench-Write scores: the length score S_l, the quality score S_q, S̄ and their breakdowns.

Lengths are in LongBench-Write's unit (:func:`rollout.text.count_words`: English words plus CJK
characters), so the number the evaluator reports is the number the length reward saw in training.
Scores are on LongBench-Write's 0-100 scale. Items whose generation or judgement failed are never
given a default: they are left out of that score's mean and counted in ``failures``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "DIMENSIONS",
    "BUCKETS",
    "length_score",
    "quality_score",
    "overall_score",
    "bucket_of",
    "summarize",
]

# The judge's six dimensions, in LongBench-Write's order; each is rated 1..5.
DIMENSIONS: tuple[str, ...] = (
    "Relevance",
    "Accuracy",
    "Coherence",
    "Clarity",
    "Breadth and Depth",
    "Reading Experience",
)

# Required-length buckets of the LongBench-Write paper: [lo, hi) except the last, which is closed.
BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("[0,500)", 0, 500),
    ("[500,2000)", 500, 2000),
    ("[2000,4000)", 2000, 4000),
    ("[4000,20000]", 4000, 20000),
)
OUT_OF_BUCKETS = ">20000"


def length_score(required: int, produced: int) -> float:
    """LongBench-Write's length score S_l in [0, 100] for one answer.

    ``required`` (x) and ``produced`` (y) are lengths in words / CJK characters. Over-length is
    penalised more gently than under-length: if y > x, 100 * max(0, 1 - (y/x - 1)/3), else
    100 * max(0, 1 - (x/y - 1)/2). An empty answer (y = 0) scores 0 instead of dividing by zero.
    A required length below 1 is a data error and raises ``ValueError``.
    """
    if required is None or required < 1:
        raise ValueError(f"required length must be a positive number of words, got {required!r}")
    if produced is None or produced < 0:
        raise ValueError(f"produced length must be >= 0, got {produced!r}")
    x, y = float(required), float(produced)
    if y == 0:
        return 0.0
    if y > x:
        return 100.0 * max(0.0, 1.0 - (y / x - 1.0) / 3.0)
    return 100.0 * max(0.0, 1.0 - (x / y - 1.0) / 2.0)


def quality_score(scores: Mapping[str, float]) -> float:
    """S_q in [0, 100]: the mean over the six dimensions of (score - 1) * 25 (scores are 1..5).

    ``scores`` must hold every dimension of :data:`DIMENSIONS` with a value in [1, 5]; anything
    else raises ``ValueError`` (the judge parser guarantees this for what it returns).
    """
    values = []
    for dim in DIMENSIONS:
        if dim not in scores:
            raise ValueError(f"missing judge dimension {dim!r}")
        v = float(scores[dim])
        if not 1.0 <= v <= 5.0 or math.isnan(v):
            raise ValueError(f"judge score for {dim!r} must be in [1, 5], got {v}")
        values.append((v - 1.0) * 25.0)
    return sum(values) / len(values)


def overall_score(s_l: float | None, s_q: float | None) -> float | None:
    """S̄ = (S_l + S_q) / 2, or None when either part is unavailable (never a silent default)."""
    if s_l is None or s_q is None:
        return None
    return (s_l + s_q) / 2.0


def bucket_of(required: int) -> str:
    """The paper's length bucket label for a required length (words / CJK characters)."""
    for label, lo, hi in BUCKETS:
        if lo <= required < hi or (hi == BUCKETS[-1][2] and required == hi):
            return label
    return OUT_OF_BUCKETS


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def _group(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    s_l = _mean(r.get("S_l") for r in records)
    s_q = _mean(r.get("S_q") for r in records)
    return {
        "n": len(records),
        "n_length": sum(r.get("S_l") is not None for r in records),
        "n_quality": sum(r.get("S_q") is not None for r in records),
        "S_l": s_l,
        "S_q": s_q,
        "S_bar": overall_score(s_l, s_q),
    }


def _by(records: Sequence[Mapping[str, Any]], key: str, order: Sequence[str] = ()) -> dict[str, Any]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in records:
        groups.setdefault(str(r.get(key)), []).append(r)
    keys = [k for k in order if k in groups] + sorted(k for k in groups if k not in order)
    return {k: _group(groups[k]) for k in keys}


def summarize(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Aggregate per-item scores into LongBench-Write's table.

    Each record has ``id``, ``required``, ``language``, ``type``, ``S_l`` (None when generation
    failed), ``S_q`` and ``dimensions`` (None when judging failed or was not run), and optional
    ``generation_error`` / ``judge_error`` strings. Returns ``overall``, ``by_bucket``,
    ``by_language``, ``by_type`` (each with n, S_l, S_q, S_bar), the mean 1-5 score per judge
    ``dimensions``, and ``failures`` listing every item that could not be scored, with why.
    """
    records = list(records)
    with_bucket = [{**r, "bucket": bucket_of(int(r["required"]))} for r in records]
    dims = {
        d: _mean((r.get("dimensions") or {}).get(d) for r in records if r.get("dimensions"))
        for d in DIMENSIONS
    }
    gen_failed = [
        {"id": r["id"], "error": r.get("generation_error") or "no answer"}
        for r in records
        if r.get("S_l") is None
    ]
    judge_failed = [
        {"id": r["id"], "error": r.get("judge_error") or "not judged"}
        for r in records
        if r.get("S_q") is None and r.get("S_l") is not None and r.get("judge_error")
    ]
    return {
        "overall": _group(records),
        "by_bucket": _by(with_bucket, "bucket", [b[0] for b in BUCKETS] + [OUT_OF_BUCKETS]),
        "by_language": _by(records, "language", ["en", "zh"]),
        "by_type": _by(records, "type"),
        "dimensions": dims,
        "failures": {
            "generation": len(gen_failed),
            "judge": len(judge_failed),
            "items": {"generation": gen_failed, "judge": judge_failed},
        },
    }


def prediction_monitors(predictions: Sequence[Mapping[str, Any]], quality: Mapping[str, Any] | None = None):
    """Reward-hacking monitors (:func:`rewards.monitors.step_monitors`) over one model's answers.

    ``predictions`` are a run's prediction records (failed ones are left out and counted);
    ``quality`` maps item id -> judge quality score (S_q), for the length-quality correlation.
    Returns the monitor values (None where a value cannot be computed) plus ``answers``: the
    number of answers measured. The n-gram reference is the answers themselves, so the over-used
    share is left out (it needs a reference distribution: see ``rl.trainer``).
    """
    from rewards.monitors import step_monitors

    ok = [p for p in predictions if not p.get("error") and isinstance(p.get("answer"), str)]
    quality = quality or {}
    values = step_monitors(
        [p["answer"] for p in ok],
        group_ids=[str(p.get("id")) for p in ok],
        lengths=[float(p.get("answer_len") or 0) for p in ok],
        quality=[quality.get(str(p.get("id"))) for p in ok],
    )
    return {**values, "answers": len(ok), "failed": len(predictions) - len(ok)}
