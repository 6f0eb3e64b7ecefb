"""Fast: which step a checkpoint path means, and clear errors for folders that hold none.

The folders here are laid out by hand the way verl's FSDP checkpoint manager lays them out (file
names only: finding a step never reads the shards). Exporting real checkpoints is tested in
tests/rollout/test_checkpoint_export.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rollout.checkpoint import CheckpointError, checkpoint_problems, find_checkpoint, resolve_model
from rollout.errors import ModelNotFoundError


def _step(root: Path, n: int, *, world_size: int = 2, rl: bool = True, drop: tuple[str, ...] = ()) -> Path:
    """A ``global_step_n`` folder as verl writes it (``actor/`` for GRPO, flat for SFT)."""
    step = root / f"global_step_{n}"
    md = step / "actor" if rl else step
    (md / "huggingface").mkdir(parents=True)
    files = {f"model_world_size_{world_size}_rank_{r}.pt": "x" for r in range(world_size)}
    files["fsdp_config.json"] = json.dumps({"FSDP_version": 2, "world_size": world_size})
    files["huggingface/config.json"] = "{}"
    files["huggingface/tokenizer_config.json"] = "{}"
    for name, text in files.items():
        if name not in drop:
            (md / name).write_text(text)
    return step


def test_step_folder_is_taken_as_is(tmp_path):
    step = _step(tmp_path, 3)
    assert find_checkpoint(step) == step
    assert checkpoint_problems(step) == []


def test_run_folder_means_the_step_in_verls_tracker(tmp_path):
    ckpts = tmp_path / "run" / "checkpoints"
    ckpts.mkdir(parents=True)
    for n in (2, 4, 10):
        _step(ckpts, n)
    (ckpts / "latest_checkpointed_iteration.txt").write_text("4\n")
    assert find_checkpoint(tmp_path / "run") == ckpts / "global_step_4"  # the tracker, not the max
    assert find_checkpoint(ckpts) == ckpts / "global_step_4"


def test_without_tracker_the_highest_complete_step(tmp_path, caplog):
    sft = tmp_path / "sft"  # SFT layout: steps directly in the output folder, no actor/
    sft.mkdir()
    _step(sft, 2, rl=False, world_size=1)
    _step(sft, 9, rl=False, world_size=1)
    _step(sft, 12, rl=False, world_size=1, drop=("model_world_size_1_rank_0.pt",))
    assert find_checkpoint(sft) == sft / "global_step_9"
    assert "global_step_12" in caplog.text and "model_world_size_1_rank_0.pt" in caplog.text


def test_empty_folder_says_no_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match=r"no verl checkpoint in .*global_step_N"):
        find_checkpoint(tmp_path)


def test_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint path not found"):
        find_checkpoint(tmp_path / "nope")


@pytest.mark.parametrize(
    ("drop", "named"),
    [
        (("model_world_size_2_rank_1.pt",), r"model_world_size_2_rank_1\.pt \(world size 2\)"),
        (("fsdp_config.json",), r"fsdp_config\.json"),
        (("huggingface/config.json",), r"huggingface/config\.json"),
        (("huggingface/tokenizer_config.json",), r"a tokenizer"),
    ],
)
def test_half_written_step_names_what_is_missing(tmp_path, drop, named):
    step = _step(tmp_path, 5, drop=drop)
    with pytest.raises(CheckpointError, match=r"incomplete \(half-written\?\): missing .*" + named):
        find_checkpoint(step)


def test_tracker_naming_a_missing_step(tmp_path):
    _step(tmp_path, 1)
    (tmp_path / "latest_checkpointed_iteration.txt").write_text("3")
    with pytest.raises(CheckpointError, match=r"names step 3, but .*global_step_3 does not exist"):
        find_checkpoint(tmp_path)


def test_tracker_naming_a_half_written_step(tmp_path):
    _step(tmp_path, 3, drop=("model_world_size_2_rank_0.pt",))
    (tmp_path / "latest_checkpointed_iteration.txt").write_text("3")
    with pytest.raises(CheckpointError, match="model_world_size_2_rank_0.pt"):
        find_checkpoint(tmp_path)


def test_only_half_written_steps(tmp_path):
    _step(tmp_path, 1, drop=("fsdp_config.json",))
    with pytest.raises(CheckpointError, match=r"no complete checkpoint .*global_step_1"):
        find_checkpoint(tmp_path)


def test_resolve_model_leaves_hf_folders_and_hub_names_alone(tmp_path, tiny_model, monkeypatch):
    assert resolve_model(str(tiny_model)) == str(tiny_model)
    # Online a hub id goes to vLLM / transformers as is; offline (as here) it must be cached.
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    assert resolve_model("Qwen/Qwen2.5-7B-Instruct") == "Qwen/Qwen2.5-7B-Instruct"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotFoundError, match="cannot be resolved offline"):
        resolve_model("Qwen/Qwen2.5-7B-Instruct")
    with pytest.raises(ModelNotFoundError, match="model path not found"):
        resolve_model(str(tmp_path / "no" / "such" / "model"))


def test_resolve_model_rejects_a_folder_that_is_neither(tmp_path):
    with pytest.raises(
        CheckpointError, match=r"not a Hugging Face model folder \(no config.json\).*no verl checkpoint"
    ):
        resolve_model(tmp_path)


def test_export_cli_reports_a_bad_checkpoint_in_one_line(tmp_path, capsys):
    from longwrite.cli import main

    _step(tmp_path, 7, drop=("model_world_size_2_rank_1.pt",))
    assert main(["export", str(tmp_path), "--out", str(tmp_path / "hf")]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("longwrite export: error: no complete checkpoint ")
        and "model_world_size_2_rank_1.pt" in err
    )
    assert not (tmp_path / "hf").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["generate", "--prompts", "{p}", "--out", "{o}"],
        ["serve"],
        ["eval", "ruler", "--data", "{p}", "--out", "{o}"],
        ["eval", "longbench-write", "--no-judge", "--data", "{p}", "--out", "{o}"],
    ],
)
def test_model_commands_take_checkpoints_and_name_a_half_written_one(tmp_path, capsys, command):
    from longwrite.cli import main

    run = tmp_path / "run" / "checkpoints"
    run.mkdir(parents=True)
    _step(run, 3, drop=("huggingface/config.json",))
    (run / "latest_checkpointed_iteration.txt").write_text("3")
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"prompt": "Write.", "length": 100, "type": "x"}\n')
    args = [a.format(p=prompts, o=tmp_path / "out") for a in command]
    assert main([*args, "--model", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "global_step_3 is incomplete" in err and "huggingface/config.json" in err, err
