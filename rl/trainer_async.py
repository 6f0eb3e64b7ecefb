"""The asynchronous verl V1 trainer modes with LongWriter-Zero's balanced advantage.

``longwriter_colocate_async`` and ``longwriter_separate_async`` are verl's ``colocate_async`` and
``separate_async`` trainers (``verl/trainer/ppo/v1/trainer_*_async.py``: generation overlaps
training, unfinished generations are aborted and resumed on the new weights) with every step of
:class:`rl.trainer.LongWriterSteps`: the balanced advantage over every reward component, the group
rewards and the curriculum (saved and restored with each checkpoint), the per-step metrics, the
reward-hacking monitors and the judge watch. Select one with ``trainer.v1.trainer_mode=NAME``;
``rl.presets`` loads this module in every Ray process (``VERL_USE_EXTERNAL_MODULES``) when it is
selected, and adds the preset's ``async`` settings (``longwrite train --async``).

What differs from the synchronous mode:

* ``trainer_mode`` is reported to verl's base class as the base mode (``colocate_async`` /
  ``separate_async``), NOT ``"sync"``: every ``== "sync"`` branch of ``trainer_base.py`` takes its
  async path on purpose (the async replay buffer with its staleness bound, one-prompt dataloader
  fetches, prompts stored in TransferQueue, TransferQueue state saved and restored with each
  checkpoint so in-flight prompts survive a restart) and the mode's config section is
  ``trainer.v1.<base>``. :attr:`mode_name` keeps the registered name.
* Off-policy correction: verl's own advantage step applies ``algorithm.rollout_correction``
  (importance weights, rejection masks and their ``rollout_corr/*`` metrics); ours replaces that
  step, so :meth:`_rollout_correction` applies it first, then the balanced advantage reads the
  (possibly rejection-masked) ``response_mask``.
* ``longwriter/async/*`` metrics per step (:func:`rl.async_modes.async_step_metrics`): the share
  of samples generated under older weights, their version lag, the share of resumed (partial)
  generations.
"""

from __future__ import annotations

import logging
from typing import Any

from verl.trainer.ppo.v1.trainer_base import register_trainer
from verl.trainer.ppo.v1.trainer_colocate_async import PPOTrainerColocateAsync
from verl.trainer.ppo.v1.trainer_separate_async import PPOTrainerSeparateAsync

from rl.async_modes import ASYNC_MODES, ASYNC_PREFIX, async_step_metrics
from rl.trainer import LongWriterSteps

logger = logging.getLogger(__name__)

COLOCATE_MODE = "longwriter_colocate_async"
SEPARATE_MODE = "longwriter_separate_async"


class LongWriterAsyncSteps(LongWriterSteps):
    """:class:`rl.trainer.LongWriterSteps` for verl's async trainers: async code paths, rollout
    correction before the balanced advantage, and the ``longwriter/async/*`` metrics."""

    #: verl's base mode, reported as ``trainer_mode`` (set by each registered class).
    base_mode: str = ""

    @property
    def trainer_mode(self) -> str:
        """The verl base mode (``colocate_async`` / ``separate_async``): the async paths of verl's
        base class are the ones this mode wants (see the module docstring)."""
        return self.base_mode

    @trainer_mode.setter
    def trainer_mode(self, value: str) -> None:
        """verl assigns the configured mode name here; keep it as :attr:`mode_name`."""
        if value != self.mode_name:
            raise ValueError(
                f"{type(self).__name__} is trainer mode {self.mode_name!r}, configured as {value!r}"
            )

    def __init__(self, config: Any):
        super().__init__(config)
        sampler = config.trainer.v1.sampler
        print(
            f"[{self.mode_name}] asynchronous ({self.base_mode}): max_off_policy_threshold="
            f"{sampler.get('max_off_policy_threshold')} strategy={sampler.get('max_off_policy_strategy')} "
            f"warmup batches={config.trainer.v1.get(self.base_mode, {}).get('num_warmup_batches')}",
            flush=True,
        )

    def _compute_advantage(self, batch, metrics: dict):
        """Rollout correction, then the balanced advantage, then the async metrics of the batch."""
        tags = list(batch.tags)  # the replay buffer's tags (weight versions), as sampled
        self._rollout_correction(batch, metrics)
        batch = super()._compute_advantage(batch, metrics)
        metrics.update(async_step_metrics(tags, int(self.global_steps)))
        return batch

    def _rollout_correction(self, batch, metrics: dict) -> None:
        """Apply ``algorithm.rollout_correction`` as verl's own advantage step does.

        Importance weights (``rollout_is``) and rejection masks (``rollout_rs``) between the
        rollout's log-probs and the recomputed old log-probs, written back to TransferQueue
        (``rollout_is_weights``, the rejection-masked ``response_mask``), with verl's
        ``rollout_corr/*`` metrics. Skipped, as in verl, in bypass mode (the actor computes them)
        or without ``rollout_log_probs``: the skip is logged as
        ``longwriter/async/rollout_correction_applied`` = 0.
        """
        import transfer_queue as tq
        from tensordict import TensorDict
        from verl import DataProto
        from verl.trainer.ppo.rollout_corr_helper import compute_rollout_correction_and_add_to_batch
        from verl.workers.utils.padding import response_to_nested

        cfg = self.config.algorithm.get("rollout_correction", None)
        applied = 0.0
        if cfg is not None and not cfg.get("bypass_mode", False):
            fields = ["response_mask", "rollout_log_probs", "old_log_probs"]
            data = tq.kv_batch_get(keys=batch.keys, partition_id=batch.partition_id, select_fields=fields)
            if "rollout_log_probs" in data:
                nested_mask = data["response_mask"]
                proto = DataProto(batch=data.to_padded_tensor())
                proto, corr_metrics = compute_rollout_correction_and_add_to_batch(proto, cfg)
                metrics.update(corr_metrics)
                out = {"response_mask": response_to_nested(proto.batch["response_mask"], nested_mask)}
                if "rollout_is_weights" in proto.batch:
                    out["rollout_is_weights"] = response_to_nested(
                        proto.batch["rollout_is_weights"], nested_mask
                    )
                tq.kv_batch_put(
                    keys=batch.keys,
                    partition_id=batch.partition_id,
                    fields=TensorDict(out, batch_size=len(batch)),
                )
                applied = 1.0
            else:
                logger.warning("[%s] no rollout_log_probs: rollout correction skipped", self.mode_name)
        metrics[f"{ASYNC_PREFIX}/rollout_correction_applied"] = applied


@register_trainer(COLOCATE_MODE)
class LongWriterColocateAsync(LongWriterAsyncSteps, PPOTrainerColocateAsync):
    """verl's ``colocate_async`` trainer with :class:`LongWriterAsyncSteps`."""

    mode_name = COLOCATE_MODE
    base_mode = ASYNC_MODES[COLOCATE_MODE]


@register_trainer(SEPARATE_MODE)
class LongWriterSeparateAsync(LongWriterAsyncSteps, PPOTrainerSeparateAsync):
    """verl's ``separate_async`` trainer with :class:`LongWriterAsyncSteps` (needs a standalone
    rollout pool and a checkpoint engine other than ``naive``: GPUs only, see docs/training.md)."""

    mode_name = SEPARATE_MODE
    base_mode = ASYNC_MODES[SEPARATE_MODE]
