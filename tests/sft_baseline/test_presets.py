"""Every shipped SFT preset composes against verl's SFT config tree (unknown keys fail)."""

from __future__ import annotations

import pytest

from longwrite.cli import main
from sft_baseline.train import (
    compose_sft_config,
    launch_command,
    list_presets,
    load_preset,
    validate_sft_config,
)

PRESETS = list_presets()


def test_the_three_presets_ship():
    assert {"tiny-cpu", "longwriter-llama3.1-8b", "longwriter-glm4-9b"} <= set(PRESETS)


@pytest.mark.parametrize("name", PRESETS)
def test_preset_composes_and_validates(name):
    cfg = compose_sft_config(name)
    validate_sft_config(cfg)
    assert cfg.data.pad_mode == "no_padding" and cfg.model.use_remove_padding is True
    assert cfg.optim.lr_scheduler_type == "cosine" and cfg.optim.lr_warmup_steps_ratio == 0.03
    assert cfg.optim.weight_decay == 0.1 and list(cfg.optim.betas) == [0.9, 0.95]
    assert cfg.trainer.total_epochs == 4


@pytest.mark.parametrize("name", ["longwriter-llama3.1-8b", "longwriter-glm4-9b"])
def test_longwriter_presets_carry_the_published_settings(name):
    cfg = compose_sft_config(name)
    assert cfg.optim.lr == 1e-5
    assert cfg.data.max_length == 32768 and cfg.data.max_token_len_per_gpu == 32768
    assert cfg.engine.dtype == "bfloat16" and cfg.model.enable_gradient_checkpointing is True


def test_unknown_keys_fail_and_plus_adds(tmp_path):
    with pytest.raises(ValueError, match="unknown verl SFT config key 'optim.lrr'"):
        compose_sft_config("tiny-cpu", ["optim.lrr=1e-4"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("verl:\n  trainer:\n    total_epoch: 3\n")
    with pytest.raises(ValueError, match="trainer.total_epoch"):
        compose_sft_config(bad)
    cfg = compose_sft_config("tiny-cpu", ["+model.override_config.rope_theta=5000", "optim.lr=2e-4"])
    assert cfg.model.override_config.rope_theta == 5000 and cfg.optim.lr == 2e-4
    with pytest.raises(ValueError, match="strategy"):
        validate_sft_config(compose_sft_config("tiny-cpu", ["engine.strategy=deepspeed"]))
    with pytest.raises(ValueError, match="unknown SFT preset 'nope'"):
        load_preset("nope")


def test_tiny_preset_loads_the_cpu_plugin_through_verl(tiny_model):
    argv, env = launch_command("tiny-cpu", ["trainer.total_training_steps=2"])
    assert env["VERL_USE_EXTERNAL_MODULES"] == "rl.cpu_platform" and env["VERL_PLATFORM"] == "cpu"
    assert argv[argv.index("-m") + 1] == "torch.distributed.run"
    assert "sft_baseline.verl_sft" in argv and argv[-1] == "trainer.total_training_steps=2"
    assert compose_sft_config("tiny-cpu").model.path == str(tiny_model)


def test_sft_cli_dry_run(capsys):
    assert main(["sft", "--preset", "longwriter-glm4-9b", "--dry-run", "data.train_files=x.parquet"]) == 0
    out = capsys.readouterr().out
    assert "train_files: x.parquet" in out and "--nproc_per_node=8" in out
    assert main(["sft", "--preset", "tiny-cpu", "--dry-run", "optim.nope=1"]) == 2
    assert "optim.nope" in capsys.readouterr().err
