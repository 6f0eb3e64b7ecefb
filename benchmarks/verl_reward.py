"""The verl reward entry point: concurrent per-sample calls batched together vs one sample per call.

verl's reward loop calls ``rl.verl_reward.compute_score`` once per sample, all samples of a batch at
once. The entry point gathers them for a few milliseconds and scores them with one
``rewards.score_batch`` (one batched MiniLM encode). The baseline is the same calls with
``max_batch_size=1``: every sample scored (and encoded) on its own, as a naive per-sample reward
function would. Both use the default reward config (length, embedding quality, format).

Run: ``PYTHONPATH=$PWD .venv/bin/python -m benchmarks verl_reward``.
"""

from __future__ import annotations

import asyncio
import os
import time

N_SAMPLES = 16
WORDS = 600  # per answer, in six paragraphs


def _samples(n: int) -> list[tuple[str, dict]]:
    """``n`` well-formed responses of about WORDS words, each with its request and target."""
    import random

    rng = random.Random(0)
    vocab = (
        "harbour river stone light winter market garden letter bridge village music engine "
        "forest signal window morning paper ladder season island thread kitchen lantern"
    ).split()
    out = []
    for k in range(n):
        paragraphs = []
        for _ in range(6):
            words = [rng.choice(vocab) for _ in range(WORDS // 6)]
            paragraphs.append(" ".join(words).capitalize() + ".")
        answer = "\n\n".join(paragraphs)
        response = f"<think>Six sections, about {WORDS // 6} words each.</think><answer>{answer}</answer>"
        info = {"request": f"Write a {WORDS}-word essay, number {k}.", "id": str(k), "language": "en"}
        info["target"] = {
            "lower": int(WORDS * 0.9),
            "upper": int(WORDS * 1.1),
            "unit": "words",
            "source": "explicit",
        }
        out.append((response, info))
    return out


async def _score_all(samples: list[tuple[str, dict]], max_batch_size: int) -> list[dict]:
    from rl.verl_reward import compute_score

    calls = [
        compute_score("longwriter_rl", resp, None, info, max_batch_size=max_batch_size)
        for resp, info in samples
    ]
    return await asyncio.gather(*calls)


def _timed(samples: list[tuple[str, dict]], max_batch_size: int) -> tuple[float, list[dict]]:
    start = time.perf_counter()
    results = asyncio.run(_score_all(samples, max_batch_size))
    return time.perf_counter() - start, results


def main() -> None:
    """Print per-sample time of the batched entry point against one-sample-per-call scoring."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from rewards.embedding import load_minilm

    load_minilm()  # load once before timing: both variants share the loaded encoder
    samples = _samples(N_SAMPLES)
    _timed(samples[:4], 64)  # warm-up (tokenizer caches, first-call overheads)
    per_call, base = _timed(samples, 1)
    batched, res = _timed(samples, 64)
    same = all(abs(a["score"] - b["score"]) < 1e-4 for a, b in zip(base, res, strict=True))
    print(f"{N_SAMPLES} samples of ~{WORDS} words, default rewards (length, embedding quality, format)")
    print(f"{'variant':<34} {'total s':>8} {'ms/sample':>10}")
    print(f"{'one sample per call (baseline)':<34} {per_call:>8.2f} {1000 * per_call / N_SAMPLES:>10.1f}")
    print(f"{'batched across calls':<34} {batched:>8.2f} {1000 * batched / N_SAMPLES:>10.1f}")
    print(f"speed-up: {per_call / batched:.2f}x   same scores: {same}")


if __name__ == "__main__":
    main()
