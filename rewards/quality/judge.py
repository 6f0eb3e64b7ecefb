"""The ``judge`` quality backend: a generative judge over an OpenAI-compatible endpoint.

The judge reads the request and the answer (the plan is not shown) and returns JSON
``{"score": 1-10, "reason": "..."}`` under a fixed rubric; the score maps linearly to [0, 1]
((score - 1) / 9). Requests run concurrently through :class:`rollout.endpoint.EndpointClient`
(concurrency limit, per-attempt timeout, retries with backoff on 429 / 5xx / malformed bodies,
optional jsonl cache). A reply that is not valid rubric JSON is asked again once with another
seed; a judge that still fails yields **missing (None)** with the cause as reason, which the
combination leaves out of the total - a judge outage is never scored as a bad answer.

Answer size: the default ``max_answer_chars`` (:data:`DEFAULT_MAX_ANSWER_CHARS`, 80,000
characters) shows a 10,000-word answer whole. It assumes a judge context of 32k tokens: a
10,000-word English answer is about 60,000-70,000 characters, about 15,000-18,000 tokens, and with
the rubric, a request of a few thousand characters and the 256-token reply it fits; a
10,000-character Chinese answer is about 7,000-10,000 tokens. (80,000 Chinese characters would not
fit 32k tokens: such a judge answers with a context error, which is a missing score with that
reason, never a guess.)
Longer answers are shown as their head and tail with a marker between (the judge still sees the
opening, the ending and the overall size), and the cut is recorded for every sample: details
``answer_chars`` (characters of the answer) and ``cut_chars`` (characters the judge did not see;
0 when it read everything), a reason, and per step ``longwriter/reward/quality/cut_ratio``.
:data:`JUDGE_VERSION` names the prompt; bump it whenever the rubric changes so old and new scores
are never silently compared.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from rewards.base import Batch, ComponentScore

__all__ = [
    "JUDGE_VERSION",
    "JUDGE_SYSTEM",
    "DEFAULT_MAX_ANSWER_CHARS",
    "Shown",
    "shorten",
    "judge_messages",
    "parse_judge_reply",
    "judge_scores",
]

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


#: Characters of an answer a judge is shown whole (sized for 10,000-word answers; module doc).
DEFAULT_MAX_ANSWER_CHARS = 80000


@dataclass(frozen=True)
class Shown:
    """What a judge is shown of one answer: the text, and the answer's characters kept and cut."""

    text: str
    kept_chars: int
    cut_chars: int


def shorten(answer: str, max_chars: int) -> Shown:
    """``answer`` whole when it has at most ``max_chars`` characters, else its head and tail.

    The head and tail hold ``max_chars // 2`` characters each, with a marker naming the number of
    characters left out between them. The counts (characters, not tokens) are returned so that
    every caller records the cut.
    """
    if max_chars < 2:
        raise ValueError(f"max_answer_chars must be >= 2, got {max_chars}")
    if len(answer) <= max_chars:
        return Shown(answer, len(answer), 0)
    half = max_chars // 2
    cut = len(answer) - 2 * half
    text = f"{answer[:half]}\n\n[... {cut} characters omitted ...]\n\n{answer[-half:]}"
    return Shown(text, 2 * half, cut)


def judge_messages(prompt: str, answer: str, max_answer_chars: int = DEFAULT_MAX_ANSWER_CHARS) -> list[dict]:
    """The chat messages sent to the judge for one (request, answer) pair (answer via :func:`shorten`)."""
    user = (
        f"## Request\n{prompt.strip()}\n\n## Answer\n{shorten(answer.strip(), max_answer_chars).text}\n\n"
        'Grade the answer. Reply with {"score": <1-10>, "reason": "..."} only.'
    )
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": user}]


def cut_reason(name: str, shown: Shown) -> str:
    """The reason recorded when a judge did not read a whole answer (characters)."""
    total = shown.kept_chars + shown.cut_chars
    return (
        f"{name}: the judge read {shown.kept_chars} of {total} characters of the answer "
        f"(head and tail; {shown.cut_chars} from the middle not read)"
    )


def parse_judge_reply(text: str | None) -> tuple[float | None, str]:
    """(value in [0, 1], reason) from a judge reply, or (None, why it is unusable).

    Accepts the JSON object alone, in a code fence, or inside prose; ``score`` must be a number
    (or numeric string) in [1, 10].
    """
    if not text or not isinstance(text, str):
        return None, "empty judge reply"
    obj = first_json_with(text, "score")
    if obj is None:
        return None, "judge reply has no JSON object with a score"
    try:
        score = float(obj["score"])
    except (TypeError, ValueError):
        return None, f"judge score is not a number: {obj['score']!r}"
    if not 1.0 <= score <= 10.0:
        return None, f"judge score {score:g} outside 1-10"
    reason = obj.get("reason")
    return (score - 1.0) / 9.0, reason if isinstance(reason, str) else ""


def first_json_with(text: str, key: str) -> dict | None:
    """The first flat JSON object in a judge reply (alone, in a code fence or inside prose) that
    has ``key``, or None; unparsable candidates are passed over."""
    for m in re.finditer(r"\{[^{}]*\}", text, re.DOTALL):
        try:
            obj = json.loads(m.group(0))
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and key in obj:
            return obj
    return None


def _client(options: dict):
    from rollout.endpoint import shared_client

    return shared_client(options)


def judge_scores(batch: Batch, options: dict) -> list[ComponentScore]:
    """Judge every non-empty answer of the batch concurrently; missing (None) where the judge fails.

    Every score's details carry ``answer_chars`` and ``cut_chars`` (the characters of the answer
    the judge was not shown, 0 when it read it whole), whatever the outcome.
    """
    from rollout.endpoint import ChatRequest

    client = _client(options)
    max_chars = int(options["max_answer_chars"])
    out: list[ComponentScore | None] = [None] * len(batch)
    details: list[dict[str, Any]] = []
    cut_notes: list[list[str]] = []
    todo: list[int] = []
    for i, parsed in enumerate(batch.parsed):
        shown = shorten(parsed.answer.strip(), max_chars)
        details.append(
            {
                "judge_version": JUDGE_VERSION,
                "answer_chars": shown.kept_chars + shown.cut_chars,
                "cut_chars": shown.cut_chars,
            }
        )
        cut_notes.append([cut_reason("quality", shown)] if shown.cut_chars else [])
        if not parsed.answer.strip():
            out[i] = ComponentScore(0.0, ["quality: empty answer"], details[i])
        else:
            todo.append(i)
    failures: dict[int, str] = {}
    for attempt in range(1 + int(options["parse_retries"])):
        if not todo:
            break
        params = {"temperature": 0.0, "max_tokens": 256, "seed": attempt}
        requests = [
            ChatRequest(
                judge_messages(batch.samples[i].prompt, batch.parsed[i].answer, max_chars),
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
            out[i] = ComponentScore(value, reasons + cut_notes[i], details[i])
        todo = retry
    for i, why in failures.items():
        if out[i] is None:
            log.warning("sample %d: %s", i, why)
            out[i] = ComponentScore(None, [why, *cut_notes[i]], details[i])
    return [
        c if c is not None else ComponentScore(None, ["quality: judge gave no answer"], details[i])
        for i, c in enumerate(out)
    ]
