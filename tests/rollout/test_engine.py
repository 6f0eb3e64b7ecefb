"""The vLLM engine (CPU build) on the tiny model; one engine per session (``tiny_engine``)."""

from __future__ import annotations

import pytest

from rollout.engine import GenerationRequest, SamplingSettings, request_seed
from rollout.format import base_prompt, parse_response

REQUESTS = [
    GenerationRequest("en", "Write a 600-word essay about how rivers shape cities."),
    GenerationRequest("zh", "写一篇800字左右的散文，题目是《秋天的图书馆》。", template="direct"),
    GenerationRequest("raw", "Tell a story.", template="none", style="base"),
]


@pytest.mark.slow
def test_generate_returns_n_parsed_samples_per_request_in_order(tiny_engine):
    results = tiny_engine.generate(REQUESTS, SamplingSettings(max_tokens=12, n=2, temperature=1.0))
    assert [(r.id, r.sample_index) for r in results] == [
        ("en", 0), ("en", 1), ("zh", 0), ("zh", 1), ("raw", 0), ("raw", 1)
    ]  # fmt: skip
    tok = tiny_engine.tokenizer
    for r in results:
        req = next(q for q in REQUESTS if q.id == r.id)
        assert r.prompt == req.prompt
        rendered = tiny_engine.render(req)
        assert r.prompt_tokens == len(tok.encode(rendered, add_special_tokens=req.style == "base"))
        assert 1 <= r.completion_tokens <= 12 and r.seconds > 0
        parsed = parse_response(r.text)
        assert (r.think, r.answer, r.well_formed, r.problems) == (
            parsed.think, parsed.answer, parsed.well_formed, parsed.problems
        )  # fmt: skip
        # 'length' exactly when the sample used up its token budget (a random model rarely ends).
        assert (r.finish_reason == "length") == (r.completion_tokens == 12 and r.finish_reason != "stop")
    assert tiny_engine.render(REQUESTS[2]) == base_prompt("Tell a story.", "none")
    assert sum(r.finish_reason == "length" for r in results) >= 4
    assert len({r.text for r in results}) == len(results)  # samples and requests all differ


@pytest.mark.slow
def test_stop_string_ends_the_sample_and_is_kept(tiny_engine):
    # A stop string this common in the tiny model's noise fires within a few tokens.
    results = tiny_engine.generate(REQUESTS[:2], SamplingSettings(max_tokens=200, n=3, stop=("e", "的")))
    stopped = [r for r in results if r.finish_reason == "stop"]
    assert len(stopped) >= 4
    assert all(r.completion_tokens < 200 for r in stopped)
    # Ended by a stop string (not EOS), which stays in the text.
    assert sum(r.text.endswith(("e", "的")) for r in stopped) >= 3
    for r in results:
        if r.finish_reason == "length":
            assert r.completion_tokens == 200


@pytest.mark.slow
def test_samples_are_reproducible_per_request_whatever_the_batch(tiny_engine):
    sampling = SamplingSettings(max_tokens=10, n=2, temperature=1.0, seed=7)
    batch = tiny_engine.generate(REQUESTS, sampling)
    alone = tiny_engine.generate([REQUESTS[1]], sampling)
    assert [r.text for r in alone] == [r.text for r in batch if r.id == "zh"]
    other_seed = tiny_engine.generate(
        [REQUESTS[1]], SamplingSettings(max_tokens=10, n=2, temperature=1.0, seed=8)
    )
    assert [r.text for r in other_seed] != [r.text for r in alone]


@pytest.mark.slow
def test_bad_batches_fail_before_generating(tiny_engine):
    with pytest.raises(ValueError, match="duplicate request ids"):
        tiny_engine.generate([REQUESTS[0], REQUESTS[0]], SamplingSettings(max_tokens=4))
    huge = GenerationRequest("huge", "word " * 5000)
    with pytest.raises(ValueError, match="'huge'.*max_model_len"):
        tiny_engine.generate([REQUESTS[0], huge], SamplingSettings(max_tokens=4))
    assert tiny_engine.generate([], SamplingSettings()) == []


def test_settings_and_requests_validate_their_fields():
    with pytest.raises(ValueError, match="max_tokens"):
        SamplingSettings(max_tokens=0)
    with pytest.raises(ValueError, match="top_p"):
        SamplingSettings(top_p=0)
    with pytest.raises(ValueError, match="unknown template"):
        GenerationRequest("x", "p", template="plan")
    with pytest.raises(ValueError, match="unknown style"):
        GenerationRequest("x", "p", style="raw")
    assert SamplingSettings(stop=["</answer>"]).stop == ("</answer>",)


def test_request_seeds_are_stable_and_distinct():
    assert request_seed(0, "a") == request_seed(0, "a")
    assert len({request_seed(0, i) for i in "abcdefgh"}) == 8
    assert request_seed(0, "a") != request_seed(1, "a")
    assert request_seed(None, "a") is None
    assert 0 <= request_seed(123, "zz") < 2**31


def request_of_tokens(engine, rid: str, tokens: int) -> GenerationRequest:
    """A plan_write chat request whose rendered prompt is a little under ``tokens`` tokens."""

    def size(k: int) -> int:
        return len(
            engine.tokenizer.encode(
                engine.render(GenerationRequest(rid, "word " * k)), add_special_tokens=False
            )
        )

    k = tokens
    for _ in range(20):
        n = size(k)
        if tokens - 16 <= n <= tokens:
            return GenerationRequest(rid, "word " * k)
        k = max(1, k + (tokens - 8 - n) // 2)
    raise AssertionError(f"could not build a {tokens}-token prompt")


@pytest.mark.slow
def test_a_request_the_context_cannot_hold_is_cut_loudly_and_recorded(tiny_engine, caplog):
    # tiny_engine holds 2048 tokens: a 2040-token prompt leaves room for fewer than 64.
    long = request_of_tokens(tiny_engine, "long", 2040)
    short = REQUESTS[0]
    with caplog.at_level("WARNING", logger="rollout.engine"):
        results = tiny_engine.generate([short, long], SamplingSettings(max_tokens=64, temperature=1.0))
    by_id = {r.id: r for r in results}
    room = 2048 - by_id["long"].prompt_tokens
    assert 0 < room < 64
    assert (by_id["long"].max_tokens, by_id["long"].max_tokens_requested) == (room, 64)
    assert by_id["long"].completion_tokens <= room
    assert (by_id["en"].max_tokens, by_id["en"].max_tokens_requested) == (64, 64)
    [warning] = [r.getMessage() for r in caplog.records if "cut" in r.getMessage()]
    assert "max_tokens 64 cut for 1 of 2 request(s) to fit max_model_len 2048" in warning
    assert f"'long' -> {room}" in warning


_DEFAULT_CONTEXT_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[2])
from test_engine import request_of_tokens
from rollout.engine import Engine, SamplingSettings
engine = Engine(sys.argv[1], seed=0)
req = request_of_tokens(engine, "long", 8180)  # 8180 + 64 > 8192, the old default context
# seed=None: vLLM-CPU cannot rewind a seeded generator across a chunked prefill of this length
[r] = engine.generate([req], SamplingSettings(max_tokens=64, temperature=1.0, seed=None))
print(json.dumps([engine.max_model_len, r.prompt_tokens, r.max_tokens, r.max_tokens_requested]))
"""


@pytest.mark.slow
def test_default_context_is_the_models_own_limit(tiny_model, repo_root):
    # The engine used to default to 8,192 tokens and silently cut every longer request; now the
    # context is the model's limit (the tiny model's max_position_embeddings: 32,768). In its own
    # process: the session's engine already holds this one.
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": str(repo_root), "VLLM_CPU_KVCACHE_SPACE": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", _DEFAULT_CONTEXT_SCRIPT, str(tiny_model), str(Path(__file__).parent)],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    context, prompt_tokens, budget, requested = json.loads(proc.stdout.strip().splitlines()[-1])
    assert context == 32768
    assert prompt_tokens > 8192 - 64
    assert budget == requested == 64
