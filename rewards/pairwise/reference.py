"""The ``pairwise`` reward: an LLM judge compares each answer with the prompt's current reference.

For every rollout a judge over any OpenAI-compatible endpoint (:class:`rollout.endpoint.EndpointClient`:
concurrency limit, per-attempt timeout, retries with backoff, optional jsonl cache) reads the
request and two answers, A and B, and names the better one. The reward is the policy's outcome:
**win 1, tie 0.5, loss 0**. A judgement that fails (endpoint error, a reply that stays unreadable
after ``parse_retries`` re-asks with another seed) is **missing (None) with the reason**, never a
loss; so is a sample without references.

Position bias: with ``order="both"`` (default) each pair is judged twice, the policy's answer once
as A and once as B, and the outcome is the mean of the two (a judge that always prefers the first
position therefore gives ties); if either order fails the sample is missing. ``order="random"``
judges once, the policy's position a seeded function of (``seed``, prompt, response), recorded in
the details (``pairwise.policy_position``).

Verdict parsing (:func:`parse_verdict`) accepts a JSON object ``{"winner": "A"|"B"|"tie"}`` alone,
fenced or inside prose, then the markers ``[[A]]`` / ``[[B]]`` / ``[[tie]]``, then a line such as
``Winner: B``; anything else is unreadable.

The judge prompt is versioned and hashed (:func:`judge_prompt_id`, recorded per sample as
``pairwise.judge_prompt``): ours (:data:`JUDGE_SYSTEM`, :data:`JUDGE_VERSION`) by default, or the
text of the ``judge_prompt`` file option (id ``file:<sha256[:12]>``), so scores from different
prompts are never silently compared.

References and the curriculum: the sample's metadata carries ``references`` (reference answers
ordered weaker -> stronger; ``longwrite prepare-rl`` puts them in ``extra_info``) and ``id``. With
``curriculum=True`` (default) the reference used is the one at the prompt's level in the shared
:mod:`rewards.pairwise.curriculum` store (a named Ray actor inside a Ray job), and after judging, each
prompt's outcomes in the batch are reported there (wins = summed outcomes, total = judged
rollouts plus empty answers, which are losses without a judge call); the store advances the prompt
once the share reaches ``curriculum_threshold``. A prompt with any answer left unjudged (judge
down, deadline) is not reported at all that batch (logged; the store counts it as
``groups_skipped``): its empty answers alone would read as a lost group. With
``curriculum=False`` the strongest reference is used. ``pairwise.level`` and ``pairwise.judge_calls``
are in the details.

A group-level reward (``group=True`` in the registry): the curriculum decides per group, so the
batch must hold whole groups. In training, ``rl.trainer`` scores it once per step over every whole
group of the step (verl's streaming reward workers see fragments of groups and leave it out).

A judge that hangs: ``deadline_s`` (default 600 s) bounds all judge calls of one batch together;
calls still open then are cancelled (freeing their connection and concurrency slot) and their
samples are missing with the reason. ``judge_max_missing_share`` / ``judge_max_missing_steps``
set when the trainer stops a run whose judge keeps failing (``rl.trainer.JudgeWatch``).

Answer size: each answer is shown whole up to ``max_answer_chars`` (default 80,000 characters: a
10,000-word English answer, about 60,000-70,000 characters or 15,000-18,000 tokens). The judge
reads TWO answers, so the default assumes a judge context of 48k tokens or more (two 10,000-word
answers are 30,000-36,000 tokens, plus the request and the rubric); with a 32k-token judge set
``max_answer_chars`` to about 48,000 (two long answers then lose their middles, recorded). A
longer answer is shown as head and tail, and the cut is recorded per sample (details
``answer_chars``, ``policy_cut_chars``, ``opponent_cut_chars``, ``cut_chars`` in characters, and a
reason) and per step (``longwriter/reward/<name>/cut_ratio``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewards.base import REQUIRED, Batch, ComponentScore, register_reward

__all__ = [
    "JUDGE_VERSION",
    "JUDGE_SYSTEM",
    "PAIRWISE_DEFAULTS",
    "judge_prompt_id",
    "pair_messages",
    "parse_verdict",
    "PairJob",
    "pair_cuts",
    "cut_note",
    "judge_pairs",
    "seeded_unit",
    "check_endpoint",
    "run_with_deadline",
]

log = logging.getLogger(__name__)

JUDGE_VERSION = 1
JUDGE_SYSTEM = (
    "You compare two pieces of long-form writing, Answer A and Answer B, written for the same "
    "user request. Decide which one better fulfils the request: relevance to what was asked (form, "
    "topic, language), structure and coherence, concrete and non-repetitive substance, and style. "
    "Do not prefer an answer for its position or merely for being longer; padding and repetition "
    "count against it. Reply with one JSON object and nothing else: "
    '{"winner": "A" | "B" | "tie", "reason": "<one sentence>"}.'
)
ORDERS = ("both", "random")

PAIRWISE_DEFAULTS: dict[str, Any] = {
    "base_url": REQUIRED,
    "model": REQUIRED,
    "api_key_env": None,
    "concurrency": 8,
    "timeout": 300.0,
    "max_retries": 3,
    "backoff_base": 0.5,
    "cache_path": None,
    "parse_retries": 1,
    "max_answer_chars": 80000,  # per answer: a 10,000-word answer whole (module doc)
    "max_tokens": 256,
    "order": "both",
    "seed": 0,
    "judge_prompt": None,
    # Seconds for all the judge calls of one batch (one training step in the trainer mode), parse
    # re-asks included; calls still open then are cancelled and their samples missing. None: no limit.
    "deadline_s": 600.0,
    # Stop a training run whose judgements are missing for more than this share of a step's
    # samples for this many consecutive steps (rl.trainer.JudgeWatch); None: the trainer's
    # longwriter.judge_max_missing_* settings, else rl.trainer's defaults (0.5, 3).
    "judge_max_missing_share": None,
    "judge_max_missing_steps": None,
}
_REFERENCE_DEFAULTS: dict[str, Any] = {
    **PAIRWISE_DEFAULTS,
    "curriculum": True,
    "curriculum_threshold": 0.5,
    "curriculum_min_samples": 1,
    "curriculum_name": "longwriter_curriculum",
}


def _system_prompt(options: dict) -> str:
    path = options.get("judge_prompt")
    if not path:
        return JUDGE_SYSTEM
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"pairwise judge_prompt file not found: {p}")
    return p.read_text(encoding="utf-8")


def judge_prompt_id(options: dict) -> str:
    """``v<JUDGE_VERSION>:<sha256[:12]>`` of our prompt, or ``file:<sha256[:12]>`` of ``judge_prompt``."""
    text = _system_prompt(options)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return f"file:{digest}" if options.get("judge_prompt") else f"v{JUDGE_VERSION}:{digest}"


def _check(options: dict) -> None:
    if options["order"] not in ORDERS:
        raise ValueError(f"pairwise order {options['order']!r}; valid: {', '.join(ORDERS)}")
    _system_prompt(options)  # a missing judge_prompt file fails at config time
    if "curriculum_threshold" in options and not 0 <= float(options["curriculum_threshold"]) <= 1:
        raise ValueError(f"curriculum_threshold must be in [0, 1], got {options['curriculum_threshold']!r}")
    if options.get("deadline_s") is not None and not float(options["deadline_s"]) > 0:
        raise ValueError(f"deadline_s must be > 0 seconds or None, got {options['deadline_s']!r}")
    share = options.get("judge_max_missing_share")
    if share is not None and not 0 <= float(share) < 1:
        raise ValueError(f"judge_max_missing_share must be in [0, 1), got {share!r}")
    steps = options.get("judge_max_missing_steps")
    if steps is not None and int(steps) < 1:
        raise ValueError(f"judge_max_missing_steps must be >= 1, got {steps!r}")


def check_endpoint(options: dict, reward: str = "pairwise") -> None:
    """Refuse a judge ``base_url`` / ``model`` that is unset or still a preset's ``REQUIRED: ...``
    placeholder (a config error: every judgement would fail, so it is raised, not scored missing).
    ``rl.presets.check_reward_config`` refuses the same before a run starts."""
    for key in ("base_url", "model"):
        value = options.get(key)
        if not value or (isinstance(value, str) and value.startswith("REQUIRED")):
            raise ValueError(
                f"reward {reward!r}: the judge's {key} is not set ({value!r}); "
                f"set reward_options.{reward}.{key}=..."
            )


def _shown(answer: str, options: dict):
    """What the judge is shown of ``answer`` (:func:`rewards.quality.judge.shorten`)."""
    from rewards.quality.judge import DEFAULT_MAX_ANSWER_CHARS, shorten

    return shorten(answer.strip(), int(options.get("max_answer_chars", DEFAULT_MAX_ANSWER_CHARS)))


def pair_messages(prompt: str, answer_a: str, answer_b: str, options: dict) -> list[dict]:
    """The chat messages asking the judge to compare ``answer_a`` (A) with ``answer_b`` (B)."""
    user = (
        f"## Request\n{prompt.strip()}\n\n## Answer A\n{_shown(answer_a, options).text}\n\n"
        f"## Answer B\n{_shown(answer_b, options).text}\n\n"
        'Which answer is better? Reply with {"winner": "A" | "B" | "tie", "reason": "..."} only.'
    )
    return [{"role": "system", "content": _system_prompt(options)}, {"role": "user", "content": user}]


def pair_cuts(job: PairJob, options: dict) -> dict[str, int]:
    """Characters of the two answers of ``job`` the judge is not shown (head and tail kept).

    ``policy_cut_chars`` / ``opponent_cut_chars`` per answer, ``cut_chars`` their sum (0 when the
    judge reads both whole), ``answer_chars`` the policy answer's length; all in characters.
    """
    mine, theirs = _shown(job.policy, options), _shown(job.opponent, options)
    return {
        "answer_chars": mine.kept_chars + mine.cut_chars,
        "policy_cut_chars": mine.cut_chars,
        "opponent_cut_chars": theirs.cut_chars,
        "cut_chars": mine.cut_chars + theirs.cut_chars,
    }


def cut_note(name: str, cuts: dict[str, int]) -> list[str]:
    """The reason recorded when the judge did not read both answers whole (empty when it did)."""
    if not cuts.get("cut_chars"):
        return []
    return [
        f"{name}: the judge read the answers' head and tail only ({cuts['policy_cut_chars']} characters "
        f"of the policy's answer and {cuts['opponent_cut_chars']} of its opponent's not read)"
    ]


_WINNERS = {"a": "A", "b": "B", "tie": "tie", "draw": "tie", "equal": "tie"}


def parse_verdict(text: str | None) -> tuple[str | None, str]:
    """(``"A"`` / ``"B"`` / ``"tie"``, reason) from a judge reply, or (None, why it is unusable)."""
    if not text or not isinstance(text, str):
        return None, "empty judge reply"
    from rewards.quality.judge import first_json_with

    obj = first_json_with(text, "winner")
    if obj is not None:
        w = _WINNERS.get(str(obj["winner"]).strip().strip("[]\"' ").lower())
        if w is None:
            return None, f"judge winner is not A, B or tie: {obj['winner']!r}"
        reason = obj.get("reason")
        return w, reason if isinstance(reason, str) else ""
    marks = {_WINNERS[m.lower()] for m in re.findall(r"\[\[\s*(A|B|tie)\s*\]\]", text, re.IGNORECASE)}
    if len(marks) == 1:
        return marks.pop(), ""
    m = re.search(r"\bwinner\b\W{0,5}(?:is\W{0,3})?(answer\s+)?\b(A|B|tie)\b", text, re.IGNORECASE)
    if m:
        return _WINNERS[m.group(2).lower()], ""
    return None, "judge reply names no winner"


def seeded_unit(seed: int, *parts: str) -> float:
    """A deterministic number in [0, 1) from ``seed`` and ``parts`` (seeded choices, pure)."""
    h = hashlib.sha256("\x1f".join([str(seed), *parts]).encode("utf-8")).digest()
    return int.from_bytes(h[:8], "big") / 2**64


@dataclass
class PairJob:
    """One comparison: the request, the policy's answer and its opponent (reference or peer)."""

    prompt: str
    policy: str
    opponent: str


def run_with_deadline(client: Any, requests: Sequence[Any], deadline_s: float | None) -> list[Any]:
    """Send ``requests`` (:class:`rollout.endpoint.ChatRequest`) through ``client`` concurrently;
    one :class:`rollout.endpoint.ChatResult` per request, or None for a request still open after
    ``deadline_s`` seconds (it is cancelled: a hung judge holds neither a concurrency slot nor a
    connection after the deadline, and the caller goes on). ``deadline_s`` None: no limit.

    Runs in a fresh event loop (in a helper thread when one is already running here) and closes
    that loop's connections before returning.
    """

    async def main() -> list[Any]:
        tasks = [asyncio.ensure_future(client.chat(r.messages, **r.params)) for r in requests]
        try:
            if not tasks:
                return []
            done, pending = await asyncio.wait(tasks, timeout=deadline_s)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
            return [task.result() if task in done else None for task in tasks]
        finally:
            await client.aclose()

    from rollout.endpoint import run_sync

    return run_sync(main())


def judge_pairs(
    jobs: Sequence[PairJob], options: dict, reward: str = "pairwise"
) -> tuple[list[tuple[float | None, str, dict]], int]:
    """Judge every job; per job (outcome for the policy in {0, 0.5, 1} or None, reason, details
    with its ``judge_calls``), plus the number of judge calls made (cached replies included,
    re-asks counted; the client's transport retries are not).

    ``order="both"``: two calls (policy as A, then as B), outcome = their mean; ``"random"``:
    one call, position seeded from (seed, prompt, policy answer). ``reward`` names the reward in
    the error for an unset judge endpoint (:func:`check_endpoint`). ``options["deadline_s"]``
    bounds the wall time of all calls together (seconds, re-asks included): a call still open
    then is cancelled and its job missing, with the deadline and the endpoint as the reason.
    """
    from rewards.quality.judge import _client
    from rollout.endpoint import ChatRequest

    check_endpoint(options, reward)
    client = _client(options)
    # Each call: (job index, policy position "A"/"B").
    calls: list[tuple[int, str]] = []
    positions: dict[int, list[str]] = {}
    for k, job in enumerate(jobs):
        if options["order"] == "both":
            pos = ["A", "B"]
        else:
            pos = ["A" if seeded_unit(int(options["seed"]), job.prompt, job.policy) < 0.5 else "B"]
        positions[k] = pos
        calls.extend((k, p) for p in pos)
    verdicts: dict[tuple[int, str], float] = {}
    failures: dict[tuple[int, str], str] = {}
    n_calls = 0
    job_calls = [0] * len(jobs)
    todo = list(calls)
    deadline = options.get("deadline_s")
    start = time.monotonic()
    for attempt in range(1 + int(options["parse_retries"])):
        if not todo:
            break
        left = None if deadline is None else float(deadline) - (time.monotonic() - start)
        if left is not None and left <= 0:
            break  # the failures of the previous round stand
        params = {"temperature": 0.0, "max_tokens": int(options["max_tokens"]), "seed": attempt}
        requests = []
        for k, p in todo:
            job = jobs[k]
            a, b = (job.policy, job.opponent) if p == "A" else (job.opponent, job.policy)
            requests.append(ChatRequest(pair_messages(job.prompt, a, b, options), dict(params), id=f"{k}{p}"))
        n_calls += len(requests)
        for k, _ in todo:
            job_calls[k] += 1
        results = run_with_deadline(client, requests, left)
        retry = []
        for call, res in zip(todo, results, strict=True):
            if res is None:
                failures[call] = (
                    f"judge deadline of {float(deadline):g} s for the batch passed "
                    f"(endpoint {options['base_url']}, call cancelled)"
                )
                continue
            if not res.ok:
                failures[call] = f"judge failed ({res.error})"
                continue
            winner, why = parse_verdict(res.text)
            if winner is None:
                failures[call] = f"judge reply unusable ({why})"
                retry.append(call)
                continue
            failures.pop(call, None)
            verdicts[call] = 0.5 if winner == "tie" else (1.0 if winner == call[1] else 0.0)
        todo = retry
    out: list[tuple[float | None, str, dict]] = []
    for k in range(len(jobs)):
        pos = positions[k]
        details: dict[str, Any] = {
            "policy_position": "both" if len(pos) == 2 else pos[0],
            "judge_calls": job_calls[k],
            **pair_cuts(jobs[k], options),
        }
        failed = [f"{p}: {failures[(k, p)]}" for p in pos if (k, p) not in verdicts]
        if failed:
            out.append((None, "; ".join(failed), details))
            continue
        values = [verdicts[(k, p)] for p in pos]
        if len(values) == 2:
            details["outcome_policy_first"], details["outcome_policy_second"] = values
        out.append((sum(values) / len(values), "", details))
    return out, n_calls


def _reference_for(meta: dict) -> list[str] | None:
    refs = meta.get("references")
    if not isinstance(refs, (list, tuple)) or not refs:
        return None
    refs = [r for r in refs if isinstance(r, str) and r.strip()]
    return refs or None


@register_reward("pairwise", batched=True, defaults=_REFERENCE_DEFAULTS, check=_check, group=True)
def _pairwise_component(batch: Batch, options: dict) -> list[ComponentScore]:
    """The judge's preference of the answer over the prompt's current reference: win 1, tie 0.5, loss 0.

    A group-level reward (its curriculum decides per whole group): give it whole groups.
    """
    from rewards.pairwise.curriculum import get_curriculum

    prompt_id = judge_prompt_id(options)
    out: list[ComponentScore | None] = [None] * len(batch)
    store = None
    if options["curriculum"]:
        store = get_curriculum(
            options["curriculum_name"],
            float(options["curriculum_threshold"]),
            int(options["curriculum_min_samples"]),
        )
    keys = [
        str(s.metadata.get("id") or hashlib.sha256(s.prompt.encode()).hexdigest()[:16]) for s in batch.samples
    ]
    levels = store.get_levels(sorted(set(keys))) if store is not None else {}
    jobs: list[PairJob] = []
    job_of: list[int] = []
    used_level: dict[int, int] = {}
    n_refs: dict[str, int] = {}
    # prompt -> [wins, total, level, missing] for the curriculum
    tallies: dict[str, list[float]] = {}
    for i, s in enumerate(batch.samples):
        refs = _reference_for(s.metadata)
        base = {"judge_prompt": prompt_id, "judge_calls": 0}
        if refs is None:
            out[i] = ComponentScore(
                None, ["pairwise: sample has no reference answers (metadata 'references')"], base
            )
            continue
        level = min(levels.get(keys[i], 0), len(refs) - 1) if store is not None else len(refs) - 1
        n_refs[keys[i]] = len(refs)
        tally = tallies.setdefault(keys[i], [0.0, 0.0, float(level), 0.0])
        if not batch.parsed[i].answer.strip():
            # A loss without asking the judge; the curriculum counts it as one - but only for a
            # group whose other answers were all judged (see below).
            out[i] = ComponentScore(0.0, ["pairwise: empty answer (a loss)"], {**base, "level": level})
            tally[1] += 1
            continue
        used_level[i] = level
        jobs.append(PairJob(s.prompt, batch.parsed[i].answer, refs[level]))
        job_of.append(i)
    results, _ = judge_pairs(jobs, options) if jobs else ([], 0)
    for i, (value, why, det) in zip(job_of, results, strict=True):
        details = {"judge_prompt": prompt_id, "level": used_level[i], **det}
        if value is None:
            log.warning("sample %d: pairwise %s", i, why)
            out[i] = ComponentScore(
                None, [f"pairwise: {why} (missing, not a loss)", *cut_note("pairwise", det)], details
            )
            tallies[keys[i]][3] += 1
            continue
        reasons = ["pairwise: the reference was preferred"] if value < 0.5 else []
        out[i] = ComponentScore(value, reasons + cut_note("pairwise", det), details)
        t = tallies[keys[i]]
        t[0] += value
        t[1] += 1
    if store is not None:
        for key, (wins, total, level, missing) in tallies.items():
            if missing:
                # Decided on all of a group or not at all: a group whose real answers were not
                # all judged would otherwise be decided on its empty answers (losses) alone.
                log.warning(
                    "pairwise curriculum: prompt %r not reported this batch: %d of its answers have no "
                    "judgement (%d judged or empty)",
                    key,
                    int(missing),
                    int(total),
                )
                store.skip(key, int(missing))
                continue
            store.report(key, wins, int(total), int(level), n_refs[key])
    return [c if c is not None else ComponentScore(None, ["pairwise: no judgement"]) for c in out]
