"""The GPU RL presets train against a learned RM whose path is required: they compose, but a run
refuses to start until the path and server are set. RM presets submit as one-node Ray jobs."""

from __future__ import annotations

import json

import pytest

from longwrite.cli import main
from rl.presets import build_plan, check_reward_config, compose

KEY = "reward_options.quality"


def _quality(plan):
    from rl.reward_source import from_verl_config

    return from_verl_config(compose(plan)).options["quality"]


@pytest.mark.parametrize("name", ["qwen2.5-7b", "qwen2.5-32b"])
def test_gpu_presets_use_the_served_rm_and_require_its_path(name):
    plan = build_plan(name)
    quality = _quality(plan)
    assert quality["backend"] == "served" and quality["model"].startswith("REQUIRED")
    with pytest.raises(ValueError, match=f"preset {name}: reward option quality.(model|base_url) is not set"):
        check_reward_config(plan)
    ok = build_plan(name, [f"{KEY}.model=/ckpt/rm/final", f"{KEY}.base_url=http://rm-host:8001"])
    check_reward_config(ok)  # set: the run may start
    quality = _quality(ok)
    assert quality["model"] == "/ckpt/rm/final" and quality["base_url"] == "http://rm-host:8001"


def test_train_refuses_to_start_without_the_rm_path(capsys):
    assert main(["train", "--preset", "qwen2.5-7b", "--timeout", "5"]) == 2
    assert "reward_options.quality." in capsys.readouterr().err


def test_submit_rm_dry_run(capsys):
    rc = main(["submit", "--rm", "--preset", "qwen2.5-7b-rm", "--dry-run", "data.train=/d/train.jsonl"])
    assert rc == 0
    entry, env = capsys.readouterr().out.split("runtime_env:\n")
    assert "entrypoint_num_gpus=8" in entry
    assert "-m longwrite.cli rm train --preset qwen2.5-7b-rm data.train=/d/train.jsonl" in entry
    assert ".venv" in json.loads(env)["excludes"]


def test_submit_rm_bad_input(capsys):
    assert main(["submit", "--rm", "--preset", "nope", "--dry-run"]) == 2
    assert "RM preset 'nope' not found" in capsys.readouterr().err
    assert main(["submit", "--rm", "--preset", "tiny-cpu", "--dry-run", "training.lr=1"]) == 2
    assert "unknown training keys" in capsys.readouterr().err
    assert main(["submit", "--rm", "--sft", "--preset", "tiny-cpu", "--dry-run"]) == 2
