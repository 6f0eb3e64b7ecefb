"""BRPO by hand: the +-1 term, the skew filter, the combination with balanced components, metrics."""

from __future__ import annotations

import math

import pytest
import torch

from rl.advantage import brpo_signs, compute_advantage, group_index
from rl.brpo import brpo_metrics, brpo_options

NAN = math.nan


def test_signs_and_skew_filter_by_hand():
    # group a: W L T W -> R = +1 -1 0 +1, |sum| / G = 1/4 = 0.25: kept
    # group b: W W W L -> R = +1 +1 +1 -1, 2/4 = 0.5: kept (<= 0.6)
    # group c: W W W T -> R = +1 +1 +1 0, 3/4 = 0.75 > 0.6: dropped
    # group d: one judged sample (the other missing): G = 1, nothing to compare: dropped
    out = torch.tensor([1, 0, 0.5, 1, 1, 1, 1, 0, 1, 1, 1, 0.5, 1, NAN], dtype=torch.float64)
    ids = list("aaaabbbbccccdd")
    groups = group_index(ids)
    usable = ~torch.isnan(out)
    term, kept, skew = brpo_signs(torch.nan_to_num(out, nan=0.5), groups, usable)
    assert term.tolist() == [1, -1, 0, 1, 1, 1, 1, -1, 0, 0, 0, 0, 0, 0]
    assert kept.tolist() == [True, True, False, False]
    assert skew.tolist() == pytest.approx([0.25, 0.5, 0.75, 1.0])


def test_threshold_is_configurable():
    out = torch.tensor([1, 1, 1, 0], dtype=torch.float64)  # skew 0.5
    groups = group_index([0, 0, 0, 0])
    usable = torch.ones(4, dtype=torch.bool)
    assert brpo_signs(out, groups, usable, 0.6)[1].tolist() == [True]
    assert brpo_signs(out, groups, usable, 0.4)[1].tolist() == [False]
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        brpo_signs(out + 1, groups, usable)


def test_brpo_alone_is_plus_minus_one_without_normalisation():
    scores = {"group_pairwise": torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0])}
    adv = compute_advantage(scores, [0, 0, 0, 0, 1, 1, 1, 1], mode="brpo", pairwise="group_pairwise")
    assert adv.tolist() == [1.0, -1.0, 1.0, -1.0, 0.0, 0.0, 0.0, 0.0]  # group 1: all wins, skew 1: dropped


def test_brpo_beside_balanced_length_by_hand():
    # length in one group of 2: normalised (x - mean) / (std + eps) = +-0.7071 (unbiased std 0.1414)
    scores = {"group_pairwise": torch.tensor([1.0, 0.0]), "length": torch.tensor([0.2, 0.4])}
    adv = compute_advantage(
        scores, [0, 0], mode="brpo", pairwise="group_pairwise", weights={"group_pairwise": 1.0, "length": 1.0}
    )
    assert adv.tolist() == pytest.approx([(1 - 0.70710) / 2, (-1 + 0.70710) / 2], abs=1e-4)
    padded = compute_advantage(
        scores, [0, 0], mode="brpo", pairwise="group_pairwise", valid=torch.tensor([True, False])
    )
    assert padded.tolist() == [0.0, 0.0]  # one real sample: nothing to compare
    with pytest.raises(ValueError, match="needs pairwise"):
        compute_advantage(scores, [0, 0], mode="brpo")


def test_options_and_metrics():
    assert brpo_options({}, {"length": 1.0}, "balanced") == {}
    assert brpo_options({"brpo_max_skew": 0.5}, {"group_pairwise": 1.0}, "brpo") == {
        "pairwise": "group_pairwise",
        "max_skew": 0.5,
    }
    with pytest.raises(ValueError, match="must be a reward of the run"):
        brpo_options({}, {"length": 1.0}, "brpo")
    m = brpo_metrics([1, 0, 0.5, 1, 1, 1, 1, 0.5, NAN], list("aaaabbbbb"), 0.6)
    assert m["longwriter/brpo/groups"] == 2 and m["longwriter/brpo/dropped_groups"] == 1
    assert m["longwriter/brpo/win_share"] == pytest.approx(5 / 8)
    assert m["longwriter/brpo/tie_share"] == pytest.approx(2 / 8)
    assert m["longwriter/brpo/kept_samples"] == 4
