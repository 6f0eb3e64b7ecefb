"""DPO: the loss by hand, budgets sized from the data, cut pairs recorded (never an EOS they did not
reach), presets (placeholders refused), the CLI's dry run and ``longwrite submit --dpo``."""

from __future__ import annotations

import json
import math

import pytest

from longwrite.cli import main
from sft_baseline.dpo import (
    Budget,
    PairCollator,
    check_runnable,
    compose_dpo_preset,
    dpo_loss,
    encode_pairs,
    list_dpo_presets,
    size_budget,
    tokenize_pair,
    unpublished_keys,
)
from sft_baseline.dpo_data import DpoPair


def test_dpo_loss_by_hand():
    import torch

    t = lambda *v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    logp_c, logp_r, ref_c, ref_r, n_c, n_r = t(-10.0), t(-30.0), t(-12.0), t(-28.0), t(5.0), t(20.0)
    loss, parts = dpo_loss(
        logp_c, logp_r, ref_c, ref_r, n_c, n_r, beta=0.1, length_normalize=False, sft_weight=0
    )
    z = 0.1 * ((-10 + 12) - (-30 + 28))  # 0.4
    assert float(parts["margin"]) == pytest.approx(z)
    assert float(loss) == pytest.approx(-math.log(1 / (1 + math.exp(-z))))
    # length-normalised: every log-prob per response token
    loss, parts = dpo_loss(
        logp_c, logp_r, ref_c, ref_r, n_c, n_r, beta=0.1, length_normalize=True, sft_weight=0
    )
    z = 0.1 * ((-10 / 5 + 12 / 5) - (-30 / 20 + 28 / 20))
    assert float(parts["margin"]) == pytest.approx(z)
    # the SFT term: + weight x mean NLL per chosen token (2.0 here), either way
    for norm in (False, True):
        loss, parts = dpo_loss(
            logp_c, logp_r, ref_c, ref_r, n_c, n_r, beta=0.1, length_normalize=norm, sft_weight=0.5
        )
        assert float(parts["nll"]) == pytest.approx(2.0)
        assert float(loss) == pytest.approx(float(parts["dpo"]) + 0.5 * 2.0)


def test_the_gradient_raises_chosen_and_lowers_rejected():
    import torch

    lc, lr = torch.tensor([-5.0], requires_grad=True), torch.tensor([-5.0], requires_grad=True)
    ref, n = torch.tensor([-5.0]), torch.tensor([4.0])
    loss, _ = dpo_loss(lc, lr, ref, ref, n, n, beta=0.1, length_normalize=False, sft_weight=0)
    loss.backward()
    assert lc.grad.item() < 0 < lr.grad.item()


def test_budget_is_sized_from_the_data_up_to_the_ceiling():
    # (prompt, chosen, rejected) token lengths
    assert size_budget([(100, 300, 50), (40, 20, 500)], 4096, 1024) == Budget(540, 100, 540, 100)
    b = size_budget([(100, 300, 50), (2000, 20, 500)], 1500, 1024)
    assert (b.max_length, b.max_prompt_length, b.need_length, b.need_prompt_length) == (
        1500,
        1024,
        2500,
        2000,
    )


def _long_pair(words: int, source: str = "f.jsonl:1") -> DpoPair:
    from rollout.format import chat_messages

    body = " ".join(["the river keeps the light of the old city"] * (words // 9))
    prompt = "Write a report of 10,000 words on rivers. " + "Context: " + "water and stone " * 300
    return DpoPair(
        id="long",
        messages=chat_messages(prompt, "plan_write"),
        chosen=f"<think>\n1. Rivers: {words} words\n</think>\n<answer>\n{body}\n</answer>",
        rejected="<think>\n1. Rivers: 30 words\n</think>\n<answer>\nThe river.\n</answer>",
        source=source,
        shape="pairs",
    )


def test_a_cut_pair_is_recorded_and_its_cut_answer_gets_no_eos(tiny_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    eos = tok.convert_tokens_to_ids("<|im_end|>")
    long_pair, short_pair = _long_pair(10_000, "f.jsonl:1"), _long_pair(90, "f.jsonl:2")
    p_ids, c_ids, r_ids = tokenize_pair(tok, long_pair)
    assert len(p_ids) > 600 and len(c_ids) > 10_000  # the real shape: a 10,000-word answer
    assert eos in c_ids[-2:] and eos in r_ids[-2:]  # a complete answer ends its turn
    budget = size_budget(
        [tuple(len(x) for x in tokenize_pair(tok, p)) for p in (long_pair, short_pair)], 4096, 512
    )
    assert budget.max_length == 4096 and budget.max_prompt_length == 512 and budget.need_length > 10_000
    rows, cuts, counts = encode_pairs(tok, [long_pair, short_pair], budget)
    assert len(rows) == 2  # nothing dropped
    # both prompts are over 512 tokens; only the 10,000-word answer is over its room
    assert counts["pairs"] == 2 and counts["cut_pairs"] == 2 and counts["cut_chosen"] == 1
    assert counts["cut_prompts"] == 2 and counts["cut_rejected"] == 0
    assert cuts[1]["chosen_tokens_cut"] == 0 and cuts[1]["prompt_tokens_cut"] > 0
    assert [c["source"] for c in cuts] == ["f.jsonl:1", "f.jsonl:2"]
    long_cut = cuts[0]
    assert long_cut["chosen_tokens_cut"] == len(c_ids) - (4096 - 512)
    assert long_cut["prompt_tokens_cut"] == len(p_ids) - 512
    assert counts["chosen_tokens_cut"] == sum(c["chosen_tokens_cut"] for c in cuts)
    # the prompt keeps its start (system prompt) and its end (the generation prompt)
    assert rows[0]["prompt_ids"][:5] == p_ids[:5] and rows[0]["prompt_ids"][-5:] == p_ids[-5:]

    batch = PairCollator(tok.pad_token_id)([{**r, "ref_chosen": 0.0, "ref_rejected": 0.0} for r in rows])
    ids, resp = batch["input_ids"], batch["response_mask"]
    assert ids.shape == (4, 4096)
    chosen_long = ids[0][resp[0]].tolist()
    assert len(chosen_long) == 4096 - 512 and eos not in chosen_long  # cut: no end of turn added
    assert chosen_long == c_ids[: 4096 - 512]
    rejected_long = ids[2][resp[2]].tolist()
    assert rejected_long == r_ids and eos in rejected_long[-2:]  # uncut: its own end of turn


@pytest.mark.parametrize("name", list_dpo_presets())
def test_every_dpo_preset_composes(name):
    cfg = compose_dpo_preset(name)
    assert set(cfg["loss"]) == {"beta", "length_normalize", "sft_weight"}
    assert cfg["launch"]["nproc_per_node"] >= 1


def test_the_three_presets_ship_and_unknowns_are_refused_before_a_run():
    assert {"tiny-cpu", "longwriter-glm4-9b", "longwriter-llama3.1-8b"} <= set(list_dpo_presets())
    glm = compose_dpo_preset("longwriter-glm4-9b")
    assert glm["loss"]["beta"] == 0.15 and glm["training"]["learning_rate"] == 1e-6
    assert glm["training"]["max_steps"] == 250
    ta = glm["training"]
    assert (
        glm["launch"]["nproc_per_node"]
        * ta["per_device_train_batch_size"]
        * ta["gradient_accumulation_steps"]
        == 32
    )
    assert set(unpublished_keys(glm)) == {"model", "data.train", "loss.sft_weight"}
    with pytest.raises(ValueError, match="loss.sft_weight"):
        check_runnable(glm)
    llama = compose_dpo_preset("longwriter-llama3.1-8b")
    assert set(unpublished_keys(llama)) == {"model", "data.train", "loss.beta", "loss.sft_weight"}
    ok = compose_dpo_preset("longwriter-glm4-9b", ["model=/m", "data.train=/p.jsonl", "loss.sft_weight=0"])
    check_runnable(ok)


def test_tiny_cpu_training_arguments_construct_and_bad_keys_fail(tmp_path):
    from transformers import TrainingArguments

    cfg = compose_dpo_preset("tiny-cpu")
    TrainingArguments(output_dir=str(tmp_path), remove_unused_columns=False, **cfg["training"])
    with pytest.raises(ValueError, match="unknown loss keys"):
        compose_dpo_preset("tiny-cpu", ["loss.betta=0.1"])
    with pytest.raises(ValueError, match="not TrainingArguments fields"):
        compose_dpo_preset("tiny-cpu", ["training.learning_rat=1"])
    with pytest.raises(ValueError, match="max_prompt_length"):
        compose_dpo_preset("tiny-cpu", ["max_length=1000", "max_prompt_length=990"])


def _pairs_file(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps({"prompt": "p", "chosen": "a", "rejected": "b"}) + "\n", encoding="utf-8")
    return path


def test_dry_run_prints_the_torchrun_command_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(
        ["dpo", "--preset", "tiny-cpu", "--pairs", str(_pairs_file(tmp_path)), "--out", str(out),
         "--nproc-per-node", "2", "--dry-run", "loss.beta=0.3"]
    )  # fmt: skip
    assert rc == 0 and not out.exists()
    text = capsys.readouterr().out
    assert '"beta": 0.3' in text
    assert "torch.distributed.run" in text and "--nproc_per_node=2" in text and "sft_baseline.dpo" in text
    assert f"output_dir={out}" in text


def test_a_run_of_a_preset_with_unknowns_is_refused(tmp_path, capsys):
    rc = main(["dpo", "--preset", "longwriter-llama3.1-8b", "--pairs", str(_pairs_file(tmp_path)),
               "--model", str(tmp_path), "--out", str(tmp_path / "out")])  # fmt: skip
    assert rc == 2 and "loss.beta, loss.sft_weight" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_submit_dpo_dry_run_builds_the_job_through_the_shared_code(tmp_path, capsys):
    rc = main(
        ["submit", "--dpo", "--dry-run", "--preset", "longwriter-glm4-9b", "--output-dir", str(tmp_path / "o"),
         "model=/ckpt/sft", "data.train=/data/pairs.jsonl", "loss.sft_weight=0"]
    )  # fmt: skip
    assert rc == 0 and not (tmp_path / "o").exists()
    text = capsys.readouterr().out
    assert "entrypoint_num_gpus=8" in text
    assert "-m longwrite.cli dpo --preset longwriter-glm4-9b" in text and "loss.sft_weight=0" in text
    assert '"working_dir"' in text
    # unknowns are refused before anything is submitted
    rc = main(["submit", "--dpo", "--dry-run", "--preset", "longwriter-glm4-9b"])
    assert rc == 2 and "unpublished" in capsys.readouterr().err
