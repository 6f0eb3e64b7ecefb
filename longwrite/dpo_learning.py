"""DPO from the tiny writer on its own length-scored pairs: the run that shows DPO learns on CPU.

1. pairs by the project's own path, ``longwrite pairs``: the tiny writer
   (:mod:`sft_baseline.writer`, which writes 30-110 words / 40-140 characters whatever is asked)
   samples ``k`` replies to each bundled request that states its length (``rl/data/prompts.jsonl``,
   English and Chinese, stated targets of 100 to 12,000 words), scored by a length-aware reward (:data:`PAIR_REWARDS`:
   the length reward, linear below a target the writer misses, plus the format reward); the best
   reply is chosen against a random other. Requests are split by a hash of their id into
   training and held-out pairs (:func:`split_ids`).
2. ``longwrite dpo --preset tiny-cpu`` from the writer on the training pairs; the held-out
   chosen-over-rejected margin is measured before training and after every epoch.
3. ``longwrite eval longbench-write`` of the SFT writer and the DPO model on the same items
   (required length <= ``max_required`` words), same sampling; per-item S_l paired by item id:
   a one-sided exact sign test (ties counted and left out, as the test defines) and a paired
   bootstrap 95% interval of the mean difference (:func:`paired_stats`).

Used by the slow test ``tests/sft_baseline/test_dpo_learning.py`` and ``benchmarks/dpo.py``.
Lengths are English words / Chinese characters (:func:`rollout.text.count_words`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "PAIR_REWARDS",
    "LEARNING_DEFAULTS",
    "split_ids",
    "PairedStats",
    "paired_stats",
    "DpoLearning",
    "run_dpo_learning",
]

#: The length-aware pair score: length (target from the request) and format (well-formed plan+answer).
PAIR_REWARDS: dict[str, Any] = {"rewards": {"length": 1.0, "format": 0.5}, "options": {}}
HELD_OUT_SHARE = 0.2
#: The slow test's and the benchmark's settings (sized for a loaded 2-core machine).
LEARNING_DEFAULTS: dict[str, Any] = {"n_prompts": 48, "k": 4}


def split_ids(ids: Sequence[str], share: float = HELD_OUT_SHARE, seed: int = 0) -> tuple[set, set]:
    """(training ids, held-out ids): the ``share`` of ids with the lowest hash of ``seed:id``."""
    ranked = sorted(ids, key=lambda i: hashlib.sha256(f"{seed}:{i}".encode()).hexdigest())
    n_held = max(1, round(share * len(ranked)))
    return set(ranked[n_held:]), set(ranked[:n_held])


@dataclass
class PairedStats:
    """Per-item comparison of two runs on the same items: ``wins`` / ``losses`` / ``ties`` of the
    second over the first, the one-sided exact sign-test p-value (ties left out), the mean
    difference and its paired-bootstrap 95% interval (resampling items)."""

    n: int
    wins: int
    losses: int
    ties: int
    sign_p: float
    mean_diff: float
    ci_low: float
    ci_high: float


def paired_stats(
    before: dict[str, float], after: dict[str, float], resamples: int = 4000, seed: int = 0
) -> PairedStats:
    """Compare ``after`` against ``before`` over the item ids both scored.

    An id scored by only one run is an error naming it (a silent drop would bias the pairing).
    """
    if set(before) != set(after):
        raise ValueError(f"runs scored different items: {sorted(set(before) ^ set(after))}")
    ids = sorted(before)
    diffs = [after[i] - before[i] for i in ids]
    wins = sum(d > 0 for d in diffs)
    losses = sum(d < 0 for d in diffs)
    m = wins + losses
    p = sum(math.comb(m, j) for j in range(wins, m + 1)) / 2**m if m else 1.0
    rng = random.Random(seed)
    means = sorted(sum(rng.choice(diffs) for _ in diffs) / len(diffs) for _ in range(resamples))
    return PairedStats(
        n=len(ids),
        wins=wins,
        losses=losses,
        ties=len(ids) - m,
        sign_p=p,
        mean_diff=sum(diffs) / len(diffs),
        ci_low=means[int(0.025 * resamples)],
        ci_high=means[int(0.975 * resamples) - 1],
    )


@dataclass
class DpoLearning:
    """One finished learning run: pair counts, the DPO summary (``dpo_train.json``), per-item S_l of
    both models, the paired statistics, overall S_l and mean answer lengths, stage seconds."""

    out: Path
    pairs: dict[str, int]
    dpo: dict[str, Any]
    s_l: dict[str, dict[str, float]]
    overall: dict[str, float]
    produced: dict[str, float]
    stats: PairedStats
    seconds: dict[str, float] = field(default_factory=dict)


def _cli(args: Sequence[str], log: Path, timeout: float) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    with log.open("w", encoding="utf-8") as f:
        proc = subprocess.run(
            [sys.executable, "-m", "longwrite.cli", *args],
            stdout=f,
            stderr=subprocess.STDOUT,
            env=env,
            timeout=timeout,
        )
    if proc.returncode:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"longwrite {' '.join(args[:2])} exited {proc.returncode}; log {log}:\n{tail}")


def _eval_items(lbw: Path, dst: Path, max_required: int) -> int:
    from rollout.jsonl import read_jsonl

    rows = [rec for _, rec in read_jsonl(lbw).records if int(rec["length"]) <= max_required]
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return len(rows)


def run_dpo_learning(
    out: str | Path,
    lbw: str | Path,
    *,
    k: int = 6,
    n_prompts: int | None = None,
    max_required: int = 300,
    max_tokens: int = 512,
    seed: int = 0,
    dpo_overrides: Sequence[str] = (),
    timeout: float = 1800.0,
) -> DpoLearning:
    """Pairs -> DPO -> evaluation of the writer and the DPO model (see the module docstring).

    ``n_prompts`` bundled requests (all when None) x ``k`` samples make the pairs; answers are
    sampled at temperature 0.8 with ``max_tokens`` tokens, for pairs and evaluation alike.

    ``lbw`` is a ``longbench_write.jsonl``; everything is written under ``out`` (``logs/`` holds
    each stage's full output). Raises ``RuntimeError`` with the log's tail when a stage fails.
    """
    import yaml

    from rl.prepare import BUNDLED_PROMPTS
    from rollout.jsonl import read_jsonl
    from sft_baseline.writer import tiny_writer_path

    out = Path(out)
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    writer = tiny_writer_path(seed=0)

    t = time.monotonic()
    from rewards.length.reward import parse_length_requirement

    # Requests that state their length (the length reward scores against it); the rest are left
    # out here, by design, not by accident: their count is recorded in the pair counts.
    bundled = [rec for _, rec in read_jsonl(BUNDLED_PROMPTS).records]
    prompts = [rec for rec in bundled if parse_length_requirement(rec["prompt"]) is not None]
    unstated = len(bundled) - len(prompts)
    if n_prompts:  # a seeded sample, half English and half Chinese where the set allows
        ranked = sorted(prompts, key=lambda r: hashlib.sha256(f"{seed}:{r['id']}".encode()).hexdigest())
        by_lang = [[r for r in ranked if r["id"].startswith(lang)] for lang in ("en", "zh")]
        prompts = by_lang[0][: n_prompts - n_prompts // 2] + by_lang[1][: n_prompts // 2]
    (out / "instructions.jsonl").write_text(
        "".join(
            json.dumps({"id": r["id"], "instruction": r["prompt"]}, ensure_ascii=False) + "\n"
            for r in prompts
        ),
        encoding="utf-8",
    )
    (out / "pair_rewards.yaml").write_text(yaml.safe_dump(PAIR_REWARDS), encoding="utf-8")
    all_pairs = out / "pairs-all.jsonl"
    settings = {"ids": [r["id"] for r in prompts], "k": k, "max_tokens": max_tokens, "seed": seed}
    meta = out / "pairs-all.settings.json"
    if all_pairs.is_file():  # a re-run in the same folder reuses its pairs (said, not silent)
        if not meta.is_file() or json.loads(meta.read_text(encoding="utf-8")) != settings:
            raise ValueError(
                f"{all_pairs} was made with other requests or sampling settings than this run's "
                f"({meta} differs or is missing); remove it or use another folder"
            )
        print(f"dpo learning: reusing {all_pairs}", file=sys.stderr)
    else:
        _cli(
            ["pairs", "--local-model", str(writer), "--max-model-len", "1024", "--instructions",
             str(out / "instructions.jsonl"), "-k", str(k), "--max-tokens", str(max_tokens),
             "--temperature", "0.8", "--seed", str(seed), "--reward-config", str(out / "pair_rewards.yaml"),
             "--out", str(all_pairs)],
            logs / "pairs.log",
            timeout,
        )  # fmt: skip
        meta.write_text(json.dumps(settings) + "\n", encoding="utf-8")
    rows = [rec for _, rec in read_jsonl(all_pairs).records]
    train_ids, held_ids = split_ids([r["id"] for r in prompts], seed=seed)
    for name, ids in (("train", train_ids), ("val", held_ids)):
        (out / f"pairs-{name}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows if r["id"] in ids),
            encoding="utf-8",
        )
    pair_counts = {
        "prompts": len(prompts),
        "bundled_without_stated_length": unstated,
        "pairs": len(rows),
        "train": sum(r["id"] in train_ids for r in rows),
        "val": sum(r["id"] in held_ids for r in rows),
    }
    seconds["pairs"] = time.monotonic() - t

    t = time.monotonic()
    _cli(
        ["dpo", "--preset", "tiny-cpu", "--model", str(writer), "--pairs", str(out / "pairs-train.jsonl"),
         "--val-pairs", str(out / "pairs-val.jsonl"), "--out", str(out / "dpo"), *dpo_overrides],
        logs / "dpo.log",
        timeout,
    )  # fmt: skip
    dpo = json.loads((out / "dpo" / "dpo_train.json").read_text(encoding="utf-8"))
    seconds["dpo"] = time.monotonic() - t

    items = out / "eval-data" / "longbench_write.jsonl"
    _eval_items(Path(lbw), items, max_required)
    s_l: dict[str, dict[str, float]] = {}
    overall: dict[str, float] = {}
    produced: dict[str, float] = {}
    for name, model in (("sft-writer", writer), ("dpo", out / "dpo" / "final")):
        t = time.monotonic()
        run = out / "eval" / name
        _cli(
            ["eval", "longbench-write", "--model", str(model), "--name", name, "--max-model-len", "1024",
             "--max-tokens", str(max_tokens), "--temperature", "0.8", "--seed", str(seed), "--no-progress",
             "--no-judge", "--data", str(items), "--out", str(run)],
            logs / f"eval-{name}.log",
            timeout,
        )  # fmt: skip
        scores = json.loads((run / "scores.json").read_text(encoding="utf-8"))
        failed = [i["id"] for i in scores["items"] if i.get("S_l") is None]
        if failed:
            raise RuntimeError(f"{name}: {len(failed)} item(s) without S_l (generation failed): {failed}")
        s_l[name] = {str(i["id"]): float(i["S_l"]) for i in scores["items"]}
        overall[name] = float(scores["overall"]["S_l"])
        produced[name] = sum(float(i["produced"]) for i in scores["items"]) / len(scores["items"])
        seconds[f"eval {name}"] = time.monotonic() - t
    stats = paired_stats(s_l["sft-writer"], s_l["dpo"], seed=seed)
    result = DpoLearning(out, pair_counts, dpo, s_l, overall, produced, stats, seconds)
    (out / "dpo_learning.json").write_text(
        json.dumps(
            {
                "pairs": pair_counts,
                "overall_S_l": overall,
                "mean_produced": produced,
                "stats": stats.__dict__,
                "val_curve": dpo.get("val_curve"),
                "seconds": seconds,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return result
