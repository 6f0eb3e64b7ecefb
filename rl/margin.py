"""Margin-aware prompt selection (``longwrite prepare-rl --select-by-margin K``).

The starting policy (any OpenAI-compatible endpoint: ``--policy-endpoint URL --policy-model
NAME``, through :class:`rollout.endpoint.EndpointClient`) writes ``samples`` answers per request;
the pairwise judge (:func:`rewards.pairwise.reference.judge_pairs`, both orders) compares each answer with
the request's **strongest** reference (the last of ``references``).

**Margin** of a request = 1 - (mean outcome of its judged answers), outcome = win 1, tie 0.5,
loss 0. It is in [0, 1]: 0 when the policy already beats the best reference every time, 1 when
the best reference wins every comparison - the room the policy has to learn from that prompt.
The K requests with the largest margin are kept (ties broken by the request's order in the
file). A request without references, or whose answers all failed (policy or judge), has no
margin and is not selectable; it is listed with the reason. Every score is written to
``margin_scores.jsonl`` beside the data (one row per request: id, margin, wins, judged, failures,
selected).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["MarginScore", "score_margins", "select_by_margin", "write_scores", "SCORES_FILE"]

log = logging.getLogger(__name__)
SCORES_FILE = "margin_scores.jsonl"


@dataclass
class MarginScore:
    """One request's margin (None: not measurable, see ``failures``) and its evidence."""

    id: str
    margin: float | None
    wins: float = 0.0
    judged: int = 0
    failures: list[str] = field(default_factory=list)
    selected: bool = False


def score_margins(
    rows: Sequence[Any],
    policy_client: Any,
    judge_options: dict,
    *,
    samples: int = 1,
    temperature: float = 0.7,
    max_tokens: int = 4096,
) -> list[MarginScore]:
    """The margin of each row (:class:`rl.prepare.PromptRow`) against its strongest reference."""
    from rewards.base import get_reward
    from rewards.pairwise.reference import PairJob, judge_pairs
    from rollout.endpoint import ChatRequest
    from rollout.format import chat_messages, parse_response

    options = get_reward("group_pairwise").resolve_options({**judge_options, "order": "both"})
    out = [MarginScore(r.id, None) for r in rows]
    requests, req_of = [], []
    for k, row in enumerate(rows):
        if not row.references:
            out[k].failures.append("no references")
            continue
        for s in range(samples):
            params = {"temperature": temperature, "max_tokens": max_tokens, "seed": s}
            requests.append(
                ChatRequest(chat_messages(row.prompt, "plan_write", row.language), params, id=f"{row.id}#{s}")
            )
            req_of.append(k)
    results = policy_client.run(requests) if requests else []
    jobs, job_of = [], []
    for k, res in zip(req_of, results, strict=True):
        if not res.ok:
            out[k].failures.append(f"policy failed ({res.error})")
            continue
        answer = parse_response(res.text or "").answer
        if not answer.strip():
            out[k].failures.append("policy gave an empty answer (counted as a loss)")
            out[k].judged += 1
            continue
        jobs.append(PairJob(rows[k].prompt, answer, rows[k].references[-1]))
        job_of.append(k)
    verdicts, _ = judge_pairs(jobs, options) if jobs else ([], 0)
    for k, (value, why, _) in zip(job_of, verdicts, strict=True):
        if value is None:
            out[k].failures.append(f"judge: {why}")
            continue
        out[k].wins += value
        out[k].judged += 1
    for m in out:
        m.margin = 1.0 - m.wins / m.judged if m.judged else None
    return out


def select_by_margin(scores: Sequence[MarginScore], k: int) -> list[str]:
    """Ids of the ``k`` scores with the largest margin (stable: earlier rows first on ties)."""
    if k < 1:
        raise ValueError(f"--select-by-margin needs K >= 1, got {k}")
    ranked = sorted(
        (i for i, s in enumerate(scores) if s.margin is not None), key=lambda i: (-scores[i].margin, i)
    )
    keep = ranked[:k]
    if len(keep) < k:
        log.warning("--select-by-margin %d: only %d requests have a margin; keeping those", k, len(keep))
    for i in keep:
        scores[i].selected = True
    return [scores[i].id for i in keep]


def write_scores(scores: Sequence[MarginScore], path: str | Path) -> Path:
    """Write one JSON row per request to ``path`` (atomically)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for s in scores:
            f.write(json.dumps(s.__dict__, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path
