"""Rollout throughput: the vLLM engine against Hugging Face ``generate``, and the endpoint client
against a loopback server with a fixed latency.

1. Same tiny model, prompts, ``n`` and ``max_tokens``, sampling at temperature 1: generated tokens
   per second of :class:`rollout.engine.Engine` (vLLM CPU build) and of ``transformers``
   ``generate`` (batched, left-padded), after one warm-up each, best of 3 interleaved runs; the
   ratio vLLM / HF.
2. :class:`rollout.endpoint.EndpointClient` at concurrency 1, 8 and 32 against the fake
   OpenAI-compatible server of tests/helpers (its own process, 127.0.0.1) answering after 200 ms:
   achieved requests per second against the ideal (concurrency / latency), after one warm-up
   request (imports, connection).

Run: ``PYTHONPATH=$PWD .venv/bin/python -m benchmarks rollout``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

PROMPTS = [
    "Write a 600-word essay about how rivers shape the cities built beside them.",
    "写一篇800字左右的散文，题目是《秋天的图书馆》。",
    "Write a short story of about 1,000 words about a lighthouse keeper's last night.",
    "请写一篇不少于1500字的科普文章，介绍海洋中的微塑料问题。",
]
N, MAX_TOKENS = 4, 128
REPEATS = 3
LATENCY = 0.2


def setup_vllm(model: str):
    """A warmed-up vLLM engine and a function timing one full generation: (tokens, seconds)."""
    from rollout.engine import Engine, GenerationRequest, SamplingSettings

    t0 = time.monotonic()
    engine = Engine(model, max_model_len=2048, seed=0)
    start = time.monotonic() - t0
    requests = [GenerationRequest(str(i), p) for i, p in enumerate(PROMPTS)]
    sampling = SamplingSettings(max_tokens=MAX_TOKENS, n=N, temperature=1.0, stop=())
    engine.generate(requests[:1], SamplingSettings(max_tokens=8, n=1))  # warm-up

    def run() -> tuple[int, float]:
        t0 = time.monotonic()
        results = engine.generate(requests, sampling)
        return sum(r.completion_tokens for r in results), time.monotonic() - t0

    return run, [engine.render(r) for r in requests], start


def setup_hf(model: str, prompts: list[str]):
    """A warmed-up transformers model and a function timing one full ``generate``."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model, padding_side="left")
    lm = AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32).eval()
    batch = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    eos = {tok.eos_token_id, tok.pad_token_id}

    def run(max_new: int = MAX_TOKENS) -> tuple[int, float]:
        t0 = time.monotonic()
        with torch.no_grad():
            out = lm.generate(
                **batch,
                do_sample=True,
                temperature=1.0,
                top_p=1.0,
                max_new_tokens=max_new,
                num_return_sequences=N,
                pad_token_id=tok.pad_token_id,
            )
        seconds = time.monotonic() - t0
        new = out[:, batch["input_ids"].shape[1] :].tolist()
        # Tokens up to and including the first end token, as vLLM counts them.
        tokens = sum(next((i + 1 for i, t in enumerate(seq) if t in eos), len(seq)) for seq in new)
        return tokens, seconds

    torch.manual_seed(0)
    run(8)  # warm-up
    return run


async def _measure(url: str, concurrency: int) -> dict:
    from rollout.endpoint import ChatRequest, EndpointClient

    async with EndpointClient(url, "fake-model", concurrency=concurrency, timeout=30) as client:
        # Warm-up in the same event loop: connections open, lazy imports and first-use costs paid.
        await client.chat_many(
            [ChatRequest([{"role": "user", "content": f"w{i}"}]) for i in range(concurrency)]
        )
        reqs = [
            ChatRequest([{"role": "user", "content": f"q{concurrency}-{i}"}]) for i in range(8 * concurrency)
        ]
        t0 = time.monotonic()
        results = await client.chat_many(reqs)
        seconds = time.monotonic() - t0
    assert all(r.ok for r in results), [r.error for r in results if not r.ok][:3]
    return {
        "concurrency": concurrency,
        "requests": len(reqs),
        "rps": len(reqs) / seconds,
        "ideal": concurrency / LATENCY,
    }


def bench_endpoint() -> list[dict]:
    import subprocess

    # The server in its own process, so its threads do not share this process's GIL.
    helper = Path(__file__).resolve().parents[1] / "tests" / "helpers" / "fake_openai.py"
    proc = subprocess.Popen(
        [sys.executable, str(helper), "--latency", str(LATENCY)], stdout=subprocess.PIPE, text=True
    )
    try:
        url = proc.stdout.readline().strip()
        return [asyncio.run(_measure(url, concurrency)) for concurrency in (1, 8, 32)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    """Print both tables with their ratios (figures go to benchmarks/RESULTS.md)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    from rollout.tiny import tiny_model_path

    model = str(tiny_model_path(seed=0))
    run_vllm, prompts, start = setup_vllm(model)
    run_hf = setup_hf(model, prompts)
    # Interleaved repeats, best of each: the machine is shared, so one slow run says little.
    v_runs, h_runs = [], []
    for _ in range(REPEATS):
        v_runs.append(run_vllm())
        h_runs.append(run_hf())
    v_tok, v_sec = max(v_runs, key=lambda r: r[0] / r[1])
    h_tok, h_sec = max(h_runs, key=lambda r: r[0] / r[1])
    v_tps, h_tps = v_tok / v_sec, h_tok / h_sec
    print(
        f"\nGeneration: tiny Qwen2, {len(PROMPTS)} prompts x n={N}, max_tokens={MAX_TOKENS}, "
        f"temperature 1, best of {REPEATS} interleaved runs"
    )
    print(f"{'backend':22} {'tokens':>7} {'seconds':>8} {'tokens/s':>9} {'all runs (tokens/s)':>22}")
    for name, tok, sec, runs in (
        ("HF generate (baseline)", h_tok, h_sec, h_runs),
        ("vLLM Engine", v_tok, v_sec, v_runs),
    ):
        spread = " ".join(f"{t / s:.0f}" for t, s in runs)
        print(f"{name:22} {tok:>7} {sec:>8.2f} {tok / sec:>9.0f} {spread:>22}")
    print(f"ratio vLLM / HF: {v_tps / h_tps:.2f}x   (vLLM engine start: {start:.1f} s, not counted)")

    rows = bench_endpoint()
    print(f"\nEndpoint client vs loopback server, fixed latency {LATENCY * 1000:.0f} ms")
    print(f"{'concurrency':>11} {'requests':>8} {'req/s':>7} {'ideal':>6} {'achieved/ideal':>14}")
    for r in rows:
        print(
            f"{r['concurrency']:>11} {r['requests']:>8} {r['rps']:>7.1f} {r['ideal']:>6.1f} "
            f"{r['rps'] / r['ideal']:>14.2f}"
        )


if __name__ == "__main__":
    main()
