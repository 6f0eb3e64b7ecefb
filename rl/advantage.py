"""LongWriter-Zero's balanced multi-reward advantage (and two comparison modes), pure torch.

GRPO samples a group of responses per prompt and scores each one; the advantage of a response is
its reward relative to its group. With several rewards (length, quality, format) there is a
choice of *when* to combine them:

``balanced`` (LongWriter-Zero)
    normalise each component inside its group, then average the normalised advantages:
    ``A_i = sum_k w_k * (r_ki - mean_g(r_k)) / (std_g(r_k) + eps) / sum_k w_k``.
    A component whose raw scale or spread is large cannot drown the others.
``weighted_sum`` (plain GRPO)
    combine first (the weighted mean of the available components), then normalise the combined
    reward inside its group.
``gdpo``
    ``balanced`` followed by a whitening over the whole batch (zero mean, unit std over the valid
    samples), like verl's built-in ``gdpo`` estimator - which whitens over tokens, not samples.
``brpo`` (Writing-Zero's bootstrapped relative policy optimisation)
    one component, ``pairwise`` (e.g. ``group_pairwise``: each rollout judged against one rollout
    of its group picked at random; win 1, tie 0.5, loss 0), enters **directly** as
    ``R_i = 2 r_i - 1`` (+1 win, 0 tie, -1 loss), without group normalisation; a group whose
    outcomes are too one-sided, ``|sum_i R_i| / G > max_skew`` (Writing-Zero: 0.6; ``G`` the
    group's judged samples), is dropped: its BRPO term is 0 (:func:`brpo_signs`). The other
    components (length, format, ...) keep their balanced, group-normalised advantage, and the two
    are averaged with the weights: ``A_i = (w_p * R_i * keep_g + sum_{k != p} w_k * norm_k(i)) /
    sum_k w_k``. With ``pairwise`` the only weighted component this is Writing-Zero's BRPO.

Conventions (each one is tested in tests/rl/test_advantage.py):

* **std flavour**: the unbiased sample standard deviation (``torch.std``'s default, as verl's
  GRPO uses), so it needs at least two values; a group with fewer than two usable values
  contributes 0. This differs from verl's GRPO, which gives a single-sample group its raw score
  as advantage (mean 0, std 1): a lone sample has nothing to be compared with, so we give it 0.
* **zero variance**: a component whose usable values are all equal inside a group contributes
  exactly 0 there (checked as max == min, so float noise can never be divided by ``eps``).
* **missing values**: a NaN component value means "not available" (e.g. a judge endpoint that
  failed; the reward entry point writes NaN for it). It is left out of that component's group
  statistics and contributes 0 to that sample's ``balanced``/``gdpo`` advantage; the denominator
  stays ``sum_k w_k``, so the components that are available keep their weight. In
  ``weighted_sum`` the combined reward of a sample is the weighted mean of its available
  components (the same rule as ``RewardBreakdown.total``); a sample with none is missing.
* **padding**: ``valid=False`` samples (verl's batch balancing pads with copies of real samples)
  are excluded from every statistic and get advantage 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # torch is imported lazily: `import rl.advantage` stays light
    from torch import Tensor

__all__ = ["MODES", "compute_advantage", "group_index", "group_normalise", "brpo_signs", "BRPO_MAX_SKEW"]

MODES: tuple[str, ...] = ("balanced", "weighted_sum", "gdpo", "brpo")
#: Writing-Zero's skew filter: a group with |sum R| / G above this is dropped.
BRPO_MAX_SKEW = 0.6


def group_index(group_ids: Sequence[Any] | Any, device: Any = None) -> Tensor:
    """Dense integer group numbers (0..G-1, in order of first appearance) for ``group_ids``.

    ``group_ids`` may be any sequence of hashable ids (verl's ``uid`` strings, ints), a numpy
    array or a 1-D tensor. Used to vectorise per-group statistics.
    """
    import torch

    if isinstance(group_ids, torch.Tensor):
        group_ids = group_ids.tolist()
    numbers: dict[Any, int] = {}
    dense = [numbers.setdefault(_hashable(g), len(numbers)) for g in group_ids]
    return torch.tensor(dense, dtype=torch.long, device=device)


def _hashable(value: Any) -> Any:
    # numpy scalars and 0-d arrays hash by value once turned into Python objects.
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "ndim", 1) == 0:
        return item()
    return value


def group_normalise(
    values: Tensor,
    groups: Tensor,
    usable: Tensor,
    eps: float = 1e-6,
    norm_by_std: bool = True,
) -> Tensor:
    """Per-group normalised values ``(v - mean_g) / (std_g + eps)``; 0 where not defined.

    ``groups`` holds dense group numbers (:func:`group_index`), ``usable`` marks the values that
    count. Statistics use only usable values; the result is 0 for unusable values, for groups
    with fewer than two usable values, and for groups whose usable values are all equal. ``std``
    is the unbiased sample standard deviation. ``norm_by_std=False`` only centres (Dr. GRPO).
    """
    import torch

    values = values.to(torch.float64)  # statistics in double: rewards are few, precision is free
    n_groups = int(groups.max().item()) + 1 if groups.numel() else 0
    w = usable.to(torch.float64)
    filled = torch.where(usable, values, torch.zeros_like(values))

    count = torch.zeros(n_groups, dtype=torch.float64, device=values.device).index_add_(0, groups, w)
    total = torch.zeros_like(count).index_add_(0, groups, filled)
    mean = total / count.clamp(min=1)
    centred = torch.where(usable, values - mean[groups], torch.zeros_like(values))
    sq = torch.zeros_like(count).index_add_(0, groups, centred * centred)
    std = torch.sqrt(sq / (count - 1).clamp(min=1))

    inf = torch.full_like(count, float("inf"))
    vmax = (-inf).scatter_reduce(0, groups, torch.where(usable, values, -inf[groups]), reduce="amax")
    vmin = inf.scatter_reduce(0, groups, torch.where(usable, values, inf[groups]), reduce="amin")
    defined = (count >= 2) & (vmax > vmin)

    out = centred / (std[groups] + eps) if norm_by_std else centred
    keep = usable & defined[groups]
    return torch.where(keep, out, torch.zeros_like(out))


def brpo_signs(
    outcomes: Tensor, groups: Tensor, usable: Tensor, max_skew: float = BRPO_MAX_SKEW
) -> tuple[Tensor, Tensor, Tensor]:
    """BRPO's per-sample term and its skew filter, from pairwise outcomes in [0, 1].

    ``outcomes``: win 1, tie 0.5, loss 0 against the sample's reference rollout (NaN or
    ``usable=False``: not judged); ``groups`` dense group numbers (:func:`group_index`). Each
    usable sample's sign is ``R = 2 * outcome - 1``; a group's skew is ``|sum R| / G`` over its
    ``G`` usable samples. Returns ``(term, kept, skew)``: ``term`` is ``R`` for usable samples of
    kept groups, else 0; ``kept`` flags the groups (per group number) with ``G >= 2`` and
    ``skew <= max_skew``; ``skew`` per group (NaN for groups with no usable sample).
    """
    import torch

    if not 0.0 <= max_skew <= 1.0:
        raise ValueError(f"brpo max_skew must be in [0, 1], got {max_skew}")
    values = outcomes.to(torch.float64)
    bad = usable & ((values < 0) | (values > 1))
    if bool(bad.any()):
        raise ValueError(
            f"brpo outcomes must lie in [0, 1] (win 1, tie 0.5, loss 0); got {values[bad].tolist()}"
        )
    n_groups = int(groups.max().item()) + 1 if groups.numel() else 0
    sign = torch.where(usable, 2.0 * values - 1.0, torch.zeros_like(values))
    count = torch.zeros(n_groups, dtype=torch.float64, device=values.device).index_add_(
        0, groups, usable.to(torch.float64)
    )
    total = torch.zeros_like(count).index_add_(0, groups, sign)
    skew = torch.where(count > 0, total.abs() / count.clamp(min=1), torch.full_like(count, float("nan")))
    kept = (count >= 2) & (skew <= max_skew + 1e-12)
    term = torch.where(usable & kept[groups], sign, torch.zeros_like(sign))
    return term, kept, skew


def _check_inputs(
    scores: Mapping[str, Tensor], n: int, weights: Mapping[str, float] | None
) -> dict[str, float]:
    if not scores:
        raise ValueError("compute_advantage needs at least one reward component in `scores`")
    for name, value in scores.items():
        if value.dim() != 1 or value.shape[0] != n:
            raise ValueError(
                f"score component {name!r} has shape {tuple(value.shape)}; expected ({n},), one "
                "value per sample, like group_ids"
            )
    if weights is None:
        return {name: 1.0 for name in scores}
    unknown = [name for name in weights if name not in scores]
    if unknown:
        raise ValueError(
            f"weights name component(s) {unknown} that are not in scores; available: {sorted(scores)}"
        )
    chosen = {name: float(w) for name, w in weights.items()}
    if any(w < 0 or w != w for w in chosen.values()):
        raise ValueError(f"reward weights must be non-negative numbers, got {chosen}")
    if sum(chosen.values()) <= 0:
        raise ValueError(f"reward weights must not all be zero, got {chosen}")
    return chosen


def compute_advantage(
    scores: Mapping[str, Tensor],
    group_ids: Sequence[Any] | Any,
    mode: str = "balanced",
    weights: Mapping[str, float] | None = None,
    eps: float = 1e-6,
    *,
    valid: Tensor | None = None,
    norm_by_std: bool = True,
    pairwise: str | None = None,
    max_skew: float = BRPO_MAX_SKEW,
) -> Tensor:
    """One advantage per sample from per-component rewards, GRPO-style within groups.

    Args:
        scores: component name -> rewards, shape ``(N,)`` each (one value per sample; NaN =
            missing). Units are the reward's own (the project's rewards lie in [0, 1]).
        group_ids: ``N`` group ids (verl's ``uid``: samples of one prompt share it).
        mode: ``balanced`` (LongWriter-Zero), ``weighted_sum`` (plain GRPO on the combined
            reward) or ``gdpo`` (balanced, then whitened over the batch). See the module doc.
        weights: component name -> non-negative weight. ``None`` weighs every component 1.
            When given, it also selects: components of ``scores`` it does not name are ignored
            (so the whole ``reward_extra_info`` can be passed); naming an absent one is an error.
        eps: added to the std before dividing.
        valid: optional bool mask ``(N,)``; ``False`` samples (padding) get 0 and are left out of
            every statistic.
        norm_by_std: divide by the group std (default); ``False`` only centres (Dr. GRPO).
        pairwise: ``brpo`` only (required there): the component holding the pairwise outcomes
            (win 1, tie 0.5, loss 0), used as BRPO's +-1 term (:func:`brpo_signs`).
        max_skew: ``brpo`` only: groups with ``|sum R| / G`` above it are dropped (default 0.6).

    Returns:
        float32 tensor ``(N,)`` on the scores' device; verl broadcasts it over response tokens.
    """
    import torch

    if mode not in MODES:
        raise ValueError(f"unknown advantage mode {mode!r}; choose one of {', '.join(MODES)}")
    group_ids = list(group_ids.tolist() if hasattr(group_ids, "tolist") else group_ids)
    n = len(group_ids)
    chosen = _check_inputs(scores, n, weights)
    first = next(iter(scores.values()))
    device = first.device
    if valid is None:
        valid = torch.ones(n, dtype=torch.bool, device=device)
    else:
        valid = torch.as_tensor(valid, device=device).to(torch.bool)
        if valid.shape != (n,):
            raise ValueError(f"valid has shape {tuple(valid.shape)}; expected ({n},)")
    if n == 0:
        return torch.zeros(0, dtype=torch.float32, device=device)
    groups = group_index(group_ids, device=device)
    values = {name: scores[name].to(device=device, dtype=torch.float64) for name in chosen}
    total_weight = sum(chosen.values())

    if mode == "weighted_sum":
        num = torch.zeros(n, dtype=torch.float64, device=device)
        den = torch.zeros_like(num)
        for name, w in chosen.items():
            present = ~torch.isnan(values[name])
            num += torch.where(present, values[name] * w, torch.zeros_like(num))
            den += present.to(torch.float64) * w
        usable = valid & (den > 0)
        combined = torch.where(usable, num / den.clamp(min=1e-300), torch.zeros_like(num))
        adv = group_normalise(combined, groups, usable, eps, norm_by_std)
        return adv.to(torch.float32)

    if mode == "brpo" and pairwise not in chosen:
        raise ValueError(
            f"advantage mode 'brpo' needs pairwise=<the pairwise component>, one of the weighted "
            f"components {sorted(chosen)}; got {pairwise!r}"
        )
    adv = torch.zeros(n, dtype=torch.float64, device=device)
    for name, w in chosen.items():
        if w == 0:
            continue
        usable = valid & ~torch.isnan(values[name])
        if mode == "brpo" and name == pairwise:
            adv += w * brpo_signs(values[name], groups, usable, max_skew)[0]
        else:
            adv += w * group_normalise(values[name], groups, usable, eps, norm_by_std)
    adv = adv / total_weight

    if mode == "gdpo":
        adv = _whiten(adv, valid, eps)
    return torch.where(valid, adv, torch.zeros_like(adv)).to(torch.float32)


def _whiten(values: Tensor, mask: Tensor, eps: float) -> Tensor:
    """Zero mean, unit (unbiased) std over the masked values; all-equal or < 2 values -> 0."""
    import torch

    picked = values[mask]
    if picked.numel() < 2 or bool(picked.max() == picked.min()):
        return torch.zeros_like(values)
    return (values - picked.mean()) / (picked.std() + eps)
