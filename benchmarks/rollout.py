"""Rollout throughput: the vLLM engine against Hugging Face ``generate``, and the endpoint client
against a loopback server with a fixed latency.

1. A random Qwen2 large enough that arithmetic dominates a decode step on CPU (:data:`BENCH_MODEL`,
   about 11 M parameters, built once into the cache) and 48 requests of 16-192 tokens each
   (seeded), sampling at temperature 1 with EOS ignored, so every request produces exactly its
   length. vLLM (:class:`rollout.engine.Engine`'s ``LLM``, one ``SamplingParams`` per request)
   retires each sequence when it is done (continuous batching); HF ``generate`` runs one
   left-padded static batch until the longest request is done. Tokens per second counts each
   request's own length, after one warm-up each, best of 3 interleaved runs; the ratio vLLM / HF.
2. The endpoint client at concurrency 1, 8, 32 and 128 against a fast loopback OpenAI-compatible
   server (benchmarks/_loopback.py: aiohttp.web in its own process on 127.0.0.1, so it shares no
   GIL with the client and is not the limit) that answers every chat completion after a fixed
   :data:`LATENCY` of ``asyncio.sleep``. Each level sends ``WAVES x concurrency`` requests after
   one warm-up wave (connections, imports). Ideal = ``concurrency / LATENCY`` requests per second
   (every request taking exactly the latency, ``WAVES`` back-to-back waves); the fraction of the
   ideal is achieved / ideal. Three clients, interleaved at each level: the baseline, a bare
   aiohttp loop with no client logic (what the transport alone reaches in the same run); the
   generic path (:meth:`rollout.endpoint.EndpointClient.chat_many`, no cache); and the judge path
   (:func:`eval.judge.judge_answers`: prompt rendering, the client, verdict parsing; the server's
   reply is a valid six-dimension verdict). Each client runs ``REPEATS`` times, interleaved with
   the others; the table keeps each client's best run and lists every run's fraction, and gives
   each path's best rate against the bare baseline's. Each client's process CPU time per request
   is printed too: on a shared machine the achieved fraction depends on the load (single runs at
   128 swing widely there), the CPU cost does not. Why 1 s: see the comment at :data:`LATENCY`.

Run: ``PYTHONPATH=$PWD .venv/bin/python -m benchmarks rollout`` (part 2 alone:
``python -c "from benchmarks.rollout import endpoint_table; endpoint_table()"``).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

from benchmarks._loopback import timed

PROMPTS = [
    "Write a 600-word essay about how rivers shape the cities built beside them.",
    "写一篇800字左右的散文，题目是《秋天的图书馆》。",
    "Write a short story of about 1,000 words about a lighthouse keeper's last night.",
    "请写一篇不少于1500字的科普文章，介绍海洋中的微塑料问题。",
]
N_SEQUENCES = 48  # requests, each with its own length
MIN_TOKENS, MAX_TOKENS = 16, 192  # per-request completion lengths, drawn uniformly (seed 0)
REPEATS = 3
# Endpoint part: a real judge call takes seconds (a verdict of a few hundred tokens); 1 s is a
# scaled-down one. At concurrency 128 the budget per request is latency / 128 = 7.8 ms, against
# ~1 ms of CPU per request (client ~0.6-0.8 ms + server ~0.35 ms): small. At 200 ms it would be
# 1.6 ms, and on two cores shared with other jobs the scheduler, not the client, sets the rate.
LATENCY = 1.0
WAVES = 8  # requests per concurrency level = WAVES x concurrency
CONCURRENCY = (1, 8, 32, 128)
# A random Qwen2 big enough that matrix arithmetic, not per-step Python, dominates a decode step
# on CPU (about 11 M parameters: 22 MFLOP per token, ~1 GFLOP per step at batch 48).
BENCH_MODEL = {
    "hidden_size": 384,
    "intermediate_size": 1024,
    "num_hidden_layers": 6,
    "num_attention_heads": 6,
    "num_key_value_heads": 2,
    "head_dim": 64,
}


def bench_model_path() -> Path:
    """The benchmark's random model (the tiny model's tokenizer, :data:`BENCH_MODEL` sizes),
    built once into the project cache (``$LONGWRITE_CACHE_DIR`` or ``~/.cache/longwriter-rl``)."""
    import shutil

    from rollout.tiny import tiny_model_path

    tiny = tiny_model_path(seed=0)
    root = Path(os.environ.get("LONGWRITE_CACHE_DIR") or Path.home() / ".cache" / "longwriter-rl")
    tag = "-".join(str(v) for v in BENCH_MODEL.values())
    path = root / f"bench-qwen2-{tag}"
    if (path / "config.json").exists():
        return path
    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    base = Qwen2Config.from_pretrained(tiny)
    # layer_types lists one entry per layer of the tiny model: let the new depth rebuild it.
    keep = {k: v for k, v in base.to_dict().items() if k not in ("layer_types", "max_window_layers")}
    config = Qwen2Config(**{**keep, **BENCH_MODEL})
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(config)
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    AutoTokenizer.from_pretrained(tiny).save_pretrained(tmp)
    for extra in ("generation_config.json",):
        if (tiny / extra).exists():
            shutil.copy(tiny / extra, tmp / extra)
    os.replace(tmp, path)
    return path


def workload() -> tuple[list[str], list[int]]:
    """``N_SEQUENCES`` user prompts and their completion lengths (tokens, varied, seeded)."""
    import random

    rng = random.Random(0)
    prompts = [f"{PROMPTS[i % len(PROMPTS)]} ({i})" for i in range(N_SEQUENCES)]
    return prompts, [rng.randint(MIN_TOKENS, MAX_TOKENS) for _ in prompts]


def setup_vllm(model: str, prompts: list[str], lengths: list[int]):
    """A warmed-up vLLM engine and a function timing the workload: (tokens, seconds).

    Each request has its own ``max_tokens`` and ignores EOS, so it produces exactly its length;
    vLLM's continuous batching retires each sequence when it is done."""
    from vllm import SamplingParams

    from rollout.engine import Engine, GenerationRequest

    t0 = time.monotonic()
    engine = Engine(model, max_model_len=1024, seed=0)
    start = time.monotonic() - t0
    rendered = [engine.render(GenerationRequest(str(i), p)) for i, p in enumerate(prompts)]
    params = [
        SamplingParams(max_tokens=n, min_tokens=n, ignore_eos=True, temperature=1.0, seed=i)
        for i, n in enumerate(lengths)
    ]
    engine.llm.generate(rendered[:2], params[:2], use_tqdm=False)  # warm-up

    def run() -> tuple[int, float]:
        t0 = time.monotonic()
        outs = engine.llm.generate(rendered, params, use_tqdm=False)
        seconds = time.monotonic() - t0
        return sum(len(o.outputs[0].token_ids) for o in outs), seconds

    return run, rendered, start


def setup_hf(model: str, rendered: list[str], lengths: list[int]):
    """A warmed-up transformers model and a function timing the same workload with one batched
    ``generate`` (left-padded; a static batch runs until its longest request is done, and only
    each request's own length counts as produced)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model, padding_side="left")
    lm = AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32).eval()
    lm.generation_config.eos_token_id = None  # like ignore_eos: every request runs to its length
    batch = tok(rendered, return_tensors="pt", padding=True, add_special_tokens=False)

    def run(max_new: int = max(lengths)) -> tuple[int, float]:
        t0 = time.monotonic()
        with torch.no_grad():
            out = lm.generate(
                **batch, do_sample=True, temperature=1.0, top_p=1.0, max_new_tokens=max_new,
                min_new_tokens=max_new, pad_token_id=tok.pad_token_id,
            )  # fmt: skip
        seconds = time.monotonic() - t0
        assert out.shape[1] - batch["input_ids"].shape[1] == max_new
        return sum(min(n, max_new) for n in lengths), seconds

    torch.manual_seed(0)
    run(4)  # warm-up
    return run


async def _measure_bare(url: str, concurrency: int, waves: int) -> dict:
    """The baseline: a bare aiohttp loop with no client logic (one session, a semaphore, POST,
    read, ``json.loads``, take the content) - what the transport alone allows on this machine."""
    from benchmarks._loopback import measure_bare

    row, texts = await measure_bare(url, concurrency, waves, str, "loopback-model")
    assert all(texts)
    return row


async def _measure_client(url: str, concurrency: int, waves: int) -> dict:
    """The generic path: :meth:`rollout.endpoint.EndpointClient.chat_many` (no cache)."""
    from rollout.endpoint import ChatRequest, EndpointClient

    async with EndpointClient(url, "loopback-model", concurrency=concurrency, timeout=30) as client:
        # Warm-up in the same event loop: connections open, lazy imports and first-use costs paid.
        await client.chat_many(
            [ChatRequest([{"role": "user", "content": f"w{i}"}]) for i in range(concurrency)]
        )
        reqs = [
            ChatRequest([{"role": "user", "content": f"q{concurrency}-{i}"}])
            for i in range(waves * concurrency)
        ]
        t0, c0 = time.monotonic(), time.process_time()
        results = await client.chat_many(reqs)
        row = timed(len(reqs), t0, c0)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok][:3]
    return row


async def _measure_judge(url: str, concurrency: int, waves: int) -> dict:
    """The judge path: :func:`eval.judge.judge_answers` (prompt rendering, the client, verdict
    parsing) rating ``waves x concurrency`` answers; every verdict must parse. The same measure as
    the judge benchmark's LongBench-Write path (:func:`benchmarks.judge.measure_longbench`)."""
    from benchmarks.judge import measure_longbench

    return await measure_longbench(url, concurrency, waves)


CLIENTS = ("bare", "client", "judge")


def bench_endpoint(
    latency: float = LATENCY,
    concurrency: tuple[int, ...] = CONCURRENCY,
    waves: int = WAVES,
    repeats: int = REPEATS,
) -> list[dict]:
    """The three clients against one loopback server (benchmarks/_loopback.py) in its own
    process; one row per concurrency. Each client runs ``repeats`` times, interleaved with the
    others (bare, client, judge, bare, ...); a row keeps each client's best run (``{name}_rps``,
    ``{name}_cpu_ms``) and every run's requests/s (``{name}_runs``)."""
    from benchmarks._loopback import interleaved_rows, start_server
    from eval.scoring import DIMENSIONS

    measures = {"bare": _measure_bare, "client": _measure_client, "judge": _measure_judge}
    # Every reply is a valid six-dimension verdict, so the judge path parses it like a real one.
    proc, url = start_server(latency, json.dumps(dict.fromkeys(DIMENSIONS, 4)))
    try:
        runs = {name: (lambda c, f=f: asyncio.run(f(url, c, waves))) for name, f in measures.items()}
        return interleaved_rows(runs, concurrency, latency, waves, repeats)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    """Print both tables with their ratios (figures go to benchmarks/RESULTS.md)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    load = os.getloadavg()[0]
    model = str(bench_model_path())
    prompts, lengths = workload()
    run_vllm, rendered, start = setup_vllm(model, prompts, lengths)
    run_hf = setup_hf(model, rendered, lengths)
    # Interleaved repeats, best of each: the machine is shared, so one slow run says little.
    v_runs, h_runs = [], []
    for _ in range(REPEATS):
        v_runs.append(run_vllm())
        h_runs.append(run_hf())
    v_tok, v_sec = max(v_runs, key=lambda r: r[0] / r[1])
    h_tok, h_sec = max(h_runs, key=lambda r: r[0] / r[1])
    v_tps, h_tps = v_tok / v_sec, h_tok / h_sec
    size = ", ".join(f"{k.replace('num_', '').replace('_', ' ')} {v}" for k, v in BENCH_MODEL.items())
    print(
        f"\nGeneration: random Qwen2 ({size}), {N_SEQUENCES} requests of {MIN_TOKENS}-{MAX_TOKENS} "
        f"tokens (sum {sum(lengths)}), temperature 1, best of {REPEATS} interleaved runs, "
        f"{os.cpu_count()} CPUs, load average {load:.1f}"
    )
    print(f"{'backend':22} {'tokens':>7} {'seconds':>8} {'tokens/s':>9} {'all runs (tokens/s)':>22}")
    for name, tok, sec, runs in (
        ("HF generate (baseline)", h_tok, h_sec, h_runs),
        ("vLLM Engine", v_tok, v_sec, v_runs),
    ):
        spread = " ".join(f"{t / s:.0f}" for t, s in runs)
        print(f"{name:22} {tok:>7} {sec:>8.2f} {tok / sec:>9.0f} {spread:>22}")
    print(f"ratio vLLM / HF: {v_tps / h_tps:.2f}x   (vLLM engine start: {start:.1f} s, not counted)")
    del run_vllm, run_hf
    endpoint_table()


def endpoint_table(
    latency: float = LATENCY,
    concurrency: tuple[int, ...] = CONCURRENCY,
    waves: int = WAVES,
    repeats: int = REPEATS,
) -> list[dict]:
    """Measure and print the endpoint-client table alone (part 2; no model needed); returns its rows."""
    load = os.getloadavg()[0]
    rows = bench_endpoint(latency, concurrency, waves, repeats)
    print(
        f"\nEndpoint clients vs loopback server (aiohttp.web, own process), fixed latency {latency * 1000:.0f} ms, "
        f"{waves} x concurrency requests per run, best of {repeats} interleaved runs, ideal = concurrency / "
        f"latency, {os.cpu_count()} CPUs, load average {load:.1f} at start, {os.getloadavg()[0]:.1f} at end; "
        "CPU = client process CPU ms per request (best run)"
    )
    print(format_endpoint_rows(rows))
    return rows


def format_endpoint_rows(rows: list[dict]) -> str:
    """The endpoint table as text (:func:`benchmarks._loopback.format_client_rows`): per client (bare
    aiohttp baseline, EndpointClient generic path, judge path), then each path's best rate against
    the bare baseline's best of the same run."""
    from benchmarks._loopback import format_client_rows

    labels = {"bare": "bare aiohttp", "client": "client", "judge": "judge"}
    return format_client_rows(rows, labels, {"client/bare": "client", "judge/bare": "judge"}, 15)


if __name__ == "__main__":
    main()
