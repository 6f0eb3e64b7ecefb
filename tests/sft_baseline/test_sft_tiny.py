"""Slow: the whole SFT baseline on CPU - tiny model served -> AgentWrite -> verl SFT, loss falls."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from longwrite.cli import main
from sft_baseline.train import read_metrics

INSTRUCTIONS = [
    {"id": "en1", "instruction": "Write a 600-word essay about rivers and the cities beside them."},
    {"id": "zh1", "instruction": "写一篇600字的散文，题目是《秋天的图书馆》。"},
    {"id": "en2", "instruction": "Write a short story about a lighthouse keeper's last night."},
    {"id": "en3", "instruction": "Write a letter to a friend about learning music."},
]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_tiny_model_agentwrite_then_verl_sft_on_cpu(tmp_path, tiny_model, capsys):
    instr = tmp_path / "instructions.jsonl"
    instr.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in INSTRUCTIONS), encoding="utf-8"
    )
    aw = tmp_path / "agentwrite"
    # The random tiny model needs the plan regex to plan at all, and writes far less than planned.
    rc = main(["agentwrite", "--instructions", str(instr), "--out", str(aw), "--local-model", str(tiny_model),
               "--max-model-len", "2048", "--constrain-plan", "--max-steps", "2", "--plan-max-tokens", "160",
               "--section-max-tokens", "24", "--min-length-ratio", "0", "--concurrency", "4",
               "--no-progress"])  # fmt: skip
    assert rc == 0
    summary = json.loads((aw / "summary.json").read_text())
    assert summary["kept"] >= 2, summary
    kept = [json.loads(line) for line in (aw / "agentwrite.jsonl").open()]
    assert all(1 <= len(r["plan_steps"]) <= 2 and len(r["sections"]) == len(r["plan_steps"]) for r in kept)

    # A small repeated set: the same few samples every step, so the loss must fall.
    sft = pd.read_parquet(aw / "sft.parquet")
    small = tmp_path / "small.parquet"
    pd.concat([sft] * (8 // len(sft) + 1)).head(8).to_parquet(small, index=False)
    run = tmp_path / "run"
    rc = main(["sft", "--preset", "tiny-cpu", f"data.train_files={small}", f"trainer.default_local_dir={run}",
               "data.train_batch_size=8", "trainer.total_epochs=4", "trainer.total_training_steps=null"])  # fmt: skip
    assert rc == 0
    losses = [m["data"]["train/loss"] for m in read_metrics(run) if "train/loss" in m["data"]]
    assert len(losses) == 4, losses
    assert losses[-1] < losses[0], losses
    assert "train/loss: first" in capsys.readouterr().out

    # `longwrite export` of the SFT run folder: its checkpoint as a Hugging Face model folder with
    # the trained weights (tests/helpers/export_checks.py).
    from export_checks import check_export

    check_export(run, run / "global_step_4", tiny_model, capsys)
