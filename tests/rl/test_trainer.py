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


class FakeTransferQueue:
    """An in-memory TransferQueue speaking the KV calls ``LongWriterTrainer._compute_advantage`` makes.

    ``kv_batch_get(keys, partition_id, select_fields)`` returns a TensorDict in the order of the
    ``keys`` asked for (jagged nested tensors for per-token fields, non-tensor stacks for the
    rest), as transfer_queue does; ``kv_batch_put(keys, partition_id, fields)`` stores row ``i``
    of ``fields`` under ``keys[i]`` and returns a ``KVBatchMeta``. A field never stored is a
    KeyError, like a missing field in the real queue. Everything goes through one partition.
    """

    def __init__(self, partition_id: str):
        self.partition_id = partition_id
        self.rows: dict[str, dict] = {}
        self.gets: list[list[str]] = []
        self.puts: list[list[str]] = []

    def kv_batch_get(self, keys, partition_id, select_fields=None):
        import torch
        from tensordict import NonTensorData, NonTensorStack, TensorDict

        assert partition_id == self.partition_id
        keys = [keys] if isinstance(keys, str) else list(keys)
        self.gets.append(list(select_fields or []))
        out = {}
        for name in select_fields:
            values = [self.rows[k][name] for k in keys]  # KeyError: a field never stored
            if isinstance(values[0], torch.Tensor):
                out[name] = torch.nested.as_nested_tensor(values, layout=torch.jagged)
            else:
                out[name] = NonTensorStack(*[NonTensorData(v) for v in values])
        return TensorDict(out, batch_size=len(keys))

    def kv_batch_put(self, keys, partition_id, fields=None, tags=None):
        from transfer_queue.metadata import KVBatchMeta

        assert partition_id == self.partition_id
        keys = list(keys)
        self.puts.append(keys)
        for name in fields.keys():  # noqa: SIM118 - iterating a TensorDict yields rows
            for key, row in zip(keys, fields[name].unbind(0), strict=True):
                self.rows[key][name] = row.clone()
        return KVBatchMeta(keys=keys, tags=tags or [{} for _ in keys], partition_id=partition_id)


def _queue_batch(seed: int = 11, groups: int = 8, group_size: int = 4):
    """``groups`` GRPO groups of ``group_size`` samples (real shape: 8 prompts x 4) plus two
    padding samples, stored in a :class:`FakeTransferQueue`, with the batch meta listing them in
    a seeded shuffled order (groups interleaved), as verl's replay buffer may hand them over."""
    import random

    import torch
    from transfer_queue.metadata import KVBatchMeta

    rng = random.Random(seed)
    queue = FakeTransferQueue("train_0")
    keys, tags = [], []
    for g in range(groups):
        uid = f"uid{g:02d}"
        for i in range(group_size):
            key = f"{uid}_0_{i}"
            n = rng.randint(20, 200)  # response length in tokens
            info = {
                "length": rng.random(),
                "format": float(rng.random() < 0.8),
                "quality": rng.random(),
                "score": 0.0,
                "answer_len": float(rng.randint(30, 300)),
                "think_len": 10.0,
                "well_formed": 1.0,
            }
            queue.rows[key] = {
                "response_mask": torch.ones(n, dtype=torch.int64),
                "extra_fields": {"reward_extra_info": info},
                "metrics": {"generate_sequences": 1.5, "compute_score": 0.01},
            }
            keys.append(key)
            tags.append({"is_padding": False, "response_len": n})
    for j in range(2):  # verl's batch balancing: deep copies of a real sample, tagged is_padding
        key = f"pad{j}_0_0"
        src = queue.rows[keys[j]]
        queue.rows[key] = {k: (v.clone() if hasattr(v, "clone") else dict(v)) for k, v in src.items()}
        keys.append(key)
        tags.append({"is_padding": True, "response_len": int(src["response_mask"].numel())})
    order = list(range(len(keys)))
    rng.shuffle(order)
    assert order != sorted(order)
    meta = KVBatchMeta(keys=[keys[i] for i in order], tags=[tags[i] for i in order], partition_id="train_0")
    return queue, meta


def _bare_trainer(debug: str | None = None):
    """A LongWriterTrainer without verl's __init__: only the attributes _compute_advantage reads."""
    from types import SimpleNamespace

    obj = object.__new__(T.LongWriterTrainer)
    obj.weights = {"length": 1.0, "quality": 1.0, "format": 1.0}
    obj.advantage_mode = "balanced"
    obj.advantage_eps = 1e-6
    obj.monitors = False
    obj.group_config = None
    obj.curriculum = None
    obj._judge_watch = T.JudgeWatch({})
    obj.global_steps = 3
    obj.debug_advantage = debug
    obj.config = SimpleNamespace(
        algorithm={"norm_adv_by_std_in_grpo": True}, data=SimpleNamespace(max_response_length=512)
    )
    return obj


def _run_compute_advantage(monkeypatch, debug: str | None = None):
    import transfer_queue

    queue, meta = _queue_batch()
    monkeypatch.setattr(transfer_queue, "kv_batch_get", queue.kv_batch_get)
    monkeypatch.setattr(transfer_queue, "kv_batch_put", queue.kv_batch_put)
    # what the pure helper gives each sample, computed in the store's own (grouped) order
    keys = list(queue.rows)
    tags = [{"is_padding": k.startswith("pad")} for k in keys]
    infos = [queue.rows[k]["extra_fields"]["reward_extra_info"] for k in keys]
    adv, _valid, _scores, _uids = T.sample_advantages(
        keys, tags, infos, {"length": 1.0, "quality": 1.0, "format": 1.0}
    )
    expected = dict(zip(keys, adv.tolist(), strict=True))
    metrics: dict = {}
    out = _bare_trainer(debug)._compute_advantage(meta, metrics)
    return queue, meta, out, metrics, expected


def _written(queue, key):
    row = queue.rows[key]
    adv, ret = row["advantages"], row["returns"]
    assert adv.shape == row["response_mask"].shape  # one value per response token
    assert torch_equal(adv, ret)
    assert bool((adv == adv[0]).all()), key  # the sample's advantage on every token
    return float(adv[0])


def torch_equal(a, b) -> bool:
    import torch

    return bool(torch.equal(a, b))


def test_compute_advantage_writes_each_sample_its_own_groups_advantage_in_shuffled_order(monkeypatch):
    """The trainer mode's wiring: fetch by key, tags, write-back by key, with groups interleaved.

    The batch meta lists 8 groups x 4 samples plus 2 padding copies in shuffled order; every
    sample's written-back per-token advantage (and return) must equal what
    :func:`rl.trainer.sample_advantages` gives it within its own group, padding 0.
    """
    queue, meta, out, metrics, expected = _run_compute_advantage(monkeypatch)
    assert len(set(expected.values())) > 20  # distinct values: a mis-keyed write shows
    for key in meta.keys:
        got = _written(queue, key)
        if key.startswith("pad"):
            assert got == 0.0
        else:
            assert got == pytest.approx(expected[key], abs=1e-6), key
    assert queue.puts == [list(meta.keys)] and list(out.keys) == list(meta.keys)
    assert ["response_mask", "extra_fields"] in queue.gets
    assert metrics[f"{T.METRIC_PREFIX}/padding_samples"] == 2.0
    assert metrics[f"{T.METRIC_PREFIX}/groups/count"] == 8
    assert metrics[f"{T.METRIC_PREFIX}/debug/advantage_permuted"] == 0.0
    assert metrics[f"{T.METRIC_PREFIX}/debug/advantage_negated"] == 0.0


def test_debug_advantage_negate_and_permute_break_the_advantage_and_say_so(monkeypatch):
    """The negative-control switch: negate flips each sample's own advantage; permute keeps the
    batch's values but moves them to other samples; both are recorded in the metrics."""
    queue, meta, _out, metrics, expected = _run_compute_advantage(monkeypatch, "negate")
    real = [k for k in meta.keys if not k.startswith("pad")]
    for key in real:
        assert _written(queue, key) == pytest.approx(-expected[key], abs=1e-6)
    assert metrics[f"{T.METRIC_PREFIX}/debug/advantage_negated"] == 1.0

    queue, meta, _out, metrics, expected = _run_compute_advantage(monkeypatch, "permute")
    got = {k: _written(queue, k) for k in meta.keys}
    assert sorted(got[k] for k in real) == pytest.approx(sorted(expected[k] for k in real), abs=1e-6)
    moved = sum(abs(got[k] - expected[k]) > 1e-6 for k in real)
    assert moved >= 24, moved  # most of the 32 land on another sample
    assert all(got[k] == 0.0 for k in meta.keys if k.startswith("pad"))
    assert metrics[f"{T.METRIC_PREFIX}/debug/advantage_permuted"] == 1.0
    assert metrics[f"{T.METRIC_PREFIX}/debug/advantage_negated"] == 0.0


def test_debug_advantage_mode_is_off_by_default_and_refuses_typos():
    assert T.debug_advantage_mode(None) is None
    assert T.debug_advantage_mode({}) is None
    assert T.debug_advantage_mode({"debug_advantage": None}) is None
    assert T.debug_advantage_mode({"debug_advantage": "negate"}) == "negate"
    with pytest.raises(ValueError, match="permute, negate"):
        T.debug_advantage_mode({"debug_advantage": "permuted"})
    with pytest.raises(ValueError):
        T.debug_advantage_mode({"debug_advantage": True})
