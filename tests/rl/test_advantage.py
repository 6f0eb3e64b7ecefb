"""rl.advantage against hand-computed values, verl's own GRPO, and invariances."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rl.advantage import MODES, compute_advantage, group_index

S2 = 1 / math.sqrt(2)  # a two-value group normalises to -/+ 1/sqrt(2) (unbiased std)
S3 = 1 / math.sqrt(3)


def t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32)


def close(actual: torch.Tensor, expected: list[float], tol: float = 1e-5) -> None:
    assert actual.dtype == torch.float32
    assert actual.shape == (len(expected),)
    np.testing.assert_allclose(actual.numpy(), np.array(expected), atol=tol, rtol=tol)


def test_equal_groups_single_component():
    # a: [1,2,3] mean 2, unbiased std 1 -> [-1,0,1]
    # b: [0,0,6] mean 2, dev [-2,-2,4], var 24/2=12 -> dev/sqrt(12)
    adv = compute_advantage({"length": t(1, 2, 3, 0, 0, 6)}, ["a", "a", "a", "b", "b", "b"])
    r12 = math.sqrt(12)
    close(adv, [-1, 0, 1, -2 / r12, -2 / r12, 4 / r12])


def test_unequal_groups_and_interleaved_ids():
    # b: [0,4] mean 2, std sqrt(8) -> -/+ 1/sqrt(2); ids interleaved on purpose
    adv = compute_advantage({"length": t(1, 0, 2, 4, 3)}, [7, 9, 7, 9, 7])
    close(adv, [-1, -S2, 0, S2, 1])


def test_zero_variance_component_contributes_zero():
    # quality is constant in group a -> 0 there; group b: [1,0] -> +/- 1/sqrt(2)
    scores = {"length": t(1, 2, 3, 0, 4), "quality": t(5, 5, 5, 1, 0)}
    ids = ["a", "a", "a", "b", "b"]
    close(compute_advantage(scores, ids), [-0.5, 0, 0.5, (-S2 + S2) / 2, (S2 - S2) / 2])
    # an all-constant group gets exactly zero, not float noise divided by eps
    adv = compute_advantage({"x": t(0.1, 0.1, 0.1)}, [0, 0, 0])
    assert torch.equal(adv, torch.zeros(3))


def test_single_sample_group_gets_zero():
    adv = compute_advantage({"length": t(1, 2, 3, 0.9), "quality": t(0, 1, 2, 0.3)}, ["a", "a", "a", "b"])
    close(adv, [-1, 0, 1, 0])


def test_weights():
    # length a: [-1,0,1]; quality a: [2,0,1] -> mean 1, dev [1,-1,0], std 1 -> [1,-1,0]
    # b: length [0,4] -> [-S2,S2]; quality [1,0] -> [S2,-S2]
    scores = {"length": t(1, 2, 3, 0, 4), "quality": t(2, 0, 1, 1, 0)}
    ids = ["a", "a", "a", "b", "b"]
    adv = compute_advantage(scores, ids, weights={"length": 3, "quality": 1})
    close(adv, [(-3 + 1) / 4, (0 - 1) / 4, 3 / 4, (-3 * S2 + S2) / 4, (3 * S2 - S2) / 4])
    # equal weights are the unweighted mean; weights also select the components
    same = compute_advantage(scores, ids, weights={"length": 2.0, "quality": 2.0})
    close(same, compute_advantage(scores, ids).tolist())
    only_length = compute_advantage({**scores, "answer_len": t(5, 6, 7, 8, 9)}, ids, weights={"length": 1})
    close(only_length, [-1, 0, 1, -S2, S2])


def test_three_modes_hand_computed():
    scores = {"length": t(1, 2, 3), "quality": t(3, 0, 0)}
    ids = ["p", "p", "p"]
    # balanced: length [-1,0,1]; quality mean 1, dev [2,-1,-1], std sqrt(3) -> [2,-1,-1]/sqrt(3)
    balanced = [(-1 + 2 * S3) / 2, (0 - S3) / 2, (1 - S3) / 2]
    close(compute_advantage(scores, ids, mode="balanced"), balanced)
    # weighted_sum: combined [2,1,1.5], mean 1.5, dev [.5,-.5,0], std .5 -> [1,-1,0]
    close(compute_advantage(scores, ids, mode="weighted_sum"), [1, -1, 0])
    # gdpo: whiten balanced over the batch (mean is 0 already here)
    std = math.sqrt(sum(b * b for b in balanced) / 2)
    close(compute_advantage(scores, ids, mode="gdpo"), [b / std for b in balanced])


def test_gdpo_whitens_across_groups():
    scores = {"length": t(1, 2, 3, 0, 10), "quality": t(0, 0, 3, 1, 0)}
    ids = ["a", "a", "a", "b", "b"]
    gdpo = compute_advantage(scores, ids, mode="gdpo").double()
    # By hand. Group a: length [1,2,3] -> [-1,0,1]; quality [0,0,3] -> [-1,-1,2]/sqrt(3).
    # Group b: length [0,10] -> [-1,1]/sqrt(2); quality [1,0] -> [1,-1]/sqrt(2): they cancel.
    bal = [(-1 - S3) / 2, (0 - S3) / 2, (1 + 2 * S3) / 2, 0.0, 0.0]  # S3 = 1/sqrt(3)
    # gdpo whitens the balanced values over the whole batch (their mean is 0 here).
    std = math.sqrt(sum(x * x for x in bal) / 4)
    close(gdpo.float(), [x / std for x in bal], tol=1e-4)
    assert abs(gdpo.mean().item()) < 1e-6 and abs(gdpo.std().item() - 1) < 1e-4


def test_nan_is_missing_and_contributes_zero():
    # quality a: NaN left out -> [1,3] mean 2, std sqrt(2) -> [0, -S2, S2]
    scores = {"length": t(1, 2, 3), "quality": t(float("nan"), 1, 3)}
    close(compute_advantage(scores, ["a"] * 3), [(-1 + 0) / 2, (0 - S2) / 2, (1 + S2) / 2])
    # weighted_sum: combined = mean of available components: [1, 1.5, 3]
    # mean 11/6, dev [-5/6, -1/3, 7/6], var (25/36 + 4/36 + 49/36)/2 = 78/72
    std = math.sqrt(78 / 72)
    close(
        compute_advantage(scores, ["a"] * 3, mode="weighted_sum"),
        [-5 / 6 / std, -1 / 3 / std, 7 / 6 / std],
    )
    # a sample with every component missing is itself missing: 0, left out of its group
    all_nan = {"length": t(float("nan"), 2, 4)}
    close(compute_advantage(all_nan, ["a"] * 3, mode="weighted_sum"), [0, -S2, S2])
    assert not torch.isnan(compute_advantage(all_nan, ["a"] * 3, mode="gdpo")).any()


def test_padding_mask_excluded_from_statistics():
    scores = {"length": t(1, 2, 3, 100), "quality": t(0, 0, 0, 50)}
    valid = torch.tensor([True, True, True, False])
    for mode in MODES:
        brpo = {"pairwise": "quality"} if mode == "brpo" else {}  # quality's real values are outcomes
        adv = compute_advantage(scores, ["a"] * 4, mode=mode, valid=valid, **brpo)
        assert adv[3] == 0, mode
    close(compute_advantage(scores, ["a"] * 4, valid=valid), [-0.5, 0, 0.5, 0])
    close(compute_advantage(scores, ["a"] * 4, mode="weighted_sum", valid=valid), [-1, 0, 1, 0])


def test_no_std_normalisation_only_centres():
    adv = compute_advantage({"length": t(1, 2, 6)}, ["a"] * 3, norm_by_std=False)
    close(adv, [-2, -1, 3])


def test_group_id_kinds():
    ids_np = np.array(["u1", "u2", "u1", "u2"], dtype=object)
    assert group_index(ids_np).tolist() == [0, 1, 0, 1]
    assert group_index(torch.tensor([5, 5, 3])).tolist() == [0, 0, 1]
    assert group_index(np.array([np.int64(4), np.int64(4)])).tolist() == [0, 0]
    adv = compute_advantage({"length": t(1, 0, 3, 4)}, ids_np)
    close(adv, [-S2, -S2, S2, S2])


def test_empty_batch_and_bad_input():
    assert compute_advantage({"length": t()}, []).shape == (0,)
    with pytest.raises(ValueError, match="unknown advantage mode"):
        compute_advantage({"length": t(1, 2)}, [0, 0], mode="grpo")
    with pytest.raises(ValueError, match="shape"):
        compute_advantage({"length": t(1, 2, 3)}, [0, 0])
    with pytest.raises(ValueError, match="not in scores"):
        compute_advantage({"length": t(1, 2)}, [0, 0], weights={"quality": 1})
    with pytest.raises(ValueError, match="non-negative"):
        compute_advantage({"length": t(1, 2)}, [0, 0], weights={"length": -1})
    with pytest.raises(ValueError, match="at least one"):
        compute_advantage({}, [0, 0])
    with pytest.raises(ValueError, match="valid"):
        compute_advantage({"length": t(1, 2)}, [0, 0], valid=torch.tensor([True]))


def test_weighted_sum_matches_verls_grpo():
    """Single component, groups of >= 2 distinct values: exactly verl's GRPO estimator."""
    from verl.trainer.ppo.core_algos import compute_grpo_outcome_advantage

    gen = torch.Generator().manual_seed(0)
    rewards = torch.rand(12, generator=gen)
    ids = np.array([i // 4 for i in range(12)])
    token_rewards = torch.zeros(12, 5)
    token_rewards[:, -1] = rewards
    verl_adv, _ = compute_grpo_outcome_advantage(token_rewards, torch.ones(12, 5), ids)
    ours = compute_advantage({"r": rewards}, ids, mode="weighted_sum")
    close(ours, verl_adv[:, 0].tolist())
    close(compute_advantage({"r": rewards}, ids, mode="balanced"), verl_adv[:, 0].tolist())


# Quarter steps: values either tie exactly or differ by far more than eps (where eps matters,
# scale invariance holds only approximately, by design).
finite = st.integers(-20, 20).map(lambda v: v / 4)


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.tuples(st.integers(0, 3), finite, finite), min_size=1, max_size=16),
    scale=st.floats(min_value=0.1, max_value=10),
    shift=st.floats(min_value=-3, max_value=3),
)
def test_balanced_invariances(data, scale, shift):
    ids = [d[0] for d in data]
    a = torch.tensor([d[1] for d in data])
    b = torch.tensor([d[2] for d in data])
    adv = compute_advantage({"a": a, "b": b}, ids)
    assert torch.isfinite(adv).all()
    # each group's advantages sum to zero
    for g in set(ids):
        members = [i for i, x in enumerate(ids) if x == g]
        assert abs(adv[members].sum().item()) < 1e-3
    # a positive affine change of one component's scale changes nothing (the point of balancing)
    moved = compute_advantage({"a": a * scale + shift, "b": b}, ids)
    np.testing.assert_allclose(moved.numpy(), adv.numpy(), atol=2e-3)
    # order of samples does not matter
    perm = torch.randperm(len(ids), generator=torch.Generator().manual_seed(1))
    permuted = compute_advantage({"a": a[perm], "b": b[perm]}, [ids[i] for i in perm.tolist()])
    np.testing.assert_allclose(permuted.numpy(), adv[perm].numpy(), atol=1e-5)
