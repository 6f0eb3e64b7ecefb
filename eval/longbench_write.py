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
Changing the judge (model or prompt) re-judges, keyed by the prompt hash.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.data import EvalItem, load_items
from eval.generate import GenerationSettings, generation_cuts, predict
from eval.judge import JudgePrompt, judge_to_file, parse_quality, quality_correction, quality_record
from eval.scoring import bucket_of, length_score, overall_score, summarize
from rollout.jsonl import latest_by_key
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

log = logging.getLogger(__name__)

# Bump when what a score means changes (scoring rules, answer extraction).
EVALUATOR_VERSION = "lbw-1"

# run.json fields that must match to resume a run directory (anything else may change). For
# "data" the file's content hash counts (the same file moved is the same data; --limit may change).
_IDENTITY = ("benchmark", "backend", "model", "endpoint", "settings", "data")


def _identity_value(meta: dict[str, Any], key: str) -> Any:
    value = meta.get(key)
    if key == "data" and isinstance(value, dict):
        return value.get("sha256")
    return value


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


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def file_sha(path: str | Path) -> str:
    """First 12 hex digits of a file's SHA-256 (recorded so a run names its exact data)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def check_run_meta(out_dir: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Merge ``meta`` into ``out_dir/run.json``, refusing a directory that holds another run.

    Raises ``ValueError`` naming the differing fields when the stored run has another model,
    backend, endpoint, generation settings or data file (by content hash), so results of two
    models or two data sets are never silently mixed into one ``scores.json``.
    """
    path = out_dir / "run.json"
    old: dict[str, Any] = {}
    if path.exists():
        old = json.loads(path.read_text(encoding="utf-8"))
        diff = [k for k in _IDENTITY if k in old and _identity_value(old, k) != _identity_value(meta, k)]
        if diff:
            shown = {k: old.get(k) for k in diff}
            if "data" in shown and isinstance(old.get("data"), dict):
                d = old["data"]
                shown["data"] = f"{d.get('path')} (sha256 {d.get('sha256')})"
            raise ValueError(
                f"{out_dir} holds a run with other {', '.join(diff)} "
                f"({', '.join(f'{k}={v!r}' for k, v in shown.items())}); use another --out"
            )
    merged = {**old, **meta, "created": old.get("created", _now()), "updated": _now()}
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return merged


def run_meta(
    benchmark: str,
    evaluator_version: str,
    backend: Any,
    settings: GenerationSettings,
    data: str | Path,
    n_items: int,
    *,
    name: str | None = None,
    judge_client: Any | None = None,
    judge_prompt: JudgePrompt | None = None,
    judge_attempts: int = 3,
    judge_params: dict | None = None,
) -> dict[str, Any]:
    """The ``run.json`` identity of a judged run (LongBench-Write, Arena-Write, WritingBench).

    Names the benchmark and evaluator version, the model and backend, the generation settings,
    the data file (path, SHA-256, items) and the judge (model, endpoint, prompt version and hash,
    attempts, sampling), so reports can tell which runs are comparable.
    """
    desc = backend.describe()
    meta: dict[str, Any] = {
        "benchmark": benchmark,
        "evaluator_version": evaluator_version,
        "name": name or _default_name(desc, settings),
        **desc,
        "endpoint": desc.get("endpoint"),
        "settings": settings.to_dict(),
        "data": {"path": str(Path(data).resolve()), "sha256": file_sha(data), "items": n_items},
        "judge": None,
    }
    if judge_client is not None:
        prompt = judge_prompt or JudgePrompt.default()
        meta["judge"] = {
            "model": judge_client.model,
            "endpoint": judge_client.base_url,
            "prompt_version": prompt.version,
            "prompt_hash": prompt.hash,
            "max_attempts": judge_attempts,
            "params": {"temperature": 0.0, "max_tokens": 512, **(judge_params or {})},
        }
    return meta


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as indented UTF-8 JSON (scores.json and a run's other summaries)."""
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def start_run(
    out_dir: Path,
    meta: dict[str, Any],
    items: Sequence[EvalItem],
    backend: Any,
    settings: GenerationSettings,
    *,
    files: dict[str, Any] | None = None,
    progress: bool = True,
) -> list[dict]:
    """Begin or resume a judged run: check and store ``run.json`` (refusing another run's
    directory), write ``files`` (name -> JSON value, e.g. which baselines or criteria each item
    has, so scoring needs no data file), and return the predictions, generating what is missing."""
    check_run_meta(out_dir, meta)
    for fname, value in (files or {}).items():
        write_json(out_dir / fname, value)
    return predict(items, backend, settings, out_dir / "predictions.jsonl", progress=progress)


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

    stored = judgments_for(path, client.model, prompt.hash)
    todo = [
        (p["id"], prompt.render(p["prompt"], p["answer"]))
        for p in predictions
        if p.get("error") is None and (p["id"] not in stored or stored[p["id"]].get("error"))
    ]
    if todo:
        for rec in judge_to_file(
            path,
            client,
            todo,
            parse_quality,
            quality_correction,
            lambda o: quality_record(o, client.model, prompt).to_dict(),
            max_attempts=max_attempts,
            params=params,
            progress="judge" if progress else False,
        ):
            stored[rec["id"]] = rec
    return stored


def judgments_for(path: Path, judge_model: str | None, prompt_hash: str | None) -> dict[str, dict]:
    """id -> latest judgement in ``path`` made by ``judge_model`` with the prompt ``prompt_hash``.

    One file may hold several judges' or prompts' verdicts; only the matching ones count.
    """
    return latest_by_key(
        path,
        where=lambda rec: rec.get("prompt_hash") == prompt_hash and rec.get("judge_model") == judge_model,
    )


def score_run(out_dir: str | Path, write: bool = True) -> dict[str, Any]:
    """Compute ``scores.json`` for a run directory from its predictions and judgements.

    Uses the judge and prompt hash named in ``run.json`` (when a judge was run). Every item of the
    predictions file appears in ``items``; none is dropped or given a default score. ``write``
    saves the result as ``scores.json`` in the run directory.
    """
    out_dir = Path(out_dir)
    meta = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
    preds = latest_by_key(out_dir / "predictions.jsonl")
    judge = meta.get("judge") or {}
    judged = (
        judgments_for(out_dir / "judgments.jsonl", judge.get("model"), judge.get("prompt_hash"))
        if judge
        else {}
    )
    items = []
    for pid, p in preds.items():
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
    if write:
        write_json(out_dir / "scores.json", result)
    return result


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
    out_dir = Path(out_dir)
    items: list[EvalItem] = load_items(data, limit=limit)
    judge_prompt = judge_prompt or JudgePrompt.default()
    meta = {
        **run_meta(
            "longbench-write",
            EVALUATOR_VERSION,
            backend,
            settings,
            data,
            len(items),
            name=name,
            judge_client=judge_client,
            judge_prompt=judge_prompt,
            judge_attempts=judge_attempts,
            judge_params=judge_params,
        ),
        "protocol": protocol,
    }
    preds = start_run(
        out_dir,
        meta,
        items,
        backend,
        settings,
        progress=progress,
    )
    _record_cuts(out_dir, meta, preds, settings)
    if judge_client is not None:
        judge_predictions(
            preds,
            judge_client,
            judge_prompt,
            out_dir / "judgments.jsonl",
            max_attempts=judge_attempts,
            params=judge_params,
            progress=progress,
        )
    return score_run(out_dir)


def _record_cuts(
    out_dir: Path, meta: dict, preds: Sequence[dict], settings: GenerationSettings
) -> dict[str, Any]:
    """Warn about, and record in run.json (``generation_cuts``, None when there was none), the
    items whose max_tokens the engine's context cut; returns the merged run.json."""
    cuts = generation_cuts(preds, settings)
    if cuts is not None:
        log.warning(
            "%d item(s) got fewer than max_tokens %d (as few as %d): prompt + max_tokens exceeded the "
            "engine's context; recorded in run.json under generation_cuts",
            cuts["items"],
            cuts["max_tokens"],
            cuts["min_effective"],
        )
    return check_run_meta(out_dir, {**meta, "generation_cuts": cuts})


def _default_name(desc: dict, settings: GenerationSettings) -> str:
    model = str(desc.get("model", "model")).rstrip("/")
    return f"{Path(model).name or model} ({settings.template})"
