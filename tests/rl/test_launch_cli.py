"""The train/submit CLI without running verl: dry runs, help, bad input."""

from __future__ import annotations

import json

import pytest

from longwrite.cli import main


def test_train_and_submit_have_help(capsys):
    for cmd in ("train", "submit"):
        with pytest.raises(SystemExit) as exc:
            main([cmd, "--help"])
        assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--preset" in out and "--address" in out and "--no-wait" in out


def test_submit_dry_run_prints_entrypoint_and_runtime_env(capsys):
    assert (
        main(["submit", "--preset", "qwen2.5-32b", "--nodes", "8", "--gpus-per-node", "8", "--dry-run"]) == 0
    )
    out = capsys.readouterr().out
    entry, env = out.split("runtime_env:\n")
    assert "-m verl.trainer.main_ppo" in entry and "trainer.nnodes=8" in entry
    runtime_env = json.loads(env)
    assert ".venv" in runtime_env["excludes"] and "outputs" in runtime_env["excludes"]
    assert runtime_env["env_vars"]["VERL_USE_EXTERNAL_MODULES"] == "rl.trainer"
    assert runtime_env["working_dir"]


def test_train_dry_run_composes(capsys):
    assert main(["train", "--preset", "tiny-cpu", "--dry-run", "trainer.total_training_steps=3"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert "trainer.total_training_steps=3" in plan["command"]
    assert plan["env"]["VERL_PLATFORM"] == "cpu"


def test_train_missing_data_is_a_clear_error(tmp_path, capsys):
    rc = main(["train", "--preset", "tiny-cpu", "--data-dir", str(tmp_path / "nope"), "--timeout", "5"])
    assert rc == 2
    assert "prepare-rl" in capsys.readouterr().err


def test_submit_bad_address(capsys):
    assert main(["submit", "--preset", "tiny-cpu", "--address", "127.0.0.1:8265"]) == 2
    assert "http://" in capsys.readouterr().err


def test_submit_sft_dry_run(capsys):
    rc = main(
        [
            "submit",
            "--sft",
            "--preset",
            "longwriter-llama3.1-8b",
            "--dry-run",
            "data.train_files=/d/train.parquet",
        ]
    )
    assert rc == 0
    entry, env = capsys.readouterr().out.split("runtime_env:\n")
    # The preset's 8 processes per node become the GPUs the entrypoint holds.
    assert "entrypoint_num_gpus=8" in entry
    assert "-m longwrite.cli sft --preset longwriter-llama3.1-8b data.train_files=/d/train.parquet" in entry
    assert ".venv" in json.loads(env)["excludes"]


def test_submit_sft_bad_input(capsys):
    assert main(["submit", "--sft", "--preset", "nope", "--dry-run"]) == 2
    assert "unknown SFT preset 'nope'" in capsys.readouterr().err
    assert main(["submit", "--sft", "--preset", "tiny-cpu", "--nodes", "2", "--dry-run"]) == 2
    assert "one node" in capsys.readouterr().err
