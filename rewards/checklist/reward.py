"""The ``checklist`` reward: a judge scores the answer on each of its request's own criteria.

Every request carries its criteria (3-7, WritingBench-like, made by ``longwrite prepare-rl
--checklists``: :mod:`rewards.checklist.generate`) in the sample's ``checklist`` metadata (a list of
criterion objects or their JSON; ``rl.verl_reward`` reads it from the row's ``extra_info``). A judge
over any OpenAI-compatible endpoint (:class:`rollout.endpoint.EndpointClient`) scores the answer
(plan stripped) 1-10 per criterion, with WritingBench's judging path: the criteria prompt, its
parser and the bounded retry loop with a correction turn (:mod:`rewards.checklist.criteria`,
:func:`rewards.judging.ask_judge`). Two modes (option ``mode``):

``per_criterion``
    one judge call per (answer, criterion) with :data:`~rewards.checklist.criteria.CRITERIA_PROMPT`,
    exactly as ``longwrite eval writingbench`` judges (3-7 calls per answer).
``all_at_once``
    one call per answer listing every criterion (:data:`ALL_AT_ONCE_PROMPT`); the reply holds one
    ``{"name", "score", "justification"}`` per criterion, each checked by the same rule as a
    per-criterion reply. Fewer calls and fewer prompt tokens (the answer is sent once), at the price
    of one judgement per call seeing every criterion (measured: ``benchmarks/checklist.py``).

Aggregation: criterion ``k``'s score ``s_k`` (1-10) maps to ``(s_k - 1) / 9``; the reward is their
weighted mean with each criterion's ``weight`` (default 1). **Veto** (option ``veto``, default on):
a hard criterion (an explicit demand of the request) scored below ``hard_threshold`` (default 5 of
10) caps the reward at ``veto_cap`` (default 0.2): an answer that ignores a demand cannot score well
on its other criteria; the cap is recorded (details ``vetoed`` 1, a reason naming the criterion).

Failures: an empty answer scores 0 with no judge call (a reason says so). A request without a
usable checklist, or a criterion whose judgement fails (endpoint error, a reply still unreadable
after ``attempts`` tries), makes the sample **missing** (None, with the reason), never 0 and never a
partial score (as WritingBench lists an item with a failed criterion); the trainer's
:class:`rl.trainer.JudgeWatch` stops a run whose ``checklist`` stays missing beyond
``judge_max_missing_share`` / ``judge_max_missing_steps``.

Details (logged per sample, ``checklist_*`` keys in verl's reward info): ``judge_calls``,
``prompt_tokens`` / ``completion_tokens`` (the endpoint's counts), ``criteria`` (how many),
``hard_violated`` (hard criteria below the threshold), ``vetoed`` (0/1), ``scores`` (criterion name
-> 1-10 score, a JSON string), ``answer_chars`` / ``cut_chars`` (the answer is shown whole up to
``max_answer_chars`` characters, else head and tail, recorded: :func:`rewards.quality.judge.shorten`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any

from rewards.base import REQUIRED, Batch, ComponentScore, register_reward
from rewards.checklist.criteria import (
    CRITERIA_PROMPT,
    CRITERIA_PROMPT_VERSION,
    Criterion,
    criteria_from_list,
    criterion_correction,
    criterion_score_of,
    parse_criterion_score,
)
from rewards.judging import JudgeOutcome, fill_template, json_objects

__all__ = [
    "MODES",
    "CHECKLIST_DEFAULTS",
    "ALL_AT_ONCE_PROMPT",
    "ALL_AT_ONCE_PROMPT_VERSION",
    "checklist_of",
    "criterion_messages",
    "all_at_once_messages",
    "parse_all_scores",
    "aggregate",
    "judge_checklists",
]

log = logging.getLogger(__name__)

MODES = ("per_criterion", "all_at_once")
ALL_AT_ONCE_PROMPT_VERSION = "lw-checklist-all-v1"
ALL_AT_ONCE_PROMPT = """\
You are grading a piece of writing that an AI assistant produced for a user's request, on each of
the criteria listed below, one at a time.

[User request]
{{request}}

[Answer]
{{answer}}

[Criteria]
{{criteria}}

Judge the answer on each criterion separately, strictly, following its scoring guidance. Use the
full scale: 1-2 fails the criterion, 5-6 meets it in part, 9-10 only for an answer that fully meets
it with nothing to improve. Length by itself earns nothing.

Reply with one JSON object and nothing else, one entry per criterion, in the order given:
{"scores": [{"name": "<criterion name>", "score": <integer 1-10>, "justification": "<one sentence>"}]}
"""
_ALL_CORRECTION = (
    "Your reply could not be read ({reason}). Reply again with only the JSON object "
    '{{"scores": [{{"name": ..., "score": <integer 1-10>, "justification": ...}}, ...]}} '
    "with one entry for each criterion."
)

#: The reward's options (``reward_options.checklist.*``).
CHECKLIST_DEFAULTS: dict[str, Any] = {
    "base_url": REQUIRED,  # the judge's OpenAI-compatible URL
    "model": "judge",
    "api_key_env": "OPENAI_API_KEY",
    "mode": "per_criterion",  # per_criterion | all_at_once
    "concurrency": 32,
    "timeout": 120.0,  # seconds per attempt
    "max_retries": 3,  # HTTP retries per attempt (the client's)
    "backoff_base": 1.0,
    "attempts": 3,  # tries per judgement (a correction turn after an unreadable reply)
    "max_tokens": 512,  # reply tokens per criterion call (all_at_once: x criteria)
    "cache_path": None,
    "max_answer_chars": 80000,  # rewards.quality.judge.DEFAULT_MAX_ANSWER_CHARS
    "veto": True,
    "hard_threshold": 5,  # a hard criterion scored below this (1-10) is violated
    "veto_cap": 0.2,  # ...and caps the reward at this value
    "judge_max_missing_share": None,  # rl.trainer.JudgeWatch overrides (None: the trainer's)
    "judge_max_missing_steps": None,
}


def _check(options: dict) -> None:
    if options["mode"] not in MODES:
        raise ValueError(f"checklist: mode must be one of {', '.join(MODES)}, got {options['mode']!r}")
    url = options["base_url"]
    placeholder = isinstance(url, str) and url.startswith("REQUIRED")  # a preset's: refused before a run
    if (
        url is not None
        and not placeholder
        and not (isinstance(url, str) and url.startswith(("http://", "https://")))
    ):
        raise ValueError(f"checklist: base_url must be an http(s) URL, got {url!r}")
    if not 1 <= int(options["hard_threshold"]) <= 10:
        raise ValueError(f"checklist: hard_threshold must be in 1-10, got {options['hard_threshold']!r}")
    if not 0.0 <= float(options["veto_cap"]) <= 1.0:
        raise ValueError(f"checklist: veto_cap must be in [0, 1], got {options['veto_cap']!r}")
    if int(options["attempts"]) < 1:
        raise ValueError(f"checklist: attempts must be >= 1, got {options['attempts']!r}")


def checklist_of(metadata: dict) -> tuple[tuple[Criterion, ...] | None, str]:
    """The sample's criteria from its ``checklist`` metadata (a list or its JSON), or
    ``(None, why)`` when it has none or they are invalid."""
    raw = metadata.get("checklist")
    if raw is None or raw == "":
        return None, "no checklist for this request (longwrite prepare-rl --checklists makes them)"
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            return None, f"checklist is not valid JSON ({exc.msg})"
    try:
        return criteria_from_list(list(raw) if isinstance(raw, tuple) else raw, "checklist"), ""
    except ValueError as exc:
        return None, f"invalid checklist: {exc}"


def criterion_messages(request: str, answer: str, criterion: Criterion) -> list[dict]:
    """The chat messages of one ``per_criterion`` call (WritingBench's criteria prompt)."""
    text = fill_template(
        CRITERIA_PROMPT,
        {"{{request}}": request, "{{answer}}": answer, "{{criterion}}": criterion.render()},
    )
    return [{"role": "user", "content": text}]


def all_at_once_messages(request: str, answer: str, criteria: Sequence[Criterion]) -> list[dict]:
    """The chat messages of one ``all_at_once`` call (every criterion, numbered)."""
    listed = "\n\n".join(f"{k}. {c.render()}" for k, c in enumerate(criteria, 1))
    text = fill_template(
        ALL_AT_ONCE_PROMPT, {"{{request}}": request, "{{answer}}": answer, "{{criteria}}": listed}
    )
    return [{"role": "user", "content": text}]


def parse_all_scores(text: Any, names: Sequence[str]) -> tuple[dict | None, str | None]:
    """``({name: {"score", "justification"}}, None)`` for an ``all_at_once`` reply covering every
    criterion in ``names`` exactly once, else ``(None, reason)``; never raises. Each entry is checked
    as a per-criterion reply is (:func:`rewards.checklist.criteria.criterion_score_of`)."""
    if not isinstance(text, str) or not text.strip():
        return None, "empty judge reply"
    objs = [o for o in json_objects(text) if isinstance(o.get("scores"), list)]
    if not objs:
        return None, "no JSON object with a 'scores' list in the reply"
    out: dict[str, dict] = {}
    for entry in objs[0]["scores"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            return None, "a 'scores' entry without a name"
        name = entry["name"].strip()
        if name not in names:
            return None, f"unknown criterion {name!r}"
        if name in out:
            return None, f"criterion {name!r} scored twice"
        value, why = criterion_score_of(entry)
        if value is None:
            return None, f"{name}: {why}"
        out[name] = value
    missing = [n for n in names if n not in out]
    if missing:
        return None, f"no score for {', '.join(missing)}"
    return out, None


def aggregate(
    criteria: Sequence[Criterion], scores: dict[str, int], options: dict
) -> tuple[float, list[str], int]:
    """``(reward in [0, 1], reasons, hard criteria violated)`` from 1-10 scores per criterion name:
    the weighted mean of ``(score - 1) / 9``, capped at ``veto_cap`` when ``veto`` is on and a hard
    criterion scored below ``hard_threshold`` (see the module doc)."""
    total = sum(c.weight for c in criteria)
    value = sum(c.weight * (scores[c.name] - 1) / 9.0 for c in criteria) / total
    violated = [c for c in criteria if c.hard and scores[c.name] < int(options["hard_threshold"])]
    reasons: list[str] = []
    if violated and options["veto"] and value > float(options["veto_cap"]):
        names = ", ".join(f"{c.name!r} ({scores[c.name]}/10)" for c in violated)
        reasons.append(
            f"checklist: hard constraint(s) {names} violated: reward capped at {float(options['veto_cap']):g} "
            f"(was {value:.3f})"
        )
        value = float(options["veto_cap"])
    return value, reasons, len(violated)


def _client(options: dict):
    from rollout.endpoint import shared_client

    return shared_client(options)


def _call_id(i: int, text: str) -> str:
    return f"{i}:{hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]}"


def _closing(client: Any, coro: Any) -> Any:
    """Run ``coro`` to completion from synchronous code, then close the client's connections."""
    from rollout.endpoint import run_sync

    async def main() -> Any:
        try:
            return await coro
        finally:
            await client.aclose()

    return run_sync(main())


def judge_checklists(
    client: Any, jobs: Sequence[tuple[str, str, Sequence[Criterion]]], options: dict
) -> list[tuple[dict[str, dict] | None, str, list[JudgeOutcome]]]:
    """Judge each ``(request, shown answer, criteria)`` in ``options["mode"]``; per job
    ``(criterion name -> {"score", "justification"} or None, why it failed, its outcomes)``.

    All calls of all jobs go out together (the client's concurrency bounds them); a job fails as a
    whole when any of its criteria fails.
    """
    from rewards.judging import ask_judge

    params = {"temperature": 0.0, "max_tokens": int(options["max_tokens"])}
    attempts = int(options["attempts"])
    if options["mode"] == "per_criterion":
        calls, owner = [], []
        for j, (request, answer, criteria) in enumerate(jobs):
            for c in criteria:
                text = criterion_messages(request, answer, c)[0]["content"]
                calls.append((_call_id(len(calls), text), text))
                owner.append((j, c.name))
        outcomes = _closing(
            client,
            ask_judge(
                client,
                calls,
                parse_criterion_score,
                criterion_correction,
                max_attempts=attempts,
                params=params,
            ),
        )
        results: list[tuple[dict | None, str, list]] = [({}, "", []) for _ in jobs]
        for (j, name), o in zip(owner, outcomes, strict=True):
            scores, why, mine = results[j]
            mine.append(o)
            if o.value is None:
                why = why or f"criterion {name!r}: {o.error}"
            else:
                scores[name] = o.value
            results[j] = (scores, why, mine)
        return [(None if why else scores, why, mine) for scores, why, mine in results]
    # all_at_once: one call per job; each call parses with its own job's criterion names
    texts = [all_at_once_messages(r, a, cs)[0]["content"] for r, a, cs in jobs]
    calls = [(_call_id(j, t), t) for j, t in enumerate(texts)]

    def asking(j: int, call: tuple[str, str]):
        names = [c.name for c in jobs[j][2]]
        return ask_judge(
            client,
            [call],
            lambda text: parse_all_scores(text, names),
            lambda reason: _ALL_CORRECTION.format(reason=reason),
            max_attempts=attempts,
            params={**params, "max_tokens": int(options["max_tokens"]) * len(names)},
        )

    async def run_all():
        import asyncio

        return await asyncio.gather(*(asking(j, call) for j, call in enumerate(calls)))

    out: list[tuple[dict | None, str, list]] = []
    for (o,) in _closing(client, run_all()) if calls else []:
        if o.value is None:
            out.append((None, f"all criteria: {o.error}", [o]))
        else:
            out.append((o.value, "", [o]))
    return out


@register_reward("checklist", batched=True, defaults=dict(CHECKLIST_DEFAULTS), check=_check)
def _checklist_component(batch: Batch, options: dict) -> list[ComponentScore]:
    """The answer's weighted mean score over its request's criteria, with the hard-constraint veto."""
    from rewards.pairwise.reference import check_endpoint
    from rewards.quality.judge import cut_reason, shorten

    check_endpoint(options, "checklist")  # unset or a placeholder: a config error, raised
    out: list[ComponentScore | None] = [None] * len(batch)
    jobs: list[tuple[str, str, tuple[Criterion, ...]]] = []
    job_of: list[int] = []
    base: list[dict[str, Any]] = []
    cut_notes: list[list[str]] = []
    for i, (sample, parsed) in enumerate(zip(batch.samples, batch.parsed, strict=True)):
        shown = shorten(parsed.answer.strip(), int(options["max_answer_chars"]))
        base.append(
            {
                "judge_prompt": CRITERIA_PROMPT_VERSION
                if options["mode"] == "per_criterion"
                else ALL_AT_ONCE_PROMPT_VERSION,
                "judge_calls": 0,
                "prompt_tokens": 0,
                "completion_tokens": 0,
                "criteria": 0,
                "hard_violated": 0,
                "vetoed": 0,
                "scores": "{}",
                "answer_chars": shown.kept_chars + shown.cut_chars,
                "cut_chars": shown.cut_chars,
            }
        )
        cut_notes.append([cut_reason("checklist", shown)] if shown.cut_chars else [])
        criteria, why = checklist_of(sample.metadata)
        if criteria is None:
            out[i] = ComponentScore(None, [f"checklist: {why} (missing)"], base[i])
            continue
        base[i]["criteria"] = len(criteria)
        if not parsed.answer.strip():
            out[i] = ComponentScore(0.0, ["checklist: empty answer (0, no judge call)"], base[i])
            continue
        jobs.append((sample.prompt.strip(), shown.text, criteria))
        job_of.append(i)
    results = judge_checklists(_client(options), jobs, options) if jobs else []
    for i, (request, _, criteria), (scores, why, outcomes) in zip(job_of, jobs, results, strict=True):
        del request
        details = dict(base[i])
        details["judge_calls"] = sum(o.attempts for o in outcomes)
        details["prompt_tokens"] = sum(int(o.usage.get("prompt_tokens", 0)) for o in outcomes)
        details["completion_tokens"] = sum(int(o.usage.get("completion_tokens", 0)) for o in outcomes)
        if scores is None:
            log.warning("checklist: sample %d missing: %s", i, why)
            out[i] = ComponentScore(
                None, [f"checklist: judge failed, {why} (missing, not 0)", *cut_notes[i]], details
            )
            continue
        flat = {c.name: int(scores[c.name]["score"]) for c in criteria}
        value, reasons, violated = aggregate(criteria, flat, options)
        details.update(
            hard_violated=violated, vetoed=int(bool(reasons)), scores=json.dumps(flat, ensure_ascii=False)
        )
        low = [f"checklist: {n} {s}/10" for n, s in flat.items() if s <= 4]
        out[i] = ComponentScore(value, reasons + low + cut_notes[i], details)
    return [c if c is not None else ComponentScore(None, ["checklist: no judgement"]) for c in out]
