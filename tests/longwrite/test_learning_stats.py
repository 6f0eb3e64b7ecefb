"""The statistics that decide whether a GRPO run learned (longwrite.learning), on hand-made series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from longwrite.learning import learning_drift_test, learning_pooled_drift_test, learning_slope, learning_trend

#: The recorded runs' per-step length reward (benchmarks/RESULTS.md, "GRPO learning", 2026-11-30).
REAL_LONG = [0.426, 0.496, 0.556, 0.587, 0.688, 0.750, 0.730, 0.778]
REAL_SHORT = [0.222, 0.274, 0.421, 0.541, 0.673, 0.705, 0.786, 0.775]
STEPS = 8  # the learning runs' steps (longwrite.learning.DEFAULT_STEPS)
SEEDS = 4000  # simulated series per setting
NOMINAL = 0.025  # one side of a 95% interval
# Monte Carlo slack: 3 binomial standard errors at the nominal rate over SEEDS series
SLACK = 3 * np.sqrt(NOMINAL * (1 - NOMINAL) / SEEDS)


def _random_walks(rng, drift_ratio: float, trend: float = 0.0, noise: float = 1.0) -> np.ndarray:
    """SEEDS series of STEPS steps: a random walk (step sd ``drift_ratio * noise``) plus i.i.d.
    noise (sd ``noise``) plus a linear ``trend`` per step: a policy that wanders while it learns."""
    walk = np.cumsum(np.c_[np.zeros(SEEDS), rng.normal(0, drift_ratio * noise, (SEEDS, STEPS - 1))], axis=1)
    return trend * np.arange(STEPS) + walk + rng.normal(0, noise, (SEEDS, STEPS))


def _rise_rate(stat, series: np.ndarray) -> float:
    """Share of series whose 95% interval lies above 0 (a one-sided 2.5% call of a rise)."""
    return float(np.mean([stat(s).low > 0 for s in series]))


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


def test_drift_test_of_a_hand_worked_series():
    # increments 2, 1, 4: mean 7/3, sample sd sqrt(((-1/3)^2 + (-4/3)^2 + (5/3)^2) / 2) = sqrt(7/3)
    d = learning_drift_test([2.0, 4.0, 5.0, 9.0])
    se = np.sqrt(7 / 3) / np.sqrt(3)
    assert d.drift == pytest.approx(7 / 3)
    assert (d.low, d.high) == pytest.approx((7 / 3 - 4.303 * se, 7 / 3 + 4.303 * se))  # t(0.975, 2)
    assert d.t == pytest.approx((7 / 3) / se)
    assert d.n == 4
    with pytest.raises(ValueError, match="at least 4 steps"):
        learning_drift_test([1, 2, 3])
    with pytest.raises(ValueError, match="non-finite"):
        learning_drift_test([1, 2, float("nan"), 4])


@pytest.mark.parametrize("drift_ratio", [0.5, 1.0, 3.0, 1e6])
def test_drift_test_false_positives_on_random_walks_stay_at_the_nominal_level(drift_ratio):
    """No learning, a drifting policy: random walks whose step sd is 0.5x, 1x, 3x the per-step
    noise (1e6: a pure random walk, the worst case) are called a rise at most 2.5% + slack."""
    series = _random_walks(np.random.default_rng(int(drift_ratio * 10) % 1000), drift_ratio)
    rate = _rise_rate(learning_drift_test, series)
    fall = float(np.mean([learning_drift_test(s).high < 0 for s in series]))
    assert rate <= NOMINAL + SLACK, (drift_ratio, rate)
    assert fall <= NOMINAL + SLACK, (drift_ratio, fall)


def test_the_old_slope_interval_fails_the_same_drift_test():
    """Why the criterion changed: the least-squares slope's t interval assumes independent steps;
    on the same random walks it calls a rise far above 2.5% (measured 7%, 14%, 22%)."""
    rng = np.random.default_rng(1)
    rates = {r: _rise_rate(learning_slope, _random_walks(rng, r)) for r in (0.5, 1.0, 3.0)}
    assert all(rate > NOMINAL + SLACK for rate in rates.values()), rates
    assert rates[3.0] > 0.15, rates


def test_drift_test_power_on_a_trend_the_size_of_the_real_runs():
    """A real trend: the recorded `long` run's length reward went 0.43 -> 0.78 in 8 steps
    (0.05 a step) with increments of sd 0.038 (i.i.d. step noise of sd 0.027 if it were all
    noise). Simulated at that size, with and without a random walk (0.5x the noise) on top, the
    criterion must call most runs a rise; the measured power is recorded in RESULTS.md."""
    rng = np.random.default_rng(5)
    step, noise = (REAL_LONG[-1] - REAL_LONG[0]) / (STEPS - 1), 0.027
    iid = _rise_rate(learning_drift_test, _random_walks(rng, 0.0, step, noise))
    drifting = _rise_rate(learning_drift_test, _random_walks(rng, 0.5, step, noise))
    assert iid >= 0.7, iid
    assert drifting >= 0.6, drifting
    # and both recorded real runs pass it
    assert learning_drift_test(REAL_LONG).low > 0 and learning_drift_test(REAL_SHORT).low > 0


def test_pooled_drift_test_of_a_hand_worked_pair():
    # run a: increments 2, 1, 4; run b: 1, 1, 1, 1 (five steps): pooled 2, 1, 4, 1, 1, 1, 1
    d = learning_pooled_drift_test([[2.0, 4.0, 5.0, 9.0], [0.0, 1.0, 2.0, 3.0, 4.0]])
    inc = np.array([2, 1, 4, 1, 1, 1, 1], dtype=float)
    se = inc.std(ddof=1) / np.sqrt(7)
    assert d.drift == pytest.approx(inc.mean())
    assert (d.low, d.high) == pytest.approx((inc.mean() - 2.447 * se, inc.mean() + 2.447 * se))  # t(.975, 6)
    assert (d.n, d.runs) == (5, 2)
    # one run pooled alone is the single-run test
    one = learning_pooled_drift_test([[2.0, 4.0, 5.0, 9.0]])
    assert (one.drift, one.low, one.high) == pytest.approx(tuple(getattr(learning_drift_test([2, 4, 5, 9]), k)
                                                                 for k in ("drift", "low", "high")))  # fmt: skip
    with pytest.raises(ValueError, match="no runs"):
        learning_pooled_drift_test([])
    with pytest.raises(ValueError, match="at least 4 steps"):
        learning_pooled_drift_test([[1, 2, 3, 4], [1, 2, 3]])


@pytest.mark.parametrize("ratios", [(0.5, 0.5), (1.0, 3.0), (1e6, 1e6), (0.5, 1e6)])
def test_pooled_test_false_positives_on_pairs_of_random_walks_stay_at_the_nominal_level(ratios):
    """No learning in either run, each drifting: the pooled test over two random walks (step sd
    0.5x-3x the noise, pure walks, and two runs whose step sizes differ widely) is called a rise
    or a fall at most 2.5% + slack each way."""
    rng = np.random.default_rng(int(sum(ratios) * 7) % 10_000)
    a, b = _random_walks(rng, ratios[0]), _random_walks(rng, ratios[1])
    tests = [learning_pooled_drift_test([x, y]) for x, y in zip(a, b, strict=True)]
    rise = float(np.mean([t.low > 0 for t in tests]))
    fall = float(np.mean([t.high < 0 for t in tests]))
    assert rise <= NOMINAL + SLACK, (ratios, rise)
    assert fall <= NOMINAL + SLACK, (ratios, fall)


def test_pooled_test_power_on_two_runs_the_size_of_the_real_ones():
    """Why the learning test pools its two runs: at the recorded runs' size (length reward
    +0.050 and +0.079 a step, increment sd 0.038 and 0.058), one run's test calls a rise in about
    4 runs of 5 (two runs both pass about 2 times in 3); the pooled test above 99 times in 100,
    with a random walk of 0.5x the noise on top too."""
    rng = np.random.default_rng(11)
    sizes = []
    for real in (REAL_LONG, REAL_SHORT):
        inc = np.diff(real)
        sizes.append((inc.mean(), inc.std(ddof=1) / np.sqrt(2)))  # increment sd = sqrt(2) x step noise
    for walk in (0.0, 0.5):
        (s1, n1), (s2, n2) = sizes
        a = _random_walks(rng, walk, s1, n1)
        b = _random_walks(rng, walk, s2, n2)
        pooled = float(
            np.mean([learning_pooled_drift_test([x, y]).low > 0 for x, y in zip(a, b, strict=True)])
        )
        both = float(np.mean([learning_drift_test(x).low > 0 and learning_drift_test(y).low > 0
                              for x, y in zip(a, b, strict=True)]))  # fmt: skip
        assert pooled >= 0.99, (walk, pooled)
        assert both < pooled - 0.15, (walk, both, pooled)  # the two separate tests are far weaker
    assert learning_pooled_drift_test([REAL_LONG, REAL_SHORT]).low > 0


def _run(direction: str, rewards, lengths):
    from longwrite.learning import LearningRun

    rows = [
        {"step": i + 1, "longwriter/reward/length/mean": r, "longwriter/length/answer/mean": n}
        for i, (r, n) in enumerate(zip(rewards, lengths, strict=True))
    ]
    return LearningRun(direction, Path("."), rows, 0, 0.0)


def test_the_criterion_passes_the_recorded_runs_and_fails_each_broken_case():
    from longwrite.learning import learning_criterion

    long_len = [78, 95, 104, 110, 126, 140, 150, 178]
    short_len = [76, 70, 60, 55, 50, 47, 45, 42]
    ok = learning_criterion(_run("long", REAL_LONG, long_len), _run("short", REAL_SHORT, short_len))
    assert ok.passed and ok.reward.low > 0, ok
    # negated advantages: both rewards fall, the lengths go the wrong way
    neg = learning_criterion(
        _run("long", REAL_LONG[::-1], long_len[::-1]), _run("short", REAL_SHORT[::-1], short_len[::-1])
    )
    assert not neg.passed and neg.reward.high < 0, neg
    # one strong run carrying one whose answers went the wrong way: the direction check catches it
    carried = learning_criterion(
        _run("long", REAL_LONG, long_len), _run("short", REAL_SHORT, short_len[::-1])
    )
    assert carried.reward.low > 0 and not carried.passed, carried
    assert "criterion: FAIL" in str(carried) and "criterion: PASS" in str(ok)
