"""Arena-Write-style pairwise evaluation: one model against baseline answers, rated by Elo.

Data (jsonl, one writing request per line)::

    {"id": "w1", "request": "Write ...", "type": "story", "length": 800,
     "baseline_response": "text"}                       # one baseline, named "baseline"
     "baseline_response": ["text", "text"]              # several: "baseline-1", "baseline-2"
     "baseline_response": {"gpt-4o": "text", ...}       # several, by model name

(``baseline_responses`` is accepted as the same field; ``prompt`` for ``request``.) Anything else
is a ``ValueError`` naming the file and line.

Every (answer, baseline) pair is judged twice, once in each order, by an OpenAI-compatible judge
with the pairwise prompt (:mod:`eval.pairwise`); a pair whose two orders disagree is recorded as
such. Every judged order is one comparison in a Bradley-Terry Elo fit (:mod:`eval.elo`) anchored
to a baseline's stated rating, with item-bootstrap intervals and the raw win/tie/loss matrix.
A failed judgement is counted and listed, never scored as a tie.

A run directory holds ``run.json``, ``predictions.jsonl`` (the plan is stripped; only the answer
is judged), ``judgments.jsonl`` (one line per judged order), ``judge_cache.jsonl`` and
``scores.json``, and ``pairs.json`` (the baselines of each item); re-running resumes and re-pays nothing that finished
(the run folder, resume, judgement store and failure listing are :mod:`eval.judged_run`'s).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from eval.data import EvalItem, load_rows
from eval.elo import Comparison, bootstrap, fit_bradley_terry, win_matrix
from eval.generate import GenerationSettings
from eval.judge import JudgePrompt
from eval.judged_run import (
    BenchmarkPlan,
    Failures,
    JudgeCall,
    JudgeSetup,
    Judging,
    default_name,
    generation_error,
    judge_missing,
    judgement_record,
    read_run,
    read_run_meta,
    run_judged,
    save_scores,
)
from eval.pairwise import pairwise_prompt, parse_verdict, verdict_correction, verdict_score
from rollout.text import language_of

__all__ = [
    "ARENA_VERSION",
    "CANDIDATE",
    "ArenaItem",
    "load_arena",
    "arena_comparisons",
    "elo_summary",
    "score_arena",
    "run_arena_write",
]

# Bump when what an Arena-Write score means changes.
ARENA_VERSION = "arena-1"
# How the evaluated model is named in judgement ids (its display name may change between runs).
CANDIDATE = "@model"
# Which baselines each item is compared with (written at the start; scoring needs no data file).
PAIRS_FILE = "pairs.json"


@dataclass(frozen=True)
class ArenaItem:
    """One request with its baseline answers (model name -> text); ``length`` in words / chars."""

    id: str
    request: str
    type: str
    length: int | None
    language: str
    baselines: dict[str, str] = field(default_factory=dict)

    def eval_item(self) -> EvalItem:
        """The request as the generator's :class:`eval.data.EvalItem`."""
        return EvalItem(self.id, self.request, self.length, self.type, self.language)


def _baselines(raw: Any, where: str) -> dict[str, str]:
    if isinstance(raw, str):
        raw = {"baseline": raw}
    elif isinstance(raw, list):
        raw = (
            {f"baseline-{k}": v for k, v in enumerate(raw, 1)}
            if len(raw) > 1
            else {"baseline": raw[0]}
            if raw
            else {}
        )
    if not isinstance(raw, dict) or not raw:
        raise ValueError(
            f"{where}: 'baseline_response' must be a non-empty string, a list of strings or a "
            f"model-name -> text mapping, got {type(raw).__name__}"
        )
    for name, text in raw.items():
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where}: baseline {name!r} must be a non-empty string")
        if not str(name).strip() or str(name).startswith("@"):
            raise ValueError(f"{where}: baseline name {name!r} is empty or starts with '@'")
    return {str(k): v for k, v in raw.items()}


def _arena_item(row: dict, where: str) -> ArenaItem:
    request = row.get("request", row.get("prompt"))
    if not isinstance(request, str) or not request.strip():
        raise ValueError(f"{where}: 'request' must be a non-empty string")
    length = row.get("length")
    if length is not None and (isinstance(length, bool) or not isinstance(length, int) or length < 1):
        raise ValueError(f"{where}: 'length' must be a positive integer when given, got {length!r}")
    key = "baseline_response" if "baseline_response" in row else "baseline_responses"
    if key not in row:
        raise ValueError(f"{where}: no 'baseline_response' (a string, a list or a name -> text mapping)")
    return ArenaItem(
        id=str(row.get("id") or hashlib.sha1(request.encode("utf-8")).hexdigest()[:12]),
        request=request,
        type=str(row.get("type") or "unknown"),
        length=length,
        language=str(row.get("language") or language_of(request)),
        baselines=_baselines(row[key], where),
    )


def load_arena(path: str | Path, limit: int | None = None) -> list[ArenaItem]:
    """Read an Arena-Write jsonl file (see the module doc); first ``limit`` rows.

    A bad row raises ``ValueError`` as ``FILE:LINE: reason``; ids must be unique.
    """
    return load_rows(path, limit, _arena_item)


def _jid(item: str, a: str, b: str) -> str:
    return f"{item}::{a}::{b}"


# The five-level verdict (eval.pairwise), stored with the item and the two sides' names.
JUDGING = Judging(
    parse_verdict,
    verdict_correction,
    lambda o, judge_model, prompt, fields: judgement_record(
        o, judge_model, prompt, **fields, verdict=o.value
    ),
    "arena judge",
)


def pair_calls(
    items: Sequence[ArenaItem], predictions: Mapping[str, dict], prompt: JudgePrompt
) -> Iterator[JudgeCall]:
    """Two judge calls per (answer, baseline) pair, one in each order, for every item whose
    answer was generated."""
    for it in items:
        p = predictions.get(it.id)
        if generation_error(p) is not None:
            continue
        for name, text in it.baselines.items():
            for a, b, ta, tb in ((CANDIDATE, name, p["answer"], text), (name, CANDIDATE, text, p["answer"])):
                yield JudgeCall(
                    _jid(it.id, a, b),
                    prompt.fill(request=it.request, answer_a=ta, answer_b=tb),
                    {"item": it.id, "a": a, "b": b},
                )


def judge_pairs(
    items: Sequence[ArenaItem],
    predictions: Mapping[str, dict],
    client: Any,
    prompt: JudgePrompt,
    path: Path,
    *,
    max_attempts: int = 3,
    params: dict | None = None,
    progress: bool = True,
) -> dict[str, dict]:
    """Judge every (answer, baseline) pair of ``items`` in both orders, skipping what ``path``
    already holds for this judge and prompt; returns judgement id -> record (what a run does,
    for callers with their own predictions, e.g. benchmarks/judge.py)."""
    calls = pair_calls(items, predictions, prompt)
    return judge_missing(
        path, client, prompt, calls, JUDGING, max_attempts=max_attempts, params=params, progress=progress
    )


def arena_comparisons(out_dir: str | Path, strong_weight: float = 1.0) -> dict[str, Any]:
    """Per-pair records, comparisons and failures of an Arena-Write run directory.

    The evaluated model is named by ``run.json``'s ``name``. Each successfully judged order is one
    :class:`eval.elo.Comparison` (a strong verdict weighs ``strong_weight``); each pair records
    both verdicts from the model's side and whether the orders ``agree``, ``disagree`` or are
    ``incomplete`` (an order failed). Failed generations and judgements are listed with reasons.
    """
    run = read_run(out_dir, PAIRS_FILE)
    meta, plan, judged = run.meta, run.plan, run.judged
    name = str(meta.get("name"))
    comps: list[Comparison] = []
    pairs: list[dict] = []
    failed = Failures()
    for item_id, bases in plan.items():
        p = run.predictions.get(item_id)
        why = generation_error(p)
        if why is not None:
            failed.generation.append({"id": item_id, "error": why})
            continue
        for base in bases:
            sides = []
            for a, b in ((CANDIDATE, base), (base, CANDIDATE)):
                rec = judged.get(_jid(item_id, a, b))
                if rec is None or rec.get("verdict") is None:
                    why = (rec or {}).get("error") or "not judged"
                    failed.judge.append({"id": _jid(item_id, a, b), "error": why})
                    sides.append(None)
                    continue
                score, strong = verdict_score(rec["verdict"])
                mine = score if a == CANDIDATE else 1.0 - score
                w = strong_weight if strong else 1.0
                comps.append(Comparison(item_id, name, base, mine, w))
                sides.append((rec["verdict"], mine))
            done = [s for s in sides if s is not None]
            agreement = "incomplete" if len(done) < 2 else "agree" if done[0][1] == done[1][1] else "disagree"
            pairs.append(
                {
                    "item": item_id,
                    "type": p.get("type"),
                    "baseline": base,
                    "model_first": sides[0][0] if sides[0] else None,
                    "model_second": sides[1][0] if sides[1] else None,
                    "model_scores": [s[1] if s else None for s in sides],
                    "orders": agreement,
                }
            )
    return {
        "run": meta,
        "model": name,
        "baselines": sorted({b for bases in plan.values() for b in bases}),
        "comparisons": comps,
        "pairs": pairs,
        "failures": failed.to_dict(),
    }


def elo_summary(
    comparisons: Sequence[Comparison],
    anchor: str,
    *,
    anchor_rating: float = 1000.0,
    prior: float = 0.0,
    rounds: int = 200,
    seed: int = 0,
) -> dict[str, Any]:
    """Fit, bootstrap intervals and the win/tie/loss matrix of ``comparisons`` as one dict.

    With no comparisons, or none involving ``anchor``, ``fit`` is None and ``note`` says why (the
    run's judgements stay on disk and are listed as failures).
    """
    if not comparisons:
        return {"fit": None, "intervals": {}, "win_matrix": {}, "note": "no successful comparisons"}
    if not any(anchor in (c.a, c.b) for c in comparisons):
        note = f"the anchor {anchor!r} has no successful comparison: no rating can be anchored"
        return {"fit": None, "intervals": {}, "win_matrix": win_matrix(comparisons), "note": note}
    fit = fit_bradley_terry(comparisons, anchor, anchor_rating=anchor_rating, prior=prior)
    return {
        "fit": fit.to_dict(),
        "intervals": bootstrap(
            comparisons, anchor, rounds=rounds, seed=seed, anchor_rating=anchor_rating, prior=prior
        ),
        "win_matrix": win_matrix(comparisons),
    }


def score_arena(out_dir: str | Path, write: bool = True) -> dict[str, Any]:
    """``scores.json`` of an Arena-Write run: Elo with intervals, win matrix, pairs, failures.

    Rating settings (anchor, anchor rating, prior, strong weight, bootstrap rounds and seed) come
    from ``run.json``'s ``elo`` entry.
    """
    out_dir = Path(out_dir)
    elo_cfg = read_run_meta(out_dir)["elo"]
    data = arena_comparisons(out_dir, strong_weight=elo_cfg["strong_weight"])
    anchor = elo_cfg["anchor"] or data["baselines"][0]
    summary = elo_summary(
        data["comparisons"],
        anchor,
        anchor_rating=elo_cfg["anchor_rating"],
        prior=elo_cfg["prior"],
        rounds=elo_cfg["bootstrap_rounds"],
        seed=elo_cfg["seed"],
    )
    pairs = data["pairs"]
    result = {
        "run": data["run"],
        "model": data["model"],
        "anchor": anchor,
        "elo": summary,
        "n_pairs": len(pairs),
        "n_comparisons": len(data["comparisons"]),
        "orders": {k: sum(p["orders"] == k for p in pairs) for k in ("agree", "disagree", "incomplete")},
        "failures": data["failures"],
        "pairs": pairs,
    }
    return save_scores(out_dir, result, write)


def run_arena_write(
    data: str | Path,
    out_dir: str | Path,
    backend: Any,
    settings: GenerationSettings,
    *,
    judge_client: Any,
    judge_prompt: JudgePrompt | None = None,
    judge_attempts: int = 3,
    judge_params: dict | None = None,
    anchor: str | None = None,
    anchor_rating: float = 1000.0,
    prior: float = 0.0,
    strong_weight: float = 1.0,
    bootstrap_rounds: int = 200,
    seed: int = 0,
    limit: int | None = None,
    name: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Evaluate one model on Arena-Write-style data into ``out_dir``; return ``scores.json``'s dict.

    ``anchor`` is the baseline held at ``anchor_rating`` (default: the first baseline name in
    sorted order); ``prior`` virtual ties with it regularise the fit (0: the plain MLE, which
    names unbounded models instead of rating them); ``strong_weight`` is the weight of a
    "much better/worse" verdict.
    """
    items = load_arena(data, limit=limit)
    names = sorted({b for it in items for b in it.baselines})
    if anchor is not None and anchor not in names:
        raise ValueError(f"anchor {anchor!r} is not a baseline of {data} (baselines: {', '.join(names)})")
    if strong_weight <= 0:
        raise ValueError(f"strong_weight must be > 0, got {strong_weight}")
    run_name = name or default_name(backend.describe(), settings)
    if run_name in names:
        raise ValueError(f"the run's name {run_name!r} is also a baseline's; pass another --name")
    elo = {
        "anchor": anchor or names[0],
        "anchor_rating": anchor_rating,
        "prior": prior,
        "strong_weight": strong_weight,
        "bootstrap_rounds": bootstrap_rounds,
        "seed": seed,
    }
    plan = BenchmarkPlan(
        "arena-write",
        ARENA_VERSION,
        [it.eval_item() for it in items],
        calls=partial(pair_calls, items),
        judging=JUDGING,
        score=score_arena,
        files={PAIRS_FILE: {it.id: sorted(it.baselines) for it in items}},
        meta={"baselines": names, "elo": elo},
    )
    judge = JudgeSetup(
        judge_client,
        judge_prompt or pairwise_prompt(),
        judge_attempts,
        {"max_tokens": 1024, **(judge_params or {})},
    )
    return run_judged(plan, data, out_dir, backend, settings, judge, name=run_name, progress=progress)
