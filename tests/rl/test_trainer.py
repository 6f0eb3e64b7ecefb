"""rl.trainer's pure parts: reading reward_extra_info, the per-step metrics, mode registration."""

from __future__ import annotations

import math

import pytest

from rl import trainer as T


def test_mode_is_registered_and_reports_sync_to_verl():
    from verl.trainer.ppo.v1.trainer_base import get_trainer_cls

    cls = get_trainer_cls(T.MODE_NAME)
    assert cls is T.LongWriterTrainer
    obj = object.__new__(cls)
    obj.trainer_mode = T.MODE_NAME  # what PPOTrainer.__init__ assigns from the config
    assert obj.trainer_mode == "sync"  # so every `== "sync"` branch in trainer_base stays sync
    assert obj.mode_name == T.MODE_NAME


def test_extra_info_of_handles_wrappers_and_junk():
    class Wrapped:
        data = {"reward_extra_info": {"length": 0.5}}

    assert T.extra_info_of({"reward_extra_info": {"length": 1.0}}) == {"length": 1.0}
    assert T.extra_info_of(Wrapped()) == {"length": 0.5}
    assert T.extra_info_of(None) == {}
    assert T.extra_info_of({"other": 1}) == {}


def test_component_scores_missing_is_nan():
    scores = T.component_scores([{"length": 1, "format": "x"}, {}], ["length", "format"])
    assert scores["length"][0] == 1.0 and math.isnan(scores["length"][1])
    assert math.isnan(scores["format"][0])


def test_distribution_hand_computed():
    d = T.distribution([1, 2, 3, 4, float("nan")])
    assert d == {"mean": 2.5, "p50": 2.5, "p90": pytest.approx(3.7), "max": 4.0}
    assert T.distribution([]) == {}


def test_step_metrics_hand_computed():
    scores = {"length": [1.0, 0.0, 0.5, 0.5], "format": [1.0, 1.0, 0.0, 1.0]}
    groups = ["a", "a", "b", "b"]
    infos = [
        {"score": 1.0, "answer_len": 100, "think_len": 10},
        {"score": 0.5, "answer_len": 200, "think_len": 20},
        {"score": 0.25, "answer_len": 300, "think_len": 30},
        {"score": 0.75, "answer_len": 400, "think_len": 40},
    ]
    m = T.step_metrics(
        scores, groups, [0.5, -0.5, -0.5, 0.5], infos, [10, 64, 64, 5], 64, {"length": 1, "format": 1}
    )
    p = "longwriter"
    assert m[f"{p}/reward/length/mean"] == 0.5
    assert m[f"{p}/reward/format/mean"] == 0.75
    assert m[f"{p}/reward/length/std"] == pytest.approx(math.sqrt(0.125))
    # group a: length varies, format constant; group b: length constant, format varies
    assert m[f"{p}/groups/length/zero_var_ratio"] == 0.5
    assert m[f"{p}/groups/format/zero_var_ratio"] == 0.5
    assert m[f"{p}/groups/zero_var_ratio"] == 0.0  # no group is constant in every component
    assert m[f"{p}/reward/score/mean"] == 0.625  # the reward function's raw total
    assert m[f"{p}/reward/weighted_mean/mean"] == pytest.approx(0.625)
    assert m[f"{p}/advantage/mean"] == 0.0 and m[f"{p}/advantage/max"] == 0.5
    assert m[f"{p}/length/answer/mean"] == 250 and m[f"{p}/length/answer/max"] == 400
    assert m[f"{p}/length/plan/p50"] == 25
    assert m[f"{p}/truncated_ratio"] == 0.5  # two responses hit 64 tokens
    assert m[f"{p}/samples"] == 4


def test_step_metrics_all_constant_group():
    m = T.step_metrics({"length": [0.2, 0.2]}, ["g", "g"], [0.0, 0.0], [{}, {}], [3, 3], 64, {"length": 1})
    assert m["longwriter/groups/zero_var_ratio"] == 1.0
    assert m["longwriter/advantage/zero_ratio"] == 1.0


def test_reward_weights_from_config():
    from omegaconf import OmegaConf

    cfg = OmegaConf.create(
        {
            "reward": {
                "custom_reward_function": {"reward_kwargs": {"reward_config": {"rewards": {"length": 2.0}}}}
            }
        }
    )
    assert T.reward_weights(cfg) == {"length": 2.0}
    assert T.reward_weights(OmegaConf.create({})) == T.DEFAULT_COMPONENTS


def test_weighted_mean_leaves_missing_components_out():
    # Sample 0: length missing -> its weighted mean is format's 1.0 alone (not (0 + 1) / 2).
    # Sample 1: both there, weights 3 and 1 -> (3 * 0.5 + 1 * 0.0) / 4 = 0.375.
    # Sample 2: nothing available -> not averaged in, counted instead.
    nan = float("nan")
    scores = {"length": [nan, 0.5, nan], "format": [1.0, 0.0, nan]}
    m = T.step_metrics(scores, ["a", "a", "b"], [0.0] * 3, [{}] * 3, [1] * 3, 64, {"length": 3, "format": 1})
    assert m["longwriter/reward/weighted_mean/mean"] == (1.0 + 0.375) / 2
    assert m["longwriter/reward/weighted_mean/none_available_ratio"] == 1 / 3
