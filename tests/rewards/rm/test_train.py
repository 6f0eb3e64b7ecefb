"""Bradley-Terry loss and accuracy by hand, the truncation policy at real shape (request start, answer
head and tail; what was cut counted), RM preset composition."""

from __future__ import annotations

import math

import pytest

from rewards.rm.data import PreferencePair
from rewards.rm.train import (
    bradley_terry_loss,
    compose_rm_preset,
    encode_pairs,
    list_rm_presets,
    pairwise_accuracy,
)


def _nls(x: float) -> float:  # -log sigmoid(x), by hand
    return math.log(1.0 + math.exp(-x))


def test_bradley_terry_loss_by_hand():
    import torch

    rc, rr = torch.tensor([2.0, 0.0]), torch.tensor([1.0, 1.0])
    assert float(bradley_terry_loss(rc, rr)) == pytest.approx((_nls(1.0) + _nls(-1.0)) / 2)
    assert float(bradley_terry_loss(rc, rr)) == pytest.approx(0.8132617, abs=1e-6)
    assert float(bradley_terry_loss(rc, rr, margin=0.5)) == pytest.approx((_nls(0.5) + _nls(-1.5)) / 2)
    # centring penalty: 0.1 * mean((2+1)^2, (0+1)^2) = 0.1 * 5
    assert float(bradley_terry_loss(rc, rr, center_coeff=0.1)) == pytest.approx(0.8132617 + 0.5, abs=1e-6)


def test_bradley_terry_gradient_pushes_chosen_up():
    import torch

    rc = torch.tensor([0.0], requires_grad=True)
    rr = torch.tensor([0.0], requires_grad=True)
    bradley_terry_loss(rc, rr).backward()
    assert float(rc.grad) == pytest.approx(-0.5) and float(rr.grad) == pytest.approx(0.5)


def test_pairwise_accuracy_by_hand():
    assert pairwise_accuracy([1, 2, 3], [0, 2, 4]) == pytest.approx(0.5)  # win, tie (1/2), loss
    assert pairwise_accuracy([1.0], [0.0]) == 1.0
    with pytest.raises(ValueError):
        pairwise_accuracy([], [])
    with pytest.raises(ValueError):
        pairwise_accuracy([1.0], [1.0, 2.0])


def _long_request_and_answer() -> tuple[str, str]:
    """A request of several thousand characters and a 10,000-word answer, each with marked ends."""
    from rollout.text import count_words

    request = "REQSTART Write a long report about these notes. " + " ".join(
        f"note{i} says the harbour changed" for i in range(180)
    )
    words = "the tide rose over grey stones while boats waited in the harbour".split()
    answer = "ANSWERSTART " + " ".join(words[i % len(words)] for i in range(9_998)) + " THEEND"
    assert len(request) > 5_000 and count_words(answer) == 10_000
    return request, answer


def test_truncation_keeps_request_start_answer_start_and_end(tiny_model):
    from transformers import AutoTokenizer

    from rewards.quality.classifier import build_inputs_info

    tok = AutoTokenizer.from_pretrained(tiny_model)
    request, answer = _long_request_and_answer()
    req_ids = tok(request, add_special_tokens=False)["input_ids"]
    ans_ids = tok(answer, add_special_tokens=False)["input_ids"]
    enc = build_inputs_info(tok, request, answer, 1024)
    ids = enc.ids
    assert len(ids) == 1024 and enc.truncated
    # the request's start, the answer's start and the answer's end are all in view
    text = tok.decode(ids)
    assert "REQSTART" in text and "ANSWERSTART" in text and text.rstrip().endswith("THEEND<|im_end|>")
    assert (enc.request_tokens, enc.answer_tokens) == (len(req_ids), len(ans_ids))
    start = ids.index(req_ids[0])
    kept_req = len(req_ids) - enc.request_cut
    assert ids[start : start + kept_req] == req_ids[:kept_req]  # the request's first tokens, in order
    template = 1024 - kept_req - (len(ans_ids) - enc.answer_cut)
    room = 1024 - template
    assert kept_req == room // 4  # the request is bounded: a quarter of the budget
    tail = (room - kept_req) // 4
    ans_at = ids.index(ans_ids[0], start + kept_req)
    head = room - kept_req - tail
    assert ids[ans_at : ans_at + head] == ans_ids[:head]  # the answer's opening
    assert ids[ans_at + head : ans_at + head + tail] == ans_ids[-tail:]  # and its ending
    assert enc.answer_cut == len(ans_ids) - head - tail > 9_000
    assert enc.details() == {
        "truncated": True,
        "request_tokens_cut": len(req_ids) - kept_req,
        "answer_tokens_cut": enc.answer_cut,
    }


def test_a_short_answer_leaves_its_room_to_the_request(tiny_model):
    from transformers import AutoTokenizer

    from rewards.quality.classifier import build_inputs_info

    tok = AutoTokenizer.from_pretrained(tiny_model)
    request, _ = _long_request_and_answer()
    short = "ANSWERSTART a short answer THEEND"
    enc = build_inputs_info(tok, request, short, 512)
    assert len(enc.ids) == 512 and enc.answer_cut == 0 and enc.request_cut > 0
    assert "ANSWERSTART a short answer THEEND" in tok.decode(enc.ids)
    fits = build_inputs_info(tok, "Write.", short, 512)  # what fits is the chat template, untouched
    assert (
        not fits.truncated
        and fits.ids
        == tok(
            tok.apply_chat_template(
                [{"role": "user", "content": "Write."}, {"role": "assistant", "content": short}],
                tokenize=False,
            ),
            add_special_tokens=False,
        )["input_ids"]
    )
    with pytest.raises(ValueError, match="cannot hold the chat template"):
        build_inputs_info(tok, request, short, 8)


def test_training_encodes_as_scoring_and_counts_the_cut(tiny_model):
    from transformers import AutoTokenizer

    from rewards.quality.classifier import build_inputs

    tok = AutoTokenizer.from_pretrained(tiny_model)
    request, answer = _long_request_and_answer()
    pairs = [
        PreferencePair("a", request, answer, "short", "en", "x:1"),
        PreferencePair("b", "Write about the sea.", "fine", "short", "en", "x:2"),
    ]
    rows, counts = encode_pairs(tok, pairs, 512)
    assert len(rows) == 2  # the long pair is kept, not dropped
    assert rows[0]["chosen_ids"] == build_inputs(tok, request, answer, 512)  # what the scorer sees
    assert rows[0]["rejected_ids"] == build_inputs(tok, request, "short", 512)
    assert counts["pairs"] == 2 and counts["truncated_pairs"] == 1
    assert counts["truncated_chosen"] == 1 and counts["truncated_rejected"] == 1  # the request alone
    assert counts["request_cut_sides"] == 2
    assert counts["request_tokens_cut"] > 0 and counts["answer_tokens_cut"] > 9_000


@pytest.mark.parametrize("name", ["tiny-cpu", "qwen2.5-7b-rm"])
def test_every_rm_preset_composes_with_no_unknown_key(name):
    assert name in list_rm_presets()
    cfg = compose_rm_preset(name)
    assert cfg["max_length"] >= 16 and cfg["launch"]["nproc_per_node"] >= 1
    assert set(cfg["loss"]) == {"margin", "center_coeff"}


def test_all_shipped_rm_presets_compose():
    for name in list_rm_presets():
        compose_rm_preset(name)


def test_tiny_cpu_training_arguments_construct():
    from transformers import TrainingArguments

    cfg = compose_rm_preset("tiny-cpu")
    TrainingArguments(output_dir="/tmp/unused", remove_unused_columns=False, **cfg["training"])


def test_unknown_keys_fail_with_valid_names(tmp_path):
    with pytest.raises(ValueError, match="learning_rat"):
        compose_rm_preset("tiny-cpu", ["training.learning_rat=1e-4"])
    with pytest.raises(ValueError, match="unknown loss keys"):
        compose_rm_preset("tiny-cpu", ["loss.margn=1"])
    with pytest.raises(ValueError, match="unknown RM preset keys"):
        compose_rm_preset("tiny-cpu", ["modle=x"])
    with pytest.raises(ValueError, match="set by rewards.rm.train"):
        compose_rm_preset("tiny-cpu", ["training.output_dir=/x"])
    with pytest.raises(FileNotFoundError, match="tiny-cpu"):
        compose_rm_preset("no-such-rm-preset")


def test_overrides_replace_preset_values():
    cfg = compose_rm_preset("tiny-cpu", ["training.learning_rate=1e-4", "loss.margin=0.5", "max_length=128"])
    assert (
        cfg["training"]["learning_rate"] == 1e-4 and cfg["loss"]["margin"] == 0.5 and cfg["max_length"] == 128
    )


def test_rm_train_dry_run_prints_torchrun_for_the_gpu_preset(capsys):
    from longwrite.cli import main

    assert main(["rm", "train", "--preset", "qwen2.5-7b-rm", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "torch.distributed.run" in out and "--nproc_per_node=8" in out
    assert main(["rm", "train", "--preset", "tiny-cpu", "--dry-run"]) == 0
    assert "torch.distributed.run" not in capsys.readouterr().out.split("command:")[1]
