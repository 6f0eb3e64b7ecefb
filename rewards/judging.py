"""What every judge of the project shares, reward or benchmark: find the JSON in a reply, fill a
prompt template, and the one bounded-retry judge loop.

* :func:`json_objects` - every JSON object in a judge's reply (whole, fenced, or inside prose).
* :func:`fill_template` - a prompt template filled in ONE pass, so placeholder-like text inside
  a request or an answer is never substituted.
* :func:`ask_judge` - send ``(id, prompt)`` calls to an OpenAI-compatible judge
  (:class:`rollout.endpoint.EndpointClient`), parse each reply, retry an unreadable reply with a
  correction turn (or resent unchanged), and return every failure with its reason
  (:class:`JudgeOutcome`), never a default value.

They lived in ``eval.judge``; they sit here so the checklist reward (:mod:`rewards.checklist`)
judges exactly as ``eval.writingbench`` does (``eval`` imports ``rewards``, never the reverse).
``eval.judge`` re-exports them under their old names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["json_objects", "fill_template", "JudgeOutcome", "ask_judge", "outcome_usage"]

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


def fill_template(text: str, table: Mapping[str, str]) -> str:
    """``text`` with every key of ``table`` (e.g. ``"{{answer}}"``) replaced by its value, in one
    pass: text that a value brings in is never substituted again."""
    if not table:
        return text
    pattern = re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)))
    return pattern.sub(lambda m: table[m.group(0)], text)


def json_objects(text: str) -> list[dict]:
    """Every JSON object found in ``text``: whole text, fenced blocks, then any ``{...}`` span."""
    found: list[dict] = []
    # strict=False: raw newlines and tabs inside JSON strings (a judge's multi-line comment) are
    # read, as the official LongBench-Write script reads them (it deletes newlines before parsing).
    decoder = json.JSONDecoder(strict=False)
    chunks = [text.strip()] + [m.group(1).strip() for m in _FENCE.finditer(text)]
    for chunk in chunks:
        try:
            obj = decoder.decode(chunk)
        except (json.JSONDecodeError, ValueError):
            continue
        if isinstance(obj, dict):
            found.append(obj)
    for m in re.finditer(r"\{", text):
        try:
            obj, _ = decoder.raw_decode(text, m.start())
        except (json.JSONDecodeError, ValueError):
            continue
        if isinstance(obj, dict):
            found.append(obj)
    return found


@dataclass
class JudgeOutcome:
    """What one judge call settled to: the parsed ``value``, or ``error`` saying why there is none.

    ``attempts`` counts tries (a correction turn is a new try); ``raw`` is the last reply;
    ``history`` the reason of every failed try; ``cached`` whether the last reply came from the
    client's cache; ``usage`` the endpoint's token counts (tokens) summed over every try that got
    a reply (``prompt_tokens``, ``completion_tokens``; cache hits report the cached usage).
    """

    id: str
    value: Any = None
    error: str | None = None
    attempts: int = 0
    raw: str | None = None
    cached: bool = False
    history: list[str] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)


def outcome_usage(outcomes: Sequence[JudgeOutcome]) -> dict[str, int]:
    """The token counts (``prompt_tokens``, ``completion_tokens``) summed over ``outcomes``."""
    total = {"prompt_tokens": 0, "completion_tokens": 0}
    for o in outcomes:
        for key in total:
            total[key] += int(o.usage.get(key, 0))
    return total


async def ask_judge(
    client: Any,
    calls: Sequence[tuple[str, str]],
    parse: Callable[[Any], tuple[Any, str | None]],
    correction: Callable[[str], str] | None,
    *,
    max_attempts: int = 3,
    params: dict | None = None,
    progress: bool | str = False,
    on_settled: Callable[[JudgeOutcome], None] | None = None,
    system: str = "",
) -> list[JudgeOutcome]:
    """Send each ``(id, prompt)`` to the judge behind ``client`` and parse the reply; order is kept.

    The one retry loop of every judge in :mod:`eval`: ``parse(reply)`` returns ``(value, None)``
    or ``(None, reason)``. A reply that cannot be parsed, or a request that still failed after
    the client's own HTTP retries, is tried again up to ``max_attempts`` in all; an unreadable
    reply is followed by a correction turn (``correction(reason)``), so the retry is a new request
    (not a cache hit). ``params`` go to the chat call (default temperature 0, max_tokens 512).
    ``on_settled(outcome)`` is called as each call succeeds or finally fails, so callers can
    persist progressively. Failures are returned with their reason, never a default value.

    ``correction`` None resends the same conversation instead (as WritingBench's scripts do); the
    retry then carries ``seed`` = its attempt number, so it is a fresh sample and not the cached
    reply. ``system`` (non-empty) opens every conversation as a system message.
    """
    from rollout.endpoint import ChatRequest

    params = {"temperature": 0.0, "max_tokens": 512, **(params or {})}
    outcomes = [JudgeOutcome(id=i) for i, _ in calls]
    opening = [{"role": "system", "content": system}] if system else []
    conversations = [[*opening, {"role": "user", "content": content}] for _, content in calls]
    pending = list(range(len(calls)))
    for attempt in range(1, max(1, max_attempts) + 1):
        if not pending:
            break
        sent = dict(params) if correction is not None or attempt == 1 else {**params, "seed": attempt}
        requests = [
            ChatRequest(messages=list(conversations[k]), params=dict(sent), id=calls[k][0]) for k in pending
        ]
        label = progress if isinstance(progress, str) else "judge"
        if attempt > 1 and progress:
            label = f"{label} (retry {attempt - 1})"
        still: list[int] = []
        batch = list(pending)

        def handle(i: int, res: Any, batch=batch, attempt=attempt, still=still) -> None:
            # Called as each request finishes, so a settled call is reported (on_settled: e.g.
            # appended to a store) before the rest of the round is done: a job killed mid-round
            # keeps every judgement it already had.
            k = batch[i]
            out = outcomes[k]
            out.attempts = attempt
            out.cached = bool(getattr(res, "cached", False))
            for key in ("prompt_tokens", "completion_tokens"):
                used = (getattr(res, "usage", None) or {}).get(key)
                if isinstance(used, int):
                    out.usage[key] = out.usage.get(key, 0) + used
            if res.error is not None:
                out.error = f"endpoint error: {res.error}"
                out.history.append(out.error)
                still.append(k)
                return
            out.raw = res.text
            value, reason = parse(res.text)
            if reason is None:
                out.value, out.error = value, None
                if on_settled:
                    on_settled(out)
                return
            out.error = f"unreadable judge reply: {reason}"
            out.history.append(out.error)
            if correction is not None:  # else the conversation is resent unchanged
                conversations[k] = conversations[k] + [
                    {"role": "assistant", "content": res.text or ""},
                    {"role": "user", "content": correction(reason)},
                ]
            still.append(k)

        await client.chat_many(requests, progress=label if progress else False, on_result=handle)
        pending = sorted(still)  # the calls' own order for the next round, whatever finished first
    for k in pending:
        if on_settled:
            on_settled(outcomes[k])
    return outcomes
