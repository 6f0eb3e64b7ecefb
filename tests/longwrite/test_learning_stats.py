"""The statistics that decide whether a GRPO run learned (longwrite.learning), on hand-made series."""

from __future__ import annotations

import numpy as np
import pytest

from longwrite.learning import learning_slope, learning_trend


def test_slope_of_a_hand_worked_series():
    # y = 2, 4, 5, 9 at steps 1-4: centred steps -1.5, -0.5, 0.5, 1.5; slope = sum(xc * (y - 5)) / 5
    y = [2.0, 4.0, 5.0, 9.0]
    xc = np.array([-1.5, -0.5, 0.5, 1.5])
    slope = float(xc @ (np.array(y) - 5.0) / 5.0)  # sum(xc^2) = 5, mean(y) = 5
    assert slope == pytest.approx(2.2)
    resid = np.array(y) - 5.0 - slope * xc  # 0.3, -0.1, -1.1, 0.7
    se = np.sqrt(resid @ resid / 2 / 5.0)
    s = learning_slope(y)
    assert s.slope == pytest.approx(2.2)
    assert (s.low, s.high) == pytest.approx((2.2 - 4.303 * se, 2.2 + 4.303 * se))  # t(0.975, 2)
    assert s.n == 4


def test_a_real_trend_excludes_zero_in_its_direction_and_a_flat_one_does_not():
    up = learning_slope([0.47, 0.55, 0.58, 0.76, 0.70, 0.82, 0.82, 0.79])
    down = learning_slope([88, 65.5, 46.5, 46, 43.5, 39, 34.5, 43.5])
    flat = learning_slope([0.5, 0.6, 0.4, 0.55, 0.45, 0.6, 0.4, 0.5])
    assert up.low > 0 and down.high < 0 and flat.low < 0 < flat.high


def test_flat_noise_is_called_a_trend_about_5_percent_of_the_time():
    rng = np.random.default_rng(0)
    hits = sum(
        (s.low > 0 or s.high < 0) for s in (learning_slope(0.5 + rng.normal(0, 0.1, 8)) for _ in range(1000))
    )
    assert 0.02 <= hits / 1000 <= 0.08, hits


def test_one_lucky_early_step_hides_a_trend_from_first_vs_last_but_not_from_the_slope():
    # A run that learns within its first 3 steps (measured: the short-target benchmark run).
    series = [0.112, 0.366, 0.851, 0.489, 0.514, 0.668, 0.887, 0.759]
    assert learning_trend(series, k=3).low < 0  # the first-vs-last window straddles 0
    assert learning_slope(series).low > 0


def test_too_few_steps_is_an_error():
    with pytest.raises(ValueError, match="at least 4 steps"):
        learning_slope([1, 2, 3])
    with pytest.raises(ValueError, match="at least 6 steps"):
        learning_trend([1, 2, 3, 4, 5], k=3)
