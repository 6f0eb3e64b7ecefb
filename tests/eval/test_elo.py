"""Bradley-Terry Elo against hand-worked examples; order invariance; bootstrap; win matrix."""

import math
import random

import pytest

from eval.elo import Comparison, bootstrap, fit_bradley_terry, win_matrix


def _games(a, b, wins, ties, losses, item_prefix="i"):
    out = []
    for k, s in enumerate([1.0] * wins + [0.5] * ties + [0.0] * losses):
        out.append(Comparison(f"{item_prefix}{a}{b}{k}", a, b, s))
    return out


def test_two_models_hand_worked():
    # B beats the anchor A 3 times of 4: odds 3, so R_B - R_A = 400 log10(3) = 190.849 points.
    fit = fit_bradley_terry(_games("B", "A", 3, 0, 1), "A", anchor_rating=1000)
    assert fit.ratings["A"] == 1000
    assert fit.ratings["B"] == pytest.approx(1000 + 400 * math.log10(3), abs=1e-6)
    assert fit.ratings["B"] == pytest.approx(1190.849, abs=1e-3)
    # Ties count half: 2 wins, 1 tie, 1 loss = 2.5 of 4, odds 2.5/1.5 = 5/3 -> 88.74 points.
    fit = fit_bradley_terry(_games("B", "A", 2, 1, 1), "A", anchor_rating=1500)
    assert fit.ratings["B"] == pytest.approx(1500 + 88.739, abs=1e-3)


def test_three_models_consistent_odds_hand_worked():
    # B:A odds 3 (3-1), C:B odds 1 (2-2), C:A odds 3 (3-1): one rating set fits every pair
    # exactly, R_B = R_C = 1000 + 400 log10 3.
    comps = _games("B", "A", 3, 0, 1) + _games("C", "B", 2, 0, 2) + _games("C", "A", 3, 0, 1)
    fit = fit_bradley_terry(comps, "A")
    expected = 1000 + 400 * math.log10(3)
    assert fit.ratings["B"] == pytest.approx(expected, abs=1e-6)
    assert fit.ratings["C"] == pytest.approx(expected, abs=1e-6)
    assert fit.unbounded == [] and fit.n_comparisons == 12


def test_order_invariance():
    comps = _games("B", "A", 5, 2, 3) + _games("C", "B", 1, 1, 4) + _games("A", "C", 2, 3, 2)
    base = fit_bradley_terry(comps, "A").ratings
    rng = random.Random(7)
    for _ in range(5):
        shuffled = list(comps)
        rng.shuffle(shuffled)
        # Also flip the sides of some comparisons (a vs b with score s == b vs a with 1 - s).
        flipped = [Comparison(c.item, c.b, c.a, 1.0 - c.score) if rng.random() < 0.5 else c for c in shuffled]
        again = fit_bradley_terry(flipped, "A").ratings
        assert again == pytest.approx(base, abs=1e-9)
    assert bootstrap(comps, "A", rounds=30, seed=3) == bootstrap(
        list(reversed(comps)), "A", rounds=30, seed=3
    )


def test_strong_weight():
    # Three wins, one of them strong and weighted 2, one loss: 4 of 5 -> odds 4.
    comps = [
        Comparison("1", "B", "A", 1.0, 2.0),
        Comparison("2", "B", "A", 1.0),
        Comparison("3", "B", "A", 1.0),
        Comparison("4", "B", "A", 0.0),
    ]
    fit = fit_bradley_terry(comps, "A")
    assert fit.ratings["B"] == pytest.approx(1000 + 400 * math.log10(4), abs=1e-6)


def test_unbounded_and_prior():
    # B won everything: no finite maximum-likelihood rating; said so, not a huge number.
    comps = _games("B", "A", 3, 0, 0) + _games("C", "A", 1, 0, 1)
    fit = fit_bradley_terry(comps, "A")
    assert fit.unbounded == ["B"] and fit.direction == {"B": "+inf"} and fit.ratings["B"] is None
    assert fit.ratings["C"] == pytest.approx(1000.0, abs=1e-9)
    # D only beat E, who lost everything: nothing ties D to the anchor A either way.
    fit2 = fit_bradley_terry(_games("A", "E", 2, 0, 0) + _games("D", "E", 2, 0, 0), "A")
    assert fit2.direction == {"D": "undetermined", "E": "-inf"} and fit2.ratings == {
        "A": 1000.0,
        "D": None,
        "E": None,
    }
    ci = bootstrap(_games("A", "E", 2, 0, 0) + _games("D", "E", 2, 0, 0), "A", rounds=20)
    assert ci["D"]["lo"] is None and ci["D"]["hi"] is None and ci["E"]["lo"] is None
    # One virtual tie with the anchor: B has 3.5 of 4 -> odds 7.
    fit = fit_bradley_terry(comps, "A", prior=1.0)
    assert fit.unbounded == [] and fit.ratings["B"] == pytest.approx(1000 + 400 * math.log10(7), abs=1e-6)
    with pytest.raises(ValueError, match="anchor"):
        fit_bradley_terry(comps, "Z")
    with pytest.raises(ValueError, match="different models"):
        Comparison("x", "A", "A", 1.0)
    with pytest.raises(ValueError, match="score"):
        Comparison("x", "A", "B", 0.7)


def test_bootstrap_intervals_cover_fit_and_are_seeded():
    comps = _games("B", "A", 12, 4, 8) + _games("C", "A", 6, 4, 14)
    fit = fit_bradley_terry(comps, "A")
    ci = bootstrap(comps, "A", rounds=200, seed=1)
    for m in ("B", "C"):
        assert ci[m]["lo"] < fit.ratings[m] < ci[m]["hi"]
        assert ci[m]["hi"] - ci[m]["lo"] > 50  # 24 items: wide
    assert ci["A"]["lo"] == ci["A"]["hi"] == 1000
    assert bootstrap(comps, "A", rounds=50, seed=1) == bootstrap(comps, "A", rounds=50, seed=1)
    assert bootstrap(comps, "A", rounds=50, seed=1) != bootstrap(comps, "A", rounds=50, seed=2)


def test_win_matrix():
    comps = _games("B", "A", 2, 1, 3)
    m = win_matrix(comps)
    assert m["B"]["A"] == {"win": 2, "tie": 1, "loss": 3}
    assert m["A"]["B"] == {"win": 3, "tie": 1, "loss": 2}
