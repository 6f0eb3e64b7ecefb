"""One core for judged benchmarks: the run folder, resume, judgements, failures, comparability.

LongBench-Write (S_q), Arena-Write and WritingBench keep only their own judge prompt, reply
parsing and scoring; LongWrite-Ruler (no judge) uses the run-folder part. What they share is here:

* identity - ``run.json`` (:func:`run_meta`, :func:`check_run_meta`): benchmark, evaluator
  version, model, backend, endpoint, generation settings, data file (path, SHA-256, items) and
  judge (model, endpoint, prompt version and hash, attempts, sampling). A folder that holds a run
  of another model, settings or data is refused, so two runs are never mixed into one score.
* resume - :func:`start_run` keeps the finished predictions and generates the rest;
  :func:`judge_missing` judges only what ``judgments.jsonl`` lacks (or holds as failed) for this
  judge model and prompt hash (:func:`judgments_for`); :func:`read_run` reads a folder back.
* judgement records - :func:`judgement_record`: one jsonl line per judge call with the judge
  model, prompt version and hash, attempts, raw reply and error next to the benchmark's fields.
* failures - :class:`Failures`: failed generations and judgements are counted and listed with
  their reasons, never given a score.
* the run itself - :func:`run_judged` takes a benchmark's :class:`BenchmarkPlan` (its items,
  plan files, judge and scorer) and does the rest in one order: run.json, predictions, judgements,
  scores.
* comparability - :func:`comparability_fields`: what must match for two runs' scores to be
  compared (judge, judge prompt, template, data, evaluator; Arena-Write's rating settings).

A run folder holds ``run.json``, ``predictions.jsonl`` (append-only), ``judgments.jsonl``
(append-only; one file may hold several judges' or prompts' verdicts), ``judge_cache.jsonl`` (the
judge client's response cache), ``scores.json`` and any benchmark plan file (``pairs.json``,
``criteria.json``) written by :func:`start_run`, so scoring needs no data file.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from eval.data import EvalItem
from eval.generate import GenerationSettings, generation_cuts, predict
from eval.judge import JudgeOutcome, JudgePrompt, judge_to_file
from rollout.jsonl import latest_by_key

__all__ = [
    "RUN_FILE",
    "PREDICTIONS_FILE",
    "JUDGMENTS_FILE",
    "SCORES_FILE",
    "file_sha",
    "check_run_meta",
    "run_meta",
    "default_name",
    "write_json",
    "save_scores",
    "start_run",
    "record_generation_cuts",
    "judgments_for",
    "JudgeCall",
    "Judging",
    "judgement_record",
    "judge_missing",
    "RunFiles",
    "read_run_meta",
    "read_run",
    "generation_error",
    "Failures",
    "comparability_fields",
    "BenchmarkPlan",
    "JudgeSetup",
    "run_judged",
]

log = logging.getLogger(__name__)

RUN_FILE = "run.json"
PREDICTIONS_FILE = "predictions.jsonl"
JUDGMENTS_FILE = "judgments.jsonl"
SCORES_FILE = "scores.json"

# run.json fields that must match to resume a run directory (anything else may change). For
# "data" the file's content hash counts (the same file moved is the same data; --limit may change).
_IDENTITY = ("benchmark", "backend", "model", "endpoint", "settings", "data")


def _identity_value(meta: dict[str, Any], key: str) -> Any:
    value = meta.get(key)
    if key == "data" and isinstance(value, dict):
        return value.get("sha256")
    return value


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def file_sha(path: str | Path) -> str:
    """First 12 hex digits of a file's SHA-256 (recorded so a run names its exact data)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def check_run_meta(out_dir: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Merge ``meta`` into ``out_dir/run.json``, refusing a directory that holds another run.

    Raises ``ValueError`` naming the differing fields when the stored run has another benchmark,
    model, backend, endpoint, generation settings or data file (by content hash), so results of
    two models or two data sets are never silently mixed into one ``scores.json``. Returns the
    merged ``run.json`` (``created`` kept from the first run, ``updated`` now).
    """
    path = out_dir / RUN_FILE
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
    write_json(path, merged)
    return merged


def default_name(desc: dict, settings: GenerationSettings) -> str:
    """A run's display name when none is given: the model's last path part and the template."""
    model = str(desc.get("model", "model")).rstrip("/")
    return f"{Path(model).name or model} ({settings.template})"


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
    """The ``run.json`` identity of a run (LongBench-Write, Ruler, Arena-Write, WritingBench).

    Names the benchmark and evaluator version, the model and backend, the generation settings,
    the data file (path, SHA-256, items) and the judge (model, endpoint, prompt version and hash,
    attempts, sampling; None without ``judge_client``), so reports can tell which runs are
    comparable. ``judge_prompt`` defaults to LongBench-Write's quality prompt.
    """
    desc = backend.describe()
    meta: dict[str, Any] = {
        "benchmark": benchmark,
        "evaluator_version": evaluator_version,
        "name": name or default_name(desc, settings),
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
    """Write ``obj`` as indented UTF-8 JSON (run.json, scores.json and a run's plan files)."""
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def save_scores(out_dir: Path, result: dict[str, Any], write: bool = True) -> dict[str, Any]:
    """Write ``result`` as the run folder's ``scores.json`` when ``write``; return it."""
    if write:
        write_json(out_dir / SCORES_FILE, result)
    return result


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
    """Begin or resume a run: check and store ``run.json`` (refusing another run's directory),
    write ``files`` (name -> JSON value, e.g. which baselines or criteria each item has, so
    scoring needs no data file), and return the predictions, generating what is missing."""
    check_run_meta(out_dir, meta)
    for fname, value in (files or {}).items():
        write_json(out_dir / fname, value)
    return predict(items, backend, settings, out_dir / PREDICTIONS_FILE, progress=progress)


def record_generation_cuts(
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


def judgments_for(path: Path, judge_model: str | None, prompt_hash: str | None) -> dict[str, dict]:
    """id -> latest judgement in ``path`` made by ``judge_model`` with the prompt ``prompt_hash``.

    One file may hold several judges' or prompts' verdicts; only the matching ones count.
    """
    return latest_by_key(
        path,
        where=lambda rec: rec.get("prompt_hash") == prompt_hash and rec.get("judge_model") == judge_model,
    )


class JudgeCall(NamedTuple):
    """One judge call a benchmark wants: its judgement id (unique in the run), the rendered
    prompt, and the benchmark's fields stored with the verdict (e.g. item and criterion)."""

    id: str
    text: str
    fields: dict[str, Any]


def judgement_record(o: JudgeOutcome, judge_model: str, prompt: JudgePrompt, **fields: Any) -> dict:
    """The ``judgments.jsonl`` line of one settled judge call: ``id``, the benchmark's ``fields``
    (their value, e.g. ``verdict`` or ``score``, included), then the judge model, prompt version
    and hash, error (None on success), attempts, raw reply, whether it was cached, and history."""
    return {
        "id": o.id,
        **fields,
        "judge_model": judge_model,
        "prompt_version": prompt.version,
        "prompt_hash": prompt.hash,
        "error": o.error,
        "attempts": o.attempts,
        "raw": o.raw,
        "cached": o.cached,
        "history": o.history,
    }


@dataclass(frozen=True)
class Judging:
    """How one benchmark reads and stores its judge's verdicts (its prompt is the run's).

    ``parse(reply)`` is ``(value, None)`` or ``(None, reason)`` and never raises; ``correction``
    the retry turn after an unreadable reply (see :func:`eval.judge.ask_judge`);
    ``record(outcome, judge_model, prompt, call_fields)`` the ``judgments.jsonl`` line (usually
    :func:`judgement_record` with the verdict's fields); ``label`` names the progress bar.
    """

    parse: Callable[[Any], tuple[Any, str | None]]
    correction: Callable[[str], str]
    record: Callable[[JudgeOutcome, str, JudgePrompt, dict[str, Any]], dict]
    label: str = "judge"


def judge_missing(
    path: Path,
    client: Any,
    prompt: JudgePrompt,
    calls: Iterable[JudgeCall],
    judging: Judging,
    *,
    max_attempts: int = 3,
    params: dict | None = None,
    progress: bool = True,
) -> dict[str, dict]:
    """Make the ``calls`` that ``path`` does not hold a good verdict for (this judge model and
    prompt hash), appending ``judging.record(...)`` per call as it settles.

    A stored failure is tried again; a stored success is reused (a resumed run re-pays nothing).
    ``client`` (an :class:`rollout.endpoint.EndpointClient`) is closed after judging. Returns
    judgement id -> record for this judge and prompt (earlier ones included).
    """
    stored = judgments_for(path, client.model, prompt.hash)
    todo = [c for c in calls if c.id not in stored or stored[c.id].get("error")]
    if todo:
        fields = {c.id: c.fields for c in todo}
        for rec in judge_to_file(
            path,
            client,
            [(c.id, c.text) for c in todo],
            judging.parse,
            judging.correction,
            lambda o: judging.record(o, client.model, prompt, fields[o.id]),
            max_attempts=max_attempts,
            params=params,
            progress=judging.label if progress else False,
        ):
            stored[rec["id"]] = rec
    return stored


@dataclass(frozen=True)
class RunFiles:
    """A run folder read back: ``run.json``, the latest prediction per id, the judgements of the
    judge and prompt hash ``run.json`` names (empty without a judge) and the plan file, if any."""

    meta: dict[str, Any]
    predictions: dict[str, dict]
    judged: dict[str, dict]
    plan: Any = None


def read_run_meta(out_dir: str | Path) -> dict[str, Any]:
    """A run folder's ``run.json`` (FileNotFoundError when the folder holds no run)."""
    return json.loads((Path(out_dir) / RUN_FILE).read_text(encoding="utf-8"))


def read_run(out_dir: str | Path, plan_file: str | None = None) -> RunFiles:
    """Read a run folder's ``run.json``, predictions, this run's judgements and ``plan_file``
    (e.g. ``pairs.json``), so any score can be recomputed from the folder alone."""
    out_dir = Path(out_dir)
    meta = read_run_meta(out_dir)
    judge = meta.get("judge") or {}
    judged = (
        judgments_for(out_dir / JUDGMENTS_FILE, judge.get("model"), judge.get("prompt_hash")) if judge else {}
    )
    plan = json.loads((out_dir / plan_file).read_text(encoding="utf-8")) if plan_file else None
    return RunFiles(meta, latest_by_key(out_dir / PREDICTIONS_FILE), judged, plan)


def generation_error(prediction: dict | None) -> str | None:
    """Why an item has no answer to judge (its recorded error, or ``"no answer"`` when it has no
    prediction), or None when it has one."""
    if prediction is not None and prediction.get("error") is None:
        return None
    return (prediction or {}).get("error") or "no answer"


@dataclass
class Failures:
    """The failed generations and judgements of a run, each ``{"id", "error"}`` with its reason."""

    generation: list[dict] = field(default_factory=list)
    judge: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``scores.json``'s ``failures``: the two counts and the listed items."""
        return {
            "generation": len(self.generation),
            "judge": len(self.judge),
            "items": {"generation": self.generation, "judge": self.judge},
        }


def comparability_fields(meta: dict[str, Any]) -> dict[str, Any]:
    """What must match, field -> value, for two runs of one benchmark to be compared.

    Judge model and prompt hash (not for LongWrite-Ruler, which has no judge), prompt template,
    data file hash, evaluator version, and Arena-Write's rating settings.
    """
    j = meta.get("judge") or {}
    benchmark = meta.get("benchmark", "longbench-write")
    key = {
        "judge": j.get("model"),
        "judge prompt": j.get("prompt_hash"),
        "template": (meta.get("settings") or {}).get("template"),
        "data": (meta.get("data") or {}).get("sha256"),
        "evaluator": meta.get("evaluator_version"),
    }
    if benchmark == "ruler":
        key.pop("judge")
        key.pop("judge prompt")
    if benchmark == "arena-write":
        elo = meta.get("elo") or {}
        key["rating settings"] = (
            f"anchor {elo.get('anchor')}={elo.get('anchor_rating')}, prior {elo.get('prior')}, "
            f"strong weight {elo.get('strong_weight')}"
        )
    return key


@dataclass(frozen=True)
class BenchmarkPlan:
    """What one benchmark brings to :func:`run_judged`; the run folder and its order are the core's.

    ``calls(predictions, prompt)`` lists the judge calls the predictions (id -> record) need,
    ``judging`` how the replies are read and stored; ``score(out_dir)`` computes and writes
    ``scores.json``. ``files`` are plan files written at the
    start (name -> JSON value), ``meta`` extra ``run.json`` fields (e.g. the protocol, the rating
    settings), ``needs_judge`` whether a run without a judge client is refused (only LongBench-Write's
    length score stands without one).
    """

    benchmark: str
    evaluator_version: str
    items: Sequence[EvalItem]
    calls: Callable[[Mapping[str, dict], JudgePrompt], Iterable[JudgeCall]]
    judging: Judging
    score: Callable[[Path], dict[str, Any]]
    files: Mapping[str, Any] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)
    needs_judge: bool = True


@dataclass(frozen=True)
class JudgeSetup:
    """The judge of a run: an OpenAI-compatible client (:class:`rollout.endpoint.EndpointClient`;
    None: no judge), the prompt, tries per judgement for unreadable replies, and the chat
    parameters (temperature, max_tokens; recorded in ``run.json``)."""

    client: Any | None
    prompt: JudgePrompt
    attempts: int = 3
    params: dict | None = None


def run_judged(
    plan: BenchmarkPlan,
    data: str | Path,
    out_dir: str | Path,
    backend: Any,
    settings: GenerationSettings,
    judge: JudgeSetup,
    *,
    name: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run ``plan``'s benchmark for one model into ``out_dir`` (begun or resumed) and return its
    scores: ``run.json`` checked and stored (another run's folder is refused), plan files written,
    missing predictions generated, cut budgets recorded, what this judge and
    prompt have not judged well yet judged (nothing without a judge client), then scored from
    the folder's files alone.
    """
    if plan.needs_judge and judge.client is None:
        raise ValueError(f"{plan.benchmark} needs a judge: pass judge_client (an endpoint client)")
    out_dir = Path(out_dir)
    meta = {
        **run_meta(
            plan.benchmark,
            plan.evaluator_version,
            backend,
            settings,
            data,
            len(plan.items),
            name=name,
            judge_client=judge.client,
            judge_prompt=judge.prompt,
            judge_attempts=judge.attempts,
            judge_params=judge.params,
        ),
        **plan.meta,
    }
    preds = start_run(out_dir, meta, plan.items, backend, settings, files=dict(plan.files), progress=progress)
    # Every benchmark records cut generation budgets: a cut is never silent.
    record_generation_cuts(out_dir, meta, preds, settings)
    if judge.client is not None:
        judge_missing(
            out_dir / JUDGMENTS_FILE,
            judge.client,
            judge.prompt,
            plan.calls({p["id"]: p for p in preds}, judge.prompt),
            plan.judging,
            max_attempts=judge.attempts,
            params=judge.params,
            progress=progress,
        )
    return plan.score(out_dir)
