"""WritingBench-style evaluation: every query carries its own criteria, each judged 1-10.

Data (jsonl, one query per line)::

    {"id": "q1", "query": "Write ...", "domain": "Academic", "subdomain": "Paper outline",
     "criteria": [{"name": "Structure", "description": "Has the sections a paper needs ...",
                   "guidance": "1-2: no structure ... 9-10: complete and ordered"}, ...]}

``prompt`` is accepted for ``query``; ``checklist`` for ``criteria``, ``criteria_description``
for ``description``, and per-band guidance keys (``"1-2"``, ``"3-4"``, ...) for ``guidance``;
``domain1`` / ``domain2`` for domain / subdomain. A bad row is a ``ValueError`` naming the file
and line.

One judge call per (answer, criterion) with the criteria prompt (versioned, hashed); the judge
replies with strict JSON ``{"score": 1-10, "justification": "..."}`` (read robustly, retried with
a correction turn when unreadable). The plan is stripped: only the answer is judged. Item score =
mean over its criteria (an item with a failed criterion is a listed failure, never partly
scored); run score = mean over items, also on WritingBench's x10 scale; by domain when given.
The run folder, resume, judgement store and failure listing are :mod:`eval.judged_run`'s.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from eval.data import EvalItem, load_rows
from eval.generate import GenerationSettings
from eval.judge import JudgeOutcome, JudgePrompt, json_objects
from eval.judged_run import (
    BenchmarkPlan,
    Failures,
    JudgeCall,
    JudgeSetup,
    Judging,
    generation_error,
    judgement_record,
    read_run,
    run_judged,
    save_scores,
)
from rollout.text import language_of

__all__ = [
    "WRITINGBENCH_VERSION",
    "CRITERIA_PROMPT",
    "CRITERIA_PROMPT_VERSION",
    "Criterion",
    "WBItem",
    "load_writingbench",
    "criteria_prompt",
    "parse_criterion_score",
    "score_writingbench",
    "run_writingbench",
]

WRITINGBENCH_VERSION = "wb-1"
CRITERIA_PROMPT_VERSION = "lw-criteria-v1"
CRITERIA_FIELDS = ("request", "answer", "criterion")
# Each item's domain and criterion names (written at the start; scoring needs no data file).
CRITERIA_FILE = "criteria.json"

CRITERIA_PROMPT = """\
You are grading one aspect of a piece of writing that an AI assistant produced for a user's request.

[User request]
{{request}}

[Answer]
{{answer}}

[Criterion]
{{criterion}}

Judge the answer on this criterion only, strictly, following the scoring guidance. Use the full
scale: 1-2 fails the criterion, 5-6 meets it in part, 9-10 only for an answer that fully meets it
with nothing to improve. Length by itself earns nothing.

Reply with one JSON object and nothing else:
{"score": <integer 1-10>, "justification": "<one or two sentences>"}
"""

_CORRECTION = (
    "Your reply could not be read ({reason}). Reply again with only the JSON object "
    '{{"score": <integer 1-10>, "justification": "<one or two sentences>"}}.'
)
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_BANDS = ("1-2", "3-4", "5-6", "7-8", "9-10")


@dataclass(frozen=True)
class Criterion:
    """One criterion of a query: its name, what it asks, and how to score it (may be empty)."""

    name: str
    description: str
    guidance: str = ""

    def render(self) -> str:
        """The criterion as the prompt shows it."""
        text = f"Name: {self.name}\nDescription: {self.description}"
        return text + (f"\nScoring guidance: {self.guidance}" if self.guidance else "")


@dataclass(frozen=True)
class WBItem:
    """One query with its criteria, its domain (``"unknown"`` when absent) and subdomain."""

    id: str
    query: str
    domain: str
    subdomain: str | None
    language: str
    criteria: tuple[Criterion, ...]

    def eval_item(self) -> EvalItem:
        """The query as the generator's :class:`eval.data.EvalItem` (no required length)."""
        return EvalItem(self.id, self.query, None, self.domain, self.language)


def _criterion(raw: Any, where: str, k: int) -> Criterion:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: criterion {k} must be an object with name and description")
    name = raw.get("name")
    desc = raw.get("description", raw.get("criteria_description"))
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}: criterion {k} needs a non-empty 'name'")
    if not isinstance(desc, str) or not desc.strip():
        raise ValueError(f"{where}: criterion {name!r} needs a non-empty 'description'")
    guidance = raw.get("guidance", raw.get("scoring"))
    if guidance is None and any(b in raw for b in _BANDS):
        guidance = "; ".join(f"{b}: {raw[b]}" for b in _BANDS if b in raw)
    if guidance is not None and not isinstance(guidance, str):
        raise ValueError(f"{where}: criterion {name!r}: 'guidance' must be a string")
    return Criterion(name.strip(), desc.strip(), (guidance or "").strip())


def _wb_item(row: dict, where: str) -> WBItem:
    query = row.get("query", row.get("prompt"))
    if not isinstance(query, str) or not query.strip():
        raise ValueError(f"{where}: 'query' must be a non-empty string")
    raw = row.get("criteria", row.get("checklist"))
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{where}: 'criteria' must be a non-empty list")
    criteria = tuple(_criterion(c, where, k) for k, c in enumerate(raw, 1))
    names = [c.name for c in criteria]
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: criterion names repeat ({', '.join(names)})")
    ident = row.get("id", row.get("index"))
    domain = row.get("domain", row.get("domain1"))
    sub = row.get("subdomain", row.get("domain2"))
    return WBItem(
        id=str(ident) if ident not in (None, "") else hashlib.sha1(query.encode()).hexdigest()[:12],
        query=query,
        domain=str(domain) if domain else "unknown",
        subdomain=str(sub) if sub else None,
        language=str(row.get("language") or row.get("lang") or language_of(query)),
        criteria=criteria,
    )


def load_writingbench(path: str | Path, limit: int | None = None) -> list[WBItem]:
    """Read a WritingBench-style jsonl file (see the module doc); first ``limit`` rows.

    A bad row raises ``ValueError`` as ``FILE:LINE: reason``; ids and criterion names within a
    query must be unique.
    """
    return load_rows(path, limit, _wb_item)


def criteria_prompt(path: str | None = None) -> JudgePrompt:
    """Our criteria prompt, or one read from ``path`` (placeholders request, answer, criterion)."""
    if path:
        return JudgePrompt.from_file(path, CRITERIA_FIELDS)
    return JudgePrompt(CRITERIA_PROMPT, CRITERIA_PROMPT_VERSION, CRITERIA_FIELDS)


def parse_criterion_score(text: Any) -> tuple[dict | None, str | None]:
    """``({"score": int 1-10, "justification": str}, None)`` or ``(None, reason)``; never raises.

    The JSON object may be fenced or surrounded by prose (a ``<think>`` block is skipped); the
    score must be a whole number from 1 to 10 (a number or numeric string), the justification a
    non-empty string (``reason`` / ``explanation`` are accepted for it).
    """
    if not isinstance(text, str) or not text.strip():
        return None, "empty judge reply"
    objs = [o for o in json_objects(_THINK.sub("", text)) if "score" in {str(k).lower() for k in o}]
    if not objs:
        return None, "no JSON object with a 'score' in the reply"
    obj = {str(k).lower(): v for k, v in objs[0].items()}
    raw = obj["score"]
    if isinstance(raw, str) and re.fullmatch(r"\s*\d+(\.0+)?\s*(/\s*10)?\s*", raw):
        raw = float(raw.split("/")[0])
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or float(raw) != int(raw):
        return None, f"score must be a whole number, got {obj['score']!r}"
    if not 1 <= int(raw) <= 10:
        return None, f"score {int(raw)} outside 1-10"
    why = obj.get("justification", obj.get("reason", obj.get("explanation")))
    if not isinstance(why, str) or not why.strip():
        return None, "missing justification"
    return {"score": int(raw), "justification": why.strip()}, None


def _correction(reason: str) -> str:
    return _CORRECTION.format(reason=reason)


def _jid(item: str, k: int, name: str) -> str:
    return f"{item}::{k}::{name}"


def _record(o: JudgeOutcome, judge_model: str, prompt: JudgePrompt, fields: dict[str, Any]) -> dict:
    value = o.value or {}
    return judgement_record(
        o, judge_model, prompt, **fields, score=value.get("score"), justification=value.get("justification")
    )


# The 1-10 score with its justification, stored with the item and the criterion's name.
JUDGING = Judging(parse_criterion_score, _correction, _record, "criteria judge")


def criterion_calls(
    items: Sequence[WBItem], predictions: Mapping[str, dict], prompt: JudgePrompt
) -> Iterator[JudgeCall]:
    """One judge call per (answer, criterion) for every item whose answer was generated."""
    for it in items:
        p = predictions.get(it.id)
        if generation_error(p) is not None:
            continue
        for k, c in enumerate(it.criteria, 1):
            yield JudgeCall(
                _jid(it.id, k, c.name),
                prompt.fill(request=it.query, answer=p["answer"], criterion=c.render()),
                {"item": it.id, "criterion": c.name},
            )


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _group(rows: Sequence[dict]) -> dict[str, Any]:
    scored = [r["score"] for r in rows if r["score"] is not None]
    m = _mean(scored)
    return {"n": len(rows), "n_scored": len(scored), "score": m, "score_x10": None if m is None else 10 * m}


def score_writingbench(out_dir: str | Path, write: bool = True) -> dict[str, Any]:
    """``scores.json`` of a WritingBench run: overall and per-domain means (1-10 and x10), each
    item's criterion scores and justifications, and every failure with its reason."""
    out_dir = Path(out_dir)
    run = read_run(out_dir, CRITERIA_FILE)
    judged = run.judged
    rows: list[dict] = []
    failed = Failures()
    for item_id, info in run.plan.items():
        p = run.predictions.get(item_id)
        row = {"id": item_id, "domain": info["domain"], "subdomain": info.get("subdomain"), "score": None}
        why = generation_error(p)
        if why is not None:
            failed.generation.append({"id": item_id, "error": why})
            rows.append({**row, "generation_error": why})
            continue
        crit, errors = {}, []
        for k, name in enumerate(info["criteria"], 1):
            rec = judged.get(_jid(item_id, k, name))
            if rec is None or rec.get("score") is None:
                errors.append(f"{name}: {(rec or {}).get('error') or 'not judged'}")
                continue
            crit[name] = {"score": rec["score"], "justification": rec["justification"]}
        row.update(answer_len=p.get("answer_len"), criteria=crit)
        if errors:
            failed.judge.append({"id": item_id, "error": "; ".join(errors)})
            row["judge_error"] = "; ".join(errors)
        else:
            row["score"] = _mean([c["score"] for c in crit.values()])
        rows.append(row)
    domains: dict[str, list[dict]] = {}
    for r in rows:
        domains.setdefault(r["domain"], []).append(r)
    result = {
        "run": run.meta,
        "overall": _group(rows),
        "by_domain": {d: _group(domains[d]) for d in sorted(domains)},
        "failures": failed.to_dict(),
        "items": rows,
    }
    return save_scores(out_dir, result, write)


def run_writingbench(
    data: str | Path,
    out_dir: str | Path,
    backend: Any,
    settings: GenerationSettings,
    *,
    judge_client: Any,
    judge_prompt: JudgePrompt | None = None,
    judge_attempts: int = 3,
    judge_params: dict | None = None,
    limit: int | None = None,
    name: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Evaluate one model on WritingBench-style data into ``out_dir`` (resumable; see module doc)."""
    items = load_writingbench(data, limit=limit)
    plan = BenchmarkPlan(
        "writingbench",
        WRITINGBENCH_VERSION,
        [it.eval_item() for it in items],
        calls=partial(criterion_calls, items),
        judging=JUDGING,
        score=score_writingbench,
        # Each item's domain and criterion names (scoring needs no data file).
        files={
            CRITERIA_FILE: {
                it.id: {
                    "domain": it.domain,
                    "subdomain": it.subdomain,
                    "criteria": [c.name for c in it.criteria],
                }
                for it in items
            }
        },
    )
    judge = JudgeSetup(judge_client, judge_prompt or criteria_prompt(), judge_attempts, judge_params)
    return run_judged(plan, data, out_dir, backend, settings, judge, name=name, progress=progress)
