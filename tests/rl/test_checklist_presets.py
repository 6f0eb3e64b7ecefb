"""The checklist and BRPO presets: placeholders refused before a run, the 7B/32B overrides of
docs/rewards.md compose against verl and are refused without their judge URL, BRPO's settings."""

from __future__ import annotations

import pytest

from rl.presets import build_plan, check_reward_config, compose

URL = "http://127.0.0.1:9/v1"


def test_tiny_checklist_preset_refuses_its_placeholder_and_starts_once_set(capsys):
    from longwrite.cli import main

    plan = build_plan("tiny-cpu-checklist")
    compose(plan)
    with pytest.raises(ValueError, match=r"reward_options\.checklist\.base_url=\.\.\."):
        check_reward_config(plan)
    check_reward_config(build_plan("tiny-cpu-checklist", [f"reward_options.checklist.base_url={URL}"]))
    assert main(["train", "--preset", "tiny-cpu-checklist", "--timeout", "5"]) == 2
    err = capsys.readouterr().err
    assert "reward_options.checklist.base_url=" in err and "Traceback" not in err


@pytest.mark.parametrize("preset", ["qwen2.5-7b", "qwen2.5-32b"])
def test_real_size_checklist_and_brpo_overrides_compose(preset):
    """docs/rewards.md's overrides for the GPU presets: the checklist judge and BRPO."""
    from rl.brpo import brpo_options
    from rl.trainer import reward_weights

    base = [
        "reward_options.quality.model=/ckpt/rm",
        "reward_options.quality.base_url=http://rm:8001",
        "rewards.checklist=1.0",
    ]
    with pytest.raises(ValueError, match=r"reward_options\.checklist\.base_url"):
        check_reward_config(build_plan(preset, base))  # no judge URL: refused before a run starts
    full = [
        *base,
        f"reward_options.checklist.base_url={URL}",
        "reward_options.checklist.model=judge-model",
        "rewards.group_pairwise=1.0",
        f"reward_options.group_pairwise.base_url={URL}",
        "reward_options.group_pairwise.model=judge-model",
        "longwriter.advantage_mode=brpo",
    ]
    plan = build_plan(preset, full)
    check_reward_config(plan)
    cfg = compose(plan)
    assert cfg.longwriter.advantage_mode == "brpo"
    weights = reward_weights(cfg)
    assert weights["checklist"] == 1.0 and weights["group_pairwise"] == 1.0
    assert brpo_options(cfg.longwriter, weights, "brpo") == {"pairwise": "group_pairwise", "max_skew": 0.6}
