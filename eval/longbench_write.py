"""LongBench-Write for any model: predictions, judge, S_l / S_q / S̄, all in one run directory.

A run directory holds::

    run.json           what was evaluated and how (model, backend, template, sampling, data,
                       judge model and prompt version/hash, evaluator version)
    predictions.jsonl  one record per item: full response, plan, answer, answer length, finish
                       reason, generation settings (append-only; resumable)
    judgments.jsonl    one record per judged item: six scores, S_q, prompt hash, attempts, errors
    judge_cache.jsonl  the judge client's response cache (re-runs cost nothing)
    scores.json        the summary (overall, per bucket / language / type, judge dimensions,
                       failures) and every item's scores

Re-running on the same directory resumes: finished predictions and judgements are kept; failed
ones are tried again. A directory made with another model, template or sampling is refused.
Changing the judge (model or prompt) re-judges, keyed by the prompt hash. The run folder, resume,
judgement store and failure listing are the judged-benchmark core's (:mod:`eval.judged_run`);
this module holds LongBench-Write's protocols, its six-dimension judging and its scores.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from eval.data import load_items
from eval.generate import GenerationSettings
from eval.judge import JudgePrompt, parse_quality, quality_correction, quality_record
from eval.judged_run import (  # check_run_meta .. write_json: re-exported, their old home
    BenchmarkPlan,
    JudgeCall,
    JudgeSetup,
    Judging,
    check_run_meta,
    judge_missing,
    judgments_for,
    read_run,
    run_judged,
    run_meta,
    save_scores,
    start_run,
    write_json,
)
from eval.scoring import bucket_of, length_score, overall_score, summarize
from rollout.text import count_words  # the project's one word counter (shared with the reward)

__all__ = [
    "EVALUATOR_VERSION",
    "PROTOCOLS",
    "protocol_values",
    "run_longbench_write",
    "score_run",
    "check_run_meta",
    "run_meta",
    "start_run",
    "write_json",
    "judge_predictions",
    "judgments_for",
    "count_words",
]

# Bump when what a score means changes (scoring rules, answer extraction).
EVALUATOR_VERSION = "lbw-1"

# What each --protocol fixes. "ours": this project's defaults (plan-then-write, the <answer> is
# measured and judged, a deterministic judge). "longbench-write": what THUDM/LongWriter's
# evaluation/ scripts do (pred.py: the bare prompt, 32768 new tokens, temperature 0.5, the whole
# response counted; eval_quality.py: judge temperature 0.5, 1024 reply tokens, up to 5 tries).
PROTOCOLS: dict[str, dict[str, Any]] = {
    "ours": {
        "template": "plan_write",
        "max_tokens": 32768,
        "temperature": 0.5,
        "measure": "answer",
        "judge_temperature": 0.0,
        "judge_max_tokens": 512,
        "judge_attempts": 3,
    },
    "longbench-write": {
        "template": "none",
        "max_tokens": 32768,
        "temperature": 0.5,
        "measure": "response",
        "judge_temperature": 0.5,
        "judge_max_tokens": 1024,
        "judge_attempts": 5,
    },
}


def protocol_values(protocol: str, given: dict[str, Any]) -> dict[str, Any]:
    """The settings of ``protocol`` (see :data:`PROTOCOLS`) with the user's ``given`` values.

    A value left None takes the protocol's. Under ``ours`` a given value wins; under
    ``longbench-write`` a given value that differs from the official one is a ValueError (the run
    would no longer be comparable with published numbers while claiming to be).
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    fixed = PROTOCOLS[protocol]
    out = dict(fixed)
    for key, value in given.items():
        if value is None:
            continue
        if protocol != "ours" and key in fixed and value != fixed[key]:
            raise ValueError(
                f"--protocol {protocol} uses {key}={fixed[key]!r} (as the official scripts); "
                f"{key}={value!r} conflicts with it: drop the option or use --protocol ours"
            )
        out[key] = value
    return out


# The six-dimension verdict: read by eval.judge, stored as its JudgeRecord (scores, S_q).
JUDGING = Judging(
    parse_quality,
    quality_correction,
    lambda o, judge_model, prompt, _fields: quality_record(o, judge_model, prompt).to_dict(),
)


def quality_calls(predictions: Iterable[dict], prompt: JudgePrompt) -> Iterator[JudgeCall]:
    """One judge call per successful prediction: its request and answer in the quality prompt."""
    for p in predictions:
        if p.get("error") is None:
            yield JudgeCall(p["id"], prompt.render(p["prompt"], p["answer"]), {})


def judge_predictions(
    predictions: Sequence[dict],
    client: Any,
    prompt: JudgePrompt,
    path: Path,
    *,
    max_attempts: int = 3,
    params: dict | None = None,
    progress: bool = True,
) -> dict[str, dict]:
    """Judge every successful prediction not yet judged with this judge and prompt.

    Judgements are appended to ``path`` as they settle; earlier ones with the same judge model
    and prompt hash are reused. Returns id -> judgement record for this judge and prompt.
    """
    return judge_missing(
        path,
        client,
        prompt,
        quality_calls(predictions, prompt),
        JUDGING,
        max_attempts=max_attempts,
        params=params,
        progress=progress,
    )


def score_run(out_dir: str | Path, write: bool = True) -> dict[str, Any]:
    """Compute ``scores.json`` for a run directory from its predictions and judgements.

    Uses the judge and prompt hash named in ``run.json`` (when a judge was run). Every item of the
    predictions file appears in ``items``; none is dropped or given a default score. ``write``
    saves the result as ``scores.json`` in the run directory.
    """
    out_dir = Path(out_dir)
    run = read_run(out_dir)
    meta, judged, judge = run.meta, run.judged, run.meta.get("judge") or {}
    items = []
    for pid, p in run.predictions.items():
        ok = p.get("error") is None
        j = judged.get(pid)
        s_l = length_score(int(p["required"]), int(p["answer_len"])) if ok else None
        s_q = j.get("S_q") if j else None
        rec = {
            "id": pid,
            "required": p["required"],
            "produced": p.get("answer_len"),
            "language": p.get("language"),
            "type": p.get("type"),
            "bucket": bucket_of(int(p["required"])),
            "finish_reason": p.get("finish_reason"),
            "well_formed": p.get("well_formed"),
            "S_l": s_l,
            "S_q": s_q,
            "S_bar": overall_score(s_l, s_q),
            "dimensions": (j or {}).get("scores"),
            "judge_prompt_hash": (j or {}).get("prompt_hash"),
            "generation_error": p.get("error"),
            "judge_error": (j or {}).get("error") if ok and judge else None,
        }
        if ok and judge and j is None:
            rec["judge_error"] = "not judged"
        items.append(rec)
    summary = summarize(items)
    result = {"run": meta, **summary, "items": items}
    return save_scores(out_dir, result, write)


def run_longbench_write(
    data: str | Path,
    out_dir: str | Path,
    backend: Any,
    settings: GenerationSettings,
    *,
    judge_client: Any | None = None,
    judge_prompt: JudgePrompt | None = None,
    judge_attempts: int = 3,
    judge_params: dict | None = None,
    limit: int | None = None,
    name: str | None = None,
    progress: bool = True,
    protocol: str = "ours",
) -> dict[str, Any]:
    """Evaluate one model on LongBench-Write into ``out_dir``; return the scores (see module doc).

    ``backend`` is a :class:`eval.generate.CheckpointBackend` or
    :class:`eval.generate.EndpointBackend`; ``judge_client`` an
    :class:`rollout.endpoint.EndpointClient` for the judge (None: length score only).
    ``protocol`` (recorded in run.json) names the :data:`PROTOCOLS` entry the caller resolved
    ``settings`` and the judge parameters from.
    """
    plan = BenchmarkPlan(
        "longbench-write",
        EVALUATOR_VERSION,
        load_items(data, limit=limit),
        calls=lambda preds, prompt: quality_calls(preds.values(), prompt),
        judging=JUDGING,
        score=score_run,
        meta={"protocol": protocol},
        needs_judge=False,
    )
    judge = JudgeSetup(judge_client, judge_prompt or JudgePrompt.default(), judge_attempts, judge_params)
    return run_judged(plan, data, out_dir, backend, settings, judge, name=name, progress=progress)
