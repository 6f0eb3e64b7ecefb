"""The verl V1 trainer mode ``longwriter_balanced``: GRPO with LongWriter-Zero's balanced advantage.

verl's advantage estimators (``register_adv_est``) only see the scalar ``rm_scores``; the
balanced advantage needs every reward component. A V1 trainer mode sees them: the reward
function's dict keys reach TransferQueue as ``extra_fields["reward_extra_info"][key]``, which
:meth:`LongWriterTrainer._compute_advantage` fetches the way verl's replay buffer does
(``kv_batch_get(select_fields=["extra_fields"])``) and hands to
:func:`rl.advantage.compute_advantage`.

Select it with ``trainer.v1.trainer_mode=longwriter_balanced`` and load this module in every Ray
process with ``VERL_USE_EXTERNAL_MODULES=rl.trainer`` (``rl.presets`` does both). Settings live in
the ``longwriter`` section of the config (new to verl's tree, so ``+longwriter.*`` overrides)::

    longwriter:
      advantage_mode: balanced     # balanced | weighted_sum | gdpo | brpo (rl.advantage.MODES)
      brpo_pairwise: group_pairwise  # brpo: the pairwise component (rl.brpo)
      brpo_max_skew: 0.6           # brpo: groups with |sum R|/G above it are dropped
      eps: 1.0e-6
      poll_interval_s: 0.2         # replay-buffer poll (verl hard-codes 2 s)
      monitors: true               # reward-hacking monitors every step (rewards.monitors)
      monitor_thresholds: {}       # override rewards.monitors.DEFAULT_THRESHOLDS (warnings)
      judge_max_missing_share: 0.5 # a judge-backed reward missing for more than this share...
      judge_max_missing_steps: 3   # ...of a step's samples this many steps in a row stops the run
      debug_advantage: null        # permute | negate: a negative control (debug_advantages)
      checklist_max_named: 32      # most criterion names logged per step (rl.reward_details)

Group-level rewards (registered with ``group=True``: ``pairwise``, ``group_pairwise``) are scored
here, once per step, over every whole group of the step (:func:`score_group_rewards`): verl's
reward loop hands each finished sample to one of ``reward.num_workers`` reward workers, so no
worker sees whole groups, and ``rl.verl_reward`` leaves these rewards out. Their values join each
sample's reward info before the advantage, so they enter the balanced advantage and the metrics
like any other component; the curriculum of ``pairwise`` is decided here on whole groups.

A judge that is down or hung: :class:`JudgeWatch` stops the run with :class:`JudgeDownError`
(naming the endpoint) once a judge-backed reward (any with a ``base_url`` option) is missing for
more than ``judge_max_missing_share`` of a step's samples for ``judge_max_missing_steps``
consecutive steps; ``reward_options.<name>.judge_max_missing_*`` overrides these per reward.

The reward names and weights come from the reward function's own config, read through
:func:`rl.reward_source.from_verl_config` exactly as the reward function reads it, so one place
names them. A component is logged as ``longwriter/reward/<metric name>/*`` where the metric name
is :func:`rl.reward_source.metric_name` (a dotted path's ``:`` written as ``.``), with its weight in
the advantage as ``longwriter/reward/<metric name>/weight``.

Fragile points of verl 0.9.1 handled here:

* ``trainer_base.py`` compares the mode name with ``"sync"`` in several places (replay buffer,
  generation batch size, checkpoint save/load, prompt storage); ``trainer_mode`` is therefore
  reported as ``"sync"`` to the base class while :attr:`mode_name` keeps the registered name.
* Batch balancing appends padding samples (deep copies of a real sample's extra fields, zero
  ``rm_scores``, tag ``is_padding``): they are masked out of the advantage and every metric.
* ``rm_scores`` keeps the reward function's raw ``score``, so verl's ``critic/score/mean`` is the
  raw weighted total; our combined (advantage) values are logged under ``longwriter/advantage``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from verl.trainer.ppo.v1.trainer_base import register_trainer
from verl.trainer.ppo.v1.trainer_sync import PPOTrainerSync

logger = logging.getLogger(__name__)

MODE_NAME = "longwriter_balanced"
DEFAULT_COMPONENTS: dict[str, float] = {"length": 1.0, "quality": 1.0, "format": 1.0}
#: reward_extra_info keys holding lengths in count_words units (English words / CJK characters).
LENGTH_KEYS: tuple[str, ...] = ("answer_len", "think_len")
METRIC_PREFIX = "longwriter"


# --------------------------------------------------------------------------------------------
# Pure helpers (tested without verl running)
# --------------------------------------------------------------------------------------------


def reward_weights(config: Any) -> dict[str, float]:
    """Reward component name -> weight, from the SAME sources the reward function reads.

    ``rl.reward_source.from_verl_config``: the reward kwargs' ``reward_config_json`` (what
    ``rl.presets`` writes), ``reward_config`` / ``reward_config_path``, or ``LONGWRITE_REWARD_CONFIG``;
    two sources that differ are an error; none gives the default (length/quality/format).
    """
    from rl.reward_source import from_verl_config

    return {str(k): float(v) for k, v in from_verl_config(config).rewards.items()}


def curriculum_of(config: Any) -> Any:
    """The shared curriculum of the ``pairwise`` reward (see :mod:`rewards.pairwise.curriculum`), or None
    when the run has no ``pairwise`` reward or its ``curriculum`` option is off."""
    from rewards.base import get_reward
    from rl.reward_source import from_verl_config

    reward_config = from_verl_config(config)
    if "pairwise" not in reward_config.rewards:
        return None
    options = get_reward("pairwise").resolve_options(reward_config.options.get("pairwise"))
    if not options["curriculum"]:
        return None
    from rewards.pairwise.curriculum import get_curriculum

    return get_curriculum(
        options["curriculum_name"],
        float(options["curriculum_threshold"]),
        int(options["curriculum_min_samples"]),
    )


def judge_call_metrics(infos: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """``longwriter/judge_calls/<reward>``: the judge calls of the step, summed over samples."""
    totals: dict[str, float] = {}
    for info in infos:
        for key, value in info.items():
            if key.endswith("_judge_calls"):
                v = _as_float(value)
                totals[key[: -len("_judge_calls")]] = totals.get(key[: -len("_judge_calls")], 0.0) + (
                    0.0 if math.isnan(v) else v
                )
    return {f"{METRIC_PREFIX}/judge_calls/{name}": total for name, total in totals.items()}


# --------------------------------------------------------------------------------------------
# Group-level rewards: scored once per step over whole groups
# --------------------------------------------------------------------------------------------

#: A judge-backed reward missing for more than this share of a step's real samples...
DEFAULT_JUDGE_MAX_MISSING_SHARE = 0.5
#: ...for this many consecutive steps stops the run (:class:`JudgeWatch`).
DEFAULT_JUDGE_MAX_MISSING_STEPS = 3


class JudgeDownError(RuntimeError):
    """A judge-backed reward stayed missing beyond its limit: the run stops (names the endpoint)."""


def group_reward_config(config: Any) -> Any:
    """The group-level rewards of the run's reward config (a :class:`rewards.RewardConfig`), or
    None: :func:`rewards.base.split_by_scope` over :func:`rl.reward_source.from_verl_config`."""
    from rewards.base import split_by_scope
    from rl.reward_source import from_verl_config

    return split_by_scope(from_verl_config(config))[1]


def score_group_rewards(
    samples: Sequence[Any], group_ids: Sequence[str], config: Any
) -> tuple[list[dict[str, float]], list[list[str]], dict[str, float]]:
    """Score the group-level rewards of ``config`` over one step's real samples, groups whole.

    ``samples`` are :class:`rewards.RewardSample` s (one per real sample of the step, any order),
    ``group_ids`` their GRPO groups (verl's prompt ``uid``), set as each sample's ``group``
    metadata so a group-level reward groups by uid. Returns, per sample, the reward-info keys the
    streaming reward leaves out (``<name>``: value or NaN, ``<name>_missing``,
    ``<name>_judge_calls``), per sample its reasons, and the metrics
    ``longwriter/group_rewards/{groups,size_min,size_max}`` (the groups scored and their sizes in
    samples) plus ``longwriter/groups/<name>/judged_size_{min,max}`` for a reward that records the
    ``group_size`` it judged each sample in.
    """
    from collections import Counter

    from rewards import score_batch
    from rewards.base import RewardSample
    from rl.reward_source import metric_name

    if len(samples) != len(group_ids):
        raise ValueError(f"score_group_rewards: {len(samples)} samples but {len(group_ids)} group ids")
    tagged = [
        RewardSample(s.prompt, s.response, {**dict(s.metadata), "group": str(g)})
        for s, g in zip(samples, group_ids, strict=True)
    ]
    breakdowns = score_batch(tagged, config) if tagged else []
    additions: list[dict[str, float]] = []
    for b in breakdowns:
        row: dict[str, float] = {}
        for name in config.rewards:
            value = b.components.get(name)
            row[name] = math.nan if value is None else float(value)
            row[f"{name}_missing"] = 1.0 if value is None else 0.0
            row[f"{name}_judge_calls"] = float(b.details.get(f"{name}.judge_calls", 0))
            cut = b.details.get(f"{name}.cut_chars")  # NaN: not recorded (see cut_ratios)
            row[f"{name}_cut_chars"] = math.nan if cut is None else float(cut)
        additions.append(row)
    sizes = Counter(str(g) for g in group_ids)
    metrics: dict[str, float] = {f"{METRIC_PREFIX}/group_rewards/groups": float(len(sizes))}
    if sizes:
        metrics[f"{METRIC_PREFIX}/group_rewards/size_min"] = float(min(sizes.values()))
        metrics[f"{METRIC_PREFIX}/group_rewards/size_max"] = float(max(sizes.values()))
    for name in config.rewards:
        judged = [b.details[f"{name}.group_size"] for b in breakdowns if f"{name}.group_size" in b.details]
        if judged:
            metrics[f"{METRIC_PREFIX}/groups/{metric_name(name)}/judged_size_min"] = float(min(judged))
            metrics[f"{METRIC_PREFIX}/groups/{metric_name(name)}/judged_size_max"] = float(max(judged))
    return additions, [list(b.reasons) for b in breakdowns], metrics


@dataclass
class JudgeLimit:
    """When :class:`JudgeWatch` stops a run: more than ``max_share`` of a step's real samples
    missing, ``max_steps`` steps in a row, for the judge at ``endpoint``."""

    endpoint: str
    max_share: float
    max_steps: int


def judge_limits(reward_config: Any, settings: Mapping[str, Any] | None = None) -> dict[str, JudgeLimit]:
    """The :class:`JudgeLimit` of every judge-backed reward (one whose options set a ``base_url``).

    Each limit comes from the reward's own option (``reward_options.<name>.judge_max_missing_share``
    / ``judge_max_missing_steps``) when set, else from ``settings`` (the ``longwriter`` config
    section: ``judge_max_missing_share`` / ``judge_max_missing_steps``), else the defaults
    (:data:`DEFAULT_JUDGE_MAX_MISSING_SHARE`, :data:`DEFAULT_JUDGE_MAX_MISSING_STEPS`).
    """
    from rewards.base import RewardConfig, get_reward

    reward_config = RewardConfig.coerce(reward_config)
    settings = settings or {}
    out: dict[str, JudgeLimit] = {}
    for name in reward_config.rewards:
        options = get_reward(name).resolve_options(reward_config.options.get(name))
        endpoint = options.get("base_url")
        if not endpoint:
            continue

        def pick(key: str, default: float, options: Mapping[str, Any] = options) -> float:
            for value in (options.get(key), settings.get(key)):
                if value is not None:
                    return float(value)
            return default

        share = pick("judge_max_missing_share", DEFAULT_JUDGE_MAX_MISSING_SHARE)
        steps = int(pick("judge_max_missing_steps", DEFAULT_JUDGE_MAX_MISSING_STEPS))
        if not 0 <= share < 1 or steps < 1:
            raise ValueError(
                f"reward {name!r}: judge_max_missing_share must be in [0, 1) and judge_max_missing_steps "
                f">= 1, got {share!r} and {steps!r}"
            )
        out[name] = JudgeLimit(str(endpoint), share, steps)
    return out


class JudgeWatch:
    """Stops a run whose judge-backed rewards stay missing: a reward missing for more than its
    ``max_share`` of a step's real samples for ``max_steps`` consecutive steps raises
    :class:`JudgeDownError` naming the reward, the endpoint, the shares and the last reasons.
    A judge that is down or hung otherwise turns every judgement into "missing" for the rest of
    the run while the run trains on the other rewards as if nothing happened."""

    def __init__(self, limits: Mapping[str, JudgeLimit]):
        self.limits = dict(limits)
        self.bad_steps: dict[str, int] = {name: 0 for name in self.limits}

    def update(
        self, step: int, scores: Mapping[str, Sequence[float]], reasons: Sequence[Sequence[str]] = ()
    ) -> dict[str, float]:
        """Record one step: ``scores`` name -> real samples' values (NaN = missing), ``reasons``
        the samples' reasons (for the error). Returns ``longwriter/judge/<name>/{missing_ratio,
        bad_steps}``; raises :class:`JudgeDownError` once a limit is reached."""
        from rl.reward_source import metric_name

        out: dict[str, float] = {}
        for name, limit in self.limits.items():
            values = list(scores.get(name, []))
            if not values:
                continue
            share = sum(1 for v in values if math.isnan(v)) / len(values)
            self.bad_steps[name] = self.bad_steps[name] + 1 if share > limit.max_share else 0
            label = metric_name(name)
            out[f"{METRIC_PREFIX}/judge/{label}/missing_ratio"] = share
            out[f"{METRIC_PREFIX}/judge/{label}/bad_steps"] = float(self.bad_steps[name])
            if self.bad_steps[name] >= limit.max_steps:
                seen = [r for rs in reasons for r in rs if r.startswith(f"{name}:")]
                examples = "; ".join(list(dict.fromkeys(seen))[:3])  # the first 3 distinct
                raise JudgeDownError(
                    f"reward {name!r}: the judge at {limit.endpoint} left {share:.0%} of step {step}'s samples "
                    f"without a judgement, more than {limit.max_share:.0%} for {self.bad_steps[name]} "
                    f"consecutive steps (limit {limit.max_steps}); the run stops rather than train without "
                    f"it. Reasons: {examples or 'none recorded'}. Check the endpoint, or set "
                    f"reward_options.{name}.judge_max_missing_share / judge_max_missing_steps "
                    "(or longwriter.judge_max_missing_share / judge_max_missing_steps)."
                )
        return out


def _get(config: Any, *path: str) -> Any:
    node = config
    for key in path:
        if node is None:
            return None
        node = node.get(key) if hasattr(node, "get") else getattr(node, key, None)
    return node


def extra_info_of(extra_field: Any) -> dict[str, Any]:
    """The ``reward_extra_info`` dict inside one sample's TransferQueue ``extra_fields`` value."""
    value = getattr(extra_field, "data", extra_field)  # NonTensorData wraps the dict
    if not isinstance(value, Mapping):
        return {}
    info = value.get("reward_extra_info", {})
    return dict(info) if isinstance(info, Mapping) else {}


def _as_float(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def component_scores(infos: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, list[float]]:
    """Per-component score lists from per-sample ``reward_extra_info`` dicts (NaN = missing)."""
    return {name: [_as_float(info.get(name, math.nan)) for info in infos] for name in names}


def distribution(values: Sequence[float]) -> dict[str, float]:
    """mean, p50, p90 and max of ``values`` (NaNs ignored); empty dict when nothing is left."""
    import numpy as np

    arr = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    if arr.size == 0:
        return {}
    return {
        "mean": float(arr.mean()),
        "p50": float(np.percentile(arr, 50)),
        "p90": float(np.percentile(arr, 90)),
        "max": float(arr.max()),
    }


def response_lens_of(
    keys: Sequence[Any], tags: Sequence[Mapping[str, Any]], keep: Sequence[bool]
) -> list[int]:
    """The response length in tokens of every kept sample, from its ``response_len`` tag.

    The tag is what ``truncated_ratio`` and ``response_tokens`` are computed from; a sample
    without it is an error naming the sample (never read as 0 tokens, which would count as "not
    truncated").
    """
    out = []
    for key, tag, ok in zip(keys, tags, keep, strict=True):
        if not ok:
            continue
        value = tag.get("response_len") if isinstance(tag, Mapping) else None
        if value is None:
            have = sorted(tag) if isinstance(tag, Mapping) else type(tag).__name__
            raise RuntimeError(
                f"sample {key!r} has no 'response_len' tag (tags: {have}); the truncation share "
                "cannot be computed without it"
            )
        out.append(int(value))
    return out


def cut_ratios(infos: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, float]:
    """``longwriter/reward/<name>/cut_ratio``: the share of samples whose text that reward did not
    read whole (``<name>_cut_chars`` > 0), over the samples where the reward recorded its cuts; a
    reward that records none (NaN everywhere) is left out."""
    from rl.reward_source import metric_name

    out: dict[str, float] = {}
    for name in names:
        cuts = [_as_float(info.get(f"{name}_cut_chars", math.nan)) for info in infos]
        recorded = [c for c in cuts if not math.isnan(c)]
        if recorded:
            out[f"{METRIC_PREFIX}/reward/{metric_name(name)}/cut_ratio"] = sum(c > 0 for c in recorded) / len(
                recorded
            )
    return out


def step_metrics(
    scores: Mapping[str, Sequence[float]],
    group_ids: Sequence[Any],
    advantages: Sequence[float],
    infos: Sequence[Mapping[str, Any]],
    response_lens: Sequence[int],
    max_response_len: int,
    weights: Mapping[str, float],
) -> dict[str, float]:
    """The per-step metrics of our mode, over real (non-padding) samples only.

    Raw values (each component's mean/std, the reward function's own ``score``, answer/plan
    lengths in count_words units) are logged apart from the combined ones (the advantage), so
    writing one never hides the other. ``truncated_ratio`` is the share of responses that hit
    ``max_response_len`` tokens (``response_lens`` from :func:`response_lens_of`; vLLM's
    ``finish_reason == "length"``, which verl's agent loop
    folds into "completed"). ``well_formed_ratio`` is the share of responses that parse as
    exactly one plan then one answer (the reward info's ``well_formed``), whatever their
    repetition or padding: the format reward multiplies those in, this shows the structure alone.
    """
    import numpy as np

    p = METRIC_PREFIX
    out: dict[str, float] = {}
    n = len(group_ids)
    if n == 0:
        return out
    groups: dict[Any, list[int]] = {}
    for i, g in enumerate(group_ids):
        groups.setdefault(g, []).append(i)

    from rl.reward_source import metric_name

    all_constant = np.ones(len(groups), dtype=bool)
    for name, values in scores.items():
        arr = np.asarray(values, dtype=float)
        ok = ~np.isnan(arr)
        label = metric_name(name)
        out[f"{p}/reward/{label}/mean"] = float(arr[ok].mean()) if ok.any() else math.nan
        out[f"{p}/reward/{label}/std"] = float(arr[ok].std()) if ok.any() else math.nan
        out[f"{p}/reward/{label}/missing_ratio"] = float(1.0 - ok.mean())
        out[f"{p}/reward/{label}/weight"] = float(weights.get(name, 0.0))
        constant = []
        for members in groups.values():
            vals = arr[members]
            vals = vals[~np.isnan(vals)]
            constant.append(vals.size < 2 or float(vals.max() - vals.min()) == 0.0)
        constant = np.asarray(constant, dtype=bool)
        out[f"{p}/groups/{label}/zero_var_ratio"] = float(constant.mean())
        all_constant &= constant
    out.update(cut_ratios(infos, list(scores)))
    out[f"{p}/groups/zero_var_ratio"] = float(all_constant.mean()) if len(groups) else 0.0
    out[f"{p}/groups/count"] = float(len(groups))

    raw_total = [_as_float(info.get("score", math.nan)) for info in infos]
    dist = distribution(raw_total)
    if dist:
        out[f"{p}/reward/score/mean"] = dist["mean"]
    # The weighted mean of each sample's available components (as RewardBreakdown.total): a
    # missing component leaves the mean, it is not a 0. Samples with none are counted apart.
    num, den = np.zeros(n), np.zeros(n)
    for name, values in scores.items():
        w = weights.get(name, 0.0)
        arr = np.asarray(values, dtype=float)
        ok = ~np.isnan(arr)
        if w > 0:
            num[ok] += w * arr[ok]
            den[ok] += w
    has = den > 0
    if has.any():
        out[f"{p}/reward/weighted_mean/mean"] = float((num[has] / den[has]).mean())
    out[f"{p}/reward/weighted_mean/none_available_ratio"] = float((~has).mean())

    adv = np.asarray(advantages, dtype=float)
    out[f"{p}/advantage/mean"] = float(adv.mean())
    out[f"{p}/advantage/std"] = float(adv.std())
    out[f"{p}/advantage/min"] = float(adv.min())
    out[f"{p}/advantage/max"] = float(adv.max())
    out[f"{p}/advantage/abs_mean"] = float(np.abs(adv).mean())
    out[f"{p}/advantage/zero_ratio"] = float((adv == 0).mean())

    for key, label in (("answer_len", "answer"), ("think_len", "plan")):
        for stat, value in distribution([_as_float(info.get(key, math.nan)) for info in infos]).items():
            out[f"{p}/length/{label}/{stat}"] = value
    lens = np.asarray(response_lens, dtype=float)
    out[f"{p}/response_tokens/mean"] = float(lens.mean())
    out[f"{p}/truncated_ratio"] = float((lens >= max_response_len).mean()) if max_response_len > 0 else 0.0
    # The structure alone (format's other parts, repetition and padding, fall as answers grow).
    formed = [_as_float(info.get("well_formed", math.nan)) for info in infos]
    formed = [v for v in formed if not math.isnan(v)]
    if formed:
        out[f"{p}/well_formed_ratio"] = float(np.mean(formed))
    out[f"{p}/samples"] = float(n)
    return out


def monitor_metrics(
    answers: Sequence[str],
    group_ids: Sequence[Any],
    lengths: Sequence[float],
    quality: Sequence[float] | None,
    reference: Any,
) -> dict[str, float]:
    """``longwriter/monitor/*`` for one step: :func:`rewards.monitors.step_monitors` over the answers.

    ``lengths`` are answer lengths in count_words units, ``quality`` the quality reward per sample
    (NaN = missing; None when the run has no quality reward), ``reference`` the n-gram distribution
    over-use is measured against (the first step of this launch). Over-use is judged per prompt
    group (``group_ids``): only n-grams over-used in more than half of the step's prompts count, so
    the topic words of this step's new prompts are not read as stuffing. A monitor that cannot be
    computed is left out of the metrics (never logged as 0).
    """
    from rewards.monitors import step_monitors

    values = step_monitors(
        answers,
        group_ids=group_ids,
        lengths=lengths,
        quality=quality,
        reference=reference,
    )
    return {f"{METRIC_PREFIX}/monitor/{k}": float(v) for k, v in values.items() if v is not None}


def extra_step_metrics(
    scores: Mapping[str, Sequence[float]],
    uids: Sequence[str],
    keep: Sequence[bool],
    real_infos: Sequence[Mapping[str, Any]],
    brpo: Mapping[str, Any],
    checklist_max_named: int | None = None,
) -> dict[str, float]:
    """The checklist reward's (:func:`rl.reward_details.checklist_metrics`, per-name series for at
    most ``checklist_max_named`` criterion names; None: its default) and BRPO's
    (:func:`rl.brpo.brpo_metrics`, with ``brpo`` options) per-step metrics over the real samples."""
    from rl.reward_details import MAX_NAMED_CRITERIA, checklist_metrics

    max_named = MAX_NAMED_CRITERIA if checklist_max_named is None else int(checklist_max_named)
    out = checklist_metrics(real_infos, max_named=max_named)
    if brpo:
        from rl.brpo import brpo_metrics

        pick = [i for i, ok in enumerate(keep) if ok]
        values = [scores[brpo["pairwise"]][i] for i in pick]
        out.update(brpo_metrics(values, [uids[i] for i in pick], float(brpo["max_skew"])))
    return out


def group_of_key(key: str) -> str:
    """The GRPO group (verl's prompt ``uid``) of a TransferQueue sample key ``"{uid}_{session}_{index}"``."""
    return str(key).split("_")[0]


def sample_advantages(
    keys: Sequence[str],
    tags: Sequence[Mapping[str, Any]],
    infos: Sequence[Mapping[str, Any]],
    weights: Mapping[str, float],
    *,
    mode: str = "balanced",
    eps: float = 1e-6,
    norm_by_std: bool = True,
    **brpo: Any,
):
    """Per-sample advantages for one batch as TransferQueue hands it over, in any sample order.

    ``keys`` name each sample (its group is :func:`group_of_key`), ``tags`` mark padding
    (``is_padding``) and ``infos`` hold each sample's ``reward_extra_info`` (the reward
    components). Each sample is compared only with its own group, whatever the order; padding
    gets 0. ``brpo`` (``pairwise``, ``max_skew``: :func:`rl.brpo.brpo_options`) goes to
    :func:`rl.advantage.compute_advantage` for the ``brpo`` mode.
    Returns ``(advantages (N,) float32 tensor, valid flags, component scores, groups)``.
    Raises KeyError when a weighted component is missing from every real sample.
    """
    import torch

    from rl.advantage import compute_advantage

    uids = [group_of_key(k) for k in keys]
    valid_list = [not tag.get("is_padding", False) for tag in tags]
    valid = torch.tensor(valid_list, dtype=torch.bool)
    names = list(weights)
    real_infos = [info for info, ok in zip(infos, valid_list, strict=True) if ok]
    missing = [n for n in names if real_infos and all(n not in info for info in real_infos)]
    if missing:
        raise KeyError(
            f"reward components {missing} are not in reward_extra_info (keys: "
            f"{sorted(real_infos[0]) if real_infos else []}); the reward function must return them"
        )
    scores = component_scores(infos, names)
    score_tensors = {k: torch.tensor(v, dtype=torch.float32) for k, v in scores.items()}
    adv = compute_advantage(
        score_tensors,
        uids,
        mode=mode,
        weights=dict(weights),
        eps=eps,
        valid=valid,
        norm_by_std=norm_by_std,
        **brpo,  # rl.brpo.brpo_options: pairwise, max_skew (advantage mode brpo only)
    )
    adv = torch.where(valid, adv, torch.zeros_like(adv))
    return adv, valid_list, scores, uids


#: ``longwriter.debug_advantage`` values: negative controls that break the advantage on purpose.
DEBUG_ADVANTAGE_MODES: tuple[str, ...] = ("permute", "negate")


def debug_advantage_mode(settings: Mapping[str, Any] | None) -> str | None:
    """The negative-control switch ``longwriter.debug_advantage`` (None: off, the default).

    ``permute`` attaches each advantage to another real sample (:func:`debug_advantages`),
    ``negate`` flips every sign: runs that must NOT learn, to show that a learning criterion
    can fail (``benchmarks/learning.py --control``). Any other set value is a ValueError, so a
    typo never runs a broken trainer unnoticed; a set switch is announced loudly.
    """
    value = (settings or {}).get("debug_advantage", None)
    if value is None or value is False:
        return None
    if value not in DEBUG_ADVANTAGE_MODES:
        raise ValueError(
            f"longwriter.debug_advantage={value!r}; valid: {', '.join(DEBUG_ADVANTAGE_MODES)} (or unset)"
        )
    return str(value)


def debug_advantages(adv, valid: Sequence[bool], mode: str | None, seed: int = 0):
    """Break per-sample advantages on purpose (the negative controls of ``debug_advantage``).

    ``permute``: the real samples' advantages are shuffled among the real samples of the whole
    batch (seeded by ``seed``, the step), so most land on another group's sample; padding keeps
    its 0. ``negate``: every advantage's sign flips. ``None`` returns ``adv`` unchanged.
    ``adv`` is the (N,) tensor of :func:`sample_advantages`; returns a new tensor.
    """
    import torch

    if mode is None:
        return adv
    if mode == "negate":
        return -adv
    if mode != "permute":
        raise ValueError(f"unknown debug_advantage mode {mode!r}")
    real = torch.tensor([i for i, ok in enumerate(valid) if ok], dtype=torch.long)
    order = torch.randperm(len(real), generator=torch.Generator().manual_seed(int(seed)))
    out = adv.clone()
    out[real] = adv[real[order]]
    return out


# --------------------------------------------------------------------------------------------
# The trainer mode
# --------------------------------------------------------------------------------------------


class LongWriterSteps:
    """verl's synchronous PPO trainer with the advantage computed from every reward component."""

    mode_name: str = MODE_NAME

    # trainer_base.py compares ``self.trainer_mode`` with "sync" to pick the replay buffer, the
    # generation batch size, checkpoint contents and prompt storage; any other name silently gets
    # the async code paths. Report "sync" to it and keep our registered name apart.
    @property
    def trainer_mode(self) -> str:
        """Always ``"sync"``: what verl's base class compares against (see the class comment)."""
        return "sync"

    @trainer_mode.setter
    def trainer_mode(self, value: str) -> None:
        """verl assigns the configured mode name here; keep it as :attr:`mode_name`."""
        self.mode_name = value

    def __init__(self, config):
        super().__init__(config)
        lw = config.get("longwriter", None) or {}
        self.advantage_mode = str(lw.get("advantage_mode", "balanced"))
        self.advantage_eps = float(lw.get("eps", 1e-6))
        self.weights = reward_weights(config)
        self.monitors = bool(lw.get("monitors", True))
        from rewards.monitors import HackingWatch

        self._watch = HackingWatch(thresholds=dict(lw.get("monitor_thresholds", None) or {}))
        # The first step's answers as an n-gram distribution: the policy's own general vocabulary
        # before training moved it. Topic words differ from step to step; they are told apart
        # from stuffing within each step, across its prompts (rewards.monitors.overused_ngrams).
        self._monitor_reference = None
        # verl's sync replay buffer polls TransferQueue every 2 s (a constructor default), which
        # rounds every short CPU step up; a shorter poll costs only a cheap metadata listing.
        poll = lw.get("poll_interval_s", 0.2)
        if poll is not None and hasattr(self.replay_buffer, "poll_interval"):
            self.replay_buffer.poll_interval = float(poll)
        # Created here, by the driver, so the named actor lives as long as the job.
        self.curriculum = curriculum_of(config)
        # Group-level rewards (pairwise judges, the curriculum) are scored here, once per step,
        # over whole groups; verl's reward workers see fragments of groups and leave them out.
        self.group_config = group_reward_config(config)
        from rl.reward_source import from_verl_config

        self._judge_watch = JudgeWatch(judge_limits(from_verl_config(config), lw))
        self.debug_advantage = debug_advantage_mode(lw)
        self.checklist_max_named = lw.get("checklist_max_named", None)
        if self.checklist_max_named is not None and int(self.checklist_max_named) < 0:
            raise ValueError(f"longwriter.checklist_max_named must be >= 0, got {self.checklist_max_named!r}")
        if self.debug_advantage is not None:
            msg = f"longwriter.debug_advantage={self.debug_advantage}: advantages BROKEN ON PURPOSE (a negative control)"
            logger.warning("[%s] %s", MODE_NAME, msg)
            print(f"[{MODE_NAME}] WARNING {msg}", flush=True)
        if self.config.algorithm.use_kl_in_reward:
            raise ValueError(f"trainer mode {MODE_NAME!r} does not support algorithm.use_kl_in_reward")
        from rl.advantage import MODES

        if self.advantage_mode not in MODES:
            raise ValueError(f"longwriter.advantage_mode={self.advantage_mode!r}; valid: {', '.join(MODES)}")
        from rl.brpo import brpo_options

        self.brpo_options = brpo_options(lw, self.weights, self.advantage_mode)
        print(
            f"[{MODE_NAME}] advantage={self.advantage_mode} weights={self.weights} "
            f"replay-buffer poll={getattr(self.replay_buffer, 'poll_interval', None)} s "
            f"({type(self.replay_buffer).__name__})",
            flush=True,
        )

    def _step_folder(self) -> str:
        import os

        return os.path.join(str(self.config.trainer.default_local_dir), f"global_step_{self.global_steps}")

    def _save_checkpoint(self):
        """verl's save, plus the curriculum state beside it (``longwriter_curriculum.json``).

        The state is written first: verl writes ``latest_checkpointed_iteration.txt`` last, so a
        checkpoint that resume can find always has its curriculum state (no reward runs during a
        save in the sync trainer, so the state is that of the step being saved).
        """
        if self.curriculum is not None:
            from rewards.pairwise.curriculum import save_state

            path = save_state(self.curriculum, self._step_folder())
            print(f"[{MODE_NAME}] curriculum state saved to {path}", flush=True)
        super()._save_checkpoint()

    def _load_checkpoint(self):
        """verl's resume, plus the curriculum state saved with that checkpoint (the same folder
        verl resumed from: ``resume_from_path``, else ``default_local_dir/global_step_N``)."""
        result = super()._load_checkpoint()
        if self.curriculum is not None and self.global_steps > 0:
            import os

            from rewards.pairwise.curriculum import load_state

            folder = self.config.trainer.get("resume_from_path", None)
            if self.config.trainer.resume_mode != "resume_path" or not folder:
                folder = self._step_folder()
            elif not os.path.isabs(folder):
                folder = os.path.join(os.getcwd(), folder)  # as verl resolves it
            if load_state(self.curriculum, folder):
                levels = self.curriculum.state()["levels"]
                mean = sum(levels.values()) / len(levels) if levels else 0.0
                print(
                    f"[{MODE_NAME}] curriculum state loaded from {folder}: {len(levels)} prompts, "
                    f"mean level {mean:.3f}",
                    flush=True,
                )
            else:
                print(
                    f"[{MODE_NAME}] WARNING: resumed from {folder} without a curriculum state "
                    f"(no {os.path.join(folder, 'longwriter_curriculum.json')}): every prompt "
                    "starts again at its first reference",
                    flush=True,
                )
        return result

    def _compute_advantage(self, batch, metrics: dict):
        """Balanced advantage from per-component scores; padding samples get 0 and no say."""
        import numpy as np
        import torch
        import transfer_queue as tq
        from tensordict import TensorDict
        from verl.workers.utils.padding import response_to_nested

        fields = ["response_mask", "extra_fields"]
        if self.monitors or self.group_config is not None:
            fields.append("responses")
        if self.group_config is not None:
            fields += ["extra_info", "reward_model"]
        data = tq.kv_batch_get(keys=batch.keys, partition_id=batch.partition_id, select_fields=fields)
        response_mask_nested = data["response_mask"]
        response_mask = response_mask_nested.to_padded_tensor(padding=0)
        tags = list(batch.tags)
        infos = [extra_info_of(v) for v in list(data["extra_fields"])]
        group_reasons: list[list[str]] = []
        if self.group_config is not None:
            group_metrics, group_reasons = self._score_group_rewards(batch.keys, tags, infos, data)
            metrics.update(group_metrics)
        adv, valid_list, scores, uids = sample_advantages(
            list(batch.keys),
            tags,
            infos,
            self.weights,
            mode=self.advantage_mode,
            eps=self.advantage_eps,
            norm_by_std=bool(self.config.algorithm.get("norm_adv_by_std_in_grpo", True)),
            **getattr(self, "brpo_options", {}),
        )
        debug = getattr(self, "debug_advantage", None)
        adv = debug_advantages(adv, valid_list, debug, seed=int(getattr(self, "global_steps", 0)))
        valid = torch.tensor(valid_list, dtype=torch.bool)
        real_infos = [info for info, ok in zip(infos, valid_list, strict=True) if ok]
        token_adv = adv.unsqueeze(-1) * response_mask.to(torch.float32)

        output = TensorDict(
            {
                "advantages": response_to_nested(token_adv, response_mask_nested),
                "returns": response_to_nested(token_adv.clone(), response_mask_nested),
            },
            batch_size=len(batch),
        )
        batch = tq.kv_batch_put(keys=batch.keys, partition_id=batch.partition_id, fields=output)

        keep = np.asarray(valid_list, dtype=bool)
        metrics.update(
            step_metrics(
                scores={k: [v for v, ok in zip(vals, keep, strict=True) if ok] for k, vals in scores.items()},
                group_ids=[u for u, ok in zip(uids, keep, strict=True) if ok],
                advantages=adv[valid].tolist(),
                infos=real_infos,
                response_lens=response_lens_of(list(batch.keys), tags, keep),
                max_response_len=int(self.config.data.max_response_length),
                weights=self.weights,
            )
        )
        metrics[f"{METRIC_PREFIX}/padding_samples"] = float((~keep).sum())
        for name in DEBUG_ADVANTAGE_MODES:
            metrics[f"{METRIC_PREFIX}/debug/advantage_{name}d"] = float(debug == name)
        metrics.update(judge_call_metrics(real_infos))
        metrics.update(
            extra_step_metrics(
                scores,
                uids,
                keep,
                real_infos,
                getattr(self, "brpo_options", {}),
                getattr(self, "checklist_max_named", None),
            )
        )
        real_scores = {k: [v for v, ok in zip(vals, keep, strict=True) if ok] for k, vals in scores.items()}
        for name in self._judge_watch.limits:  # per-sample judge rewards are in the infos
            if name not in real_scores:
                real_scores[name] = [_as_float(info.get(name, math.nan)) for info in real_infos]
        metrics.update(
            self._judge_watch.update(int(getattr(self, "global_steps", 0)), real_scores, group_reasons)
        )
        if self.curriculum is not None:
            for key, value in self.curriculum.step_metrics().items():
                metrics[f"{METRIC_PREFIX}/curriculum/{key}"] = value
        if self.monitors:
            metrics.update(self._monitors(data["responses"], keep, uids, real_infos, scores))
        metrics.update(self._agent_loop_timing(batch.keys, batch.partition_id, keep))
        return batch

    def _score_group_rewards(self, keys, tags, infos, data) -> tuple[dict[str, float], list[list[str]]]:
        """Score the group-level rewards over this step's real samples (every group whole) and
        write their keys into ``infos`` (padding copies get NaN, masked out anyway).

        The sample is rebuilt as verl's reward worker builds it: the response decoded from its
        ``response_len`` token ids (special tokens skipped), the row's ``extra_info`` and
        ``reward_model.ground_truth`` through :func:`rl.verl_reward.build_sample`. Returns the
        metrics (:func:`score_group_rewards`, ``longwriter/timing/group_rewards_s``) and each real
        sample's reasons.
        """
        import time

        from rl.verl_reward import build_sample

        ids = data["responses"].to_padded_tensor(padding=self.tokenizer.pad_token_id)
        extra = [getattr(v, "data", v) for v in list(data["extra_info"])]
        models = [getattr(v, "data", v) for v in list(data["reward_model"])]
        real = [i for i, tag in enumerate(tags) if not tag.get("is_padding", False)]
        samples = []
        for i in real:
            length = int(tags[i].get("response_len", ids.shape[-1]))
            text = self.tokenizer.decode(ids[i][:length], skip_special_tokens=True)
            truth = models[i].get("ground_truth") if isinstance(models[i], Mapping) else None
            samples.append(build_sample(text, truth, extra[i] if isinstance(extra[i], Mapping) else {}))
        start = time.monotonic()
        additions, reasons, metrics = score_group_rewards(
            samples, [group_of_key(keys[i]) for i in real], self.group_config
        )
        metrics[f"{METRIC_PREFIX}/timing/group_rewards_s"] = time.monotonic() - start
        for i, row in zip(real, additions, strict=True):
            infos[i].update(row)
        blank = {k: math.nan for k in (additions[0] if additions else {})}
        for i, tag in enumerate(tags):
            if tag.get("is_padding", False):
                infos[i].update(blank)
        return metrics, reasons

    def _monitors(self, responses, keep, uids, real_infos, scores) -> dict[str, float]:
        """Decode this step's real responses and compute the reward-hacking monitors; log warnings.

        Runs on the driver over every real sample (no subsampling): about 20-30 ms of CPU per
        10,000-word answer for all monitors together (``benchmarks/monitors.py``). The first step
        of a launch is the reference distribution for over-used n-grams; each later step is judged
        against it prompt group by prompt group (see :func:`monitor_metrics`).
        """
        from rewards.monitors import NgramReference
        from rollout.format import parse_response

        ids = responses.to_padded_tensor(padding=self.tokenizer.pad_token_id)
        answers = [
            parse_response(self.tokenizer.decode(row, skip_special_tokens=True)).answer
            for row, ok in zip(ids, keep, strict=True)
            if ok
        ]
        group_ids = [u for u, ok in zip(uids, keep, strict=True) if ok]
        lengths = [_as_float(info.get("answer_len", math.nan)) for info in real_infos]
        quality = None
        if "quality" in scores:
            quality = [v for v, ok in zip(scores["quality"], keep, strict=True) if ok]
        if self._monitor_reference is None:
            self._monitor_reference = NgramReference.from_texts(answers)
        out = monitor_metrics(answers, group_ids, lengths, quality, self._monitor_reference)
        step_values = {k.rsplit("/", 1)[1]: v for k, v in out.items()}
        step_values["answer_len"] = distribution(lengths).get("mean")
        if quality is not None:
            step_values["quality"] = distribution(quality).get("mean")
        warnings = self._watch.update(int(getattr(self, "global_steps", 0)), step_values)
        for w in warnings:
            logger.warning("[%s] reward-hacking monitor: %s", MODE_NAME, w)
            print(f"[{MODE_NAME}] WARNING reward-hacking monitor: {w}", flush=True)
        out[f"{METRIC_PREFIX}/monitor/warnings"] = float(len(warnings))
        return out

    @staticmethod
    def _agent_loop_timing(keys, partition_id, keep) -> dict[str, float]:
        """Per-sample generation and reward latencies (seconds) that verl's agent loop recorded.

        verl's V1 path scores each response inside the generation span and logs no reward
        timing of its own; the per-sample ``metrics`` field of TransferQueue holds it. Timing is
        best effort: a layout change in verl must never fail a training step, so errors are logged
        and the metrics left out.
        """
        import numpy as np
        import transfer_queue as tq

        try:
            data = tq.kv_batch_get(keys=list(keys), partition_id=partition_id, select_fields=["metrics"])
            values = [getattr(v, "data", v) for v in list(data["metrics"])]
        except Exception as exc:  # noqa: BLE001 - see the docstring
            logger.warning("agent-loop timing unavailable: %s", exc)
            return {}
        out: dict[str, float] = {}
        for name, label in (("compute_score", "reward"), ("generate_sequences", "generate")):
            secs = []
            for value, ok in zip(values, keep, strict=True):
                item = value.get(name) if hasattr(value, "get") else None
                item = getattr(item, "item", lambda i=item: i)()
                if ok and isinstance(item, (int, float)):
                    secs.append(float(item))
            if secs:
                arr = np.asarray(secs)
                out[f"{METRIC_PREFIX}/timing/{label}_s/mean"] = float(arr.mean())
                out[f"{METRIC_PREFIX}/timing/{label}_s/max"] = float(arr.max())
        return out


@register_trainer(MODE_NAME)
class LongWriterTrainer(LongWriterSteps, PPOTrainerSync):
    """verl's synchronous PPO trainer with :class:`LongWriterSteps` (the balanced advantage from every
    reward component, the step metrics and monitors, group rewards, curriculum checkpoints).

    The asynchronous modes (:mod:`rl.trainer_async`) put the same steps on verl's async trainers."""
