"""Reward cost at scale: measured per-answer cost of each reward part, projected to a
LongWriter-Zero step (1,024 answers of 10,000 words) for a number of reward workers.

Run: ``PYTHONPATH=. .venv/bin/python -m benchmarks reward_scale`` (a few minutes on 2 cores).

Measured here, per 10,000-word answer (wall seconds, one process):

* ``rule-based`` - length + format without its MiniLM part (parse, counts, n-gram repetition);
* ``MiniLM (CPU)`` - the embedding quality backend + format's semantic repetition;
* ``classifier RM (CPU), tiny`` - the tiny Qwen2 RM (2 layers, hidden 64) through the classifier
  backend at a 16,384-token budget: what the RM path itself costs (tokenise, encode, batch);
* ``matmul FLOP/s (CPU)`` - float32 GEMM throughput of this CPU, used for the 7B projection.

Projected (not measured): a 7B RM on CPU (2 x 7.6e9 FLOPs per token at the measured GEMM rate,
1.3 Qwen tokens per English word) and on GPU (H100 bf16 at an assumed 40 % of 989 TFLOP/s).
The step table divides 1,024 answers over K workers and compares with ``ROLLOUT_S`` (default 600 s,
an assumed LongWriter-Zero rollout phase for 14k-token samples): a part "fits" when its share of
the step is under the rollout time it can overlap with.
"""

from __future__ import annotations

import os
import random
import time

WORDS = 10_000
STEP_ANSWERS = 1024
ROLLOUT_S = float(os.environ.get("ROLLOUT_S", "600"))
WORKERS = (8, 64, 512)
TOKENS_PER_WORD = 1.3  # Qwen2.5 tokenizer on English prose (assumption)
RM_PARAMS_7B = 7.6e9
GPU_FLOPS = 0.4 * 989e12  # H100 bf16 dense, 40 % utilisation (assumption)


def _responses(n: int, seed: int = 0) -> list[tuple[str, str]]:
    from benchmarks.rewards import _response

    rng = random.Random(seed)
    return [(f"Write a {WORDS}-word history of river trade.", _response(rng, WORDS)) for _ in range(n)]


def _per_answer(cfg, pairs, repeats: int = 1) -> float:
    from rewards.base import RewardSample, score_batch

    samples = [RewardSample(p, r, {"target": {"lower": 9000, "upper": 11000}}) for p, r in pairs]
    score_batch(samples[:1], cfg)  # warm-up: model loads, caches
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        score_batch(samples, cfg)
        best = min(best, time.perf_counter() - t0)
    return best / len(samples)


def _gemm_flops() -> float:
    import torch

    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    a @ b
    t0 = time.perf_counter()
    for _ in range(10):
        a @ b
    return 10 * 2 * 1024**3 / (time.perf_counter() - t0)


def _tiny_rm(path) -> str:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from rollout.tiny import tiny_model_path

    src = tiny_model_path(seed=0)
    model = AutoModelForSequenceClassification.from_pretrained(src, num_labels=1)
    tok = AutoTokenizer.from_pretrained(src)
    model.config.pad_token_id = tok.pad_token_id
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return str(path)


def measure() -> dict[str, float]:
    """Seconds per 10,000-word answer for each measured part, and the CPU GEMM rate (FLOP/s)."""
    import tempfile

    from rewards.base import RewardConfig

    out: dict[str, float] = {}
    rule = RewardConfig({"length": 1.0, "format": 1.0}, {"format": {"semantic": False}})
    out["rule-based"] = _per_answer(rule, _responses(8), repeats=3)
    minilm = RewardConfig({"quality": 1.0, "format": 1.0}, {"quality": {"backend": "embedding"}})
    out["MiniLM (CPU)"] = _per_answer(minilm, _responses(4))
    with tempfile.TemporaryDirectory() as tmp:
        rm = RewardConfig(
            {"quality": 1.0},
            {
                "quality": {
                    "backend": "classifier",
                    "model": _tiny_rm(tmp),
                    "max_length": 16384,
                    "device": "cpu",
                    "batch_size": 2,
                }
            },
        )
        out["classifier RM (CPU), tiny"] = _per_answer(rm, _responses(4))
    out["gemm_flops"] = _gemm_flops()
    return out


def project(measured: dict[str, float]) -> list[tuple[str, float, str]]:
    """(part, seconds per answer, how obtained) including the projected 7B RM rows."""
    tokens = WORDS * TOKENS_PER_WORD
    flops_7b = 2 * RM_PARAMS_7B * tokens
    rows = [(k, v, "measured") for k, v in measured.items() if k != "gemm_flops"]
    rows.append(("7B RM (CPU)", flops_7b / measured["gemm_flops"], "projected: FLOPs / measured GEMM rate"))
    rows.append(("7B RM (1 H100 GPU)", flops_7b / GPU_FLOPS, "projected: 40% of H100 bf16 peak"))
    rows.append(
        (
            "72B RM (1 H100 GPU)",
            flops_7b / RM_PARAMS_7B * 72e9 / GPU_FLOPS,
            "projected: 40% of H100 bf16 peak",
        )
    )
    return rows


def main() -> None:
    """Print the per-answer table and the step projection."""
    measured = measure()
    rows = project(measured)
    print(f"\nper {WORDS:,}-word answer (CPU GEMM rate measured: {measured['gemm_flops'] / 1e9:.1f} GFLOP/s)")
    print(f"{'part':28s} {'s/answer':>10s}  how")
    for part, sec, how in rows:
        print(f"{part:28s} {sec:10.3f}  {how}")
    base = measured["rule-based"]
    print(
        "\nratio against the rule-based baseline (same run): "
        + ", ".join(f"{p} {s / base:,.0f}x" for p, s, _ in rows[1:])
    )
    print(
        f"\nLongWriter-Zero step: {STEP_ANSWERS} answers x {WORDS:,} words; rollout assumed {ROLLOUT_S:.0f} s"
    )
    head = "".join(f"{f'{k} workers':>16s}" for k in WORKERS)
    print(f"{'part':28s}{'serial s':>12s}{head}  fits with {WORKERS[-1]}?")
    for part, sec, _ in rows:
        serial = sec * STEP_ANSWERS
        cells = "".join(f"{serial / k:16.1f}" for k in WORKERS)
        fits = "yes" if serial / WORKERS[-1] < ROLLOUT_S else "no"
        print(f"{part:28s}{serial:12.1f}{cells}  {fits}")
    print("(GPU rows: 'workers' = GPUs serving the RM.)")


if __name__ == "__main__":
    main()
