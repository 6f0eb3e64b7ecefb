"""The LLM judge behind LongBench-Write's quality score S_q.

* :class:`JudgePrompt` - the prompt (ours by default, versioned; or one read from a file, e.g. the
  original LongBench-Write prompt for comparability) and its hash, recorded with every score so
  scores from different prompts are never silently compared.
* :func:`parse_judgement` - reads the judge's reply (clean JSON, fenced JSON, JSON inside prose,
  a reasoning model's ``<think>`` block first) into six 1-5 scores, or says exactly why it cannot.
* :func:`judge_answers` - asks an OpenAI-compatible endpoint (:class:`rollout.endpoint.EndpointClient`,
  whose cache makes re-runs free and resumable) to rate answers; a reply that cannot be read is
  retried a bounded number of times with a correction turn, and what still fails is returned as a
  failure with its reason, never a default score.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eval.scoring import DIMENSIONS, quality_score
from rewards.judging import JudgeOutcome, ask_judge, fill_template, json_objects

__all__ = [
    "JUDGE_PROMPT_VERSION",
    "DEFAULT_JUDGE_PROMPT",
    "JudgePrompt",
    "JudgeParse",
    "JudgeRecord",
    "parse_judgement",
    "judge_answers",
    "JudgeOutcome",
    "ask_judge",
    "judge_to_file",
    "json_objects",
]

# Bump whenever DEFAULT_JUDGE_PROMPT changes (the lm-evaluation-harness habit).
JUDGE_PROMPT_VERSION = "lw-judge-v1"

# Our own wording. Placeholders: {{request}} and {{answer}} (the LongBench-Write originals'
# $INST$ and $RESPONSE$ are accepted too, so their prompt file can be used unchanged).
DEFAULT_JUDGE_PROMPT = """\
You are grading a piece of writing produced by an AI assistant for a user's request.

Rate the answer on each of these six dimensions with a whole number from 1 (very poor) to 5 (excellent):
- Relevance: does the answer address what the user asked for, in the form they asked for?
- Accuracy: are the facts, reasoning and details correct and free of invented claims?
- Coherence: is it logically organised, with parts that connect and no contradictions?
- Clarity: is the language clear, precise and easy to follow?
- Breadth and Depth: does it cover the topic with enough range and insight?
- Reading Experience: is it engaging and pleasant to read, free of repetition and filler?

Judge quality only. Do NOT reward or penalise the answer for its length or for meeting any word
count the request mentions; another metric measures length.

[User request]
{{request}}

[Answer]
{{answer}}

Reply with one JSON object and nothing else, exactly these six keys, each with an integer 1-5:
{"Relevance": 0, "Accuracy": 0, "Coherence": 0, "Clarity": 0, "Breadth and Depth": 0, "Reading Experience": 0}
"""

_CORRECTION = (
    "Your reply could not be read ({reason}). Reply again with only the JSON object: the six keys "
    + ", ".join(f'"{d}"' for d in DIMENSIONS)
    + ", each an integer from 1 to 5."
)


# Placeholder aliases of the LongBench-Write originals, so their prompt file works unchanged.
_ALIASES = {"$INST$": "request", "$RESPONSE$": "answer"}


@dataclass(frozen=True)
class JudgePrompt:
    """A judge prompt template, its version label and the hash recorded with every score.

    ``fields`` names the ``{{placeholders}}`` the template must contain (LongBench-Write's quality
    prompt: request and answer; the pairwise and criteria prompts have their own).
    """

    text: str
    version: str = JUDGE_PROMPT_VERSION
    fields: tuple[str, ...] = ("request", "answer")
    # A system message sent before every judge request ("" sends none; e.g. WritingBench's).
    system: str = ""

    @property
    def hash(self) -> str:
        """First 12 hex digits of the SHA-256 of the template (and of the system message, when
        there is one): two prompts, two hashes."""
        text = self.text if not self.system else f"{self.system}\n\x00\n{self.text}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]

    @classmethod
    def default(cls) -> JudgePrompt:
        """This project's prompt (:data:`DEFAULT_JUDGE_PROMPT`, :data:`JUDGE_PROMPT_VERSION`)."""
        return cls(DEFAULT_JUDGE_PROMPT, JUDGE_PROMPT_VERSION)

    @classmethod
    def from_file(cls, path: str | Path, fields: tuple[str, ...] = ("request", "answer")) -> JudgePrompt:
        """A prompt read from ``path``; it must contain a placeholder for each of ``fields``.

        Its version is ``file:<name>``; its hash tells two edits of one file apart.
        """
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"judge prompt file not found: {p}")
        text = p.read_text(encoding="utf-8")
        missing = [
            f
            for f in fields
            if "{{" + f + "}}" not in text and not any(a in text for a, name in _ALIASES.items() if name == f)
        ]
        if missing:
            names = ", ".join(
                "{{" + f + "}}" + "".join(f" (or {a})" for a, n in _ALIASES.items() if n == f) for f in fields
            )
            raise ValueError(
                f"{p}: a judge prompt needs the placeholders {names}; missing: {', '.join(missing)}"
            )
        return cls(text, f"file:{p.name}", tuple(fields))

    def fill(self, **values: str) -> str:
        """The template with each ``{{name}}`` (and its alias) replaced by ``values[name]``.

        One pass (:func:`rewards.judging.fill_template`), so placeholder-like text inside a
        request or answer is never substituted.
        """
        table = {"{{" + k + "}}": v for k, v in values.items()}
        table.update({a: values[n] for a, n in _ALIASES.items() if n in values})
        return fill_template(self.text, table)

    def render(self, request: str, answer: str) -> str:
        """The prompt filled in with the user's ``request`` and the model's ``answer``."""
        return self.fill(request=request, answer=answer)


@dataclass(frozen=True)
class JudgeParse:
    """Six scores (1-5, keyed by :data:`DIMENSIONS`) or the reason none could be read."""

    scores: dict[str, float] | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when all six scores were read."""
        return self.scores is not None


def _norm_key(key: str) -> str:
    k = key.lower().replace("&", "and")
    k = re.sub(r"[^a-z]", "", k)
    return {"breadthdepth": "breadthanddepth", "readability": "readingexperience"}.get(k, k)


_DIM_BY_KEY = {_norm_key(d): d for d in DIMENSIONS}
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)


def _dims_of(obj: dict) -> dict[str, Any]:
    """Dimension name -> raw value for the keys of ``obj`` that name a dimension."""
    if not any(_norm_key(str(k)) in _DIM_BY_KEY for k in obj):
        # A wrapper such as {"scores": {...}}: look one level down.
        for v in obj.values():
            if isinstance(v, dict) and any(_norm_key(str(k)) in _DIM_BY_KEY for k in v):
                obj = v
                break
    return {_DIM_BY_KEY[_norm_key(str(k))]: v for k, v in obj.items() if _norm_key(str(k)) in _DIM_BY_KEY}


def _value(raw: Any) -> float | None:
    if isinstance(raw, dict):  # {"score": 4, "reason": "..."}
        raw = raw.get("score", raw.get("rating"))
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return float(raw)
    if isinstance(raw, str):
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*5)?\s*", raw)
        return float(m.group(1)) if m else None
    return None


def parse_judgement(text: Any) -> JudgeParse:
    """Read six 1-5 dimension scores from a judge reply; never raises.

    Accepts a clean JSON object, one inside a ```json fence, or one surrounded by prose (a
    reasoning model's ``<think>...</think>`` is skipped). Keys match case- and punctuation-
    insensitively ("breadth_and_depth", "Breadth & Depth"); values may be numbers, numeric
    strings ("4", "4/5") or {"score": n}. The reply fails, with a reason, when it is empty, holds
    no JSON object naming the dimensions, misses a dimension, or has a value outside [1, 5].
    """
    if not isinstance(text, str) or not text.strip():
        return JudgeParse(None, "empty judge reply")
    body = _THINK.sub("", text)
    best: dict[str, Any] = {}
    for obj in json_objects(body):
        dims = _dims_of(obj)
        if len(dims) > len(best):
            best = dims
        if len(best) == len(DIMENSIONS):
            break
    if not best:
        return JudgeParse(None, "no JSON object with the judge dimensions in the reply")
    missing = [d for d in DIMENSIONS if d not in best]
    if missing:
        return JudgeParse(None, "missing dimension(s): " + ", ".join(missing))
    scores: dict[str, float] = {}
    for dim in DIMENSIONS:
        v = _value(best[dim])
        if v is None or math.isnan(v):
            return JudgeParse(None, f"{dim}: not a number ({best[dim]!r})")
        if not 1.0 <= v <= 5.0:
            return JudgeParse(None, f"{dim}: score {v:g} outside 1-5")
        scores[dim] = int(v) if v.is_integer() else v
    return JudgeParse(scores, None)


@dataclass
class JudgeRecord:
    """One item's judgement, as stored in ``judgments.jsonl``.

    ``S_q`` is None exactly when ``error`` says why; ``prompt_hash`` and ``judge_model`` tie the
    score to the prompt and judge that produced it.
    """

    id: str
    judge_model: str
    prompt_version: str
    prompt_hash: str
    scores: dict[str, float] | None = None
    S_q: float | None = None
    error: str | None = None
    attempts: int = 0
    raw: str | None = None
    cached: bool = False
    history: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict of every field."""
        return asdict(self)


def judge_to_file(
    path: Path,
    client: Any,
    calls: Sequence[tuple[str, str]],
    parse: Callable[[Any], tuple[Any, str | None]],
    correction: Callable[[str], str] | None,
    record: Callable[[JudgeOutcome], dict],
    *,
    max_attempts: int = 3,
    params: dict | None = None,
    progress: bool | str = False,
    system: str = "",
) -> list[dict]:
    """Run :func:`ask_judge` over ``calls`` and append ``record(outcome)`` to the jsonl ``path`` as
    each settles (a kill loses at most the line being written); closes ``client`` at the end.

    Returns the records in ``calls`` order. The caller decides what is still to judge (by reading
    ``path`` back with :func:`eval.judged_run.judgments_for`), so a resumed run re-pays nothing.
    ``correction`` and ``system`` are :func:`ask_judge`'s.
    """
    import asyncio

    from eval.generate import JsonlAppender

    done: dict[str, dict] = {}
    out = JsonlAppender(path)

    def keep(outcome: JudgeOutcome) -> None:
        rec = record(outcome)
        out(rec)
        done[outcome.id] = rec

    async def go() -> None:
        try:
            await ask_judge(
                client,
                calls,
                parse,
                correction,
                max_attempts=max_attempts,
                params=params,
                progress=progress,
                on_settled=keep,
                system=system,
            )
        finally:
            await client.aclose()

    try:
        asyncio.run(go())
    finally:
        out.close()
    return [done[i] for i, _ in calls if i in done]


def parse_quality(text: Any) -> tuple[Any, str | None]:
    """:func:`parse_judgement` in :func:`ask_judge`'s ``(value, reason)`` form."""
    parsed = parse_judgement(text)
    return parsed.scores, parsed.error


def quality_correction(reason: str) -> str:
    """The correction turn after an unreadable six-dimension verdict."""
    return _CORRECTION.format(reason=reason)


def quality_record(o: JudgeOutcome, judge_model: str, prompt: JudgePrompt) -> JudgeRecord:
    """The stored :class:`JudgeRecord` of a six-dimension judge call's outcome."""
    rec = JudgeRecord(
        id=o.id,
        judge_model=judge_model,
        prompt_version=prompt.version,
        prompt_hash=prompt.hash,
        error=o.error,
        attempts=o.attempts,
        raw=o.raw,
        cached=o.cached,
        history=list(o.history),
    )
    if o.value is not None:
        rec.scores, rec.S_q = o.value, quality_score(o.value)
    return rec


async def judge_answers(
    client: Any,
    items: Sequence[tuple[str, str, str]],
    prompt: JudgePrompt | None = None,
    *,
    max_attempts: int = 3,
    params: dict | None = None,
    progress: bool | str = False,
    on_record: Any = None,
) -> list[JudgeRecord]:
    """Rate each ``(id, request, answer)`` with the judge behind ``client``; order is kept.

    ``client`` is a :class:`rollout.endpoint.EndpointClient` (concurrency, rate limits, HTTP
    retries and the on-disk cache live there); the bounded retries with a correction turn are
    :func:`ask_judge`'s. ``params`` go to the chat call (default temperature 0, max_tokens 512).
    ``on_record(record)`` is called as each item is settled, so callers can persist progressively.
    """
    prompt = prompt or JudgePrompt.default()
    model = getattr(client, "model", "?")

    def to_record(o: JudgeOutcome) -> JudgeRecord:
        return quality_record(o, model, prompt)

    outcomes = await ask_judge(
        client,
        [(i, prompt.render(req, ans)) for i, req, ans in items],
        parse_quality,
        quality_correction,
        max_attempts=max_attempts,
        params=params,
        progress=progress,
        on_settled=(lambda o: on_record(to_record(o))) if on_record else None,
    )
    return [to_record(o) for o in outcomes]
