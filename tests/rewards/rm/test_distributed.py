"""The RM trained by two processes (torchrun, gloo on CPU): every rank takes part in the final
save, OUT/final is written, loads into the classifier backend and scores as training measured.
And a preset asking for FSDP where accelerate cannot shard (CPU) fails instead of silently
running plain DDP."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_two_process_training_writes_a_final_model_that_scores(repo_root, tmp_path, tiny_model):
    from rewards.rm.data import prepare_rm_data
    from rewards.rm.evaluate import evaluate_pairs
    from rewards.rm.synthetic import write_synthetic_pairs

    prepare_rm_data([write_synthetic_pairs(tmp_path / "syn.jsonl", n_prompts=8)], tmp_path / "data", 0.25)
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(repo_root), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    argv = [
        sys.executable,
        "-m",
        "longwrite.cli",
        "rm",
        "train",
        "--preset",
        "tiny-cpu",
        "--nproc-per-node",
        "2",
    ]
    argv += [
        f"data.train={tmp_path / 'data' / 'train.jsonl'}",
        f"data.val={tmp_path / 'data' / 'val.jsonl'}",
        f"output_dir={out}",
        "max_length=128",
        "training.num_train_epochs=1",
        "training.per_device_train_batch_size=4",
    ]
    # FSDP asked for on CPU: accelerate would run plain DDP without a word; the run refuses instead
    fsdp = ["training.fsdp=full_shard auto_wrap", f"output_dir={tmp_path / 'fsdp'}"]
    proc = subprocess.run(argv + fsdp, cwd=repo_root, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0 and "runs without FSDP" in proc.stderr, proc.stderr[-4000:]
    assert not (tmp_path / "fsdp" / "final").exists()

    proc = subprocess.run(argv, cwd=repo_root, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "torch.distributed.run" in proc.stdout and "--nproc_per_node=2" in proc.stdout
    summary = json.loads((out / "rm_train.json").read_text())
    assert summary["world_size"] == 2 and summary["fsdp"] is False
    final = out / "final"
    assert (final / "model.safetensors").is_file() and (final / "tokenizer.json").is_file()
    assert list(out.glob("checkpoint-*"))  # the Trainer's checkpoints, saved by both ranks too
    # OUT/final is the model training evaluated: the classifier backend reproduces its accuracy
    result = evaluate_pairs(tmp_path / "data" / "val.jsonl", str(final), baseline=False, max_length=128)
    assert result["scorers"]["rm"]["overall"]["accuracy"] == pytest.approx(summary["val"]["accuracy"])
    assert result["scorers"]["rm"]["overall"]["n"] == 6

    from rewards.base import RewardConfig, RewardSample, score_batch

    pair = json.loads((tmp_path / "data" / "val.jsonl").read_text().splitlines()[0])
    cfg = RewardConfig(
        {"quality": 1.0}, {"quality": {"backend": "classifier", "model": str(final), "max_length": 128}}
    )
    scored = score_batch(
        [RewardSample(pair["prompt"], side) for side in (pair["chosen"], pair["rejected"])], cfg
    )
    assert all(b.components["quality"] is not None and 0.0 < b.components["quality"] < 1.0 for b in scored)
