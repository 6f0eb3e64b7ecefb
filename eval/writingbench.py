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

``--protocol writingbench`` (:data:`PROTOCOLS`) judges as X-PLUG/WritingBench's
``evaluate_benchmark.py`` does instead: its system and user prompt, read from the user's copy of
its ``prompt.py`` (:func:`official_prompt`; never shipped here) and filled by ``str.format`` with
the criterion as the released checklist dict; the whole response with only the text up to the
first ``"</think>\n\n"`` cut (:func:`official_response`); the reply read as its validator reads it
(:func:`parse_official_score`); a failed reply resent unchanged, 15 tries in all (its 3 x 5),
after which the item is a listed failure (the official script aborts the run); critic sampling
temperature 1.0, top-p 0.95, 2048 reply tokens. Every run's ``scores.json`` also carries
``official``: Overall as the mean of all criterion scores, domain1 and domain2 means of item
scores and, given the released requirement subsets, each requirement's R (mean item score of its
queries) and C (mean of its own criteria's scores), all as ``calculate_scores.py`` computes them.
"""

from __future__ import annotations

import ast
import hashlib
import json
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from eval.data import EvalItem, load_rows
from eval.generate import GenerationSettings
from eval.judge import JudgeOutcome, JudgePrompt
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
from rewards.checklist.criteria import (
    CRITERIA_FIELDS,
    CRITERIA_PROMPT,
    CRITERIA_PROMPT_VERSION,
    Criterion,
    criteria_from_list,
    criterion_correction,
    parse_criterion_score,
)
from rollout.jsonl import read_jsonl
from rollout.text import language_of

__all__ = [
    "PROTOCOLS",
    "REQUIREMENTS",
    "OfficialPrompt",
    "official_prompt",
    "official_response",
    "parse_official_score",
    "load_requirements",
    "official_scores",
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
# Each item's domain and criterion names (written at the start; scoring needs no data file).
CRITERIA_FILE = "criteria.json"
# The released requirement subsets, when given (written at the start, like criteria.json).
REQUIREMENTS_FILE = "requirements.json"
# WritingBench's requirement dimensions, as its calculate_scores.py names them.
REQUIREMENTS = ("style", "format", "length")

# What each --protocol fixes (resolved by eval.longbench_write.protocol_values). "ours": this
# project's defaults. "writingbench": X-PLUG/WritingBench's scripts: generate_response.py sends the
# bare query (README: temperature 0.7, top-p 0.8, up to 16000 new tokens; top-k 20 is not set
# here, our backends do not expose it) and the whole response is judged; evaluator/critic.py
# samples the critic at temperature 1.0, top-p 0.95, 2048 reply tokens; evaluate_benchmark.py
# tries a score 3 times, each of up to 5 tries (15 in all).
PROTOCOLS: dict[str, dict[str, Any]] = {
    "ours": {
        "template": "plan_write",
        "max_tokens": 32768,
        "temperature": 0.5,
        "measure": "answer",
        "judge_temperature": 0.0,
        "judge_top_p": None,
        "judge_max_tokens": 512,
        "judge_attempts": 3,
    },
    "writingbench": {
        "template": "none",
        "max_tokens": 16000,
        "temperature": 0.7,
        "measure": "response",
        "judge_temperature": 1.0,
        "judge_top_p": 0.95,
        "judge_max_tokens": 2048,
        "judge_attempts": 15,
    },
}
OFFICIAL_PROMPT_FIELDS = ("criteria", "query", "response")
_THINK_END = "</think>\n\n"  # the marker evaluate_benchmark.py's process_gen_field cuts at


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


def _wb_item(row: dict, where: str) -> WBItem:
    query = row.get("query", row.get("prompt"))
    if not isinstance(query, str) or not query.strip():
        raise ValueError(f"{where}: 'query' must be a non-empty string")
    criteria = criteria_from_list(row.get("criteria", row.get("checklist")), where)
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


@dataclass(frozen=True)
class OfficialPrompt(JudgePrompt):
    """WritingBench's judge prompt as its scripts render it: ``text`` a ``str.format`` template
    with the fields ``criteria``, ``query`` and ``response`` (the criterion goes in as the
    released checklist dict, so the judge sees its Python form), ``system`` the system message."""

    def fill(self, **values: Any) -> str:
        """The user message: ``text.format(**values)`` (values are never re-read as fields)."""
        return self.text.format(**values)


def _string_constant(node: ast.expr | None) -> str | None:
    """The string of ``"..."`` or ``"...".strip()`` (how prompt.py writes its prompts), else None."""
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "strip":
            inner = _string_constant(func.value)
            return None if inner is None else inner.strip()
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def official_prompt(path: str | Path) -> OfficialPrompt:
    """WritingBench's prompt from the user's copy of its ``prompt.py`` (read, never executed).

    ``evaluate_system`` becomes the system message and ``evaluate_prompt`` the user template; each
    must be a plain string (or ``"...".strip()``), and the template must use exactly the fields
    criteria, query and response. Anything else is a ``ValueError`` naming the file. The version
    is ``writingbench:<file name>``; the hash covers both texts.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"WritingBench prompt file not found: {p}")
    found: dict[str, str | None] = {}
    for node in ast.parse(p.read_text(encoding="utf-8"), filename=str(p)).body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        if isinstance(target, ast.Name) and target.id in ("evaluate_system", "evaluate_prompt"):
            found[target.id] = _string_constant(node.value)
    for name in ("evaluate_system", "evaluate_prompt"):
        if not found.get(name):
            raise ValueError(
                f"{p}: no string assignment '{name} = \"...\"' (WritingBench's prompt.py has one)"
            )
    text = str(found["evaluate_prompt"])
    fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    if fields != set(OFFICIAL_PROMPT_FIELDS):
        raise ValueError(
            f"{p}: evaluate_prompt must use the fields {{criteria}}, {{query}}, {{response}}; "
            f"it uses {sorted(fields)}"
        )
    return OfficialPrompt(
        text, f"writingbench:{p.name}", OFFICIAL_PROMPT_FIELDS, str(found["evaluate_system"])
    )


def official_response(text: str) -> str:
    """The response as WritingBench's evaluator judges it: the text after the first
    ``"</think>\n\n"`` when there is one, else all of it (nothing else is stripped: no
    ``<answer>`` tags, no whitespace, no unclosed think block)."""
    cut = text.find(_THINK_END)
    return text if cut == -1 else text[cut + len(_THINK_END) :]


def parse_official_score(text: Any) -> tuple[dict | None, str | None]:
    """WritingBench's reply check: ``({"score", "justification"}, None)`` or ``(None, reason)``.

    As ``evaluate_benchmark.py``: the reply with the characters ``j s o n | `` ` `` stripped from
    both ends must be one JSON object with ``score`` equal to one of 1..10 (7.0 passes, "7"
    does not) and ``reason`` a string (an empty one passes). Refused beyond it: a boolean score
    (Python's ``True == 1`` lets the official check pass it). Never raises.
    """
    if not isinstance(text, str):
        return None, "empty judge reply"
    try:
        obj = json.loads(text.strip("json|`"))
    except json.JSONDecodeError as e:
        return None, f"not JSON after stripping 'json|`': {e.msg}"
    if not isinstance(obj, dict):
        return None, f"the reply is a JSON {type(obj).__name__}, not an object"
    if "score" not in obj or "reason" not in obj:
        return None, "missing 'score' or 'reason'"
    score = obj["score"]
    if isinstance(score, bool) or not isinstance(score, (int, float)) or score not in range(1, 11):
        return None, f"score must be one of 1..10, got {score!r}"
    if not isinstance(obj["reason"], str):
        return None, f"reason must be a string, got {type(obj['reason']).__name__}"
    return {"score": int(score), "justification": obj["reason"]}, None


def _correction(reason: str) -> str:
    return criterion_correction(reason)


def _jid(item: str, k: int, name: str) -> str:
    return f"{item}::{k}::{name}"


def _record(o: JudgeOutcome, judge_model: str, prompt: JudgePrompt, fields: dict[str, Any]) -> dict:
    value = o.value or {}
    return judgement_record(
        o, judge_model, prompt, **fields, score=value.get("score"), justification=value.get("justification")
    )


# The 1-10 score with its justification, stored with the item and the criterion's name.
JUDGING = Judging(parse_criterion_score, _correction, _record, "criteria judge")
# --protocol writingbench: the official check, and an unreadable reply resent unchanged.
OFFICIAL_JUDGING = Judging(parse_official_score, None, _record, "criteria judge (WritingBench)")


def criterion_calls(
    items: Sequence[WBItem], predictions: Mapping[str, dict], prompt: JudgePrompt
) -> Iterator[JudgeCall]:
    """One judge call per (answer, criterion) for every item whose answer was generated.

    With an :class:`OfficialPrompt` the call is WritingBench's: the query, the response as
    :func:`official_response` cuts it, and the criterion as released; else ours (the criterion
    rendered by :meth:`Criterion.render`).
    """
    official = isinstance(prompt, OfficialPrompt)
    for it in items:
        p = predictions.get(it.id)
        if generation_error(p) is not None:
            continue
        for k, c in enumerate(it.criteria, 1):
            if official:
                text = prompt.fill(query=it.query, response=official_response(p["answer"]), criteria=c.raw)
            else:
                text = prompt.fill(request=it.query, answer=p["answer"], criterion=c.render())
            yield JudgeCall(_jid(it.id, k, c.name), text, {"item": it.id, "criterion": c.name})


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _group(rows: Sequence[dict]) -> dict[str, Any]:
    scored = [r["score"] for r in rows if r["score"] is not None]
    m = _mean(scored)
    return {"n": len(rows), "n_scored": len(scored), "score": m, "score_x10": None if m is None else 10 * m}


def load_requirements(folder: str | Path, items: Sequence[WBItem]) -> dict[str, dict[str, Any]]:
    """WritingBench's requirement subsets, read as released: ``folder/R/R_subset.jsonl`` (the
    queries that involve requirement R) and ``folder/R/R_subset_C.jsonl`` (the same queries with
    only R's own criteria in ``checklist``), for R in style, format, length.

    Returns R -> ``{"items": [ids in this run], "criteria": {id: [names]}, "not_in_run": n}``:
    queries the run does not hold (e.g. under ``--limit``) are counted, not scored. A missing
    file, a row without ``index`` or a criterion the query does not have is an error naming
    ``FILE:LINE``.
    """
    base = Path(folder)
    by_id = {it.id: it for it in items}
    out: dict[str, dict[str, Any]] = {}
    for req in REQUIREMENTS:
        ids: list[str] = []
        names: dict[str, list[str]] = {}
        missing = 0
        for kind in ("", "_C"):
            path = base / req / f"{req}_subset{kind}.jsonl"
            if not path.is_file():
                raise FileNotFoundError(
                    f"requirement subset not found: {path} (WritingBench's requirement/ folder)"
                )
            for line_no, row in read_jsonl(path, allow_torn_tail=False).records:
                where = f"{path}:{line_no}"
                if not isinstance(row, dict) or row.get("index") in (None, ""):
                    raise ValueError(f"{where}: expected an object with an 'index'")
                ident = str(row["index"])
                if ident not in by_id:
                    missing += kind == ""
                    continue
                if kind == "":
                    ids.append(ident)
                    continue
                have = {c.name for c in by_id[ident].criteria}
                listed = [c.get("name") if isinstance(c, dict) else None for c in row.get("checklist") or []]
                bad = [n for n in listed if n not in have]
                if not listed or bad:
                    raise ValueError(f"{where}: criteria {bad or listed} are not criteria of query {ident!r}")
                names[ident] = listed
        out[req] = {"items": ids, "criteria": names, "not_in_run": missing}
    return out


def _mean_group(values: Sequence[float], n: int) -> dict[str, Any]:
    return {"n": n, "n_scored": len(values), "score": _mean(values)}


def official_scores(rows: Sequence[dict], requirements: Mapping[str, Any] | None) -> dict[str, Any]:
    """WritingBench's aggregates, as ``calculate_scores.py`` computes them, over the scored items.

    ``overall``: the mean of every criterion score (not of item means); ``domain1`` /
    ``domain2``: the mean item score per domain; ``requirements`` (None without the subsets):
    per requirement ``R`` (mean item score of its queries) and ``C`` (mean score of its own
    criteria). Each group counts its items (``n``) and scored items (``n_scored``): a failed
    item is left out and counted, never scored (the official script aborts instead); an empty
    group's score is None (the official script writes 0).
    """
    scored = [r for r in rows if r["score"] is not None]
    crit = [c["score"] for r in scored for c in r["criteria"].values()]
    out: dict[str, Any] = {
        "overall": {"n": len(rows), "n_scored": len(scored), "score": _mean(crit), "n_criteria": len(crit)}
    }
    for level, key in (("domain1", "domain"), ("domain2", "subdomain")):
        groups: dict[str, list[dict]] = {}
        for r in rows:
            if r.get(key) is not None:
                groups.setdefault(r[key], []).append(r)
        out[level] = {
            d: _mean_group([r["score"] for r in g if r["score"] is not None], len(g))
            for d, g in sorted(groups.items())
        }
    out["requirements"] = None
    if requirements is not None:
        by_id = {r["id"]: r for r in rows}
        out["requirements"] = {}
        for req, sub in requirements.items():
            members = [by_id[i] for i in sub["items"] if i in by_id]
            ok = [r for r in members if r["score"] is not None]
            c_scores = [r["criteria"][n]["score"] for r in ok for n in sub["criteria"].get(r["id"], [])]
            out["requirements"][req] = {
                "R": _mean_group([r["score"] for r in ok], len(members)),
                "C": {
                    **_mean_group(c_scores, len(members)),
                    "n_scored": len(ok),
                    "n_criteria": len(c_scores),
                },
                "not_in_run": sub["not_in_run"],
            }
    return out


def score_writingbench(out_dir: str | Path, write: bool = True) -> dict[str, Any]:
    """``scores.json`` of a WritingBench run: overall and per-domain means (1-10 and x10), each
    item's criterion scores and justifications, every failure with its reason, and WritingBench's
    own aggregates (:func:`official_scores`; with the requirement subsets when the run has them)."""
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
    req_path = out_dir / REQUIREMENTS_FILE
    requirements = json.loads(req_path.read_text(encoding="utf-8")) if req_path.is_file() else None
    result = {
        "run": run.meta,
        "protocol": run.meta.get("protocol") or "ours",
        "overall": _group(rows),
        "by_domain": {d: _group(domains[d]) for d in sorted(domains)},
        "official": official_scores(rows, requirements),
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
    protocol: str = "ours",
    requirements: str | Path | None = None,
) -> dict[str, Any]:
    """Evaluate one model on WritingBench-style data into ``out_dir`` (resumable; see module doc).

    ``protocol`` (recorded in run.json; see :data:`PROTOCOLS`) must match the prompt:
    ``"writingbench"`` needs an :class:`OfficialPrompt` and judges as the official scripts do.
    ``requirements`` is WritingBench's requirement folder (:func:`load_requirements`) for the
    style/format/length scores.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    official = protocol == "writingbench"
    if official != isinstance(judge_prompt, OfficialPrompt):
        raise ValueError(
            "--protocol writingbench judges with WritingBench's own prompt.py (pass it as the judge "
            "prompt) and only that protocol does"
        )
    items = load_writingbench(data, limit=limit)
    files: dict[str, Any] = {}
    if requirements is not None:
        files[REQUIREMENTS_FILE] = load_requirements(requirements, items)
    plan = BenchmarkPlan(
        "writingbench",
        WRITINGBENCH_VERSION,
        [it.eval_item() for it in items],
        calls=partial(criterion_calls, items),
        judging=OFFICIAL_JUDGING if official else JUDGING,
        score=score_writingbench,
        meta={"protocol": protocol},
        # Each item's domain and criterion names (scoring needs no data file).
        files={
            CRITERIA_FILE: {
                it.id: {
                    "domain": it.domain,
                    "subdomain": it.subdomain,
                    "criteria": [c.name for c in it.criteria],
                }
                for it in items
            },
            **files,
        },
    )
    judge = JudgeSetup(judge_client, judge_prompt or criteria_prompt(), judge_attempts, judge_params)
    return run_judged(plan, data, out_dir, backend, settings, judge, name=name, progress=progress)
