"""One reward-config source for reward and advantage; dotted reward names through every hop."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from rl import reward_source as rs
from rl.presets import PRESET_DIR, build_plan, compose

DOTTED = "my_pkg.my_mod:my_fn"


def _preset(tmp_path, **changes):
    spec = yaml.safe_load((PRESET_DIR / "tiny-cpu.yaml").read_text())
    spec.update(changes)
    path = tmp_path / "preset.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def _kwargs(cfg):
    return cfg.reward.custom_reward_function.reward_kwargs


def test_dotted_names_survive_preset_overrides_and_hydra(tmp_path):
    from rl.trainer import reward_weights

    tricky = 'it\'s a \\ "q" ${oops} $5, = [x] {y}\n\\'
    preset = _preset(
        tmp_path,
        rewards={"lwprobe:shortness": 1.0, "pkg.mod.fn": 0.5, "length": 1.0},
        reward_options={"lwprobe:shortness": {"note": tricky}},
    )
    plan = build_plan(
        preset,
        [f"rewards.{DOTTED}=2", f"reward_options.{DOTTED}.scale=3", "rewards.pkg.mod.fn=0.25"],
    )
    cfg = compose(plan)  # verl's own Hydra composition of the overrides
    sent = rs.decode(_kwargs(cfg).reward_config_json)
    expected = {
        "rewards": {"lwprobe:shortness": 1.0, "pkg.mod.fn": 0.25, "length": 1.0, DOTTED: 2.0},
        "options": {"lwprobe:shortness": {"note": tricky}, DOTTED: {"scale": 3}},
    }
    assert sent == expected == plan.reward_config
    assert set(_kwargs(cfg)) == {"reward_config_json"}
    with pytest.raises(ValueError, match="cannot import module 'lwprobe'"):
        reward_weights(cfg)  # the trainer mode builds the config: the module must import
    assert rs.metric_name(DOTTED) == "my_pkg.my_mod.my_fn" and rs.metric_name("length") == "length"


def test_trainer_weights_and_reward_keys_come_from_the_same_json(tmp_path, monkeypatch):
    from rl import verl_reward as vr
    from rl.trainer import reward_weights

    (tmp_path / "lw_rs_probe.py").write_text(
        "def short(prompt, response, metadata, k=1.0):\n    return k / 2\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    name = "lw_rs_probe:short"
    plan = build_plan("tiny-cpu", [f"rewards.{name}=2", "~rewards.quality", f"reward_options.{name}.k=1.5"])
    cfg = compose(plan)
    assert reward_weights(cfg) == {"length": 1.0, "format": 1.0, name: 2.0}
    result = vr.compute_score_sync(
        "longwriter_rl",
        "<think>x</think><answer>y</answer>",
        None,
        {"request": "Write 10 words."},
        **_kwargs(cfg),
    )
    assert result[name] == 0.75 and result[f"{name}_missing"] == 0.0
    assert list(result) == vr.result_keys(rs.resolve(reward_config_json=_kwargs(cfg).reward_config_json))


def test_two_sources_that_differ_are_an_error(tmp_path, monkeypatch):
    from rl.trainer import reward_weights

    yml = tmp_path / "reward.yaml"
    yml.write_text("rewards: {length: 3, format: 1}\n")
    same = rs.encode({"rewards": {"length": 3, "format": 1}, "options": {}})
    other = rs.encode({"rewards": {"length": 1}, "options": {}})
    assert rs.resolve(reward_config_json=same, reward_config_path=yml).rewards == {
        "length": 3.0,
        "format": 1.0,
    }
    with pytest.raises(ValueError, match="given twice and the two differ.*reward_config_path"):
        rs.resolve(reward_config_json=other, reward_config_path=yml)
    with pytest.raises(ValueError, match="differ"):
        rs.resolve(reward_config={"rewards": {"format": 1}}, reward_config_json=other)
    cfg = OmegaConf.create(
        {"reward": {"custom_reward_function": {"reward_kwargs": {"reward_config_json": other}}}}
    )
    assert reward_weights(cfg) == {"length": 1.0}
    monkeypatch.setenv(rs.ENV_CONFIG, str(yml))
    with pytest.raises(ValueError, match=r"\$LONGWRITE_REWARD_CONFIG"):
        reward_weights(cfg)  # the trainer mode refuses, exactly as the reward function would
    with pytest.raises(ValueError, match="differ"):
        build_plan("tiny-cpu")  # caught before anything starts
    plan = build_plan("tiny-cpu", ["~rewards.quality", "rewards.length=3"])
    assert any("agrees" in note for note in plan.notes)


def test_raw_reward_kwargs_override_is_refused():
    with pytest.raises(ValueError, match="one source.*rewards.NAME=WEIGHT"):
        build_plan(
            "tiny-cpu", ["+reward.custom_reward_function.reward_kwargs.reward_config.rewards.length=2"]
        )


def test_list_form_rewards_and_bad_weights(tmp_path):
    plan = build_plan(_preset(tmp_path, rewards=["length", "format"], reward_options={}))
    assert plan.reward_config == {"rewards": {"length": 1.0, "format": 1.0}, "options": {}}
    assert rs.decode(_kwargs(compose(plan)).reward_config_json) == plan.reward_config
    with pytest.raises(ValueError, match="unknown reward 'lenght'"):
        build_plan("tiny-cpu", ["rewards.lenght=1"])
    with pytest.raises(ValueError, match="must be a number"):
        build_plan("tiny-cpu", ["rewards.length=heavy"])
    with pytest.raises(ValueError, match="unknown option"):
        build_plan("tiny-cpu", ["reward_options.quality.bakend=judge"])
    with pytest.raises(ValueError, match="same metric name"):
        build_plan("tiny-cpu", ["rewards.a.b:c=1", "rewards.a.b.c=1"])
    with pytest.raises(ValueError, match="weight > 0"):
        build_plan("tiny-cpu", ["rewards.length=0", "rewards.quality=0", "rewards.format=0"])


def test_manifest_overrides_applied_and_user_overrides_win(tmp_path, capsys):
    from longwrite.cli import main
    from rl.prepare import BUNDLED_PROMPTS, prepare_rl_data
    from rollout.format import BASE_CHAT_TEMPLATE

    data = prepare_rl_data(BUNDLED_PROMPTS, tmp_path / "data", style="base")
    cfg = compose(build_plan("tiny-cpu", data_dir=data.train.parent))
    assert cfg.actor_rollout_ref.model.custom_chat_template == BASE_CHAT_TEMPLATE
    assert cfg.data.apply_chat_template_kwargs.chat_template == BASE_CHAT_TEMPLATE
    plan = build_plan(
        "tiny-cpu", ["actor_rollout_ref.model.custom_chat_template=mine"], data_dir=data.train.parent
    )
    cfg = compose(plan)
    assert cfg.actor_rollout_ref.model.custom_chat_template == "mine"
    assert cfg.data.apply_chat_template_kwargs.chat_template == BASE_CHAT_TEMPLATE
    assert any(
        "replaces the data manifest's actor_rollout_ref.model.custom_chat_template" in n for n in plan.notes
    )
    # the dry run says so
    assert main(["train", "--preset", "tiny-cpu", "--data-dir", str(data.train.parent), "--dry-run"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert any(str(data.manifest) in n and "custom_chat_template" in n for n in shown["notes"])


def test_step_metrics_use_readable_names_and_log_weights():
    from rl import trainer as T

    scores = {DOTTED: [0.1, 0.9, 0.5, 0.5], "length": [1.0, 1.0, 0.0, 0.0]}
    m = T.step_metrics(
        scores, ["a", "a", "b", "b"], [1, -1, 0, 0], [{}] * 4, [3] * 4, 64, {DOTTED: 2, "length": 0}
    )
    assert m["longwriter/reward/my_pkg.my_mod.my_fn/mean"] == pytest.approx(0.5)
    assert m["longwriter/reward/my_pkg.my_mod.my_fn/weight"] == 2.0
    assert m["longwriter/reward/length/weight"] == 0.0
    assert m["longwriter/groups/my_pkg.my_mod.my_fn/zero_var_ratio"] == 0.5
    assert not any(":" in key for key in m)


def test_check_names_the_unimportable_module(tmp_path, repo_root):
    """The check `train` and a job's entrypoint run before verl: exit 3 with the module's name."""
    import os
    import subprocess

    (tmp_path / "lw_rs_broken.py").write_text("import lw_no_such_dependency_abc\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(repo_root)]))
    env.pop(rs.ENV_CONFIG, None)
    bad = rs.check_command({"rewards": {"lw_rs_broken:f": 1.0}, "options": {}}, sys.executable)
    proc = subprocess.run(bad, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 3
    assert "lw_rs_broken" in proc.stderr and "lw_no_such_dependency_abc" in proc.stderr
    good = rs.check_command({"rewards": {"length": 1.0}, "options": {}}, sys.executable)
    proc = subprocess.run(good, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0 and "reward config OK: length (weight 1)" in proc.stdout


def test_train_and_submit_with_a_broken_py_module(tmp_path, capsys):
    from longwrite.cli import main
    from rl.prepare import BUNDLED_PROMPTS, prepare_rl_data

    module = tmp_path / "mods" / "lw_rs_broken2.py"
    module.parent.mkdir()
    module.write_text("raise ImportError('lw_rs_broken2 needs a GPU library')\n")
    data = prepare_rl_data(BUNDLED_PROMPTS, tmp_path / "data")
    args = ["--preset", "tiny-cpu", "--data-dir", str(data.train.parent), "--py-module", str(module)]
    rc = main(["train", *args, "--output-dir", str(tmp_path / "run"), "rewards.lw_rs_broken2:f=1"])
    err = capsys.readouterr().err
    assert rc == 2 and "lw_rs_broken2 needs a GPU library" in err and "lw_rs_broken2:f" in err
    assert not (tmp_path / "run" / "logs").exists()  # verl never started
    # submit's dry run runs the same check here (and fails the same way) ...
    assert main(["submit", *args, "--dry-run", "rewards.lw_rs_broken2:f=1"]) == 2
    assert "lw_rs_broken2 needs a GPU library" in capsys.readouterr().err
    # ... and, for a module that imports, shows it shipped and the check in front of verl
    module.write_text("def f(prompt, response, metadata):\n    return 1.0\n")
    run = tmp_path / "job"
    argv = ["submit", *args, "--output-dir", str(run), "--dry-run", "rewards.lw_rs_broken2:f=1"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    entry, env = out.split("entrypoint:\n")[1].split("runtime_env:\n")
    [shipped] = json.loads(env)["py_modules"]  # a single file goes as a package of the same name
    assert shipped == str(run / "py_modules" / "lw_rs_broken2")
    assert not Path(shipped).exists()  # a dry run writes nothing (the real submit stages it)
    assert entry.strip().startswith("python -m rl.reward_source check")
    assert entry.index("rl.reward_source check") < entry.index("verl.trainer.main_ppo")
    assert "py-module " + str(module) in out
    assert main(["submit", "--sft", "--preset", "tiny-cpu", "--py-module", str(module), "--dry-run"]) == 2
    assert "--py-module is for GRPO presets" in capsys.readouterr().err


def test_encode_keeps_dollar_out_of_omegaconf():
    text = rs.encode({"rewards": {"a:b": 1}, "options": {"a:b": {"x": "${y}"}}})
    assert "$" not in text and json.loads(text)["options"]["a:b"]["x"] == "${y}"
