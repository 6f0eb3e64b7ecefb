"""Preference pairs for DPO-style follow-ups: sample K outputs per instruction, score, pair.

LongWriter built its long-output DPO data by sampling several outputs per instruction, scoring
them, and pairing the best one (chosen) with a random other one (rejected). :func:`build_pairs`
does the same with this project's rewards (:func:`rewards.score_batch`: length, writing quality,
format), keeping every score beside the pair. Sampling goes through either rollout backend: an
OpenAI-compatible endpoint (:class:`rollout.endpoint.EndpointClient`, one request per sample with
its own seed, cached so a re-run resumes) or an in-process vLLM :class:`rollout.engine.Engine`.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollout.text import language_of
from sft_baseline.agentwrite import Instruction

__all__ = ["Sample", "sample_with_endpoint", "sample_with_engine", "build_pairs", "write_pairs"]


@dataclass
class Sample:
    """One sampled output; ``error`` is set (and ``text`` empty) when the call failed."""

    id: str
    index: int
    text: str
    finish_reason: str | None = None
    error: str | None = None


def sample_with_endpoint(
    items: Sequence[Instruction],
    client: Any,
    k: int,
    *,
    template: str = "plan_write",
    max_tokens: int = 4096,
    temperature: float = 0.8,
    seed: int = 0,
    progress: bool = True,
) -> list[list[Sample]]:
    """``k`` samples per item from an EndpointClient; sample ``j`` is sent with ``seed + j``."""
    from rollout.endpoint import ChatRequest
    from rollout.format import chat_messages

    requests = [
        ChatRequest(
            messages=chat_messages(it.instruction, template),
            params={"max_tokens": max_tokens, "temperature": temperature, "seed": seed + j},
            id=f"{it.id}#{j}",
        )
        for it in items
        for j in range(k)
    ]
    results = client.run(requests, progress="sampling" if progress else False)
    out: list[list[Sample]] = [[] for _ in items]
    for n, res in enumerate(results):
        i, j = divmod(n, k)
        out[i].append(Sample(items[i].id, j, res.text or "", res.finish_reason, res.error))
    return out


def sample_with_engine(
    items: Sequence[Instruction],
    engine: Any,
    k: int,
    *,
    template: str = "plan_write",
    max_tokens: int = 4096,
    temperature: float = 0.8,
    seed: int = 0,
) -> list[list[Sample]]:
    """``k`` samples per item from an in-process rollout Engine (one batched vLLM call)."""
    from rollout.engine import GenerationRequest, SamplingSettings

    reqs = [
        GenerationRequest(id=it.id, prompt=it.instruction, template=template, style="chat") for it in items
    ]
    sampling = SamplingSettings(max_tokens=max_tokens, temperature=temperature, n=k, seed=seed)
    by_id: dict[str, list[Sample]] = {it.id: [] for it in items}
    for r in engine.generate(reqs, sampling):
        by_id[r.id].append(Sample(r.id, r.sample_index, r.text, r.finish_reason))
    return [by_id[it.id] for it in items]


def build_pairs(
    items: Sequence[Instruction],
    samples: Sequence[Sequence[Sample]],
    reward_config: Any = None,
    *,
    seed: int = 0,
    min_margin: float = 0.0,
) -> tuple[list[dict], dict[str, int]]:
    """Score every sample and pair each item's best with a random other; return (pairs, skipped).

    ``chosen`` is the highest total reward (the first on ties); ``rejected`` is drawn uniformly,
    seeded by ``seed`` and the item id, from the other scored samples. An item is skipped, with
    the reason counted in ``skipped``, when fewer than two samples came back or when the pair's
    margin is not above ``min_margin`` (a tie teaches nothing).
    """
    from rewards import RewardSample, score_batch

    flat = [
        (i, s)
        for i, group in enumerate(samples)
        for s in group
        if s.error is None  # failed calls are not candidates
    ]
    rsamples = [
        RewardSample(
            prompt=items[i].instruction,
            response=s.text,
            metadata={
                "id": s.id,
                "language": language_of(items[i].instruction),
                "finish_reason": s.finish_reason or "stop",
            },
        )
        for i, s in flat
    ]
    scores = score_batch(rsamples, reward_config) if rsamples else []
    per_item: dict[int, list[tuple[Sample, Any]]] = {}
    for (i, s), b in zip(flat, scores, strict=True):
        per_item.setdefault(i, []).append((s, b))

    pairs: list[dict] = []
    skipped: Counter = Counter()
    for i, it in enumerate(items):
        cands = per_item.get(i, [])
        if len(cands) < 2:
            skipped["fewer_than_2_samples"] += 1
            continue
        best = max(range(len(cands)), key=lambda j: (cands[j][1].total, -j))
        rng = random.Random(f"{seed}:{it.id}")
        other = rng.choice([j for j in range(len(cands)) if j != best])
        (cs, cb), (rs, rb) = cands[best], cands[other]
        margin = cb.total - rb.total
        if margin <= min_margin:
            skipped["no_margin"] += 1
            continue
        pairs.append(
            {
                "id": it.id,
                "prompt": it.instruction,
                "chosen": cs.text,
                "rejected": rs.text,
                "chosen_score": cb.total,
                "rejected_score": rb.total,
                "margin": margin,
                "chosen_index": cs.index,
                "rejected_index": rs.index,
                "chosen_rewards": cb.to_dict(),
                "rejected_rewards": rb.to_dict(),
                "scores": [b.total for _, b in cands],
            }
        )
    return pairs, dict(skipped)


def write_pairs(pairs: Sequence[dict], path: str | Path) -> Path:
    """Write pairs as jsonl (one pair per line) to ``path``; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    return path
