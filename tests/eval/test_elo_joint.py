"""The joint Elo fit (every model against every baseline at once) and its style-controlled twin:
the scale does not depend on the anchor beyond a shift, style control removes a pure length
preference, bootstrap intervals hold the point estimate."""

import math

import numpy as np
import pytest

from eval.elo import MEAN_GAUGE, Comparison, bootstrap_ratings, fit_joint, fit_style_controlled
from eval.style import style_features


def _games(a, b, wins, ties, losses, tag):
    scores = [1.0] * wins + [0.5] * ties + [0.0] * losses
    return [Comparison(f"{tag}{k}", a, b, s) for k, s in enumerate(scores)]


# Model M against three baselines, with very different win rates; baselines A and B also met.
COMPS = (
    _games("M", "A", 7, 1, 2, "ma")
    + _games("M", "B", 3, 2, 5, "mb")
    + _games("M", "C", 1, 1, 8, "mc")
    + _games("A", "B", 2, 0, 6, "ab")
)


def test_joint_fit_does_not_depend_on_the_anchor_beyond_a_shift():
    fits = {a: fit_joint(COMPS, ["A", "B", "C"], anchor=a) for a in ("A", "B", "C")}
    mean = fit_joint(COMPS, ["A", "B", "C"])
    assert mean.anchor == MEAN_GAUGE
    assert sum(mean.ratings[r] for r in "ABC") / 3 == pytest.approx(1000.0)
    for a, fit in fits.items():
        assert fit.ratings[a] == pytest.approx(1000.0)
        for x in "MABC":
            for y in "MABC":
                assert fit.ratings[x] - fit.ratings[y] == pytest.approx(
                    mean.ratings[x] - mean.ratings[y], abs=1e-6
                )
    # The anchored fit of today moves M by hundreds of points with the anchor; this one does not.
    assert fits["A"].ratings["M"] - fits["C"].ratings["M"] == pytest.approx(
        mean.ratings["C"] - mean.ratings["A"], abs=1e-6
    )
    # The baselines' own games count: B beat A 6-2, so B sits above A.
    assert mean.ratings["B"] > mean.ratings["A"]


def test_joint_fit_prior_keeps_baselines_finite_and_names_unbounded_models():
    comps = _games("M", "A", 5, 0, 0, "x") + _games("M", "B", 0, 0, 5, "y") + _games("W", "A", 3, 0, 0, "z")
    fit = fit_joint(comps, ["A", "B"])
    assert fit.ratings["A"] is not None and fit.ratings["B"] is not None and fit.ratings["M"] is not None
    assert fit.ratings["W"] is None and fit.direction["W"] == "+inf"
    with pytest.raises(ValueError, match="not a baseline"):
        fit_joint(comps, ["A", "B"], anchor="M")


def _length_judged(seed=0, n=400, k=4.0):
    """Models X (long answers) and Y (short) and baseline B of equal quality; a judge that only
    prefers the longer answer: P(a wins) = sigmoid(k * (len_a - len_b) / (len_a + len_b))."""
    rng = np.random.default_rng(seed)
    lengths = {"X": (900, 1500), "Y": (300, 900), "B": (300, 1500)}
    comps, feats = [], {}
    for i in range(n):
        item = f"i{i}"
        for m, (lo, hi) in lengths.items():
            feats[(item, m)] = {"length": int(rng.integers(lo, hi)), "headers": 0, "lists": 0, "bold": 0}
        for m in ("X", "Y"):
            la, lb = feats[(item, m)]["length"], feats[(item, "B")]["length"]
            p = 1 / (1 + math.exp(-k * (la - lb) / (la + lb)))
            comps.append(Comparison(item, m, "B", float(rng.random() < p)))
    return comps, feats


def test_style_control_removes_a_pure_length_preference():
    comps, feats = _length_judged()
    raw = fit_joint(comps, ["B"])
    sc = fit_style_controlled(comps, ["B"], feats)
    assert sc["converged"] and sc["dropped"] == ["headers", "lists", "bold"]
    # Raw: the long-answer model is rated far above the short one; controlled: about equal.
    assert raw.ratings["X"] - raw.ratings["Y"] > 150
    assert abs(sc["ratings"]["X"] - sc["ratings"]["Y"]) < 40
    assert abs(sc["ratings"]["X"] - 1000) < 40 and sc["coefficients"]["length"] > 50
    # Anchor-free here too: with one baseline the mean gauge is that baseline.
    assert sc["ratings"]["B"] == pytest.approx(1000.0)


def test_style_control_keeps_a_real_quality_gap():
    # X is better on substance (wins 70% at equal length); lengths vary but do not decide.
    rng = np.random.default_rng(1)
    comps, feats = [], {}
    for i in range(300):
        item = f"i{i}"
        for m in ("X", "B"):
            feats[(item, m)] = {"length": int(rng.integers(300, 1500)), "headers": 0, "lists": 0, "bold": 0}
        comps.append(Comparison(item, "X", "B", float(rng.random() < 0.7)))
    sc = fit_style_controlled(comps, ["B"], feats)
    raw = fit_joint(comps, ["B"])
    assert sc["ratings"]["X"] - 1000 == pytest.approx(raw.ratings["X"] - 1000, abs=30)
    assert sc["ratings"]["X"] > 1100


def test_bootstrap_intervals_contain_the_point_estimate():
    comps, feats = _length_judged(n=120)
    point = fit_joint(comps, ["B"]).ratings
    ci = bootstrap_ratings(comps, lambda cs: fit_joint(cs, ["B"]).ratings, rounds=60, seed=2)
    for m in ("X", "Y", "B"):
        assert ci[m]["lo"] <= point[m] <= ci[m]["hi"] and ci[m]["n_unbounded"] == 0
    assert ci["X"]["hi"] - ci["X"]["lo"] > 10  # a real spread, not a degenerate interval
    sc_point = fit_style_controlled(comps, ["B"], feats)["ratings"]
    sc_ci = bootstrap_ratings(comps, lambda cs: fit_style_controlled(cs, ["B"], feats)["ratings"], rounds=40)
    for m in ("X", "Y"):
        assert sc_ci[m]["lo"] <= sc_point[m] <= sc_ci[m]["hi"]


def test_bootstrap_counts_unbounded_resamples():
    comps = _games("M", "A", 3, 0, 1, "m")  # a resample with only M's wins leaves M unbounded
    ci = bootstrap_ratings(comps, lambda cs: fit_joint(cs, ["A"]).ratings, rounds=50, seed=0)
    assert ci["M"]["n_unbounded"] > 0 and ci["M"]["lo"] is None and ci["M"]["hi"] is None


def test_style_features_count_markdown_outside_code():
    text = "# Title\n\nSome **bold** and __more__ words.\n\n- one\n- two\n1. three\n```\n# not a header\n- no\n```\n"
    f = style_features(text)
    assert (f["headers"], f["lists"], f["bold"]) == (1, 3, 2)
    assert f["length"] > 10
    assert style_features("plain text")["headers"] == 0
