"""Per-step metrics from rewards' per-sample details in verl's reward info: the checklist reward's
per-criterion scores and vetoes (``rl.verl_reward.DETAIL_KEYS``).

``longwriter/checklist/*`` over a step's real samples: ``criteria_mean`` (criteria per judged
answer), ``vetoed_ratio`` and ``hard_violated_mean`` (over judged answers), ``prompt_tokens`` /
``completion_tokens`` (summed: the judge's cost of the step, tokens), and per criterion name
``criterion/<name>/mean`` (mean 1-10 score of the answers judged on it). Criterion names are the
requests' own, so a run over many requests would log a series per name (thousands, in a tracker
that shows each as a chart): the per-name series are meant for small fixed checklists (the tiny
preset's, a curated set). ``criterion_names`` (distinct names judged this step) is always logged;
a step with more than ``max_named`` (``longwriter.checklist_max_named``, default
:data:`MAX_NAMED_CRITERIA`) logs no per-name series and says so: ``criterion_names_unlogged`` is
the count left out (0 when all were logged) and a warning names the setting, once per process.
The aggregate keys are always there.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["checklist_metrics", "MAX_NAMED_CRITERIA"]

logger = logging.getLogger(__name__)
#: Default most distinct criterion names a step logs per-name series for (see the module doc).
MAX_NAMED_CRITERIA = 32
_warned = False


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def checklist_metrics(
    infos: Sequence[Mapping[str, Any]], name: str = "checklist", max_named: int = MAX_NAMED_CRITERIA
) -> dict[str, float]:
    """``longwriter/checklist/*`` (see the module doc) from real samples' reward infos; ``{}`` when
    the run has no checklist reward. Per-name series only when the step judged at most
    ``max_named`` distinct criterion names (else counted in ``criterion_names_unlogged``). An
    unreadable ``<name>_scores`` string is a ValueError (our own reward writes it: a bug to see)."""
    global _warned
    if not infos or f"{name}_scores" not in infos[0]:
        return {}
    p = "longwriter/checklist"
    per: dict[str, list[int]] = {}
    judged = 0
    vetoed = violated = prompt = completion = criteria = 0.0
    for info in infos:
        scores = json.loads(info.get(f"{name}_scores") or "{}")
        if not isinstance(scores, dict):
            raise ValueError(f"{name}_scores is not a JSON object: {info.get(f'{name}_scores')!r}")
        prompt += (
            0.0
            if math.isnan(_num(info.get(f"{name}_prompt_tokens")))
            else _num(info[f"{name}_prompt_tokens"])
        )
        completion += (
            0.0
            if math.isnan(_num(info.get(f"{name}_completion_tokens")))
            else _num(info[f"{name}_completion_tokens"])
        )
        if not scores:
            continue
        judged += 1
        criteria += len(scores)
        vetoed += _num(info.get(f"{name}_vetoed")) == 1.0
        violated += max(0.0, _num(info.get(f"{name}_hard_violated")) or 0.0)
        for criterion, score in scores.items():
            per.setdefault(str(criterion), []).append(int(score))
    out = {f"{p}/prompt_tokens": prompt, f"{p}/completion_tokens": completion, f"{p}/judged": float(judged)}
    if judged:
        out[f"{p}/criteria_mean"] = criteria / judged
        out[f"{p}/vetoed_ratio"] = vetoed / judged
        out[f"{p}/hard_violated_mean"] = violated / judged
    out[f"{p}/criterion_names"] = float(len(per))
    if len(per) > max_named:
        out[f"{p}/criterion_names_unlogged"] = float(len(per))
        if not _warned:
            _warned = True
            logger.warning(
                "checklist: %d distinct criterion names in one step, more than "
                "longwriter.checklist_max_named=%d: no per-name series are logged "
                "(longwriter/checklist/criterion_names_unlogged counts them each step)",
                len(per),
                max_named,
            )
        return out
    out[f"{p}/criterion_names_unlogged"] = 0.0
    for criterion, values in sorted(per.items()):
        out[f"{p}/criterion/{criterion}/mean"] = sum(values) / len(values)
    return out
