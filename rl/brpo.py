"""BRPO in the trainer mode: its settings and its per-step metrics (the pure part is
:func:`rl.advantage.brpo_signs`).

``longwriter.advantage_mode: brpo`` needs a pairwise component: ``longwriter.brpo_pairwise`` (default
``group_pairwise``, the in-group pairwise reward: each rollout against a seeded peer of its group,
with any pairwise judge behind its endpoint options), which must be a weighted reward of the run;
``longwriter.brpo_max_skew`` (default 0.6, Writing-Zero's) drops groups whose outcomes are too
one-sided. The pairwise reward is group-level, so the trainer mode scores it over whole groups
before the advantage (``rl.trainer``). Metrics (``longwriter/brpo/*``, real samples only):
``groups``, ``dropped_groups`` (skew above the limit or fewer than two judged samples),
``dropped_ratio``, ``win_share`` / ``tie_share`` / ``loss_share`` (of judged comparisons),
``skew_mean`` and ``kept_samples``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["DEFAULT_PAIRWISE", "brpo_options", "brpo_metrics"]

DEFAULT_PAIRWISE = "group_pairwise"


def brpo_options(settings: Mapping[str, Any], weights: Mapping[str, float], mode: str) -> dict[str, Any]:
    """``compute_advantage``'s BRPO keywords (``pairwise``, ``max_skew``) from the ``longwriter``
    config section, or ``{}`` for another mode; a pairwise component that is not a weighted reward
    of the run is a ValueError naming the choices."""
    from rl.advantage import BRPO_MAX_SKEW

    if mode != "brpo":
        return {}
    pairwise = str(settings.get("brpo_pairwise") or DEFAULT_PAIRWISE)
    if float(weights.get(pairwise, 0.0)) <= 0:
        raise ValueError(
            f"longwriter.advantage_mode=brpo compares rollouts with the pairwise reward {pairwise!r} "
            f"(longwriter.brpo_pairwise), which must be a reward of the run with weight > 0; "
            f"rewards: {dict(weights)}"
        )
    skew = settings.get("brpo_max_skew")
    skew = BRPO_MAX_SKEW if skew is None else float(skew)
    if not 0.0 <= skew <= 1.0:
        raise ValueError(f"longwriter.brpo_max_skew must be in [0, 1], got {skew}")
    return {"pairwise": pairwise, "max_skew": skew}


def brpo_metrics(outcomes: Sequence[float], group_ids: Sequence[Any], max_skew: float) -> dict[str, float]:
    """``longwriter/brpo/*`` for one step's real samples: ``outcomes`` the pairwise component
    (1 win, 0.5 tie, 0 loss, NaN missing), ``group_ids`` their groups (see the module doc)."""
    import torch

    from rl.advantage import brpo_signs, group_index

    p = "longwriter/brpo"
    if not outcomes:
        return {}
    values = torch.tensor([float(v) for v in outcomes], dtype=torch.float64)
    usable = ~torch.isnan(values)
    groups = group_index(list(group_ids))
    term, kept, skew = brpo_signs(torch.nan_to_num(values, nan=0.5), groups, usable, max_skew)
    judged = values[usable]
    n_groups = int(kept.numel())
    out = {
        f"{p}/groups": float(n_groups),
        f"{p}/dropped_groups": float(n_groups - int(kept.sum())),
        f"{p}/dropped_ratio": float(1.0 - kept.double().mean()) if n_groups else 0.0,
        f"{p}/kept_samples": float((usable & kept[groups]).sum()),
        f"{p}/max_skew": float(max_skew),
    }
    if judged.numel():
        out[f"{p}/win_share"] = float((judged == 1.0).double().mean())
        out[f"{p}/tie_share"] = float((judged == 0.5).double().mean())
        out[f"{p}/loss_share"] = float((judged == 0.0).double().mean())
    finite = skew[~torch.isnan(skew)]
    if finite.numel():
        out[f"{p}/skew_mean"] = float(finite.mean())
    del term
    return {k: v for k, v in out.items() if not math.isnan(v)}
