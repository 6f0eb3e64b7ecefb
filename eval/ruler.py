"""LongWrite-Ruler: how long can a model write when asked to?

The ruler prompts ask for 1,000 to 30,000 words (Chinese: characters). For each required length
we compare the produced answer lengths (words / CJK characters, :func:`rollout.text.count_words`)
with the requirement, and report the largest required length the model still *meets*: the
median produced length lies within ``tolerance`` (relative, default ±20%) of the requirement.

Run directories have the LongBench-Write layout (``run.json``, ``predictions.jsonl``) plus
``ruler.json``; the curve can also be drawn from a LongBench-Write run's predictions.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.data import load_items
from eval.generate import GenerationSettings
from eval.judged_run import PREDICTIONS_FILE, record_generation_cuts, run_meta, start_run, write_json
from eval.longbench_write import EVALUATOR_VERSION
from eval.scoring import length_score
from rollout.jsonl import latest_by_key

__all__ = ["DEFAULT_TOLERANCE", "ruler_curve", "max_met_length", "ruler_from_run", "run_ruler"]

DEFAULT_TOLERANCE = 0.2  # relative: a requirement of 1000 words is met by a median of 800..1200


def ruler_curve(predictions: Sequence[Mapping[str, Any]], tolerance: float = DEFAULT_TOLERANCE) -> list[dict]:
    """One point per required length: produced lengths' median / mean / min / max, mean S_l, the
    share of answers within ``tolerance``, and ``met`` (the median within ``tolerance``).

    Failed predictions (``error`` set) are counted in ``n_failed`` and not in the statistics.
    """
    if not 0 < tolerance < 1:
        raise ValueError(f"tolerance must be in (0, 1), got {tolerance}")
    groups: dict[int, list[Mapping[str, Any]]] = {}
    for p in predictions:
        groups.setdefault(int(p["required"]), []).append(p)
    curve = []
    for req in sorted(groups):
        ok = [p for p in groups[req] if p.get("error") is None and p.get("answer_len") is not None]
        lens = [int(p["answer_len"]) for p in ok]
        point: dict[str, Any] = {
            "required": req,
            "n": len(ok),
            "n_failed": len(groups[req]) - len(ok),
        }
        if lens:
            med = float(statistics.median(lens))
            point.update(
                median=med,
                mean=sum(lens) / len(lens),
                min=min(lens),
                max=max(lens),
                S_l=sum(length_score(req, n) for n in lens) / len(lens),
                within=sum(abs(n / req - 1) <= tolerance for n in lens) / len(lens),
                met=abs(med / req - 1) <= tolerance,
            )
        else:
            point.update(median=None, mean=None, min=None, max=None, S_l=None, within=None, met=False)
        curve.append(point)
    return curve


def max_met_length(curve: Sequence[Mapping[str, Any]]) -> int | None:
    """The largest required length whose median answer is within tolerance (None: none is)."""
    met = [int(p["required"]) for p in curve if p.get("met")]
    return max(met) if met else None


def ruler_from_run(run_dir: str | Path, tolerance: float = DEFAULT_TOLERANCE) -> dict[str, Any]:
    """The ruler summary of any run directory's predictions (a ruler run or a LongBench-Write run)."""
    preds = list(latest_by_key(Path(run_dir) / PREDICTIONS_FILE).values())
    curve = ruler_curve(preds, tolerance)
    return {"tolerance": tolerance, "max_met_length": max_met_length(curve), "curve": curve}


def run_ruler(
    data: str | Path,
    out_dir: str | Path,
    backend: Any,
    settings: GenerationSettings,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    limit: int | None = None,
    name: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run LongWrite-Ruler for one model into ``out_dir`` (resumable); return ``ruler.json``'s dict."""
    if not 0 < tolerance < 1:
        raise ValueError(f"tolerance must be in (0, 1), got {tolerance}")
    out_dir = Path(out_dir)
    items = load_items(data, limit=limit)
    # The same run.json identity as a judged run's, with no judge.
    meta = run_meta("ruler", EVALUATOR_VERSION, backend, settings, data, len(items), name=name)
    preds = start_run(out_dir, meta, items, backend, settings, progress=progress)
    meta = record_generation_cuts(out_dir, meta, preds, settings)
    result = {"run": meta, **ruler_from_run(out_dir, tolerance)}
    write_json(out_dir / "ruler.json", result)
    return result
