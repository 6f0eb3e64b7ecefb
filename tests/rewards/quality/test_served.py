"""The served quality backend against a real HTTP server on 127.0.0.1 speaking vLLM's /classify."""

from __future__ import annotations

import math

import pytest
from fake_openai import FakeOpenAIServer, Reply

from rewards.base import RewardConfig, RewardSample, score_batch
from rewards.quality.served import raw_from_probs


def _config(server, **extra) -> RewardConfig:
    opts = {
        "backend": "served",
        "base_url": server.url,
        "model": server.model,
        "max_retries": 1,
        "backoff_base": 0.01,
        "timeout": 5.0,
        "batch_size": 2,
        "concurrency": 2,
        **extra,
    }
    return RewardConfig(rewards={"quality": 1.0}, options={"quality": opts})


def _samples(n: int) -> list[RewardSample]:
    return [
        RewardSample(f"Write about topic {i}.", f"<think>plan</think><answer>{'word ' * (5 + i)}</answer>")
        for i in range(n)
    ]


@pytest.fixture
def tok_model(tiny_model):
    return str(tiny_model)


def test_scores_come_from_the_server_as_raw_logits_then_squashed(tok_model):
    seen = []

    def classify(body, attempt):
        seen.append(body)
        return [[0.1 * (len(ids) % 7) - 0.3] for ids in body["input"]]

    with FakeOpenAIServer(classify_responder=classify, model=tok_model) as server:
        out = score_batch(_samples(5), _config(server))
    # 5 samples in batches of 2: three requests, raw logits asked for (activation off)
    assert len(seen) == 3 and all(b["use_activation"] is False and b["model"] == tok_model for b in seen)
    assert sorted(len(b["input"]) for b in seen) == [1, 2, 2]
    from transformers import AutoTokenizer

    from rewards.quality.classifier import build_inputs

    tok = AutoTokenizer.from_pretrained(tok_model)
    for i, b in enumerate(out):  # each sample gets the score of its own token ids
        ids = build_inputs(tok, f"Write about topic {i}.", ("word " * (5 + i)).strip(), 8192)
        raw = 0.1 * (len(ids) % 7) - 0.3
        assert b.details["quality.raw"] == pytest.approx(raw)
        assert b.components["quality"] == pytest.approx(1 / (1 + math.exp(-raw)))


def test_same_token_ids_as_the_classifier_backend(tok_model):
    from transformers import AutoTokenizer

    from rewards.quality.classifier import build_inputs

    seen = []
    with FakeOpenAIServer(
        classify_responder=lambda b, a: seen.append(b) or [[0.0]] * len(b["input"]), model=tok_model
    ) as server:
        score_batch(_samples(1), _config(server, max_length=32))
    tok = AutoTokenizer.from_pretrained(tok_model)
    assert seen[0]["input"][0] == build_inputs(tok, "Write about topic 0.", ("word " * 5).strip(), 32)


def test_failures_are_missing_never_zero(tok_model):
    def classify(body, attempt):
        first = body["input"][0]
        if len(first) % 2 == 0 and attempt == 0:
            return Reply.error(503)  # retried once, then fine
        if len(body["input"]) == 1:
            return Reply.error(400, "bad input")  # not retryable: missing
        return [[1.0]] * (len(body["input"]) - 1)  # one score short: the last sample is missing

    with FakeOpenAIServer(classify_responder=classify, model=tok_model) as server:
        out = score_batch(_samples(5), _config(server))
    comps = [b.components["quality"] for b in out]
    assert comps[0] == pytest.approx(1 / (1 + math.exp(-1.0)))
    assert comps[1] is None and "no score for this sample" in " ".join(out[1].reasons)
    assert comps[4] is None and "HTTP 400" in " ".join(out[4].reasons)
    assert all(b.total is None or not math.isnan(b.total) for b in out)


def test_server_down_and_malformed_bodies_are_missing(tok_model):
    with FakeOpenAIServer(classify_responder=lambda b, a: Reply.malformed("html"), model=tok_model) as server:
        out = score_batch(_samples(2), _config(server))
    assert all(b.components["quality"] is None for b in out)
    assert "malformed" in " ".join(out[0].reasons)
    server = FakeOpenAIServer(model=tok_model)
    url = server.url
    server._httpd.server_close()  # nothing listens on that port any more
    cfg = RewardConfig(
        rewards={"quality": 1.0},
        options={
            "quality": {
                "backend": "served",
                "base_url": url,
                "model": tok_model,
                "max_retries": 0,
                "timeout": 2.0,
            }
        },
    )
    out = score_batch(_samples(1), cfg)
    assert out[0].components["quality"] is None and "connection error" in " ".join(out[0].reasons)


def test_empty_answer_is_zero_without_a_request(tok_model):
    with FakeOpenAIServer(model=tok_model) as server:
        out = score_batch([RewardSample("Write.", "<think>p</think><answer></answer>")], _config(server))
        assert out[0].components["quality"] == 0.0 and not server.snapshot()


def test_required_placeholder_fails_loudly():
    # A config may carry the GPU presets' placeholder (rl.presets.check_reward_config refuses it
    # before a run); scoring with it fails loudly, naming the option to set.
    from rewards.quality.served import check_served_options

    with pytest.raises(ValueError, match="reward_options.quality.model"):
        check_served_options(
            {"backend": "served", "base_url": "http://h:1", "model": "REQUIRED: path of the RM"}
        )
    with pytest.raises(ValueError, match="base_url"):
        RewardConfig(rewards={"quality": 1.0}, options={"quality": {"backend": "served", "model": "/x"}})


def test_raw_from_probs():
    assert raw_from_probs([0.25]) == 0.25
    assert raw_from_probs([0.0, 0.0]) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        raw_from_probs([])
    with pytest.raises(ValueError):
        raw_from_probs("x")
