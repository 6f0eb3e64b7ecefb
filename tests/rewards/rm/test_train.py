"""Bradley-Terry loss and accuracy by hand, the head+tail truncation policy, RM preset composition."""

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


def test_truncation_keeps_prompt_head_and_tail_and_is_counted(tiny_model):
    from transformers import AutoTokenizer

    from rewards.quality.classifier import build_inputs_info

    tok = AutoTokenizer.from_pretrained(tiny_model)
    prompt = "Write about the sea."
    long_answer = " ".join(f"word{i}" for i in range(600)) + " THE END"
    full = tok(
        tok.apply_chat_template(
            [{"role": "user", "content": prompt}, {"role": "assistant", "content": long_answer}],
            tokenize=False,
        ),
        add_special_tokens=False,
    )["input_ids"]
    ids, cut = build_inputs_info(tok, prompt, long_answer, 64)
    assert cut and len(ids) == 64 and len(full) > 64
    assert ids[:48] == full[:48]  # request + opening: three quarters of the budget
    assert ids[48:] == full[-16:]  # the ending: the last quarter
    short, cut_short = build_inputs_info(tok, prompt, "A short answer.", 64)
    assert not cut_short and len(short) < 64

    pairs = [
        PreferencePair("a", prompt, long_answer, "short", "en", "x:1"),
        PreferencePair("b", prompt, "fine", "short", "en", "x:2"),
    ]
    rows, counts = encode_pairs(tok, pairs, 64)
    assert len(rows) == 2  # the long pair is kept, not dropped
    assert counts == {"pairs": 2, "truncated_chosen": 1, "truncated_rejected": 0, "truncated_pairs": 1}


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
