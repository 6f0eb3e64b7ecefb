"""DPO trained by two processes (torchrun, gloo on CPU) with the same code as one: every rank takes
part in the reference pass (rows split across ranks, then gathered) and the final save; OUT/final
is a causal-LM folder that loads and scores the held-out pairs as training measured. A preset
asking for FSDP where accelerate cannot shard (CPU) fails instead of silently running plain DDP."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def _pairs(path, n, offset=0):
    rows = []
    for i in range(offset, offset + n):
        long = " ".join(["The river keeps the light of the old city."] * (8 + i % 5))
        rows.append(
            {
                "id": f"q{i}",
                "prompt": f"Write about {150 + 10 * i} words on the river number {i}.",
                "chosen": f"<think>\n1. River: 80 words\n</think>\n<answer>\n{long}\n</answer>",
                "rejected": "<think>\n1. River: 10 words\n</think>\n<answer>\nThe river.\n</answer>",
            }
        )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.slow
def test_two_process_dpo_writes_a_final_model_that_loads(repo_root, tmp_path, tiny_model):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    train, val = _pairs(tmp_path / "train.jsonl", 8), _pairs(tmp_path / "val.jsonl", 4, offset=20)
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(repo_root), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    argv = [sys.executable, "-m", "longwrite.cli", "dpo", "--preset", "tiny-cpu", "--nproc-per-node", "2",
            "--model", str(tiny_model), "--pairs", str(train), "--val-pairs", str(val),
            "training.num_train_epochs=2", "training.per_device_train_batch_size=2"]  # fmt: skip
    fsdp = ["training.fsdp=full_shard auto_wrap", "--out", str(tmp_path / "fsdp")]
    proc = subprocess.run(argv + fsdp, cwd=repo_root, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode != 0 and "runs without FSDP" in proc.stderr, proc.stderr[-4000:]
    assert not (tmp_path / "fsdp" / "final").exists()

    proc = subprocess.run(
        argv + ["--out", str(out)], cwd=repo_root, env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "torch.distributed.run" in proc.stdout and "--nproc_per_node=2" in proc.stdout
    summary = json.loads((out / "dpo_train.json").read_text())
    assert summary["world_size"] == 2 and summary["fsdp"] is False
    start = summary["val_curve"][0]  # the policy starts as its own reference (float32 noise apart)
    assert start["epoch"] == 0.0 and start["margin"] == pytest.approx(0.0, abs=1e-5)
    assert summary["global_step"] == 4  # 8 pairs / (2 ranks x 2) x 2 epochs
    final = out / "final"
    assert (final / "model.safetensors").is_file() and (final / "chat_template.jinja").is_file()

    # OUT/final is the model training evaluated: its held-out margin, recomputed here, matches
    from sft_baseline.dpo import Budget, PairCollator, dpo_loss, encode_pairs, reference_logps, sequence_logps
    from sft_baseline.dpo_data import read_dpo_pairs

    tok = AutoTokenizer.from_pretrained(final)
    b = summary["budget"]
    rows, _, _ = encode_pairs(
        tok, read_dpo_pairs(val)[0], Budget(b["max_length"], b["max_prompt_length"], 0, 0)
    )
    reference_logps(
        AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32), rows, tok.pad_token_id
    )
    model = AutoModelForCausalLM.from_pretrained(final, dtype=torch.float32).eval()
    with torch.no_grad():
        batch = PairCollator(tok.pad_token_id)(rows)
        sums, counts = sequence_logps(model, batch)
    ref = batch["ref_logps"].float()
    _, parts = dpo_loss(sums[:4], sums[4:], ref[:4], ref[4:], counts[:4], counts[4:],
                        beta=0.1, length_normalize=True, sft_weight=0.2)  # fmt: skip
    assert float(parts["margin"].mean()) == pytest.approx(summary["val"]["margin"], rel=1e-3, abs=1e-5)
    assert summary["val"]["margin"] > 0
