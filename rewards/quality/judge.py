"""The ``judge`` quality backend: a generative judge over an OpenAI-compatible endpoint.

The judge reads the request and the answer (the plan is not shown) and returns JSON
``{"score": 1-10, "reason": "..."}`` under a fixed rubric; the score maps linearly to [0, 1]
((score - 1) / 9). Requests run concurrently through :class:`rollout.endpoint.EndpointClient`
(concurrency limit, per-attempt timeout, retries with backoff on 429 / 5xx / malformed bodies,
optional jsonl cache). A reply that is not valid rubric JSON is asked again once with another
seed; a judge that still fails yields **missing (None)** with the cause as reason, which the
combination leaves out of the total - a judge outage is never scored as a bad answer.

Answers longer than ``max_answer_chars`` characters are shown as their head and tail with a
marker between (the judge still sees the opening, the ending and the overall size).
:data:`JUDGE_VERSION` names the prompt; bump it whenever the rubric changes so old and new scores
are never silently compared.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from typing import Any

from rewards.base import Batch, ComponentScore

__all__ = ["JUDGE_VERSION", "JUDGE_SYSTEM", "judge_messages", "parse_judge_reply", "judge_scores"]

log = logging.getLogger(__name__)

JUDGE_VERSION = 1
JUDGE_SYSTEM = (
    "You are a strict editor grading a piece of long-form writing written for a user's request. "
    "Judge only the writing, not its length. Consider: (1) relevance - does it do what the request "
    "asks, in the requested form and language; (2) structure and coherence - clear organisation, "
    "logical flow between paragraphs; (3) substance - concrete, accurate, non-repetitive content; "
    "(4) style - fluent, precise, appropriate tone. Padding, repeated paragraphs and generic filler "
    "must lower the score. Reply with one JSON object and nothing else: "
    '{"score": <integer 1-10>, "reason": "<one sentence>"}. 1 = unusable, 5 = adequate, '
    "10 = excellent."
)
_lock = threading.Lock()
_clients: dict[tuple, Any] = {}


def _shorten(answer: str, max_chars: int) -> str:
    if len(answer) <= max_chars:
        return answer
    half = max_chars // 2
    cut = len(answer) - 2 * half
    return f"{answer[:half]}\n\n[... {cut} characters omitted ...]\n\n{answer[-half:]}"


def judge_messages(prompt: str, answer: str, max_answer_chars: int = 24000) -> list[dict]:
    """The chat messages sent to the judge for one (request, answer) pair."""
    user = (
        f"## Request\n{prompt.strip()}\n\n## Answer\n{_shorten(answer.strip(), max_answer_chars)}\n\n"
        'Grade the answer. Reply with {"score": <1-10>, "reason": "..."} only.'
    )
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": user}]


def parse_judge_reply(text: str | None) -> tuple[float | None, str]:
    """(value in [0, 1], reason) from a judge reply, or (None, why it is unusable).

    Accepts the JSON object alone, in a code fence, or inside prose; ``score`` must be a number
    (or numeric string) in [1, 10].
    """
    if not text or not isinstance(text, str):
        return None, "empty judge reply"
    for m in re.finditer(r"\{[^{}]*\}", text, re.DOTALL):
        try:
            obj = json.loads(m.group(0))
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and "score" in obj:
            try:
                score = float(obj["score"])
            except (TypeError, ValueError):
                return None, f"judge score is not a number: {obj['score']!r}"
            if not 1.0 <= score <= 10.0:
                return None, f"judge score {score:g} outside 1-10"
            reason = obj.get("reason")
            return (score - 1.0) / 9.0, reason if isinstance(reason, str) else ""
    return None, "judge reply has no JSON object with a score"


def _client(options: dict):
    from rollout.endpoint import EndpointClient

    key = (
        options["base_url"],
        options["model"],
        int(options["concurrency"]),
        float(options["timeout"]),
        int(options["max_retries"]),
        options["cache_path"],
        float(options["backoff_base"]),
    )
    with _lock:
        if key not in _clients:
            api_key = os.environ.get(options["api_key_env"]) if options["api_key_env"] else None
            _clients[key] = EndpointClient(
                options["base_url"],
                options["model"],
                api_key=api_key,
                concurrency=int(options["concurrency"]),
                timeout=float(options["timeout"]),
                max_retries=int(options["max_retries"]),
                cache_path=options["cache_path"],
                backoff_base=float(options["backoff_base"]),
            )
        return _clients[key]


def judge_scores(batch: Batch, options: dict) -> list[ComponentScore]:
    """Judge every non-empty answer of the batch concurrently; missing (None) where the judge fails."""
    from rollout.endpoint import ChatRequest

    client = _client(options)
    out: list[ComponentScore | None] = [None] * len(batch)
    todo: list[int] = []
    for i, parsed in enumerate(batch.parsed):
        if not parsed.answer.strip():
            out[i] = ComponentScore(0.0, ["quality: empty answer"], {"judge_version": JUDGE_VERSION})
        else:
            todo.append(i)
    failures: dict[int, str] = {}
    for attempt in range(1 + int(options["parse_retries"])):
        if not todo:
            break
        params = {"temperature": 0.0, "max_tokens": 256, "seed": attempt}
        requests = [
            ChatRequest(
                judge_messages(
                    batch.samples[i].prompt, batch.parsed[i].answer, int(options["max_answer_chars"])
                ),
                dict(params),
                id=str(i),
            )
            for i in todo
        ]
        results = client.run(requests)
        retry: list[int] = []
        for i, res in zip(todo, results, strict=True):
            if not res.ok:
                failures[i] = f"quality: judge failed ({res.error})"
                continue  # the client already retried transport errors
            value, why = parse_judge_reply(res.text)
            if value is None:
                failures[i] = f"quality: judge reply unusable ({why})"
                retry.append(i)
                continue
            failures.pop(i, None)
            reasons = [f"quality: judge: {why}"] if why and value < 0.5 else []
            out[i] = ComponentScore(value, reasons, {"judge_version": JUDGE_VERSION})
        todo = retry
    for i, why in failures.items():
        if out[i] is None:
            log.warning("sample %d: %s", i, why)
            out[i] = ComponentScore(None, [why], {"judge_version": JUDGE_VERSION})
    return [c if c is not None else ComponentScore(None, ["quality: judge gave no answer"]) for c in out]
