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
        {"score": 1.0, "answer_len": 100, "think_len": 10, "well_formed": 1.0},
        {"score": 0.5, "answer_len": 200, "think_len": 20, "well_formed": 1.0},
        {"score": 0.25, "answer_len": 300, "think_len": 30, "well_formed": 0.0},
        {"score": 0.75, "answer_len": 400, "think_len": 40, "well_formed": 1.0},
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
    assert m[f"{p}/well_formed_ratio"] == 0.75  # structure only, unlike the format reward's 0.75
    assert m[f"{p}/samples"] == 4


def test_step_metrics_all_constant_group():
    m = T.step_metrics({"length": [0.2, 0.2]}, ["g", "g"], [0.0, 0.0], [{}, {}], [3, 3], 64, {"length": 1})
    assert m["longwriter/groups/zero_var_ratio"] == 1.0
    assert m["longwriter/advantage/zero_ratio"] == 1.0
    assert "longwriter/well_formed_ratio" not in m  # no sample said: missing, never a made-up 0 or 1


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


def test_monitor_metrics_prefix_and_missing_left_out():
    from rewards.monitors import NgramReference

    para = "The harbour town traded copper nails and salt fish with every passing ship."
    padded = "\n\n".join([para] * 4)
    varied = "Rain fell on the valley.\n\nFarmers waited for the river to rise and the grain to ripen."
    ref = NgramReference.from_texts([varied])
    m = T.monitor_metrics([padded, varied], ["g", "g"], [52.0, 16.0], None, ref)
    assert m[f"{T.METRIC_PREFIX}/monitor/near_duplicate_share"] == pytest.approx(0.75 / 2)
    # No quality reward: no correlation is logged (never a 0 standing in for "unknown").
    assert f"{T.METRIC_PREFIX}/monitor/length_quality_corr" not in m
    # The two answers share no word bigram: their group is as varied as it gets.
    assert m[f"{T.METRIC_PREFIX}/monitor/intra_group_similarity"] == 0.0
    # One prompt only: its topic words and stuffing cannot be told apart, so over-use is not logged.
    assert f"{T.METRIC_PREFIX}/monitor/overused_ngram_share" not in m
    m = T.monitor_metrics([padded, varied, varied], ["a", "b", "b"], [52, 16, 17], [0.2, 0.9, 0.8], ref)
    assert m[f"{T.METRIC_PREFIX}/monitor/length_quality_corr"] < -0.9
    assert m[f"{T.METRIC_PREFIX}/monitor/intra_group_similarity"] == pytest.approx(1.0)  # group b: twins
    # Two prompts: over-use is measured across them ("a" repeats its paragraph, but only "a" does).
    assert m[f"{T.METRIC_PREFIX}/monitor/overused_ngram_share"] == 0.0


def test_sample_advantages_shuffled_order_each_sample_against_its_own_group():
    """TransferQueue may hand samples back in any order: each advantage must come from its own group.

    Three groups of four with known length rewards, shuffled (seeded) and interleaved with two
    padding copies; every sample's advantage must equal the hand-computed GRPO value of its own
    group (unbiased std, eps 1e-6), whatever position it lands in.
    """
    import random
    import statistics

    rewards = {
        "ua": [0.0, 1.0, 0.5, 0.5],
        "ub": [0.9, 0.1, 0.1, 0.1],
        "uc": [0.2, 0.4, 0.6, 0.8],
    }
    samples = [(f"{uid}_0_{i}", uid, r) for uid, rs in rewards.items() for i, r in enumerate(rs)]
    order = list(range(len(samples)))
    random.Random(7).shuffle(order)
    assert order != sorted(order)
    keys, tags, infos = [], [], []
    for j in order:
        key, _uid, r = samples[j]
        keys.append(key)
        tags.append({"is_padding": False})
        infos.append({"length": r, "format": 1.0})
    # two padding copies (verl's batch balancing), placed in the middle and at the end
    for pos in (5, len(keys)):
        keys.insert(pos, keys[0])
        tags.insert(pos, {"is_padding": True})
        infos.insert(pos, {"length": 123.0, "format": 1.0})

    adv, valid, _scores, uids = T.sample_advantages(keys, tags, infos, {"length": 1.0, "format": 1.0})
    assert sum(valid) == 12 and len(adv) == 14
    expected = {}
    for uid, rs in rewards.items():
        mu, sd = statistics.mean(rs), statistics.stdev(rs)
        # balanced: the constant format component contributes 0; the mean over 2 components halves it
        expected.update({f"{uid}_0_{i}": (r - mu) / (sd + 1e-6) / 2 for i, r in enumerate(rs)})
    for key, a, ok, uid in zip(keys, adv.tolist(), valid, uids, strict=True):
        assert uid == key.split("_")[0]
        if not ok:
            assert a == 0.0
        else:
            assert a == pytest.approx(expected[key], abs=1e-5), key
    # the best sample of each group gets that group's largest advantage
    for uid, rs in rewards.items():
        best = f"{uid}_0_{rs.index(max(rs))}"
        mine = [a for k, a, ok in zip(keys, adv.tolist(), valid, strict=True) if ok and k.startswith(uid)]
        assert max(mine) == pytest.approx(expected[best], abs=1e-5)


def test_sample_advantages_missing_component_fails_loudly():
    with pytest.raises(KeyError, match="quality"):
        T.sample_advantages(
            ["u_0_0", "u_0_1"], [{}, {}], [{"length": 1.0}, {"length": 0.0}], {"quality": 1.0}
        )


def test_weighted_mean_leaves_missing_components_out():
    # Sample 0: length missing -> its weighted mean is format's 1.0 alone (not (0 + 1) / 2).
    # Sample 1: both there, weights 3 and 1 -> (3 * 0.5 + 1 * 0.0) / 4 = 0.375.
    # Sample 2: nothing available -> not averaged in, counted instead.
    nan = float("nan")
    scores = {"length": [nan, 0.5, nan], "format": [1.0, 0.0, nan]}
    m = T.step_metrics(scores, ["a", "a", "b"], [0.0] * 3, [{}] * 3, [1] * 3, 64, {"length": 3, "format": 1})
    assert m["longwriter/reward/weighted_mean/mean"] == (1.0 + 0.375) / 2
    assert m["longwriter/reward/weighted_mean/none_available_ratio"] == 1 / 3


def test_response_lens_of_refuses_a_missing_truncation_tag():
    """The truncation share comes from each sample's response_len tag: a missing tag is an error
    naming the sample, never 0 tokens (which would read as "not truncated")."""
    tags = [{"response_len": 96}, {"response_len": 40, "is_padding": False}, {"is_padding": True}]
    assert T.response_lens_of(["k0", "k1", "k2"], tags, [True, True, False]) == [96, 40]  # padding skipped
    with pytest.raises(
        RuntimeError, match=r"sample 'k2' has no 'response_len' tag \(tags: \['is_padding'\]\)"
    ):
        T.response_lens_of(["k0", "k1", "k2"], tags, [True, True, True])
    with pytest.raises(RuntimeError, match="sample 'k0'"):
        T.response_lens_of(["k0"], [{"response_len": None}], [True])
    m = T.step_metrics({"x": [0.5, 0.5]}, ["g", "g"], [0.0, 0.0], [{}, {}], [96, 40], 96, {"x": 1})
    assert m["longwriter/truncated_ratio"] == 0.5 and m["longwriter/response_tokens/mean"] == 68


def test_cut_ratio_per_reward_over_recorded_samples():
    """longwriter/reward/<name>/cut_ratio: the share of samples a reward did not read whole; a
    reward that records no cuts (NaN) is not logged, never reported as 0."""
    infos = [
        {"quality_cut_chars": 0.0, "pairwise_cut_chars": 1200.0, "length_cut_chars": math.nan},
        {"quality_cut_chars": 3000.0, "pairwise_cut_chars": math.nan, "length_cut_chars": math.nan},
        {"quality_cut_chars": 0.0, "pairwise_cut_chars": 0.0, "length_cut_chars": math.nan},
        {"quality_cut_chars": 10.0, "pairwise_cut_chars": 0.0, "length_cut_chars": math.nan},
    ]
    scores = {"quality": [0.5] * 4, "pairwise": [1.0] * 4, "length": [0.2] * 4}
    m = T.step_metrics(scores, ["a", "a", "b", "b"], [0.0] * 4, infos, [5] * 4, 64, {"quality": 1})
    assert m["longwriter/reward/quality/cut_ratio"] == 0.5
    assert m["longwriter/reward/pairwise/cut_ratio"] == pytest.approx(1 / 3)  # 3 recorded
    assert "longwriter/reward/length/cut_ratio" not in m


def test_judge_watch_stops_after_consecutive_bad_steps_only():
    """More than the share, the stated number of steps IN A ROW: a good step resets the count,
    exactly the share is not more than it, and the error names the reward and the endpoint."""
    nan = float("nan")
    watch = T.JudgeWatch({"pairwise": T.JudgeLimit("http://127.0.0.1:9/v1", 0.5, 2)})
    three_of_four = {"pairwise": [nan, nan, nan, 1.0], "length": [0.1] * 4}
    half = {"pairwise": [nan, nan, 1.0, 0.0]}
    assert watch.update(1, three_of_four)["longwriter/judge/pairwise/bad_steps"] == 1
    m = watch.update(2, half)  # 50 % is not more than 50 %: the run recovered, the count resets
    assert m == {"longwriter/judge/pairwise/missing_ratio": 0.5, "longwriter/judge/pairwise/bad_steps": 0}
    assert watch.update(3, three_of_four)["longwriter/judge/pairwise/bad_steps"] == 1
    reasons = [["pairwise: A: judge failed (connection error: refused) (missing, not a loss)"]] * 4
    with pytest.raises(T.JudgeDownError) as err:
        watch.update(4, {"pairwise": [nan] * 4}, reasons)
    text = str(err.value)
    assert "reward 'pairwise': the judge at http://127.0.0.1:9/v1 left 100% of step 4" in text
    assert "2 consecutive steps" in text and "connection error: refused" in text


def test_judge_limits_come_from_the_reward_then_longwriter_then_defaults():
    from rewards.base import RewardConfig

    judge = {"base_url": "http://127.0.0.1:1/v1", "model": "m"}
    config = RewardConfig(
        rewards={"length": 1.0, "pairwise": 1.0, "group_pairwise": 1.0},
        options={
            "pairwise": {**judge, "judge_max_missing_share": 0.2, "judge_max_missing_steps": 5},
            "group_pairwise": dict(judge),
        },
    )
    limits = T.judge_limits(config, {"judge_max_missing_steps": 4})
    assert set(limits) == {"pairwise", "group_pairwise"}  # length has no judge
    assert (limits["pairwise"].max_share, limits["pairwise"].max_steps) == (0.2, 5)
    assert (limits["group_pairwise"].max_share, limits["group_pairwise"].max_steps) == (
        T.DEFAULT_JUDGE_MAX_MISSING_SHARE,
        4,
    )
    assert limits["group_pairwise"].endpoint == judge["base_url"]
    with pytest.raises(ValueError, match="judge_max_missing_share"):
        T.judge_limits(config, {"judge_max_missing_share": 1.5})
