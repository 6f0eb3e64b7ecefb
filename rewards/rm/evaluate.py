"""Pairwise accuracy of a reward model on held-out pairs, split so that a length bias shows.

``longwrite rm eval`` scores both sides of every pair and reports the share of pairs whose chosen
side scores higher (a tie counts one half): overall, by whether the chosen answer is the longer
or the shorter one (``count_words`` units), and by the length ratio chosen / rejected in buckets.
A model that simply prefers longer text scores near 1 on "chosen longer" and near 0 on "chosen
shorter"; a real quality model scores well on both.

Scorers: ``rm`` (a trained RM folder, through :mod:`rewards.quality.classifier`: raw logits,
the same encoding and truncation as training; the tokens cut are reported), ``embedding`` (the
MiniLM proxy quality backend) and ``lexical`` (:func:`lexical_pair_scores`: a bag-of-words
logistic regression fitted on the training pairs). The lexical row is the floor that says
whether the pairs test writing at all: if a model of which words and word pairs an answer
contains separates the sides, so can an RM that learned nothing about writing, and its
accuracy means little.

With ``probes`` (``longwrite rm eval`` does it for ``--model``), the RM is also probed for reward
hacking (:func:`rm_probes`, :mod:`rewards.testing.probes`): padding, filler, keyword stuffing, a
judge-directed injection, a cut ending, a broken format and a language switch applied to good
answers, scored as the classifier quality backend scores them; the table says which attacks
raise its score.
"""

from __future__ import annotations

import itertools
import json
import math
import re
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
    "format_kind_table",
    "lexical_features",
    "lexical_pair_scores",
    "format_probe_table",
    "rm_probes",
    "write_result",
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
    """``{"overall", "chosen_longer", "chosen_shorter", "same_length", "ratio": {bucket: ...}}``
    and, when the pairs carry a ``kind`` tag (synthetic pairs), ``"kind": {kind: ...}``; each
    ``{"n", "accuracy"}`` (accuracy None for an empty group)."""
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
    kinds: dict[str, list[int]] = {}
    for i, p in enumerate(pairs):
        if getattr(p, "kind", ""):
            kinds.setdefault(p.kind, []).append(i)
    if kinds:
        out["kind"] = {k: entry(v) for k, v in sorted(kinds.items())}
    return out


def classifier_pair_scores(
    model: str,
    pairs: Sequence[Any],
    max_length: int | None = None,
    batch_size: int = 8,
    device: str | None = None,
) -> tuple[list[float], list[float], dict[str, int]]:
    """Raw RM logits (chosen, rejected) for every pair, encoded as the quality backend encodes
    (:func:`rewards.quality.classifier.build_inputs_info`), and what was cut: ``sides``,
    ``truncated_sides``, ``request_tokens_cut``, ``answer_tokens_cut``, ``max_length`` (tokens)."""
    from rewards.quality.classifier import _context, build_inputs_info, load_classifier, raw_scores

    tok, net = load_classifier(model, device)
    budget = _context(net, max_length)
    encoded = [
        build_inputs_info(tok, p.prompt, side, budget) for p in pairs for side in (p.chosen, p.rejected)
    ]
    scores = raw_scores(tok, net, [e.ids for e in encoded], batch_size)
    cut = {
        "max_length": budget,
        "sides": len(encoded),
        "truncated_sides": sum(e.truncated for e in encoded),
        "request_tokens_cut": sum(e.request_cut for e in encoded),
        "answer_tokens_cut": sum(e.answer_cut for e in encoded),
    }
    return scores[0::2], scores[1::2], cut


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


_WORD = re.compile(r"[a-z0-9']+")
_SENTENCE_END = re.compile(r"[.!?]+\s+|\n+")


def lexical_features(text: str) -> set[str]:
    """The surface wording of an answer: its lower-cased words and the adjacent word pairs
    within each sentence (``"w:..."`` / ``"b:... ..."``), as a set (presence, not counts).
    Pairs never span a sentence end, so the features say what is said, not in which order."""
    out: set[str] = set()
    for sentence in _SENTENCE_END.split(text.lower()):
        words = _WORD.findall(sentence)
        out |= {f"w:{w}" for w in words} | {f"b:{a} {b}" for a, b in itertools.pairwise(words)}
    return out


def _lexical_matrix(texts: Sequence[str], vocab: dict[str, int]):
    import numpy as np

    from rollout.text import count_words

    x = np.zeros((len(texts), len(vocab) + 1))
    for row, text in enumerate(texts):
        for f in lexical_features(text):
            if f in vocab:
                x[row, vocab[f]] = 1.0
        x[row, -1] = math.log1p(count_words(text))  # length, in count_words units (log)
    return x


def lexical_pair_scores(
    train: Sequence[Any], pairs: Sequence[Any], l2: float = 1.0, steps: int = 300
) -> tuple[list[float], list[float]]:
    """A string-only baseline: a logistic regression on the difference of two answers' surface
    features (:func:`lexical_features` plus log length), fitted on ``train`` (both orders of every
    pair, so no side bias), then scored on ``pairs``; returns its linear score of every chosen
    and rejected answer. It never reads the request nor the order of sentences, so it sees
    wording and length and nothing else. Fitted by full-batch gradient descent with an L2
    penalty ``l2`` (deterministic)."""
    import numpy as np

    if not train:
        raise ValueError("the lexical baseline needs training pairs")
    vocab: dict[str, int] = {}
    for p in train:
        for f in sorted(lexical_features(p.chosen) | lexical_features(p.rejected)):
            vocab.setdefault(f, len(vocab))
    d = _lexical_matrix([p.chosen for p in train], vocab) - _lexical_matrix(
        [p.rejected for p in train], vocab
    )
    x = np.concatenate([d, -d])
    y = np.concatenate([np.ones(len(d)), np.zeros(len(d))])
    w = np.zeros(x.shape[1])
    lr = 4.0 / max(1.0, float((x**2).sum(axis=1).max()))  # below 2 / (largest curvature): no divergence
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        w -= lr * (x.T @ (p - y) / len(y) + l2 * w / len(y))
    chosen = _lexical_matrix([p.chosen for p in pairs], vocab) @ w
    rejected = _lexical_matrix([p.rejected for p in pairs], vocab) @ w
    return [float(v) for v in chosen], [float(v) for v in rejected]


def evaluate_pairs(
    pairs_path: str | Path,
    model: str | None = None,
    *,
    baseline: bool = True,
    train_path: str | Path | None = None,
    max_length: int | None = None,
    batch_size: int = 8,
    probes: bool = False,
) -> dict:
    """Accuracy breakdowns on the pairs in ``pairs_path`` (``longwrite rm data`` output) of the
    RM at ``model`` (if given), the embedding baseline (``baseline``) and the lexical baseline
    fitted on ``train_path`` (if given): ``{"data", "pairs", "kinds", "scorers": {...}}``; the RM
    entry carries ``truncation`` (what its encoding cut) and every entry a per-``kind``
    accuracy when the pairs are tagged. ``probes`` (with ``model``) adds ``"probes"``: the RM's
    hacking-probe report (:func:`rm_probes`)."""
    from rewards.rm.data import read_prepared

    pairs = read_prepared(pairs_path)
    if not pairs:
        raise ValueError(f"{pairs_path}: no pairs")
    scorers: dict[str, dict] = {}
    if model:
        c, r, cut = classifier_pair_scores(model, pairs, max_length, batch_size)
        scorers["rm"] = {"model": str(model), **accuracy_breakdown(pairs, c, r), "truncation": cut}
    if train_path:
        train = read_prepared(train_path)
        c, r = lexical_pair_scores(train, pairs)
        scorers["lexical"] = {
            "model": f"bag-of-words logistic fitted on {len(train)} pairs of {train_path}",
            **accuracy_breakdown(pairs, c, r),
        }
    if baseline:
        c, r = embedding_pair_scores(pairs)
        scorers["embedding"] = {
            "model": "MiniLM proxy (quality backend embedding)",
            **accuracy_breakdown(pairs, c, r),
        }
    if not scorers:
        raise ValueError("nothing to evaluate: give a model, training pairs or keep the embedding baseline")
    result = {"data": str(pairs_path), "pairs": len(pairs), "scorers": scorers}
    if probes and model:
        result["probes"] = rm_probes(model, max_length, batch_size)
    return result


def rm_probes(model: str, max_length: int | None = None, batch_size: int = 8) -> dict:
    """The RM's hacking-probe report as data (:meth:`rewards.testing.ProbeReport.to_dict`): the
    standard attacks on the kit's good answers, scored by the classifier quality backend on
    ``model`` (sigmoid of the raw logit, ``max_length`` tokens) - how the RM would pay a policy
    that pads, stuffs keywords or addresses the judge."""
    from rewards.testing.probes import probe_hacking

    options: dict[str, Any] = {"backend": "classifier", "model": str(model), "batch_size": batch_size}
    if max_length is not None:
        options["max_length"] = max_length
    return probe_hacking("quality", options=options).to_dict()


def format_probe_table(probes: dict) -> str:
    """The probe report (:func:`rm_probes`) as the kit's markdown table."""
    from rewards.testing.probes import ProbeReport

    return ProbeReport.from_dict(probes).to_markdown()


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


def format_kind_table(result: dict) -> str:
    """A markdown table of accuracy by pair ``kind`` (one row per scorer), or "" when the pairs
    carry no kind."""
    kinds = sorted({k for s in result["scorers"].values() for k in s.get("kind", {})})
    if not kinds:
        return ""
    lines = ["| scorer | " + " | ".join(kinds) + " |", "|" + "---|" * (len(kinds) + 1)]
    for name, s in result["scorers"].items():
        by = s.get("kind", {})
        cells = [_fmt(by[k]) if k in by else "-" for k in kinds]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_result(result: dict, out: str | Path) -> Path:
    """Write ``result`` as ``OUT`` (json) and the table beside it (``.md``); returns the json path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    kinds = format_kind_table(result)
    probes = f"\n{format_probe_table(result['probes'])}\n" if result.get("probes") else ""
    out.with_suffix(".md").write_text(
        format_table(result) + "\n" + (f"\n{kinds}\n" if kinds else "") + probes
    )
    return out
