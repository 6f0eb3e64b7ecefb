"""The asynchronous trainer modes' names, required settings and per-step metrics (no verl import).

verl 0.9's V1 trainer overlaps generation with training in two modes (``trainer.v1.trainer_mode``):
``colocate_async`` (rollout and training share the GPUs; unfinished generations are aborted when a
step samples its batch and resumed on the new weights) and ``separate_async`` (a standalone
rollout pool keeps generating while the trainer trains). Ours, :data:`ASYNC_MODES`, are the same
modes with LongWriter-Zero's balanced advantage (``rl.trainer_async``); each maps to the verl mode
whose code paths and config section (``trainer.v1.<base>``) it uses.

:func:`check_async_config` is what a preset's async variant is checked against when composed
(``rl.presets.build_plan`` / the preset tests); :func:`async_step_metrics` turns the trained
samples' weight-version tags into the ``longwriter/async/*`` metrics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: our trainer mode -> verl's base mode (its code paths and its ``trainer.v1.<base>`` section).
ASYNC_MODES: dict[str, str] = {
    "longwriter_colocate_async": "colocate_async",
    "longwriter_separate_async": "separate_async",
}
#: ``longwrite train --async KIND`` / ``build_plan(async_mode=KIND)``: KIND -> our trainer mode.
ASYNC_KINDS: dict[str, str] = {
    "colocate": "longwriter_colocate_async",
    "separate": "longwriter_separate_async",
}
#: verl's own async modes: they would train with verl's GRPO advantage, not ours (refused by presets).
VERL_ASYNC_MODES: frozenset[str] = frozenset(ASYNC_MODES.values())
ASYNC_PREFIX = "longwriter/async"


def _get(config: Any, path: str) -> Any:
    node = config
    for key in path.split("."):
        if node is None:
            return None
        node = node.get(key) if hasattr(node, "get") else getattr(node, key, None)
    return node


def check_async_config(config: Any, mode: str) -> None:
    """Fail (ValueError naming the setting) when ``config`` (verl's composed config) cannot run ``mode``.

    The settings verl asserts only once the trainer is built on a cluster, checked when the
    preset is composed instead:

    * every async mode: ``trainer.v1.sampler.max_off_policy_threshold`` set (an integer >= 1: the
      most weight versions a trained sample may span; ``null`` lets staleness grow without bound),
      ``data.gen_batch_size`` unset or 1 (verl forces 1 in async modes and only warns),
      ``algorithm.use_kl_in_reward`` off (our trainer modes do not support it);
    * ``longwriter_separate_async``: ``data.train_batch_size == trainer.v1.separate_async.
      parameter_sync_step x actor.ppo_mini_batch_size``, a checkpoint engine other than ``naive``
      (``actor_rollout_ref.rollout.checkpoint_engine.backend``), and a standalone rollout pool
      (``actor_rollout_ref.rollout.nnodes`` and ``n_gpus_per_node`` > 0).
    """
    if mode not in ASYNC_MODES:
        raise ValueError(f"unknown async trainer mode {mode!r}; valid: {', '.join(ASYNC_MODES)}")
    problems: list[str] = []
    threshold = _get(config, "trainer.v1.sampler.max_off_policy_threshold")
    if threshold is None:
        problems.append(
            "trainer.v1.sampler.max_off_policy_threshold is null: staleness would be unbounded; set an integer >= 1"
        )
    elif not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1:
        problems.append(f"trainer.v1.sampler.max_off_policy_threshold={threshold!r}: must be an integer >= 1")
    gen = _get(config, "data.gen_batch_size")
    if gen not in (None, 1):
        problems.append(
            f"data.gen_batch_size={gen!r}: async modes fetch one prompt at a time (unset it or use 1)"
        )
    if _get(config, "algorithm.use_kl_in_reward"):
        problems.append("algorithm.use_kl_in_reward=true: not supported by the longwriter trainer modes")
    if ASYNC_MODES[mode] == "separate_async":
        batch = _get(config, "data.train_batch_size")
        sync_step = _get(config, "trainer.v1.separate_async.parameter_sync_step")
        mini = _get(config, "actor_rollout_ref.actor.ppo_mini_batch_size")
        if batch != (sync_step or 0) * (mini or 0):
            problems.append(
                f"data.train_batch_size ({batch}) must equal trainer.v1.separate_async.parameter_sync_step "
                f"({sync_step}) x actor_rollout_ref.actor.ppo_mini_batch_size ({mini})"
            )
        backend = _get(config, "actor_rollout_ref.rollout.checkpoint_engine.backend")
        if backend in (None, "naive"):
            problems.append(
                f"actor_rollout_ref.rollout.checkpoint_engine.backend={backend!r}: separate_async needs "
                "nccl, nixl, mooncake, ... (weights cross to another pool)"
            )
        for key in ("nnodes", "n_gpus_per_node"):
            value = _get(config, f"actor_rollout_ref.rollout.{key}")
            if not isinstance(value, int) or value < 1:
                problems.append(
                    f"actor_rollout_ref.rollout.{key}={value!r}: the standalone rollout pool needs >= 1"
                )
    if problems:
        raise ValueError(f"trainer mode {mode}: " + "; ".join(problems))


def async_step_metrics(tags: Sequence[Mapping[str, Any]], global_steps: int) -> dict[str, float]:
    """``longwriter/async/*`` for one trained batch, over its real (non-padding) samples.

    Step ``global_steps`` trains the policy whose weights are version ``global_steps - 1`` (verl
    pushes version ``s`` to the rollout after step ``s``). Each sample's tags record the weight
    versions its tokens came from, ``min_global_steps`` (first) to ``max_global_steps`` (last).

    * ``stale_ratio``: share of samples with any token from weights older than the trained policy;
    * ``lag/mean``, ``lag/max``: versions between the trained policy and a sample's OLDEST weights
      (0 = on-policy); ``lag_newest/mean``: the same from its NEWEST weights;
    * ``resumed_ratio``: share of samples whose generation spanned a weight update (aborted when a
      step sampled its batch and resumed on new weights: a partial rollout);
    * ``samples`` and ``policy_version``.

    A real sample without the version tags is a RuntimeError naming it (verl's async client always
    writes them; a missing one is a bug, never read as on-policy).
    """
    current = int(global_steps) - 1
    lags: list[int] = []
    newest: list[int] = []
    resumed = 0
    for i, tag in enumerate(tags):
        if tag.get("is_padding", False):
            continue
        lo, hi = tag.get("min_global_steps"), tag.get("max_global_steps")
        if lo is None or hi is None:
            raise RuntimeError(
                f"sample {i} of step {global_steps} has no weight-version tags (min/max_global_steps: "
                f"{lo!r}/{hi!r}; tags {sorted(tag)}): its staleness cannot be measured"
            )
        lags.append(current - int(lo))
        newest.append(current - int(hi))
        resumed += int(hi) > int(lo)
    p = ASYNC_PREFIX
    out: dict[str, float] = {f"{p}/samples": float(len(lags)), f"{p}/policy_version": float(current)}
    if not lags:
        return out
    n = len(lags)
    out[f"{p}/stale_ratio"] = sum(lag > 0 for lag in lags) / n
    out[f"{p}/lag/mean"] = sum(lags) / n
    out[f"{p}/lag/max"] = float(max(lags))
    out[f"{p}/lag_newest/mean"] = sum(newest) / n
    out[f"{p}/resumed_ratio"] = resumed / n
    return out
