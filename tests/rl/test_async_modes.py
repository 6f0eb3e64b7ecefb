"""The asynchronous trainer modes: names, required settings checked when composed, presets, the
``longwriter/async/*`` metrics, registration, and the advantage step (rollout correction, then the
balanced advantage) on an in-memory TransferQueue speaking the real KV calls."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from rl.async_modes import ASYNC_MODES, async_step_metrics, check_async_config
from rl.presets import build_plan, compose

GPU_PRESETS = ("qwen2.5-7b", "qwen2.5-32b")


def _tag(lo, hi, padding=False):
    return {"min_global_steps": lo, "max_global_steps": hi, "is_padding": padding, "response_len": 10}


def test_async_metrics_hand_computed():
    # step 5 trains the policy of version 4
    tags = [_tag(4, 4), _tag(3, 4), _tag(2, 3), _tag(4, 4), _tag(0, 0, padding=True)]
    m = async_step_metrics(tags, 5)
    assert m["longwriter/async/samples"] == 4  # padding left out
    assert m["longwriter/async/policy_version"] == 4
    assert m["longwriter/async/stale_ratio"] == pytest.approx(2 / 4)
    assert m["longwriter/async/lag/mean"] == pytest.approx((0 + 1 + 2 + 0) / 4)
    assert m["longwriter/async/lag/max"] == 2
    assert m["longwriter/async/lag_newest/mean"] == pytest.approx((0 + 0 + 1 + 0) / 4)
    assert m["longwriter/async/resumed_ratio"] == pytest.approx(2 / 4)


def test_async_metrics_on_policy_batch_is_all_zero():
    m = async_step_metrics([_tag(2, 2)] * 6, 3)
    assert m["longwriter/async/stale_ratio"] == 0 and m["longwriter/async/resumed_ratio"] == 0
    assert m["longwriter/async/lag/max"] == 0


def test_a_sample_without_version_tags_is_an_error_not_on_policy():
    with pytest.raises(RuntimeError, match="sample 1 of step 4 has no weight-version tags"):
        async_step_metrics([_tag(3, 3), {"is_padding": False}], 4)


@pytest.mark.parametrize("name", GPU_PRESETS)
@pytest.mark.parametrize("kind", ["colocate", "separate"])
def test_gpu_presets_have_async_variants_that_compose_and_pass_verls_checks(name, kind):
    plan = build_plan(name, async_mode=kind)
    cfg = compose(plan)  # rl.async_modes.check_async_config runs here
    mode = f"longwriter_{kind}_async"
    assert cfg.trainer.v1.trainer_mode == mode
    assert plan.env["VERL_USE_EXTERNAL_MODULES"].split(",") == ["rl.trainer", "rl.trainer_async"]
    assert isinstance(cfg.trainer.v1.sampler.max_off_policy_threshold, int)
    assert cfg.algorithm.rollout_correction.rollout_is == "token"
    assert cfg.longwriter.advantage_mode == "balanced"  # the preset's own settings stay
    if kind == "separate":
        v1 = cfg.trainer.v1.separate_async
        assert (
            cfg.data.train_batch_size
            == v1.parameter_sync_step * cfg.actor_rollout_ref.actor.ppo_mini_batch_size
        )
        assert cfg.actor_rollout_ref.rollout.checkpoint_engine.backend != "naive"
    # one setting: the same as naming the mode in an override
    same = build_plan(name, [f"trainer.v1.trainer_mode={mode}"])
    assert same.overrides == plan.overrides


def test_tiny_cpu_async_and_the_sync_default_is_unchanged():
    cfg = compose(build_plan("tiny-cpu", async_mode="colocate"))
    assert cfg.trainer.v1.trainer_mode == "longwriter_colocate_async"
    sync = build_plan("tiny-cpu")
    assert compose(sync).trainer.v1.trainer_mode == "longwriter_balanced"
    assert "rl.trainer_async" not in sync.env["VERL_USE_EXTERNAL_MODULES"]
    with pytest.raises(ValueError, match="no async.separate_async section"):
        build_plan("tiny-cpu", async_mode="separate")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("data.train_batch_size=60", r"train_batch_size \(60\) must equal"),
        ("actor_rollout_ref.rollout.checkpoint_engine.backend=naive", "not\\s+\"?naive|'naive'"),
        ("trainer.v1.sampler.max_off_policy_threshold=null", "staleness would be unbounded"),
        ("actor_rollout_ref.rollout.nnodes=0", "standalone rollout pool"),
    ],
)
def test_separate_async_without_a_required_setting_fails_when_composed(override, message):
    with pytest.raises(ValueError, match=message):
        compose(build_plan("qwen2.5-7b", [override], async_mode="separate"))


def test_colocate_async_with_a_gen_batch_fails_when_composed():
    with pytest.raises(ValueError, match="gen_batch_size"):
        compose(build_plan("qwen2.5-7b", ["+data.gen_batch_size=8"], async_mode="colocate"))


def test_verls_own_async_mode_is_refused_and_names_ours():
    with pytest.raises(ValueError, match="longwriter_colocate_async"):
        build_plan("qwen2.5-7b", ["trainer.v1.trainer_mode=colocate_async"])
    with pytest.raises(ValueError, match="asks for longwriter_separate_async"):
        build_plan("qwen2.5-7b", ["trainer.v1.trainer_mode=longwriter_colocate_async"], async_mode="separate")
    with pytest.raises(ValueError, match="valid: colocate, separate"):
        build_plan("qwen2.5-7b", async_mode="sideways")


def test_check_async_config_rejects_unknown_modes():
    with pytest.raises(ValueError, match="unknown async trainer mode"):
        check_async_config({}, "colocate_async")


# --------------------------------------------------------------------------------------------
# The trainer classes (verl imported)
# --------------------------------------------------------------------------------------------


def test_modes_are_registered_on_verls_async_trainers_with_our_steps():
    from verl.trainer.ppo.v1.trainer_base import get_trainer_cls
    from verl.trainer.ppo.v1.trainer_colocate_async import PPOTrainerColocateAsync
    from verl.trainer.ppo.v1.trainer_separate_async import PPOTrainerSeparateAsync

    from rl import trainer_async as TA
    from rl.trainer import LongWriterSteps

    for mode, base_cls in (
        (TA.COLOCATE_MODE, PPOTrainerColocateAsync),
        (TA.SEPARATE_MODE, PPOTrainerSeparateAsync),
    ):
        cls = get_trainer_cls(mode)
        assert issubclass(cls, LongWriterSteps) and issubclass(cls, base_cls)
        obj = object.__new__(cls)
        obj.trainer_mode = mode  # what PPOTrainer.__init__ assigns from the config
        # every `== "sync"` branch of trainer_base takes the async path, the config section is the base's
        assert obj.trainer_mode == ASYNC_MODES[mode] != "sync"
        assert obj.mode_name == mode
        # verl's async hooks (abort + resume, partial rollouts), our advantage step
        for hook in ("on_sample_end", "on_step_end", "get_llm_client", "on_train_begin"):
            assert getattr(cls, hook) is getattr(base_cls, hook), hook
        assert cls._compute_advantage is TA.LongWriterAsyncSteps._compute_advantage
        assert cls._save_checkpoint is LongWriterSteps._save_checkpoint
        with pytest.raises(ValueError, match="configured as"):
            obj.trainer_mode = "longwriter_balanced"
    from rl.trainer import LongWriterTrainer

    sync = object.__new__(LongWriterTrainer)
    sync.trainer_mode = "longwriter_balanced"
    assert sync.trainer_mode == "sync"  # the synchronous mode is unchanged


def _trainer_test_module():
    """tests/rl/test_trainer.py's in-memory TransferQueue and batch builder (loaded by path:
    tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "_rl_test_trainer", Path(__file__).with_name("test_trainer.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _async_trainer(base, correction):
    from types import SimpleNamespace

    from rl import trainer_async as TA

    sync = base._bare_trainer()
    obj = object.__new__(TA.LongWriterColocateAsync)
    obj.__dict__.update(sync.__dict__)
    obj.config = SimpleNamespace(
        algorithm={"norm_adv_by_std_in_grpo": True, "rollout_correction": correction},
        data=SimpleNamespace(max_response_length=512),
    )
    obj.global_steps = 5
    return obj


def _with_logprobs(queue, meta, seed=3):
    """Give every stored sample rollout and old log-probs (one per response token) and version tags."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    for key in queue.rows:
        n = queue.rows[key]["response_mask"].numel()
        old = -torch.rand(n, generator=gen) * 2
        queue.rows[key]["old_log_probs"] = old
        queue.rows[key]["rollout_log_probs"] = old + (torch.rand(n, generator=gen) - 0.5) * 3
    for i, tag in enumerate(meta.tags):
        tag.update({"min_global_steps": 4 - i % 3, "max_global_steps": 4 - (i % 3 == 2)})


def test_advantage_step_applies_rollout_correction_then_the_balanced_advantage(monkeypatch):
    import torch
    import transfer_queue

    from rl import trainer as T

    base = _trainer_test_module()
    queue, meta = base._queue_batch()
    _with_logprobs(queue, meta)
    monkeypatch.setattr(transfer_queue, "kv_batch_get", queue.kv_batch_get)
    monkeypatch.setattr(transfer_queue, "kv_batch_put", queue.kv_batch_put)
    keys = list(queue.rows)
    infos = [queue.rows[k]["extra_fields"]["reward_extra_info"] for k in keys]
    adv, *_ = T.sample_advantages(
        keys, [{"is_padding": k.startswith("pad")} for k in keys], infos, base._bare_trainer().weights
    )
    expected = dict(zip(keys, adv.tolist(), strict=True))
    correction = {"rollout_is": "token", "rollout_is_threshold": 2.0, "rollout_rs": "token_k1",
                  "rollout_rs_threshold": "0.5_2.0", "bypass_mode": False}  # fmt: skip
    metrics: dict = {}
    _async_trainer(base, correction)._compute_advantage(meta, metrics)

    rejected = 0
    for key in meta.keys:
        row = queue.rows[key]
        ratio = torch.exp(row["old_log_probs"] - row["rollout_log_probs"])
        weights = row["rollout_is_weights"]  # truncated IS weights written back, per token
        assert torch.allclose(weights, torch.clamp(ratio, max=2.0), atol=1e-5), key
        keep = row["response_mask"].bool()
        assert torch.equal(keep, (ratio >= 0.5) & (ratio <= 2.0)), key  # rejection masked
        rejected += int((~keep).sum())
        value = 0.0 if key.startswith("pad") else expected[key]
        want = torch.where(keep, torch.tensor(value), torch.tensor(0.0))
        assert torch.allclose(row["advantages"], want, atol=1e-6), key  # no advantage on rejected tokens
    assert rejected > 0
    assert metrics["longwriter/async/rollout_correction_applied"] == 1.0
    assert any(k.startswith("rollout_corr/") for k in metrics)
    assert "longwriter/advantage/abs_mean" in metrics  # our step metrics still logged
    assert metrics["longwriter/async/samples"] == 32  # 8 groups x 4, padding left out
    assert 0 < metrics["longwriter/async/stale_ratio"] < 1
    assert 0 < metrics["longwriter/async/resumed_ratio"] < 1


def test_without_rollout_logprobs_the_skip_is_recorded(monkeypatch):
    import transfer_queue

    base = _trainer_test_module()
    queue, meta = base._queue_batch()
    for tag in meta.tags:
        tag.update({"min_global_steps": 4, "max_global_steps": 4})
    monkeypatch.setattr(transfer_queue, "kv_batch_get", _skip_missing(queue))
    monkeypatch.setattr(transfer_queue, "kv_batch_put", queue.kv_batch_put)
    metrics: dict = {}
    _async_trainer(base, {"rollout_is": "token", "bypass_mode": False})._compute_advantage(meta, metrics)
    assert metrics["longwriter/async/rollout_correction_applied"] == 0.0
    assert metrics["longwriter/async/stale_ratio"] == 0.0


def _skip_missing(queue):
    """transfer_queue leaves out a field no sample has (verl asks for ``values`` without a critic)."""

    def get(keys, partition_id, select_fields=None):
        present = [f for f in select_fields if all(f in queue.rows[k] for k in keys)]
        return queue.kv_batch_get(keys, partition_id, present)

    return get
