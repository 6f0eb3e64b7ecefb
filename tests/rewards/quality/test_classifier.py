"""The classifier backend with a tiny random sequence-classification RM built locally."""

import math

import pytest

from rewards import RewardConfig, score_batch
from rewards.quality.classifier import build_inputs, load_classifier, squash


@pytest.fixture(scope="session")
def tiny_classifier(tiny_model, tmp_path_factory):
    """A 2-layer Qwen2 reward model (one-label head, random weights) with the tiny tokenizer."""
    import torch
    from transformers import AutoConfig, AutoTokenizer, Qwen2ForSequenceClassification

    out = tmp_path_factory.mktemp("tiny-rm")
    config = AutoConfig.from_pretrained(tiny_model)
    config.num_labels = 1
    config.max_position_embeddings = 64  # a short context, so the truncation policy is exercised
    torch.manual_seed(0)
    model = Qwen2ForSequenceClassification(config)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(tiny_model).save_pretrained(out)
    return str(out)


def cfg(path, **extra):
    return {
        "rewards": {"quality": 1.0},
        "options": {"quality": {"backend": "classifier", "model": path, **extra}},
    }


def test_squash():
    assert squash(0.0) == 0.5
    assert squash(2.0, center=2.0) == 0.5
    assert squash(1e6) == 1.0 and squash(-1e6) == 0.0
    assert squash(1.0, "clip", scale=1.0) == 1.0
    assert squash(0.5, "clip", scale=1.0) == 0.75
    with pytest.raises(ValueError):
        squash(float("nan"))
    with pytest.raises(ValueError):
        squash(0.0, "cube")


def test_truncation_is_in_the_reward_details(tiny_classifier):
    # the context is 64 tokens: a request of several thousand characters and a 10,000-word answer
    request = "Write a report on these notes. " + " ".join(
        f"note {i} is about the harbour" for i in range(200)
    )
    words = "the tide rose over grey stones while boats waited".split()
    answer = "ANSWERSTART " + " ".join(words[i % len(words)] for i in range(9_998)) + " THEEND"
    tok, _ = load_classifier(tiny_classifier, "cpu")
    ids = build_inputs(tok, request, answer, 64)
    text = tok.decode(ids)
    assert len(ids) == 64 and "Write a report" in text and "ANSWERSTART" in text and "THEEND" in text
    samples = [
        {"prompt": request, "response": f"<think>p</think><answer>{answer}</answer>"},
        {"prompt": "Write.", "response": "<think>p</think><answer>Short.</answer>"},
    ]
    out = score_batch(samples, cfg(tiny_classifier, device="cpu"))
    long, short = out[0].details, out[1].details
    assert long["quality.truncated"] is True
    assert long["quality.request_tokens_cut"] > 1_000 and long["quality.answer_tokens_cut"] > 9_000
    assert short["quality.truncated"] is False and short["quality.answer_tokens_cut"] == 0


def test_classifier_backend_scores_in_range_batched_equals_single(tiny_classifier, writing):
    samples = [
        {"prompt": writing.en_prompt, "response": writing.response(writing.en_plan, writing.en_paragraphs)},
        {"prompt": writing.zh_prompt, "response": writing.response(writing.zh_plan, writing.zh_paragraphs)},
        {"prompt": "x", "response": "<think>p</think><answer>short</answer>"},
        {"prompt": "x", "response": "<think>p</think><answer></answer>"},
    ]
    out = score_batch(samples, cfg(tiny_classifier, batch_size=2, device="cpu"))
    values = [b.components["quality"] for b in out]
    assert all(v is not None and 0.0 <= v <= 1.0 and math.isfinite(v) for v in values)
    assert values[3] == 0.0 and out[3].details["quality.raw"] is None
    assert len({round(v, 6) for v in values[:3]}) == 3  # a random head still separates inputs
    single = [score_batch([s], cfg(tiny_classifier, batch_size=1, device="cpu"))[0] for s in samples]
    for a, b in zip(out, single, strict=True):
        assert a.components["quality"] == pytest.approx(b.components["quality"], abs=1e-5)
    # the raw score squashed by the configured mapping
    raw = out[0].details["quality.raw"]
    clipped = score_batch(
        samples[:1], cfg(tiny_classifier, squash="clip", center=raw, scale=5.0, device="cpu")
    )
    assert clipped[0].components["quality"] == pytest.approx(0.5, abs=1e-5)


def test_classifier_config_errors():
    with pytest.raises(ValueError, match="needs option 'model'"):
        RewardConfig(options={"quality": {"backend": "classifier"}})
    with pytest.raises(ValueError, match="unknown squash"):
        RewardConfig(options={"quality": {"backend": "classifier", "model": "m", "squash": "cube"}})
