"""Pairwise accuracy of a reward model on held-out pairs, split so that a length bias shows.

``longwrite rm eval`` scores both sides of every pair and reports the share of pairs whose chosen
side scores higher (a tie counts one half): overall, by whether the chosen answer is the longer
or the shorter one (``count_words`` units), and by the length ratio chosen / rejected in buckets.
A model that simply prefers longer text scores near 1 on "chosen longer" and near 0 on "chosen
shorter"; a real quality model scores well on both.

Scorers: ``classifier`` (a trained RM folder, through :mod:`rewards.quality.classifier`: raw
logits, the same encoding and truncation as training) and ``embedding`` (the MiniLM proxy
quality backend, the baseline).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "RATIO_BUCKETS",
    "accuracy_breakdown",
    "classifier_pair_scores",
    "embedding_pair_scores",
    "evaluate_pairs",
    "format_table",
]

#: (label, low, high) buckets of chosen length / rejected length; low inclusive, high exclusive.
RATIO_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("<0.5", 0.0, 0.5),
    ("0.5-0.8", 0.5, 0.8),
    ("0.8-1.25", 0.8, 1.25),
    ("1.25-2", 1.25, 2.0),
    (">=2", 2.0, float("inf")),
)


def _acc(c: Sequence[float], r: Sequence[float]) -> float | None:
    from rewards.rm.train import pairwise_accuracy

    return pairwise_accuracy(c, r) if len(c) else None


def accuracy_breakdown(pairs: Sequence[Any], r_chosen: Sequence[float], r_rejected: Sequence[float]) -> dict:
    """``{"overall", "chosen_longer", "chosen_shorter", "same_length", "ratio": {bucket: ...}}``,
    each ``{"n", "accuracy"}`` (accuracy None for an empty group)."""
    from rollout.text import count_words

    if not (len(pairs) == len(r_chosen) == len(r_rejected)):
        raise ValueError("pairs and scores differ in length")
    groups: dict[str, list[int]] = {"chosen_longer": [], "chosen_shorter": [], "same_length": []}
    ratio: dict[str, list[int]] = {label: [] for label, _, _ in RATIO_BUCKETS}
    for i, p in enumerate(pairs):
        lc, lr = count_words(p.chosen), count_words(p.rejected)
        groups["chosen_longer" if lc > lr else "chosen_shorter" if lc < lr else "same_length"].append(i)
        x = lc / lr if lr else float("inf")
        for label, lo, hi in RATIO_BUCKETS:
            if lo <= x < hi or (hi == float("inf") and x == hi):
                ratio[label].append(i)
                break

    def entry(idx: list[int]) -> dict:
        return {"n": len(idx), "accuracy": _acc([r_chosen[i] for i in idx], [r_rejected[i] for i in idx])}

    out = {"overall": entry(list(range(len(pairs))))}
    out.update({k: entry(v) for k, v in groups.items()})
    out["ratio"] = {k: entry(v) for k, v in ratio.items()}
    return out


def classifier_pair_scores(
    model: str,
    pairs: Sequence[Any],
    max_length: int | None = None,
    batch_size: int = 8,
    device: str | None = None,
) -> tuple[list[float], list[float]]:
    """Raw RM logits (chosen, rejected) for every pair, encoded as the quality backend encodes."""
    from rewards.quality.classifier import _context, build_inputs, load_classifier, raw_scores

    tok, net = load_classifier(model, device)
    budget = _context(net, max_length)
    inputs = [build_inputs(tok, p.prompt, side, budget) for p in pairs for side in (p.chosen, p.rejected)]
    scores = raw_scores(tok, net, inputs, batch_size)
    return scores[0::2], scores[1::2]


def embedding_pair_scores(pairs: Sequence[Any]) -> tuple[list[float], list[float]]:
    """The MiniLM proxy's quality score in [0, 1] (chosen, rejected) for every pair."""
    from rewards.base import RewardConfig, RewardSample, score_batch

    cfg = RewardConfig(rewards={"quality": 1.0}, options={"quality": {"backend": "embedding"}})
    samples = [RewardSample(p.prompt, side, {}) for p in pairs for side in (p.chosen, p.rejected)]
    out = score_batch(samples, cfg)
    scores = [b.components["quality"] for b in out]
    if any(s is None for s in scores):
        raise RuntimeError("the embedding backend gave no score for some sample (a bug: it never fails)")
    return scores[0::2], scores[1::2]


def evaluate_pairs(
    pairs_path: str | Path,
    model: str | None = None,
    *,
    baseline: bool = True,
    max_length: int | None = None,
    batch_size: int = 8,
) -> dict:
    """Accuracy breakdowns of the RM at ``model`` (if given) and of the embedding baseline on the
    pairs in ``pairs_path`` (``longwrite rm data`` output): ``{"pairs", "data", "scorers": {...}}``."""
    from rewards.rm.data import read_prepared

    pairs = read_prepared(pairs_path)
    if not pairs:
        raise ValueError(f"{pairs_path}: no pairs")
    scorers: dict[str, dict] = {}
    if model:
        c, r = classifier_pair_scores(model, pairs, max_length, batch_size)
        scorers["rm"] = {"model": str(model), **accuracy_breakdown(pairs, c, r)}
    if baseline:
        c, r = embedding_pair_scores(pairs)
        scorers["embedding"] = {
            "model": "MiniLM proxy (quality backend embedding)",
            **accuracy_breakdown(pairs, c, r),
        }
    if not scorers:
        raise ValueError("nothing to evaluate: give a model or keep the embedding baseline")
    return {"data": str(pairs_path), "pairs": len(pairs), "scorers": scorers}


def _fmt(entry: dict) -> str:
    acc = entry["accuracy"]
    return f"{acc:.3f} ({entry['n']})" if acc is not None else f"- ({entry['n']})"


def format_table(result: dict) -> str:
    """A markdown table: one row per scorer, columns overall / chosen longer / chosen shorter /
    same length / each ratio bucket; cells are ``accuracy (pairs)``."""
    cols = ["overall", "chosen_longer", "chosen_shorter", "same_length"]
    heads = ["scorer", "overall", "chosen longer", "chosen shorter", "same length"]
    heads += [f"ratio {label}" for label, _, _ in RATIO_BUCKETS]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for name, s in result["scorers"].items():
        cells = (
            [name] + [_fmt(s[c]) for c in cols] + [_fmt(s["ratio"][label]) for label, _, _ in RATIO_BUCKETS]
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_result(result: dict, out: str | Path) -> Path:
    """Write ``result`` as ``OUT`` (json) and the table beside it (``.md``); returns the json path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    out.with_suffix(".md").write_text(format_table(result) + "\n")
    return out
